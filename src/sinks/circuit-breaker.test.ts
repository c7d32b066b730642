import { describe, expect, it } from 'vitest';
import { shouldTrip, tripReason } from './circuit-breaker.js';

describe('circuit breaker', () => {
  it('trips when half of at least ten recent attempts failed', () => {
    expect(shouldTrip({ total: 10, failed: 5 })).toBe(true);
    expect(shouldTrip({ total: 30, failed: 29 })).toBe(true);
  });

  it('stays closed below ten attempts, however many failed', () => {
    expect(shouldTrip({ total: 9, failed: 9 })).toBe(false);
  });

  it('stays closed when fewer than half failed', () => {
    expect(shouldTrip({ total: 10, failed: 4 })).toBe(false);
  });

  it('names the counts and the window in its reason', () => {
    expect(tripReason({ total: 12, failed: 7 })).toBe(
      'circuit_breaker: 7 of the last 12 attempts failed within 120s',
    );
  });
});
