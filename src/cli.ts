// `outdial <command>`: maps commands to role entry points and client commands. Each role's
// start function receives its dependencies explicitly (src/core/runtime.ts); this file and
// src/roles.ts are the only places that know every role.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, requireConfig } from './core/config.js';
import { createDb } from './core/db/client.js';
import { migrateToLatest } from './core/db/migrate.js';
import { closeOnSignals } from './core/health.js';
import { createLogger } from './core/logger.js';
import { createRuntime } from './core/runtime.js';
import type { DemoLauncher } from './demo/run.js';
import { reencryptWebhookSecrets } from './core/secret-rotation.js';
import { decryptionKeys } from './core/secrets.js';
import { registerClientCommands } from './producers/client/index.js';
import { parseRoles, startRoles, type RoleName } from './roles.js';

// package.json sits one level above both src/cli.ts and the compiled dist/cli.js.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command();
program
  .name('outdial')
  .description('Queue-driven campaign dialer')
  .version(version, '-V, --version', 'print the outdial version')
  .showHelpAfterError();

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}

/** Runs roles in this process until SIGTERM/SIGINT, then drains them (calls in flight finish). */
async function serve(roles: readonly RoleName[], port?: number): Promise<void> {
  const config = loadConfig();
  const rt = createRuntime(config, { log: createLogger({ level: config.LOG_LEVEL, name: roles.join('+') }) });
  const running = await startRoles(rt, roles, { port: port ?? config.PORT, opsPort: port ?? config.PORT });
  rt.log.info({ roles, apiUrl: running.apiUrl }, 'outdial.started');
  closeOnSignals(rt, () => running.close());
}

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

program
  .command('secrets')
  .description('webhook secrets at rest')
  .command('reencrypt')
  .description(
    'seal every webhook secret under OUTDIAL_ENCRYPTION_KEY, opening old ones with OUTDIAL_ENCRYPTION_KEY_PREVIOUS (key rotation)',
  )
  .action(async () => {
    // Without a configured key this would seal everything under the published development key.
    const config = requireConfig(loadConfig(), ['OUTDIAL_ENCRYPTION_KEY'], 'outdial secrets reencrypt');
    const { db } = createDb(config.DATABASE_URL, { max: 2 });
    try {
      const report = await reencryptWebhookSecrets(db, decryptionKeys(config));
      console.log(JSON.stringify(report));
      if (report.unreadable.length > 0) {
        console.error(`${report.unreadable.length} webhook secret(s) open with no configured key: left as they are`);
        process.exitCode = 1;
      }
    } finally {
      await db.destroy();
    }
  });

program
  .command('serve')
  .description('run several roles in one process (development, single host)')
  .option('--roles <list>', 'comma-separated roles', 'api,scheduler,dialer,sinks')
  .option('--port <port>', 'HTTP port (default PORT)', positiveInt)
  .action(async (o: { roles: string; port?: number }) => serve(parseRoles(o.roles), o.port));

const roleHelp: Record<RoleName, string> = {
  api: 'REST API, Bull Board, /metrics, LiveKit webhooks',
  scheduler: 'time-zone-aware admission under concurrency limits, and the reconciler',
  dialer: 'the dial worker: places calls through LiveKit SIP or the Sim adapter',
  sinks: 'call events → outcomes, retries, audit log, signed webhooks',
};
for (const role of Object.keys(roleHelp) as RoleName[]) {
  program
    .command(role)
    .description(roleHelp[role])
    .option('--port <port>', 'HTTP port for the API or for /metrics and health (default PORT)', positiveInt)
    .action(async (o: { port?: number }) => serve([role], o.port));
}

program
  .command('agent')
  .description(
    'the LiveKit Agents worker (needs LIVEKIT_URL and provider keys) with /metrics, /healthz, /readyz on OUTDIAL_AGENT_PORT (default PORT); `agent start` is the same, other args (dev, connect, …) go to the agents CLI',
  )
  .allowUnknownOption()
  .argument('[args...]')
  .action(async (args: string[]) => {
    const { runAgentCommand } = await import('./agent/main.js');
    await runAgentCommand(args);
  });

program
  .command('demo')
  .description('run a whole demo campaign on the Sim telephony adapter, or with real calls through a local LiveKit stack')
  .addOption(
    new Option('--telephony <adapter>', 'sim: in-process calls; livekit: real calls through livekit-server, livekit-sip and sipp phones (run `npm run livekit:install` once)')
      .choices(['sim', 'livekit'])
      .default('sim'),
  )
  .option('--contacts <n>', 'generate n contacts per batch instead of examples/contacts.csv (livekit: 12 by default)', positiveInt)
  .option('--until-done', 'exit 0 once every contact is finished or waiting, printing a JSON summary last')
  .option('--seed <n>', 'seed of the Sim adapter and generated contacts', positiveInt)
  .option('--time-scale <x>', 'factor on simulated call durations (1 = realistic; Sim only)', nonNegative)
  .option('--port <port>', 'API port (default PORT, or a free one)', positiveInt)
  .option('--timeout <seconds>', 'with --until-done, give up after this long', positiveInt, 600)
  .action(
    async (o: { telephony: 'sim' | 'livekit'; contacts?: number; untilDone?: boolean; seed?: number; timeScale?: number; port?: number; timeout: number }) => {
      const { runDemoCommand } = await import('./demo/run.js');
      const run = o.telephony === 'livekit' ? await liveKitDemoLauncher() : runDemoCommand;
      process.exitCode = await run({
        ...(o.contacts === undefined ? {} : { contacts: o.contacts }),
        ...(o.seed === undefined ? {} : { seed: o.seed }),
        ...(o.timeScale === undefined ? {} : { timeScale: o.timeScale }),
        ...(o.port === undefined ? {} : { port: o.port }),
        untilDone: o.untilDone ?? false,
        timeoutMs: o.timeout * 1000,
      });
    },
  );

/**
 * The real-stack demo lives with the stack's scripts (it runs the project's sipp phones and
 * provider doubles), so it is there only in a checkout of the repository, run through tsx.
 */
async function liveKitDemoLauncher(): Promise<DemoLauncher> {
  const launcher = new URL('../scripts/livekit-stack/demo.ts', import.meta.url);
  try {
    const mod = (await import(launcher.href)) as { runLiveKitDemo: DemoLauncher };
    return mod.runLiveKitDemo;
  } catch (err) {
    throw new Error(
      `--telephony livekit runs from a checkout of the repository (npm run demo -- --telephony livekit): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

program
  .command('amd')
  .description('run answering-machine detection over WAV files; one JSON line per file')
  .argument('<files...>')
  .action(async (files: string[]) => {
    const { runAmdCli } = await import('./agent/amd-cli.js');
    process.exitCode = await runAmdCli(files, (line) => console.log(line));
  });

registerClientCommands(program);

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
