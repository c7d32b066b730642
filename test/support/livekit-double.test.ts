// Drives the real livekit-server-sdk clients against the LiveKit protocol double, so the
// double stays faithful to what the SDK sends and how it surfaces the server's answers.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AccessToken,
  AgentDispatchClient,
  EgressClient,
  EncodedFileOutput,
  EncodedFileType,
  RoomServiceClient,
  S3Upload,
  ServerError,
  SipCallError,
  SipClient,
  WebhookReceiver,
  type WebhookEvent,
} from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dialNumber,
  dialTable,
  startLiveKitDouble,
  transferTable,
  twirpHttpStatus,
  type LiveKitDouble,
} from './livekit-double/index.js';
import { signWebhook } from './livekit-double/webhook.js';

let lk: LiveKitDouble;
let rooms: RoomServiceClient;
let sip: SipClient;
let trunkId: string;

beforeAll(async () => {
  lk = await startLiveKitDouble();
  rooms = new RoomServiceClient(lk.url, lk.apiKey, lk.apiSecret);
  sip = new SipClient(lk.url, lk.apiKey, lk.apiSecret);
  trunkId = (await sip.createSipOutboundTrunk('test', 'sip.example.test', ['+12025550100'])).sipTrunkId;
});
afterAll(async () => {
  await lk.close();
});

async function rawCreateSipParticipant(number: string, roomName: string): Promise<Response> {
  const token = new AccessToken(lk.apiKey, lk.apiSecret);
  token.addSIPGrant({ call: true });
  return fetch(`${lk.url}/twirp/livekit.SIP/CreateSIPParticipant`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token.toJwt()}` },
    body: JSON.stringify({ sipTrunkId: trunkId, sipCallTo: number, roomName, participantIdentity: 'callee' }),
  });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('authentication and grants', () => {
  it('rejects a token signed with another secret as unauthenticated', async () => {
    const forged = new RoomServiceClient(lk.url, lk.apiKey, 'not-the-secret-but-long-enough-to-sign');
    const err = await caught(forged.createRoom({ name: 'forged' }));
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(lk.state.rooms.has('forged')).toBe(false);
  });

  it('rejects a valid token without the grant the method needs', async () => {
    const token = new AccessToken(lk.apiKey, lk.apiSecret);
    token.addGrant({ roomList: true });
    const client = new SipClient(lk.url, undefined, undefined, { token: await token.toJwt() });
    const err = await caught(client.createSipParticipant(trunkId, dialNumber('0001'), 'no-grant'));
    expect(err).toMatchObject({ status: 403, code: 'permission_denied' });
  });

  it('rejects a roomAdmin token scoped to another room', async () => {
    const token = new AccessToken(lk.apiKey, lk.apiSecret);
    token.addGrant({ roomAdmin: true, room: 'room-a' });
    const client = new AgentDispatchClient(lk.url, undefined, undefined, { token: await token.toJwt() });
    const err = await caught(client.createDispatch('room-b', 'outdial-agent'));
    expect(err).toMatchObject({ status: 403, code: 'permission_denied' });
  });

  it('answers errors with content-type exactly application/json in Twirp shape', async () => {
    const res = await fetch(`${lk.url}/twirp/livekit.RoomService/CreateRoom`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({ code: 'unauthenticated', msg: expect.any(String) as string });
  });
});

describe('rooms, dispatch and egress', () => {
  it('keeps created rooms with their metadata and timeouts until deleted', async () => {
    await rooms.createRoom({ name: 'call-1', metadata: '{"a":1}', emptyTimeout: 30, departureTimeout: 5 });
    expect(lk.calls('RoomService/CreateRoom').at(-1)?.body).toMatchObject({
      name: 'call-1',
      metadata: '{"a":1}',
      emptyTimeout: 30,
      departureTimeout: 5,
    });
    const listed = await rooms.listRooms(['call-1']);
    expect(listed.map((r) => r.metadata)).toEqual(['{"a":1}']);
    await rooms.deleteRoom('call-1');
    expect(await rooms.listRooms(['call-1'])).toEqual([]);
    expect(await caught(rooms.deleteRoom('call-1'))).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('records explicit agent dispatches per room', async () => {
    const agents = new AgentDispatchClient(lk.url, lk.apiKey, lk.apiSecret);
    const created = await agents.createDispatch('call-2', 'outdial-agent', { metadata: '{"attemptId":"x"}' });
    expect(created.id).toMatch(/^AD_/);
    const listed = await agents.listDispatch('call-2');
    expect(listed.map((d) => [d.agentName, d.metadata])).toEqual([['outdial-agent', '{"attemptId":"x"}']]);
  });

  it('starts and stops an audio-only room composite egress to S3', async () => {
    const egress = new EgressClient(lk.url, lk.apiKey, lk.apiSecret);
    await rooms.createRoom({ name: 'call-3' });
    const output = new EncodedFileOutput({
      fileType: EncodedFileType.OGG,
      filepath: 'recordings/c/b/a.ogg',
      output: {
        case: 's3',
        value: new S3Upload({ bucket: 'rec', region: 'us-east-1', forcePathStyle: true }),
      },
    });
    const info = await egress.startRoomCompositeEgress('call-3', output, { audioOnly: true });
    expect(info.roomName).toBe('call-3');
    expect(lk.calls('Egress/StartRoomCompositeEgress').at(-1)?.body).toMatchObject({
      roomName: 'call-3',
      audioOnly: true,
      fileOutputs: [{ fileType: 'OGG', filepath: 'recordings/c/b/a.ogg', s3: { bucket: 'rec' } }],
    });
    const stopped = await egress.stopEgress(info.egressId);
    expect(stopped.egressId).toBe(info.egressId);
  });
});

describe('outbound SIP calls', () => {
  it('lists the trunks it created, filtered by id', async () => {
    const trunks = await sip.listSipOutboundTrunk({ trunkIds: [trunkId] });
    expect(trunks.map((t) => [t.sipTrunkId, t.address, t.numbers])).toEqual([
      [trunkId, 'sip.example.test', ['+12025550100']],
    ]);
  });

  it('answers a …0001 number and puts the callee in the room', async () => {
    const info = await sip.createSipParticipant(trunkId, dialNumber('0001'), 'call-ok', {
      participantIdentity: 'callee',
      fromNumber: '+12025550100',
      waitUntilAnswered: true,
      ringingTimeout: 20,
      maxCallDuration: 300,
    });
    expect(info).toMatchObject({ participantIdentity: 'callee', roomName: 'call-ok' });
    expect(lk.calls('SIP/CreateSIPParticipant').at(-1)?.body).toMatchObject({
      sipCallTo: dialNumber('0001'),
      sipNumber: '+12025550100',
      ringingTimeout: '20s',
      maxCallDuration: '300s',
      waitUntilAnswered: true,
    });
    const participants = await rooms.listParticipants('call-ok');
    expect(participants.map((p) => p.identity)).toEqual(['callee']);
    await rooms.removeParticipant('call-ok', 'callee');
    expect(await rooms.listParticipants('call-ok')).toEqual([]);
  });

  const sipRows = Object.entries(dialTable).flatMap(([suffix, answer]) =>
    answer.kind === 'sip_error' ? [{ suffix, ...answer }] : [],
  );
  it.each(sipRows)('surfaces …$suffix as SipCallError $sipStatusCode ($code)', async (row) => {
    const err = await caught(sip.createSipParticipant(trunkId, dialNumber(row.suffix), `call-${row.suffix}`));
    expect(err).toBeInstanceOf(SipCallError);
    const sipErr = err as SipCallError;
    expect(sipErr.sipStatusCode).toBe(row.sipStatusCode);
    expect(sipErr.sipStatus).toBe(row.sipStatus);
    expect(sipErr.code).toBe(row.code);
    expect(sipErr.status).toBe(twirpHttpStatus[row.code]);
  });

  it('surfaces a ring timeout (…0408) as a canceled ServerError without SIP status', async () => {
    const err = await caught(sip.createSipParticipant(trunkId, dialNumber('0408'), 'call-ring'));
    expect(err).toBeInstanceOf(ServerError);
    expect(err).not.toBeInstanceOf(SipCallError);
    expect(err).toMatchObject({ code: 'canceled', status: 408, metadata: undefined });
  });

  // Raw Twirp answers of the real stack (livekit-server v1.13.5 + livekit-sip v1.8.0), captured
  // with a fetch to CreateSIPParticipant against sipp phones: the double must answer byte for byte.
  const realRejections = [
    ['0486', 'resource_exhausted', 'twirp error unknown: INVITE failed: sip status: 486: Busy Here', 'Busy Here',
      'CAgSKUlOVklURSBmYWlsZWQ6IHNpcCBzdGF0dXM6IDQ4NjogQnVzeSBIZXJlGjcKJXR5cGUuZ29vZ2xlYXBpcy5jb20vbGl2ZWtpdC5TSVBTdGF0dXMSDgjmAxIJQnVzeSBIZXJl'],
    ['0603', 'permission_denied', 'twirp error unknown: unexpected status from INVITE response: sip status: 603: Decline', 'Decline',
      'CAcSQHVuZXhwZWN0ZWQgc3RhdHVzIGZyb20gSU5WSVRFIHJlc3BvbnNlOiBzaXAgc3RhdHVzOiA2MDM6IERlY2xpbmUaNQoldHlwZS5nb29nbGVhcGlzLmNvbS9saXZla2l0LlNJUFN0YXR1cxIMCNsEEgdEZWNsaW5l'],
    ['0404', 'not_found', 'twirp error unknown: INVITE failed: sip status: 404: Not Found', 'Not Found',
      'CAUSKUlOVklURSBmYWlsZWQ6IHNpcCBzdGF0dXM6IDQwNDogTm90IEZvdW5kGjcKJXR5cGUuZ29vZ2xlYXBpcy5jb20vbGl2ZWtpdC5TSVBTdGF0dXMSDgiUAxIJTm90IEZvdW5k'],
    ['0480', 'resource_exhausted', 'twirp error unknown: INVITE failed: sip status: 480: Temporarily Unavailable', 'Temporarily Unavailable',
      'CAgSN0lOVklURSBmYWlsZWQ6IHNpcCBzdGF0dXM6IDQ4MDogVGVtcG9yYXJpbHkgVW5hdmFpbGFibGUaRQoldHlwZS5nb29nbGVhcGlzLmNvbS9saXZla2l0LlNJUFN0YXR1cxIcCOADEhdUZW1wb3JhcmlseSBVbmF2YWlsYWJsZQ=='],
  ] as const;
  it.each(realRejections)('answers …%s with the real server\'s raw Twirp error body', async (suffix, code, msg, reason, details) => {
    const res = await rawCreateSipParticipant(dialNumber(suffix), `call-raw-${suffix}`);
    expect(res.status).toBe(twirpHttpStatus[code]);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({
      code,
      msg,
      meta: { error_details: details, sip_status: reason, sip_status_code: suffix.slice(1) },
    });
  });

  it('answers a ring timeout with the real server\'s raw body: canceled, no meta', async () => {
    const res = await rawCreateSipParticipant(dialNumber('0408'), 'call-raw-ring');
    expect(res.status).toBe(408);
    expect(await res.json()).toEqual({ code: 'canceled', msg: 'twirp error unknown: sip request timed out' });
  });

  it('answers a dial with proto field names, as the real server does', async () => {
    const res = await rawCreateSipParticipant(dialNumber('0001'), 'call-raw-ok');
    expect(res.status).toBe(200);
    expect(Object.keys((await res.json()) as object).sort()).toEqual([
      'participant_id',
      'participant_identity',
      'room_name',
      'sip_call_id',
    ]);
  });

  it('creates the call\'s room before dialling and keeps it, empty, when the dial fails', async () => {
    for (const suffix of ['0486', '0408']) {
      await caught(sip.createSipParticipant(trunkId, dialNumber(suffix), `call-kept-${suffix}`));
      expect((await rooms.listRooms([`call-kept-${suffix}`])).map((r) => r.name)).toEqual([`call-kept-${suffix}`]);
      expect(await rooms.listParticipants(`call-kept-${suffix}`)).toEqual([]);
    }
  });

  it('puts an answered callee in the room with the real SIP attributes and an audio track', async () => {
    const info = await sip.createSipParticipant(trunkId, dialNumber('0001'), 'call-attrs', {
      participantIdentity: 'callee',
    });
    const [callee] = await rooms.listParticipants('call-attrs');
    expect(callee?.toJson()).toMatchObject({
      sid: info.participantId,
      identity: 'callee',
      kind: 'SIP',
      state: 'ACTIVE',
      isPublisher: true,
      tracks: [expect.objectContaining({ source: 'MICROPHONE', mimeType: 'audio/opus' })],
      attributes: {
        'sip.callID': info.sipCallId,
        'sip.callIDFull': expect.any(String) as string,
        'sip.callStatus': 'active',
        'sip.callTag': expect.any(String) as string,
        'sip.hostname': 'sip.example.test',
        'sip.phoneNumber': dialNumber('0001'),
        'sip.trunkID': trunkId,
        'sip.trunkPhoneNumber': '+12025550100',
      },
    });
  });

  it('surfaces an unknown trunk as a plain not_found ServerError', async () => {
    const err = await caught(sip.createSipParticipant('ST_missing', dialNumber('0001'), 'call-trunk'));
    expect(err).not.toBeInstanceOf(SipCallError);
    expect(err).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('lets a per-number delay outlast the client timeout, surfacing TimeoutError', async () => {
    const slow = dialNumber('7001');
    lk.setDialDelay(slow, 2_000);
    const err = await caught(sip.createSipParticipant(trunkId, slow, 'call-slow', { timeout: 0.2 }));
    expect(err).toMatchObject({ name: 'TimeoutError' });
  });
});

describe('test controls', () => {
  it('fails the next call of a method with an injected Twirp error, then recovers', async () => {
    lk.failNext('RoomService/CreateRoom', { code: 'unavailable', msg: 'injected' });
    expect(await caught(rooms.createRoom({ name: 'call-f' }))).toMatchObject({
      code: 'unavailable',
      status: 503,
    });
    await rooms.createRoom({ name: 'call-f' });
    const recorded = lk.calls('RoomService/CreateRoom').filter((r) => r.body.name === 'call-f');
    expect(recorded.map((r) => r.status)).toEqual([503, 200]);
    expect(recorded.every((r) => typeof r.at === 'number' && r.at > 0)).toBe(true);
  });

  it('holds a method until released', async () => {
    const hold = lk.hold('RoomService/CreateRoom');
    const pending = rooms.createRoom({ name: 'call-held' });
    const arrived = await hold.arrived;
    expect(arrived.body.name).toBe('call-held');
    expect(lk.state.rooms.has('call-held')).toBe(false);
    hold.release();
    await pending;
    expect(lk.state.rooms.has('call-held')).toBe(true);
  });
});

describe('webhooks', () => {
  it('signs webhooks that WebhookReceiver accepts, and a tampered body it rejects', async () => {
    const receiver = new WebhookReceiver(lk.apiKey, lk.apiSecret);
    const received: WebhookEvent[] = [];
    const contentTypes: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        contentTypes.push(req.headers['content-type']);
        receiver
          .receive(Buffer.concat(chunks).toString('utf8'), req.headers.authorization)
          .then((event) => {
            received.push(event);
            res.writeHead(200).end();
          })
          .catch(() => res.writeHead(401).end());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const res = await lk.postWebhook(url, {
        event: 'room_finished',
        room: { name: 'call-9', sid: 'RM_9' },
      });
      expect(res.status).toBe(200);
      expect(received.map((e) => [e.event, e.room?.name])).toEqual([['room_finished', 'call-9']]);
      expect(contentTypes[0]).toBe('application/webhook+json');

      const signed = await signWebhook(lk.apiKey, lk.apiSecret, { event: 'room_finished' });
      const tampered = await fetch(url, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body.replace('room_finished', 'room_started'),
      });
      expect(tampered.status).toBe(401);
      expect(signed.headers.authorization).not.toMatch(/^Bearer /);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('SIP transfer (TransferSIPParticipant)', () => {
  async function answered(roomName: string): Promise<void> {
    await sip.createSipParticipant(trunkId, dialNumber('0001'), roomName, { participantIdentity: 'callee', waitUntilAnswered: true });
  }
  const present = async (roomName: string) => (await rooms.listParticipants(roomName)).map((p) => p.identity);

  it('transfers an answered callee: the SDK call resolves and the callee leaves the room', async () => {
    await answered('xfer-ok');
    await expect(sip.transferSipParticipant('xfer-ok', 'callee', 'sip:+15559990000@transfer.example')).resolves.toBeUndefined();
    expect(lk.calls('SIP/TransferSIPParticipant').at(-1)?.body).toEqual({
      roomName: 'xfer-ok',
      participantIdentity: 'callee',
      transferTo: 'sip:+15559990000@transfer.example',
      ringingTimeout: '30s',
    });
    expect(await present('xfer-ok')).toEqual([]);
  });

  it('needs sip.call and roomAdmin on the same room', async () => {
    await answered('xfer-auth');
    for (const grant of [
      (t: AccessToken) => t.addSIPGrant({ call: true }),
      (t: AccessToken) => {
        t.addSIPGrant({ call: true });
        t.addGrant({ roomAdmin: true, room: 'another-room' });
      },
      (t: AccessToken) => t.addGrant({ roomAdmin: true, room: 'xfer-auth' }),
    ]) {
      const token = new AccessToken(lk.apiKey, lk.apiSecret);
      grant(token);
      const client = new SipClient(lk.url, undefined, undefined, { token: await token.toJwt() });
      expect(await caught(client.transferSipParticipant('xfer-auth', 'callee', 'tel:+15559990000'))).toMatchObject({
        status: 403,
        code: 'permission_denied',
      });
    }
    expect(await present('xfer-auth')).toEqual(['callee']);
  });

  const failures = Object.entries(transferTable).flatMap(([suffix, answer]) =>
    answer.kind === 'sip_error' ? [{ suffix, ...answer }] : [],
  );
  it.each(failures)('surfaces a transfer to …$suffix as SipCallError $sipStatusCode and keeps the callee', async (row) => {
    const roomName = `xfer-${row.suffix}`;
    await answered(roomName);
    const err = await caught(sip.transferSipParticipant(roomName, 'callee', `tel:+1202555${row.suffix}`));
    expect(err).toBeInstanceOf(SipCallError);
    expect(err).toMatchObject({
      sipStatusCode: row.sipStatusCode,
      sipStatus: row.sipStatus,
      code: row.code,
      status: twirpHttpStatus[row.code],
      message: `SIP call failed: ${row.sipStatusCode} ${row.sipStatus} (${row.code})`,
    });
    expect(await present(roomName)).toEqual(['callee']);
  });

  it('refuses a Refer-To that is neither a sip:, sips: nor tel: URI, as the real validation does', async () => {
    await answered('xfer-bad');
    const err = await caught(sip.transferSipParticipant('xfer-bad', 'callee', '+15559990000'));
    expect(err).toBeInstanceOf(ServerError);
    expect(err).not.toBeInstanceOf(SipCallError);
    expect(err).toMatchObject({ code: 'invalid_argument', status: 400 });
  });

  it('answers not_found for a participant who is not in the room, and for a missing room', async () => {
    await answered('xfer-gone');
    expect(await caught(sip.transferSipParticipant('xfer-gone', 'nobody', 'tel:+15559990000'))).toMatchObject({ code: 'not_found' });
    expect(await caught(sip.transferSipParticipant('no-such-room', 'callee', 'tel:+15559990000'))).toMatchObject({ code: 'not_found' });
  });
});
