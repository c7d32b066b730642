// A far-end phone for real calls: one sipp UAS process on loopback running a scenario from
// test/livekit/phones/. Every SIP message it sends or receives is written to a message log, so a
// test can assert what actually went over the wire.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const phonesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../phones');

export interface SippPhone {
  /** host:port to put in the outbound trunk's address. */
  address: string;
  messageLog: string;
  /** All SIP traffic so far, as sipp logged it. */
  messages(): Promise<string>;
  /** Resolves with sipp's exit code once the scenario has ended (0: every step happened). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export type PhoneBehaviour =
  | { kind: 'answer' }
  | { kind: 'no-answer' }
  /** Rings, then this final response (busy.xml with its status line replaced). */
  | { kind: 'reject'; status: number; reason: string };

export interface SippOptions {
  phone: PhoneBehaviour;
  logDir: string;
}

async function scenarioFile(phone: PhoneBehaviour, logDir: string): Promise<string> {
  if (phone.kind !== 'reject') return join(phonesDir, `${phone.kind}.xml`);
  const busy = await readFile(join(phonesDir, 'busy.xml'), 'utf8');
  if (!busy.includes(BUSY_LINE)) throw new Error(`busy.xml has no "${BUSY_LINE}" line`);
  const path = join(logDir, `reject-${phone.status}.xml`);
  await writeFile(path, busy.replace(BUSY_LINE, `SIP/2.0 ${phone.status} ${phone.reason}`));
  return path;
}
const BUSY_LINE = 'SIP/2.0 486 Busy Here';

export async function startSippPhone(opts: SippOptions): Promise<SippPhone> {
  const port = await freeUdpPort();
  const mediaPort = await freeUdpPort();
  const name = `${opts.phone.kind}-${port}`;
  const messageLog = join(opts.logDir, `sipp-${name}-messages.log`);
  const errorLog = join(opts.logDir, `sipp-${name}-errors.log`);
  const args = [
    '-sf', await scenarioFile(opts.phone, opts.logDir),
    '-i', '127.0.0.1',
    '-p', String(port),
    '-mp', String(mediaPort),
    '-m', '1',
    '-nostdin',
    '-trace_msg', '-message_file', messageLog,
    '-trace_err', '-error_file', errorLog,
  ];
  const child: ChildProcess = spawn('sipp', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  // sipp prints nothing when it is listening; a bad scenario makes it exit at once instead.
  const early = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 300))]);
  if (early !== 'running') throw new Error(`sipp exited ${early}: ${stderr}`);
  return {
    address: `127.0.0.1:${port}`,
    messageLog,
    messages: () => readFile(messageLog, 'utf8').catch(() => ''),
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
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
