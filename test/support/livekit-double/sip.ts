// SIP service methods: outbound trunks and outbound calls. A call's outcome comes from the
// dial table (dial-table.ts) unless a test overrides it for a number.
import { dialAnswerFor, type DialAnswer } from './dial-table.js';
import { inviteErrorText, sipErrorDetails, TWIRP_UNKNOWN_PREFIX } from './sip-error.js';
import { transferAnswerFor, transferErrorText } from './transfer-table.js';
import { TwirpFault } from './twirp.js';
import { str, strings, type DoubleState, type JsonObject, type RoomRecord } from './state.js';

export function createOutboundTrunk(
  state: DoubleState,
  body: JsonObject,
  nextId: (p: string) => string,
): JsonObject {
  const trunk = body.trunk;
  if (typeof trunk !== 'object' || trunk === null)
    throw new TwirpFault('invalid_argument', 'trunk is required');
  const info = { ...(trunk as JsonObject), sipTrunkId: nextId('ST') };
  if (str(info, 'address') === '') throw new TwirpFault('invalid_argument', 'trunk address is required');
  state.trunks.set(info.sipTrunkId, info);
  return info;
}

export function listOutboundTrunks(state: DoubleState, body: JsonObject): JsonObject {
  const ids = strings(body, 'trunkIds');
  const numbers = strings(body, 'numbers');
  const items = [...state.trunks.values()].filter(
    (t) =>
      (ids.length === 0 || ids.includes(t.sipTrunkId)) &&
      (numbers.length === 0 || strings(t, 'numbers').some((n) => numbers.includes(n))),
  );
  return { items };
}

export function createSipParticipant(
  state: DoubleState,
  body: JsonObject,
  nextId: (p: string) => string,
  overrides: ReadonlyMap<string, DialAnswer>,
): JsonObject {
  const trunkId = str(body, 'sipTrunkId');
  if (!state.trunks.has(trunkId)) throw new TwirpFault('not_found', 'requested sip trunk does not exist');
  const number = str(body, 'sipCallTo');
  const roomName = str(body, 'roomName');
  if (number === '' || roomName === '')
    throw new TwirpFault('invalid_argument', 'sipCallTo and roomName are required');

  // The real server creates the room before it dials and keeps it, empty, after a failed dial
  // (until its empty timeout): a dialer has to delete it either way.
  const room = ensureRoom(state, roomName, nextId);
  const answer = dialAnswerFor(number, overrides);
  switch (answer.kind) {
    case 'ring_timeout':
      throw new TwirpFault('canceled', `${TWIRP_UNKNOWN_PREFIX}sip request timed out`);
    case 'sip_error': {
      const { code, sipStatusCode, sipStatus } = answer;
      throw new TwirpFault(code, TWIRP_UNKNOWN_PREFIX + inviteErrorText(sipStatusCode, sipStatus), {
        error_details: sipErrorDetails(code, sipStatusCode, sipStatus),
        sip_status: sipStatus,
        sip_status_code: String(sipStatusCode),
      });
    }
    case 'answer':
      return joinCallee(room, body, nextId, { number, trunkId, trunk: state.trunks.get(trunkId) ?? {} });
  }
}

function ensureRoom(state: DoubleState, roomName: string, nextId: (p: string) => string): RoomRecord {
  let record = state.rooms.get(roomName);
  if (!record) {
    record = { room: { name: roomName, sid: nextId('RM') }, participants: new Map() };
    state.rooms.set(roomName, record);
  }
  return record;
}

function joinCallee(
  record: RoomRecord,
  body: JsonObject,
  nextId: (p: string) => string,
  call: { number: string; trunkId: string; trunk: JsonObject },
): JsonObject {
  const identity = str(body, 'participantIdentity') || 'sip-participant';
  const sipCallId = nextId('SCL');
  const participantId = nextId('PA');
  const fromNumber = str(body, 'sipNumber') || (strings(call.trunk, 'numbers')[0] ?? '');
  // What livekit-sip v1.8.0 sets on an answered callee (test/livekit/real-call.test.ts); the
  // SIP-level values (Call-ID, tags, far-end host) are made up but shaped like the real ones.
  record.participants.set(identity, {
    sid: participantId,
    identity,
    kind: 'SIP',
    state: 'ACTIVE',
    isPublisher: true,
    metadata: str(body, 'participantMetadata'),
    tracks: [{ sid: nextId('TR'), name: identity, source: 'MICROPHONE', mimeType: 'audio/opus', stream: 'camera' }],
    attributes: {
      'sip.callID': sipCallId,
      'sip.callIDFull': `double-call-${sipCallId}`,
      'sip.callStatus': 'active',
      'sip.callTag': `double-tag-${participantId}`,
      'sip.hostname': str(call.trunk, 'address'),
      'sip.phoneNumber': call.number,
      'sip.trunkID': call.trunkId,
      'sip.trunkPhoneNumber': fromNumber,
    },
  });
  // The real server answers with proto field names (snake case); the SDK reads either.
  return { participant_id: participantId, participant_identity: identity, room_name: record.room.name, sip_call_id: sipCallId };
}

/**
 * TransferSIPParticipant as livekit-server v1.13.5 + livekit-sip v1.8.0 do it: validate the
 * request and the Refer-To URI (protocol's TransferSIPParticipantRequest.Validate), find the SIP
 * participant, send the REFER (transfer-table.ts decides how it goes). Answers once the transfer
 * completed; the callee then leaves the room, as livekit-sip hangs up the transferred leg.
 */
export function transferSipParticipant(state: DoubleState, body: JsonObject): JsonObject {
  const roomName = str(body, 'roomName');
  const identity = str(body, 'participantIdentity');
  const transferTo = str(body, 'transferTo');
  if (roomName === '') throw new TwirpFault('invalid_argument', 'Missing room name');
  if (identity === '') throw new TwirpFault('invalid_argument', 'Missing participant identity');
  if (transferTo === '') throw new TwirpFault('invalid_argument', 'missing transfer to');
  const inner = /^<(.*)>$/.exec(transferTo)?.[1] ?? transferTo;
  if (!/^(sips?|tel):/.test(inner)) {
    throw new TwirpFault('invalid_argument', 'transfer_to must be a valid SIP(s) or TEL URI (sip:, sips: or tel:)');
  }
  const room = state.rooms.get(roomName);
  if (!room) throw new TwirpFault('not_found', 'requested room does not exist');
  const participant = room.participants.get(identity);
  if (!participant) throw new TwirpFault('not_found', 'participant not found');
  const attributes = (participant.attributes ?? {}) as Record<string, unknown>;
  if (typeof attributes['sip.callID'] !== 'string') {
    throw new TwirpFault('invalid_argument', 'no SIP session associated with participant');
  }
  const answer = transferAnswerFor(inner);
  if (answer.kind === 'sip_error') {
    const text = transferErrorText(answer);
    throw new TwirpFault(answer.code, TWIRP_UNKNOWN_PREFIX + text, {
      error_details: sipErrorDetails(answer.code, answer.sipStatusCode, answer.sipStatus, text),
      sip_status: answer.sipStatus,
      sip_status_code: String(answer.sipStatusCode),
    });
  }
  // The transferred leg ends (disconnect reason CLIENT_INITIATED on the real server).
  room.participants.delete(identity);
  return {};
}
