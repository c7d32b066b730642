// Pure: LiveKit server webhooks → outdial call events. Rooms are named `call-<attemptId>`.
// The callee leaving or the room finishing means the call is over; if the agent died without
// its final `call.completed`, the attempt would stay open forever, so a close is synthesised:
// one `call.completed {outcome: failed, reason: agent_lost}` marked `closeIfOpen` (record-event.ts
// drops it when the attempt already finished). A separate synthetic `call.error` is not sent:
// as its own job it could land after the close and be dropped, or not, depending on timing.
// Ids are derived, so LiveKit's retries and the two triggers of one close collapse into one.
import type { WebhookEvent } from 'livekit-server-sdk';
import type { CallEventJob } from '../core/queues.js';
import { derivedId } from '../core/ids.js';

const roomPattern = /^call-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function attemptIdOfRoom(room: string | undefined): string | null {
  return roomPattern.exec(room ?? '')?.[1]?.toLowerCase() ?? null;
}

export interface MappedEvent {
  event: CallEventJob;
  /** Close events wait this long so the agent's own final event wins when it is merely late. */
  deferred: boolean;
}

export function mapLiveKitEvent(ev: WebhookEvent, now: Date = new Date()): MappedEvent[] {
  const occurredAt = ev.createdAt ? new Date(Number(ev.createdAt) * 1000) : now;
  // Only three of LiveKit's events matter here; the rest are acknowledged and ignored.
  if (ev.event === 'participant_left') {
    if (ev.participant?.identity !== 'callee') return [];
    return closeEvents(attemptIdOfRoom(ev.room?.name), occurredAt, 'callee_left');
  }
  if (ev.event === 'room_finished')
    return closeEvents(attemptIdOfRoom(ev.room?.name), occurredAt, 'room_finished');
  if (ev.event === 'egress_ended') return recordingEvent(ev, occurredAt);
  return [];
}

function closeEvents(attemptId: string | null, at: Date, trigger: string): MappedEvent[] {
  if (!attemptId) return [];
  const event: CallEventJob = {
    id: derivedId(`livekit:${attemptId}:close:call.completed`),
    type: 'call.completed',
    attemptId,
    occurredAt: at.toISOString(),
    data: {
      closeIfOpen: true,
      outcome: 'failed',
      durationMs: 0,
      reason: 'agent_lost',
      stage: 'agent',
      trigger,
      source: 'livekit',
    },
  };
  return [{ event, deferred: true }];
}

function recordingEvent(ev: WebhookEvent, at: Date): MappedEvent[] {
  const info = ev.egressInfo;
  const attemptId = attemptIdOfRoom(info?.roomName);
  const file = info?.fileResults[0];
  if (!info || !attemptId || !file?.location) return [];
  return [
    {
      event: {
        id: derivedId(`livekit:${info.egressId}:recording`),
        type: 'call.recording_ready',
        attemptId,
        occurredAt: at.toISOString(),
        data: {
          location: file.location,
          // LiveKit reports the duration in nanoseconds and the size in bytes, both int64.
          durationMs: Number(file.duration / 1_000_000n),
          sizeBytes: Number(file.size),
          egressId: info.egressId,
        },
      },
      deferred: false,
    },
  ];
}
