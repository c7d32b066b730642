// `outdial demo --telephony livekit`: the demo (src/demo) with real calls. It starts
// livekit-server + livekit-sip on loopback (./stack.ts, webhooks to the demo's API), the sipp
// switchboard as the called phones, the provider doubles as Cartesia, Deepgram and OpenAI, and,
// once the demo's settings are known, outdial's agent worker as its own process
// (`outdial agent start`). The roles run in the demo's process as with the Sim, the dialer on
// OUTDIAL_TELEPHONY=livekit. Ctrl-C (or the end of --until-done) stops all of it and drops the
// demo's database. Needs `npm run livekit:install` once (sipp, tcpdump and the built binaries).
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { weekdays, type CampaignConfig } from '../../src/core/campaign.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import type { DemoTelephony } from '../../src/demo/demo.js';
import { freeLoopbackPort } from '../../src/core/free-port.js';
import { ensureRedis } from '../../src/demo/local-services.js';
import { runDemoCommand, type DemoLauncher, type DemoRunOptions } from '../../src/demo/run.js';
import { lastToolResultName, lastUserText, startProviderDoubles, type ChatReply, type ChatRequest, type ProviderDoubles } from '../../test/support/provider-doubles/index.js';
import { spawnOutdial, type OutdialProcess } from '../../test/livekit/support/outdial-processes.js';
import { startSwitchboard } from '../../test/livekit/support/switchboard.js';
import { demoContactsCsv, demoDialPlan } from './demo-contacts.js';
import { startLiveKitStack, type LiveKitStack } from './stack.js';

/** Contacts per batch unless --contacts says otherwise: a couple of minutes of calls. */
const DEFAULT_CONTACTS = 12;
/** Calls at once: each is a livekit-sip leg, a room and an agent job process on this machine. */
const BATCH_LIMIT = 2;
const ORG_LIMIT = 4;
/** The no-answer phone rings until the dialer gives up: shorter than the examples' 25–30 s. */
const RING_TIMEOUT_SECONDS = 15;
const AGENT_START_TIMEOUT_MS = 90_000;
/** The agent's drain: calls still in flight when the demo stops get this long to end. */
const AGENT_SHUTDOWN_SECONDS = 10;

/** What the callee "says" in the two-way calls: most agree to the slot, every third one opts out. */
const SCHEDULE_ANSWER = 'yes, Tuesday at three works';
const OPT_OUT_ANSWER = 'please stop calling me';

class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

export const runLiveKitDemo: DemoLauncher = async (opts) => {
  const out = opts.out ?? process.stdout;
  let interrupted = false;
  const onSignal = (): void => {
    // Once: a second Ctrl-C changes nothing, and a demo stopped half-way would leave processes behind.
    if (!interrupted) process.stderr.write('stopping: calls in flight finish, then the agent, phones, stack and demo database go\n');
    interrupted = true;
  };
  const check = (): void => {
    if (interrupted) throw new Interrupted('interrupted while starting');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const plan = demoDialPlan(opts.contacts ?? DEFAULT_CONTACTS);
    const redis = await ensureRedis(loadConfig(opts.env ?? process.env).REDIS_URL);
    stops.push(() => redis.stop());
    check();
    const port = opts.port ?? (await freeLoopbackPort());
    const redisUrl = new URL(redis.url);
    const stack = await startLiveKitStack({
      webhookUrl: `http://127.0.0.1:${port}/livekit/webhook`,
      redisAddress: `${redisUrl.hostname}:${redisUrl.port || '6379'}`,
    });
    stops.push(() => stack.stop());
    check();
    const phones = await startSwitchboard({ logDir: stack.logs.dir, extraNumbers: plan.extraNumbers });
    stops.push(() => phones.stop());
    const providers = await startProviderDoubles({
      deepgram: { script: (conn) => (conn.index % 3 === 2 ? [OPT_OUT_ANSWER] : [SCHEDULE_ANSWER]) },
      openai: { reply: llmReply },
    });
    stops.push(() => providers.stop());
    check();
    out.write(
      `LiveKit ${stack.wsUrl} (livekit-server ${stack.versions.server}, livekit-sip ${stack.versions.sip} on ${stack.sipAddress})` +
        `  ·  phones sip:${phones.address}  ·  logs ${stack.logs.dir}\n`,
    );
    const trunkEnv = {
      OUTDIAL_TELEPHONY: 'livekit',
      LIVEKIT_URL: stack.wsUrl,
      LIVEKIT_API_KEY: stack.apiKey,
      LIVEKIT_API_SECRET: stack.apiSecret,
      OUTDIAL_SIP_TRUNK_ADDRESS: phones.address,
      OUTDIAL_SIP_TRUNK_NUMBERS: '+12025550100', // the examples' callerId
      OUTDIAL_SIP_TRUNK_TRANSPORT: 'udp',
      // A job process started cold (tsx, Silero) on a busy 2-core machine can take a while to join:
      // the framework gives a process 10 s to start and starts another when it does not.
      OUTDIAL_AGENT_JOIN_TIMEOUT_SECONDS: '90',
    };
    const telephony: DemoTelephony = {
      env: trunkEnv,
      campaign: fitCampaign,
      contactsCsv: (schedule, batchIndex, at) => demoContactsCsv(plan, batchIndex, schedule, at, opts.seed ?? 7),
      start: (config) => startAgent(config, { stack, providers, trunkEnv, interrupted: () => interrupted }),
      logFile: join(stack.logs.dir, 'demo.log'),
    };
    const runOpts: DemoRunOptions = {
      ...opts,
      port,
      orgLimit: opts.orgLimit ?? ORG_LIMIT,
      batchLimit: opts.batchLimit ?? BATCH_LIMIT,
      env: { ...(opts.env ?? process.env), REDIS_URL: redis.url },
      telephony,
    };
    return await runDemoCommand(runOpts);
  } catch (err) {
    if (err instanceof Interrupted) return 130;
    throw err;
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => out.write(`stopping: ${String(err)}\n`));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
};

/** The examples on this stack: no recording (egress is not part of it), a shorter ring, open every day. */
export function fitCampaign(c: CampaignConfig): CampaignConfig {
  const weekdayHours = c.schedule.weekly.mon ?? [['09:00', '19:00']];
  return {
    ...c,
    recording: false,
    ringTimeoutSeconds: RING_TIMEOUT_SECONDS,
    // The examples call on weekdays; the demo has calls to show at the weekend too.
    schedule: { ...c.schedule, weekly: Object.fromEntries(weekdays.map((d) => [d, c.schedule.weekly[d] ?? weekdayHours])) },
  };
}

/** The LLM double's side of a two-way call: the tool the callee's words call for, then goodbye. */
export function llmReply(req: ChatRequest): ChatReply {
  const tool = lastToolResultName(req);
  if (tool === 'end_call' || tool === 'opt_out') return { text: 'Thank you. Goodbye.' };
  if (tool === 'record_outcome') return { toolCalls: [{ name: 'end_call', arguments: { calleeWords: 'Tuesday at three works' } }] };
  const said = lastUserText(req).toLowerCase();
  if (said.includes('stop calling')) return { toolCalls: [{ name: 'opt_out', arguments: { calleeWords: OPT_OUT_ANSWER } }] };
  if (said.includes('tuesday')) {
    return { toolCalls: [{ name: 'record_outcome', arguments: { confirmed: true, appointmentAt: nextTuesdayAtThree(new Date()) } }] };
  }
  return { text: 'Sorry, could you say that again?' };
}

function nextTuesdayAtThree(now: Date): string {
  const days = ((2 - now.getUTCDay() + 7) % 7) || 7;
  return `${new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10)}T15:00`;
}

interface AgentContext {
  stack: LiveKitStack;
  providers: ProviderDoubles;
  trunkEnv: Record<string, string>;
  interrupted: () => boolean;
}

/** `outdial agent start` with the demo's Redis prefix, registered with livekit-server before any batch starts. */
async function startAgent(config: Config, ctx: AgentContext): Promise<() => Promise<void>> {
  const agentPort = await freeLoopbackPort();
  const agent = spawnOutdial(
    'agent',
    ['agent', 'start'],
    {
      ...ctx.trunkEnv,
      ...ctx.providers.env,
      DATABASE_URL: config.DATABASE_URL,
      REDIS_URL: config.REDIS_URL,
      OUTDIAL_REDIS_PREFIX: config.OUTDIAL_REDIS_PREFIX,
      LOG_LEVEL: 'info', // 'registered worker' is an info line
      OUTDIAL_AGENT_PORT: String(agentPort),
      // Load as calls in progress, not host CPU, which the whole demo keeps high on a small machine.
      OUTDIAL_AGENT_MAX_CALLS: String(ORG_LIMIT + 2),
      OUTDIAL_AGENT_IDLE_PROCESSES: String(ORG_LIMIT),
      OUTDIAL_SHUTDOWN_TIMEOUT_SECONDS: String(AGENT_SHUTDOWN_SECONDS),
    },
    ctx.stack.logs.dir,
    // Its job and inference processes go with it even when its drain times out without closing them.
    { processGroup: true },
  );
  try {
    await untilAgent(agent, ctx, 'its /readyz', async () => (await fetch(`http://127.0.0.1:${agentPort}/readyz`)).ok);
    await untilAgent(agent, ctx, 'it to register with livekit-server', async () =>
      (await agent.logLines()).some((l) => l.msg === 'registered worker'),
    );
  } catch (err) {
    await agent.stop();
    throw err;
  }
  return async () => {
    await agent.stop((AGENT_SHUTDOWN_SECONDS + 5) * 1000);
  };
}

async function untilAgent(agent: OutdialProcess, ctx: AgentContext, what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + AGENT_START_TIMEOUT_MS;
  for (;;) {
    if (ctx.interrupted()) throw new Interrupted('interrupted while the agent started');
    if (agent.child.exitCode !== null || agent.child.signalCode !== null) {
      throw new Error(`the agent exited (${agent.child.exitCode ?? agent.child.signalCode}) before ${what}; see ${agent.logPath}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`the agent did not reach ${what} within ${AGENT_START_TIMEOUT_MS / 1000} s; see ${agent.logPath}`);
    await delay(250);
  }
}
