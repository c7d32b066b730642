// The far-end phones for real calls: ONE sipp UAS on loopback (test/livekit/phones/switchboard.xml)
// behind one outbound trunk, behaving like a different callee for each dialled number, as a
// carrier would. Every SIP message is written to a message log, and every RTP packet arriving at
// the phones' media ports is captured by tcpdump on `lo`, so a test can assert what actually went
// over the wire: the SIP dialogue of one call, and how many packets of speech reached the phone.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { phoneAudioFiles } from './phone-audio.js';
import { rtpPacketsTo, speechPackets, type RtpPacket } from './rtp-capture.js';

const scenarioTemplate = resolve(dirname(fileURLToPath(import.meta.url)), '../phones/switchboard.xml');

/**
 * The phone book: the number to dial for each behaviour. The scenario routes on these (any other
 * number is answered 404, as by a carrier). Rejections ring 300 ms before the final response.
 */
export const PHONES = {
  /** Answers, says "Hello? Who is this?", then listens until the caller hangs up (cap: capMs). */
  human: '+12025550101',
  /** Answers with a voicemail greeting and a 1 kHz beep, then records silence (cap: capMs). */
  voicemail: '+12025550102',
  /** Answers, then hangs up (BYE) after 2 s. */
  hangup: '+12025550103',
  busy: '+12025550104', // 486 Busy Here
  decline: '+12025550105', // 603 Decline
  not_found: '+12025550106', // 404 Not Found
  unavailable: '+12025550107', // 480 Temporarily Unavailable
  /** Rings until the caller CANCELs (200 + 487). */
  no_answer: '+12025550108',
  /** Answers, talks like the talker, and accepts a REFER: 202, NOTIFY 100, NOTIFY 200, then BYE. */
  transfer: '+12025550109',
  /** Answers, says "Hello? Who is this?", then answers briefly every few seconds (phone-audio.ts `talker`). */
  talker: '+12025550110',
  /**
   * Answers, says "Hello?" (a person: AMD decides quickly), listens, and hangs up (BYE)
   * MID_MESSAGE_HANGUP_MS after the caller's ACK: while a one-way message is being spoken.
   */
  hangup_mid_message: '+12025550111',
} as const;

/** When the hangup_mid_message phone sends its BYE, counted from the ACK that starts its audio. */
export const MID_MESSAGE_HANGUP_MS = 4_500;

export type PhoneName = keyof typeof PHONES;

/** Final responses of the rejecting phones, exactly as they go on the wire. */
export const REJECTIONS = {
  busy: { status: 486, reason: 'Busy Here' },
  decline: { status: 603, reason: 'Decline' },
  not_found: { status: 404, reason: 'Not Found' },
  unavailable: { status: 480, reason: 'Temporarily Unavailable' },
} as const;

export interface SwitchboardOptions {
  logDir: string;
  /** How long an answered phone waits for the caller to hang up before it does (ms). */
  capMs?: number;
  /** Capture the RTP reaching the phones with tcpdump (default true); bench:calls leaves it off. */
  capture?: boolean;
  /** More numbers that reach a phone besides its PHONES number (a demo calls each behaviour many times). */
  extraNumbers?: Partial<Record<PhoneName, readonly string[]>>;
}

export interface Switchboard {
  /** host:port to put in the outbound trunk's address. */
  address: string;
  messageLog: string;
  /** All SIP traffic so far, as sipp logged it. */
  messages(): Promise<string>;
  /** The SIP start lines ("INVITE sip:…", "SIP/2.0 200 OK") of one call, in order. */
  sipLines(sipCallId: string): Promise<string[]>;
  /** The whole messages (start line, headers, body) of one call whose start line begins with `start`. */
  sipMessages(sipCallId: string, start: string): Promise<string[]>;
  /** SIP Call-IDs of the INVITEs that dialled `number`, oldest first. */
  callIdsTo(number: string): Promise<string[]>;
  /** The RTP port the phone put in its SDP answer for this call (null: not answered). */
  mediaPort(sipCallId: string): Promise<number | null>;
  /** RTP packets of this call (from the caller's offered port to the phone's answered one) so far. */
  rtpReceived(sipCallId: string): Promise<RtpPacket[]>;
  /** How many of them carry speech energy (see rtp-capture.ts). */
  speechPacketsReceived(sipCallId: string): Promise<number>;
  /**
   * When the phone got the caller's ACK to its 200 OK, ms since the epoch: the moment the scenario
   * starts the phone's audio, so offsets in its WAV file count from here (null: not answered).
   */
  ackReceivedAtMs(sipCallId: string): Promise<number | null>;
  /** When the phone sent or received the call's BYE, ms since the epoch (null: none yet). */
  byeAtMs(sipCallId: string): Promise<number | null>;
  stop(): Promise<void>;
}

const ROUTE_VARS: Record<PhoneName, string> = {
  human: 'to_human',
  voicemail: 'to_voicemail',
  hangup: 'to_hangup',
  busy: 'to_busy',
  decline: 'to_decline',
  not_found: 'to_not_found',
  unavailable: 'to_unavailable',
  no_answer: 'to_no_answer',
  transfer: 'to_transfer',
  talker: 'to_talker',
  hangup_mid_message: 'to_hangup_mid_message',
};

async function writeScenario(logDir: string, capMs: number, extra: SwitchboardOptions['extraNumbers'] = {}): Promise<string> {
  const audio = (await phoneAudioFiles()).files;
  const routes = (Object.keys(PHONES) as PhoneName[])
    .map((name) => {
      // The user part, anchored at both ends: +12025550101 must not also match …01011.
      const users = [PHONES[name], ...(extra[name] ?? [])].map((n) => {
        if (!/^\+\d+$/.test(n)) throw new Error(`switchboard: ${n} is not an E.164 number`);
        return n.replace('+', '\\+');
      });
      return `      <ereg regexp="^INVITE sip:(${users.join('|')})@" search_in="msg" check_it="false" assign_to="${ROUTE_VARS[name]}"/>`;
    })
    .join('\n');
  const fill: Record<string, string> = {
    '@ROUTES@': routes,
    '@HELLO_WAV@': audio.hello,
    '@VOICEMAIL_WAV@': audio.voicemail,
    '@SILENCE_WAV@': audio.silence,
    '@TALKER_WAV@': audio.talker,
    '@SHORT_HELLO_WAV@': audio.short_hello,
    '@MID_MESSAGE_HANGUP_MS@': String(MID_MESSAGE_HANGUP_MS),
    '@CAP_MS@': String(capMs),
  };
  let xml = await readFile(scenarioTemplate, 'utf8');
  for (const [placeholder, value] of Object.entries(fill)) {
    if (!xml.includes(placeholder)) throw new Error(`switchboard.xml has no ${placeholder}`);
    xml = xml.replaceAll(placeholder, value);
  }
  const path = join(logDir, 'switchboard.xml');
  await writeFile(path, xml);
  return path;
}

export async function startSwitchboard(opts: SwitchboardOptions): Promise<Switchboard> {
  const scenario = await writeScenario(opts.logDir, opts.capMs ?? 40_000, opts.extraNumbers);
  const port = await freeUdpPort();
  // sipp gives each call's rtp_stream its own port counting up from -mp; the capture watches a
  // window above it wide enough for every call a test run makes.
  const mediaBase = await freeUdpRangeStart(400);
  const mediaRange = { start: mediaBase, end: mediaBase + 399 };
  const messageLog = join(opts.logDir, 'sipp-switchboard-messages.log');
  const errorLog = join(opts.logDir, 'sipp-switchboard-errors.log');
  const pcap = join(opts.logDir, 'phones-rtp.pcap');

  const capture = opts.capture === false ? null : await startCapture(pcap, mediaRange);
  const args = [
    '-sf', scenario,
    '-i', '127.0.0.1',
    '-mi', '127.0.0.1',
    '-p', String(port),
    '-mp', String(mediaBase),
    '-nostdin',
    '-trace_msg', '-message_file', messageLog,
    '-trace_err', '-error_file', errorLog,
  ];
  const sipp = spawn('sipp', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const sippExited = exitOf(sipp);
  let stderr = '';
  sipp.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // sipp prints nothing when it is listening; a bad scenario makes it exit at once instead.
  const early = await Promise.race([sippExited, delay(500).then(() => 'running' as const)]);
  if (early !== 'running') {
    if (capture) await stopChild(capture.child, capture.exited);
    throw new Error(`sipp exited ${String(early)}: ${stderr}`);
  }

  const messages = (): Promise<string> => readFile(messageLog, 'utf8').catch(() => '');
  const mediaPort = async (sipCallId: string): Promise<number | null> => {
    const answer = parseMessageLog(await messages()).find(
      (m) => m.direction === 'sent' && m.text.startsWith('SIP/2.0 200 OK') && callIdOf(m.text) === sipCallId,
    );
    const port = answer ? /^m=audio (\d+) /m.exec(answer.text)?.[1] : undefined;
    return port ? Number(port) : null;
  };
  // sipp puts the same media port in every call's answer, so one call's packets are those from
  // the port the caller offered in its INVITE (livekit-sip sends from where it receives).
  const callerMediaPort = async (sipCallId: string): Promise<number | null> => {
    const offer = parseMessageLog(await messages()).find(
      (m) => m.direction === 'received' && m.text.startsWith('INVITE ') && callIdOf(m.text) === sipCallId,
    );
    const port = offer ? /^m=audio (\d+) /m.exec(offer.text)?.[1] : undefined;
    return port ? Number(port) : null;
  };
  const rtpReceived = async (sipCallId: string): Promise<RtpPacket[]> => {
    const port = await mediaPort(sipCallId);
    const from = await callerMediaPort(sipCallId);
    if (port === null || from === null) return [];
    return rtpPacketsTo(await readFile(pcap).catch(() => Buffer.alloc(0)), port).filter((p) => p.srcPort === from);
  };
  return {
    address: `127.0.0.1:${port}`,
    messageLog,
    messages,
    sipLines: async (sipCallId) =>
      parseMessageLog(await messages())
        .filter((m) => callIdOf(m.text) === sipCallId)
        .map((m) => m.text.split('\n')[0]?.trim() ?? '')
        .filter((l) => /^(SIP\/2\.0 \d{3} |[A-Z]+ sip:)/.test(l)),
    sipMessages: async (sipCallId, start) =>
      parseMessageLog(await messages())
        .filter((m) => callIdOf(m.text) === sipCallId && m.text.startsWith(start))
        .map((m) => m.text),
    callIdsTo: async (number) =>
      parseMessageLog(await messages())
        .filter((m) => m.direction === 'received' && m.text.startsWith(`INVITE sip:${number}@`))
        .map((m) => callIdOf(m.text))
        .filter((id): id is string => id !== null),
    mediaPort,
    rtpReceived,
    speechPacketsReceived: async (sipCallId) => speechPackets(await rtpReceived(sipCallId)).length,
    ackReceivedAtMs: async (sipCallId) =>
      parseMessageLog(await messages()).find((m) => m.direction === 'received' && m.text.startsWith('ACK ') && callIdOf(m.text) === sipCallId)?.atMs ?? null,
    byeAtMs: async (sipCallId) =>
      parseMessageLog(await messages()).find((m) => m.text.startsWith('BYE ') && callIdOf(m.text) === sipCallId)?.atMs ?? null,
    stop: async () => {
      await stopChild(sipp, sippExited);
      if (capture) await stopChild(capture.child, capture.exited);
    },
  };
}

interface LoggedMessage {
  /** The banner's time, ms since the epoch. */
  atMs: number;
  direction: 'sent' | 'received';
  text: string;
}

/**
 * sipp's message log: a "----- <local date> <time to the µs>" banner, a "UDP message sent (N bytes):"
 * or "UDP message received [N] bytes :" line, a blank line, then the message.
 */
function parseMessageLog(log: string): LoggedMessage[] {
  return log
    .split(/^-{5,} (?=\d{4}-)/m)
    .map((chunk) => /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)\s*\n\s*\S+ message (sent|received)[^\n]*\n\s*\n([\s\S]*)$/.exec(chunk))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      atMs: bannerTimeMs(m[1]!, m[2]!),
      direction: m[3] === 'sent' ? 'sent' : 'received',
      text: (m[4] ?? '').trim(),
    }));
}

/** sipp stamps the banner in local time, as a date-time without a zone reads in JavaScript. */
function bannerTimeMs(date: string, time: string): number {
  const [hms, fraction = ''] = time.split('.');
  return new Date(`${date}T${hms}`).getTime() + Number(`0.${fraction || '0'}`) * 1000;
}

function callIdOf(message: string): string | null {
  return /^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(message)?.[1] ?? null;
}

interface Capture {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** tcpdump on loopback, writing each packet as it arrives (-U) so a test can read it mid-call. */
async function startCapture(pcap: string, range: { start: number; end: number }): Promise<Capture> {
  const filter = `udp and dst portrange ${range.start}-${range.end}`;
  const child = spawn('tcpdump', ['-i', 'lo', '-n', '-U', '-s', '0', '-w', pcap, filter], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = exitOf(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // tcpdump says "listening on lo" once the capture is armed.
  const deadline = Date.now() + 5_000;
  while (!stderr.includes('listening on')) {
    if (child.exitCode !== null) throw new Error(`tcpdump exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`tcpdump did not start: ${stderr}`);
    await delay(50);
  }
  return { child, exited };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((res) => child.once('exit', (code) => res(code)));
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await exited;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function freeUdpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const sock = createSocket('udp4');
    sock.once('error', rej);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => res(port));
    });
  });
}

/** Start of `count` consecutive UDP ports that bind now, below the kernel's ephemeral range. */
async function freeUdpRangeStart(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const start = 12_000 + 2 * Math.floor(Math.random() * 3_000);
    let ok = true;
    for (let p = start; p < start + count && ok; p++) ok = await udpFree(p);
    if (ok) return start;
  }
  throw new Error(`no ${count} consecutive free UDP ports`);
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const sock = createSocket('udp4');
    sock.once('error', () => res(false));
    sock.bind(port, '127.0.0.1', () => sock.close(() => res(true)));
  });
}
