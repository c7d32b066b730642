// `outdial <command>`: maps commands to role entry points and client commands. Each role's
// start function receives its dependencies explicitly (src/core/runtime.ts).
import { Command } from 'commander';
import { ConfigError, loadConfig } from './core/config.js';
import { createDb } from './core/db/client.js';
import { migrateToLatest } from './core/db/migrate.js';

const program = new Command();
program.name('outdial').description('Queue-driven campaign dialer').showHelpAfterError();

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const config = loadConfig();
    const { db } = createDb(config.DATABASE_URL, { max: 2 });
    try {
      const applied = await migrateToLatest(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await db.destroy();
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
