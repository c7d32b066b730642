// Registers the client commands on the outdial CLI (`org create`, `campaign create`,
// `batch create`, `batch status`, `batch start|pause|resume|cancel`, `keys create|list|revoke`); src/cli.ts calls
// registerClientCommands(program).
import { Command, Help, InvalidArgumentError, Option } from 'commander';
import {
  batchAction,
  batchCreate,
  batchStatus,
  campaignCreate,
  keysCreate,
  keysList,
  keysRevoke,
  orgCreate,
  type BatchActionName,
  type ClientIo,
  type KeyRole,
} from './commands.js';
import { clientBatchActions } from '../../core/batch-lifecycle.js';
import { loadClientConfig } from './config.js';

export { ApiError, ApiUnreachableError } from './api-client.js';
export { loadClientConfig, type ClientConfig } from './config.js';
export * from './commands.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function isoInstant(value: string): string {
  if (Number.isNaN(Date.parse(value)) || !/[zZ]|[+-]\d{2}:?\d{2}$/.test(value)) {
    throw new InvalidArgumentError('expected an ISO 8601 instant with an offset, e.g. 2026-03-01T09:00:00Z');
  }
  return value;
}

const plainHelp = new Help();

const batchActionHelp: Record<BatchActionName, string> = {
  start: 'start a draft or scheduled batch',
  pause: 'pause a batch: calls in flight finish, no new ones start',
  resume: 'resume a paused batch',
  cancel: 'cancel a batch: contacts not yet called are cancelled; calls in flight finish',
};

const consoleIo = (): ClientIo => ({ out: (line) => console.log(line), progress: process.stderr });

export function registerClientCommands(
  program: Command,
  env: Record<string, string | undefined> = process.env,
): void {
  const config = () => loadClientConfig(env);
  // Commander enforces required options but its help does not say which they are.
  program.configureHelp({
    ...program.configureHelp(),
    optionDescription: (option) => {
      const description = plainHelp.optionDescription(option);
      return option.mandatory ? `${description} (required)` : description;
    },
  });
  const org = program.command('org').description('orgs (admin token from OUTDIAL_ADMIN_TOKEN)');
  org
    .command('create')
    .description('create an org and print its API key (shown once)')
    .requiredOption('--name <name>', 'org name')
    .requiredOption('--max-concurrency <n>', 'calls in flight for the whole org', positiveInt)
    .action(async (o: { name: string; maxConcurrency: number }) => {
      await orgCreate(config(), consoleIo(), o);
    });

  program
    .command('campaign')
    .description('campaigns (API key from OUTDIAL_API_KEY)')
    .command('create')
    .description('create a campaign from a JSON file (the contract campaign body)')
    .requiredOption('--file <json>', 'campaign JSON file')
    .action(async (o: { file: string }) => {
      await campaignCreate(config(), consoleIo(), o);
    });

  const batch = program.command('batch').description('batches (API key from OUTDIAL_API_KEY)');
  batch
    .command('create <campaignId> <contactsCsv>')
    .description('upload a CSV of contacts as a draft batch, with a progress bar; --start starts it')
    .option('--name <name>', 'batch name (default: the file name)')
    .option('--max-concurrency <n>', 'calls in flight for this batch', positiveInt, 10)
    .option('--start-at <instant>', 'do not call before this ISO 8601 instant', isoInstant)
    .option('--start', 'start the batch once imported')
    .option('--map <pairs>', 'read file columns as other names: "Phone Number:phone,Given Name:first_name"')
    .action(
      async (
        campaignId: string,
        file: string,
        o: { name?: string; maxConcurrency: number; startAt?: string; start?: boolean; map?: string },
      ) => {
        const name = o.name ?? file.split(/[\\/]/).pop() ?? file;
        await batchCreate(config(), consoleIo(), {
          campaignId,
          file,
          name,
          maxConcurrency: o.maxConcurrency,
          start: o.start === true,
          ...(o.startAt ? { startAt: o.startAt } : {}),
          ...(o.map ? { map: o.map } : {}),
        });
      },
    );
  batch
    .command('status <batchId>')
    .description('print a batch’s status; --watch follows it until it completes or is cancelled')
    .option('--watch', 'poll until done: a progress bar on a terminal, one line per change otherwise, with why contacts wait')
    .option('--interval <ms>', 'poll interval when watching', positiveInt, 2000)
    .action(async (id: string, o: { watch?: boolean; interval: number }) => {
      await batchStatus(config(), consoleIo(), { id, watch: o.watch === true, intervalMs: o.interval });
    });

  for (const action of clientBatchActions)
    batch
      .command(`${action} <batchId>`)
      .description(batchActionHelp[action])
      .action(async (id: string) => {
        await batchAction(config(), consoleIo(), { id, action });
      });

  const keys = program.command('keys').description('API keys of the org (an admin API key from OUTDIAL_API_KEY)');
  keys
    .command('create')
    .description('create an API key with a role and print it (shown once)')
    .requiredOption('--name <name>', 'what the key is for')
    .addOption(new Option('--role <role>', 'what the key may do').choices(['admin', 'manager', 'viewer']).makeOptionMandatory())
    .action(async (o: { name: string; role: KeyRole }) => {
      await keysCreate(config(), consoleIo(), o);
    });
  keys
    .command('list')
    .description('list the org’s active keys with their role and last use')
    .action(async () => {
      await keysList(config(), consoleIo());
    });
  keys
    .command('revoke <id>')
    .description('revoke a key: it and its console sessions stop working at once')
    .action(async (id: string) => {
      await keysRevoke(config(), consoleIo(), { id });
    });
}
