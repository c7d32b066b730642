// SIP service methods: outbound trunks and outbound calls. A call's outcome comes from the
// dial table (dial-table.ts) unless a test overrides it for a number.
import { dialAnswerFor, type DialAnswer } from './dial-table.js';
import { TwirpFault } from './twirp.js';
import { str, strings, type DoubleState, type JsonObject } from './state.js';

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

  const answer = dialAnswerFor(number, overrides);
  switch (answer.kind) {
    case 'ring_timeout':
      throw new TwirpFault('canceled', 'sip request timed out');
    case 'sip_error':
      throw new TwirpFault(
        answer.code,
        `INVITE failed: sip status: ${answer.sipStatusCode}: ${answer.sipStatus}`,
        { sip_status_code: String(answer.sipStatusCode), sip_status: answer.sipStatus },
      );
    case 'answer':
      return joinCallee(state, body, nextId, { number, roomName, trunkId });
  }
}

function joinCallee(
  state: DoubleState,
  body: JsonObject,
  nextId: (p: string) => string,
  call: { number: string; roomName: string; trunkId: string },
): JsonObject {
  // livekit-server creates the room on first join when it does not exist yet.
  let record = state.rooms.get(call.roomName);
  if (!record) {
    record = { room: { name: call.roomName, sid: nextId('RM') }, participants: new Map() };
    state.rooms.set(call.roomName, record);
  }
  const identity = str(body, 'participantIdentity') || 'sip-participant';
  const sipCallId = nextId('SCL');
  const participantId = nextId('PA');
  record.participants.set(identity, {
    sid: participantId,
    identity,
    kind: 'SIP',
    state: 'ACTIVE',
    metadata: str(body, 'participantMetadata'),
    attributes: {
      'sip.callStatus': 'active',
      'sip.callID': sipCallId,
      'sip.trunkID': call.trunkId,
      'sip.phoneNumber': call.number,
    },
  });
  return { participantId, participantIdentity: identity, roomName: call.roomName, sipCallId };
}
