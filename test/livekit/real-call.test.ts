// Real calls on one machine: livekit-server + livekit-sip (built from the pinned modules by
// scripts/livekit-stack/install) dial a sipp phone on loopback through livekit-server-sdk's
// SipClient. Asserts what the real stack reports, so the Twirp double and failure-mapping.ts can
// be checked against it. Run with `npm run test:livekit` (not part of `npm test`).
import { RoomServiceClient, ServerError, SipCallError, SipClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitStack, type LiveKitStack } from '../../scripts/livekit-stack/stack.js';
import { waitFor } from '../support/wait.js';
import { startSippPhone, type PhoneBehaviour, type SippPhone } from './support/sipp.js';

const CALLEE = 'callee';
const NUMBER = '+12025550001';
const TRUNK_NUMBER = '+15550100';
const UDP = 1; // SIPTransport.SIP_TRANSPORT_UDP (not re-exported by livekit-server-sdk)

let stack: LiveKitStack;
let sip: SipClient;
let rooms: RoomServiceClient;
const phones: SippPhone[] = [];
let seq = 0;

beforeAll(async () => {
  stack = await startLiveKitStack();
  sip = new SipClient(stack.url, stack.apiKey, stack.apiSecret);
  rooms = new RoomServiceClient(stack.url, stack.apiKey, stack.apiSecret);
});

afterAll(async () => {
  await Promise.all(phones.map((p) => p.stop()));
  await stack?.stop();
});

async function dialPhone(phone: PhoneBehaviour, ringingTimeout: number) {
  const sipp = await startSippPhone({ phone, logDir: stack.logs.dir });
  phones.push(sipp);
  const trunk = await sip.createSipOutboundTrunk(`sipp-${phone.kind}-${seq}`, sipp.address, [TRUNK_NUMBER], {
    transport: UDP,
  });
  const roomName = `call-real-${++seq}`;
  const call = sip.createSipParticipant(trunk.sipTrunkId, NUMBER, roomName, {
    participantIdentity: CALLEE,
    waitUntilAnswered: true,
    ringingTimeout,
    timeout: ringingTimeout + 10,
  });
  return { sipp, roomName, trunkId: trunk.sipTrunkId, call };
}

/** The SIP start lines sipp sent and received, in order. */
async function sipLines(sipp: SippPhone): Promise<string[]> {
  return (await sipp.messages())
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(SIP\/2\.0 \d{3} |[A-Z]+ sip:)/.test(l));
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the dial to fail');
}

describe('real LiveKit stack and a sipp phone', () => {
  it('an answering phone joins the room as a SIP participant, then hangs up', async () => {
    const { sipp, roomName, trunkId, call } = await dialPhone({ kind: 'answer' }, 10);
    const info = await call;
    expect(info.roomName).toBe(roomName);
    expect(info.participantIdentity).toBe(CALLEE);
    expect(info.sipCallId).toMatch(/^SCL_/);
    expect(info.participantId).toMatch(/^PA_/);

    const [callee] = await rooms.listParticipants(roomName);
    expect(callee?.toJson()).toMatchObject({
      sid: info.participantId,
      identity: CALLEE,
      state: 'ACTIVE',
      kind: 'SIP',
      attributes: {
        'sip.callID': info.sipCallId,
        'sip.callStatus': 'active',
        'sip.phoneNumber': NUMBER,
        'sip.trunkID': trunkId,
        'sip.trunkPhoneNumber': TRUNK_NUMBER,
      },
    });

    // The phone sends BYE after 3 s: the scenario completes and the participant leaves the room.
    expect(await sipp.exited).toBe(0);
    expect(await sipLines(sipp)).toEqual([
      expect.stringMatching(new RegExp(`^INVITE sip:\\${NUMBER}@127\\.0\\.0\\.1:\\d+;transport=udp SIP/2\\.0$`)),
      'SIP/2.0 100 Trying',
      'SIP/2.0 180 Ringing',
      'SIP/2.0 200 OK',
      expect.stringMatching(/^ACK sip:/),
      expect.stringMatching(/^BYE sip:/),
      'SIP/2.0 200 OK',
    ]);
    await waitFor(async () => (await rooms.listParticipants(roomName)).length === 0, {
      timeoutMs: 10_000,
      what: 'the callee to leave after BYE',
    });
    // The server keeps the emptied room until its empty timeout: deleting it is the dialer's job.
    expect((await rooms.listRooms([roomName])).map((r) => r.name)).toEqual([roomName]);
    await rooms.deleteRoom(roomName);
  });

  // [SIP status, reason phrase, Twirp code, HTTP status] exactly as the real stack reports them.
  it.each([
    [486, 'Busy Here', 'resource_exhausted', 429],
    [603, 'Decline', 'permission_denied', 403],
    [404, 'Not Found', 'not_found', 404],
    [480, 'Temporarily Unavailable', 'resource_exhausted', 429],
  ] as const)('a phone answering %i %s fails the dial with a SipCallError', async (status, reason, code, http) => {
    const { sipp, roomName, call } = await dialPhone({ kind: 'reject', status, reason }, 10);
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

    expect(await sipp.exited).toBe(0);
    expect((await sipLines(sipp)).slice(1)).toEqual([
      'SIP/2.0 100 Trying',
      'SIP/2.0 180 Ringing',
      `SIP/2.0 ${status} ${reason}`,
      expect.stringMatching(/^ACK sip:/),
    ]);
    // The failed call leaves the room it created behind, empty.
    expect(await rooms.listParticipants(roomName)).toEqual([]);
    await rooms.deleteRoom(roomName);
  });

  it('a phone that never answers fails with a bare canceled error once the ring timeout passes', async () => {
    const { sipp, roomName, call } = await dialPhone({ kind: 'no-answer' }, 3);
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

    await waitFor(async () => (await sipLines(sipp)).some((l) => l.startsWith('CANCEL sip:')), {
      what: 'livekit-sip to CANCEL the INVITE',
    });
    expect(await rooms.listParticipants(roomName)).toEqual([]);
    await rooms.deleteRoom(roomName);
  });
});
