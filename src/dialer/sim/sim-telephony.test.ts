import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { campaignInputSchema, type CampaignInput } from '../../core/campaign.js';
import type { EventType } from '../../core/domain.js';
import { createLogger } from '../../core/logger.js';
import type { CallEvents, DialRequest } from '../telephony.js';
import {
  defaultSimDurations,
  defaultSimOdds,
  defaultSimTransferOdds,
  instantSimDurations,
  simScenario,
  type SimOdds,
} from './sim-scenario.js';
import { SimTelephony } from './sim-telephony.js';

const log = createLogger({ level: 'silent' });
const none: SimOdds = {
  human: 0,
  voicemail: 0,
  busy: 0,
  no_answer: 0,
  rejected: 0,
  invalid_number: 0,
  failed: 0,
};

function call(campaign: Partial<CampaignInput> = {}): DialRequest {
  const attemptId = randomUUID();
  return {
    attemptId,
    orgId: 'org',
    campaignId: 'campaign',
    batchId: 'batch',
    contactId: '1',
    attempt: 1,
    phone: '+12025550001',
    roomName: `call-${attemptId}`,
    campaign: campaignInputSchema.parse({ name: 'c', mode: 'one_way', message: 'Hi', ...campaign }),
    timezones: ['UTC'],
    variables: {},
  };
}

function collect(): CallEvents & { types: EventType[]; data: Record<string, unknown>[] } {
  const types: EventType[] = [];
  const data: Record<string, unknown>[] = [];
  return {
    types,
    data,
    emit(type, d) {
      types.push(type);
      data.push(d);
      return Promise.resolve();
    },
    ringing: () => undefined,
  };
}

async function run(odds: Partial<SimOdds>, campaign: Partial<CampaignInput> = {}, transferOdds = defaultSimTransferOdds) {
  const sim = new SimTelephony({ seed: 1, odds: { ...none, ...odds }, durations: instantSimDurations, transferOdds, log });
  const events = collect();
  const result = await sim.dial(call(campaign), events);
  await sim.close();
  return { sim, events, result };
}

describe('simScenario', () => {
  it('gives an attempt the same fate for the same seed, whatever order calls are made in', () => {
    const ids = Array.from({ length: 200 }, () => randomUUID());
    const forward = ids.map((id) => simScenario(7, id, defaultSimOdds, defaultSimDurations));
    const backward = [...ids].reverse().map((id) => simScenario(7, id, defaultSimOdds, defaultSimDurations));
    expect(backward.reverse()).toEqual(forward);
    const otherSeed = ids.map((id) => simScenario(8, id, defaultSimOdds, defaultSimDurations).fate);
    expect(otherSeed).not.toEqual(forward.map((s) => s.fate));
  });

  it('draws fates in proportion to the odds and durations inside their ranges', () => {
    const n = 5000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const s = simScenario(3, `attempt-${i}`, defaultSimOdds, defaultSimDurations);
      counts.set(s.fate, (counts.get(s.fate) ?? 0) + 1);
      expect(s.ringMs).toBeGreaterThanOrEqual(1_000);
      expect(s.ringMs).toBeLessThanOrEqual(4_000);
    }
    for (const [fate, p] of Object.entries(defaultSimOdds)) {
      expect(Math.abs((counts.get(fate) ?? 0) / n - p), fate).toBeLessThan(0.02);
    }
  });

  it('keeps every earlier draw of a seeded scenario as it was before transfers were added', () => {
    // Values from the code before transfers: same seed, same calls, same fates and timings.
    const before = [
      { fate: 'failed', ringMs: 3964, amdMs: 2041, talkMs: 3385, voicemailMs: 4530 },
      { fate: 'human', ringMs: 3994, amdMs: 1962, talkMs: 9456, voicemailMs: 6191 },
      { fate: 'invalid_number', ringMs: 3627, amdMs: 2336, talkMs: 5193, voicemailMs: 3616 },
    ];
    const now = ['a-1', 'a-2', 'a-3'].map((id) => simScenario(7, id, defaultSimOdds, defaultSimDurations));
    expect(now.map(({ transfer: _t, ...rest }) => rest)).toEqual(before);
  });

  it('transfers and declines two-way conversations in proportion to the transfer odds', () => {
    const n = 5000;
    const counts = { none: 0, transferred: 0, declined: 0 };
    for (let i = 0; i < n; i++) counts[simScenario(3, `attempt-${i}`, defaultSimOdds, defaultSimDurations).transfer]++;
    expect(Math.abs(counts.transferred / n - defaultSimTransferOdds.transferred)).toBeLessThan(0.02);
    expect(Math.abs(counts.declined / n - defaultSimTransferOdds.declined)).toBeLessThan(0.02);
  });
});

describe('SimTelephony', () => {
  it('plays a one-way call to a human: answer, AMD human, message, completed', async () => {
    const { events, result, sim } = await run({ human: 1 });
    expect(result.kind).toBe('answered');
    expect(events.types).toEqual([
      'call.answered',
      'call.amd_result',
      'call.notification_delivered',
      'call.completed',
    ]);
    // The verdict under `amd`, as the agent sends it (core/event-data amdResultDataSchema).
    expect(events.data[1]).toMatchObject({ amd: { result: 'human' } });
    expect(events.data[3]).toMatchObject({ outcome: 'completed' });
    expect(sim.calls).toMatchObject([
      { fate: 'human', outcome: 'completed', endedAt: expect.any(Number) as number },
    ]);
  });

  it('hangs up on a machine when the campaign says so, and leaves a voicemail when it says that', async () => {
    const hangup = await run({ voicemail: 1 });
    expect(hangup.events.types).toEqual([
      'call.answered',
      'call.amd_result',
      'call.amd_hangup',
      'call.completed',
    ]);
    expect(hangup.events.data[3]).toMatchObject({ outcome: 'voicemail' });

    const leave = await run(
      { voicemail: 1 },
      { amd: { enabled: true, onMachine: 'leave_voicemail', voicemailMessage: 'Call back' } },
    );
    expect(leave.events.types).toEqual([
      'call.answered',
      'call.amd_result',
      'call.voicemail_left',
      'call.completed',
    ]);
    expect(leave.events.data[3]).toMatchObject({ outcome: 'voicemail_left' });
  });

  it('holds a two-way conversation and skips AMD when it is off', async () => {
    const { events } = await run(
      { human: 1 },
      {
        mode: 'two_way',
        instructions: 'Book a slot',
        amd: { enabled: false, onMachine: 'hangup', voicemailMessage: null },
      },
    );
    expect(events.types).toEqual(['call.answered', 'call.conversation_started', 'call.completed']);
  });

  it.each([
    ['busy', 'busy', 486],
    ['rejected', 'rejected', 603],
    ['invalid_number', 'invalid_number', 404],
    ['no_answer', 'no_answer', null],
    ['failed', 'failed', 503],
  ] as const)(
    'fails a %s call the way LiveKit would: call.failed with outcome %s',
    async (fate, outcome, sip) => {
      const { events, result, sim } = await run({ [fate]: 1 });
      expect(result).toMatchObject({ kind: 'failed', failure: { outcome, sipStatus: sip } });
      expect(events.types).toEqual(['call.failed']);
      expect(events.data[0]).toMatchObject({ outcome, sipStatus: sip });
      expect(sim.calls[0]?.outcome).toBe(outcome);
    },
  );

  it('records every call and the peak number live at once', async () => {
    const sim = new SimTelephony({
      seed: 2,
      odds: { ...none, human: 1 },
      durations: { ...instantSimDurations, talkMs: [20, 20] },
      log,
    });
    const calls = Array.from({ length: 5 }, () => call());
    await Promise.all(calls.map((c) => sim.dial(c, collect())));
    await sim.close();
    expect(sim.calls.map((c) => c.attemptId).sort()).toEqual(calls.map((c) => c.attemptId).sort());
    expect(sim.peakActive).toBe(5);
    expect(sim.calls.every((c) => c.endedAt !== null && c.endedAt >= c.startedAt)).toBe(true);
  });

  describe('two-way campaign with a transfer', () => {
    const transferCampaign: Partial<CampaignInput> = {
      mode: 'two_way',
      instructions: 'Help them',
      transfer: { to: '+12025550109' },
    };

    it('plays the agent handing the callee over: call.transferred, then outcome transferred', async () => {
      const { events, sim } = await run({ human: 1 }, transferCampaign, { transferred: 1, declined: 0 });
      expect(events.types).toEqual([
        'call.answered',
        'call.amd_result',
        'call.conversation_started',
        'call.transferred',
        'call.completed',
      ]);
      expect(events.data[3]).toEqual({ to: '+12025550109' });
      expect(events.data[4]).toMatchObject({ outcome: 'transferred', transferredTo: '+12025550109' });
      expect(sim.calls[0]?.outcome).toBe('transferred');
    });

    it('plays a declined transfer: call.transfer_failed with 603, the conversation goes on and completes', async () => {
      const { events } = await run({ human: 1 }, transferCampaign, { transferred: 0, declined: 1 });
      expect(events.types).toEqual([
        'call.answered',
        'call.amd_result',
        'call.conversation_started',
        'call.transfer_failed',
        'call.completed',
      ]);
      expect(events.data[3]).toEqual({ to: '+12025550109', sipStatus: 603, reason: 'Decline' });
      expect(events.data[4]).toMatchObject({ outcome: 'completed' });
    });

    it('never transfers on a campaign without a transfer target', async () => {
      const { events } = await run({ human: 1 }, { mode: 'two_way', instructions: 'Help' }, { transferred: 1, declined: 0 });
      expect(events.types).toEqual(['call.answered', 'call.amd_result', 'call.conversation_started', 'call.completed']);
    });
  });
});
