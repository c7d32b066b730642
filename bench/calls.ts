// npm run bench:calls [-- --levels 2,5,10,25 --max 100 --budget-minutes 15 --idle-processes N
//   --voicemail-every K --keep-going]
// N real calls at once through the real stack, on one machine: livekit-server + livekit-sip
// (scripts/livekit-stack), the sipp switchboard as the far end, outdial's agent as its own
// process (`outdial agent start`), and the provider doubles (instant TTS, STT, LLM) on loopback.
// Levels run in order (default 2, 5, 10, 25, 50, 75, 100) and stop after the first one with a
// failure (--keep-going runs on), when the time budget is spent, or before a level whose job
// processes would not fit in the host's available memory.
//
// Calls are placed in this process through the dialer's LiveKit adapter (LiveKitTelephony:
// createRoom, createDispatch of `outdial-agent` with outdial's dispatch metadata, wait for the
// agent in the room, createSipParticipant with waitUntilAnswered), without the dial worker's
// Postgres claim and queue, so the figures are those of the call path itself. The agent reports
// to `call-events` as in production; this process reads that queue in place of the sinks.
//
// Every level is a burst of N calls to one two-way campaign with AMD on: 3 of 4 dial the
// switchboard's talker (hello, then a short answer at 10 s and 16 s, which the STT double
// transcribes as "Yes, Tuesday at three works." and a second sentence; it hangs up at the cap),
// 1 of 4 the voicemail phone (greeting + beep: the agent leaves the voicemail message after the
// beep and hangs up). A call completes when the dial succeeded, AMD said human for the talker /
// machine for the voicemail, and the agent said its whole scripted reply after the callee's
// sentence / its voicemail message after the beep.
//
// Reference in the same run: before each level the agent (restarted with one warm job process
// per call of the level), livekit-server and livekit-sip are measured idle (CPU rate, RSS); the
// level's CPU-seconds are counted above that baseline. The agent's job processes started during
// the level (the pool refilling) are left out of the in-call CPU and added back once per call at
// the start-up cost measured while the pool warmed.
// Last stdout line: one JSON object.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'bullmq';
import { RoomServiceClient, SipClient } from 'livekit-server-sdk';
import { percentile } from '../src/agent/amd/evaluation.js';
import { campaignInputSchema } from '../src/core/campaign.js';
import { loadConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { queueNames, type CallEventJob } from '../src/core/queues.js';
import { createRedis } from '../src/core/redis.js';
import { ensureRedis } from '../src/demo/local-services.js';
import { roomNameFor } from '../src/dialer/call-metadata.js';
import { LiveKitTelephony } from '../src/dialer/livekit/livekit-telephony.js';
import type { TrunkStore } from '../src/dialer/livekit/trunk.js';
import type { DialRequest } from '../src/dialer/telephony.js';
import { startLiveKitStack, type LiveKitStack } from '../scripts/livekit-stack/stack.js';
import { startProviderDoubles } from '../test/support/provider-doubles/index.js';
import { PHONE_AUDIO } from '../test/livekit/support/phone-audio.js';
import { PHONES, startSwitchboard } from '../test/livekit/support/switchboard.js';
import { sleep, startAgentProcess, type AgentProcess } from './calls-agent.js';
import { bucketsCount, bucketsDelta, histogramBuckets, histogramQuantile } from './calls-metrics.js';
import { memAvailableMb, readAllProcs, readPssMb, treeOf, treeUsage, type ProcSample, type TreeUsage } from './calls-procs.js';

const { values: args } = parseArgs({
  options: {
    levels: { type: 'string', default: '2,5,10,25,50,75,100' },
    max: { type: 'string', default: '200' },
    'budget-minutes': { type: 'string', default: '15' },
    'idle-processes': { type: 'string' },
    'voicemail-every': { type: 'string', default: '4' },
    'keep-going': { type: 'boolean', default: false },
  },
});

const positive = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
};
const MAX = positive('max', args.max);
const LEVELS = (args.levels ?? '')
  .split(',')
  .map((s) => positive('levels', s.trim()))
  .filter((n) => n <= MAX);
const BUDGET_MS = positive('budget-minutes', args['budget-minutes']) * 60_000;
const VOICEMAIL_EVERY = positive('voicemail-every', args['voicemail-every']);

const PREFIX = 'bench-calls';
const CALLER_ID = '+12025550100';
/** The talker hangs up this long after answering (the voicemail phone, if the agent has not). */
const CAP_MS = 21_000;
const CALLEE_SAYS = 'Yes, Tuesday at three works.';
const AGENT_REPLY = 'Great, Tuesday at three it is. Goodbye.';
const VOICEMAIL_MESSAGE = 'Hi, this is Acme Dental. Please call us back to confirm your appointment.';
const campaign = campaignInputSchema.parse({
  name: 'bench:calls',
  mode: 'two_way',
  instructions: 'You are Sam from Acme Dental, confirming an appointment next week.',
  greeting: 'Hi, this is Sam from Acme Dental about your appointment.',
  amd: { enabled: true, onMachine: 'leave_voicemail', voicemailMessage: VOICEMAIL_MESSAGE },
  recording: false, // egress needs Chrome and GStreamer: not part of this stack
  callerId: CALLER_ID,
  ringTimeoutSeconds: 20,
  maxCallSeconds: 60,
});
const BASELINE_MS = 5_000;
const SAMPLE_MS = 1_000;
/** A process using more than this share of a core over a sample is busy with a call. */
const BUSY_CPU_SHARE = 0.03;

type PhoneKind = 'talker' | 'voicemail';

interface CallRecord {
  kind: PhoneKind;
  transcript?: Array<{ role: string; text: string }>;
  startedAt: number;
  inviteAt?: number;
  answeredAt?: number;
  endedAt?: number;
  amdMs?: number;
  failure?: string;
}

interface Components {
  agent: TreeUsage;
  server: TreeUsage;
  sip: TreeUsage;
}

/** The events the agent queued, by attempt: what the sinks would record. */
function startEventCollector(redisUrl: string) {
  const byAttempt = new Map<string, CallEventJob[]>();
  const connection = createRedis(redisUrl);
  const worker = new Worker<CallEventJob>(
    queueNames.callEvents,
    (job) => {
      const e = job.data;
      if (e.attemptId) byAttempt.set(e.attemptId, [...(byAttempt.get(e.attemptId) ?? []), e]);
      return Promise.resolve();
    },
    { connection, prefix: PREFIX, concurrency: 50 },
  );
  return {
    byAttempt,
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}

function childrenNamed(all: readonly ProcSample[], comm: string): ProcSample[] {
  return all.filter((p) => p.ppid === process.pid && p.comm === comm);
}

function components(all: readonly ProcSample[], agentPid: number): Components {
  const one = (comm: string) => treeUsage(childrenNamed(all, comm).flatMap((p) => treeOf(all, p.pid)));
  return { agent: treeUsage(treeOf(all, agentPid)), server: one('livekit-server'), sip: one('livekit-sip') };
}

interface Baseline {
  cpuPerSecond: { agent: number; server: number; sip: number };
  rssMb: { agent: number; server: number; sip: number };
  /** RSS of one warm, idle job process (median). */
  idleJobProcessRssMb: number | null;
  /** The worker's own process, without its job processes. */
  parentRssMb: number;
}

async function measureBaseline(agent: AgentProcess): Promise<Baseline> {
  const a = await readAllProcs();
  const t0 = performance.now();
  await sleep(BASELINE_MS);
  const b = await readAllProcs();
  const seconds = (performance.now() - t0) / 1000;
  const [ca, cb] = [components(a, agent.pid), components(b, agent.pid)];
  const rate = (k: keyof Components) => Math.max(0, (cb[k].cpuSeconds - ca[k].cpuSeconds) / seconds);
  const jobs = treeOf(b, agent.pid).filter((p) => p.pid !== agent.pid);
  return {
    cpuPerSecond: { agent: rate('agent'), server: rate('server'), sip: rate('sip') },
    rssMb: { agent: cb.agent.rssMb, server: cb.server.rssMb, sip: cb.sip.rssMb },
    idleJobProcessRssMb: percentile(jobs.map((p) => p.rssMb), 50),
    parentRssMb: treeOf(b, agent.pid).find((p) => p.pid === agent.pid)?.rssMb ?? 0,
  };
}

/** Peaks over the level, sampled every second; busy job processes told apart by their CPU use. */
function startSampler(agentPid: number) {
  const peak = { agent: 0, server: 0, sip: 0, agentProcesses: 0, busyJobs: 0 };
  const busyJobRss: number[] = [];
  const busyJobPss: number[] = [];
  const parentRss: number[] = [];
  let last = new Map<number, number>();
  let lastAt = performance.now();
  let stopped = false;
  const tick = async (): Promise<void> => {
    const all = await readAllProcs();
    const now = performance.now();
    const c = components(all, agentPid);
    peak.agent = Math.max(peak.agent, c.agent.rssMb);
    peak.server = Math.max(peak.server, c.server.rssMb);
    peak.sip = Math.max(peak.sip, c.sip.rssMb);
    peak.agentProcesses = Math.max(peak.agentProcesses, c.agent.processes);
    const tree = treeOf(all, agentPid);
    const seconds = (now - lastAt) / 1000;
    const busy = tree.filter((p) => {
      const before = last.get(p.pid);
      return p.pid !== agentPid && before !== undefined && (p.cpuSeconds - before) / seconds > BUSY_CPU_SHARE;
    });
    peak.busyJobs = Math.max(peak.busyJobs, busy.length);
    busyJobRss.push(...busy.map((p) => p.rssMb));
    const pss = await Promise.all(busy.map((p) => readPssMb(p.pid)));
    busyJobPss.push(...pss.filter((v): v is number => v !== null));
    parentRss.push(tree.find((p) => p.pid === agentPid)?.rssMb ?? 0);
    last = new Map(tree.map((p) => [p.pid, p.cpuSeconds]));
    lastAt = now;
  };
  const loop = (async () => {
    while (!stopped) {
      await tick().catch(() => undefined);
      await sleep(SAMPLE_MS);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { peak, busyJobRss, busyJobPss, parentPeakRss: Math.max(0, ...parentRss) };
    },
  };
}

function transcriptOf(events: readonly CallEventJob[]): Array<{ role: string; text: string }> {
  const done = events.find((e) => e.type === 'call.completed');
  const t = done?.data.transcript;
  return Array.isArray(t) ? (t as Array<{ role: string; text: string }>) : [];
}

/** Why a finished call does not count as completed; null when it does. */
function judge(kind: PhoneKind, events: readonly CallEventJob[]): string | null {
  const amd = events.find((e) => e.type === 'call.amd_result')?.data.amd as { result?: string } | undefined;
  const expected = kind === 'talker' ? 'human' : 'machine';
  if (amd?.result !== expected) return `amd ${amd?.result ?? 'none'} (expected ${expected})`;
  const t = transcriptOf(events);
  if (kind === 'voicemail') {
    return t.some((i) => i.role === 'agent' && i.text === VOICEMAIL_MESSAGE) ? null : 'voicemail message not spoken';
  }
  const said = t.findIndex((i) => i.role === 'callee' && i.text === CALLEE_SAYS);
  if (said < 0) return 'callee sentence not transcribed';
  const replies = t.slice(said + 1).filter((i) => i.role === 'agent');
  if (replies.some((i) => i.text === AGENT_REPLY)) return null;
  // Cut short: the callee's next sentence (6 s later) or hang-up came before the reply was said.
  return replies.some((i) => AGENT_REPLY.startsWith(i.text)) ? 'agent reply cut short (late)' : 'no agent reply to the callee';
}

interface LevelDeps {
  telephony: LiveKitTelephony;
  events: ReturnType<typeof startEventCollector>;
  rooms: RoomServiceClient;
  agent: AgentProcess;
}

async function placeCall(i: number, deps: LevelDeps): Promise<CallRecord> {
  const kind: PhoneKind = i % VOICEMAIL_EVERY === VOICEMAIL_EVERY - 1 ? 'voicemail' : 'talker';
  const attemptId = randomUUID();
  const rec: CallRecord = { kind, startedAt: performance.now() };
  const request: DialRequest = {
    attemptId,
    orgId: 'bench-org',
    campaignId: 'bench-campaign',
    batchId: 'bench-batch',
    contactId: randomUUID(),
    attempt: 1,
    phone: kind === 'talker' ? PHONES.talker : PHONES.voicemail,
    roomName: roomNameFor(attemptId),
    campaign,
    timezones: ['America/New_York'],
    variables: {},
  };
  try {
    const result = await deps.telephony.dial(request, {
      emit: () => Promise.resolve(),
      ringing: () => {
        rec.inviteAt = performance.now();
      },
    });
    if (result.kind === 'failed') {
      rec.failure = `dial: ${result.failure.outcome} ${result.failure.sipStatus ?? ''} ${result.failure.reason}`.trim();
      return rec;
    }
  } catch (err) {
    rec.failure = `dial threw: ${(err as Error).message}`;
    return rec;
  }
  rec.answeredAt = performance.now();
  const deadline = Date.now() + CAP_MS + 40_000;
  for (;;) {
    const events = deps.events.byAttempt.get(attemptId) ?? [];
    const amd = events.find((e) => e.type === 'call.amd_result')?.data.amd as { decidedAtMs?: number } | undefined;
    if (amd?.decidedAtMs !== undefined) rec.amdMs = amd.decidedAtMs;
    if (events.some((e) => e.type === 'call.completed')) {
      rec.endedAt = performance.now();
      const why = judge(kind, events);
      if (why) {
        rec.failure = why;
        rec.transcript = transcriptOf(events);
      }
      return rec;
    }
    if (Date.now() > deadline) {
      rec.failure = 'no call.completed from the agent';
      return rec;
    }
    await sleep(200);
  }
}

const TURN_METRIC = 'outdial_turn_latency_seconds';

/**
 * What each turn's latency is made of, from the agent's `agent.user_turn` / `agent.turn` log
 * lines (the framework's own per-turn measures, seconds): the end-of-turn wait (endpointing, and
 * the turn detector's verdict), the STT's final transcript after the end of speech, the LLM's
 * first token and the TTS's first audio.
 */
async function turnParts(logPath: string) {
  const lines = (await readFile(logPath, 'utf8').catch(() => '')).split('\n');
  const parts = { endOfTurn: [] as number[], transcription: [] as number[], llmTtft: [] as number[], ttsTtfb: [] as number[] };
  for (const line of lines) {
    if (!line.includes('"agent.user_turn"') && !line.includes('"agent.turn"')) continue;
    const m = JSON.parse(line) as Record<string, unknown>;
    const add = (into: number[], v: unknown) => typeof v === 'number' && into.push(v * 1000);
    add(parts.endOfTurn, m.endOfTurnDelay);
    add(parts.transcription, m.transcriptionDelay);
    add(parts.llmTtft, m.llmTtft);
    add(parts.ttsTtfb, m.ttsTtfb);
  }
  const p = (xs: number[], q: number) => r(percentile(xs, q));
  return {
    endOfTurnMsP50: p(parts.endOfTurn, 50),
    endOfTurnMsP95: p(parts.endOfTurn, 95),
    transcriptionMsP50: p(parts.transcription, 50),
    llmTtftMsP50: p(parts.llmTtft, 50),
    ttsTtfbMsP50: p(parts.ttsTtfb, 50),
  };
}

async function turnBuckets(agent: AgentProcess) {
  return histogramBuckets(await agent.metrics(), TURN_METRIC);
}

const r = (v: number | null | undefined, digits = 0): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits;

async function runLevel(n: number, deps: LevelDeps) {
  const baseline = await measureBaseline(deps.agent);
  const turnsBefore = await turnBuckets(deps.agent);
  const beforeAll = await readAllProcs();
  const before = components(beforeAll, deps.agent.pid);
  const warmPids = new Set(treeOf(beforeAll, deps.agent.pid).map((p) => p.pid));
  const t0 = performance.now();
  const sampler = startSampler(deps.agent.pid);
  const records = await Promise.all(Array.from({ length: n }, (_, i) => placeCall(i, deps)));
  const samples = await sampler.stop();
  const afterAll = await readAllProcs();
  const after = components(afterAll, deps.agent.pid);
  // The pool refills as calls take its processes: the refills' start-up is counted apart, once
  // per call (processStartCpuSeconds), as a fleet pays it in steady state.
  const refills = treeOf(afterAll, deps.agent.pid).filter((p) => !warmPids.has(p.pid));
  const refillCpu = treeUsage(refills).cpuSeconds;
  const seconds = (performance.now() - t0) / 1000;

  const completed = records.filter((c) => !c.failure);
  const talkersDone = completed.filter((c) => c.kind === 'talker').length;
  // The relay moves the jobs' observations to /metrics every 2 s.
  let turns = bucketsDelta(await turnBuckets(deps.agent), turnsBefore);
  for (let tries = 0; tries < 20 && bucketsCount(turns) < talkersDone; tries++) {
    await sleep(500);
    turns = bucketsDelta(await turnBuckets(deps.agent), turnsBefore);
  }
  const roomsLeft = (await deps.rooms.listRooms()).length;

  const cpu = (k: keyof Components) =>
    Math.max(0, after[k].cpuSeconds - before[k].cpuSeconds - baseline.cpuPerSecond[k] * seconds - (k === 'agent' ? refillCpu : 0));
  const processStart = deps.agent.processStartCpuSeconds;
  const answered = records.filter((c) => c.answeredAt !== undefined);
  const setup = answered.map((c) => (c.answeredAt ?? 0) - c.startedAt);
  const agentJoin = records.filter((c) => c.inviteAt !== undefined).map((c) => (c.inviteAt ?? 0) - c.startedAt);
  const inviteToAnswer = answered.map((c) => (c.answeredAt ?? 0) - (c.inviteAt ?? 0));
  const held = completed.filter((c) => c.endedAt !== undefined).map((c) => ((c.endedAt ?? 0) - (c.answeredAt ?? 0)) / 1000);
  const amd = records.filter((c) => c.amdMs !== undefined);
  const amdOf = (kind: PhoneKind) => amd.filter((c) => c.kind === kind).map((c) => c.amdMs ?? 0);
  const busyJobRssMb = percentile(samples.busyJobRss, 50);
  const busyJobPssMb = percentile(samples.busyJobPss, 50);
  const parentGrowth = Math.max(0, samples.parentPeakRss - baseline.parentRssMb);
  const failures = new Map<string, number>();
  for (const c of records) if (c.failure) failures.set(c.failure, (failures.get(c.failure) ?? 0) + 1);
  const meanHeld = held.length ? held.reduce((a, b) => a + b, 0) / held.length : null;

  return {
    calls: n,
    completed: completed.length,
    failed: n - completed.length,
    setupMsP50: r(percentile(setup, 50)),
    setupMsP95: r(percentile(setup, 95)),
    amdDecisionMsP50: r(percentile(amd.map((c) => c.amdMs ?? 0), 50)),
    amdDecisionMsP95: r(percentile(amd.map((c) => c.amdMs ?? 0), 95)),
    turnLatencyMsP95: r((histogramQuantile(0.95, turns) ?? NaN) * 1000),
    // What the fixed keys are made of, and the per-call cost of this level.
    agentJoinMsP50: r(percentile(agentJoin, 50)),
    agentJoinMsP95: r(percentile(agentJoin, 95)),
    inviteToAnswerMsP50: r(percentile(inviteToAnswer, 50)),
    inviteToAnswerMsP95: r(percentile(inviteToAnswer, 95)),
    amdHumanMsP50: r(percentile(amdOf('talker'), 50)),
    amdMachineMsP50: r(percentile(amdOf('voicemail'), 50)),
    turnLatencyMsP50: r((histogramQuantile(0.5, turns) ?? NaN) * 1000),
    turns: bucketsCount(turns),
    turnParts: await turnParts(deps.agent.logPath),
    meanCallSeconds: r(meanHeld, 1),
    levelSeconds: r(seconds, 1),
    cpuSeconds: { agent: r(cpu('agent'), 1), server: r(cpu('server'), 1), sip: r(cpu('sip'), 1) },
    perCall: {
      agentCpuSeconds: r(cpu('agent') / n + processStart, 2),
      agentInCallCpuSeconds: r(cpu('agent') / n, 2),
      agentProcessStartCpuSeconds: r(processStart, 2),
      // A call holds one job process (framework design) plus its share of the worker's growth.
      agentRssMb: r((busyJobRssMb ?? 0) + parentGrowth / n, 1),
      // The same with shared pages (node's code, libraries) split among the processes.
      agentPssMb: r((busyJobPssMb ?? 0) + parentGrowth / n, 1),
      sipCpuSeconds: r(cpu('sip') / n, 2),
      serverCpuSeconds: r(cpu('server') / n, 2),
      sipRssMb: r(Math.max(0, samples.peak.sip - baseline.rssMb.sip) / n, 2),
      serverRssMb: r(Math.max(0, samples.peak.server - baseline.rssMb.server) / n, 2),
    },
    peakRssMb: { agentTree: r(samples.peak.agent), server: r(samples.peak.server), sip: r(samples.peak.sip) },
    agentProcessesPeak: samples.peak.agentProcesses,
    busyJobProcessesPeak: samples.peak.busyJobs,
    busyJobProcessRssMbP50: r(busyJobRssMb, 1),
    busyJobProcessPssMbP50: r(busyJobPssMb, 1),
    refillProcesses: refills.length,
    agentReadySeconds: r(deps.agent.readyMs / 1000, 1),
    baseline: {
      cpuCoresIdle: {
        agent: r(baseline.cpuPerSecond.agent, 3),
        server: r(baseline.cpuPerSecond.server, 3),
        sip: r(baseline.cpuPerSecond.sip, 3),
      },
      rssMb: { agent: r(baseline.rssMb.agent), server: r(baseline.rssMb.server), sip: r(baseline.rssMb.sip) },
      idleJobProcessRssMb: r(baseline.idleJobProcessRssMb, 1),
    },
    roomsLeft,
    failures: Object.fromEntries(failures),
    failedTranscript: records.find((c) => c.transcript)?.transcript ?? null,
    loadAverage: loadavg().map((x) => r(x, 2)),
  };
}

type LevelResult = Awaited<ReturnType<typeof runLevel>>;

/** Cores and memory for `calls` concurrent calls, from the per-call cost of the largest clean level. */
function fleet(level: LevelResult | undefined, calls: number) {
  if (!level?.meanCallSeconds) return null;
  const hold = level.meanCallSeconds;
  const cores = (cpuSeconds: number | null) => r(((cpuSeconds ?? 0) / hold) * calls, 1);
  const agentCores = cores(level.perCall.agentCpuSeconds) ?? 0;
  // PSS: the shared pages of node and its libraries counted once per machine, not once per process.
  const agentMemGb = r(((level.perCall.agentPssMb ?? level.perCall.agentRssMb ?? 0) * calls) / 1024, 1) ?? 0;
  return {
    calls,
    agentCores,
    agentMemoryGb: agentMemGb,
    sipCores: cores(level.perCall.sipCpuSeconds),
    serverCores: cores(level.perCall.serverCpuSeconds),
    // 2-core, 4 GB agent machines kept under 70 % CPU, as the load threshold would.
    agentMachines2Core4Gb: Math.max(Math.ceil(agentCores / (2 * 0.7)), Math.ceil(agentMemGb / 4)),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const say = (msg: string) => process.stderr.write(`[bench:calls] ${msg}\n`);
  const logDir = await mkdtemp(join(tmpdir(), 'bench-calls-'));
  // A private Redis: livekit's RPCs travel over pub/sub, which every database of a server shares,
  // so another stack on the shared Redis could otherwise answer this one's dials.
  const redis = await ensureRedis('redis://127.0.0.1:1');
  const redisAddress = new URL(redis.url).host;
  let stack: LiveKitStack | null = null;
  const stops: Array<() => Promise<unknown>> = [];
  try {
    stack = await startLiveKitStack({ redisAddress, redisDb: 0, logLevel: 'warn', logDir });
    const doubles = await startProviderDoubles({
      deepgram: { script: [CALLEE_SAYS, 'Yes, that works for me.'] },
      openai: { reply: () => ({ text: AGENT_REPLY }) },
    });
    stops.push(() => doubles.stop());
    const phones = await startSwitchboard({ logDir, capMs: CAP_MS, capture: false });
    stops.push(() => phones.stop());
    const sip = new SipClient(stack.url, stack.apiKey, stack.apiSecret);
    const trunk = await sip.createSipOutboundTrunk('bench-calls', phones.address, [CALLER_ID], { transport: 1 });
    const trunkStore: TrunkStore = {
      get: () => Promise.resolve(null),
      set: () => Promise.resolve(),
      withLock: (_key, fn) => fn(trunkStore),
    };
    const config = loadConfig({ ...process.env, REDIS_URL: redis.url });
    const telephony = new LiveKitTelephony({
      url: stack.url,
      apiKey: stack.apiKey,
      apiSecret: stack.apiSecret,
      trunk: { id: trunk.sipTrunkId },
      trunkStore,
      log: createLogger({ level: 'silent' }),
      agentJoinTimeoutMs: config.OUTDIAL_AGENT_JOIN_TIMEOUT_SECONDS * 1000,
    });
    await telephony.start();
    const events = startEventCollector(redis.url);
    stops.push(() => events.close());
    const rooms = new RoomServiceClient(stack.url, stack.apiKey, stack.apiSecret);
    const agentEnv: Record<string, string> = {
      LIVEKIT_URL: stack.wsUrl,
      LIVEKIT_API_KEY: stack.apiKey,
      LIVEKIT_API_SECRET: stack.apiSecret,
      REDIS_URL: redis.url,
      OUTDIAL_REDIS_PREFIX: PREFIX,
      LOG_LEVEL: 'info',
      ...doubles.env,
    };

    const levels: LevelResult[] = [];
    const settings: Array<{ calls: number; idleProcesses: number }> = [];
    const skipped: Array<{ calls: number; reason: string }> = [];
    for (const n of LEVELS) {
      if (Date.now() - started > BUDGET_MS) {
        say(`budget of ${args['budget-minutes']} min spent: level ${n} not run`);
        skipped.push(...LEVELS.filter((l) => l >= n).map((calls) => ({ calls, reason: 'time budget spent' })));
        break;
      }
      // One warm job process per call of the burst: the framework starts processes one at a time,
      // so a burst beyond the warm pool waits on cold starts (measured apart, see the docs).
      const idle = args['idle-processes'] ? positive('idle-processes', args['idle-processes']) : n;
      // The warm pool, then as many refills while the calls run: stop before the host runs out.
      const perProcessMb = levels.at(-1)?.busyJobProcessRssMbP50 ?? 320;
      const needMb = (idle + n) * perProcessMb + 1024;
      const availableMb = await memAvailableMb();
      if (needMb > availableMb * 0.7) {
        say(`level ${n} needs ~${Math.round(needMb)} MB, the host has ${Math.round(availableMb)} MB available: not run`);
        const reason = `memory: level ${n} needs ~${Math.round(needMb / 1024)} GB, ${Math.round(availableMb / 1024)} GB available`;
        skipped.push(...LEVELS.filter((l) => l >= n).map((calls) => ({ calls, reason })));
        break;
      }
      say(`level ${n}: starting the agent with ${idle} warm job processes`);
      const agent = await startAgentProcess({
        env: { ...agentEnv, OUTDIAL_AGENT_MAX_CALLS: String(Math.min(1000, n)) },
        logPath: join(logDir, `agent-${n}.log`),
        idleProcesses: idle,
        startTimeoutMs: Math.max(120_000, idle * 8_000),
      });
      try {
        say(`level ${n}: agent ready after ${Math.round((Date.now() - started) / 1000)} s; dialling`);
        const result = await runLevel(n, { telephony, events, rooms, agent });
        levels.push(result);
        settings.push({ calls: n, idleProcesses: idle });
        say(`level ${n}: ${JSON.stringify(result)}`);
        if (result.failed > 0 && !args['keep-going']) {
          skipped.push(...LEVELS.filter((l) => l > n).map((calls) => ({ calls, reason: `failures at ${n}` })));
          break;
        }
      } finally {
        await agent.stop();
      }
    }

    const clean = levels.filter((l) => l.failed === 0);
    const best = clean.at(-1);
    const host = { cpus: cpus().length, loadAverage: loadavg().map((x) => r(x, 2)) };
    const out = {
      maxCallsWithoutFailure: best?.calls ?? 0,
      levels,
      perCall: {
        agentCpuSeconds: best?.perCall.agentCpuSeconds ?? null,
        agentRssMb: best?.perCall.agentRssMb ?? null,
        sipCpuSeconds: best?.perCall.sipCpuSeconds ?? null,
        serverCpuSeconds: best?.perCall.serverCpuSeconds ?? null,
        fromLevel: best?.calls ?? null,
        meanCallSeconds: best?.meanCallSeconds ?? null,
        agentInCallCpuSeconds: best?.perCall.agentInCallCpuSeconds ?? null,
        agentProcessStartCpuSeconds: best?.perCall.agentProcessStartCpuSeconds ?? null,
        agentPssMb: best?.perCall.agentPssMb ?? null,
      },
      fleet: { for100: fleet(best, 100), for1000: fleet(best, 1000) },
      levelsNotRun: skipped,
      agentSettings: {
        idleProcessesPerLevel: settings,
        maxCallsPerLevel: 'the level (OUTDIAL_AGENT_MAX_CALLS): load = calls in progress / it, never full below the burst',
        jobMemoryWarnMb: 1000, // the framework's defaults (ServerOptions), not changed by outdial
        jobMemoryLimitMb: 0,
        agentJoinTimeoutSeconds: config.OUTDIAL_AGENT_JOIN_TIMEOUT_SECONDS,
      },
      callMix: { talker: `${VOICEMAIL_EVERY - 1} of ${VOICEMAIL_EVERY}`, voicemail: `1 of ${VOICEMAIL_EVERY}`, talkerAnswersAtS: [PHONE_AUDIO.talker.firstAnswerAtS, PHONE_AUDIO.talker.firstAnswerAtS + PHONE_AUDIO.talker.everyS], capS: CAP_MS / 1000 },
      versions: stack.versions,
      host,
      minutes: r((Date.now() - started) / 60_000, 1),
      logDir,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await stack?.stop();
    await redis.stop();
  }
}

await main();
// livekit-server-sdk and rtc-node keep keep-alive sockets and timers: the run is over.
process.exit(0);
