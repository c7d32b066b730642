import { describe, expect, it } from 'vitest';
import { createPhonePool, inlinePhoneParser } from './phone-pool.js';

const raws = ['(212) 867-5309', 'nope', '', '+4930123456', '212 867 5309 ext 5', '555-12'];

describe('phone pool', () => {
  it('parses in worker threads exactly as the inline parser does, batch by batch in order', async () => {
    const pool = createPhonePool(2);
    try {
      const batches = Array.from({ length: 6 }, (_, i) => raws.map((r) => (r.startsWith('(') ? `(212) 867-53${10 + i}` : r)));
      const pooled = await Promise.all(batches.map((b) => pool.parse(b, 'US')));
      const inline = await Promise.all(batches.map((b) => inlinePhoneParser.parse(b, 'US')));
      expect(pooled).toEqual(inline);
    } finally {
      await pool.close();
    }
  });

  it('still answers, inline, once its workers are gone', async () => {
    const pool = createPhonePool(1);
    await pool.close();
    expect(await pool.parse(raws, 'US')).toEqual(await inlinePhoneParser.parse(raws, 'US'));
  });
});
