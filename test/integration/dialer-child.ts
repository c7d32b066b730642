// A dialer process for dialer-crash.test.ts: configured from the environment exactly like
// `outdial dialer`, with a short BullMQ lock (argv[2], ms) so its jobs are found stalled quickly
// once the test kills it. Its stalled-check interval is short too: BullMQ skips every worker's
// check while the last checker's interval-long marker key lives.
import { loadConfig } from '../../src/core/config.js';
import { createRuntime } from '../../src/core/runtime.js';
import { closeDialerOnSignals, startDialerFromRuntime } from '../../src/dialer/main.js';

const rt = createRuntime(loadConfig());
const lockDurationMs = Number(process.argv[2] ?? 30_000);
const dialer = await startDialerFromRuntime(rt, {
  lockDurationMs,
  stalledIntervalMs: Math.ceil(lockDurationMs / 4),
});
closeDialerOnSignals(dialer, () => rt.close(), rt.log);
