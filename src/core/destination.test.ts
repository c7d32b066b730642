import { describe, expect, it } from 'vitest';
import {
  checkedAddress,
  DESTINATION_NOT_ALLOWED,
  DestinationRefusedError,
  type Resolver,
} from './destination.js';

const answers =
  (...addresses: string[]): Resolver =>
  () =>
    Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
const notFound: Resolver = (host) =>
  Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
const never: Resolver = () => Promise.reject(new Error('DNS must not be asked'));
const strict = (resolve: Resolver) => ({ allowPrivate: false, resolve });

async function refusal(host: string, resolve: Resolver): Promise<DestinationRefusedError> {
  const err: unknown = await checkedAddress(host, strict(resolve)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, host).toBeInstanceOf(DestinationRefusedError);
  return err as DestinationRefusedError;
}

describe('checkedAddress', () => {
  it('refuses a host when any of its addresses is not public, naming it only in the reason', async () => {
    for (const internal of ['10.0.0.5', '::ffff:a00:5', '64:ff9b::a00:5', 'fd00::5', '169.254.169.254']) {
      const err = await refusal('hooks.example.test', answers('93.184.216.34', internal));
      expect(err.message).toBe(DESTINATION_NOT_ALLOWED);
      expect(err.message).not.toContain(internal);
      expect(err.reason).toContain(internal);
    }
  });

  it('refuses a host that does not resolve, or resolves to nothing, with the same message', async () => {
    const missing = await refusal('nowhere.invalid', notFound);
    expect(missing.message).toBe(DESTINATION_NOT_ALLOWED);
    expect(missing.reason).toMatch(/does not resolve \(ENOTFOUND\)/);
    expect((await refusal('empty.example.test', answers())).message).toBe(DESTINATION_NOT_ALLOWED);
  });

  it('refuses localhost names without asking DNS', async () => {
    for (const host of ['localhost', 'LOCALHOST', 'api.localhost']) {
      expect((await refusal(host, never)).reason).toBe('localhost name');
    }
  });

  it('returns the checked address to connect to', async () => {
    await expect(checkedAddress('hooks.example.test', strict(answers('93.184.216.34')))).resolves.toEqual({
      address: '93.184.216.34',
      family: 4,
    });
  });

  it('checks IP literals without asking DNS, brackets included, in URL-normalised forms', async () => {
    for (const url of [
      'http://[::1]/',
      'http://[64:ff9b::10.0.0.1]/',
      'http://0x7f000001/',
      'http://127.1/',
    ]) {
      await refusal(new URL(url).hostname, never);
    }
    await expect(checkedAddress('[2606:4700::1111]', strict(never))).resolves.toEqual({
      address: '2606:4700::1111',
      family: 6,
    });
  });

  it('lets private addresses and localhost through when allowed, still resolving names', async () => {
    const open = (resolve: Resolver) => ({ allowPrivate: true, resolve });
    await expect(checkedAddress('127.0.0.1', open(never))).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(checkedAddress('localhost', open(answers('127.0.0.1')))).resolves.toMatchObject({
      address: '127.0.0.1',
    });
    await expect(checkedAddress('nowhere.invalid', open(notFound))).rejects.toThrow(DestinationRefusedError);
  });
});
