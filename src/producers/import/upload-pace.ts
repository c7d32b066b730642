// When an upload has stopped keeping pace: no byte for the idle timeout, or fewer bytes than the
// minimum rate asks for over a whole rate window (the first window doubles as the grace period,
// so a slow start is forgiven until it has lasted a full window). Pure: the spool feeds it bytes
// and clock readings and cuts the upload off on the first verdict.

export interface PaceLimits {
  idleMs: number;
  /** 0: no rate check. */
  minBytesPerSecond: number;
  windowMs: number;
}

export type PaceViolation =
  { kind: 'idle'; idleMs: number } | { kind: 'slow'; bytes: number; windowMs: number };

export class UploadPace {
  private lastByteAt: number;
  private windowStart: number;
  private windowBytes = 0;

  constructor(
    readonly limits: PaceLimits,
    startedAt: number,
  ) {
    this.lastByteAt = startedAt;
    this.windowStart = startedAt;
  }

  received(bytes: number, now: number): void {
    if (bytes <= 0) return;
    this.lastByteAt = now;
    this.windowBytes += bytes;
  }

  /** null while the upload keeps pace; checking also rolls a finished rate window over. */
  check(now: number): PaceViolation | null {
    if (now - this.lastByteAt >= this.limits.idleMs) return { kind: 'idle', idleMs: this.limits.idleMs };
    const elapsed = now - this.windowStart;
    if (this.limits.minBytesPerSecond <= 0 || elapsed < this.limits.windowMs) return null;
    if (this.windowBytes * 1000 < this.limits.minBytesPerSecond * elapsed) {
      return { kind: 'slow', bytes: this.windowBytes, windowMs: elapsed };
    }
    this.windowStart = now;
    this.windowBytes = 0;
    return null;
  }

  /** How often to check: often enough that neither limit overshoots by more than a quarter. */
  tickMs(): number {
    return Math.max(10, Math.min(1000, this.limits.idleMs / 4, this.limits.windowMs / 4));
  }
}
