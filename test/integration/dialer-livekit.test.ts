// The LiveKit adapter against the protocol double and the real livekit-server-sdk: what it sends
// for an answered call, how each SIP answer becomes an outcome, trunk creation and recording.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import {
  LiveKitTelephony,
  type LiveKitTelephonyOptions,
} from '../../src/dialer/livekit/livekit-telephony.js';
import { postgresTrunkStore } from '../../src/dialer/livekit/trunk-store.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { dialNumber, startLiveKitDouble, type LiveKitDouble } from '../support/livekit-double/index.js';
import { dialRequest, recordingEvents } from './dialer-support.js';
import { waitFor } from '../support/wait.js';

let lk: LiveKitDouble;
let t: TestDatabase;
let telephony: LiveKitTelephony;
const log = createLogger({ level: 'silent' });
const trunkSpec = {
  name: 'outdial',
  address: 'sip.example.test',
  numbers: ['+12025550100'],
  transport: 'tcp' as const,
};

function adapter(overrides: Partial<LiveKitTelephonyOptions> = {}): LiveKitTelephony {
  return new LiveKitTelephony({
    url: lk.url,
    apiKey: lk.apiKey,
    apiSecret: lk.apiSecret,
    trunk: { create: trunkSpec },
    trunkStore: postgresTrunkStore(t.db),
    s3: {
      bucket: 'rec',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      accessKey: 'ak',
      secret: 'sk',
    },
    log,
    ...overrides,
  });
}

beforeAll(async () => {
  [lk, t] = await Promise.all([startLiveKitDouble(), createTestDatabase('dialer_livekit')]);
  telephony = adapter();
  await telephony.start();
});
afterAll(async () => {
  await lk.close();
  await t.drop();
});

describe('SIP trunk at start-up', () => {
  it('creates the trunk once when several dialers start together, and records its id', async () => {
    const before = lk.calls('SIP/CreateSIPOutboundTrunk').length;
    const spec = {
      ...trunkSpec,
      name: 'outdial-concurrent',
      numbers: ['+12025550199'],
      username: 'trunk-user',
      password: 'trunk-pass',
    };
    const own = { trunk: { create: spec }, trunkKey: 'concurrent' };
    await Promise.all([1, 2, 3].map(() => adapter(own).start()));
    const created = lk.calls('SIP/CreateSIPOutboundTrunk').slice(before);
    expect(created).toHaveLength(1);
    expect(created[0]?.body).toMatchObject({
      trunk: {
        name: 'outdial-concurrent',
        address: 'sip.example.test',
        numbers: ['+12025550199'],
        transport: 'SIP_TRANSPORT_TCP',
        authUsername: 'trunk-user',
        authPassword: 'trunk-pass',
      },
    });
    const row = await t.db
      .selectFrom('trunks')
      .select('sip_trunk_id')
      .where('id', '=', 'concurrent')
      .executeTakeFirst();
    expect(row?.sip_trunk_id).toMatch(/^ST_/);

    // A restart reuses it.
    await adapter(own).start();
    expect(lk.calls('SIP/CreateSIPOutboundTrunk').slice(before)).toHaveLength(1);
  });

  it('finds a trunk created by a dialer that died before recording it, instead of creating another', async () => {
    const spec = { ...trunkSpec, name: 'outdial-orphan', numbers: ['+12025550198'] };
    const own = { trunk: { create: spec }, trunkKey: 'orphan' };
    await adapter(own).start();
    await t.db.updateTable('trunks').set({ sip_trunk_id: null }).where('id', '=', 'orphan').execute();
    const before = lk.calls('SIP/CreateSIPOutboundTrunk').length;
    await adapter(own).start();
    expect(lk.calls('SIP/CreateSIPOutboundTrunk').length).toBe(before);
  });

  it('uses a trunk named by id, and refuses to start when that trunk does not exist', async () => {
    const existing = [...lk.state.trunks.keys()][0] ?? '';
    await expect(adapter({ trunk: { id: existing } }).start()).resolves.toBeUndefined();
    await expect(adapter({ trunk: { id: 'ST_nope' } }).start()).rejects.toThrow(/ST_nope.*does not exist/);
  });
});

describe('an answered call', () => {
  it('creates the room, dispatches the agent with its brief, then dials the callee', async () => {
    const call = dialRequest(dialNumber('0001'), {
      amd: { enabled: true, onMachine: 'leave_voicemail', voicemailMessage: 'Call us back, {{first_name}}.' },
      ringTimeoutSeconds: 25,
      maxCallSeconds: 120,
      callerId: '+12025550100',
    });
    const events = recordingEvents();
    const result = await telephony.dial(call, events);

    expect(result).toMatchObject({ kind: 'answered', roomName: `call-${call.attemptId}` });
    const [room] = lk.calls('RoomService/CreateRoom').filter((r) => r.body.name === call.roomName);
    expect(room?.body).toMatchObject({ emptyTimeout: 55, departureTimeout: 5 });
    expect(JSON.parse(String(room?.body.metadata))).toMatchObject({
      attemptId: call.attemptId,
      batchId: call.batchId,
    });

    const [dispatch] = lk
      .calls('AgentDispatchService/CreateDispatch')
      .filter((r) => r.body.room === call.roomName);
    expect(dispatch?.body.agentName).toBe('outdial-agent');
    expect(JSON.parse(String(dispatch?.body.metadata))).toMatchObject({
      attemptId: call.attemptId,
      mode: 'one_way',
      message: 'Hi Ana, your prescription is ready at Main St.',
      amd: { enabled: true, onMachine: 'leave_voicemail' },
      voicemailMessage: 'Call us back, Ana.',
      maxCallSeconds: 120,
      timezones: ['America/New_York'],
      schedule: expect.objectContaining({ timezoneFallback: 'UTC' }) as unknown,
    });

    const [dial] = lk.calls('SIP/CreateSIPParticipant').filter((r) => r.body.roomName === call.roomName);
    expect(dial?.body).toMatchObject({
      sipCallTo: call.phone,
      sipNumber: '+12025550100',
      participantIdentity: 'callee',
      waitUntilAnswered: true,
      ringingTimeout: '25s',
      maxCallDuration: '120s',
    });
    expect(dial && room && dispatch && room.at <= dispatch.at && dispatch.at <= dial.at).toBe(true);
    // The callee is dialled only after the agent was seen in the room.
    const [agentSeen] = lk
      .calls('RoomService/ListParticipants')
      .filter((r) => r.body.room === call.roomName && r.status === 200);
    expect(agentSeen && dial && agentSeen.at <= dial.at).toBe(true);
    expect(events.emitted.map((e) => e.type)).toEqual(['call.answered']);
    expect(events.rangAt).toBe(0);
  });

  it('records to S3 as audio-only OGG at recordings/{campaign}/{batch}/{attempt}.ogg when recording is on', async () => {
    const call = dialRequest(dialNumber('0001'), { recording: true });
    await telephony.dial(call, recordingEvents());
    const egress = lk
      .calls('Egress/StartRoomCompositeEgress')
      .filter((r) => r.body.roomName === call.roomName);
    expect(egress).toHaveLength(1);
    expect(egress[0]?.body).toMatchObject({
      audioOnly: true,
      fileOutputs: [
        {
          fileType: 'OGG',
          filepath: `recordings/${call.campaignId}/${call.batchId}/${call.attemptId}.ogg`,
          s3: { bucket: 'rec', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true },
        },
      ],
    });
  });

  it('starts no egress when recording is off', async () => {
    const call = dialRequest(dialNumber('0001'), { recording: false });
    await telephony.dial(call, recordingEvents());
    expect(
      lk.calls('Egress/StartRoomCompositeEgress').filter((r) => r.body.roomName === call.roomName),
    ).toEqual([]);
  });

  it('keeps the answered call when the recording cannot start, and reports call.error', async () => {
    lk.failNext('Egress/StartRoomCompositeEgress', { code: 'unavailable', msg: 'egress not connected' });
    const call = dialRequest(dialNumber('0001'), { recording: true });
    const events = recordingEvents();
    expect((await telephony.dial(call, events)).kind).toBe('answered');
    expect(events.emitted.map((e) => [e.type, e.data.stage])).toEqual([
      ['call.answered', undefined],
      ['call.error', 'recording'],
    ]);
    expect(lk.state.rooms.has(call.roomName)).toBe(true);
  });
});

describe('a failed dial', () => {
  it.each([
    ['0486', 'busy', 486],
    ['0600', 'busy', 600],
    ['0603', 'rejected', 603],
    ['0403', 'rejected', 403],
    ['0404', 'invalid_number', 404],
    ['0410', 'invalid_number', 410],
    ['0484', 'invalid_number', 484],
    ['0604', 'invalid_number', 604],
    ['1408', 'no_answer', 408],
    ['0480', 'no_answer', 480],
    ['0487', 'no_answer', 487],
    ['0408', 'no_answer', null],
    ['0500', 'failed', 500],
    ['0503', 'failed', 503],
  ] as const)(
    '…%s ends as %s (SIP %s), deletes the room and emits call.failed',
    async (suffix, outcome, sip) => {
      const call = dialRequest(dialNumber(suffix));
      const events = recordingEvents();
      const result = await telephony.dial(call, events);
      expect(result).toMatchObject({ kind: 'failed', failure: { outcome, sipStatus: sip } });
      expect(events.emitted).toEqual([
        {
          type: 'call.failed',
          data: expect.objectContaining({
            outcome,
            sipStatus: sip,
            roomName: call.roomName,
            stage: 'sip',
          }) as unknown,
        },
      ]);
      expect(lk.state.rooms.has(call.roomName)).toBe(false);
      expect(lk.calls('RoomService/DeleteRoom').some((r) => r.body.room === call.roomName)).toBe(true);
    },
  );

  it('treats a dial request that outlives its timeout while ringing as no answer and hangs up', async () => {
    const slow = dialNumber('7408');
    lk.setDialDelay(slow, 10_000);
    const call = dialRequest(slow);
    // Below the campaign schema's minimum on purpose: the SDK's floor (ring + 2 s) keeps this test at 3 s.
    call.campaign.ringTimeoutSeconds = 1;
    const events = recordingEvents();
    const impatient = adapter({ dialTimeoutMarginSeconds: 0 });
    await impatient.start();
    const result = await impatient.dial(call, events);
    expect(result).toMatchObject({ kind: 'failed', failure: { outcome: 'no_answer', sipStatus: null } });
    expect(lk.state.rooms.has(call.roomName)).toBe(false);
  });

  it('maps a trunk error without SIP status to failed', async () => {
    lk.failNext('SIP/CreateSIPParticipant', {
      code: 'unavailable',
      msg: 'sip not connected (redis required)',
    });
    const call = dialRequest(dialNumber('0001'));
    const result = await telephony.dial(call, recordingEvents());
    expect(result).toMatchObject({ kind: 'failed', failure: { outcome: 'failed', sipStatus: null } });
  });

  it('does not dial when the dispatched agent does not join the room in time, and deletes the room', async () => {
    lk.setAgentJoins(false);
    try {
      const slow = adapter({ agentJoinTimeoutMs: 600, agentJoinPollMs: 100 });
      await slow.start();
      const call = dialRequest(dialNumber('0001'));
      const events = recordingEvents();
      const started = Date.now();
      const result = await slow.dial(call, events);
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(result).toMatchObject({ kind: 'failed', failure: { outcome: 'failed', sipStatus: null } });
      expect(events.emitted).toEqual([
        {
          type: 'call.failed',
          data: {
            outcome: 'failed',
            sipStatus: null,
            reason: 'the agent did not join the room within 0.6 s',
            roomName: call.roomName,
            stage: 'dispatch',
          },
        },
      ]);
      expect(events.rangAt).toBeNull();
      expect(lk.calls('SIP/CreateSIPParticipant').some((r) => r.body.roomName === call.roomName)).toBe(false);
      expect(lk.state.rooms.has(call.roomName)).toBe(false);
    } finally {
      lk.setAgentJoins(true);
    }
  });

  it('replaces a dispatch that got no job (every worker was full), and dials once the agent joins', async () => {
    lk.setAgentJoins(false);
    try {
      const patient = adapter({ agentJoinTimeoutMs: 10_000, agentJoinPollMs: 50, agentRedispatchMs: 300 });
      await patient.start();
      const call = dialRequest(dialNumber('0001'));
      const dialing = patient.dial(call, recordingEvents());
      const dispatches = () => lk.calls('AgentDispatchService/CreateDispatch').filter((r) => r.body.room === call.roomName);
      // The first dispatch is dropped by the server; the fleet frees up before the replacement.
      await waitFor(() => dispatches().length === 1, { timeoutMs: 5_000, what: 'the first dispatch' });
      lk.setAgentJoins(true);
      const result = await dialing;
      expect(result).toMatchObject({ kind: 'answered' });
      expect(dispatches()).toHaveLength(2);
      const deleted = lk.calls('AgentDispatchService/DeleteDispatch').filter((r) => r.body.room === call.roomName);
      expect(deleted).toHaveLength(1);
      const agents = [...(lk.state.rooms.get(call.roomName)?.participants.values() ?? [])].filter((p) => p.kind === 'AGENT');
      expect(agents).toHaveLength(1);
    } finally {
      lk.setAgentJoins(true);
    }
  });

  it('keeps waiting when the dispatch check itself fails (a busy server leaves it unanswered), and replaces the dispatch on the next check', async () => {
    lk.setAgentJoins(false);
    lk.failNext('AgentDispatchService/ListDispatch', { code: 'unavailable', msg: 'no response from servers' });
    try {
      const patient = adapter({ agentJoinTimeoutMs: 10_000, agentJoinPollMs: 50, agentRedispatchMs: 300 });
      await patient.start();
      const call = dialRequest(dialNumber('0001'));
      const dialing = patient.dial(call, recordingEvents());
      const checks = () => lk.calls('AgentDispatchService/ListDispatch').filter((r) => r.body.room === call.roomName);
      await waitFor(() => checks().length === 1, { timeoutMs: 5_000, what: 'the failed dispatch check' });
      lk.setAgentJoins(true);
      expect(await dialing).toMatchObject({ kind: 'answered' });
      expect(checks().length).toBeGreaterThanOrEqual(2);
      expect(lk.calls('AgentDispatchService/CreateDispatch').filter((r) => r.body.room === call.roomName)).toHaveLength(2);
    } finally {
      lk.setAgentJoins(true);
    }
  });

  it('does not dial when the room cannot be created', async () => {
    lk.failNext('RoomService/CreateRoom', { code: 'internal', msg: 'boom' });
    const call = dialRequest(dialNumber('0001'));
    const events = recordingEvents();
    const result = await telephony.dial(call, events);
    expect(result).toMatchObject({ kind: 'failed', failure: { outcome: 'failed' } });
    expect(events.emitted[0]?.data).toMatchObject({ stage: 'room' });
    expect(events.rangAt).toBeNull();
    expect(lk.calls('SIP/CreateSIPParticipant').some((r) => r.body.roomName === call.roomName)).toBe(false);
  });
});
