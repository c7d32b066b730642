// Pure: when a batch's trunk keeps failing, stop calling instead of burning the contact list.
// DESIGN.md: ≥ 50 % of the batch's last ≥ 10 attempts within 2 minutes ended `failed`.

export interface BreakerConfig {
  minAttempts: number;
  windowMs: number;
  failRatio: number;
}

export const defaultBreaker: BreakerConfig = { minAttempts: 10, windowMs: 120_000, failRatio: 0.5 };

export interface RecentOutcomes {
  /** Attempts of the batch that ended inside the window. */
  total: number;
  /** Of those, ended with outcome `failed`. */
  failed: number;
}

export function shouldTrip(recent: RecentOutcomes, cfg: BreakerConfig = defaultBreaker): boolean {
  return recent.total >= cfg.minAttempts && recent.failed >= cfg.failRatio * recent.total;
}

export function tripReason(recent: RecentOutcomes, cfg: BreakerConfig = defaultBreaker): string {
  return `circuit_breaker: ${recent.failed} of the last ${recent.total} attempts failed within ${Math.round(cfg.windowMs / 1000)}s`;
}
