import fc from 'fast-check';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { timezones } from 'libphonenumber-geo-carrier';
import { describe, expect, it } from 'vitest';
import { canonicalZone, createZoneNameCache, loadZoneTable, zonesForNumber } from './time-zones.js';

const table = loadZoneTable();
const FALLBACK = 'America/Phoenix';

describe('zonesForNumber', () => {
  it.each([
    ['+12128675309', '1', ['America/New_York']],
    ['+14155552671', '1', ['America/Los_Angeles']],
    ['+13125550123', '1', ['America/Chicago']],
    ['+4930123456', '49', ['Europe/Berlin']],
    ['+33612345678', '33', ['Europe/Paris']],
  ])('maps %s to the zones of its prefix', (e164, cc, zones) => {
    expect(zonesForNumber(table, e164, cc, FALLBACK)).toEqual({ zones, source: 'number' });
  });

  it('keeps every zone of a prefix that spans several, so admission can require all of them open', () => {
    expect(zonesForNumber(table, '+17015550123', '1', FALLBACK)).toEqual({
      zones: ['America/Denver', 'America/North_Dakota/Center'],
      source: 'number',
    });
  });

  it('resolves below the area code where the table does (Idaho exchanges differ)', () => {
    const boise = zonesForNumber(table, '+12082345678', '1', FALLBACK);
    expect(boise.source).toBe('number');
    expect(boise.zones).toEqual(['America/Denver']);
  });

  it.each([
    ['toll-free', '+18005550100'],
    ['toll-free', '+18885550100'],
    ['premium-rate', '+19005550100'],
  ])('gives a North American %s number the campaign fallback, marked country_fallback', (_kind, e164) => {
    expect(zonesForNumber(table, e164, '1', FALLBACK)).toEqual({ zones: [FALLBACK], source: 'country_fallback' });
  });

  it('keeps the zones of a prefix finer than the country, even when they are several', () => {
    // UK mobiles map to the British Isles' zones, which share one offset: better than any fallback.
    expect(zonesForNumber(table, '+447911123456', '44', FALLBACK)).toEqual({
      zones: ['Europe/Guernsey', 'Europe/Isle_of_Man', 'Europe/London'],
      source: 'number',
    });
  });

  it('uses the plain fallback when the table knows nothing about the number', () => {
    expect(zonesForNumber(table, '+8821234567', '882', FALLBACK)).toEqual({ zones: [FALLBACK], source: 'fallback' });
  });

  it('agrees with libphonenumber-geo-carrier timezones() on sampled numbers', async () => {
    const countries = fc.constantFrom('1', '44', '49', '61', '7', '52', '55', '33', '91');
    const national = fc.stringMatching(/^[2-9]\d{9}$/);
    const samples = fc.sample(fc.tuple(countries, national), { seed: 42, numRuns: 60 });
    for (const [cc, nn] of samples) {
      const number = parsePhoneNumberFromString(`+${cc}${nn}`);
      if (!number) continue;
      const theirs = await timezones(number);
      const ours = table.match(number.number.slice(1), number.countryCallingCode)?.zones ?? null;
      expect(ours, number.number).toEqual(theirs);
    }
  });
});

describe('canonicalZone', () => {
  it.each([
    ['America/New_York', 'America/New_York'],
    ['america/new_york', 'America/New_York'],
    [' Europe/Paris ', 'Europe/Paris'],
    ['UTC', 'UTC'],
  ])('accepts %j as %s', (name, zone) => {
    expect(canonicalZone(name)).toBe(zone);
  });

  it.each(['Mars/Olympus', 'UTC+3', '+03:00', '', 'America/New_York; drop table contacts'])('refuses %j', (name) => {
    expect(canonicalZone(name)).toBeUndefined();
  });

  it('answers the same through the memoised lookup', () => {
    const lookup = createZoneNameCache();
    expect(lookup('europe/berlin')).toBe('Europe/Berlin');
    expect(lookup('europe/berlin')).toBe('Europe/Berlin');
    expect(lookup('Nowhere/Town')).toBeUndefined();
  });
});
