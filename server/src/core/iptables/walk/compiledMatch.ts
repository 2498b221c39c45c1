import { MarkOp, applyMarkOp } from '../../marks/marks';
import { Address, parseAddress, protoNumber } from '../../common/net';
import { Ext, Opt, Rule } from '../syntax/ruleTypes';
import type { Hook } from '../knowledge/hooks';
import { NAT_TARGETS, NONTERMINAL_TARGETS, VERDICTS } from '../knowledge/commands';
import type { Packet } from '../../common/samplePacket';
import { Net, inNet, parseIcmpType, parseNet, parsePortRange } from './matchValues';

/**
 * The walk's compiled rules: each rule of a chain the walk reaches becomes a list of tests
 * (closures over precomputed numbers) and a target. A test answers 1 (matches), 0 (does not)
 * or 2 (cannot be decided on the sample). Pure; never throws.
 */

export type Tri = 0 | 1 | 2;

/** The packet as the tests read it: addresses and protocol as numbers. */
export interface PacketC {
  src?: Address;
  dst?: Address;
  proto?: number;
  sport?: number;
  dport?: number;
  in?: string;
  out?: string;
  state?: string;
  /** TCP flags of the sample (`flags=SYN,ACK`), as bits FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32. */
  flags?: number;
  srctype?: string;
  dsttype?: string;
  /** ICMP type and code of the sample (`icmp-type=8` or `icmp-type=3/1` or a name). */
  icmpType?: number;
  icmpCode?: number;
}

/** What a test sees at its rule: the packet, the hook, the conntrack entry and the marks now. */
export interface Ctx {
  p: PacketC;
  hook: Hook;
  /** Incoming / outgoing interface: '' where the hook has none, undefined when unknown. */
  in?: string;
  out?: string;
  /** A conntrack entry is attached to the packet. */
  ct: boolean;
  /** The state a conntrack/state match sees; undefined when unknown. */
  ctState?: string;
  nfmark: number;
  ctmark: number;
}

export interface CTest {
  label: string;
  fn: (c: Ctx) => Tri;
}

export type TargetKind = 'none' | 'chain' | 'verdict' | 'return' | 'mark' | 'connmark' | 'tproxy' | 'nat' | 'notrack' | 'continue' | 'unknown';

export interface CRule {
  line: number;
  tests: CTest[];
  /** Name of the target or chain (undefined: no target). */
  target?: string;
  goto: boolean;
  kind: TargetKind;
  markOp?: MarkOp;
  /** A mark target whose values cannot be evaluated (shell expansion, invalid value). */
  markNote?: string;
  /** How many kernel rules iptables makes of it (`-s a,b` gives two). */
  expands?: number;
}

export const FLAG_BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ALL: 63, NONE: 0 };

export function parseFlags(s: string): number | null {
  let n = 0;
  for (const f of s.toUpperCase().split(',')) {
    if (!(f in FLAG_BITS)) return null;
    n |= FLAG_BITS[f];
  }
  return n;
}

export function compilePacket(p: Packet): PacketC {
  const c: PacketC = {};
  if (p.src) c.src = parseAddress(p.src) ?? undefined;
  if (p.dst) c.dst = parseAddress(p.dst) ?? undefined;
  if (p.proto !== undefined) c.proto = protoNumber(String(p.proto)) ?? undefined;
  if (typeof p.sport === 'number') c.sport = p.sport;
  if (typeof p.dport === 'number') c.dport = p.dport;
  if (p.in) c.in = p.in;
  if (p.out) c.out = p.out;
  if (p.state) c.state = String(p.state).toUpperCase();
  const x = p.extra ?? {};
  const fl = x.flags ?? x.tcpflags ?? x['tcp-flags'];
  if (fl !== undefined) c.flags = parseFlags(fl) ?? undefined;
  const it = x['icmp-type'] ?? x.icmptype;
  if (it !== undefined) {
    const t = parseIcmpType(it);
    if (t && t.type !== 255) {
      c.icmpType = t.type;
      if (t.min === t.max) c.icmpCode = t.min;
    }
  }
  if (x.srctype) c.srctype = x.srctype.toUpperCase();
  if (x.dsttype) c.dsttype = x.dsttype.toUpperCase();
  return c;
}

// ---------------------------------------------------------------- addresses

/**
 * `-s a,b` is one kernel rule per address (iptables-restore expands the list; `!` is refused
 * with a list): one test per address, in the order iptables adds the rules.
 */
export function addrTests(opt: Opt, which: 'src' | 'dst'): CTest[] {
  const arg = opt.args[0]?.text ?? '';
  const parts = arg.split(',');
  if (parts.length === 1) return [addrTest(opt, which).test];
  return parts.map((part) => addrTest({ ...opt, args: [{ ...opt.args[0], text: part }] }, which).test);
}

export function addrTest(opt: Opt, which: 'src' | 'dst'): { test: CTest; count: number } {
  const arg = opt.args[0]?.text ?? '';
  const neg = !!opt.neg;
  const label = `${neg ? '! ' : ''}${which === 'src' ? '-s' : '-d'} ${arg}`;
  const parts = arg.split(',');
  const nets: Net[] = [];
  for (const p of parts) {
    const n = parseNet(p);
    if (!n) return { test: { label, fn: () => 2 }, count: parts.length };
    nets.push(n);
  }
  if (nets.length === 1 && nets[0].v === 4 && !neg) {
    const [net, mask] = nets[0].a;
    return {
      test: {
        label,
        fn: (c) => {
          const a = c.p[which];
          if (!a) return 2;
          return a.v === 4 && (a.n & mask) >>> 0 === net ? 1 : 0;
        },
      },
      count: 1,
    };
  }
  // `! -s a,b` is two kernel rules, `! -s a` and `! -s b`: the packet matches when any does
  return {
    test: {
      label,
      fn: (c) => {
        const a = c.p[which];
        if (!a) return 2;
        for (const n of nets) if (inNet(a, n) !== neg) return 1;
        return 0;
      },
    },
    count: nets.length,
  };
}

export function portTest(opt: Opt, which: 'sport' | 'dport', flag: string): CTest {
  const arg = opt.args[0]?.text ?? '';
  const neg = !!opt.neg;
  const label = `${neg ? '! ' : ''}${flag} ${arg}`;
  const r = parsePortRange(arg);
  if (!r) return { label, fn: () => 2 };
  const [lo, hi] = r;
  return {
    label,
    fn: (c) => {
      const v = c.p[which];
      if (v === undefined) return 2;
      return (v >= lo && v <= hi) !== neg ? 1 : 0;
    },
  };
}

export function multiportTest(opt: Opt, canon: string): CTest {
  const arg = opt.args[0]?.text ?? '';
  const neg = !!opt.neg;
  const label = `-m multiport ${neg ? '! ' : ''}--${canon} ${arg}`;
  const ranges: [number, number][] = [];
  for (const part of arg.split(',')) {
    const r = parsePortRange(part);
    if (!r) return { label, fn: () => 2 };
    ranges.push(r);
  }
  const hit = (v: number) => ranges.some(([lo, hi]) => v >= lo && v <= hi);
  return {
    label,
    fn: (c) => {
      const s = c.p.sport;
      const d = c.p.dport;
      let r: Tri;
      if (canon === 'source-ports') r = s === undefined ? 2 : hit(s) ? 1 : 0;
      else if (canon === 'destination-ports') r = d === undefined ? 2 : hit(d) ? 1 : 0;
      else {
        const a = s === undefined ? 2 : hit(s) ? 1 : 0;
        const b = d === undefined ? 2 : hit(d) ? 1 : 0;
        r = a === 1 || b === 1 ? 1 : a === 2 || b === 2 ? 2 : 0;
      }
      if (r === 2) return 2;
      return (r === 1) !== neg ? 1 : 0;
    },
  };
}

// ---------------------------------------------------------------- the rule

export const undecided = (label: string): CTest => ({ label, fn: () => 2 });

export function ifaceTest(opt: Opt, which: 'in' | 'out'): CTest {
  const arg = opt.args[0]?.text ?? '';
  const neg = !!opt.neg;
  const label = `${neg ? '! ' : ''}${which === 'in' ? '-i' : '-o'} ${arg}`;
  const wild = arg.endsWith('+');
  const stem = wild ? arg.slice(0, -1) : arg;
  return {
    label,
    fn: (c) => {
      const v = c[which];
      // a lone `+` matches every name, the empty one too (no interface): decided even when
      // the sample does not give the interface
      if (wild && stem === '') return neg ? 0 : 1;
      if (v === undefined) return 2;
      return (wild ? v.startsWith(stem) : v === stem) !== neg ? 1 : 0;
    },
  };
}

export function stateTest(label: string, list: string, neg: boolean, conntrack: boolean): CTest {
  const want = new Set(list.toUpperCase().split(','));
  const virt = want.has('SNAT') || want.has('DNAT');
  return {
    label,
    fn: (c) => {
      const st = c.ctState;
      if (st === undefined) return 2;
      let hit: boolean | null = want.has(st);
      // SNAT/DNAT are set from the entry's NAT status, which the sample does not say
      if (!hit && virt && c.ct) hit = null;
      if (hit === null) return 2;
      void conntrack;
      return hit !== neg ? 1 : 0;
    },
  };
}

export function conntrackTests(ext: Ext, out: CTest[]): void {
  let hasState = false;
  const others: string[] = [];
  for (const o of ext.opts) {
    if (o.canon === 'ctstate') {
      hasState = true;
      out.push(stateTest(`-m conntrack ${o.neg ? '! ' : ''}--ctstate ${o.args[0]?.text ?? ''}`, o.args[0]?.text ?? '', !!o.neg, true));
    } else others.push(`${o.neg ? '! ' : ''}${o.key} ${o.args.map((a) => a.text).join(' ')}`.trim());
  }
  if (others.length) {
    // without an entry the kernel's conntrack match answers by --ctstate alone
    const label = `-m conntrack ${others.join(' ')}`;
    out.push({ label, fn: (c) => (c.ct ? 2 : hasState ? 1 : 0) });
  }
}

export function addrtypeTests(ext: Ext, out: CTest[]): void {
  for (const o of ext.opts) {
    if (o.canon !== 'src-type' && o.canon !== 'dst-type') continue;
    const key = o.canon === 'src-type' ? 'srctype' : 'dsttype';
    const want = new Set((o.args[0]?.text ?? '').toUpperCase().split(','));
    const neg = !!o.neg;
    out.push({
      label: `-m addrtype ${neg ? '! ' : ''}--${o.canon} ${o.args[0]?.text ?? ''}`,
      fn: (c) => {
        const t = c.p[key];
        if (t === undefined) return 2;
        return want.has(t) !== neg ? 1 : 0;
      },
    });
  }
}

export function iprangeTests(ext: Ext, out: CTest[]): void {
  for (const o of ext.opts) {
    if (o.canon !== 'src-range' && o.canon !== 'dst-range') continue;
    const which = o.canon === 'src-range' ? 'src' : 'dst';
    const text = o.args[0]?.text ?? '';
    const label = `-m iprange ${o.neg ? '! ' : ''}--${o.canon} ${text}`;
    const [a, b = a] = text.split('-');
    const lo = parseAddress(a);
    const hi = parseAddress(b);
    if (!lo || !hi || lo.v !== hi.v) {
      out.push(undecided(label));
      continue;
    }
    const neg = !!o.neg;
    const key = (x: Address): bigint => (x.v === 4 ? BigInt(x.n) : x.w.reduce((acc, w) => (acc << 32n) | BigInt(w), 0n));
    const klo = key(lo);
    const khi = key(hi);
    out.push({
      label,
      fn: (c) => {
        const x = c.p[which];
        if (!x) return 2;
        if (x.v !== lo.v) return neg ? 1 : 0;
        const k = key(x);
        return (k >= klo && k <= khi) !== neg ? 1 : 0;
      },
    });
  }
}

export function tcpTests(ext: Ext, out: CTest[]): void {
  const from = out.length;
  portTests(ext, out);
  bothPortsNegated(ext, out, from);
}

/**
 * `! --sport a ! --dport b` in one tcp/udp match: iptables documents "both differ", and
 * iptables-legacy does that, but iptables-nft 1.8.9 loads one negated compare of the two
 * ports together, which matches when either differs (seen in the kernel differential test).
 * Where the two readings part, the walk cannot know the backend: undecided, saying why.
 */
export function bothPortsNegated(ext: Ext, out: CTest[], from: number): void {
  const sp = ext.opts.find((o) => o.canon === 'source-port');
  const dp = ext.opts.find((o) => o.canon === 'destination-port');
  if (!sp?.neg || !dp?.neg) return;
  const tests = out.splice(from);
  const s = tests.find((t) => t.label.startsWith('! --sport'));
  const d = tests.find((t) => t.label.startsWith('! --dport'));
  const rest = tests.filter((t) => t !== s && t !== d);
  if (!s || !d) return void out.push(...tests);
  out.push(...rest, {
    label: `${s.label} ${d.label} (iptables-nft 1.8.9 matches when either port differs, iptables-legacy when both do)`,
    fn: (c) => {
      const a = s.fn(c);
      const b = d.fn(c);
      if (a === 2 || b === 2) return 2;
      const both = a === 1 && b === 1;
      const either = a === 1 || b === 1;
      return both === either ? (both ? 1 : 0) : 2;
    },
  });
}

export function portTests(ext: Ext, out: CTest[]): void {
  for (const o of ext.opts) {
    const neg = !!o.neg;
    switch (o.canon) {
      case 'source-port':
        out.push(portTest(o, 'sport', '--sport'));
        break;
      case 'destination-port':
        out.push(portTest(o, 'dport', '--dport'));
        break;
      case 'syn':
      case 'tcp-flags': {
        let mask = 0x17; // SYN,RST,ACK,FIN
        let comp = 0x02;
        let label = `${neg ? '! ' : ''}--syn`;
        if (o.canon === 'tcp-flags') {
          const m = parseFlags(o.args[0]?.text ?? '');
          const k = parseFlags(o.args[1]?.text ?? '');
          label = `${neg ? '! ' : ''}--tcp-flags ${o.args.map((a) => a.text).join(' ')}`;
          if (m === null || k === null) {
            out.push(undecided(label));
            break;
          }
          mask = m;
          comp = k;
        }
        out.push({ label, fn: (c) => (c.p.flags === undefined ? 2 : ((c.p.flags & mask) === comp) !== neg ? 1 : 0) });
        break;
      }
      default:
        out.push(undecided(`${neg ? '! ' : ''}${o.key} ${o.args.map((a) => a.text).join(' ')}`.trim()));
    }
  }
}

export function icmpTests(ext: Ext, out: CTest[]): void {
  for (const o of ext.opts) {
    const arg = o.args[0]?.text ?? '';
    const neg = !!o.neg;
    const label = `${neg ? '! ' : ''}--icmp-type ${arg}`;
    const t = o.canon === 'icmp-type' ? parseIcmpType(arg) : null;
    if (!t) {
      out.push(undecided(label));
      continue;
    }
    out.push({
      label,
      fn: (c) => {
        if (t.type === 255) return neg ? 0 : 1;
        if (c.p.icmpType === undefined) return 2;
        if (c.p.icmpType !== t.type) return neg ? 1 : 0;
        if (t.min === 0 && t.max === 255) return neg ? 0 : 1;
        if (c.p.icmpCode === undefined) return 2;
        return (c.p.icmpCode >= t.min && c.p.icmpCode <= t.max) !== neg ? 1 : 0;
      },
    });
  }
}

export const ALWAYS_TRUE_MATCHES = new Set(['comment']);

/**
 * Compile one parsed rule: its tests and its target; several kernel rules when an address
 * is a comma list (iptables adds one per source, and within it one per destination).
 */
export function compileRule(rule: Rule, line: number): CRule[] {
  const tests: CTest[] = [];
  let srcs: CTest[] = [];
  let dsts: CTest[] = [];
  const unknownWord =
    rule.core.some((o) => o.args.some((a) => a.unknown)) || rule.exts.some((x) => x.name.unknown || x.opts.some((o) => o.args.some((a) => a.unknown)));
  if (unknownWord) tests.push(undecided('a shell expansion'));
  let target: Ext | undefined;
  for (const o of rule.core) {
    if (o.args.some((a) => a.unknown)) continue;
    switch (o.key) {
      case '--source':
      case '--destination':
        if (o.key === '--source') srcs = addrTests(o, 'src');
        else dsts = addrTests(o, 'dst');
        break;
      case '--protocol': {
        const t = o.args[0]?.text ?? '';
        const n = protoNumber(t);
        const neg = !!o.neg;
        const label = `${neg ? '! ' : ''}-p ${t}`;
        if (n === null) tests.push(undecided(label));
        else if (n === 0) tests.push({ label, fn: () => (neg ? 0 : 1) });
        else tests.push({ label, fn: (c) => (c.p.proto === undefined ? 2 : (c.p.proto === n) !== neg ? 1 : 0) });
        break;
      }
      case '--in-interface':
        tests.push(ifaceTest(o, 'in'));
        break;
      case '--out-interface':
        tests.push(ifaceTest(o, 'out'));
        break;
      case '--fragment': {
        // the sample is not a fragment (or the first one): `-f` no, `! -f` yes
        const neg = !!o.neg;
        tests.push({ label: `${neg ? '! ' : ''}-f`, fn: () => (neg ? 1 : 0) });
        break;
      }
      case '--jump':
      case '--goto':
      case '--match':
      case '--table':
      case '--set-counters':
      case '--ipv4':
      case '--ipv6':
      case '--verbose':
      case '--numeric':
      case '--exact':
      case '--line-numbers':
      case '--wait':
      case '--wait-interval':
      case '--modprobe':
        break;
      default:
        if (o.key.startsWith('-')) tests.push(undecided(`${o.neg ? '! ' : ''}${o.key} ${o.args.map((a) => a.text).join(' ')}`.trim()));
    }
  }
  // the mark use of each extension, found once (a line can hold 100,000 of them)
  const markOf = new Map(rule.marks.map((m) => [m.extIndex, m]));
  rule.exts.forEach((ext, i) => {
    if (ext.kind === 'target') {
      target = ext;
      return;
    }
    if (ext.name.unknown) return;
    const name = ext.name.text;
    if (ALWAYS_TRUE_MATCHES.has(name)) return;
    switch (name) {
      case 'tcp':
      case 'udp':
        tcpTests(ext, tests);
        return;
      case 'icmp':
        icmpTests(ext, tests);
        return;
      case 'recent': {
        // --set records the source and always matches (`!` never); the checks depend on the list
        const set = ext.opts.find((o) => o.canon === 'set');
        if (set) {
          const neg = !!set.neg;
          tests.push({ label: `-m recent ${neg ? '! ' : ''}--set`, fn: () => (neg ? 0 : 1) });
        } else tests.push(undecided('-m recent'));
        return;
      }
      case 'multiport':
        for (const o of ext.opts) if (o.canon) tests.push(multiportTest(o, o.canon));
        return;
      case 'mark':
      case 'connmark': {
        const m = markOf.get(i);
        const label = `-m ${name} ${ext.opts.map((o) => `${o.neg ? '! ' : ''}${o.key} ${o.args.map((a) => a.text).join(' ')}`).join(' ')}`.trim();
        const op = m && typeof m.result === 'object' && !('message' in m.result) ? (m.result as MarkOp) : undefined;
        if (!op) {
          tests.push(undecided(label));
          return;
        }
        const ct = name === 'connmark';
        tests.push({
          label,
          fn: (c) => {
            if (ct && !c.ct) return 0; // no conntrack entry: connmark does not match, `!` or not
            return applyMarkOp(op, { nfmark: c.nfmark, ctmark: c.ctmark }).matches ? 1 : 0;
          },
        });
        return;
      }
      case 'conntrack':
        conntrackTests(ext, tests);
        return;
      case 'state': {
        const o = ext.opts.find((x) => x.canon === 'state');
        if (o) tests.push(stateTest(`-m state ${o.neg ? '! ' : ''}--state ${o.args[0]?.text ?? ''}`, o.args[0]?.text ?? '', !!o.neg, false));
        else tests.push(undecided('-m state'));
        return;
      }
      case 'addrtype':
        addrtypeTests(ext, tests);
        if (!ext.opts.length) tests.push(undecided('-m addrtype'));
        return;
      case 'iprange':
        iprangeTests(ext, tests);
        return;
      default:
        tests.push(undecided(`-m ${name}`));
    }
  });
  const r: CRule = { line, tests, goto: false, kind: 'none' };
  if (target) {
    const t = target.name.text;
    r.target = t;
    r.goto = target.via.text === '-g' || target.via.text === '--goto';
    if (target.name.unknown) r.kind = 'unknown';
    else if (t === 'RETURN') r.kind = 'return';
    else if (VERDICTS.has(t)) r.kind = 'verdict';
    else if (NAT_TARGETS.has(t)) r.kind = 'nat';
    else if (t === 'NOTRACK' || (t === 'CT' && target.opts.some((o) => o.key === '--notrack'))) r.kind = 'notrack';
    else if (t === 'MARK' || t === 'CONNMARK' || t === 'TPROXY') {
      r.kind = t === 'MARK' ? 'mark' : t === 'CONNMARK' ? 'connmark' : 'tproxy';
      const m = rule.marks.find((x) => x.ext === t);
      if (m && typeof m.result === 'object' && !('message' in m.result)) r.markOp = m.result as MarkOp;
      else
        r.markNote =
          m && m.result === 'unknown'
            ? 'a shell expansion in its value'
            : m && typeof m.result === 'object' && 'message' in m.result
              ? m.result.message
              : 'no mark option';
    } else if (NONTERMINAL_TARGETS.has(t)) r.kind = 'continue';
    else r.kind = 'chain'; // resolved against the table's chains when walked
  }
  if (srcs.length <= 1 && dsts.length <= 1) {
    r.tests = [...srcs, ...dsts, ...tests];
    return [r];
  }
  const out: CRule[] = [];
  const ss: (CTest | undefined)[] = srcs.length ? srcs : [undefined];
  const ds: (CTest | undefined)[] = dsts.length ? dsts : [undefined];
  for (const s of ss) {
    for (const d of ds) {
      const t: CTest[] = [];
      if (s) t.push(s);
      if (d) t.push(d);
      out.push({ ...r, tests: [...t, ...tests], expands: ss.length * ds.length });
    }
  }
  return out;
}
