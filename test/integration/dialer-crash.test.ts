// A dialer killed after moving an attempt to `dialing` but before createSipParticipant: the job is
// found stalled and redelivered, and the second dialer must not dial that attempt again.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Job } from 'bullmq';
import { SipClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialJob } from '../../src/core/queues.js';
import type { DialJobResult } from '../../src/dialer/dial-worker.js';
import { LiveKitTelephony } from '../../src/dialer/livekit/livekit-telephony.js';
import { postgresTrunkStore } from '../../src/dialer/livekit/trunk-store.js';
import { startDialerFromRuntime, type Dialer } from '../../src/dialer/main.js';
import { dialNumber, startLiveKitDouble, type LiveKitDouble } from '../support/livekit-double/index.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { queuedAttempts } from './dialer-support.js';

let rt: TestRuntime;
let lk: LiveKitDouble;
let trunkId: string;
let child: ChildProcess | undefined;
let survivor: Dialer | undefined;

beforeAll(async () => {
  [rt, lk] = await Promise.all([createTestRuntime('dialer_crash'), startLiveKitDouble()]);
  const sip = new SipClient(lk.url, lk.apiKey, lk.apiSecret);
  trunkId = (await sip.createSipOutboundTrunk('outdial', 'sip.example.test', ['+12025550100'])).sipTrunkId;
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await survivor?.close();
  await lk.close();
  await rt.teardown();
});

function startChildDialer(lockMs: number): ChildProcess {
  const script = fileURLToPath(new URL('./dialer-child.ts', import.meta.url));
  return spawn(process.execPath, ['--import', 'tsx', script, String(lockMs)], {
    env: {
      ...process.env,
      DATABASE_URL: rt.config.DATABASE_URL,
      REDIS_URL: rt.config.REDIS_URL,
      OUTDIAL_REDIS_PREFIX: rt.prefix,
      OUTDIAL_TELEPHONY: 'livekit',
      LIVEKIT_URL: lk.url,
      LIVEKIT_API_KEY: lk.apiKey,
      LIVEKIT_API_SECRET: lk.apiSecret,
      OUTDIAL_SIP_TRUNK_ID: trunkId,
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

describe('a dialer killed between dialing and createSipParticipant', () => {
  it('is not followed by a second dial of the same attempt', async () => {
    const { attempts } = await queuedAttempts(rt.db, [dialNumber('0001')]);
    const { attemptId } = attempts[0]!;
    const roomName = `call-${attemptId}`;
    // The agent dispatch comes after the claim and before the INVITE: freeze the child there.
    const hold = lk.hold('AgentDispatchService/CreateDispatch');
    child = startChildDialer(1_000);
    const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
    await rt.queues.dial.add('dial', { attemptId }, { jobId: attemptId });
    const arrived = await Promise.race([hold.arrived, exited.then(() => null)]);
    expect(arrived?.body.room, 'the child dialer exited before dispatching').toBe(roomName);

    const claimed = await rt.db
      .selectFrom('attempts')
      .select('status')
      .where('id', '=', attemptId)
      .executeTakeFirst();
    expect(claimed?.status).toBe('dialing');
    child.kill('SIGKILL');
    await exited;
    hold.release();

    // A surviving dialer notices the stalled job once the dead one's lock expires, and takes it.
    survivor = await startDialerFromRuntime(rt, {
      stalledIntervalMs: 250,
      telephony: new LiveKitTelephony({
        url: lk.url,
        apiKey: lk.apiKey,
        apiSecret: lk.apiSecret,
        trunk: { id: trunkId },
        trunkStore: postgresTrunkStore(rt.db),
        log: rt.log,
      }),
    });
    const job = await waitFor(
      async () => {
        const state = await rt.queues.dial.getJobState(attemptId);
        if (state !== 'completed' && state !== 'failed') return null;
        return (await rt.queues.dial.getJob(attemptId)) as Job<DialJob, DialJobResult> | undefined;
      },
      { timeoutMs: 15_000, what: 'the stalled dial job to be redelivered and finish' },
    );
    expect(job.returnvalue).toEqual({ status: 'skipped', reason: 'not_queued' });
    expect(lk.calls('SIP/CreateSIPParticipant').filter((r) => r.body.roomName === roomName)).toEqual([]);
    expect(
      lk.calls('AgentDispatchService/CreateDispatch').filter((r) => r.body.room === roomName),
    ).toHaveLength(1);
  });
});
