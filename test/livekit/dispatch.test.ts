// What livekit-server does with an agent dispatch while outdial's agent fleet is full, as the
// Twirp double models it (test/support/livekit-double/agents-egress.ts) and the dialer relies on
// (LiveKitTelephony.waitForAgent): the job request is dropped, the dispatch stays with no job, the
// server never tries again once the worker is free, and replacing the dispatch gets an agent.
// One real `outdial agent start` worker with OUTDIAL_AGENT_MAX_CALLS=1; no phone is needed (an
// agent job waits in its room for a callee who never comes). Last, the drain on SIGTERM.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_NAME, agentDispatchMetadata } from '../../src/dialer/call-metadata.js';
import type { LiveKitStack } from '../../scripts/livekit-stack/stack.js';
import { roleEnv } from '../chaos/role-env.js';
import { dialRequest } from '../integration/dialer-support.js';
import { dropPrefix, testPrefix, TEST_REDIS_URL } from '../support/redis.js';
import { TEST_ADMIN_TOKEN } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { freeLoopbackPort } from '../../src/core/free-port.js';
import { spawnOutdial, type OutdialProcess } from './support/outdial-processes.js';
import { startPrivateLiveKitStack } from './support/private-stack.js';

/** ParticipantInfo.Kind.AGENT (not re-exported by livekit-server-sdk). */
const AGENT_KIND = 4;

let stack: LiveKitStack;
let rooms: RoomServiceClient;
let dispatches: AgentDispatchClient;
let agent: OutdialProcess;
let prefix: string;

beforeAll(async () => {
  stack = await startPrivateLiveKitStack();
  rooms = new RoomServiceClient(stack.url, stack.apiKey, stack.apiSecret);
  dispatches = new AgentDispatchClient(stack.url, stack.apiKey, stack.apiSecret);
  prefix = testPrefix('dispatch');
  const env = roleEnv('sinks', {
    databaseUrl: 'postgres://postgres@127.0.0.1:5432/outdial_unused',
    redisUrl: TEST_REDIS_URL,
    prefix,
    port: 0,
    encryptionKey: randomBytes(32).toString('base64url'),
    adminToken: TEST_ADMIN_TOKEN,
    logLevel: 'info',
    simSeed: 1,
    simTimeScale: 1,
    callsDir: stack.logs.dir,
  });
  agent = spawnOutdial(
    'agent',
    ['agent', 'start'],
    {
      ...env,
      LIVEKIT_URL: stack.wsUrl,
      LIVEKIT_API_KEY: stack.apiKey,
      LIVEKIT_API_SECRET: stack.apiSecret,
      OUTDIAL_AGENT_PORT: String(await freeLoopbackPort()),
      OUTDIAL_AGENT_MAX_CALLS: '1',
      OUTDIAL_AGENT_IDLE_PROCESSES: '2',
      OUTDIAL_AGENT_PROCESS_START_TIMEOUT_SECONDS: '60',
    },
    stack.logs.dir,
    { processGroup: true },
  );
  await waitFor(async () => (await agent.logLines()).some((l) => l.msg === 'registered worker'), {
    timeoutMs: 90_000,
    intervalMs: 250,
    what: 'the agent worker to register with livekit-server',
  });
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await stack?.stop();
  if (prefix) await dropPrefix(prefix);
});

async function agentIn(room: string): Promise<boolean> {
  return (await rooms.listParticipants(room)).some((p) => Number(p.kind) === AGENT_KIND);
}

async function dispatchInto(room: string) {
  await rooms.createRoom({ name: room, emptyTimeout: 120 });
  return dispatches.createDispatch(room, AGENT_NAME, { metadata: JSON.stringify(agentDispatchMetadata(dialRequest('+12025550101'))) });
}

async function jobsOf(dispatchId: string, room: string) {
  return (await dispatches.getDispatch(dispatchId, room))?.state?.jobs ?? [];
}

const agentSaid = async (msg: string) => (await agent.logLines()).some((l) => l.msg === msg);

describe('an agent dispatch while the fleet is full (livekit-server v1.13.5)', () => {
  it('is dropped and never retried; a replacement dispatch gets the agent once a worker is free', async () => {
    // The only call the worker takes (OUTDIAL_AGENT_MAX_CALLS=1): it reports itself full.
    await dispatchInto('call-holding');
    await waitFor(() => agentIn('call-holding'), { timeoutMs: 60_000, what: 'the agent in the first room' });
    await waitFor(() => agentSaid('worker is at full capacity, marking as unavailable'), { timeoutMs: 30_000, what: 'the worker to report itself full' });

    const waiting = await dispatchInto('call-waiting');
    const serverLog = () => readFile(join(stack.logs.dir, 'livekit-server.log'), 'utf8');
    await waitFor(async () => (await serverLog()).includes('no servers available'), { timeoutMs: 30_000, what: 'livekit-server to drop the job request' });
    expect(await jobsOf(waiting.id, 'call-waiting')).toEqual([]);

    // The first call ends; the worker is free again and says so.
    await rooms.deleteRoom('call-holding');
    await waitFor(() => agentSaid('worker is below capacity, marking as available'), { timeoutMs: 30_000, what: 'the worker to report itself free' });
    // The server does not come back to the dropped dispatch: over two more load reports (2.5 s
    // apart), no job and no agent appear.
    const served = waitFor(async () => (await jobsOf(waiting.id, 'call-waiting')).length > 0 || (await agentIn('call-waiting')), {
      timeoutMs: 6_000,
      what: 'a job for the dropped dispatch',
    });
    await expect(served).rejects.toThrow(/a job for the dropped dispatch/);

    // What the dialer does: replace the dispatch.
    await dispatches.deleteDispatch(waiting.id, 'call-waiting');
    const again = await dispatches.createDispatch('call-waiting', AGENT_NAME, {
      metadata: JSON.stringify(agentDispatchMetadata(dialRequest('+12025550101'))),
    });
    await waitFor(() => agentIn('call-waiting'), { timeoutMs: 60_000, what: 'the agent in the second room' });
    expect(await jobsOf(again.id, 'call-waiting')).toHaveLength(1);
    await rooms.deleteRoom('call-waiting');
  }, 240_000);
});

describe('the agent on SIGTERM', () => {
  it('keeps its call in flight to the end (a warm spare process does not cut the drain short), then exits 0', async () => {
    // As the dialer does: a dispatch made while the worker still reported itself full is replaced.
    let dispatch = await dispatchInto('call-draining');
    await waitFor(
      async () => {
        if (await agentIn('call-draining')) return true;
        if ((await jobsOf(dispatch.id, 'call-draining')).length === 0 && Date.now() - Number(dispatch.state?.createdAt ?? 0n) / 1e6 > 5_000) {
          await dispatches.deleteDispatch(dispatch.id, 'call-draining');
          dispatch = await dispatches.createDispatch('call-draining', AGENT_NAME, {
            metadata: JSON.stringify(agentDispatchMetadata(dialRequest('+12025550101'))),
          });
        }
        return false;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the agent in the room' },
    );

    agent.child.kill('SIGTERM');
    await waitFor(() => agentSaid('shutdown.draining'), { timeoutMs: 30_000, what: 'the drain to begin' });
    // While the call lasts, the agent stays in it and the process runs on.
    const cut = waitFor(async () => agent.child.exitCode !== null || !(await agentIn('call-draining')), { timeoutMs: 5_000, what: 'the call to be cut' });
    await expect(cut).rejects.toThrow(/the call to be cut/);

    // The call ends: the worker finishes its shutdown.
    await rooms.deleteRoom('call-draining');
    await waitFor(() => agent.child.exitCode !== null, { timeoutMs: 60_000, what: 'the agent to exit' });
    expect(agent.child.exitCode).toBe(0);
  }, 180_000);
});
