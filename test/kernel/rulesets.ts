/**
 * Seeded random rule files and sample packets for the walk differential test
 * (walk-differential.test.ts): iptables-save files whose tables have rules in the built-in
 * chain of one hook (random policy), user chains in a random DAG (jumps only "forward", so no
 * loops; some gotos and RETURNs), matches on addresses (`!`, CIDRs, address lists), protocols
 * and ports (ranges, multiport, `!`), interfaces (`+`), marks and connmarks (values near the
 * sample's), conntrack state, comments, and the targets MARK / CONNMARK (every spelling),
 * ACCEPT, DROP, REJECT, RETURN, jumps. The packet comes first and the rules are built around
 * it, so that about half of the matches match. A pure function of the seed.
 */
import { genConnmarkTarget, genMarkTarget, interestingU32, type Rng } from './generate';
import { restoreWord } from './oracle';
import { outInterface, TOPO, type KHook, type KPacket, type Proto } from './packets';
import type { Packet } from '../../server/src/core/walk';

export const HOOK_TABLES_GEN: Record<KHook, string[]> = {
  OUTPUT: ['raw', 'mangle', 'nat', 'filter'],
  PREROUTING: ['raw', 'mangle', 'nat'],
};

const BUILTINS: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

// ---------------------------------------------------------------------------------------
// addresses

const ip = (a: number, b: number, c: number, d: number): string => `${a}.${b}.${c}.${d}`;
const toN = (s: string): number => s.split('.').reduce((n, x) => ((n << 8) | Number(x)) >>> 0, 0);
const fromN = (n: number): string => ip(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);

/** A source a forged packet may carry into T: not T's own, not martian. */
function foreignAddr(r: Rng): string {
  switch (r.int(5)) {
    case 0:
      return ip(10, 77, 0, r.range(3, 250));
    case 1:
      return ip(172, r.range(16, 31), r.int(256), r.range(1, 254));
    case 2:
      return ip(192, 168, r.int(256), r.range(1, 254));
    case 3:
      return ip(100, r.range(64, 127), r.int(256), r.range(1, 254));
    default:
      return ip(10, r.pick([0, 1, 64, 65, 200]), r.int(256), r.range(1, 254));
  }
}

/** A destination routed out of T (never one of T's own addresses). */
function routedAddr(r: Rng): string {
  switch (r.int(5)) {
    case 0:
      return r.chance(0.5) ? TOPO.sAddr : ip(10, 77, 0, r.range(3, 250));
    case 1:
      return ip(198, 51, 100, r.range(1, 254));
    case 2:
      return ip(192, 0, 2, r.range(2, 254));
    case 3:
      return ip(203, 0, 113, r.range(2, 254));
    default:
      return ip(10, r.pick([5, 64, 99]), r.int(256), r.range(1, 254));
  }
}

const IF_ADDR: Record<string, string> = { vth0: TOPO.tAddr, dum0: TOPO.dum0.addr, dum1: TOPO.dum1.addr };

// ---------------------------------------------------------------------------------------
// the packet

/** A packet for the hook, consistent with the topology; `id` makes its connection new. */
export function genPacket(r: Rng, hook: KHook, id: number): KPacket {
  const proto = r.pick(['udp', 'udp', 'tcp', 'tcp', 'icmp'] as const);
  let src: string;
  let dst: string;
  if (hook === 'OUTPUT') {
    dst = routedAddr(r);
    src = r.chance(0.8) ? IF_ADDR[outInterface(dst)] : foreignAddr(r);
  } else {
    src = foreignAddr(r);
    dst = r.chance(0.5) ? r.pick(TOPO.local) : routedAddr(r);
    if (dst === src || dst === TOPO.sAddr) dst = TOPO.tAddr; // S's own address never leaves S
  }
  const sport = 1024 + ((id * 7919) % 60000);
  const dport = r.pick([22, 53, 80, 443, 8080, 3306, r.range(1, 65535), r.range(5000, 5100)]);
  const len = proto === 'tcp' ? 40 : 28 + r.int(120);
  return { proto, src, dst, sport, dport, id, nfmark: r.chance(0.2) ? 0 : interestingU32(r), len };
}

/** The walk's sample for a kernel packet: a NEW connection; ctmark as given (any value). */
export function walkPacket(hook: KHook, p: KPacket, ctmark: number): Packet {
  const pk: Packet = { src: p.src, dst: p.dst, proto: p.proto, nfmark: p.nfmark >>> 0, ctmark: ctmark >>> 0, state: 'NEW' };
  if (p.proto !== 'icmp') {
    pk.sport = p.sport;
    pk.dport = p.dport;
  }
  if (hook === 'OUTPUT') pk.out = outInterface(p.dst);
  else pk.in = TOPO.tIn;
  return pk;
}

// ---------------------------------------------------------------------------------------
// matches

/** A CIDR that contains `addr` about half the time. */
function cidrNear(r: Rng, addr: string, hook: KHook): string {
  const len = r.pick([8, 12, 16, 24, 24, 28, 30, 32, 32, r.range(0, 32)]);
  const base = r.chance(0.55) ? addr : hook === 'OUTPUT' && r.chance(0.5) ? routedAddr(r) : foreignAddr(r);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  // host bits now and then left in (iptables masks them)
  const n = r.chance(0.2) ? toN(base) : (toN(base) & mask) >>> 0;
  return len === 32 && r.chance(0.5) ? fromN(n) : `${fromN(n)}/${len}`;
}

/** [first, last] address of a CIDR. */
function span(cidr: string): [number, number] {
  const [a, l] = cidr.split('/');
  const len = l === undefined ? 32 : Number(l);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const lo = (toN(a) & mask) >>> 0;
  return [lo, (lo | ~mask) >>> 0];
}

/** Whether two CIDRs share an address (then a packet can match both rules of a list). */
export function overlaps(a: string, b: string): boolean {
  const [a0, a1] = span(a);
  const [b0, b1] = span(b);
  return a0 <= b1 && b0 <= a1;
}

function addrOpt(r: Rng, opt: '-s' | '-d', addr: string, hook: KHook): string[] {
  if (r.chance(0.1)) {
    // an address list: iptables-restore makes one kernel rule per address. Kept disjoint
    // here: with overlapping entries the kernel runs the rule twice for one packet (a test of
    // its own in walk-differential.test.ts).
    const a = cidrNear(r, addr, hook);
    for (let k = 0; k < 8; k++) {
      const b = cidrNear(r, addr, hook);
      if (!overlaps(a, b)) return [opt, `${a},${b}`];
    }
    return [opt, a];
  }
  return [...(r.chance(0.25) ? ['!'] : []), opt, cidrNear(r, addr, hook)];
}

function portNear(r: Rng, port: number): number {
  const k = r.int(4);
  if (k === 0) return port;
  if (k === 1) return Math.max(0, Math.min(65535, port + r.range(-3, 3)));
  return r.range(0, 65535);
}

function portSpec(r: Rng, port: number): string {
  if (r.chance(0.5)) return String(portNear(r, port));
  let a = portNear(r, port);
  let b = portNear(r, port);
  if (a > b) [a, b] = [b, a];
  if (r.chance(0.4)) {
    a = Math.max(0, port - r.int(100));
    b = Math.min(65535, port + r.int(100));
  }
  return r.chance(0.1) ? `${a}:` : r.chance(0.1) ? `:${b}` : `${a}:${b}`;
}

const IFACES: Record<KHook, string[]> = {
  OUTPUT: ['vth0', 'dum0', 'dum1', 'dum+', 'vth+', 'v+', 'd+', 'eth0', 'eth+', 'lo', '+'],
  PREROUTING: ['vth0', 'vth+', 'v+', 'vth1', 'dum0', 'eth0', 'eth+', 'lo', '+'],
};

const CT_STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'];

function states(r: Rng): string {
  const xs = r.shuffle([...CT_STATES]).slice(0, r.range(1, 3));
  if (r.chance(0.5) && !xs.includes('NEW')) xs[0] = 'NEW';
  return xs.join(',');
}

/** `-m mark`/`-m connmark` with a value near `mark`. */
function markMatch(r: Rng, ext: 'mark' | 'connmark', mark: number): string[] {
  const mask = r.chance(0.4) ? 0xffffffff : interestingU32(r);
  const value = r.chance(0.55) ? (mark & mask) >>> 0 : (interestingU32(r) & mask) >>> 0;
  const spelled = mask === 0xffffffff && r.chance(0.6) ? `0x${value.toString(16)}` : `0x${value.toString(16)}/0x${mask.toString(16)}`;
  return ['-m', ext, ...(r.chance(0.3) ? ['!'] : []), '--mark', spelled];
}

const COMMENTS = ['allow dns', 'kube: svc/web', 'mark for tc', 'drop bogons', 'nfrules test'];

interface Ctx {
  hook: KHook;
  table: string;
  p: KPacket;
}

function genMatches(r: Rng, c: Ctx): string[] {
  const { hook, p } = c;
  const m: string[] = [];
  if (r.chance(0.3)) m.push(...addrOpt(r, '-s', p.src, hook));
  if (r.chance(0.3)) m.push(...addrOpt(r, '-d', p.dst, hook));
  if (m.some((w) => w.includes(','))) {
    // iptables: "! not allowed with multiple source or destination IP addresses"
    for (let i = m.length - 2; i >= 0; i--) if (m[i] === '!') m.splice(i, 1);
  }
  if (r.chance(0.2)) m.push(...(r.chance(0.25) ? ['!'] : []), hook === 'OUTPUT' ? '-o' : '-i', r.pick(IFACES[hook]));
  if (r.chance(0.5)) {
    const proto: Proto = r.chance(0.6) ? p.proto : r.pick(['tcp', 'udp', 'icmp'] as const);
    if (r.chance(0.12)) m.push('!', '-p', proto);
    else {
      m.push('-p', proto);
      if (proto === 'icmp') {
        if (r.chance(0.4)) m.push(...(r.chance(0.2) ? ['!'] : []), '--icmp-type', r.pick(['echo-request', 'echo-reply', '8', '8/0', 'destination-unreachable', 'any']));
      } else if (r.chance(0.25)) {
        const which = r.pick(['--dports', '--sports', '--ports']);
        const n = r.range(1, 4);
        const port = which === '--sports' ? p.sport : p.dport;
        const items: string[] = [];
        for (let i = 0; i < n; i++) {
          const s = portSpec(r, port);
          // multiport takes no open range and refuses a:b unless a < b
          const [a, b] = s.split(':').map(Number);
          items.push(/^:|:$/.test(s) || (s.includes(':') && a >= b) ? String(portNear(r, port)) : s);
        }
        m.push('-m', 'multiport', ...(r.chance(0.2) ? ['!'] : []), which, items.join(','));
      } else {
        // `! --sport a ! --dport b` together: iptables-nft 1.8.9 matches when EITHER differs
        // (one 4-byte compare); kept out here, tested on its own in walk-differential.test.ts
        const dneg = r.chance(0.2);
        if (r.chance(0.45)) m.push(...(dneg ? ['!'] : []), '--dport', portSpec(r, p.dport));
        if (r.chance(0.3)) m.push(...(!dneg && r.chance(0.2) ? ['!'] : []), '--sport', portSpec(r, p.sport));
      }
    }
  }
  if (r.chance(0.25)) m.push(...markMatch(r, 'mark', p.nfmark));
  if (r.chance(0.15)) m.push(...markMatch(r, 'connmark', r.chance(0.7) ? 0 : interestingU32(r)));
  if (r.chance(0.15)) m.push('-m', 'conntrack', ...(r.chance(0.25) ? ['!'] : []), '--ctstate', states(r));
  if (r.chance(0.08)) m.push('-m', 'state', ...(r.chance(0.25) ? ['!'] : []), '--state', states(r));
  if (r.chance(0.2)) m.push('-m', 'comment', '--comment', r.pick(COMMENTS));
  return m;
}

// ---------------------------------------------------------------------------------------
// rule files

function genTargetFor(r: Rng, c: Ctx, later: string[], builtin: boolean, matches: string[]): string[] {
  for (;;) {
    const k = r.int(100);
    if (k < 20) return genMarkTarget(r, {});
    if (k < 36) return genConnmarkTarget(r, {});
    if (k < 46) return ['-j', 'ACCEPT'];
    if (k < 54) {
      if (c.table === 'nat') continue; // DROP is refused in nat
      return ['-j', 'DROP'];
    }
    if (k < 58) {
      if (c.table !== 'filter') continue;
      const tcp = matches.join(' ').match(/(^|[^!] )-p tcp/);
      return ['-j', 'REJECT', ...(tcp && r.chance(0.5) ? ['--reject-with', 'tcp-reset'] : [])];
    }
    if (k < 66) {
      if (builtin && r.chance(0.7)) continue;
      return ['-j', 'RETURN'];
    }
    if (k < 84) {
      if (!later.length) continue;
      return ['-j', r.pick(later)];
    }
    if (k < 90) {
      if (!later.length) continue;
      return ['-g', r.pick(later)];
    }
    return [];
  }
}

const line = (words: string[]): string => words.map((w) => restoreWord(w) ?? `"${w}"`).join(' ');

/** A random iptables-save file for the hook, built around the packet. */
export function genRuleset(r: Rng, hook: KHook, p: KPacket): string {
  const out: string[] = ['# Generated by nfrules walk-differential'];
  for (const table of HOOK_TABLES_GEN[hook]) {
    if (r.chance(0.15)) continue;
    const c: Ctx = { hook, table, p };
    const nUser = r.chance(0.2) ? 0 : r.range(1, 5);
    const users = Array.from({ length: nUser }, (_, i) => `${table.toUpperCase()}-U${i}`);
    out.push(`*${table}`);
    for (const b of BUILTINS[table]) {
      const pol = b === hook && table !== 'nat' && r.chance(0.25) ? 'DROP' : 'ACCEPT';
      out.push(`:${b} ${pol} [0:0]`);
    }
    for (const u of users) out.push(`:${u} - [0:0]`);
    const chainRules = (chain: string, later: string[], builtin: boolean, n: number): void => {
      for (let i = 0; i < n; i++) {
        const m = genMatches(r, c);
        const t = genTargetFor(r, c, later, builtin, m);
        out.push(line(['-A', chain, ...m, ...t]));
      }
    };
    chainRules(hook, users, true, r.range(1, 9));
    users.forEach((u, i) => chainRules(u, users.slice(i + 1), false, r.range(1, 6)));
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}
