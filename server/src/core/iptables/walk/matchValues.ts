/** Values the compiled matches read: networks and masks, ports and service names, ICMP types and codes. */
import { ICMP_TYPE_CODES } from '../knowledge/valueSets';
import { Address, parseAddress } from '../../common/net';

export interface Net {
  v: 4 | 6;
  /** IPv4: [addr, mask]; IPv6: 4 words of address then 4 of mask. */
  a: number[];
}

export function v6Mask(bits: number): number[] {
  const m: number[] = [];
  for (let i = 0; i < 4; i++) {
    const b = Math.max(0, Math.min(32, bits - 32 * i));
    m.push(b === 0 ? 0 : b === 32 ? 0xffffffff : (0xffffffff << (32 - b)) >>> 0);
  }
  return m;
}

/** `a.b.c.d[/n|/mask]` or an IPv6 net; null for a host name (undecidable). */
export function parseNet(s: string): Net | null {
  const slash = s.indexOf('/');
  const host = slash >= 0 ? s.slice(0, slash) : s;
  const maskText = slash >= 0 ? s.slice(slash + 1) : undefined;
  const a = parseAddress(host);
  if (!a) return null;
  if (a.v === 4) {
    let mask = 0xffffffff;
    if (maskText !== undefined) {
      if (/^\d+$/.test(maskText)) {
        const b = Number(maskText);
        if (b > 32) return null;
        mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
      } else {
        const m = parseAddress(maskText);
        if (!m || m.v !== 4) return null;
        mask = m.n;
      }
    }
    return { v: 4, a: [(a.n & mask) >>> 0, mask] };
  }
  let bits = 128;
  if (maskText !== undefined) {
    if (!/^\d+$/.test(maskText) || Number(maskText) > 128) return null;
    bits = Number(maskText);
  }
  const m = v6Mask(bits);
  return { v: 6, a: [...a.w.map((w, i) => (w & m[i]) >>> 0), ...m] };
}

export function inNet(addr: Address, n: Net): boolean {
  if (addr.v !== n.v) return false;
  if (addr.v === 4) return (addr.n & n.a[1]) >>> 0 === n.a[0];
  for (let i = 0; i < 4; i++) if ((addr.w[i] & n.a[4 + i]) >>> 0 !== n.a[i]) return false;
  return true;
}
// ---------------------------------------------------------------- ports

export const SERVICES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  dns: 53,
  http: 80,
  www: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  submission: 587,
  imaps: 993,
  pop3s: 995,
  bootps: 67,
  bootpc: 68,
  tftp: 69,
  syslog: 514,
};

export const port = (s: string): number | null => {
  if (/^\d+$/.test(s)) return Number(s) <= 65535 ? Number(s) : null;
  return SERVICES[s.toLowerCase()] ?? null;
};

/** `a`, `a:b`, `:b`, `a:` as [lo, hi]; null when a name is unknown. */
export function parsePortRange(s: string): [number, number] | null {
  const k = s.indexOf(':');
  if (k < 0) {
    const p = port(s);
    return p === null ? null : [p, p];
  }
  const lo = k === 0 ? 0 : port(s.slice(0, k));
  const hi = k === s.length - 1 ? 65535 : port(s.slice(k + 1));
  if (lo === null || hi === null) return null;
  return [lo, hi];
}
/** `8`, `3/1`, or a name: the type and code range (type 255: any). */
export function parseIcmpType(s: string): { type: number; min: number; max: number } | null {
  const named = ICMP_TYPE_CODES[s.toLowerCase()];
  if (named) return { type: named[0], min: named[1], max: named[2] };
  const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(s);
  if (!m || Number(m[1]) > 255 || (m[2] !== undefined && Number(m[2]) > 255)) return null;
  const code = m[2] === undefined ? undefined : Number(m[2]);
  return { type: Number(m[1]), min: code ?? 0, max: code ?? 255 };
}
