// The LiveKit adapter: one room per attempt (`call-<attemptId>`), the agent dispatched explicitly
// into it, then the callee dialled into it with waitUntilAnswered. A failed dial deletes the room
// (so nothing lingers or keeps ringing) and is reported as `call.failed`; an answered call as
// `call.answered`, after which the agent owns the call and reports the rest.
import {
  type AgentDispatch,
  AgentDispatchClient,
  EgressClient,
  EncodedFileOutput,
  EncodedFileType,
  RoomServiceClient,
  S3Upload,
  ServerError,
  SipClient,
} from 'livekit-server-sdk';
import type { CallFailedData } from '../../core/event-data.js';
import type { Logger } from '../../core/logger.js';
import { maskPhone } from '../../core/logger.js';
import {
  AGENT_NAME,
  CALLEE_IDENTITY,
  agentDispatchMetadata,
  recordingPath,
  roomMetadata,
} from '../call-metadata.js';
import { dialFailureFromError, type DialStage } from '../failure-mapping.js';
import type { CallEvents, DialFailure, DialRequest, DialResult, Telephony } from '../telephony.js';
import { ensureOutboundTrunk, type TrunkSource, type TrunkStore } from './trunk.js';

export interface S3Target {
  bucket: string;
  region: string;
  endpoint?: string | undefined;
  accessKey?: string | undefined;
  secret?: string | undefined;
}

export interface LiveKitTelephonyOptions {
  url: string;
  apiKey: string;
  apiSecret: string;
  trunk: TrunkSource;
  trunkStore: TrunkStore;
  /** The trunks.id row that records the created trunk's LiveKit id. */
  trunkKey?: string;
  /** Where egress uploads recordings; without it LiveKit's egress uses its own configured storage. */
  s3?: S3Target | undefined;
  log: Logger;
  /** Added to the ring timeout for the dial request, so LiveKit's own ring timeout normally answers first. */
  dialTimeoutMarginSeconds?: number;
  /** How long the dispatched agent has to join the room before the callee is dialled (default 45 s, as OUTDIAL_AGENT_JOIN_TIMEOUT_SECONDS). */
  agentJoinTimeoutMs?: number;
  /** How often the room is checked for the agent meanwhile (default 200 ms). */
  agentJoinPollMs?: number;
  /**
   * How long a dispatch may go without a job before it is replaced (default 15 s). Longer than
   * livekit-server's AssignJobTimeout (10 s, pkg/agent/worker.go): until then a job request may
   * still be waiting on a busy worker's answer, and deleting the dispatch would terminate the job
   * it gets, whose agent may already be in the room.
   */
  agentRedispatchMs?: number;
}

/** Seconds a room waits for its first participant beyond the ring time, and after the last one leaves. */
const ROOM_EMPTY_MARGIN_SECONDS = 30;
const ROOM_DEPARTURE_TIMEOUT_SECONDS = 5;
/** See LiveKitTelephonyOptions.agentRedispatchMs. */
const REDISPATCH_AFTER_MS = 15_000;
/** ParticipantInfo.Kind.AGENT in livekit_models.proto (the enum is not re-exported by livekit-server-sdk). */
const AGENT_KIND = 4;

/** The dispatched agent was not in the room in time: the callee is not dialled (nobody would listen). */
export class AgentNotJoinedError extends Error {
  override readonly name = 'AgentNotJoinedError';
}

type Placed =
  | { ok: true; sipCallId: string; participantId: string }
  | { ok: false; failure: DialFailure; stage: DialStage };

export class LiveKitTelephony implements Telephony {
  readonly kind = 'livekit';
  private readonly rooms: RoomServiceClient;
  private readonly agents: AgentDispatchClient;
  private readonly sip: SipClient;
  private readonly egress: EgressClient;
  private trunkId: string | null = null;

  constructor(private readonly opts: LiveKitTelephonyOptions) {
    this.rooms = new RoomServiceClient(opts.url, opts.apiKey, opts.apiSecret);
    this.agents = new AgentDispatchClient(opts.url, opts.apiKey, opts.apiSecret);
    this.sip = new SipClient(opts.url, opts.apiKey, opts.apiSecret);
    this.egress = new EgressClient(opts.url, opts.apiKey, opts.apiSecret);
  }

  async start(): Promise<void> {
    this.trunkId = await ensureOutboundTrunk(
      this.sip,
      this.opts.trunk,
      this.opts.trunkStore,
      this.opts.trunkKey,
    );
    this.opts.log.info({ sipTrunkId: this.trunkId }, 'dialer.trunk_ready');
  }

  async dial(call: DialRequest, events: CallEvents): Promise<DialResult> {
    const placed = await this.place(call, events);
    if (!placed.ok) {
      await this.deleteRoom(call.roomName);
      const { outcome, sipStatus, reason } = placed.failure;
      const data: CallFailedData & { roomName: string; stage: string } = {
        outcome,
        sipStatus,
        reason,
        roomName: call.roomName,
        stage: placed.stage,
      };
      await events.emit('call.failed', data);
      return { kind: 'failed', roomName: call.roomName, failure: placed.failure };
    }
    await events.emit('call.answered', {
      roomName: call.roomName,
      sipCallId: placed.sipCallId,
      participantId: placed.participantId,
    });
    if (call.campaign.recording) await this.startRecording(call, events);
    return { kind: 'answered', roomName: call.roomName, sipCallId: placed.sipCallId };
  }

  async close(): Promise<void> {
    // Answered calls belong to the agent and LiveKit from here on; nothing to wait for.
  }

  /** Only provider calls inside: an error here is a dial failure, never an event-queue problem. */
  private async place(call: DialRequest, events: CallEvents): Promise<Placed> {
    if (this.trunkId === null) throw new Error('LiveKitTelephony.dial called before start()');
    const c = call.campaign;
    let stage: DialStage = 'room';
    try {
      await this.rooms.createRoom({
        name: call.roomName,
        metadata: roomMetadata(call),
        emptyTimeout: c.ringTimeoutSeconds + ROOM_EMPTY_MARGIN_SECONDS,
        departureTimeout: ROOM_DEPARTURE_TIMEOUT_SECONDS,
      });
      stage = 'dispatch';
      const dispatch = await this.dispatchAgent(call);
      // Dial only once the agent is in the room: a callee who answers within a second (or a
      // voicemail greeting starting at once) must be heard from the first word for AMD, and a
      // person must never answer to an empty room.
      await this.waitForAgent(call, dispatch.id);
      stage = 'sip';
      // The SDK turns these into Duration({seconds: BigInt(x)}): a fraction would throw a RangeError.
      const ringingTimeout = Math.max(1, Math.round(c.ringTimeoutSeconds));
      events.ringing();
      const info = await this.sip.createSipParticipant(this.trunkId, call.phone, call.roomName, {
        fromNumber: c.callerId,
        participantIdentity: CALLEE_IDENTITY,
        participantMetadata: JSON.stringify({ attemptId: call.attemptId }),
        waitUntilAnswered: true,
        ringingTimeout,
        maxCallDuration: Math.max(1, Math.round(c.maxCallSeconds)),
        timeout: ringingTimeout + (this.opts.dialTimeoutMarginSeconds ?? 5),
      });
      return { ok: true, sipCallId: info.sipCallId, participantId: info.participantId };
    } catch (err) {
      const failure = dialFailureFromError(err, stage);
      this.opts.log.info(
        { attemptId: call.attemptId, phone: maskPhone(call.phone), stage, ...failure },
        'dialer.dial_failed',
      );
      return { ok: false, failure, stage };
    }
  }

  private dispatchAgent(call: DialRequest): Promise<AgentDispatch> {
    return this.agents.createDispatch(call.roomName, AGENT_NAME, {
      metadata: JSON.stringify(agentDispatchMetadata(call)),
    });
  }

  /**
   * Polls the room until the agent is in it. livekit-server hands a dispatch's job to a worker
   * under its target load once, when the dispatch is created; with every worker full at that
   * moment it drops the job ("no servers available") and never tries again, leaving a dispatch
   * with no job. Such a dispatch is replaced every `agentRedispatchMs` (15 s), so a fleet that is full
   * for a moment delays the call instead of failing it. (Deleting a dispatch terminates any job it
   * got meanwhile; docs/architecture.md names the edge case this does not cover.)
   */
  private async waitForAgent(call: DialRequest, dispatchId: string): Promise<void> {
    const timeoutMs = this.opts.agentJoinTimeoutMs ?? 45_000;
    const redispatchMs = this.opts.agentRedispatchMs ?? REDISPATCH_AFTER_MS;
    const deadline = Date.now() + timeoutMs;
    let checkAt = Date.now() + redispatchMs;
    for (;;) {
      const participants = await this.rooms.listParticipants(call.roomName);
      if (participants.some((p) => Number(p.kind) === AGENT_KIND)) return;
      if (Date.now() >= deadline) throw new AgentNotJoinedError(`the agent did not join the room within ${timeoutMs / 1000} s`);
      if (Date.now() >= checkAt) {
        dispatchId = await this.redispatchIfDropped(call, dispatchId);
        checkAt = Date.now() + redispatchMs;
      }
      await new Promise((r) => setTimeout(r, this.opts.agentJoinPollMs ?? 200));
    }
  }

  /**
   * Replaces the dispatch when it has no job. Best effort: the check is an RPC to the room's node,
   * which a busy server can leave unanswered ("no response from servers" after 3 s); the call
   * then simply goes on waiting for its agent, and the next check tries again.
   */
  private async redispatchIfDropped(call: DialRequest, dispatchId: string): Promise<string> {
    try {
      const current = await this.agents.getDispatch(dispatchId, call.roomName);
      if ((current?.state?.jobs.length ?? 0) > 0) return dispatchId;
      if (current) await this.agents.deleteDispatch(dispatchId, call.roomName);
      const replaced = (await this.dispatchAgent(call)).id;
      this.opts.log.info({ attemptId: call.attemptId, roomName: call.roomName }, 'dialer.agent_redispatched');
      return replaced;
    } catch (err) {
      this.opts.log.warn({ attemptId: call.attemptId, roomName: call.roomName, err: (err as Error).message }, 'dialer.redispatch_check_failed');
      return dispatchId;
    }
  }

  private async deleteRoom(roomName: string): Promise<void> {
    try {
      await this.rooms.deleteRoom(roomName);
    } catch (err) {
      // not_found: the room was never created (the failure was createRoom itself) or already gone.
      if (err instanceof ServerError && err.code === 'not_found') return;
      this.opts.log.warn({ roomName, err: (err as Error).message }, 'dialer.room_delete_failed');
    }
  }

  private async startRecording(call: DialRequest, events: CallEvents): Promise<void> {
    const s3 = this.opts.s3;
    const output = new EncodedFileOutput({
      fileType: EncodedFileType.OGG,
      filepath: recordingPath(call),
      ...(s3 === undefined
        ? {}
        : {
            output: {
              case: 's3' as const,
              value: new S3Upload({
                bucket: s3.bucket,
                region: s3.region,
                endpoint: s3.endpoint ?? '',
                accessKey: s3.accessKey ?? '',
                secret: s3.secret ?? '',
                forcePathStyle: s3.endpoint !== undefined,
              }),
            },
          }),
    });
    try {
      const info = await this.egress.startRoomCompositeEgress(call.roomName, output, { audioOnly: true });
      this.opts.log.info({ attemptId: call.attemptId, egressId: info.egressId }, 'dialer.recording_started');
    } catch (err) {
      // A missing recording must not end a call the callee already answered; it is reported instead.
      const message = err instanceof Error ? err.message : String(err);
      this.opts.log.warn({ attemptId: call.attemptId, err: message }, 'dialer.recording_failed');
      await events.emit('call.error', { stage: 'recording', message });
    }
  }
}
