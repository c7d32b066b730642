// One dispatched job = one call. Reads the brief, connects (the dialer dials only once the agent
// is in the room), waits for the callee to join and then to answer (livekit-sip puts the callee
// in the room while it still rings), runs the call flow over LiveKit, and always ends by deleting
// the room, which hangs up the phone leg.
import { AutoSubscribe, type JobContext, type VAD } from '@livekit/agents';
import type { RemoteParticipant } from '@livekit/rtc-node';
import { loadAgentConfig } from '../core/agent-config.js';
import type { Schedule } from '../core/campaign.js';
import { loadConfig, type Config } from '../core/config.js';
import type { EventType } from '../core/domain.js';
import { emitCallEvent, newCallEvent } from '../core/events.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createQueue, queueNames, type CallEventJob } from '../core/queues.js';
import { createRedis } from '../core/redis.js';
import { withTimeout } from '../core/timeout.js';
import { AMD_SAMPLE_RATE, audioFrames, calleeAnswered, calleeAudioTrack, calleeGone } from './callee-audio.js';
import { runCall, type CallPort } from './call-flow.js';
import { createCallRecord } from './call-record.js';
import { parseDispatchMetadata, type DispatchMetadata } from '../core/dispatch-metadata.js';
import { converse, createSpeaker, type LiveSessionDeps } from './live-session.js';
import { agentMetricsKey, redisObserver } from './metrics-relay.js';
import { oneWayProviders, twoWayProviders } from './providers.js';
import { calleeTransfer } from './transfer-livekit.js';

/** How long a finished call waits for its session to close and its last metrics to reach Redis. */
const SESSION_CLOSE_MS = 5_000;

/**
 * After a transfer livekit-sip ends the callee's leg itself once the far end has hung up on the
 * transferor (CLIENT_INITIATED); deleting the room first would cut it (ROOM_DELETED) and race the
 * phone's BYE. The room is kept that long at most.
 */
const TRANSFER_HANDOFF_MS = 5_000;

/** The SIP participant's identity, as the dialer names it. */
export const CALLEE_IDENTITY = 'callee';

function scheduleOf(meta: DispatchMetadata): Schedule | null {
  return meta.schedule ?? null; // validated with the metadata
}

function deadlineAfter(ms: number, ctx: JobContext): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    ctx.addShutdownCallback(() => {
      clearTimeout(timer);
      return Promise.resolve();
    });
  });
}

/** The callee's audio, opened on first read so a missing track fails inside the call flow. */
function lazyFrames(ctx: JobContext, callee: RemoteParticipant): AsyncIterator<Int16Array> & { close(): Promise<void> } {
  let frames: ReturnType<typeof audioFrames> | null = null;
  return {
    async next() {
      frames ??= audioFrames(await calleeAudioTrack(ctx.room, callee), AMD_SAMPLE_RATE);
      return frames.next();
    },
    close: () => frames?.close() ?? Promise.resolve(),
  };
}

async function runAnsweredCall(
  ctx: JobContext,
  callee: RemoteParticipant,
  meta: DispatchMetadata,
  config: Config,
  log: Logger,
  vad: VAD | undefined,
): Promise<void> {
  const agentConfig = loadAgentConfig();
  const gone = calleeGone(ctx.room, CALLEE_IDENTITY);
  const redis = createRedis(config.REDIS_URL, 'producer');
  const queue = createQueue<CallEventJob>(queueNames.callEvents, redis, config.OUTDIAL_REDIS_PREFIX);
  const observer = redisObserver(redis, agentMetricsKey(config.OUTDIAL_REDIS_PREFIX), (err) =>
    log.warn({ err: err.message }, 'agent.metrics_push_failed'),
  );
  const emit = async (type: EventType, data: Record<string, unknown>): Promise<void> => {
    try {
      await emitCallEvent(queue, newCallEvent(type, meta.attemptId, data));
      log.info({ type }, 'agent.event');
    } catch (err) {
      // A lost event must be visible; the call itself goes on.
      log.error({ type, err: (err as Error).message }, 'agent.event_failed');
    }
  };
  const now = () => new Date();
  const record = createCallRecord(now());
  const frames = lazyFrames(ctx, callee);
  const deps: LiveSessionDeps = { room: ctx.room, calleeIdentity: CALLEE_IDENTITY, log, observer, now };
  const speaker = createSpeaker(() => oneWayProviders(meta, config, agentConfig), record, deps);
  // On a hang-up runCall returns while the session is still closing, and that close is where the
  // last reply's turn latency is observed: Redis must stay open until it has settled.
  let conversation: Promise<unknown> | undefined;
  const port: CallPort = {
    audio: frames,
    sampleRate: AMD_SAMPLE_RATE,
    say: (text) => speaker.say(text),
    converse: (path, rec) => {
      if (!vad) return Promise.reject(new Error('two-way call without a VAD: prewarm did not load Silero'));
      const providers = { ...twoWayProviders(meta, config, agentConfig, vad), vad };
      const schedule = scheduleOf(meta);
      const transferDesk = { place: calleeTransfer(ctx, CALLEE_IDENTITY), emit };
      const endpointing = { minDelay: agentConfig.OUTDIAL_AGENT_MIN_ENDPOINTING_MS, maxDelay: agentConfig.OUTDIAL_AGENT_MAX_ENDPOINTING_MS };
      const session = converse({ path, record: rec, providers, outcomeSchema: meta.outcomeSchema, timezones: meta.timezones ?? [], schedule, transferDesk, endpointing }, deps);
      conversation = session;
      return session;
    },
    emit,
    calleeGone: gone,
    deadline: deadlineAfter(meta.maxCallSeconds * 1000, ctx),
    now,
    onAmdVerdict: (v) => observer.observe({ metric: 'amd_decision', result: v.result, seconds: v.decidedAtMs / 1000 }),
  };
  try {
    const { ending } = await runCall(port, meta, record);
    log.info({ ending: ending.kind, amd: record.amd?.result ?? null }, 'agent.call_finished');
    if (ending.kind === 'transferred') {
      await withTimeout(gone, TRANSFER_HANDOFF_MS, 'transfer handoff').catch(() =>
        log.warn({ waitedMs: TRANSFER_HANDOFF_MS }, 'agent.transfer_leg_still_up'),
      );
    }
  } finally {
    if (conversation) await withTimeout(conversation, SESSION_CLOSE_MS, 'session close').catch(() => undefined); // its own errors were reported by runCall
    await Promise.allSettled([speaker.close(), frames.close()]);
    await queue.close();
    // quit, not disconnect: the observer's last pushes are still in flight.
    await withTimeout(redis.quit(), SESSION_CLOSE_MS, 'redis quit').catch(() => redis.disconnect());
  }
}

/** The job entry: the default export of main.ts hands every dispatched job to this. */
export async function callEntry(ctx: JobContext, vad: VAD | undefined): Promise<void> {
  const config = loadConfig();
  const base = createLogger({ level: config.LOG_LEVEL, name: 'agent' });
  const meta = parseDispatchMetadata(ctx.job.metadata);
  const log = base.child({ attemptId: meta.attemptId, batchId: meta.batchId, orgId: meta.orgId });
  try {
    await ctx.connect(undefined, AutoSubscribe.AUDIO_ONLY);
    const callee = await ctx.waitForParticipant(CALLEE_IDENTITY);
    const answered = await calleeAnswered(ctx.room, callee).then(
      () => true,
      (err: Error) => {
        // Busy, declined, no answer…: the dialer reports the failed dial; nothing to do here.
        log.info({ reason: err.message }, 'agent.call_not_answered');
        return false;
      },
    );
    if (answered) await runAnsweredCall(ctx, callee, meta, config, log, vad);
  } catch (err) {
    // No callee ever joined (the dial failed early) or a broken room: the dialer reports the attempt.
    log.warn({ err: (err as Error).message }, 'agent.job_failed');
  } finally {
    await ctx.deleteRoom();
    ctx.shutdown('call ended');
  }
}
