// The LiveKit demo's contacts (scripts/livekit-stack/demo-contacts.ts): every number is dialable,
// distinct across the run and reaches the phone it was planned for; each batch's CSV calls its
// plan at any hour of any day and shows the import's other cases (window, DNC, duplicate, invalid).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOpen } from '../../src/core/calling-window.js';
import { campaignInputSchema } from '../../src/core/campaign.js';
import { examplesDir } from '../../src/demo/demo.js';
import { normalisePhone } from '../../src/producers/import/phone.js';
import { DEMO_MIX, MAX_DEMO_CONTACTS, demoContactsCsv, demoDialPlan } from '../../scripts/livekit-stack/demo-contacts.js';
import { fitCampaign } from '../../scripts/livekit-stack/demo.js';
import { PHONES, type PhoneName } from '../livekit/support/switchboard.js';

const SEED = { seed: 20261130, numRuns: 40 };

const schedules = ['campaign-one-way.json', 'campaign-two-way.json'].map(
  (f) => fitCampaign(campaignInputSchema.parse(JSON.parse(readFileSync(join(examplesDir, f), 'utf8')))).schedule,
);

function rows(csv: string): { phone: string; timezone: string }[] {
  const [header, ...lines] = csv.trim().split('\n');
  expect(header).toBe('phone,timezone,name,first_name,store,doctor');
  return lines.map((l) => {
    const [phone = '', timezone = ''] = l.split(',');
    return { phone, timezone };
  });
}

describe('the LiveKit demo dial plan', () => {
  it('gives every contact of the run its own valid number that reaches its planned phone, up to the maximum', () => {
    for (let n = 1; n <= MAX_DEMO_CONTACTS; n++) {
      const plan = demoDialPlan(n);
      const all = plan.batches.flat();
      expect(plan.batches.map((b) => b.length)).toEqual([n, n]);
      expect(new Set(all.map((c) => c.number)).size).toBe(all.length);
      for (const c of all) {
        expect(normalisePhone(c.number, 'US')).toMatchObject({ ok: true, e164: c.number });
        expect(c.number === PHONES[c.phone] || (plan.extraNumbers[c.phone] ?? []).includes(c.number)).toBe(true);
      }
      // An extra number must not be another phone's number, or the switchboard would route it twice.
      const extras = Object.values(plan.extraNumbers).flat();
      expect(extras.filter((x) => Object.values(PHONES).includes(x as (typeof PHONES)[PhoneName]))).toEqual([]);
      expect(new Set(extras).size).toBe(extras.length);
    }
    expect(() => demoDialPlan(MAX_DEMO_CONTACTS + 1)).toThrow(RangeError);
    expect(() => demoDialPlan(0)).toThrow(RangeError);
  });

  it('follows each batch\'s mix, so a short run still meets every kind of phone of the first contacts', () => {
    const plan = demoDialPlan(6);
    expect(plan.batches.map((b) => b.map((c) => c.phone))).toEqual(DEMO_MIX.map((mix) => mix.slice(0, 6)));
  });

  it('puts every planned contact in a zone open now, at any time, and adds the import\'s other cases', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2028-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: 1, max: 1000 }),
        (n, at, seed) => {
          const plan = demoDialPlan(n);
          schedules.forEach((schedule, b) => {
            const contacts = rows(demoContactsCsv(plan, b, schedule, at, seed));
            const planned = plan.batches[b]!;
            expect(contacts).toHaveLength(planned.length + 4);
            planned.forEach((c, i) => {
              expect(contacts[i]?.phone).toBe(c.number);
              expect(isOpen([contacts[i]!.timezone], schedule, at)).toBe(true);
            });
            const [waiting, dnc, duplicate, invalid] = contacts.slice(planned.length);
            expect(isOpen([waiting!.timezone], schedule, at)).toBe(false);
            expect(dnc?.phone).toBe('+12125550199');
            expect(normalisePhone(duplicate!.phone, 'US')).toMatchObject({ ok: true, e164: planned[0]!.number });
            expect(normalisePhone(invalid!.phone, 'US').ok).toBe(false);
          });
        },
      ),
      SEED,
    );
  });
});
