/**
 * The sample packet that hovers and the walk evaluate on: its keys (src, dst, proto, sport,
 * dport, in, out, state, with the marks), their validation, and the `k=v ...` string of the
 * CLI and of `# sample:` comments. Language-neutral; pure; never throws.
 */
import { parseWhole } from './numbers';
import { parseAddress, protoNumber } from './net';
import { ADDR_TYPES, CONNTRACK_STATES } from './kernelNames';

/** The sample packet: every field optional but the marks; an absent field is "unknown". */
export interface Packet {
  /** IPv4 or IPv6 address as written (validated by parsePacket). */
  src?: string;
  dst?: string;
  /** Protocol name or number as written (`tcp`, `udp`, `icmp`, `6`...). */
  proto?: string;
  sport?: number;
  dport?: number;
  /**
   * Interface names (`in` for PREROUTING/INPUT/FORWARD, `out` for FORWARD/OUTPUT/POSTROUTING).
   * POSTROUTING also has `in`: the kernel passes a forwarded packet's input interface there
   * (`-i` in a user chain matches it; iptables refuses `-i` only in the built-in chain); a
   * locally generated packet has none (only `-i +` matches), which a sample without `in`
   * leaves undecided.
   */
  in?: string;
  out?: string;
  /** Conntrack state: NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED. */
  state?: string;
  nfmark: number;
  ctmark: number;
  /** Other keys of the sample (e.g. `srctype=LOCAL` for -m addrtype), kept as written. */
  extra?: Record<string, string>;
}

/** The packet keys, in the order they are printed. */
export const PACKET_KEYS = ['src', 'dst', 'proto', 'sport', 'dport', 'in', 'out', 'state'] as const;
export type PacketKey = (typeof PACKET_KEYS)[number];

const IFNAME_RE = /^[^\s/]{1,15}$/;

/**
 * Why a value of a packet key is not valid (null when it is, or when the key is not a
 * packet key: other keys are kept as written). The value returned by `normalize` is what
 * the packet holds.
 */
export function packetFieldProblem(key: string, value: string): string | null {
  switch (key) {
    case 'src':
    case 'dst':
      return parseAddress(value) ? null : `Sample ${key} must be an IPv4 or IPv6 address, e.g. 10.0.0.1 (got "${value}")`;
    case 'proto':
      return protoNumber(value) !== null ? null : `Sample proto must be a protocol name (tcp, udp, icmp...) or a number 0-255 (got "${value}")`;
    case 'sport':
    case 'dport':
      return /^\d+$/.test(value) && Number(value) <= 65535 ? null : `Sample ${key} must be a port number 0-65535 (got "${value}")`;
    case 'in':
    case 'out':
      return IFNAME_RE.test(value) ? null : `Sample ${key} must be an interface name of 1 to 15 characters (got "${value}")`;
    case 'state':
      return (CONNTRACK_STATES as readonly string[]).includes(value.toUpperCase())
        ? null
        : `Sample state must be one of ${CONNTRACK_STATES.join(', ')} (got "${value}")`;
    case 'srctype':
    case 'dsttype':
      return ADDR_TYPES.includes(value.toUpperCase()) ? null : `Sample ${key} must be an address type (${ADDR_TYPES.join(', ')}) (got "${value}")`;
  }
  return null;
}

const MARK_KEYS = new Set(['nfmark', 'mark', 'fwmark', 'ctmark']);

/** Set one key on a packet; an error message when the key's value is not valid (the packet is unchanged then). */
export function setPacketField(p: Packet, key: string, value: string): string | null {
  const k = key.toLowerCase();
  if (MARK_KEYS.has(k)) {
    const v = parseWhole(value);
    if (v === null) return `Sample ${k} must be a number from 0 to 0xffffffff (got "${value}")`;
    if (k === 'ctmark') p.ctmark = v;
    else p.nfmark = v;
    return null;
  }
  const problem = packetFieldProblem(k, value);
  if (problem) return problem;
  switch (k) {
    case 'src':
    case 'dst':
    case 'in':
    case 'out':
      p[k] = value;
      break;
    case 'proto':
      p.proto = value.toLowerCase();
      break;
    case 'sport':
    case 'dport':
      p[k] = Number(value);
      break;
    case 'state':
      p.state = value.toUpperCase();
      break;
    default:
      (p.extra ??= {})[k] = k === 'srctype' || k === 'dsttype' ? value.toUpperCase() : value;
  }
  return null;
}

/** `src=10.0.0.1 dst=10.96.0.10 proto=tcp dport=80 nfmark=0x0` (the CLI's --packet). */
export function parsePacketString(text: string): { packet: Packet } | { error: string; key?: string } {
  const p: Packet = { nfmark: 0, ctmark: 0 };
  for (const w of text.split(/\s+/)) {
    if (!w) continue;
    const eq = w.indexOf('=');
    if (eq <= 0) return { error: `expected key=value in the packet, got "${w}"` };
    const key = w.slice(0, eq).toLowerCase();
    const err = setPacketField(p, key, w.slice(eq + 1));
    if (err) return { error: err, key };
  }
  return { packet: p };
}

/** The packet of the settings: marks plus any valid packet keys (invalid ones are left out). */
export function basePacket(marks: { nfmark: number; ctmark: number }, fields: Partial<Record<string, string | number>> = {}): Packet {
  const p: Packet = { nfmark: marks.nfmark >>> 0, ctmark: marks.ctmark >>> 0 };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === '') continue;
    if (k === 'nfmark' || k === 'ctmark' || k === 'extra') continue;
    setPacketField(p, k, String(v));
  }
  return p;
}

/** The packet as `k=v` words (marks in hex), for messages and the CLI. */
export function packetText(p: Packet): string {
  const out: string[] = [];
  for (const k of PACKET_KEYS) if (p[k] !== undefined) out.push(`${k}=${p[k]}`);
  for (const [k, v] of Object.entries(p.extra ?? {})) out.push(`${k}=${v}`);
  out.push(`nfmark=0x${p.nfmark.toString(16)}`, `ctmark=0x${p.ctmark.toString(16)}`);
  return out.join(' ');
}
