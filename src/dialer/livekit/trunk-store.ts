// TrunkStore over Postgres: the trunk id lives in trunks.sip_trunk_id and the creation lock is a
// transaction-scoped advisory lock, released by Postgres even if the holder dies.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../core/db/schema.js';
import type { TrunkIds, TrunkStore } from './trunk.js';

function trunkIds(db: Kysely<Database>): TrunkIds {
  return {
    async get(key) {
      const row = await db
        .selectFrom('trunks')
        .select('sip_trunk_id')
        .where('id', '=', key)
        .executeTakeFirst();
      return row?.sip_trunk_id ?? null;
    },
    async set(key, sipTrunkId) {
      await db
        .insertInto('trunks')
        .values({ id: key, sip_trunk_id: sipTrunkId })
        .onConflict((oc) => oc.column('id').doUpdateSet({ sip_trunk_id: sipTrunkId }))
        .execute();
    },
  };
}

export function postgresTrunkStore(db: Kysely<Database>): TrunkStore {
  return {
    ...trunkIds(db),
    withLock: (key, fn) =>
      db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${`outdial.trunk:${key}`}))`.execute(trx);
        return fn(trunkIds(trx));
      }),
  };
}
