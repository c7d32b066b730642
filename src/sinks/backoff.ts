// Pure: when to try a failed webhook delivery again. Exponential with "equal jitter" (half the
// delay fixed, half random) so a receiver coming back is not hit by every retry at once; after
// about a day since the delivery was created it is dead-lettered (replayable through the API).

export interface BackoffConfig {
  baseMs: number;
  capMs: number;
  /** Give up once the next try would land later than this after the delivery was created. */
  deadAfterMs: number;
}

export const defaultBackoff: BackoffConfig = { baseMs: 5_000, capMs: 3_600_000, deadAfterMs: 24 * 3_600_000 };

/** `attempts` = tries made so far (≥ 1). Returns the next try time, or null for dead. */
export function nextRetryAt(
  attempts: number,
  createdAt: Date,
  now: Date,
  random: () => number,
  cfg: BackoffConfig = defaultBackoff,
): Date | null {
  const exp = Math.min(cfg.capMs, cfg.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  const delay = exp / 2 + random() * (exp / 2);
  const at = now.getTime() + delay;
  return at > createdAt.getTime() + cfg.deadAfterMs ? null : new Date(at);
}
