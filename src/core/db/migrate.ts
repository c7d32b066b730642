// Applies db/migrations/*.sql in name order with Kysely's migrator (which keeps its own
// bookkeeping table and a lock, so concurrent `outdial migrate` runs are safe).
import { readdir, readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Db } from './client.js';

export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'db', 'migrations');

class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.sql')).sort();
    const out: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(join(this.dir, file), 'utf8');
      out[file.replace(/\.sql$/, '')] = {
        up: async (db) => {
          await sql.raw(text).execute(db);
        },
      };
    }
    return out;
  }
}

export function createMigrator(db: Db, dir = migrationsDir): Migrator {
  // Numbers are ranged by owner (00xx core, 01xx producers, … 05xx sinks), so a later 01xx file may
  // arrive after a 05xx one was applied: apply it rather than refuse to start.
  return new Migrator({ db, provider: new SqlFileMigrationProvider(dir), allowUnorderedMigrations: true });
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Db, dir = migrationsDir): Promise<string[]> {
  const result: MigrationResultSet = await createMigrator(db, dir).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const cause = result.error instanceof Error ? result.error.message : JSON.stringify(result.error);
    throw new Error(`migration ${failed} failed: ${cause}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when every migration on disk has been applied (used by /readyz). */
export async function migrationsCurrent(db: Db, dir = migrationsDir): Promise<boolean> {
  const list = await createMigrator(db, dir).getMigrations();
  return list.every((m) => m.executedAt !== undefined);
}
