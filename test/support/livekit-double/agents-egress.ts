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
  const id = nextId('AD');
  // A registered worker under livekit-server's target load takes the job and its agent joins the
  // room as `agent-<job id>`, kind AGENT (v1.13.5); the double has it there at once. With no such
  // worker the real server drops the job request ("no servers available") and never retries: the
  // dispatch stays, with no job in its state. `setAgentJoins(false)` is that fleet-full moment.
  const record = state.rooms.get(room);
  const jobs: JsonObject[] = [];
  if (agentJoins && record) {
    const jobId = nextId('AJ');
    const identity = `agent-${jobId}`;
    record.participants.set(identity, { sid: nextId('PA'), identity, kind: 'AGENT', state: 'ACTIVE', isPublisher: false });
    jobs.push({ id: jobId, dispatchId: id, room: { name: room }, agentName: body.agentName ?? '', state: { status: 'JS_RUNNING', participantIdentity: identity } });
  }
  const dispatch = { ...body, id, room, state: { jobs, createdAt: String(Date.now() * 1e6) } };
  state.dispatches.set(id, dispatch);
  return dispatch;
}

/** Removes the dispatch; its jobs are terminated, so their agents leave the room (pkg/rtc/room.go). */
export function deleteDispatch(state: DoubleState, body: JsonObject): JsonObject {
  const dispatch = state.dispatches.get(str(body, 'dispatchId'));
  if (!dispatch || dispatch.room !== str(body, 'room')) throw new TwirpFault('not_found', 'dispatch ID not found');
  state.dispatches.delete(dispatch.id);
  const record = state.rooms.get(dispatch.room);
  const jobs = (dispatch.state as { jobs: { state: { participantIdentity: string } }[] }).jobs;
  for (const job of jobs) record?.participants.delete(job.state.participantIdentity);
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
