// The sinks' maintenance schedules live in Redis: after Redis loses them, a running sinks
// process puts them back by itself, and the sweep runs again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMaintenance, type Maintenance } from '../../src/sinks/maintenance.js';
import { dropPrefix } from '../support/redis.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';

let rt: TestRuntime;
let maintenance: Maintenance;

beforeAll(async () => {
  rt = await createTestRuntime('sinks_maintenance');
  maintenance = await startMaintenance(rt, { sweepEveryMs: 200 });
});
afterAll(async () => {
  await maintenance.close();
  await rt.teardown();
});

describe('maintenance schedules', () => {
  it('registers the sweep again after Redis lost it, and the sweep runs again', async () => {
    expect(await maintenance.queue.getJobScheduler('sinks-sweep')).toBeTruthy();
    await dropPrefix(rt.prefix);
    expect(await maintenance.queue.getJobScheduler('sinks-sweep')).toBeFalsy();
    await waitFor(async () => (await maintenance.queue.getJobScheduler('sinks-sweep')) ?? null, {
      what: 'the sweep schedule back',
      timeoutMs: 5_000,
    });
    const ran = new Set<string>();
    maintenance.worker.on('completed', (job) => ran.add(job.name));
    await waitFor(() => ran.has('sweep'), { what: 'a sweep after the loss', timeoutMs: 5_000 });
  });
});
