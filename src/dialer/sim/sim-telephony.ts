// The Sim adapter: places no real call. It rings, answers or fails as its seeded scenario says,
// and on an answered call plays the agent's part too (AMD verdict, message / voicemail / hang-up,
// completion), emitting the same events a LiveKit call and the agent would. It records every call
// it places, so tests can prove no attempt was dialled twice and no concurrency limit was exceeded.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AmdVerdict, AttemptOutcome } from '../../core/domain.js';
import type {
  CallCompletedData,
  CallFailedData,
  CallTransferFailedData,
  CallTransferredData,
} from '../../core/event-data.js';
import type { Logger } from '../../core/logger.js';
import { outcomeForSignal, type DialSignal } from '../failure-mapping.js';
import type { CallEvents, DialRequest, DialResult, Telephony } from '../telephony.js';
import {
  defaultSimDurations,
  defaultSimOdds,
  defaultSimTransferOdds,
  simScenario,
  type SimDurations,
  type SimFate,
  type SimOdds,
  type SimScenario,
  type SimTransferOdds,
} from './sim-scenario.js';

export interface SimTelephonyOptions {
  seed: number;
  odds?: Partial<SimOdds>;
  durations?: Partial<SimDurations>;
  /** Two-way calls on campaigns with a transfer: how many are transferred or declined. */
  transferOdds?: Partial<SimTransferOdds>;
  log: Logger;
}

export interface PlacedCall {
  attemptId: string;
  orgId: string;
  batchId: string;
  fate: SimFate;
  /** Date.now() at the INVITE. */
  startedAt: number;
  /** Date.now() when the call ended (failure, or the agent's part finished); null while live. */
  endedAt: number | null;
  outcome: AttemptOutcome | null;
}

/** The SIP answer a simulated failure gets, so it goes through the same mapping as LiveKit's. */
const failureSignals: Record<Exclude<SimFate, 'human' | 'voicemail'>, DialSignal> = {
  busy: { kind: 'sip_status', code: 486, reason: 'Busy Here' },
  rejected: { kind: 'sip_status', code: 603, reason: 'Decline' },
  invalid_number: { kind: 'sip_status', code: 404, reason: 'Not Found' },
  no_answer: { kind: 'ring_timeout' },
  failed: { kind: 'sip_status', code: 503, reason: 'Service Unavailable' },
};

export class SimTelephony implements Telephony {
  readonly kind = 'sim';
  private readonly odds: SimOdds;
  private readonly durations: SimDurations;
  private readonly transferOdds: SimTransferOdds;
  private readonly placed: PlacedCall[] = [];
  private readonly live = new Set<Promise<void>>();
  private active = 0;
  private peak = 0;

  constructor(private readonly opts: SimTelephonyOptions) {
    this.odds = { ...defaultSimOdds, ...opts.odds };
    this.durations = { ...defaultSimDurations, ...opts.durations };
    this.transferOdds = { ...defaultSimTransferOdds, ...opts.transferOdds };
  }

  /** Every call placed so far, in INVITE order. */
  get calls(): readonly PlacedCall[] {
    return this.placed;
  }

  /** The most calls that were live at the same moment. */
  get peakActive(): number {
    return this.peak;
  }

  async start(): Promise<void> {
    // Nothing to provision.
  }

  async dial(call: DialRequest, events: CallEvents): Promise<DialResult> {
    const scenario = simScenario(this.opts.seed, call.attemptId, this.odds, this.durations, this.transferOdds);
    events.ringing();
    const record: PlacedCall = {
      attemptId: call.attemptId,
      orgId: call.orgId,
      batchId: call.batchId,
      fate: scenario.fate,
      startedAt: Date.now(),
      endedAt: null,
      outcome: null,
    };
    this.placed.push(record);
    this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    await sleep(scenario.ringMs);

    if (scenario.fate !== 'human' && scenario.fate !== 'voicemail') {
      const failure = outcomeForSignal(failureSignals[scenario.fate]);
      this.end(record, failure.outcome);
      const data: CallFailedData & { roomName: string; stage: string } = {
        ...failure,
        roomName: call.roomName,
        stage: 'sip',
      };
      await events.emit('call.failed', data);
      return { kind: 'failed', roomName: call.roomName, failure };
    }
    await events.emit('call.answered', { roomName: call.roomName, sipCallId: `SIM_${call.attemptId}` });
    // The agent's part runs on after the dial job returns, as the real agent does in its own process.
    const agentPart = this.playAgent(call, scenario, events)
      .then((outcome) => this.end(record, outcome))
      .catch((err: unknown) => {
        this.end(record, 'failed');
        this.opts.log.error({ attemptId: call.attemptId, err: (err as Error).message }, 'sim.agent_failed');
      })
      .finally(() => this.live.delete(agentPart));
    this.live.add(agentPart);
    return { kind: 'answered', roomName: call.roomName, sipCallId: `SIM_${call.attemptId}` };
  }

  async close(): Promise<void> {
    while (this.live.size > 0) await Promise.all([...this.live]);
  }

  private end(record: PlacedCall, outcome: AttemptOutcome): void {
    record.endedAt = Date.now();
    record.outcome = outcome;
    this.active -= 1;
  }

  /** Mirrors src/agent: AMD first (when enabled), then the message, the voicemail or a hang-up. */
  private async playAgent(call: DialRequest, s: SimScenario, events: CallEvents): Promise<AttemptOutcome> {
    const answeredAt = Date.now();
    const c = call.campaign;
    const capMs = c.maxCallSeconds * 1000;
    const machine = s.fate === 'voicemail';
    let amd: AmdVerdict | null = null;
    const finish = async (outcome: AttemptOutcome, extra: Partial<CallCompletedData> = {}): Promise<AttemptOutcome> => {
      const data: CallCompletedData = { outcome, durationMs: Date.now() - answeredAt, amd, ...extra };
      await events.emit('call.completed', data);
      return outcome;
    };

    if (c.amd.enabled) {
      await sleep(s.amdMs);
      amd = { result: machine ? 'machine' : 'human', cause: 'sim', decidedAtMs: s.amdMs };
      await events.emit('call.amd_result', { amd });
      if (machine && c.amd.onMachine === 'hangup') {
        await events.emit('call.amd_hangup', {});
        return finish('voicemail');
      }
      if (machine) {
        await sleep(Math.min(s.voicemailMs, capMs));
        await events.emit('call.voicemail_left', {});
        return finish('voicemail_left');
      }
    }
    if (c.mode === 'two_way') {
      await events.emit('call.conversation_started', {});
      if (c.transfer && s.transfer !== 'none') return this.playTransfer(c.transfer.to, s, capMs, events, finish);
      await sleep(Math.min(s.talkMs, capMs));
    } else {
      await sleep(Math.min(s.talkMs, capMs));
      await events.emit('call.notification_delivered', {});
    }
    return finish('completed');
  }

  /** The callee asks for a person halfway through; the far end takes the transfer or declines it (then the talk goes on). */
  private async playTransfer(
    to: string,
    s: SimScenario,
    capMs: number,
    events: CallEvents,
    finish: (outcome: AttemptOutcome, extra?: Partial<CallCompletedData>) => Promise<AttemptOutcome>,
  ): Promise<AttemptOutcome> {
    const half = Math.min(s.talkMs, capMs) / 2;
    await sleep(half);
    if (s.transfer === 'transferred') {
      const data: CallTransferredData = { to };
      await events.emit('call.transferred', data);
      return finish('transferred', { transferredTo: to, reason: 'transferred' });
    }
    const data: CallTransferFailedData = { to, sipStatus: 603, reason: 'Decline' };
    await events.emit('call.transfer_failed', data);
    await sleep(half);
    return finish('completed');
  }
}
