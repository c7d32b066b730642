import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { isLoopbackName, isPublicAddress, nonPublicReason } from './address-policy.js';

const params = { seed: 19_004, numRuns: 500 } as const;

// The IANA special-purpose address registries (iana-ipv4-special-registry,
// iana-ipv6-special-registry), plus multicast and IPv6 site-local: the specification here.
const ianaIPv4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.0.0/29',
  '192.0.0.8/32',
  '192.0.0.9/32',
  '192.0.0.10/32',
  '192.0.0.170/31',
  '192.0.2.0/24',
  '192.31.196.0/24',
  '192.52.193.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '192.175.48.0/24',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '240.0.0.0/4',
  '255.255.255.255/32',
  '224.0.0.0/4',
];
const ianaIPv6 = [
  '::1/128',
  '::/128',
  '64:ff9b:1::/48',
  '100::/64',
  '100:0:0:1::/64',
  '2001::/23',
  '2001:1::1/128',
  '2001:1::2/128',
  '2001:1::3/128',
  '2001:2::/48',
  '2001:3::/32',
  '2001:4:112::/48',
  '2001:10::/28',
  '2001:20::/28',
  '2001:30::/28',
  '2001:db8::/32',
  '2620:4f:8000::/48',
  '3fff::/20',
  '5f00::/16',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
];
// Registry entries that carry an IPv4 address: judged by it (see the property tests below).
const carriers = ['::ffff:0:0/96', '::/96', '64:ff9b::/96', '2002::/16', '2001::/32'];

/** An address inside `cidr`: its prefix, then the given bytes. */
function addressIn(cidr: string, fill: number[]): string {
  const [net, bits] = ipaddr.parseCIDR(cidr);
  const bytes = net.toByteArray().map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    return (b & mask) | ((fill[i] ?? 0) & ~mask & 0xff);
  });
  return ipaddr.fromByteArray(bytes).toString();
}

const hex4 = (v4: number[]) => [((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0)];
const h = (n: number | undefined) => (n ?? 0).toString(16);

/** The IPv6 forms that carry `v4`, as URL parsing writes them (hex, compressed). */
function carrierForms(v4: number[]): Record<string, string> {
  const [hi, lo] = hex4(v4);
  const inv = hex4(v4.map((b) => b ^ 0xff));
  return {
    mapped: `::ffff:${h(hi)}:${h(lo)}`,
    mappedDotted: `::ffff:${v4.join('.')}`,
    compatible: `::${h(hi)}:${h(lo)}`,
    compatibleDotted: `::${v4.join('.')}`,
    nat64: `64:ff9b::${h(hi)}:${h(lo)}`,
    nat64Dotted: `64:ff9b::${v4.join('.')}`,
    sixToFour: `2002:${h(hi)}:${h(lo)}::1`,
    teredoServer: `2001:0:${h(hi)}:${h(lo)}:0:0:f7f7:f7f7`, // client 8.8.8.8
    teredoClient: `2001:0:808:808:0:0:${h(inv[0])}:${h(inv[1])}`, // server 8.8.8.8
  };
}

describe('nonPublicReason', () => {
  it.each([
    // The forms named in issue 19, as URL parsing hands them over.
    '64:ff9b::a00:1',
    '::127.0.0.1',
    '::7f00:1',
    '::ffff:0:7f00:1',
    '64:ff9b:1::a00:1',
    '2002:7f00:1::',
    // Carried private addresses in every spelling.
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '2002:a00:1::1',
    '2001:0:4136:e378:8000:63bf:f5ff:fffe', // Teredo, client 10.0.0.1
    '2001:0:a00:1::1', // Teredo, server 10.0.0.1
    // IPv4 in the odd forms inet_aton and URL parsing accept.
    '0x7f000001',
    '2130706433',
    '0177.0.0.1',
    '127.1',
    '0x7f.1',
    '10.1',
    '0xa9.0xfe.0xa9.0xfe',
    '0251.0376.0251.0376',
    // The plain cases.
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '198.18.0.1',
    '192.0.0.170',
    '224.0.0.1',
    '240.0.0.1',
    '255.255.255.255',
    '0.0.0.0',
    '::1',
    '::',
    '0:0:0:0:0:0:0:1',
    'fe80::1',
    'FE80::1',
    'fe80::1%eth0',
    '2606:4700::1111%eth0',
    'fd00::1',
    'fc12:3456::1',
    'fd00:ec2::254',
    'ff02::1',
    '100:0:0:1::1',
    '4000::1',
    // Not addresses at all.
    'not-an-ip',
    '',
    'localhost',
    '[::1]',
    '1.2.3.4.5',
    ' 8.8.8.8',
  ])('refuses %s', (ip) => {
    expect(nonPublicReason(ip)).toEqual(expect.any(String));
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '2001:4860:4860::8888',
    '2606:2800:220:1:248:1893:25c8:1946',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '0x08080808',
  ])('allows the public address %s', (ip) => {
    expect(nonPublicReason(ip)).toBeNull();
  });

  it('refuses the first, the last and random addresses of every special-purpose range', () => {
    for (const cidr of [...ianaIPv4, ...ianaIPv6, ...carriers]) {
      expect(nonPublicReason(addressIn(cidr, [])), cidr).not.toBeNull();
      expect(nonPublicReason(addressIn(cidr, Array<number>(16).fill(0xff))), cidr).not.toBeNull();
    }
    fc.assert(
      fc.property(
        fc.constantFrom(...ianaIPv4, ...ianaIPv6),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }),
        (cidr, fill) => {
          const ip = addressIn(cidr, fill);
          // Teredo sits inside 2001::/23 and is judged by what it carries (the next test).
          const parsed = ipaddr.parse(ip);
          fc.pre(!(parsed instanceof ipaddr.IPv6 && parsed.match(ipaddr.parseCIDR('2001::/32'))));
          return nonPublicReason(ip) !== null;
        },
      ),
      params,
    );
  });

  it('judges an IPv6 address that carries an IPv4 address by that address, in every carrier', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (v4) => {
        const expected = isPublicAddress(v4.join('.'));
        for (const [form, ip] of Object.entries(carrierForms(v4))) {
          expect(isPublicAddress(ip), `${form} ${ip} of ${v4.join('.')}`).toBe(expected);
        }
      }),
      params,
    );
  });

  it('gives every spelling of an address, and its URL-normalised form, the same verdict', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const n = ipaddr.IPv4.parse(ip).octets.reduce((acc, b) => acc * 256 + b, 0);
        const verdict = isPublicAddress(ip);
        const url = new URL(`http://0x${n.toString(16)}/`).hostname;
        for (const form of [`0x${n.toString(16)}`, String(n), `0${n.toString(8)}`, url]) {
          expect(isPublicAddress(form), form).toBe(verdict);
        }
      }),
      params,
    );
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const verdict = isPublicAddress(ip);
        const url = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
        const full = ipaddr.IPv6.parse(ip).toNormalizedString();
        for (const form of [url, full, full.toUpperCase()]) {
          expect(isPublicAddress(form), form).toBe(verdict);
        }
      }),
      params,
    );
  });

  it('allows ordinary global unicast addresses outside every special range', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }), (fill) => {
        // 2600::/12 and 2a00::/12 hold only regional registry allocations, nothing special.
        expect(nonPublicReason(addressIn('2600::/12', fill))).toBeNull();
        expect(nonPublicReason(addressIn('2a00::/12', fill))).toBeNull();
      }),
      params,
    );
  });
});

describe('isLoopbackName', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['localhost.', true],
    ['api.localhost', true],
    ['localhost.example.com', false],
    ['mylocalhost', false],
  ])('%s → %s', (name, expected) => {
    expect(isLoopbackName(name)).toBe(expected);
  });
});
