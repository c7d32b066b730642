// outdial_dial_setup_seconds: from picking up a `dial` job to handing the call to the phone network
// (the INVITE): the overhead the dialer adds before the phone rings. Labelled by adapter only.
import { Histogram, type Registry } from 'prom-client';
import { metricOnce } from '../core/metrics.js';

export interface DialMetrics {
  observeSetup(telephony: 'livekit' | 'sim', seconds: number): void;
}

export function dialMetrics(registry: Registry): DialMetrics {
  const setup = metricOnce(
    registry,
    'outdial_dial_setup_seconds',
    () =>
      new Histogram({
        name: 'outdial_dial_setup_seconds',
        help: 'Time from taking a dial job to sending the INVITE (claim, room, agent dispatch).',
        labelNames: ['telephony'] as const,
        buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      }),
  );
  return { observeSetup: (telephony, seconds) => setup.observe({ telephony }, seconds) };
}
