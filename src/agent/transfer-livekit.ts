// The transfer port of a live job: LiveKit's TransferSIPParticipant on the job's own room, with
// the server URL and API credentials the framework gives every job (the ones ctx.deleteRoom uses).
import type { JobContext } from '@livekit/agents';
import { livekitTransfer, type PlaceTransfer } from './transfer.js';

export function calleeTransfer(ctx: JobContext, calleeIdentity: string): PlaceTransfer {
  const { url, apiKey, apiSecret } = ctx.info;
  if (!apiKey || !apiSecret) {
    return () => Promise.resolve({ ok: false, sipStatus: null, reason: 'the agent job has no LiveKit API credentials' });
  }
  return livekitTransfer({ url, apiKey, apiSecret, roomName: ctx.room.name ?? '', participantIdentity: calleeIdentity });
}
