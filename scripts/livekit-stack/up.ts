// npm run livekit:up -- [--webhook-url URL] [--redis HOST:PORT] [--redis-db N] [--log-level L]
// Starts livekit-server and livekit-sip on loopback (see stack.ts), prints where they listen as
// one JSON line, and stops both on Ctrl-C. The webhook URL may also come from
// LIVEKIT_STACK_WEBHOOK_URL (outdial's api: http://127.0.0.1:3000/livekit/webhook).
import { parseArgs } from 'node:util';
import { startLiveKitStack, type LiveKitStackOptions } from './stack.js';

const { values } = parseArgs({
  options: {
    'webhook-url': { type: 'string' },
    redis: { type: 'string' },
    'redis-db': { type: 'string' },
    'log-level': { type: 'string' },
  },
});

const logLevels = ['debug', 'info', 'warn', 'error'] as const;
function logLevel(v: string | undefined): LiveKitStackOptions['logLevel'] {
  if (v === undefined) return undefined;
  const found = logLevels.find((l) => l === v);
  if (!found) throw new Error(`--log-level must be one of ${logLevels.join(', ')}`);
  return found;
}
function redisDb(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new Error('--redis-db must be an integer 0..15');
  return n;
}

const stack = await startLiveKitStack({
  webhookUrl: values['webhook-url'] ?? process.env.LIVEKIT_STACK_WEBHOOK_URL,
  redisAddress: values.redis,
  redisDb: redisDb(values['redis-db']),
  logLevel: logLevel(values['log-level']),
});
// The secret stays out of the output: it is in deploy/livekit/livekit.yaml for whoever needs it.
const { url, wsUrl, apiKey, ports, sipAddress, redis, webhookUrl, logs, versions } = stack;
console.log(JSON.stringify({ url, wsUrl, apiKey, ports, sipAddress, redis, webhookUrl, logs, versions }));

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  stack.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
