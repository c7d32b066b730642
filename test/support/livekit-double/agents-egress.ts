// AgentDispatchService and Egress methods. Egress never records anything here: it only
// tracks the request and status so tests can assert what a recording would have been.
import { TwirpFault } from './twirp.js';
import { str, type DoubleState, type JsonObject } from './state.js';

export function createDispatch(
  state: DoubleState,
  body: JsonObject,
  nextId: (p: string) => string,
  agentJoins = true,
): JsonObject {
  const room = str(body, 'room');
  if (str(body, 'agentName') === '' || room === '') {
    throw new TwirpFault('invalid_argument', 'agentName and room are required');
  }
  const dispatch = { ...body, id: nextId('AD'), room, state: { createdAt: String(Date.now() * 1e6) } };
  state.dispatches.set(dispatch.id, dispatch);
  // A registered worker takes the job and its agent joins the room as `agent-<job id>`, kind
  // AGENT (livekit-server v1.13.5); the double has it there at once.
  const record = state.rooms.get(room);
  if (agentJoins && record) {
    const identity = `agent-${nextId('AJ')}`;
    record.participants.set(identity, { sid: nextId('PA'), identity, kind: 'AGENT', state: 'ACTIVE', isPublisher: false });
  }
  return dispatch;
}

export function listDispatch(state: DoubleState, body: JsonObject): JsonObject {
  const room = str(body, 'room');
  const id = str(body, 'dispatchId');
  const agentDispatches = [...state.dispatches.values()].filter(
    (d) => d.room === room && (id === '' || d.id === id),
  );
  return { agentDispatches };
}

export function startRoomCompositeEgress(
  state: DoubleState,
  body: JsonObject,
  nextId: (p: string) => string,
): JsonObject {
  const roomName = str(body, 'roomName');
  if (roomName === '') throw new TwirpFault('invalid_argument', 'roomName is required');
  if (!state.rooms.has(roomName)) throw new TwirpFault('not_found', 'requested room does not exist');
  const egress = {
    egressId: nextId('EG'),
    roomName,
    status: 'EGRESS_STARTING',
    startedAt: String(Date.now() * 1e6),
    roomComposite: body,
  };
  state.egresses.set(egress.egressId, egress);
  return egress;
}

export function stopEgress(state: DoubleState, body: JsonObject): JsonObject {
  const egress = state.egresses.get(str(body, 'egressId'));
  if (!egress) throw new TwirpFault('not_found', 'egress does not exist');
  if (egress.status === 'EGRESS_COMPLETE') {
    throw new TwirpFault('failed_precondition', 'egress with status EGRESS_COMPLETE cannot be stopped');
  }
  egress.status = 'EGRESS_ENDING';
  return egress;
}
