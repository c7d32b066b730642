// RoomService methods. Deleting a room ends its participants and any egress recording it,
// which is how a dialer hangs up a call.
import { TwirpFault } from './twirp.js';
import { str, strings, type DoubleState, type JsonObject } from './state.js';

export function createRoom(state: DoubleState, body: JsonObject, nextId: (p: string) => string): JsonObject {
  const name = str(body, 'name');
  if (name === '') throw new TwirpFault('invalid_argument', 'room name is required');
  const existing = state.rooms.get(name);
  // Like livekit-server, creating an existing room returns it unchanged.
  if (existing) return existing.room;
  const room = {
    ...body,
    name,
    sid: nextId('RM'),
    creationTime: String(Math.floor(Date.now() / 1000)),
    numParticipants: 0,
  };
  state.rooms.set(name, { room, participants: new Map() });
  return room;
}

export function deleteRoom(state: DoubleState, body: JsonObject): JsonObject {
  const name = str(body, 'room');
  if (!state.rooms.delete(name)) throw new TwirpFault('not_found', 'requested room does not exist');
  for (const egress of state.egresses.values()) {
    if (egress.roomName === name && egress.status !== 'EGRESS_COMPLETE') egress.status = 'EGRESS_COMPLETE';
  }
  return {};
}

export function listRooms(state: DoubleState, body: JsonObject): JsonObject {
  const names = strings(body, 'names');
  const rooms = [...state.rooms.values()]
    .filter((r) => names.length === 0 || names.includes(r.room.name))
    .map((r) => ({ ...r.room, numParticipants: r.participants.size }));
  return { rooms };
}

export function listParticipants(state: DoubleState, body: JsonObject): JsonObject {
  const record = state.rooms.get(str(body, 'room'));
  if (!record) throw new TwirpFault('not_found', 'requested room does not exist');
  return { participants: [...record.participants.values()] };
}

export function removeParticipant(state: DoubleState, body: JsonObject): JsonObject {
  const record = state.rooms.get(str(body, 'room'));
  if (!record?.participants.delete(str(body, 'identity'))) {
    throw new TwirpFault('not_found', 'participant not found');
  }
  return {};
}
