// Structured logs (pino). Phone numbers only ever leave through maskPhone; secrets are redacted
// by key name as a second line of defence.
import { pino, type Logger } from 'pino';

export type { Logger };

/** "+12025550123" → "********0123": only the last 4 digits survive. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  const digits = phone.replace(/\D/g, '');
  return `${'*'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-4)}`;
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
