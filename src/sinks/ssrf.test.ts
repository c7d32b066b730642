import { describe, expect, it } from 'vitest';
import { isPrivateAddress, RefusedAddressError, resolveAllowed, type Resolver } from './ssrf.js';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    'fc12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::10.0.0.1',
    'not-an-ip',
  ])('refuses %s', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:8.8.8.8'])(
    'allows the public address %s',
    (ip) => {
      expect(isPrivateAddress(ip)).toBe(false);
    },
  );
});

describe('resolveAllowed', () => {
  const resolver =
    (...addresses: string[]): Resolver =>
    () =>
      Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

  it('refuses a host when any of its addresses is private', async () => {
    await expect(
      resolveAllowed('hooks.example.test', false, resolver('93.184.216.34', '10.0.0.5')),
    ).rejects.toThrow(RefusedAddressError);
  });

  it('returns the checked address to connect to', async () => {
    await expect(resolveAllowed('hooks.example.test', false, resolver('93.184.216.34'))).resolves.toEqual({
      address: '93.184.216.34',
      family: 4,
    });
  });

  it('checks IP literals without asking DNS, brackets included', async () => {
    const never: Resolver = () => Promise.reject(new Error('DNS must not be asked'));
    await expect(resolveAllowed('[::1]', false, never)).rejects.toThrow(RefusedAddressError);
    await expect(resolveAllowed('127.0.0.1', true, never)).resolves.toMatchObject({ address: '127.0.0.1' });
  });
});
