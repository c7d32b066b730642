// Bearer-token checks as livekit-server does them: HS256 signed with the API secret,
// `iss` = API key, and the grant each method needs (the grants ServiceBase.authHeader mints).
import { TokenVerifier } from 'livekit-server-sdk';
import type { ClaimGrants } from 'livekit-server-sdk';
import { TwirpFault } from './twirp.js';

export type MethodKey =
  | 'RoomService/CreateRoom'
  | 'RoomService/DeleteRoom'
  | 'RoomService/ListRooms'
  | 'RoomService/ListParticipants'
  | 'RoomService/RemoveParticipant'
  | 'SIP/CreateSIPOutboundTrunk'
  | 'SIP/ListSIPOutboundTrunk'
  | 'SIP/CreateSIPParticipant'
  | 'SIP/TransferSIPParticipant'
  | 'AgentDispatchService/CreateDispatch'
  | 'AgentDispatchService/ListDispatch'
  | 'AgentDispatchService/DeleteDispatch'
  | 'Egress/StartRoomCompositeEgress'
  | 'Egress/StopEgress';

type Requirement = (claims: ClaimGrants, body: Record<string, unknown>) => string | undefined;

const video =
  (grant: 'roomCreate' | 'roomList' | 'roomRecord'): Requirement =>
  (claims) =>
    claims.video?.[grant] === true ? undefined : `video.${grant} grant required`;

/** roomAdmin is scoped: the token's `room` must name the room in the request body. */
const roomAdmin =
  (roomField: string): Requirement =>
  (claims, body) => {
    if (claims.video?.roomAdmin !== true) return 'video.roomAdmin grant required';
    const room = body[roomField];
    return claims.video.room === room ? undefined : `token is not scoped to room ${String(room)}`;
  };

const sip =
  (grant: 'admin' | 'call'): Requirement =>
  (claims) =>
    claims.sip?.[grant] === true ? undefined : `sip.${grant} grant required`;

const all =
  (...requirements: Requirement[]): Requirement =>
  (claims, body) => {
    for (const r of requirements) {
      const denied = r(claims, body);
      if (denied !== undefined) return denied;
    }
    return undefined;
  };

export const methodRequirements: Readonly<Record<MethodKey, Requirement>> = {
  'RoomService/CreateRoom': video('roomCreate'),
  'RoomService/DeleteRoom': video('roomCreate'),
  'RoomService/ListRooms': video('roomList'),
  'RoomService/ListParticipants': roomAdmin('room'),
  'RoomService/RemoveParticipant': roomAdmin('room'),
  'SIP/CreateSIPOutboundTrunk': sip('admin'),
  'SIP/ListSIPOutboundTrunk': sip('admin'),
  'SIP/CreateSIPParticipant': sip('call'),
  // livekit-server checks sip.call, then roomAdmin on the request's room (pkg/service/sip.go).
  'SIP/TransferSIPParticipant': all(sip('call'), roomAdmin('roomName')),
  'AgentDispatchService/CreateDispatch': roomAdmin('room'),
  'AgentDispatchService/ListDispatch': roomAdmin('room'),
  'AgentDispatchService/DeleteDispatch': roomAdmin('room'),
  'Egress/StartRoomCompositeEgress': video('roomRecord'),
  'Egress/StopEgress': video('roomRecord'),
};

export function isMethodKey(key: string): key is MethodKey {
  return Object.hasOwn(methodRequirements, key);
}

/** Verifies the Authorization header and the method's grant; throws a TwirpFault otherwise. */
export async function authorize(
  verifier: TokenVerifier,
  authorization: string | undefined,
  method: MethodKey,
  body: Record<string, unknown>,
): Promise<ClaimGrants> {
  const match = /^Bearer (.+)$/.exec(authorization ?? '');
  if (!match?.[1]) throw new TwirpFault('unauthenticated', 'missing bearer token');
  let claims: ClaimGrants;
  try {
    claims = await verifier.verify(match[1]);
  } catch (err) {
    throw new TwirpFault('unauthenticated', `invalid token: ${(err as Error).message}`);
  }
  const denied = methodRequirements[method](claims, body);
  if (denied !== undefined) throw new TwirpFault('permission_denied', denied);
  return claims;
}
