// Reads RTP out of a classic pcap file (tcpdump -w on Linux loopback) and measures the audio each
// PCMU packet carries, so a test can tell "speech reached the phone" from "silence reached it".
import { blockLevelDb } from '../../../src/agent/amd/segmenter.js';
import { mulawToLinear } from '../../../src/agent/amd/wav.js';

export interface RtpPacket {
  srcPort: number;
  dstPort: number;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  /** When the capture saw the packet, ms since the epoch (the pcap record's stamp). */
  capturedAtMs: number;
  /** Level of the decoded payload in dBFS (PCMU only; -Infinity otherwise). */
  levelDb: number;
}

/** A 20 ms PCMU packet at or above this level holds speech or tone, not line silence. */
export const SPEECH_LEVEL_DB = -45;

const PCMU = 0;
const LINKTYPE_ETHERNET = 1; // Linux `lo` in tcpdump
const LINKTYPE_LINUX_SLL = 113; // `-i any`
const LINKTYPE_RAW = 101;

/** Every RTP packet (version 2) in the capture whose UDP destination port is `port`. */
export function rtpPacketsTo(pcap: Buffer, port: number): RtpPacket[] {
  return udpDatagrams(pcap)
    .filter((d) => d.dstPort === port)
    .map((d) => parseRtp(d))
    .filter((p): p is RtpPacket => p !== null);
}

export function speechPackets(packets: RtpPacket[]): RtpPacket[] {
  return packets.filter((p) => p.levelDb >= SPEECH_LEVEL_DB);
}

interface Datagram {
  capturedAtMs: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

function udpDatagrams(pcap: Buffer): Datagram[] {
  if (pcap.length < 24) return [];
  const magic = pcap.readUInt32LE(0);
  // tcpdump writes host byte order; microsecond (a1b2c3d4) or nanosecond (a1b23c4d) stamps.
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && pcap.readUInt32BE(0) !== 0xa1b2c3d4 && pcap.readUInt32BE(0) !== 0xa1b23c4d) {
    throw new Error('not a pcap file');
  }
  const nanoStamps = (le ? magic : pcap.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? pcap.readUInt32LE(o) : pcap.readUInt32BE(o));
  const linkType = u32(20);
  const out: Datagram[] = [];
  // A capture still being written may end in a partial record: stop at the last whole one.
  for (let off = 24; off + 16 <= pcap.length; ) {
    const capturedAtMs = u32(off) * 1000 + u32(off + 4) / (nanoStamps ? 1e6 : 1e3);
    const inclLen = u32(off + 8);
    const start = off + 16;
    if (start + inclLen > pcap.length) break;
    const frame = pcap.subarray(start, start + inclLen);
    off = start + inclLen;
    const ip = ipPayload(frame, linkType);
    if (ip) {
      const d = udpOf(ip);
      if (d) out.push({ capturedAtMs, ...d });
    }
  }
  return out;
}

function ipPayload(frame: Buffer, linkType: number): Buffer | null {
  if (linkType === LINKTYPE_ETHERNET) return frame.length > 14 && frame.readUInt16BE(12) === 0x0800 ? frame.subarray(14) : null;
  if (linkType === LINKTYPE_LINUX_SLL) return frame.length > 16 && frame.readUInt16BE(14) === 0x0800 ? frame.subarray(16) : null;
  if (linkType === LINKTYPE_RAW) return frame;
  throw new Error(`unsupported pcap link type ${linkType}`);
}

function udpOf(ip: Buffer): Omit<Datagram, 'capturedAtMs'> | null {
  if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 17) return null;
  const ihl = (ip[0]! & 0x0f) * 4;
  const udp = ip.subarray(ihl);
  if (udp.length < 8) return null;
  const len = udp.readUInt16BE(4);
  return { srcPort: udp.readUInt16BE(0), dstPort: udp.readUInt16BE(2), payload: udp.subarray(8, Math.min(len, udp.length)) };
}

function parseRtp({ capturedAtMs, srcPort, dstPort, payload: b }: Datagram): RtpPacket | null {
  if (b.length < 12 || b[0]! >> 6 !== 2) return null;
  const csrcCount = b[0]! & 0x0f;
  const hasExtension = (b[0]! & 0x10) !== 0;
  const hasPadding = (b[0]! & 0x20) !== 0;
  const payloadType = b[1]! & 0x7f;
  // RTCP shares the version bits; its packet types 200..204 read as payload types 72..76.
  if (payloadType >= 72 && payloadType <= 76) return null;
  let off = 12 + 4 * csrcCount;
  if (hasExtension && off + 4 <= b.length) off += 4 + 4 * b.readUInt16BE(off + 2);
  let end = b.length;
  if (hasPadding && end > off) end -= b[end - 1]!;
  const payload = b.subarray(Math.min(off, end), end);
  return {
    srcPort,
    dstPort,
    payloadType,
    sequence: b.readUInt16BE(2),
    timestamp: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
    capturedAtMs,
    levelDb: payloadType === PCMU && payload.length > 0 ? blockLevelDb(decodePcmu(payload)) : -Infinity,
  };
}

export function decodePcmu(payload: Uint8Array): Int16Array {
  return Int16Array.from(payload, (byte) => mulawToLinear(byte));
}
