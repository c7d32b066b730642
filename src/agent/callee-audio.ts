// The callee's audio as plain Int16 frames for the AMD engine, and the promise that settles
// when they hang up. The only place the agent touches rtc-node tracks directly.
import { AudioStream, RoomEvent, TrackKind, type Participant, type RemoteParticipant, type RemoteTrack, type Room } from '@livekit/rtc-node';
import { sipCallState } from './sip-call-state.js';

/** Rate the AMD engine listens at: wideband where the trunk offers it, resampled otherwise. */
export const AMD_SAMPLE_RATE = 16000;

export function calleeAudioTrack(room: Room, callee: RemoteParticipant): Promise<RemoteTrack> {
  for (const pub of callee.trackPublications.values()) {
    if (pub.kind === TrackKind.KIND_AUDIO && pub.track) return Promise.resolve(pub.track);
  }
  return new Promise((resolve, reject) => {
    const onTrack = (track: RemoteTrack, _pub: unknown, p: RemoteParticipant): void => {
      if (p.identity !== callee.identity || track.kind !== TrackKind.KIND_AUDIO) return;
      cleanup();
      resolve(track);
    };
    const onLeft = (p: RemoteParticipant): void => {
      if (p.identity !== callee.identity) return;
      cleanup();
      reject(new Error('callee left before publishing audio'));
    };
    const cleanup = (): void => {
      room.off(RoomEvent.TrackSubscribed, onTrack);
      room.off(RoomEvent.ParticipantDisconnected, onLeft);
    };
    room.on(RoomEvent.TrackSubscribed, onTrack);
    room.on(RoomEvent.ParticipantDisconnected, onLeft);
  });
}

/** Mono frames at `sampleRate`; `close()` releases the native stream. */
export function audioFrames(track: RemoteTrack, sampleRate: number): AsyncIterator<Int16Array> & { close(): Promise<void> } {
  const stream = new AudioStream(track, { sampleRate, numChannels: 1 });
  const reader = stream.getReader();
  return {
    async next() {
      const r = await reader.read();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value.data };
    },
    async close() {
      await reader.cancel();
    },
  };
}

export function calleeGone(room: Room, identity: string): Promise<void> {
  return new Promise((resolve) => {
    const onLeft = (p: RemoteParticipant): void => {
      if (p.identity === identity) resolve();
    };
    room.on(RoomEvent.ParticipantDisconnected, onLeft);
    room.once(RoomEvent.Disconnected, () => resolve());
  });
}

/**
 * Resolves when the callee answers (sip-call-state.ts); rejects when the call ends first (the
 * dial failed or was cancelled: the dialer reports it) or the room goes away.
 */
export function calleeAnswered(room: Room, callee: RemoteParticipant): Promise<void> {
  const now = sipCallState(callee.attributes);
  if (now === 'answered') return Promise.resolve();
  if (now === 'ended') return Promise.reject(new Error('the call ended before it was answered'));
  return new Promise((resolve, reject) => {
    const onChange = (_changed: Record<string, string>, p: Participant): void => {
      if (p.identity !== callee.identity) return;
      const state = sipCallState(p.attributes);
      if (state === 'ringing') return;
      cleanup();
      if (state === 'answered') resolve();
      else reject(new Error('the call ended before it was answered'));
    };
    const onLeft = (p: RemoteParticipant): void => {
      if (p.identity !== callee.identity) return;
      cleanup();
      reject(new Error('the callee left before answering'));
    };
    const onDisconnected = (): void => {
      cleanup();
      reject(new Error('room disconnected before the callee answered'));
    };
    const cleanup = (): void => {
      room.off(RoomEvent.ParticipantAttributesChanged, onChange);
      room.off(RoomEvent.ParticipantDisconnected, onLeft);
      room.off(RoomEvent.Disconnected, onDisconnected);
    };
    room.on(RoomEvent.ParticipantAttributesChanged, onChange);
    room.on(RoomEvent.ParticipantDisconnected, onLeft);
    room.on(RoomEvent.Disconnected, onDisconnected);
  });
}
