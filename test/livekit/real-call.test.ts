// Real calls on one machine: livekit-server + livekit-sip (built from the pinned modules by
// scripts/livekit-stack/install) dial the sipp switchboard on loopback through ONE outbound trunk,
// the callee's behaviour chosen by the dialled number (support/switchboard.ts). Asserts what the
// real stack reports and what really crosses the wire (SIP messages, RTP with speech energy in
// both directions), so the Twirp double and failure-mapping.ts can be checked against it.
// Run with `npm run test:livekit` (not part of `npm test`).
import { DisconnectReason } from '@livekit/rtc-node';
import { RoomServiceClient, ServerError, SipCallError, SipClient } from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAmdDetector } from '../../src/agent/amd/index.js';
import { blockLevelDb } from '../../src/agent/amd/segmenter.js';
import type { LiveKitStack } from '../../scripts/livekit-stack/stack.js';
import { waitFor } from '../support/wait.js';
import { phoneAudioFiles } from './support/phone-audio.js';
import { SPEECH_LEVEL_DB } from './support/rtp-capture.js';
import { EAR_SAMPLE_RATE, joinRoomEar, tone, type RoomEar } from './support/room-ear.js';
import { startPrivateLiveKitStack } from './support/private-stack.js';
import { ACCEPTED_REFER_LINES } from './support/refer-dialogue.js';
import { PHONES, REJECTIONS, startSwitchboard, type PhoneName, type Switchboard } from './support/switchboard.js';

const CALLEE = 'callee';
const TRUNK_NUMBER = '+15550100';
const UDP = 1; // SIPTransport.SIP_TRANSPORT_UDP (not re-exported by livekit-server-sdk)

let stack: LiveKitStack;
let sip: SipClient;
let rooms: RoomServiceClient;
let phones: Switchboard;
let trunkId: string;
let seq = 0;
const ears: RoomEar[] = [];

beforeAll(async () => {
  stack = await startPrivateLiveKitStack();
  sip = new SipClient(stack.url, stack.apiKey, stack.apiSecret);
  rooms = new RoomServiceClient(stack.url, stack.apiKey, stack.apiSecret);
  phones = await startSwitchboard({ logDir: stack.logs.dir });
  // One trunk for every phone, as with a carrier: the number alone picks the behaviour.
  const trunk = await sip.createSipOutboundTrunk('switchboard', phones.address, [TRUNK_NUMBER], { transport: UDP });
  trunkId = trunk.sipTrunkId;
});

afterEach(async () => {
  await Promise.all(ears.splice(0).map((e) => e.close()));
});

afterAll(async () => {
  await phones?.stop();
  await stack?.stop();
});

function dial(phone: PhoneName, ringingTimeout = 10) {
  const roomName = `call-real-${++seq}`;
  const call = sip.createSipParticipant(trunkId, PHONES[phone], roomName, {
    participantIdentity: CALLEE,
    waitUntilAnswered: true,
    ringingTimeout,
    timeout: ringingTimeout + 10,
  });
  return { roomName, call };
}

/** A listener in the room before the call is placed, so it hears the callee from the first word. */
async function earIn(roomName: string): Promise<RoomEar> {
  const ear = await joinRoomEar({
    wsUrl: stack.wsUrl,
    apiKey: stack.apiKey,
    apiSecret: stack.apiSecret,
    roomName,
    identity: `ear-${roomName}`,
    fromIdentity: CALLEE,
  });
  ears.push(ear);
  return ear;
}

/** livekit-sip sets the callee's attributes as the call goes on: the SIP Call-ID may come after the answer. */
function sipCallIdOf(roomName: string): Promise<string> {
  return waitFor(
    async () => (await rooms.listParticipants(roomName)).find((p) => p.identity === CALLEE)?.attributes['sip.callIDFull'],
    { timeoutMs: 10_000, what: `sip.callIDFull on the callee in ${roomName}` },
  );
}

/** Milliseconds of 20 ms blocks at speech level in 8 kHz audio. */
function voicedMs(samples: Int16Array): number {
  const block = (EAR_SAMPLE_RATE * 20) / 1000;
  let voiced = 0;
  for (let i = 0; i + block <= samples.length; i += block) {
    if (blockLevelDb(samples.subarray(i, i + block)) >= SPEECH_LEVEL_DB) voiced += 20;
  }
  return voiced;
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the dial to fail');
}

describe('real LiveKit stack and the sipp switchboard', () => {
  it('the human phone answers, its "Hello? Who is this?" reaches the room, the room\'s audio reaches the phone', async () => {
    const { roomName, call } = dial('human');
    const ear = await earIn(roomName);
    const info = await call;
    expect(info.roomName).toBe(roomName);
    expect(info.participantIdentity).toBe(CALLEE);
    expect(info.sipCallId).toMatch(/^SCL_/);
    expect(info.participantId).toMatch(/^PA_/);

    const callee = (await rooms.listParticipants(roomName)).find((p) => p.identity === CALLEE);
    expect(callee?.toJson()).toMatchObject({
      sid: info.participantId,
      identity: CALLEE,
      state: 'ACTIVE',
      kind: 'SIP',
      isPublisher: true,
      tracks: [expect.objectContaining({ source: 'MICROPHONE', mimeType: 'audio/opus' })],
      attributes: {
        'sip.callID': info.sipCallId,
        'sip.callIDFull': expect.any(String) as string,
        'sip.callTag': expect.stringMatching(/SIPpTag01/) as string,
        'sip.callStatus': 'active',
        'sip.hostname': phones.address,
        'sip.phoneNumber': PHONES.human,
        'sip.trunkID': trunkId,
        'sip.trunkPhoneNumber': TRUNK_NUMBER,
      },
    });
    const sipCallId = await sipCallIdOf(roomName);

    // "Hello? Who is this?" is about a second of speech: it arrives decoded in the room.
    await waitFor(() => voicedMs(ear.heard()) >= 600, { timeoutMs: 30_000, what: 'the callee\'s hello in the room' });
    // Then the phone listens: a tone spoken into the room arrives at its RTP port as PCMU with energy.
    const before = await phones.speechPacketsReceived(sipCallId);
    await ear.speak(tone(440, 1_500));
    await waitFor(async () => (await phones.speechPacketsReceived(sipCallId)) - before >= 50, {
      timeoutMs: 30_000,
      what: '1.5 s of tone to reach the phone as RTP (50 of 75 packets with energy)',
    });
    expect((await phones.rtpReceived(sipCallId)).every((p) => p.payloadType === 0)).toBe(true);

    // The caller hangs up: deleting the room makes livekit-sip send BYE, which the phone answers.
    await rooms.deleteRoom(roomName);
    await waitFor(async () => (await phones.sipLines(sipCallId)).at(-1) === 'SIP/2.0 200 OK' && (await phones.sipLines(sipCallId)).length === 7, {
      timeoutMs: 30_000,
      what: 'BYE and its 200 OK',
    });
    expect(await phones.sipLines(sipCallId)).toEqual([
      expect.stringMatching(new RegExp(`^INVITE sip:\\${PHONES.human}@127\\.0\\.0\\.1:\\d+;transport=udp SIP/2\\.0$`)),
      'SIP/2.0 100 Trying',
      'SIP/2.0 180 Ringing',
      'SIP/2.0 200 OK',
      expect.stringMatching(/^ACK sip:/),
      expect.stringMatching(/^BYE sip:/),
      'SIP/2.0 200 OK',
    ]);
  });

  it('the voicemail phone\'s greeting and beep reach the room: outdial\'s AMD says machine and finds the beep', async () => {
    const { voicemailBeepAtMs } = await phoneAudioFiles();
    const { roomName, call } = dial('voicemail');
    const ear = await earIn(roomName);
    await call;
    const amd = createAmdDetector({ sampleRate: EAR_SAMPLE_RATE });
    let fed = 0;
    await waitFor(
      () => {
        const heard = ear.heard();
        for (; fed + 160 <= heard.length; fed += 160) amd.push(heard.subarray(fed, fed + 160));
        return amd.beepAtMs !== null;
      },
      { timeoutMs: voicemailBeepAtMs + 10_000, intervalMs: 100, what: 'the beep after the greeting' },
    );
    expect(amd.verdict?.result).toBe('machine');
    // The room hears the phone from its first RTP packet, give or take the subscription delay.
    expect(amd.beepAtMs).toBeGreaterThan(voicemailBeepAtMs - 1_500);
    expect(amd.beepAtMs).toBeLessThan(voicemailBeepAtMs + 500);
    await rooms.deleteRoom(roomName);
  });

  it('the phone that hangs up after 2 s leaves the room; the server reports CLIENT_INITIATED', async () => {
    const { roomName, call } = dial('hangup');
    const ear = await earIn(roomName);
    await call;
    const answeredAt = Date.now();
    const sipCallId = await sipCallIdOf(roomName);
    await waitFor(() => ear.left.some((l) => l.identity === CALLEE), { timeoutMs: 30_000, what: 'the callee to leave' });
    const heldMs = Date.now() - answeredAt;
    expect(ear.left).toEqual([{ identity: CALLEE, reason: DisconnectReason.CLIENT_INITIATED }]);
    expect(heldMs).toBeGreaterThanOrEqual(1_500);
    expect(heldMs).toBeLessThan(6_000);
    expect((await phones.sipLines(sipCallId)).slice(3)).toEqual([
      'SIP/2.0 200 OK',
      expect.stringMatching(/^ACK sip:/),
      expect.stringMatching(/^BYE sip:/),
      'SIP/2.0 200 OK',
    ]);
    await waitFor(async () => (await rooms.listParticipants(roomName)).every((p) => p.identity !== CALLEE), {
      timeoutMs: 30_000,
      what: 'the server to drop the callee',
    });
    await rooms.deleteRoom(roomName);
  });

  it('the transfer phone accepts a REFER: transferSipParticipant resolves, the callee leaves CLIENT_INITIATED', async () => {
    const { roomName, call } = dial('transfer');
    const ear = await earIn(roomName);
    await call;
    const sipCallId = await sipCallIdOf(roomName);

    const result = await sip.transferSipParticipant(roomName, CALLEE, 'sip:+15559990000@transfer.example');
    expect(result).toBeUndefined();
    await waitFor(() => ear.left.some((l) => l.identity === CALLEE), { timeoutMs: 30_000, what: 'the callee to leave' });
    expect(ear.left).toEqual([{ identity: CALLEE, reason: DisconnectReason.CLIENT_INITIATED }]);

    await waitFor(async () => (await phones.sipLines(sipCallId)).length >= 13, { timeoutMs: 30_000, what: 'the transfer dialogue' });
    expect((await phones.sipLines(sipCallId)).slice(3)).toEqual(['SIP/2.0 200 OK', expect.stringMatching(/^ACK sip:/), ...ACCEPTED_REFER_LINES]);
    // livekit-sip wraps the target in angle brackets.
    expect(await phones.messages()).toMatch(/^Refer-To: <sip:\+15559990000@transfer\.example>\r?$/m);
    await rooms.deleteRoom(roomName);
  });

  // [phone, Twirp code, HTTP status] exactly as the real stack reports them.
  it.each([
    ['busy', 'resource_exhausted', 429],
    ['decline', 'permission_denied', 403],
    ['not_found', 'not_found', 404],
    ['unavailable', 'resource_exhausted', 429],
  ] as const)('the %s phone fails the dial with a SipCallError', async (phone, code, http) => {
    const { status, reason } = REJECTIONS[phone];
    const { roomName, call } = dial(phone);
    const err = await caught(call);

    expect(err).toBeInstanceOf(SipCallError);
    const e = err as SipCallError;
    expect(e.sipStatusCode).toBe(status);
    expect(e.sipStatus).toBe(reason);
    expect(e.code).toBe(code);
    expect(e.status).toBe(http);
    expect(e.message).toBe(`SIP call failed: ${status} ${reason} (${code})`);
    expect(e.metadata).toEqual({
      sip_status_code: String(status),
      sip_status: reason,
      error_details: expect.any(String) as string,
    });

    const [sipCallId] = (await phones.callIdsTo(PHONES[phone])).slice(-1);
    expect(await phones.sipLines(sipCallId ?? '')).toEqual([
      expect.stringMatching(/^INVITE sip:/),
      'SIP/2.0 100 Trying',
      'SIP/2.0 180 Ringing',
      `SIP/2.0 ${status} ${reason}`,
      expect.stringMatching(/^ACK sip:/),
    ]);
    // The failed call leaves the room it created behind, empty. The server drops the ringing
    // callee just after the dial's error comes back (later still on a busy machine).
    await waitFor(async () => (await rooms.listParticipants(roomName)).length === 0, {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'the server to drop the callee of the failed dial',
    });
    expect((await rooms.listRooms([roomName])).map((r) => r.name)).toEqual([roomName]);
    await rooms.deleteRoom(roomName);
  });

  it('the phone that never answers fails with a bare canceled error once the ring timeout passes', async () => {
    const { roomName, call } = dial('no_answer', 3);
    const started = Date.now();
    const err = await caught(call);
    const waited = Date.now() - started;

    expect(err).toBeInstanceOf(ServerError);
    expect(err).not.toBeInstanceOf(SipCallError);
    const e = err as ServerError;
    expect(e.code).toBe('canceled');
    expect(e.status).toBe(408);
    expect(e.name).toBe('Request Timeout');
    expect(e.message).toBe('twirp error unknown: sip request timed out');
    expect(e.metadata).toBeUndefined();
    expect(waited).toBeGreaterThanOrEqual(3_000);

    const [sipCallId] = (await phones.callIdsTo(PHONES.no_answer)).slice(-1);
    const lines = (): Promise<string[]> => phones.sipLines(sipCallId ?? '');
    // The phone retransmits its 487 until ACKed (RFC 3261 timer G); wait for two retransmissions.
    await waitFor(async () => (await lines()).filter((l) => l.startsWith('SIP/2.0 487')).length >= 3, {
      timeoutMs: 30_000,
      what: 'the 487 and two retransmissions',
    });
    expect((await lines()).slice(1, 6)).toEqual([
      'SIP/2.0 100 Trying',
      'SIP/2.0 180 Ringing',
      expect.stringMatching(/^CANCEL sip:/),
      'SIP/2.0 200 OK',
      'SIP/2.0 487 Request Terminated',
    ]);
    // Finding: livekit-sip v1.8.0 never ACKs the 487 that ends a CANCELled INVITE (its client
    // transaction is gone), so the phone keeps retransmitting until it gives up. Harmless for
    // outdial; a carrier sees the same.
    expect((await lines()).filter((l) => l.startsWith('ACK '))).toEqual([]);
    expect(await rooms.listParticipants(roomName)).toEqual([]);
    await rooms.deleteRoom(roomName);
  });
});
