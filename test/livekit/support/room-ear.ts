// A test participant in a real LiveKit room (rtc-node): it records the audio the SIP participant
// publishes, as 8 kHz mono PCM, and can speak into the room (a tone or a WAV file), so a test
// can check both directions of a call's media.
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  type RemoteParticipant,
  type RemoteTrack,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';

export const EAR_SAMPLE_RATE = 8000;
const FRAME_MS = 20;

export interface RoomEar {
  /** Everything heard from `fromIdentity` so far, 8 kHz mono. */
  heard(): Int16Array;
  /** Participants that left and the reason the server gave (rtc-node's DisconnectReason). */
  left: Array<{ identity: string; reason: number | undefined }>;
  /** Plays `samples` (8 kHz mono) into the room in real time; resolves when all are sent. */
  speak(samples: Int16Array): Promise<void>;
  close(): Promise<void>;
}

export interface RoomEarOptions {
  wsUrl: string;
  apiKey: string;
  apiSecret: string;
  roomName: string;
  identity: string;
  /** The participant whose audio to record (the SIP callee). */
  fromIdentity: string;
}

export async function joinRoomEar(o: RoomEarOptions): Promise<RoomEar> {
  const token = new AccessToken(o.apiKey, o.apiSecret, { identity: o.identity });
  token.addGrant({ room: o.roomName, roomJoin: true, canPublish: true, canSubscribe: true });
  const room = new Room();
  const chunks: Int16Array[] = [];
  const left: RoomEar['left'] = [];
  const readers: Array<Promise<void>> = [];

  room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _pub, participant: RemoteParticipant) => {
    if (track.kind !== TrackKind.KIND_AUDIO || participant.identity !== o.fromIdentity) return;
    const stream = new AudioStream(track, { sampleRate: EAR_SAMPLE_RATE, numChannels: 1 });
    readers.push(
      (async () => {
        for await (const frame of stream) chunks.push(frame.data.slice());
      })(),
    );
  });
  room.on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
    left.push({ identity: p.identity, reason: p.disconnectReason });
  });

  await room.connect(o.wsUrl, await token.toJwt(), { autoSubscribe: true, dynacast: false });

  let source: AudioSource | null = null;
  const speak = async (samples: Int16Array): Promise<void> => {
    if (!source) {
      source = new AudioSource(EAR_SAMPLE_RATE, 1);
      const track = LocalAudioTrack.createAudioTrack('test-voice', source);
      const opts = new TrackPublishOptions();
      opts.source = TrackSource.SOURCE_MICROPHONE;
      await room.localParticipant?.publishTrack(track, opts);
    }
    const frameLen = (EAR_SAMPLE_RATE * FRAME_MS) / 1000;
    for (let i = 0; i < samples.length; i += frameLen) {
      const frame = new Int16Array(frameLen);
      frame.set(samples.subarray(i, Math.min(i + frameLen, samples.length)));
      // captureFrame paces itself on the source's queue: frames go out in real time.
      await source.captureFrame(new AudioFrame(frame, EAR_SAMPLE_RATE, 1, frameLen));
    }
    await source.waitForPlayout();
  };

  return {
    heard: () => concat(chunks),
    left,
    speak,
    close: async () => {
      await room.disconnect();
      await Promise.race([Promise.allSettled(readers), new Promise((r) => setTimeout(r, 1_000))]);
    },
  };
}

/** A sine tone (8 kHz mono), for speaking into the room without a speech engine. */
export function tone(hz: number, ms: number, amplitude = 0.3): Int16Array {
  const n = Math.round((EAR_SAMPLE_RATE * ms) / 1000);
  return Int16Array.from({ length: n }, (_, i) => Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / EAR_SAMPLE_RATE)));
}

function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
