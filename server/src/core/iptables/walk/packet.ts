/**
 * The sample packet of the walk: its keys (src, dst, proto, sport, dport, in, out, state,
 * with the marks), their validation, the packet in force at a line of a document (settings,
 * then every `# sample:` comment above the line, each overriding the keys it writes), and
 * the CLI's `--packet 'k=v ...'` string. Pure; never throws.
 */
import type { Analysis } from '../checks/analysis';
import type { RuleDocument } from '../syntax/document';
import { parseWhole } from '../../common/numbers';
import type { Packet } from './walk';

/** Protocol names as /etc/protocols (netbase) spells them, with their numbers. */
export const PROTOCOLS: Readonly<Record<string, number>> = {
  all: 0, ip: 0, icmp: 1, igmp: 2, ipencap: 4, tcp: 6, egp: 8, pup: 12, udp: 17, idp: 22, dccp: 33, ipv6: 41,
  'ipv6-route': 43, 'ipv6-frag': 44, rsvp: 46, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58,
  'ipv6-nonxt': 59, 'ipv6-opts': 60, ospf: 89, pim: 103, vrrp: 112, l2tp: 115, sctp: 132, mh: 135,
  udplite: 136, mpls: 137,
};

/** The protocol number of a name or number (`tcp`, `6`), null when unknown. */
export function protoNumber(text: string): number | null {
  const t = text.toLowerCase();
  if (t in PROTOCOLS) return PROTOCOLS[t];
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n <= 255 ? n : null;
  }
  return null;
}

/** Dotted-quad IPv4 (exactly four decimal parts 0-255) as an unsigned 32-bit number. */
export function parseIPv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const p = Number(m[i]);
    if (p > 255) return null;
    n = n * 256 + p;
  }
  return n;
}

/** An IPv6 address as four unsigned 32-bit words, null when not one. */
export function parseIPv6(s: string): number[] | null {
  if (!s.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(s)) return null;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const ps = part.split(':');
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      if (i === ps.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  let g: number[] | null;
  if (dbl >= 0) {
    const a = groups(s.slice(0, dbl));
    const b = groups(s.slice(dbl + 2));
    if (!a || !b || a.length + b.length > 7) return null;
    g = [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  } else {
    g = groups(s);
    if (!g || g.length !== 8) return null;
  }
  const w: number[] = [];
  for (let i = 0; i < 8; i += 2) w.push(((g[i] << 16) | g[i + 1]) >>> 0);
  return w;
}

export type Address = { v: 4; n: number } | { v: 6; w: number[] };

export function parseAddress(s: string): Address | null {
  const n = parseIPv4(s);
  if (n !== null) return { v: 4, n };
  const w = parseIPv6(s);
  return w ? { v: 6, w } : null;
}

export const CT_STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'] as const;
export const ADDR_TYPES = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'];

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
      return (CT_STATES as readonly string[]).includes(value.toUpperCase()) ? null : `Sample state must be one of ${CT_STATES.join(', ')} (got "${value}")`;
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

/**
 * The packet in force at a line: `base` (from the settings), then every `# sample:` comment
 * above the line in order, each overriding the keys it writes. With an analysis the sample
 * lines come from it (no scan of the document).
 */
export function packetAt(doc: RuleDocument, line: number, base: Packet, analysis?: Analysis): Packet {
  const p: Packet = { ...base, extra: base.extra ? { ...base.extra } : undefined };
  if (!p.extra) delete p.extra;
  const apply = (e: { k: string } | undefined) => {
    if (!e || e.k !== 'sample') return;
    const s = (e as unknown as { sample: { nfmark?: number; ctmark?: number; fields: Record<string, string> } }).sample;
    if (s.nfmark !== undefined) p.nfmark = s.nfmark;
    if (s.ctmark !== undefined) p.ctmark = s.ctmark;
    for (const [k, v] of Object.entries(s.fields)) setPacketField(p, k, v);
  };
  if (analysis) {
    for (const s of analysis.samples) {
      if (s.line >= line) break;
      apply(doc.entryAt(s.line));
    }
  } else {
    for (const e of doc.entries) {
      if (e.line >= line) break;
      apply(e);
    }
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
