// Makes sure the outbound SIP trunk exists before the first call. Either it is named by id
// (OUTDIAL_SIP_TRUNK_ID) and must exist, or it is created once from its address and numbers.
// Creation runs under a cross-process lock and is recorded in trunks.sip_trunk_id, so dialers
// starting together create one trunk, and a restart reuses it.
import type { CreateSipOutboundTrunkOptions, SipClient } from 'livekit-server-sdk';

export type SipTransportName = 'auto' | 'udp' | 'tcp' | 'tls';

export interface TrunkSpec {
  /** Trunk name in LiveKit; also how a trunk created by a crashed dialer is found again. */
  name: string;
  address: string;
  numbers: string[];
  transport: SipTransportName;
  username?: string | undefined;
  password?: string | undefined;
}

export type TrunkSource = { id: string } | { create: TrunkSpec };

export interface TrunkIds {
  get(key: string): Promise<string | null>;
  set(key: string, sipTrunkId: string): Promise<void>;
}

export interface TrunkStore extends TrunkIds {
  /** Runs `fn` while holding an exclusive lock for `key` shared by every dialer process. */
  withLock<T>(key: string, fn: (locked: TrunkIds) => Promise<T>): Promise<T>;
}

export class TrunkError extends Error {
  override readonly name = 'TrunkError';
}

// SIPTransport is not re-exported by livekit-server-sdk (livekit.md §1); its values are fixed by
// the wire protocol (livekit_sip.proto), so they are spelled out here instead of adding
// @livekit/protocol, whose separately installed copy would not type-check against the SDK's.
type SipTransport = CreateSipOutboundTrunkOptions['transport'];
const transports: Record<SipTransportName, SipTransport> = { auto: 0, udp: 1, tcp: 2, tls: 3 };

async function trunkExists(sip: SipClient, id: string): Promise<boolean> {
  const found = await sip.listSipOutboundTrunk({ trunkIds: [id] });
  return found.some((t) => t.sipTrunkId === id);
}

async function findOrCreate(sip: SipClient, spec: TrunkSpec): Promise<string> {
  const existing = await sip.listSipOutboundTrunk({ numbers: spec.numbers });
  const same = existing.find((t) => t.name === spec.name && t.address === spec.address);
  if (same) return same.sipTrunkId;
  const created = await sip.createSipOutboundTrunk(spec.name, spec.address, spec.numbers, {
    transport: transports[spec.transport],
    ...(spec.username === undefined ? {} : { authUsername: spec.username }),
    ...(spec.password === undefined ? {} : { authPassword: spec.password }),
  });
  return created.sipTrunkId;
}

/** Returns the LiveKit id of the outbound trunk for `key`, creating it at most once. */
export async function ensureOutboundTrunk(
  sip: SipClient,
  source: TrunkSource,
  store: TrunkStore,
  key = 'default',
): Promise<string> {
  if ('id' in source) {
    if (!(await trunkExists(sip, source.id))) {
      throw new TrunkError(
        `outbound SIP trunk ${source.id} (OUTDIAL_SIP_TRUNK_ID) does not exist in LiveKit`,
      );
    }
    return source.id;
  }
  const known = await store.get(key);
  if (known !== null && (await trunkExists(sip, known))) return known;
  return store.withLock(key, async (locked) => {
    // Another dialer may have created it while this one waited for the lock.
    const stored = await locked.get(key);
    if (stored !== null && (await trunkExists(sip, stored))) return stored;
    const id = await findOrCreate(sip, source.create);
    await locked.set(key, id);
    return id;
  });
}
