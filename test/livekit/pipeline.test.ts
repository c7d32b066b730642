// outdial end to end on the real stack: the roles as real processes (`bin/outdial.js api`,
// `scheduler`, `dialer` with OUTDIAL_TELEPHONY=livekit, `sinks`, `agent start`) against
// livekit-server + livekit-sip (scripts/livekit-stack), the sipp switchboard as the phones and the
// provider doubles as Cartesia, Deepgram and OpenAI. Everything is set up through the public API
// and every result is read back from it, from the stored call events, from what reached the
// phones (SIP and RTP on the wire), from the real server's webhooks and from the agent's /metrics.
// Run with `npm run test:livekit` (not part of `npm test`).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Queue } from 'bullmq';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/demo/api-client.js';
import { derivedId } from '../../src/core/ids.js';
import { queueNames } from '../../src/core/queues.js';
import { newWebhookSecret } from '../../src/core/secrets.js';
import type { LiveKitStack } from '../../scripts/livekit-stack/stack.js';
import { roleEnv } from '../chaos/role-env.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { lastToolResultName, lastUserText, startProviderDoubles, type ChatReply, type ProviderDoubles } from '../support/provider-doubles/index.js';
import { dropPrefix, testPrefix, TEST_REDIS_URL } from '../support/redis.js';
import { TEST_ADMIN_TOKEN } from '../support/runtime.js';
import { waitFor } from '../support/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { freeLoopbackPort } from '../../src/core/free-port.js';
import { spawnOutdial, type OutdialProcess } from './support/outdial-processes.js';
import { phoneAudioFiles } from './support/phone-audio.js';
import { speechPackets } from './support/rtp-capture.js';
import { MID_MESSAGE_HANGUP_MS, PHONES, REJECTIONS, startSwitchboard, type PhoneName, type Switchboard } from './support/switchboard.js';
import { startPrivateLiveKitStack } from './support/private-stack.js';
import { ACCEPTED_REFER_LINES } from './support/refer-dialogue.js';
import { startWebhookTap, type WebhookTap } from './support/webhook-tap.js';

const CALLER_ID = '+12025550100';
const SCHEDULE_STT_MODEL = 'nova-3-pipeline-schedule';
const OPT_OUT_STT_MODEL = 'nova-3-pipeline-optout';
const TRANSFER_STT_MODEL = 'nova-3-pipeline-transfer';
const SCHEDULE_ANSWER = 'yes, Tuesday at three works';
const OPT_OUT_ANSWER = 'please stop calling me';
const TRANSFER_ASK = 'can I speak to a real person';
const TRANSFER_TO = 'sip:+15559990000@transfer.example';
const TRANSFER_ANNOUNCE = 'One moment, connecting you.';
const ONE_WAY_MESSAGE = 'Hello {{first_name}}, this is the pharmacy. Your prescription is ready for pickup at the main street store.';
const VOICEMAIL_MESSAGE = 'Hi {{first_name}}, this is the pharmacy. Your prescription is ready. No need to call back.';

/** Open at every hour of every day, so the test never waits for a window. */
const allDay = {
  timezoneFallback: 'America/New_York',
  weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]])),
  quietHours: null,
  allowQuietHours: true,
  blackoutDates: [],
};

const common = {
  schedule: allDay,
  retry: { maxAttempts: 1 },
  recording: false,
  callerId: CALLER_ID,
  defaultRegion: 'US',
  ringTimeoutSeconds: 6,
  maxCallSeconds: 60,
};

const oneWayCampaign = {
  ...common,
  name: 'Real one-way',
  mode: 'one_way',
  message: ONE_WAY_MESSAGE,
  amd: { enabled: true, onMachine: 'leave_voicemail', voicemailMessage: VOICEMAIL_MESSAGE },
};

const twoWay = (name: string, sttModel: string, greeting: string) => ({
  ...common,
  name,
  mode: 'two_way',
  instructions: 'You call {{first_name}} for the clinic. Settle the appointment and record the outcome.',
  greeting,
  amd: { enabled: true, onMachine: 'hangup', voicemailMessage: null },
  outcomeSchema: {
    type: 'object',
    properties: { confirmed: { type: 'boolean' }, slot: { type: 'string' } },
    required: ['confirmed'],
  },
  voice: { sttModel },
});

/**
 * Cold transfer: the transfer phone asks for a person and accepts the REFER. Two attempts allowed,
 * with short delays, so a transferred contact that were wrongly retried would show a second attempt.
 */
const transferCampaign = {
  ...twoWay('Real two-way transfer', TRANSFER_STT_MODEL, 'Hi {{first_name}}, this is the clinic about your appointment. Is now a good time?'),
  retry: { maxAttempts: 2, delays: { busy: '1s', no_answer: '1s', voicemail: '1s', failed: '1s' } },
  transfer: { to: TRANSFER_TO, announce: TRANSFER_ANNOUNCE },
};

/** The phones the one-way batch dials: one contact per behaviour. */
const ONE_WAY_PHONES = ['human', 'voicemail', 'hangup', 'busy', 'decline', 'not_found', 'unavailable', 'no_answer', 'hangup_mid_message'] as const satisfies readonly PhoneName[];

/** RTP stamps on loopback against sipp's log banners: jitter allowed, never more. */
const WIRE_TOLERANCE_MS = 100;

/** What the LLM double answers: the tool the callee's words call for, then goodbye. */
function llmReply(req: Parameters<typeof lastUserText>[0]): ChatReply {
  const tool = lastToolResultName(req);
  if (tool === 'end_call' || tool === 'opt_out') return { text: 'Thank you. Goodbye.' };
  // A transfer ends the session; were a reply still asked for, the callee is gone: say nothing.
  if (tool === 'transfer_call') return { text: '' };
  if (tool === 'record_outcome') return { toolCalls: [{ name: 'end_call', arguments: { calleeWords: 'Tuesday at three works' } }] };
  const said = lastUserText(req).toLowerCase();
  if (said.includes('stop calling')) return { toolCalls: [{ name: 'opt_out', arguments: { calleeWords: OPT_OUT_ANSWER } }] };
  if (said.includes('real person')) return { toolCalls: [{ name: 'transfer_call', arguments: { calleeWords: 'speak to a real person' } }] };
  if (said.includes('tuesday')) return { toolCalls: [{ name: 'record_outcome', arguments: { confirmed: true, slot: 'Tuesday 15:00' } }] };
  return { text: 'Sorry, could you say that again?' };
}

interface AttemptItem {
  id: string;
  phone: string;
  status: string;
  outcome: string | null;
  amd: { result?: string } | null;
  sipStatus: number | null;
  answeredAt: string | null;
  transferredTo: string | null;
}

interface StoredEvent {
  type: string;
  attempt_id: string | null;
  occurred_at: Date;
  data: Record<string, unknown>;
}

let stack: LiveKitStack;
let phones: Switchboard;
let providers: ProviderDoubles;
let testDb: TestDatabase;
let prefix: string;
let tap: WebhookTap;
let receiver: WebhookReceiver;
let rooms: RoomServiceClient;
let apiUrl: string;
let agentUrl: string;
let receiverSecret = '';
const roles: OutdialProcess[] = [];

/** The public API as a client sees it (the demo's client). */
function api<T>(method: string, path: string, token: string, body?: unknown, contentType?: string): Promise<T> {
  return new ApiClient(apiUrl, token).request<T>(method, path, body, contentType);
}

interface Run {
  orgKey: string;
  orgId: string;
  batchId: string;
}

async function createOrg(name: string): Promise<{ id: string; apiKey: string }> {
  return api('POST', '/v1/orgs', TEST_ADMIN_TOKEN, { name, maxConcurrency: 10 });
}

async function startBatch(org: { id: string; apiKey: string }, campaign: object, contacts: readonly PhoneName[], maxConcurrency = 1): Promise<Run> {
  const created = await api<{ id: string }>('POST', '/v1/campaigns', org.apiKey, campaign);
  const csv = ['phone,first_name', ...contacts.map((p, i) => `${PHONES[p]},Caller${i}`)].join('\n');
  const report = await api<{ batchId: string; accepted: number }>(
    'POST',
    `/v1/campaigns/${created.id}/batches?name=real&maxConcurrency=${maxConcurrency}`,
    org.apiKey,
    csv,
    'text/csv',
  );
  expect(report.accepted).toBe(contacts.length);
  await api('POST', `/v1/batches/${report.batchId}/start`, org.apiKey, {});
  return { orgKey: org.apiKey, orgId: org.id, batchId: report.batchId };
}

async function attemptsOf(run: Run): Promise<AttemptItem[]> {
  return (await api<{ items: AttemptItem[] }>('GET', `/v1/batches/${run.batchId}/attempts?limit=100`, run.orgKey)).items;
}

async function eventsOf(attemptId: string): Promise<StoredEvent[]> {
  const { rows } = await testDb.pool.query<StoredEvent>('select type, attempt_id, occurred_at, data from call_events where attempt_id = $1 order by seq', [attemptId]);
  return rows;
}

function byPhone(items: AttemptItem[]): Record<string, AttemptItem> {
  const entries = items.map((a) => [(Object.keys(PHONES) as PhoneName[]).find((p) => PHONES[p] === a.phone) ?? a.phone, a] as const);
  return Object.fromEntries(entries);
}

const runs: { oneWay?: Run; schedule?: Run; optOut?: Run; transfer?: Run } = {};

/** Every attempt of the run, all batches. */
async function allAttempts(): Promise<AttemptItem[]> {
  const batches = [runs.oneWay, runs.schedule, runs.optOut, runs.transfer];
  return (await Promise.all(batches.map((run) => attemptsOf(run!)))).flat();
}

beforeAll(async () => {
  const apiPort = await freeLoopbackPort();
  const agentPort = await freeLoopbackPort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  agentUrl = `http://127.0.0.1:${agentPort}`;
  tap = await startWebhookTap(`${apiUrl}/livekit/webhook`);
  stack = await startPrivateLiveKitStack({ webhookUrl: tap.url });
  rooms = new RoomServiceClient(stack.url, stack.apiKey, stack.apiSecret);
  phones = await startSwitchboard({ logDir: stack.logs.dir });
  providers = await startProviderDoubles({
    deepgram: {
      // Each two-way campaign has its own STT model name: the only thing a connection carries.
      script: (conn) =>
        conn.query.model?.includes(SCHEDULE_STT_MODEL)
          ? [SCHEDULE_ANSWER]
          : conn.query.model?.includes(OPT_OUT_STT_MODEL)
            ? [OPT_OUT_ANSWER]
            : conn.query.model?.includes(TRANSFER_STT_MODEL)
              ? [TRANSFER_ASK]
              : [],
    },
    openai: { reply: llmReply },
  });
  testDb = await createTestDatabase('pipeline');
  prefix = testPrefix('pipeline');
  receiverSecret = newWebhookSecret();
  receiver = await startWebhookReceiver(receiverSecret);

  // One key for every role: the api seals webhook secrets with it, the sinks open them.
  const encryptionKey = randomBytes(32).toString('base64url');
  const base = (role: 'api' | 'scheduler' | 'dialer' | 'sinks') => ({
    ...roleEnv(role, {
      databaseUrl: testDb.url,
      redisUrl: TEST_REDIS_URL,
      prefix,
      port: apiPort,
      encryptionKey,
      adminToken: TEST_ADMIN_TOKEN,
      logLevel: process.env.TEST_LOG_LEVEL ?? 'info',
      simSeed: 1,
      simTimeScale: 1,
      callsDir: stack.logs.dir,
    }),
    OUTDIAL_TELEPHONY: 'livekit',
    LIVEKIT_URL: stack.wsUrl,
    LIVEKIT_API_KEY: stack.apiKey,
    LIVEKIT_API_SECRET: stack.apiSecret,
  });
  const dir = stack.logs.dir;
  roles.push(spawnOutdial('sinks', ['sinks'], base('sinks'), dir));
  roles.push(spawnOutdial('api', ['api'], { ...base('api'), LOG_LEVEL: 'debug' }, dir));
  roles.push(
    spawnOutdial(
      'dialer',
      ['dialer'],
      {
        ...base('dialer'),
        OUTDIAL_SIP_TRUNK_ADDRESS: phones.address,
        OUTDIAL_SIP_TRUNK_NUMBERS: CALLER_ID,
        OUTDIAL_SIP_TRUNK_TRANSPORT: 'udp',
        // A job process started cold (tsx, Silero) on this busy machine can take a while to join.
        OUTDIAL_AGENT_JOIN_TIMEOUT_SECONDS: '90',
      },
      dir,
    ),
  );
  roles.push(spawnOutdial('scheduler', ['scheduler'], base('scheduler'), dir));
  roles.push(
    spawnOutdial(
      'agent',
      ['agent', 'start'],
      {
        ...base('sinks'),
        ...providers.env,
        OUTDIAL_AGENT_PORT: String(agentPort),
        // Load as calls in progress, not CPU: this shared 2-core machine runs the whole system at
        // once, and livekit-server gives no job to a worker reporting a load of 1.
        OUTDIAL_AGENT_MAX_CALLS: '8',
        // Warm job processes for every call in flight (2 one-way + 3 two-way).
        OUTDIAL_AGENT_IDLE_PROCESSES: '5',
        // The framework's 10 s for a job process to start is short when the whole system shares
        // 2 cores: past it the process is killed and restarted, and the call waits on.
        OUTDIAL_AGENT_PROCESS_START_TIMEOUT_SECONDS: '60',
      },
      dir,
    ),
  );
  await waitFor(async () => (await fetch(`${apiUrl}/readyz`)).ok, { timeoutMs: 60_000, intervalMs: 250, what: 'the api to be ready' });
  await waitFor(async () => (await fetch(`${agentUrl}/readyz`)).ok, { timeoutMs: 60_000, intervalMs: 250, what: 'the agent to be ready' });
  const agent = roles.find((r) => r.name === 'agent');
  await waitFor(async () => (await agent?.logLines())?.some((l) => l.msg === 'registered worker'), {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: 'the agent worker to register with livekit-server',
  });

  const orgA = await createOrg('Pipeline A');
  const orgB = await createOrg('Pipeline B');
  await api('POST', '/v1/webhooks', orgA.apiKey, { url: receiver.url, events: ['*'], secret: receiverSecret });
  runs.oneWay = await startBatch(orgA, oneWayCampaign, ONE_WAY_PHONES, 2);
  runs.schedule = await startBatch(orgA, twoWay('Real two-way schedule', SCHEDULE_STT_MODEL, 'Hi {{first_name}}, this is the clinic. Can you come in on Tuesday at three?'), ['talker']);
  // The opt-out puts the talker's number on its org's DNC list: another org, so nothing else is suppressed.
  runs.transfer = await startBatch(orgA, transferCampaign, ['transfer']);
  runs.optOut = await startBatch(orgB, twoWay('Real two-way opt-out', OPT_OUT_STT_MODEL, 'Hi {{first_name}}, this is the clinic with a short question. Do you have a minute?'), ['talker']);

  // Settled: every batch completed (each contact has one attempt: maxAttempts 1).
  await waitFor(
    async () => {
      for (const run of [runs.oneWay, runs.schedule, runs.optOut, runs.transfer]) {
        const b = await api<{ status: string }>('GET', `/v1/batches/${run?.batchId ?? ''}`, run?.orgKey ?? '');
        if (b.status !== 'completed') return false;
      }
      return true;
    },
    { timeoutMs: 480_000, intervalMs: 1_000, what: 'every batch to complete' },
  );
}, 15 * 60_000);


afterAll(async () => {
  for (const r of [...roles].reverse()) await r.stop();
  await receiver?.close();
  await providers?.stop();
  await phones?.stop();
  await stack?.stop();
  await tap?.close();
  await testDb?.drop();
  if (prefix) await dropPrefix(prefix);
}, 120_000);

describe('outdial on the real LiveKit stack', () => {
  // [phone, outcome, SIP status, reason] exactly as livekit-sip reported each failure.
  it.each([
    ['busy', 'busy', REJECTIONS.busy.status, REJECTIONS.busy.reason],
    ['decline', 'rejected', REJECTIONS.decline.status, REJECTIONS.decline.reason],
    ['not_found', 'invalid_number', REJECTIONS.not_found.status, REJECTIONS.not_found.reason],
    ['unavailable', 'no_answer', REJECTIONS.unavailable.status, REJECTIONS.unavailable.reason],
    ['no_answer', 'no_answer', null, 'ring timeout'],
  ] as const)('the %s phone: outcome %s, SIP status %s, reason "%s"', async (phone, outcome, sipStatus, reason) => {
    const attempt = byPhone(await attemptsOf(runs.oneWay!))[phone];
    expect(attempt).toMatchObject({ status: 'finished', outcome, sipStatus, answeredAt: null });
    const failed = (await eventsOf(attempt!.id)).filter((e) => e.type === 'call.failed');
    expect(failed.map((e) => e.data)).toEqual([
      { outcome, sipStatus, reason, stage: 'sip', roomName: `call-${attempt!.id}` },
    ]);
    // livekit-sip really dialled it: the phone got the INVITE.
    expect(await phones.callIdsTo(PHONES[phone])).toHaveLength(1);
  });

  it('the human phone: AMD says human on the real audio, and the whole message reaches the phone', async () => {
    const attempt = byPhone(await attemptsOf(runs.oneWay!)).human!;
    expect(attempt).toMatchObject({ status: 'finished', outcome: 'completed', amd: { result: 'human' } });
    const types = (await eventsOf(attempt.id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['call.answered', 'call.amd_result', 'call.notification_delivered', 'call.completed']));
    expect(providers.cartesia.spoken.map((s) => s.text)).toContain(ONE_WAY_MESSAGE.replace('{{first_name}}', 'Caller0'));
    const [sipCallId] = await phones.callIdsTo(PHONES.human);
    // About 6 s of speech: 300 packets of 20 ms, most of them with speech energy.
    expect(await phones.speechPacketsReceived(sipCallId ?? '')).toBeGreaterThan(150);
  });

  it('the voicemail phone: AMD says machine, and the voicemail message is spoken after the beep', async () => {
    const attempt = byPhone(await attemptsOf(runs.oneWay!)).voicemail!;
    expect(attempt).toMatchObject({ status: 'finished', outcome: 'voicemail_left', amd: { result: 'machine' } });
    const events = await eventsOf(attempt.id);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['call.amd_result', 'call.voicemail_left', 'call.completed']));
    expect(providers.cartesia.spoken.map((s) => s.text)).toContain(VOICEMAIL_MESSAGE.replace('{{first_name}}', 'Caller1'));
    const [sipCallId] = await phones.callIdsTo(PHONES.voicemail);
    expect(await phones.speechPacketsReceived(sipCallId ?? '')).toBeGreaterThan(100);
    // On the wire: the first packet with speech energy that reached the machine came after the
    // beep had played out. The phone's audio starts when it gets the ACK, so the beep's offset in
    // voicemail.wav counts from there.
    const { voicemailBeepEndMs } = await phoneAudioFiles();
    const audioStartedAt = await phones.ackReceivedAtMs(sipCallId ?? '');
    const [firstSpeech] = speechPackets(await phones.rtpReceived(sipCallId ?? ''));
    expect(audioStartedAt).not.toBeNull();
    expect(firstSpeech!.capturedAtMs - audioStartedAt!).toBeGreaterThanOrEqual(voicemailBeepEndMs - WIRE_TOLERANCE_MS);
  });

  it('the phone that hangs up after 2 s: user_hangup', async () => {
    const attempt = byPhone(await attemptsOf(runs.oneWay!)).hangup!;
    const events = await eventsOf(attempt.id);
    expect(events.map((e) => e.type)).toContain('call.user_hangup');
    expect(events.find((e) => e.type === 'call.completed')?.data).toMatchObject({ reason: 'user_hangup' });
    expect(attempt.status).toBe('finished');
  });

  it('the phone that hangs up mid-message: user_hangup after the message had started, never delivered', async () => {
    const attempts = byPhone(await attemptsOf(runs.oneWay!));
    const attempt = attempts.hangup_mid_message!;
    // A hang-up on the one-way message: the attempt is done (policy.ts: outcome completed), but
    // the message is not delivered and the reason says who ended the call.
    expect(attempt).toMatchObject({ status: 'finished', outcome: 'completed', amd: { result: 'human' } });
    const events = await eventsOf(attempt.id);
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['call.answered', 'call.amd_result', 'call.user_hangup', 'call.completed']));
    expect(types).not.toContain('call.notification_delivered');
    expect(events.find((e) => e.type === 'call.user_hangup')?.data).toMatchObject({ reason: 'user_hangup', amd: { result: 'human' } });
    expect(events.find((e) => e.type === 'call.completed')?.data).toMatchObject({ outcome: 'completed', reason: 'user_hangup' });
    expect(providers.cartesia.spoken.map((s) => s.text)).toContain(ONE_WAY_MESSAGE.replace('{{first_name}}', 'Caller8'));

    // On the wire: the phone sent the BYE, on time, after the message had started reaching it
    // (half a second of speech at least) and before it could have played out: the same message
    // took longer than that at the human phone, which heard all of it.
    const [sipCallId] = await phones.callIdsTo(PHONES.hangup_mid_message);
    const lines = await phones.sipLines(sipCallId ?? '');
    expect(lines.slice(lines.findIndex((l) => l.startsWith('BYE sip:')))).toEqual([expect.stringMatching(/^BYE sip:/), 'SIP/2.0 200 OK']);
    expect((await phones.sipMessages(sipCallId ?? '', 'BYE sip:'))[0]).toMatch(/^From:.*SIPpTag01/m);
    const audioStartedAt = (await phones.ackReceivedAtMs(sipCallId ?? ''))!;
    const byeAt = (await phones.byeAtMs(sipCallId ?? ''))!;
    expect(byeAt - audioStartedAt).toBeGreaterThanOrEqual(MID_MESSAGE_HANGUP_MS - WIRE_TOLERANCE_MS);
    const heard = speechPackets(await phones.rtpReceived(sipCallId ?? '')).filter((p) => p.capturedAtMs < byeAt);
    expect(heard.length).toBeGreaterThanOrEqual(25);
    const [humanCallId] = await phones.callIdsTo(PHONES.human);
    const wholeMessage = speechPackets(await phones.rtpReceived(humanCallId ?? ''));
    const wholeMessageMs = wholeMessage.at(-1)!.capturedAtMs - wholeMessage[0]!.capturedAtMs;
    expect(byeAt - heard[0]!.capturedAtMs).toBeLessThan(wholeMessageMs - 1_000);
  });

  it('two-way: "yes, Tuesday at three works" → record_outcome stored, then end_call', async () => {
    const [attempt] = await attemptsOf(runs.schedule!);
    expect(attempt).toMatchObject({ status: 'finished', outcome: 'completed', amd: { result: 'human' } });
    const { rows } = await testDb.pool.query<{ outcome_data: unknown }>('select outcome_data from attempts where id = $1', [attempt!.id]);
    expect(rows[0]?.outcome_data).toEqual({ confirmed: true, slot: 'Tuesday 15:00' });
    const completed = (await eventsOf(attempt!.id)).find((e) => e.type === 'call.completed');
    expect(completed?.data).toMatchObject({ outcome: 'completed', optOut: false, outcomeData: { confirmed: true, slot: 'Tuesday 15:00' } });
    expect(completed?.data.transcript).toEqual(expect.arrayContaining([expect.objectContaining({ role: 'callee', text: SCHEDULE_ANSWER })]));
  });

  it('two-way: "please stop calling me" → opt_out → the number is on that org\'s DNC list only', async () => {
    const [attempt] = await attemptsOf(runs.optOut!);
    expect(attempt).toMatchObject({ status: 'finished', outcome: 'completed' });
    const completed = (await eventsOf(attempt!.id)).find((e) => e.type === 'call.completed');
    expect(completed?.data).toMatchObject({ optOut: true });
    const dnc = await api<{ items: { phone: string }[] }>('GET', '/v1/dnc', runs.optOut!.orgKey);
    expect(dnc.items.map((d) => d.phone)).toEqual([PHONES.talker]);
    const other = await api<{ items: { phone: string }[] }>('GET', '/v1/dnc', runs.oneWay!.orgKey);
    expect(other.items).toEqual([]);
  });

  it('two-way: "can I speak to a real person" → transfer_call → announced, REFER accepted, transferred, not retried', async () => {
    const attempts = await attemptsOf(runs.transfer!);
    // Transferred is final: one attempt although the campaign allows two.
    expect(attempts).toHaveLength(1);
    const attempt = attempts[0]!;
    expect(attempt).toMatchObject({ status: 'finished', outcome: 'transferred', amd: { result: 'human' }, transferredTo: TRANSFER_TO });
    const { rows: contacts } = await testDb.pool.query<{ status: string }>('select status from contacts where id = (select contact_id from attempts where id = $1)', [attempt.id]);
    expect(contacts).toEqual([{ status: 'finished' }]);

    const events = await eventsOf(attempt.id);
    const types = events.map((e) => e.type);
    expect(types).not.toContain('call.user_hangup');
    expect(types).not.toContain('call.transfer_failed');
    const transferred = events.find((e) => e.type === 'call.transferred');
    const completed = events.find((e) => e.type === 'call.completed');
    expect(transferred?.data).toEqual({ to: TRANSFER_TO });
    // Transferred, then completed, as the agent emitted them (the sinks may store them either way round).
    expect(transferred!.occurred_at.getTime()).toBeLessThanOrEqual(completed!.occurred_at.getTime());
    expect(completed?.data).toMatchObject({ outcome: 'transferred', reason: 'transferred', transferredTo: TRANSFER_TO, optOut: false });
    expect(completed?.data.transcript).toEqual(expect.arrayContaining([expect.objectContaining({ role: 'callee', text: TRANSFER_ASK })]));

    // The announcement was spoken to the callee before the REFER.
    expect(providers.cartesia.spoken.map((s) => s.text)).toContain(TRANSFER_ANNOUNCE);

    // On the wire: livekit-sip REFERs the phone to the target, the phone accepts, reports the new
    // call up and hangs up on the transferor.
    const [sipCallId] = await phones.callIdsTo(PHONES.transfer);
    const lines = await phones.sipLines(sipCallId ?? '');
    expect(lines.slice(lines.findIndex((l) => l.startsWith('REFER sip:')))).toEqual([...ACCEPTED_REFER_LINES]);
    const refers = await phones.sipMessages(sipCallId ?? '', 'REFER sip:');
    expect(refers).toHaveLength(1);
    expect(refers[0]).toMatch(/^Refer-To: <sip:\+15559990000@transfer\.example>\r?$/m);
    const notifies = await phones.sipMessages(sipCallId ?? '', 'NOTIFY sip:');
    expect(notifies.map((n) => /^SIP\/2\.0 \d{3}/m.exec(n.split(/\r?\n\r?\n/)[1] ?? '')?.[0])).toEqual(['SIP/2.0 100', 'SIP/2.0 200']);

    // The callee's leg ended from the SIP side, as the real server reports it.
    const room = `call-${attempt.id}`;
    await waitFor(() => tap.received.some((w) => w.room === room && w.event === 'participant_left' && w.participant?.identity === 'callee'), {
      timeoutMs: 30_000,
      what: 'the callee to leave the transfer call\'s room',
    });
    const left = tap.received.filter((w) => w.room === room && w.event === 'participant_left' && w.participant?.identity === 'callee');
    expect(left.map((w) => w.participant?.disconnectReason)).toEqual(['CLIENT_INITIATED']);

    // The org's endpoint heard of it.
    await waitFor(
      () => receiver.received.some((r) => r.verified && r.body?.type === 'call.transferred' && r.body.attemptId === attempt.id),
      { timeoutMs: 30_000, what: 'the call.transferred webhook' },
    );
  });

  it('every attempt had its room call-<attemptId>, with the agent dispatched as outdial-agent and joined', async () => {
    const all = await allAttempts();
    expect(all).toHaveLength(ONE_WAY_PHONES.length + 3);
    const serverLog = await readFile(stack.logs.server, 'utf8');
    for (const a of all) {
      const room = `call-${a.id}`;
      // The room's first webhook. (A second DeleteRoom of a room just deleted, the agent's and the
      // dialer's after a failed dial, makes livekit-server v1.13.5 send room_started + room_finished again.)
      expect(tap.received.find((w) => w.room === room)).toMatchObject({ event: 'room_started', status: 200 });
      const agents = tap.received.filter((w) => w.room === room && w.event === 'participant_joined' && w.participant?.kind === 'AGENT');
      expect(agents).toHaveLength(1);
      expect(agents[0]?.participant?.identity).toMatch(/^agent-AJ_/);
      const assigned = serverLog.split('\n').filter((l) => l.includes('assigned job to worker') && l.includes(`"room": "${room}"`));
      expect(assigned).toHaveLength(1);
      expect(assigned[0]).toContain('"agentName": "outdial-agent"');
    }
  });

  it('the real server\'s signed room_finished and participant_left webhooks are verified and handed to the sinks', async () => {
    const all = await allAttempts();
    expect(tap.received.length).toBeGreaterThan(0);
    expect(tap.received.every((w) => w.signed && w.status === 200)).toBe(true);
    const queue = new Queue(queueNames.callEvents, { connection: { url: TEST_REDIS_URL }, prefix });
    try {
      for (const a of all) {
        const room = `call-${a.id}`;
        await waitFor(() => tap.received.some((w) => w.room === room && w.event === 'room_finished'), { timeoutMs: 30_000, what: `room_finished of ${room}` });
        // The callee left every room it joined (an answered call, or a dial livekit-sip tried).
        expect(tap.received.some((w) => w.room === room && w.event === 'participant_left' && w.participant?.identity === 'callee')).toBe(true);
        // The close they stand for reached the sinks (deferred 15 s; recorded only if the attempt were still open).
        const jobId = derivedId(`livekit:${a.id}:close:call.completed`);
        await waitFor(async () => (await queue.getJobState(jobId)) === 'completed', { timeoutMs: 40_000, intervalMs: 500, what: `the sinks to take ${jobId}` });
      }
    } finally {
      await queue.close();
    }
  }, 180_000);

  it('outdial\'s own signed webhooks reached the org\'s endpoint', async () => {
    const attempts = await attemptsOf(runs.oneWay!);
    await waitFor(
      () => attempts.every((a) => receiver.received.some((r) => r.verified && r.body?.type === 'contact.finished' && r.body.attemptId === a.id)),
      { timeoutMs: 30_000, what: 'a contact.finished webhook per attempt' },
    );
    expect(receiver.received.every((r) => r.verified)).toBe(true);
  });

  it('no call room is left on the server when the run ends', async () => {
    const all = await allAttempts();
    const ours = new Set(all.map((a) => `call-${a.id}`));
    await waitFor(async () => (await rooms.listRooms()).every((r) => !ours.has(r.name)), { timeoutMs: 30_000, what: 'every call room to be gone' });
  });

  it('the agent\'s /metrics shows the AMD decisions and turn latency of the run', async () => {
    const text = await waitFor(
      async () => {
        const t = await (await fetch(`${agentUrl}/metrics`)).text();
        return /^outdial_turn_latency_seconds_count [1-9]/m.test(t) ? t : null;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'turn latency on the agent\'s /metrics' },
    );
    expect(text).toMatch(/^outdial_amd_decision_seconds_count\{result="human"\} [3-9]$/m);
    expect(text).toMatch(/^outdial_amd_decision_seconds_count\{result="machine"\} 1$/m);
    expect(text).not.toMatch(/^outdial_agent_session_errors_total/m);
  });
});
