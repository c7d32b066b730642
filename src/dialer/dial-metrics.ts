// outdial_dial_setup_seconds, as core's metrics catalog defines it: dial job picked up → SIP
// participant created (answered) or the call failed. Against an instant answer (the protocol
// double, the Sim) that is the dialer's own overhead; in production it includes the ringing.
import type { Registry } from 'prom-client';
import { outdialMetrics } from '../core/metrics-catalog.js';

export interface DialMetrics {
  /** Job picked up → answered or failed; only for jobs that dialled. */
  dialSetup(seconds: number): void;
  /** Job picked up → INVITE sent (claim, call.dialing, room, dispatch). Not exported; the benchmark reads it. */
  inviteSent?(seconds: number): void;
}

export function dialMetrics(registry: Registry): DialMetrics {
  const setup = outdialMetrics(registry).dialSetup;
  return { dialSetup: (seconds) => setup.observe(seconds) };
}
