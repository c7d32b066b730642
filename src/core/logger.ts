// Structured logs (pino). Phone numbers only ever leave through maskPhone; secrets are redacted
// by key name as a second line of defence.
import { pino, type Logger } from 'pino';

export type { Logger };

/** "+12025550123" → "*******0123": only the last 4 digits (of any script) survive. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  const digits = [...phone.replace(/\P{Nd}/gu, '')];
  return `${'*'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-4).join('')}`;
}

/** Fewer digits than this is a count or a short id; this many or more may be a phone number. */
const MIN_PHONE_DIGITS = 7;
// Digits with the punctuation phone numbers are written with: "+1 (212) 555-0142", "1.212.555.0142".
const digitRun = /\+?\(?\p{Nd}[\p{Nd}\s().+\-_\u2010-\u2015]*\p{Nd}/gu;
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function maskDigitRuns(text: string): string {
  return text.replace(digitRun, (run) => ((run.match(/\p{Nd}/gu)?.length ?? 0) >= MIN_PHONE_DIGITS ? maskPhone(run) : run));
}

/**
 * Free text with every run of 7+ digits that may be a phone number, in whatever format it was
 * written, masked like maskPhone. Over-masking (a long order number) is the safe side; uuids are
 * ids, kept whole even when a group is all digits.
 */
export function maskPhonesIn(text: string): string {
  let out = '';
  let from = 0;
  for (const m of text.matchAll(uuid)) {
    out += maskDigitRuns(text.slice(from, m.index)) + m[0];
    from = m.index + m[0].length;
  }
  return out + maskDigitRuns(text.slice(from));
}

const redactPaths = [
  'apiKey',
  'secret',
  'password',
  'authorization',
  'token',
  '*.apiKey',
  '*.secret',
  '*.password',
  '*.authorization',
  '*.token',
  'req.headers.authorization',
  'phone',
  '*.phone',
];

export function createLogger(opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: opts.name ? { role: opts.name } : {},
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
