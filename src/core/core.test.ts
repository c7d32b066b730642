import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { maskPhone } from './logger.js';
import { constantTimeEqual, decryptSecret, encryptSecret, hashApiKey, newWebhookSecret } from './secrets.js';
import { renderTemplate, templateVariables } from './template.js';
import { loadConfig, requireConfig } from './config.js';

describe('durations', () => {
  it('parses s, m, h and d and refuses anything else', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    for (const bad of ['', '10', 'm', '1.5h', '-1m', '10 minutes']) expect(parseDuration(bad)).toBeNull();
  });
});

describe('maskPhone', () => {
  it('keeps only the last four digits', () => {
    expect(maskPhone('+12025550123')).toBe('*******0123');
    expect(maskPhone('+12025550123')).not.toContain('202555');
    expect(maskPhone(null)).toBe('');
  });
});

describe('templates', () => {
  it('lists variables once and renders missing ones as empty', () => {
    expect(templateVariables('Hi {{ first_name }}, {{store}} {{first_name}}')).toEqual(['first_name', 'store']);
    expect(renderTemplate('Hi {{first_name}} at {{store}}', { first_name: 'Ana' })).toBe('Hi Ana at ');
  });

  it('reads only the contact’s own variables, never what an object inherits', () => {
    // Variables arrive as parsed JSON: ordinary objects, with Object.prototype behind them.
    const vars = JSON.parse('{"first_name":"Ana"}') as Record<string, string>;
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
      const out = renderTemplate(`[{{${name}}}]`, vars);
      expect(out, name).toBe('[]');
      expect(out).not.toMatch(/function|native code|object Object/);
    }
    // A column really named like an inherited member is the contact's own value.
    const own = JSON.parse('{"constructor":"c","__proto__":"p","toString":"t"}') as Record<string, string>;
    expect(renderTemplate('{{constructor}} {{__proto__}} {{toString}}', own)).toBe('c p t');
  });
});

describe('secrets', () => {
  it('round-trips an encrypted webhook secret and detects tampering', () => {
    const s = newWebhookSecret();
    expect(s.startsWith('whsec_')).toBe(true);
    const sealed = encryptSecret(s, 'k1');
    expect(sealed).not.toContain(s);
    expect(decryptSecret(sealed, 'k1')).toBe(s);
    expect(() => decryptSecret(sealed, 'k2')).toThrow();
  });

  it('hashes keys and compares in constant time', () => {
    expect(hashApiKey('a')).toHaveLength(64);
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
  });
});

describe('config', () => {
  it('applies defaults and names invalid variables', () => {
    expect(loadConfig({}).PORT).toBe(3000);
    expect(() => loadConfig({ PORT: 'abc', OUTDIAL_TELEPHONY: 'pstn' })).toThrow(/PORT[\s\S]*OUTDIAL_TELEPHONY/);
    expect(() => requireConfig(loadConfig({}), ['LIVEKIT_URL'], 'the LiveKit adapter')).toThrow(/LIVEKIT_URL/);
  });

  it('bounds the lease margin: a margin under 5 s would refuse dial jobs that merely queued', () => {
    expect(loadConfig({}).OUTDIAL_LEASE_MARGIN_SECONDS).toBe(60);
    expect(loadConfig({ OUTDIAL_LEASE_MARGIN_SECONDS: '15' }).OUTDIAL_LEASE_MARGIN_SECONDS).toBe(15);
    expect(() => loadConfig({ OUTDIAL_LEASE_MARGIN_SECONDS: '2' })).toThrow(/OUTDIAL_LEASE_MARGIN_SECONDS/);
  });
});
