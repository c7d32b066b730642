// The provider doubles as a process of their own, for manual runs and `npm run livekit:up`:
//   npx tsx test/support/provider-doubles/serve.ts [--cartesia-port N] [--deepgram-port N] [--openai-port N]
//     [--stt-script FILE.json] [--llm-rules FILE.json]
// prints one JSON line with the base URLs and the env for outdial's agent, then serves until
// SIGINT/SIGTERM. Scripts can also be changed while it runs: PUT <deepgram>/_double/script
// (ListenScriptSpec), PUT <openai>/_double/rules (ChatRule[]); what was heard and said is at
// GET <cartesia>/_double/spoken, <deepgram>/_double/connections, <openai>/_double/requests.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { chatRulesSchema, listenScriptSpec, replyFromRules, scriptFromSpec, startProviderDoubles } from './index.js';

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${flag} must be a port number, got ${value}`);
  return n;
}

async function readJson(path: string | undefined): Promise<unknown> {
  return path === undefined ? undefined : JSON.parse(await readFile(path, 'utf8'));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'cartesia-port': { type: 'string' },
      'deepgram-port': { type: 'string' },
      'openai-port': { type: 'string' },
      'stt-script': { type: 'string' },
      'llm-rules': { type: 'string' },
    },
  });
  const sttScript = await readJson(values['stt-script']);
  const llmRules = await readJson(values['llm-rules']);
  const cartesiaPort = port(values['cartesia-port'], '--cartesia-port');
  const deepgramPort = port(values['deepgram-port'], '--deepgram-port');
  const openaiPort = port(values['openai-port'], '--openai-port');
  const doubles = await startProviderDoubles({
    cartesia: cartesiaPort ? { port: cartesiaPort } : {},
    deepgram: { ...(deepgramPort ? { port: deepgramPort } : {}), ...(sttScript ? { script: scriptFromSpec(listenScriptSpec.parse(sttScript)) } : {}) },
    openai: { ...(openaiPort ? { port: openaiPort } : {}), ...(llmRules ? { reply: replyFromRules(chatRulesSchema.parse(llmRules)) } : {}) },
  });
  console.log(JSON.stringify({
    cartesia: doubles.cartesia.baseUrl,
    deepgram: doubles.deepgram.baseUrl,
    openai: doubles.openai.baseUrl,
    env: doubles.env,
  }));
  const shutdown = () => {
    doubles.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
