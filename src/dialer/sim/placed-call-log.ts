// A durable log of the calls a Telephony adapter places, for the chaos run: one JSON line per
// INVITE and per call end, appended with a synchronous write to a file per process, so it survives
// SIGKILL and several dialer processes can share one directory. No uniqueness anywhere: an attempt
// dialled twice shows up as two `start` lines, which is exactly what the run counts.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { EventType } from '../../core/domain.js';
import type { CallEvents, DialRequest, DialResult, Telephony } from '../telephony.js';

export type PlacedCallLine =
  /** The INVITE. */
  | {
      k: 'start';
      attemptId: string;
      orgId: string;
      batchId: string;
      contactId: string;
      pid: number;
      t: number;
    }
  /** The call is over: its final event was handed over, an emit failed, or the dial threw. */
  | { k: 'end'; attemptId: string; pid: number; t: number; how: EventType | 'emit_error' | 'dial_error' }
  /** The final event (call.failed / call.completed) reached the call-events queue. */
  | { k: 'emitted'; attemptId: string; pid: number; t: number; type: EventType };

export interface PlacedCallLog {
  append(line: PlacedCallLine): void;
  close(): void;
}

const finalEvents: ReadonlySet<EventType> = new Set(['call.failed', 'call.completed']);

/** Opens `<dir>/calls-<pid>.jsonl` for appending; every line is written before append returns. */
export function openPlacedCallLog(dir: string, pid: number = process.pid): PlacedCallLog {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, `calls-${pid}.jsonl`), 'a');
  return {
    append: (line) => {
      writeSync(fd, `${JSON.stringify(line)}\n`);
    },
    close: () => closeSync(fd),
  };
}

/** Every line of every process's log in `dir`; a torn last line (a kill mid-write) is skipped. */
export function readPlacedCallLogs(dir: string): PlacedCallLine[] {
  const out: PlacedCallLine[] = [];
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^calls-\d+\.jsonl$/.test(f));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const file of files.sort()) {
    for (const text of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (text.trim() === '') continue;
      try {
        out.push(JSON.parse(text) as PlacedCallLine);
      } catch {
        // Only a line cut short by SIGKILL can fail to parse; it carries nothing we could use.
      }
    }
  }
  return out;
}

/**
 * Wraps an adapter so every call it places is logged: `start` at ringing() (the INVITE), `end` at the
 * first of the final event being emitted, an emit failing or dial() throwing, `emitted` once the
 * final event is queued. The adapter itself is untouched.
 */
export function recordPlacedCalls(
  inner: Telephony,
  log: PlacedCallLog,
  pid: number = process.pid,
): Telephony {
  return {
    kind: inner.kind,
    start: () => inner.start(),
    close: async () => {
      await inner.close();
      log.close();
    },
    async dial(call: DialRequest, events: CallEvents): Promise<DialResult> {
      let ended = false;
      let rang = false;
      const end = (how: Extract<PlacedCallLine, { k: 'end' }>['how']): void => {
        if (ended) return;
        ended = true;
        log.append({ k: 'end', attemptId: call.attemptId, pid, t: Date.now(), how });
      };
      const logged: CallEvents = {
        ringing: () => {
          if (rang) return; // one INVITE per dial, however often the adapter reports it
          rang = true;
          log.append({
            k: 'start',
            attemptId: call.attemptId,
            orgId: call.orgId,
            batchId: call.batchId,
            contactId: call.contactId,
            pid,
            t: Date.now(),
          });
          events.ringing();
        },
        emit: async (type, data) => {
          if (finalEvents.has(type)) end(type);
          try {
            await events.emit(type, data);
          } catch (err) {
            end('emit_error');
            throw err;
          }
          if (finalEvents.has(type))
            log.append({ k: 'emitted', attemptId: call.attemptId, pid, t: Date.now(), type });
        },
      };
      try {
        return await inner.dial(call, logged);
      } catch (err) {
        end('dial_error');
        throw err;
      }
    },
  };
}
