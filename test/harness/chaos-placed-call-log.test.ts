import { mkdtempSync, rmSync, appendFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { campaignInputSchema } from '../../src/core/campaign.js';
import { createLogger } from '../../src/core/logger.js';
import { openPlacedCallLog, readPlacedCallLogs, recordPlacedCalls } from '../../src/dialer/sim/placed-call-log.js';
import { instantSimDurations } from '../../src/dialer/sim/sim-scenario.js';
import { SimTelephony } from '../../src/dialer/sim/sim-telephony.js';
import type { CallEvents, DialRequest, Telephony } from '../../src/dialer/telephony.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'placed-calls-'));
  dirs.push(d);
  return d;
}

const campaign = campaignInputSchema.parse({ name: 'c', mode: 'one_way', message: 'Hello.' });
function request(attemptId: string): DialRequest {
  return {
    attemptId,
    orgId: 'org-1',
    campaignId: 'camp-1',
    batchId: 'batch-1',
    contactId: '7',
    attempt: 1,
    phone: '+12025550100',
    roomName: `call-${attemptId}`,
    campaign,
    timezones: ['UTC'],
    variables: {},
  };
}
function events(emitted: string[], fail: (type: string) => boolean = () => false): CallEvents {
  return {
    ringing: () => undefined,
    emit: (type) => {
      if (fail(type)) return Promise.reject(new Error('redis away'));
      emitted.push(type);
      return Promise.resolve();
    },
  };
}

describe('recordPlacedCalls', () => {
  it('logs the INVITE, the end and the queued final event of every Sim call, from every process file', async () => {
    const dir = tempDir();
    const sim = new SimTelephony({ seed: 3, durations: instantSimDurations, odds: { human: 1, voicemail: 0, busy: 0, no_answer: 0, rejected: 0, invalid_number: 0, failed: 0 }, log: createLogger({ level: 'silent' }) });
    const tel = recordPlacedCalls(sim, openPlacedCallLog(dir, 101), 101);
    const emitted: string[] = [];
    await tel.dial(request('a-1'), events(emitted));
    await tel.close();
    const other = openPlacedCallLog(dir, 102);
    other.append({ k: 'start', attemptId: 'a-1', orgId: 'org-1', batchId: 'batch-1', contactId: '7', pid: 102, t: 1 });
    other.close();

    const lines = readPlacedCallLogs(dir);
    expect(readdirSync(dir).sort()).toEqual(['calls-101.jsonl', 'calls-102.jsonl']);
    expect(lines.map((l) => `${l.pid}:${l.k}`)).toEqual(['101:start', '101:end', '101:emitted', '102:start']);
    expect(lines[1]).toMatchObject({ k: 'end', how: 'call.completed' });
    expect(emitted).toContain('call.completed');
  });

  it('ends the call when an emit fails or the dial throws, once', async () => {
    const dir = tempDir();
    const failing: Telephony = {
      kind: 'sim',
      start: () => Promise.resolve(),
      close: () => Promise.resolve(),
      dial: async (call, ev) => {
        ev.ringing();
        ev.ringing();
        await ev.emit('call.answered', {});
        throw new Error('unreachable');
      },
    };
    const tel = recordPlacedCalls(failing, openPlacedCallLog(dir, 5), 5);
    await expect(tel.dial(request('b-1'), events([], (t) => t === 'call.answered'))).rejects.toThrow('redis away');
    await tel.close();
    expect(readPlacedCallLogs(dir).map((l) => (l.k === 'end' ? `end:${l.how}` : l.k))).toEqual(['start', 'end:emit_error']);
  });

  it('skips a line torn by a kill mid-write', () => {
    const dir = tempDir();
    const log = openPlacedCallLog(dir, 9);
    log.append({ k: 'start', attemptId: 'c', orgId: 'o', batchId: 'b', contactId: '1', pid: 9, t: 1 });
    log.close();
    appendFileSync(join(dir, 'calls-9.jsonl'), '{"k":"end","attem');
    expect(readPlacedCallLogs(dir)).toHaveLength(1);
    expect(readPlacedCallLogs(join(dir, 'missing'))).toEqual([]);
  });
});
