/**
 * Seeded random rule files and sample packets for the walk differential test
 * (walk-differential.test.ts): iptables-save files whose tables have rules in the built-in
 * chain of one hook (random policy), user chains in a random DAG (jumps only "forward", so no
 * loops; some gotos and RETURNs), matches on addresses (`!`, CIDRs, address lists), protocols
 * and ports (ranges, multiport, `!`), interfaces (`+`), marks and connmarks (values near the
 * sample's), conntrack state, comments, and the targets MARK / CONNMARK (every spelling),
 * ACCEPT, DROP, REJECT, RETURN, jumps. The packet comes first and the rules are built around
 * it, so that about half of the matches match. A pure function of the seed.
 *
 * Also the comparison of a kernel run with the walk and the generated-case loop, shared by
 * walk-differential.test.ts (OUTPUT, PREROUTING) and walk-hooks.test.ts (INPUT, FORWARD,
 * POSTROUTING).
 */
import assert from 'node:assert/strict';
import { TABLES } from '../../server/src/core/iptables/knowledge/commands';
import { RuleDocument } from '../../server/src/core/iptables/syntax/document';
import { NfRulesService } from '../../server/src/core/service/service';
import { walk, type WalkResult } from '../../server/src/core/iptables/walk/walk';
import { type Packet } from '../../server/src/core/common/samplePacket';
import { genConnmarkTarget, genMarkTarget, interestingU32, Rng } from './generate';
import { restoreWord } from './oracle';
import { NFT_PROBED, outInterface, TOPO, type KernelRun, type KHook, type KPacket, type PacketLab, type Proto } from './packets';

export const HOOK_TABLES_GEN: Record<KHook, string[]> = {
  OUTPUT: ['raw', 'mangle', 'nat', 'filter'],
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
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
  let via: KPacket['via'];
  if (hook === 'POSTROUTING') via = r.chance(0.5) ? 'local' : 'forward';
  if (hook === 'OUTPUT' || via === 'local') {
    dst = routedAddr(r);
    src = r.chance(0.8) ? IF_ADDR[outInterface(dst)] : foreignAddr(r);
  } else if (hook === 'PREROUTING') {
    src = foreignAddr(r);
    dst = r.chance(0.5) ? r.pick(TOPO.local) : routedAddr(r);
    if (dst === src || dst === TOPO.sAddr) dst = TOPO.tAddr; // S's own address never leaves S
  } else {
    // from S: to one of T's addresses (INPUT) or routed on (FORWARD, forwarded POSTROUTING)
    src = foreignAddr(r);
    dst = hook === 'INPUT' ? r.pick(TOPO.local) : routedAddr(r);
    if (hook !== 'INPUT' && (dst === src || dst === TOPO.sAddr)) dst = ip(198, 51, 100, r.range(1, 254));
  }
  const sport = 1024 + ((id * 7919) % 60000);
  const dport = r.pick([22, 53, 80, 443, 8080, 3306, r.range(1, 65535), r.range(5000, 5100)]);
  const len = proto === 'tcp' ? 40 : 28 + r.int(120);
  const p: KPacket = { proto, src, dst, sport, dport, id, nfmark: r.chance(0.2) ? 0 : interestingU32(r), len };
  if (hook === 'INPUT' || hook === 'FORWARD' || hook === 'POSTROUTING') {
    // the connection's ctmark when the packet enters the hook (set by the harness)
    p.ctmark = r.chance(0.4) ? 0 : interestingU32(r);
    if (via) p.via = via;
  }
  return p;
}

/** The walk's sample for a kernel packet: a NEW connection; ctmark as given (any value). */
export function walkPacket(hook: KHook, p: KPacket, ctmark: number): Packet {
  const pk: Packet = { src: p.src, dst: p.dst, proto: p.proto, nfmark: p.nfmark >>> 0, ctmark: ctmark >>> 0, state: 'NEW' };
  if (p.proto !== 'icmp') {
    pk.sport = p.sport;
    pk.dport = p.dport;
  }
  if (hook === 'OUTPUT') pk.out = outInterface(p.dst);
  else if (hook === 'PREROUTING' || hook === 'INPUT') pk.in = TOPO.tIn;
  else {
    pk.out = outInterface(p.dst);
    // a forwarded packet keeps its input interface in POSTROUTING (a user chain's `-i vth0`
    // matches it there); a locally generated one has none, which the sample cannot say: left
    // out, the walk leaves `-i` undecided
    if (hook === 'FORWARD' || p.via !== 'local') pk.in = TOPO.tIn;
  }
  return pk;
}

// ---------------------------------------------------------------------------------------
// matches

/** A CIDR that contains `addr` about half the time. */
function cidrNear(r: Rng, addr: string, hook: KHook): string {
  const len = r.pick([8, 12, 16, 24, 24, 28, 30, 32, 32, r.range(0, 32)]);
  const base = r.chance(0.55) ? addr : (hook === 'OUTPUT' || hook === 'FORWARD' || hook === 'POSTROUTING') && r.chance(0.5) ? routedAddr(r) : foreignAddr(r);
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

const OUT_IFACES = ['vth0', 'dum0', 'dum1', 'dum+', 'vth+', 'v+', 'd+', 'eth0', 'eth+', 'lo', '+'];
const IN_IFACES = ['vth0', 'vth+', 'v+', 'vth1', 'dum0', 'eth0', 'eth+', 'lo', '+'];
const IFACES: Record<'OUTPUT' | 'PREROUTING', string[]> = { OUTPUT: OUT_IFACES, PREROUTING: IN_IFACES };

/**
 * `-i`/`-o` for the hooks added later. iptables refuses `-o` in a built-in INPUT chain and
 * `-i` in a built-in POSTROUTING chain, but not in a user chain: there the kernel compares
 * with the empty name the hook has (`-o dum0` never matches in INPUT, `! -o dum0` always).
 */
function ifaceOpt(r: Rng, hook: KHook, builtin: boolean): string[] {
  const neg = r.chance(0.25) ? ['!'] : [];
  const wrong = !builtin && r.chance(0.25);
  if (hook === 'INPUT') return wrong ? [...neg, '-o', r.pick(OUT_IFACES)] : [...neg, '-i', r.pick(IN_IFACES)];
  if (hook === 'POSTROUTING') return wrong ? [...neg, '-i', r.pick(IN_IFACES)] : [...neg, '-o', r.pick(OUT_IFACES)];
  // FORWARD has both
  return r.chance(0.5) ? [...neg, '-i', r.pick(IN_IFACES)] : [...neg, '-o', r.pick(OUT_IFACES)];
}

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
  /** The rule is in the hook's built-in chain (not a user chain). */
  builtin?: boolean;
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
  if (r.chance(0.2)) {
    if (hook === 'OUTPUT' || hook === 'PREROUTING') m.push(...(r.chance(0.25) ? ['!'] : []), hook === 'OUTPUT' ? '-o' : '-i', r.pick(IFACES[hook]));
    else m.push(...ifaceOpt(r, hook, !!c.builtin));
  }
  if (r.chance(0.5)) {
    const proto: Proto = r.chance(0.6) ? p.proto : r.pick(['tcp', 'udp', 'icmp'] as const);
    if (r.chance(0.12)) m.push('!', '-p', proto);
    else {
      m.push('-p', proto);
      if (proto === 'icmp') {
        if (r.chance(0.4))
          m.push(...(r.chance(0.2) ? ['!'] : []), '--icmp-type', r.pick(['echo-request', 'echo-reply', '8', '8/0', 'destination-unreachable', 'any']));
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
  if (r.chance(0.15)) m.push(...markMatch(r, 'connmark', r.chance(0.7) ? (p.ctmark ?? 0) : interestingU32(r)));
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
    for (const b of TABLES[table]) {
      const pol = b === hook && table !== 'nat' && r.chance(0.25) ? 'DROP' : 'ACCEPT';
      out.push(`:${b} ${pol} [0:0]`);
    }
    for (const u of users) out.push(`:${u} - [0:0]`);
    const chainRules = (chain: string, later: string[], builtin: boolean, n: number): void => {
      c.builtin = builtin;
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

const hex = (n: number): string => '0x' + (n >>> 0).toString(16);

// ---------------------------------------------------------------------------------------
// comparison

export interface Diff {
  kind: 'counter' | 'verdict' | 'nfmark' | 'ctmark';
  text: string;
}

export interface Comparison {
  diffs: Diff[];
  /** Rule lines compared. */
  lines: number;
  /** Walk steps compared (decided steps on compared lines). */
  steps: number;
  /** Compared in full (no undecided step, or the kernel took the assumed branch). */
  full: boolean;
}

const BUILTIN_NAMES = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/**
 * Rule lines the kernel counts only for the walked hook: those in chains reachable from the
 * hook's built-in chain and from none of the built-in chains the packet passes after it (it
 * goes on through later hooks, whose counters are not the walk's business).
 */
/** Built-in chains the packet of a hook's case passes besides the hook's own (their counters are left out). */
const OTHER_BUILTINS: Record<KHook, string[]> = {
  OUTPUT: ['POSTROUTING'],
  PREROUTING: ['INPUT', 'FORWARD', 'POSTROUTING'],
  INPUT: ['PREROUTING'],
  FORWARD: ['PREROUTING', 'POSTROUTING'],
  POSTROUTING: ['PREROUTING', 'FORWARD', 'OUTPUT'],
};

export function ruleLines(text: string, hook: KHook): number[] {
  const lines = text.split('\n');
  const edges = new Map<string, Set<string>>();
  const chainOfLine = new Map<number, string>();
  let table = '';
  lines.forEach((l, i) => {
    if (l.startsWith('*')) table = l.slice(1).trim();
    const m = /^-A (\S+)/.exec(l);
    if (!m) return;
    const key = `${table}/${m[1]}`;
    chainOfLine.set(i, key);
    const j = / -[jg] (\S+)/.exec(l);
    if (!edges.has(key)) edges.set(key, new Set());
    if (j && !BUILTIN_NAMES.has(j[1])) edges.get(key)!.add(`${table}/${j[1]}`);
  });
  const reach = (from: string[]): Set<string> => {
    const seen = new Set<string>(from);
    const todo = [...from];
    while (todo.length)
      for (const n of edges.get(todo.pop()!) ?? [])
        if (!seen.has(n)) {
          seen.add(n);
          todo.push(n);
        }
    return seen;
  };
  const tables = new Set([...chainOfLine.values()].map((k) => k.split('/')[0]));
  const mine = reach([...tables].map((t) => `${t}/${hook}`));
  const after = OTHER_BUILTINS[hook];
  const others = reach([...tables].flatMap((t) => after.map((b) => `${t}/${b}`)));
  const out: number[] = [];
  for (const [i, key] of chainOfLine) if (mine.has(key) && !others.has(key)) out.push(i);
  return out;
}

export function compare(text: string, w: WalkResult, k: KernelRun): Comparison {
  const matched = new Map<number, number>();
  const undecided = new Set<number>();
  for (const s of w.path) {
    if (s.matched) matched.set(s.line, (matched.get(s.line) ?? 0) + 1);
    if (!s.decided) undecided.add(s.line);
  }
  const full = !w.loop && [...undecided].every((l) => (k.counts.get(l) ?? 0) === (matched.get(l) ?? 0));
  const diffs: Diff[] = [];
  const src = text.split('\n');
  let lines = 0;
  let steps = 0;
  if (full) {
    for (const l of ruleLines(text, w.hook as KHook)) {
      if (undecided.has(l)) continue;
      lines++;
      const kc = k.counts.get(l) ?? 0;
      const wc = matched.get(l) ?? 0;
      if (kc !== wc) diffs.push({ kind: 'counter', text: `line ${l + 1} \`${src[l]}\`: kernel counted ${kc}, walk matched ${wc}` });
    }
    steps = w.path.filter((s) => s.decided).length;
    const walkPass = w.verdict === 'ACCEPT';
    if (walkPass !== k.passed)
      diffs.push({
        kind: 'verdict',
        text: `verdict: walk ${w.verdict}${w.verdictLine !== undefined ? ` (line ${w.verdictLine + 1})` : ''}, kernel ${k.passed ? `passed (seen in ${k.seenIn})` : `did not pass${k.sendError ? ` (sendto: ${k.sendError})` : ''}`}`,
      });
    if (k.passed && walkPass && k.marks) {
      if (k.marks.nfmark !== w.nfmark) diffs.push({ kind: 'nfmark', text: `nfmark: kernel ${hex(k.marks.nfmark)}, walk ${hex(w.nfmark)}` });
      if (k.marks.ctmark !== w.ctmark) diffs.push({ kind: 'ctmark', text: `ctmark: kernel ${hex(k.marks.ctmark)}, walk ${hex(w.ctmark)}` });
    }
  } else {
    for (const s of w.path) {
      if (!s.decided) break;
      steps++;
      if (s.matched && (k.counts.get(s.line) ?? 0) === 0)
        diffs.push({ kind: 'counter', text: `line ${s.line + 1} \`${src[s.line]}\`: walk matched it (decided), kernel counted 0` });
    }
  }
  return { diffs, lines, steps, full };
}

export function describe(hook: KHook, text: string, p: KPacket, ctmark: number, w: WalkResult, k: KernelRun, c: Comparison): string {
  const counted = [...k.counts].filter(([, n]) => n > 0).map(([l, n]) => `${l + 1}${n > 1 ? `x${n}` : ''}`);
  const walked = w.path.map((s) => `${s.line + 1}${s.matched ? '+' : '-'}${s.decided ? '' : '?'}`);
  return [
    `hook ${hook}; packet ${JSON.stringify(walkPacket(hook, p, ctmark))} (kernel: ${p.proto} len ${p.len}, id ${p.id}${p.via ? `, ${p.via === 'local' ? 'sent from T' : 'forwarded'}` : ''}${p.ctmark !== undefined ? `, ctmark at the hook ${hex(p.ctmark)}` : ''})`,
    ...c.diffs.map((d) => `  DIFF ${d.text}`),
    `  kernel counted lines: ${counted.join(' ') || '(none)'}; passed: ${k.passed}${k.marks ? ` nfmark ${hex(k.marks.nfmark)} ctmark ${hex(k.marks.ctmark)}` : ''}`,
    `  walk path (line +matched -not ?undecided): ${walked.join(' ')}; verdict ${w.verdict}; nfmark ${hex(w.nfmark)} ctmark ${hex(w.ctmark)}`,
    ...(w.notes.length ? [`  walk notes: ${w.notes.slice(0, 6).join(' | ')}`] : []),
    '  file:',
    ...text
      .split('\n')
      .map((l, i) => (l ? `  ${String(i + 1).padStart(3)}| ${l}` : ''))
      .filter(Boolean),
  ].join('\n');
}

export async function runOne(lab: PacketLab, hook: KHook, text: string, p: KPacket, ctmark: number): Promise<{ w: WalkResult; k: KernelRun; c: Comparison }> {
  const k = await lab.runCase(hook, text, p);
  if (k.loadError) throw new Error(`load failed: ${k.loadError}`);
  const w = walk(new RuleDocument(text, 'save'), { hook, packet: walkPacket(hook, p, ctmark) });
  return { w, k, c: compare(text, w, k) };
}

/**
 * Shrinks a disagreeing case: drops rule lines one at a time (a fresh packet id each try) while
 * a disagreement of the same kind remains.
 */
export async function minimize(lab: PacketLab, hook: KHook, text: string, p: KPacket, ctmark: number, target: Diff): Promise<{ text: string; p: KPacket }> {
  const key = (d: Diff): string => (d.kind === 'counter' ? d.text.replace(/^line \d+ /, '').replace(/: kernel.*/, '') : d.kind);
  const want = key(target);
  let cur = text;
  let curP = p;
  let budget = 150;
  for (let changed = true; changed && budget > 0;) {
    changed = false;
    const lines = cur.split('\n');
    for (let i = lines.length - 1; i >= 0 && budget > 0; i--) {
      if (!/^-A /.test(lines[i])) continue;
      const cand = [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n');
      const cp = renumber(lab, curP);
      budget--;
      try {
        const r = await runOne(lab, hook, cand, cp, ctmark);
        if (r.c.diffs.some((d) => key(d) === want)) {
          cur = cand;
          curP = cp;
          changed = true;
          break;
        }
      } catch {
        /* a file the kernel refuses: keep the line */
      }
    }
  }
  return { text: cur, p: curP };
}

/** The same packet as a new connection (fresh source port / ICMP id / sequence). */
export function renumber(lab: PacketLab, p: KPacket): KPacket {
  const id = lab.nextId();
  return { ...p, id, sport: 1024 + ((id * 7919) % 60000) };
}

// ---------------------------------------------------------------------------------------
// focused kernel facts the walk's semantics rest on (each also compared with the walk)

export const BUILT: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** A save file from rule lines per table (`-A ...` lines; built-in chains declared ACCEPT). */
export function file(tables: Record<string, string[]>): string {
  const out: string[] = [];
  for (const [t, rules] of Object.entries(tables)) {
    out.push(`*${t}`, ...BUILT[t].map((c) => `:${c} ACCEPT [0:0]`));
    const users = new Set<string>();
    for (const r of rules) {
      const m = /^-A (\S+)/.exec(r);
      if (m && !BUILT[t].includes(m[1])) users.add(m[1]);
    }
    out.push(...[...users].map((u) => `:${u} - [0:0]`), ...rules, 'COMMIT');
  }
  return out.join('\n') + '\n';
}

/** Counter of the rule whose text contains `needle` (first such line). */
export function countOf(text: string, k: KernelRun, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.startsWith('-A ') && l.includes(needle));
  assert.ok(i >= 0, `no rule with ${needle}`);
  return k.counts.get(i) ?? -1;
}

export function pkt(lab: PacketLab, hook: KHook, over: Partial<KPacket> = {}): KPacket {
  const id = lab.nextId();
  const sport = 1024 + ((id * 7919) % 60000);
  const local = hook === 'OUTPUT' || (hook === 'POSTROUTING' && over.via === 'local');
  const base: KPacket = local
    ? { proto: 'udp', src: TOPO.dum0.addr, dst: '198.51.100.7', sport, dport: 53, id, nfmark: 0x12, len: 77 }
    : {
        proto: 'udp',
        src: '192.168.7.7',
        dst: hook === 'FORWARD' || hook === 'POSTROUTING' ? '198.51.100.7' : TOPO.tAddr,
        sport,
        dport: 53,
        id,
        nfmark: 0x12,
        len: 77,
      };
  if (NFT_PROBED.has(hook)) base.ctmark = 0;
  return { ...base, ...over };
}

/** Compares the walk on a fact case; a disagreement fails, or is a todo when `known` says why. */
export function walkAgrees(t: { todo: (m?: string) => void }, hook: KHook, text: string, p: KPacket, k: KernelRun, ctmark = 0, known?: string): void {
  const w = walk(new RuleDocument(text, 'save'), { hook, packet: walkPacket(hook, p, ctmark) });
  const c = compare(text, w, k);
  if (!c.diffs.length) return;
  const msg = describe(hook, text, p, ctmark, w, k, c);
  if (known) {
    console.log(`[walk-differential] TODO (${known}):\n${msg}`);
    t.todo(`${known}: ${c.diffs.map((d) => d.text).join('; ')}`);
    return;
  }
  assert.fail(`the walk disagrees with the kernel:\n${msg}`);
}

// ---------------------------------------------------------------------------------------
// the generated cases of one hook

export interface HookFigures {
  figure: string;
  failures: string[];
  cases: number;
  disagreements: number;
}

/**
 * `n` generated rule sets for the hook, each loaded, sent and compared with the walk; the
 * first few disagreements are minimized and described. The RNG is seeded per hook.
 */
export async function generatedCases(lab: PacketLab, hook: KHook, n: number, seed: number, hookSeed: number): Promise<HookFigures> {
  const r = new Rng((seed ^ hookSeed) >>> 0);
  let cases = 0;
  let full = 0;
  let lines = 0;
  let steps = 0;
  let passed = 0;
  let rejected = 0;
  let flagged = 0;
  let noise = 0;
  const rejectMsgs = new Set<string>();
  const diffCount: Record<string, number> = {};
  const failures: string[] = [];
  let shown = 0;
  while (cases < n) {
    const p = genPacket(r, hook, lab.nextId());
    const text = genRuleset(r, hook, p);
    const drawn = r.chance(0.5) ? 0 : interestingU32(r);
    // the hooks probed by nft start from the ctmark the harness gives the connection
    const ctmark = p.ctmark ?? drawn;
    const k = await lab.runCase(hook, text, p);
    if (k.loadError) {
      rejected++;
      // a file iptables refuses is also a diagnostics case: the project must report an error
      const svc = new NfRulesService();
      svc.open('file:///generated.rules', text, 'iptables', 0, 'save', 4);
      const errors = svc.findings('file:///generated.rules').filter((f) => f.severity === 'error');
      if (errors.length) flagged++;
      else
        failures.push(
          `iptables-restore refused a generated file the project reports no error in (${k.loadError.split('\n').slice(0, 2).join(' / ')}):\n${text}`,
        );
      if (rejectMsgs.size < 5) rejectMsgs.add(k.loadError.split('\n').slice(0, 2).join(' / '));
      if (rejected > n) throw new Error(`iptables-restore refuses too many generated files: ${[...rejectMsgs].join('; ')}`);
      continue;
    }
    cases++;
    const w = walk(new RuleDocument(text, 'save'), { hook, packet: walkPacket(hook, p, ctmark) });
    const c = compare(text, w, k);
    if (c.full) full++;
    if (k.passed) passed++;
    noise += k.others ?? 0;
    lines += c.lines;
    steps += c.steps;
    for (const d of c.diffs) diffCount[d.kind] = (diffCount[d.kind] ?? 0) + 1;
    if (c.diffs.length && shown < 4) {
      shown++;
      // a mark or verdict difference first: it says more than a counter
      const first = c.diffs.find((d) => d.kind !== 'counter') ?? c.diffs[0];
      const min = await minimize(lab, hook, text, p, ctmark, first);
      const again = await runOne(lab, hook, min.text, renumber(lab, min.p), ctmark);
      failures.push(
        `case ${cases} (seed ${seed}), minimized:\n${describe(hook, min.text, min.p, ctmark, again.w, again.k, again.c)}\n  (original case: ${c.diffs.map((d) => d.text).join('; ')})`,
      );
    }
  }
  const nd = Object.values(diffCount).reduce((a, b) => a + b, 0);
  const figure = `${hook}: ${cases} rule sets (${rejected} generated files refused by iptables-restore, ${flagged} of them with an error from the project, and regenerated${rejectMsgs.size ? `: ${[...rejectMsgs].join('; ')}` : ''}), ${full} compared in full, ${passed} packets got past the hook; ${lines} rule lines and ${steps} walk steps compared; ${nd} disagreements ${JSON.stringify(diffCount)}; ${noise} stray packets kept out`;
  return { figure, failures, cases, disagreements: nd };
}
