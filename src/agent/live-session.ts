// The AgentSession side of a live call: a speak-only session for one-way messages and
// voicemail, a full session for two-way conversations. Mirrors what the session hears and says
// into the CallRecord and reports turn latency. Created only after the AMD verdict, so nothing
// is said to a machine by mistake.
import { voice, type VAD } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import type { Schedule } from '../core/campaign.js';
import type { Logger } from '../core/logger.js';
import { CallerAgent } from './caller-agent.js';
import { addTranscript, type CallRecord } from './call-record.js';
import type { CallPath } from './policy.js';
import type { AgentObserver } from './metrics-relay.js';
import type { VoiceProviders } from './providers.js';
import { sessionErrorKind, turnLatencySeconds } from './session-metrics.js';
import { createCallTools, type TransferHost } from './tools.js';

export interface LiveSessionDeps {
  room: Room;
  calleeIdentity: string;
  log: Logger;
  observer: AgentObserver;
  now(): Date;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  const inner = (err as { error?: unknown } | null)?.error;
  return inner instanceof Error ? inner.message : JSON.stringify(err);
}

function mirrorTranscript(session: voice.AgentSession, record: CallRecord, deps: LiveSessionDeps): void {
  session.on(voice.AgentSessionEventTypes.UserInputTranscribed, (ev) => {
    if (ev.isFinal) addTranscript(record, 'callee', ev.transcript, deps.now());
  });
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
    if (ev.item.type !== 'message') return;
    // The parts of each turn's latency as the framework measured them (seconds), to tell the
    // end-of-turn wait from the providers' own delays.
    const m = ev.item.metrics;
    if (ev.item.role === 'user') {
      deps.log.info(
        { transcriptionDelay: m?.transcriptionDelay, endOfTurnDelay: m?.endOfTurnDelay, onUserTurnCompletedDelay: m?.onUserTurnCompletedDelay },
        'agent.user_turn',
      );
      return;
    }
    if (ev.item.role !== 'assistant') return;
    addTranscript(record, 'agent', ev.item.textContent ?? '', deps.now());
    const latency = turnLatencySeconds(m);
    if (latency !== null) deps.observer.observe({ metric: 'turn_latency', seconds: latency });
    deps.log.info({ e2e: m?.e2eLatency, llmTtft: m?.llmNodeTtft, ttsTtfb: m?.ttsNodeTtfb }, 'agent.turn');
  });
  session.on(voice.AgentSessionEventTypes.Error, (ev) => {
    const kind = sessionErrorKind(ev.error);
    deps.observer.observe({ metric: 'session_error', kind });
    deps.log.warn({ err: describeError(ev.error), kind }, 'agent.session_error');
  });
}

async function startSession(session: voice.AgentSession, agent: voice.Agent, deps: LiveSessionDeps): Promise<void> {
  await session.start({
    agent,
    room: deps.room,
    // The call flow owns hang-up handling and room deletion.
    inputOptions: { participantIdentity: deps.calleeIdentity, closeOnDisconnect: false },
  });
}

/** Speak-only: one session, made on the first say() and reused; providers are built only then. */
export function createSpeaker(providers: () => VoiceProviders, record: CallRecord, deps: LiveSessionDeps) {
  let session: voice.AgentSession | null = null;
  return {
    async say(text: string): Promise<void> {
      if (!session) {
        session = new voice.AgentSession({ tts: providers().tts });
        mirrorTranscript(session, record, deps);
        await startSession(session, new voice.Agent({ instructions: 'Speak only the given text.' }), deps);
      }
      await session.say(text, { allowInterruptions: false }).waitForPlayout();
    },
    async close(): Promise<void> {
      await session?.close();
    },
  };
}

export interface ConverseOptions {
  path: Extract<CallPath, { kind: 'converse' }>;
  record: CallRecord;
  providers: VoiceProviders & { vad: VAD };
  outcomeSchema: Record<string, unknown> | null;
  timezones: readonly string[];
  schedule: Schedule | null;
  /** How transfer_call reaches the telephony and reports; used when the campaign has a transfer. */
  transferDesk?: Pick<TransferHost, 'place' | 'emit'>;
  /** The end-of-turn wait, ms (OUTDIAL_AGENT_MIN/MAX_ENDPOINTING_MS). */
  endpointing: { minDelay: number; maxDelay: number };
}

/** Runs the conversation; resolves once an end_call/opt_out goodbye has played, a transfer succeeded, or the callee left. */
export async function converse(opts: ConverseOptions, deps: LiveSessionDeps): Promise<'ended' | 'user_hangup'> {
  const session = new voice.AgentSession({ ...opts.providers, userAwayTimeout: null, turnHandling: { endpointing: opts.endpointing } });
  mirrorTranscript(session, opts.record, deps);
  let endRequested = false;
  let endNow: () => void = () => undefined;
  const finished = new Promise<'ended' | 'user_hangup'>((resolve, reject) => {
    endNow = () => resolve('ended');
    session.on(voice.AgentSessionEventTypes.AgentStateChanged, (ev) => {
      // The goodbye comes with or after the tool call; once the agent is back to listening it is done.
      if (endRequested && (ev.newState === 'listening' || ev.newState === 'idle')) resolve('ended');
    });
    session.on(voice.AgentSessionEventTypes.Close, (ev) => {
      if (ev.reason === String(voice.CloseReason.PARTICIPANT_DISCONNECTED)) resolve('user_hangup');
      else if (ev.error) reject(new Error(`session closed: ${describeError(ev.error)}`));
      else resolve('ended');
    });
  });
  const tools = createCallTools({
    record: opts.record,
    outcomeSchema: opts.outcomeSchema,
    timezones: opts.timezones,
    schedule: opts.schedule,
    now: () => deps.now(),
    endCall: (reason) => {
      // A transferred callee is no longer on the line: nothing is left to play out.
      if (reason === 'transferred') endNow();
      else endRequested = true;
    },
    transfer: opts.path.transfer && opts.transferDesk ? { ...opts.path.transfer, ...opts.transferDesk } : null,
  });
  try {
    const { instructions, greeting, contactData } = opts.path;
    await startSession(session, new CallerAgent({ instructions, contactData, greeting, tools }), deps);
    return await finished;
  } finally {
    await session.close();
  }
}
