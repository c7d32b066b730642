// Which IP addresses outdial may send webhooks to (SSRF). An address is public only when it is
// ordinary global unicast: ipaddr.js parses every textual form and classifies it against the IANA
// special-purpose registries (range()); an IPv6 address that carries an IPv4 address (mapped,
// compatible, NAT64, 6to4, Teredo) is judged by the IPv4 addresses it carries. Pure: no DNS here.
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

const cidr6 = (text: string): [IPv6, number] => ipaddr.IPv6.parseCIDR(text);

// IANA's global unicast allocation: the rest of the IPv6 space is special-purpose or unassigned
// (100:0:0:1::/64 dummy prefix and future assignments included, which ipaddr.js may not name yet).
const globalUnicast = cidr6('2000::/3');
const ipv4Mapped = cidr6('::ffff:0:0/96');
// Deprecated, but a stack may still route it to the IPv4 address it carries.
const ipv4Compatible = cidr6('::/96');
// Well-known NAT64 prefix: a translator forwards it to the IPv4 address in the last 32 bits.
// The local-use prefix 64:ff9b:1::/48 is not listed: it stays refused as range() 'rfc6052'.
const nat64 = cidr6('64:ff9b::/96');
const sixToFour = cidr6('2002::/16');
const teredo = cidr6('2001::/32');

function ipv4Of(high: number | undefined, low: number | undefined): IPv4 {
  const h = high ?? 0;
  const l = low ?? 0;
  return new ipaddr.IPv4([h >> 8, h & 0xff, l >> 8, l & 0xff]);
}

/** The IPv4 addresses an IPv6 address hands traffic to, and how, or null when it carries none. */
function carriedIPv4(a: IPv6): { via: string; addresses: IPv4[] } | null {
  const p = a.parts;
  if (a.match(ipv4Mapped)) return { via: 'IPv4-mapped', addresses: [ipv4Of(p[6], p[7])] };
  if (a.match(ipv4Compatible)) return { via: 'IPv4-compatible', addresses: [ipv4Of(p[6], p[7])] };
  if (a.match(nat64)) return { via: 'NAT64', addresses: [ipv4Of(p[6], p[7])] };
  if (a.match(sixToFour)) return { via: '6to4', addresses: [ipv4Of(p[1], p[2])] };
  if (a.match(teredo)) {
    // RFC 4380: the server's address in bits 32-63, the client's in the last 32 bits, inverted.
    const client = ipv4Of((p[6] ?? 0) ^ 0xffff, (p[7] ?? 0) ^ 0xffff);
    return { via: 'Teredo', addresses: [ipv4Of(p[2], p[3]), client] };
  }
  return null;
}

function ipv4Reason(a: IPv4): string | null {
  // range() covers the whole IPv4 special-purpose registry, multicast and 240/4 (see the tests).
  const range = a.range();
  return range === 'unicast' ? null : range;
}

function ipv6Reason(a: IPv6): string | null {
  if (a.zoneId !== undefined) return 'scoped (zone) address';
  const range = a.range();
  // ::1 and :: sit inside ::/96; naming them is clearer than "compatible 0.0.0.1".
  if (range === 'loopback' || range === 'unspecified') return range;
  const carried = carriedIPv4(a);
  if (carried) {
    for (const v4 of carried.addresses) {
      const why = ipv4Reason(v4);
      if (why) return `${carried.via} ${v4.toString()}: ${why}`;
    }
    return null;
  }
  if (range !== 'unicast') return range;
  return a.match(globalUnicast) ? null : 'outside global unicast 2000::/3';
}

/**
 * Why `ip` is not a public address, or null when it is. The reason may name internal ranges and
 * carried addresses: it is for the server log only, never for a tenant.
 */
export function nonPublicReason(ip: string): string | null {
  let parsed: IPv4 | IPv6;
  try {
    parsed = ipaddr.parse(ip);
  } catch {
    // parse throws only when the text is no IP address at all: such a thing is never public.
    return 'not an IP address';
  }
  return parsed instanceof ipaddr.IPv4 ? ipv4Reason(parsed) : ipv6Reason(parsed);
}

export function isPublicAddress(ip: string): boolean {
  return nonPublicReason(ip) === null;
}

/** RFC 6761: `localhost` and every name under it are loopback, whatever a resolver says. */
export function isLoopbackName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}
