// Runs the real LiveKit stack (livekit-server + livekit-sip, built by ./install) on loopback with
// free ports. Both processes load deploy/livekit/*.yaml with only addresses and ports overridden,
// so a key the binaries do not know (livekit-server parses strictly) fails here, not in production.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { freeLoopbackPort } from '../../src/core/free-port.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const LOOPBACK = '127.0.0.1';

export interface LiveKitStackOptions {
  /** outdial's `POST /livekit/webhook`; without it the server sends no webhooks. */
  webhookUrl?: string;
  /** host:port of the Redis both processes share (psrpc). */
  redisAddress?: string;
  /** Redis database for livekit's keys (rooms, trunks). Pub/sub channels are global to a Redis
   * server whatever the database, so two stacks on one Redis can still hear each other's RPCs. */
  redisDb?: number;
  /** Where the processes' logs go; a fresh temp folder by default. */
  logDir?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  configDir?: string;
  startTimeoutMs?: number;
}

export interface LiveKitStack {
  /** http(s) base for livekit-server-sdk clients and Twirp. */
  url: string;
  /** ws base for rtc-node / agents (LIVEKIT_URL). */
  wsUrl: string;
  apiKey: string;
  apiSecret: string;
  ports: {
    http: number;
    rtcTcp: number;
    rtcUdp: PortRange;
    prometheus: number;
    sip: number;
    sipRtp: PortRange;
    sipHealth: number;
    /** Handed to clients as their STUN server; nothing listens there (see overrideServer). */
    stun: number;
  };
  /** Address livekit-sip sends and receives SIP on (UDP and TCP). */
  sipAddress: string;
  redis: { address: string; db: number };
  webhookUrl: string | null;
  logs: { server: string; sip: string; dir: string };
  versions: { server: string; sip: string };
  stop(): Promise<void>;
}

export interface PortRange {
  start: number;
  end: number;
}

type Yaml = Record<string, unknown>;

/** Runs ./install (a no-op taking well under a second when the binaries are cached). */
export async function installLiveKitStack(): Promise<{ binDir: string }> {
  const out = await run('bash', [join(here, 'install')]);
  const binDir = out.trim().split('\n').at(-1);
  if (!binDir) throw new Error('livekit-stack install printed no bin folder');
  return { binDir };
}

export async function readPinnedVersions(): Promise<{ server: string; sip: string }> {
  const text = await readFile(join(here, 'versions.env'), 'utf8');
  const get = (name: string): string => {
    const m = new RegExp(`^${name}=(\\S+)$`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`versions.env has no ${name}`);
    return m[1];
  };
  return { server: get('LIVEKIT_SERVER_VERSION'), sip: get('LIVEKIT_SIP_VERSION') };
}

export async function startLiveKitStack(opts: LiveKitStackOptions = {}): Promise<LiveKitStack> {
  const { binDir } = await installLiveKitStack();
  const versions = await readPinnedVersions();
  const configDir = opts.configDir ?? join(repoRoot, 'deploy/livekit');
  const logDir = opts.logDir ?? (await mkdtemp(join(tmpdir(), 'livekit-stack-')));
  const redis = { address: opts.redisAddress ?? `${LOOPBACK}:6379`, db: opts.redisDb ?? 9 };
  const webhookUrl = opts.webhookUrl ?? null;
  const logLevel = opts.logLevel ?? 'info';

  const serverYaml = await readYaml(join(configDir, 'livekit.yaml'));
  const sipYaml = await readYaml(join(configDir, 'sip.yaml'));
  const { apiKey, apiSecret } = matchingKeys(serverYaml, sipYaml);

  const used = new Set<number>();
  const ports = {
    http: await freeTcpPort(used),
    rtcTcp: await freeTcpPort(used),
    rtcUdp: await freeUdpRange(20, used),
    prometheus: await freeTcpPort(used),
    sip: await freeTcpAndUdpPort(used),
    sipRtp: await freeUdpRange(100, used),
    sipHealth: await freeTcpPort(used),
    stun: await freeTcpAndUdpPort(used),
  };
  const wsUrl = `ws://${LOOPBACK}:${ports.http}`;

  const serverConfig = overrideServer(serverYaml, { ports, redis, webhookUrl, apiKey, logLevel });
  const sipConfig = overrideSip(sipYaml, { ports, redis, wsUrl, logLevel });
  const serverConfigPath = join(logDir, 'livekit.yaml');
  const sipConfigPath = join(logDir, 'sip.yaml');
  await writeFile(serverConfigPath, stringify(serverConfig));
  await writeFile(sipConfigPath, stringify(sipConfig));

  const logs = { server: join(logDir, 'livekit-server.log'), sip: join(logDir, 'livekit-sip.log'), dir: logDir };
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.reverse().map((c) => stopChild(c)));
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  try {
    // --node-ip keeps ICE on loopback: the server would otherwise advertise the host's interfaces.
    children.push(
      startChild(join(binDir, 'livekit-server'), ['--config', serverConfigPath, '--node-ip', LOOPBACK], logs.server),
    );
    await waitHttpOk(`http://${LOOPBACK}:${ports.http}/`, deadline, children[0], logs.server);
    children.push(startChild(join(binDir, 'livekit-sip'), ['--config', sipConfigPath], logs.sip));
    await waitHttpOk(`http://${LOOPBACK}:${ports.sipHealth}/`, deadline, children[1], logs.sip);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `http://${LOOPBACK}:${ports.http}`,
    wsUrl,
    apiKey,
    apiSecret,
    ports,
    sipAddress: `${LOOPBACK}:${ports.sip}`,
    redis,
    webhookUrl,
    logs,
    versions,
    stop,
  };
}

interface Overrides {
  ports: LiveKitStack['ports'];
  redis: { address: string; db: number };
  logLevel: string;
}

function overrideServer(
  file: Yaml,
  o: Overrides & { webhookUrl: string | null; apiKey: string },
): Yaml {
  const rtc = section(file, 'rtc');
  const turn = section(file, 'turn');
  const webhook = section(file, 'webhook');
  const config: Yaml = {
    ...file,
    port: o.ports.http,
    bind_addresses: [LOOPBACK],
    log_level: o.logLevel,
    prometheus_port: o.ports.prometheus,
    redis: { ...section(file, 'redis'), address: o.redis.address, db: o.redis.db },
    rtc: {
      ...rtc,
      tcp_port: o.ports.rtcTcp,
      port_range_start: o.ports.rtcUdp.start,
      port_range_end: o.ports.rtcUdp.end,
      // Media between livekit-sip and the server stays on loopback: no STUN lookup of a public
      // address, and ICE candidates only from the loopback interface.
      use_external_ip: false,
      enable_loopback_candidate: true,
      interfaces: { includes: ['lo'] },
      ips: { includes: ['127.0.0.0/8'] },
      use_mdns: false,
      // Without STUN servers of its own the server hands every client (livekit-sip, agents) the
      // public defaults (global.stun.twilio.com, stun.l.google.com), which they resolve and query
      // over the host's real interface. A loopback port with no listener keeps those lookups on
      // the machine; calls here never need a server-reflexive address.
      stun_servers: [`${LOOPBACK}:${o.ports.stun}`],
    },
    // TURN would listen on every interface; calls on one machine never need a relay.
    turn: { ...turn, enabled: false },
  };
  if (o.webhookUrl) config.webhook = { ...webhook, api_key: o.apiKey, urls: [o.webhookUrl] };
  else delete config.webhook;
  return config;
}

function overrideSip(file: Yaml, o: Overrides & { wsUrl: string }): Yaml {
  return {
    ...file,
    ws_url: o.wsUrl,
    redis: { ...section(file, 'redis'), address: o.redis.address, db: o.redis.db },
    sip_port: o.ports.sip,
    rtp_port: `${o.ports.sipRtp.start}-${o.ports.sipRtp.end}`,
    health_port: o.ports.sipHealth,
    // Signalling and SDP on loopback; use_external_ip would ask public STUN servers.
    // Known limit (livekit-sip v1.8.0): its WebRTC leg (server-sdk-go builds pion's SettingEngine
    // with no interface/IP filter and the default mDNS mode) still gathers host candidates on
    // every interface and joins the mDNS group on them. Its media to the server then runs between
    // eth0's address and 127.0.0.1, which the kernel keeps on `lo`; nothing here can turn it off.
    use_external_ip: false,
    listen_ip: LOOPBACK,
    nat_1_to_1_ip: LOOPBACK,
    logging: { ...section(file, 'logging'), level: o.logLevel },
    // livekit-sip refuses new calls ("unavailable") while the whole host's CPU is above this
    // share (default 0.9). On a shared 2-core test machine the tests themselves trip it.
    max_cpu_utilization: 1,
  };
}

function matchingKeys(server: Yaml, sip: Yaml): { apiKey: string; apiSecret: string } {
  const keys = Object.entries(section(server, 'keys'));
  const apiKey = sip.api_key;
  const apiSecret = sip.api_secret;
  const match = keys.find(([k, s]) => k === apiKey && s === apiSecret);
  if (typeof apiKey !== 'string' || typeof apiSecret !== 'string' || !match) {
    throw new Error('deploy/livekit: sip.yaml api_key/api_secret is not one of livekit.yaml keys');
  }
  return { apiKey, apiSecret };
}

async function readYaml(path: string): Promise<Yaml> {
  const value: unknown = parse(await readFile(path, 'utf8'));
  if (!isRecord(value)) throw new Error(`${path}: expected a YAML mapping`);
  return value;
}

function section(file: Yaml, key: string): Yaml {
  const value = file[key];
  return isRecord(value) ? value : {};
}

function isRecord(v: unknown): v is Yaml {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function startChild(bin: string, args: string[], logPath: string): ChildProcess {
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  // livekit-server drains rooms on SIGTERM; a test stack has nothing worth waiting for.
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function waitHttpOk(url: string, deadline: number, child: ChildProcess | undefined, log: string): Promise<void> {
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${url}: process exited (${child.exitCode ?? child.signalCode}); log:\n${await tail(log)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url}; log:\n${await tail(log)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function tail(path: string, lines = 30): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolvePromise(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
    );
  });
}

async function freeTcpPort(used: Set<number>): Promise<number> {
  for (;;) {
    const port = await freeLoopbackPort();
    if (port && !used.has(port)) {
      used.add(port);
      return port;
    }
  }
}

async function freeTcpAndUdpPort(used: Set<number>): Promise<number> {
  for (;;) {
    const port = await freeTcpPort(used);
    if (await udpFree(port)) return port;
  }
}

/** A run of `count` consecutive UDP ports that bind now, outside the kernel's ephemeral range. */
async function freeUdpRange(count: number, used: Set<number>): Promise<PortRange> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const start = 20_000 + Math.floor(Math.random() * 12_000);
    const end = start + count - 1;
    let ok = true;
    for (let p = start; p <= end && ok; p++) ok = !used.has(p) && (await udpFree(p));
    if (ok) {
      for (let p = start; p <= end; p++) used.add(p);
      return { start, end };
    }
  }
  throw new Error(`no ${count} consecutive free UDP ports`);
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const sock = createSocket('udp4');
    sock.once('error', () => res(false));
    sock.bind(port, '0.0.0.0', () => sock.close(() => res(true)));
  });
}
