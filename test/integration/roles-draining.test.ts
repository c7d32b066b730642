// Shutdown as `outdial serve` and every `outdial <role>` run it (src/roles.ts, src/cli.ts): from
// the first moment of the drain, readiness answers 503 with `draining: true`, and it keeps
// answering while the roles finish their work; the api's /readyz turns the same way.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Telephony } from '../../src/dialer/telephony.js';
import { createApp } from '../../src/producers/app.js';
import { startRoles } from '../../src/roles.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await createTestRuntime('roles_draining');
});

afterAll(async () => {
  await rt.teardown();
});

/** A telephony adapter whose close waits until `release` is called: a dialer with calls in flight. */
function slowToClose(): Telephony & { release(): void } {
  let release = () => undefined as void;
  const closed = new Promise<void>((r) => (release = r));
  return {
    kind: 'sim',
    start: () => Promise.resolve(),
    dial: () => Promise.reject(new Error('no calls in this test')),
    close: () => closed,
    release: () => release(),
  };
}

describe('a role draining after SIGTERM', () => {
  it('answers /readyz 503 with draining: true while its work drains, then closes', async () => {
    const telephony = slowToClose();
    const running = await startRoles(rt, ['dialer'], { opsPort: 0, telephony });
    const url = `http://127.0.0.1:${running.opsPort!}`;
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { what: '/readyz 200' });
    const closing = running.close();
    const res = await waitFor(async () => {
      const r = await fetch(`${url}/readyz`);
      return r.status === 503 ? r : undefined;
    }, { what: '/readyz 503' });
    expect(await res.json()).toMatchObject({ ok: false, draining: true });
    // Liveness stays green: the process is healthy, only leaving.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    telephony.release();
    await closing;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('turns the api’s /readyz 503 the same way, in the same shape', async () => {
    const app = createApp(rt);
    const before = await waitFor(async () => {
      const r = await request(app).get('/readyz');
      return r.status === 200 ? r : undefined;
    });
    expect(before.body).toMatchObject({ ok: true, draining: false, checks: { postgres: { ok: true } } });
    app.setDraining();
    const after = await request(app).get('/readyz').expect(503);
    expect(after.body).toMatchObject({ ok: false, draining: true });
    await request(app).get('/healthz').expect(200, { ok: true });
  });
});
