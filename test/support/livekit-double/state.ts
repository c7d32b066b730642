// In-memory LiveKit server state. Objects are kept in protojson (camelCase) form so a
// handler can answer with them directly and tests can assert on exactly what was stored.
export type JsonObject = Record<string, unknown>;

export interface RoomRecord {
  room: JsonObject & { name: string; sid: string };
  participants: Map<string, JsonObject & { identity: string }>;
}

export interface DoubleState {
  rooms: Map<string, RoomRecord>;
  trunks: Map<string, JsonObject & { sipTrunkId: string }>;
  dispatches: Map<string, JsonObject & { id: string; room: string }>;
  egresses: Map<string, JsonObject & { egressId: string; roomName: string; status: string }>;
}

export function emptyState(): DoubleState {
  return { rooms: new Map(), trunks: new Map(), dispatches: new Map(), egresses: new Map() };
}

/** Deterministic ids (`RM_1`, `ST_2`…) so failures are readable and runs repeatable. */
export function idSequence(): (prefix: string) => string {
  let n = 0;
  return (prefix) => `${prefix}_${++n}`;
}

export function str(body: JsonObject, field: string): string {
  const value = body[field];
  return typeof value === 'string' ? value : '';
}

export function strings(body: JsonObject, field: string): string[] {
  const value = body[field];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** proto3 JSON sends a google.protobuf.Duration as `"30s"`; returns whole seconds or undefined. */
export function durationSeconds(body: JsonObject, field: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(str(body, field));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
