/**
 * Addresses and protocol numbers as iptables and nft read them: dotted-quad IPv4, IPv6 as
 * four 32-bit words, protocol names as /etc/protocols spells them. Pure; never throws.
 */
/** Protocol names as /etc/protocols (netbase) spells them, with their numbers. */
export const PROTOCOLS: Readonly<Record<string, number>> = {
  all: 0,
  ip: 0,
  icmp: 1,
  igmp: 2,
  ipencap: 4,
  tcp: 6,
  egp: 8,
  pup: 12,
  udp: 17,
  idp: 22,
  dccp: 33,
  ipv6: 41,
  'ipv6-route': 43,
  'ipv6-frag': 44,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  ospf: 89,
  pim: 103,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
  mh: 135,
  udplite: 136,
  mpls: 137,
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
