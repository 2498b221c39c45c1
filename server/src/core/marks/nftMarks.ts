/**
 * The nft mark model: what nft 1.0.6 and the kernel make of one statement or match that
 * writes or reads a mark (`meta mark set ...`, `ct mark set ...`, `meta mark & 0xff == 0x1`,
 * `ct mark { 0x1, 0x2 }`, ...): which statements nft refuses and with which message, the
 * kernel program it loads (constant folding of right-hand sides; consecutive and/or/xor
 * merged into one `(x & m) ^ v`; shifts), the result on a sample, the text `nft list
 * ruleset` prints back, the exact iptables spelling, the exact equivalent nft spellings, and
 * the pitfalls (no-op writes, precedence that differs from a left-to-right reading, the two
 * iptables-translate shapes). Also the other way: an iptables MARK/CONNMARK/mark/connmark
 * kernel form as an exact nft statement.
 *
 * Pure. The facts are those of shared/reference/nft-marks.md and of nft 1.0.6's sources
 * (evaluate.c, netlink_linearize.c, netlink_delinearize.c, expression.c), checked against the
 * kernel by test/kernel/nft-marks-differential.test.ts.
 */
import { FULL, hex, hex8, u32 } from '../common/numbers';
import { equivalentSpellings, type MarkOp } from './marks';
import { groupedText, isNftSyntaxError, parseNftMark, type MarkSource, type NftExpr, type NftMarkAst, type RelOp } from './nftExpr';
import {
  MAX_U32,
  Refused,
  compile,
  evalRhs,
  fold,
  kernelChecks,
  matchResult,
  prefixMask,
  refuse,
  valueOf,
  type KernelOp,
  type MarkProgram,
  type MarkValue,
  type MatchRhs,
  type NftMarkSample,
} from './nftProgram';
import { describeValue, isIdentity, matchEquivalents, matchListed, rhsText, setEquivalents, setListed, shortestBool } from './nftPrint';

export type { KernelOp, MarkProgram, MarkValue, MatchRhs, NftMarkSample, NftRefusal } from './nftProgram';
export { runProgram, valueOf, matchResult } from './nftProgram';

export interface NftMarkReport {
  ok: true;
  kind: 'set' | 'match';
  /** One sentence saying what it does. */
  summary: string;
  /** The text as written with nft's implicit parentheses spelled out. */
  grouped: string;
  /** The kernel form, e.g. `ctmark = (ctmark & 0xffffffed) ^ 0x00000016`. */
  kernel: string;
  /** Set statements: the target and its value; matches: the left side and the comparison. */
  target?: MarkSource;
  value?: MarkValue;
  lhs?: MarkProgram;
  op?: RelOp;
  rhs?: MatchRhs;
  before: NftMarkSample;
  nfmark: number;
  ctmark: number;
  /** Bits that changed (after ^ before). */
  changed: NftMarkSample;
  matches?: boolean;
  /** Exactly as `nft list ruleset` prints it. */
  listed: string;
  /** The exact iptables spelling (`-j MARK --or-mark 0x4000`), or null. */
  iptables: string | null;
  iptablesNote?: string;
  /** Exact equivalent nft spellings: shortest, as listed, with explicit parentheses. */
  equivalents: string[];
  /** The write changes nothing for any packet. */
  noop: boolean;
  /**
   * Matches that compare the whole mark with one value (`meta mark 0x4000`, no mask): that
   * value, so a caller can see a bit tested as if it were the whole mark; else null.
   */
  exactMatch: { src: MarkSource; value: number; negated: boolean } | null;
  /** Set when the left-to-right reading computes something else (certain, not sampled). */
  precedence: PrecedenceNote | null;
  /** One of the two iptables-translate shapes, with what iptables computes. */
  translateShape: TranslateShape | null;
}

export interface PrecedenceNote {
  /** The left-to-right reading, parenthesised, and the nft spelling that computes it. */
  leftToRight: string;
  intended: string;
  /** nft's reading, parenthesised. */
  parenthesised: string;
  nft: { nfmark: number; ctmark: number; matches?: boolean };
  leftToRightResult: { nfmark: number; ctmark: number; matches?: boolean };
}

export type TranslateShape =
  | {
      kind: 'connmark-set-xmark';
      /** The rule iptables-translate made this from, and what that rule computes. */
      iptables: string;
      intended: string;
      iptablesResult: NftMarkSample;
    }
  | {
      kind: 'save-mark-mask';
      iptables: string;
      /** nft 1.0.6 has no one-statement form of the iptables rule (non-constant operand). */
      intended: null;
      iptablesResult: NftMarkSample;
    };

/**
 * A refusal: nft's message where nft 1.0.6 refuses the text; with `unsupported`, the text
 * uses something this model does not evaluate (another expression, a map, a variable, a
 * symbolic mark): not a verdict, and a hover should say "depends on the packet/ruleset".
 */
export type NftMarkResult = NftMarkReport | { ok: false; error: string; start?: number; end?: number; unsupported?: true };

// ---------------------------------------------------------------------------------------
// iptables <-> nft

function shortestIptables(op: MarkOp): string {
  const prefix = op.kind === 'match' ? `-m ${op.ext} ` : `-j ${op.ext} `;
  return prefix + equivalentSpellings(op)[0];
}

/** The kernel-exact iptables form of a set statement, or null with the reason. */
export function iptablesOpForSet(target: MarkSource, v: MarkValue): { op: MarkOp } | { op: null; why: string } {
  const none = (why: string) => ({ op: null, why }) as const;
  if (v.k === 'const') {
    return target === 'meta'
      ? { op: { kind: 'xset', ext: 'MARK', value: v.value, mask: FULL } }
      : { op: { kind: 'ct-set', ext: 'CONNMARK', value: v.value, mask: FULL, shift: null } };
  }
  const ops = v.ops;
  const bools = ops.filter((o) => o.k === 'bool') as Extract<KernelOp, { k: 'bool' }>[];
  const shifts = ops.filter((o) => o.k === 'shift') as Extract<KernelOp, { k: 'shift' }>[];
  // iptables' forms: one bool, then at most one shift (CONNMARK only)
  const shape = ops.length <= 2 && shifts.length <= 1 && bools.length <= 1 && (shifts.length === 0 || ops[ops.length - 1].k === 'shift');
  if (!shape) return none('iptables has no single rule for this sequence of operations');
  const b = bools[0] ?? { k: 'bool', mask: FULL, xor: 0 };
  const sh = shifts[0] ? { dir: shifts[0].dir, bits: shifts[0].bits } : null;
  if (target === 'meta' && v.src === 'meta') {
    if (sh) return none('MARK cannot shift');
    return { op: { kind: 'xset', ext: 'MARK', value: b.xor, mask: u32(~b.mask) } };
  }
  if (target === 'ct' && v.src === 'ct') return { op: { kind: 'ct-set', ext: 'CONNMARK', value: b.xor, mask: u32(~b.mask), shift: sh } };
  if (b.xor !== 0) return none('CONNMARK --save-mark/--restore-mark cannot also flip bits');
  if (target === 'ct') return { op: { kind: 'ct-save', ext: 'CONNMARK', nfmask: b.mask, ctmask: FULL, shift: sh } };
  return { op: { kind: 'ct-restore', ext: 'CONNMARK', nfmask: FULL, ctmask: b.mask, shift: sh } };
}

/** The kernel-exact iptables form of a match, or null with the reason. */
export function iptablesOpForMatch(lhs: MarkProgram, op: RelOp, rhs: MatchRhs): { op: MarkOp } | { op: null; why: string } {
  if (op !== '==' && op !== '!=' && op !== 'implicit') return { op: null, why: '-m mark only tests equality under a mask' };
  const b = (lhs.ops[0] as Extract<KernelOp, { k: 'bool' }> | undefined) ?? { k: 'bool', mask: FULL, xor: 0 };
  let value: number;
  let mask: number;
  if (rhs.k === 'value') {
    mask = b.mask;
    value = u32(rhs.value ^ b.xor);
  } else if (rhs.k === 'prefix') {
    const pm = prefixMask(rhs.len);
    mask = u32(b.mask & pm);
    value = u32((rhs.value & pm) ^ (b.xor & pm));
  } else return { op: null, why: '-m mark tests one value under a mask, not a set or range' };
  return { op: { kind: 'match', ext: lhs.src === 'meta' ? 'mark' : 'connmark', value, mask, invert: op === '!=' } };
}

/**
 * An iptables kernel form as an exact nft 1.0.6 statement or match, or null with the reason
 * where nft has none (its right-hand sides must be constant).
 */
export function nftFromIptables(op: MarkOp): { nft: string } | { nft: null; why: string } {
  const shiftText = (s: string, compound: boolean, sh: { dir: 'left' | 'right'; bits: number } | null) =>
    sh ? `${compound ? `(${s})` : s} ${sh.dir === 'left' ? '<<' : '>>'} ${sh.bits}` : s;
  const pairText = (x: string, value: number, mask: number) => shortestBool(x, u32(~mask), value);
  switch (op.kind) {
    case 'xset':
      if (op.ext === 'TPROXY') return { nft: null, why: 'TPROXY sets the mark only as part of the tproxy statement' };
      if (op.mask === FULL) return { nft: `meta mark set ${hex(op.value)}` };
      return { nft: `meta mark set ${pairText('meta mark', op.value, op.mask)}` };
    case 'ct-set': {
      const sh = op.shift;
      if (op.mask === FULL) {
        const v = !sh ? op.value : sh.dir === 'left' ? u32(op.value << sh.bits) : op.value >>> sh.bits;
        return { nft: `ct mark set ${hex(v)}` };
      }
      const inner = pairText('ct mark', op.value, op.mask);
      return { nft: `ct mark set ${shiftText(inner, inner !== 'ct mark', sh)}` };
    }
    case 'ct-save':
    case 'ct-restore': {
      const save = op.kind === 'ct-save';
      const [from, to] = save ? ['meta mark', 'ct mark'] : ['ct mark', 'meta mark'];
      const keep = save ? op.ctmask : op.nfmask; // bits of the target replaced
      const take = save ? op.nfmask : op.ctmask; // bits of the source copied
      if (keep === FULL) {
        const src = take === FULL ? from : `${from} and ${hex(take)}`;
        return { nft: `${to} set ${shiftText(src, take !== FULL, op.shift)}` };
      }
      if (take === 0) return { nft: `${to} set ${pairText(to, 0, keep)}` };
      return {
        nft: null,
        why: `nft 1.0.6 has no one-statement form: the copied bits would be merged into ${to} with a non-constant right-hand side ("Right hand side of binary operation (|) must be constant")`,
      };
    }
    case 'match': {
      const x = op.ext === 'mark' ? 'meta mark' : 'ct mark';
      const lhs = op.mask === FULL ? x : `${x} and ${hex(op.mask)}`;
      return { nft: `${lhs} ${op.invert ? '!= ' : op.mask === FULL ? '' : '== '}${hex(op.value)}` };
    }
  }
}

function evalSetProgram(target: MarkSource, v: MarkValue, s: NftMarkSample): NftMarkSample {
  const r = valueOf(v, s);
  return target === 'meta' ? { nfmark: r, ctmark: u32(s.ctmark) } : { nfmark: u32(s.nfmark), ctmark: r };
}

/** A statement or match evaluated without the sample: everything that does not depend on it. */
type Analysed =
  | { kind: 'set'; ast: Extract<NftMarkAst, { kind: 'set' }>; value: MarkValue }
  | { kind: 'match'; ast: Extract<NftMarkAst, { kind: 'match' }>; lhs: MarkProgram; op: RelOp; rhs: MatchRhs };

function analyse(ast: NftMarkAst): Analysed {
  if (ast.kind === 'set') {
    const value = compile(fold(ast.expr));
    kernelChecks(value);
    return { kind: 'set', ast, value };
  }
  let f = fold(ast.lhs);
  if (f.k === 'c') refuse(`Relational expression (${ast.op === 'implicit' ? '==' : ast.op}) has constant value`, ast.lhs);
  // nft evaluates the right-hand side before it compares the two sides' types
  let rhs = evalRhs(ast.rhs);
  for (let g = f; g.k === 'op'; g = g.left) {
    if (g.op === '<<' || g.op === '>>') refuse('datatype mismatch, expected packet mark, expression has type integer', ast.rhs);
  }
  const op = ast.op;
  if ((op === '<' || op === '>' || op === '<=' || op === '>=') && rhs.k !== 'value') {
    refuse(`Relational expression (${op}) is undefined for ${rhs.k === 'set' ? 'set' : rhs.k} expressions`, ast.rhs);
  }
  // binop_transfer: a top-level xor moves to the constant side of an equality
  const eqLike = op === '==' || op === '!=' || op === 'implicit';
  if (eqLike && f.k === 'op' && f.op === '^' && (rhs.k === 'value' || (rhs.k === 'set' && !rhs.interval))) {
    const c = f.c;
    rhs =
      rhs.k === 'value'
        ? { k: 'value', value: u32(rhs.value ^ c) }
        : { k: 'set', interval: false, values: rhs.values.map((v) => u32(v ^ c)).sort((a, b) => a - b) };
    f = f.left;
  }
  const lhs = compile(f) as Extract<MarkValue, { k: 'program' }>;
  return { kind: 'match', ast, lhs: { src: lhs.src, ops: lhs.ops }, op, rhs };
}

/**
 * The spellings that really are equivalent: each is read back and must compute the same for
 * every probe (nft's listed text is not always one: `meta mark & 0x0 != 0x3` lists as
 * `meta mark != 0x00000003/0`, which reads back as another match).
 */
function exactOnly(a: Analysed, spellings: string[], s: NftMarkSample): string[] {
  return spellings.filter((t) => {
    const b = analyseText(t);
    return b !== null && b.kind === a.kind && sameOnAll(a, b, s);
  });
}

/** The same text read left to right (parentheses kept), when it reads differently. */
function leftToRight(text: string): Analysed | null {
  return analyseText(text, true);
}

function analyseText(text: string, flatReading = false): Analysed | null {
  const flat = parseNftMark(text, flatReading);
  if (isNftSyntaxError(flat)) return null;
  try {
    return analyse(flat);
  } catch (e) {
    if (e instanceof Refused) return null;
    throw e;
  }
}

/** Samples enough to tell two affine maps of (nfmark, ctmark) apart, plus the user's. */
function probeSamples(s: NftMarkSample): NftMarkSample[] {
  const out: NftMarkSample[] = [s, { nfmark: 0, ctmark: 0 }, { nfmark: FULL, ctmark: FULL }];
  for (let b = 0; b < 32; b++) {
    out.push({ nfmark: u32(1 << b), ctmark: 0 }, { nfmark: 0, ctmark: u32(1 << b) });
    out.push({ nfmark: u32(~(1 << b)), ctmark: FULL }, { nfmark: FULL, ctmark: u32(~(1 << b)) });
  }
  return out;
}

function resultOf(a: Analysed, s: NftMarkSample): { nfmark: number; ctmark: number; matches?: boolean } {
  if (a.kind === 'set') return evalSetProgram(a.ast.target, a.value, s);
  return { nfmark: u32(s.nfmark), ctmark: u32(s.ctmark), matches: matchResult(a.lhs, a.op, a.rhs, s) };
}

function sameOnAll(a: Analysed, b: Analysed, s: NftMarkSample): boolean {
  return probeSamples(s).every((p) => {
    const x = resultOf(a, p);
    const y = resultOf(b, p);
    return x.nfmark === y.nfmark && x.ctmark === y.ctmark && x.matches === y.matches;
  });
}

function hasUnparenthesisedMix(e: NftExpr): boolean {
  if (e.k !== 'bin') return false;
  const child = (c: NftExpr) => c.k === 'bin' && !c.paren && c.op !== e.op;
  return child(e.left) || child(e.right) || hasUnparenthesisedMix(e.left) || hasUnparenthesisedMix(e.right);
}

function precedenceNote(a: Analysed, s: NftMarkSample): PrecedenceNote | null {
  const root = a.kind === 'set' ? a.ast.expr : a.ast.lhs;
  if (!hasUnparenthesisedMix(root)) return null;
  const l2r = leftToRight(a.ast.text);
  if (!l2r || sameOnAll(a, l2r, s)) return null;
  const head = a.kind === 'set' ? `${a.ast.targetText} set ` : '';
  const l2rRoot = l2r.kind === 'set' ? l2r.ast.expr : l2r.ast.lhs;
  const tail = a.kind === 'match' ? a.ast.text.slice(a.ast.lhs.end) : '';
  const intended = l2r.kind === 'set' ? setEquivalents(l2r.ast.target, l2r.value, '')[0] : matchEquivalents(l2r.lhs, l2r.op, l2r.rhs, '')[0];
  return {
    leftToRight: head + groupedText(l2rRoot) + tail,
    intended,
    parenthesised: head + groupedText(root) + tail,
    nft: resultOf(a, s),
    leftToRightResult: resultOf(l2r, s),
  };
}

function translateShape(a: Analysed, s: NftMarkSample): TranslateShape | null {
  if (a.kind !== 'set') return null;
  const e = a.ast.expr;
  // `ct mark set ct mark xor V and W`: nft reads `ct mark xor (V and W)`
  if (a.ast.target === 'ct' && e.k === 'bin' && e.op === '^' && e.left.k === 'src' && e.left.src === 'ct') {
    const r = e.right;
    if (r.k === 'bin' && r.op === '&' && !r.paren && r.left.k === 'num' && r.right.k === 'num' && r.left.value !== null && r.right.value !== null) {
      const v = Number(r.left.value & MAX_U32);
      const w = Number(r.right.value & MAX_U32);
      return {
        kind: 'connmark-set-xmark',
        iptables: `-j CONNMARK --set-xmark ${hex(v)}/${hex(u32(~w))}`,
        intended: `ct mark set ct mark and ${hex(w)} xor ${hex(v)}`,
        iptablesResult: { nfmark: u32(s.nfmark), ctmark: u32((s.ctmark & w) ^ v) },
      };
    }
  }
  // `ct mark set mark and M` from `--save-mark --mask M`: iptables keeps the other ctmark bits
  if (a.ast.target === 'ct' && a.value.k === 'program' && a.value.src === 'meta' && a.value.ops.length === 1) {
    const b = a.value.ops[0];
    if (b.k === 'bool' && b.xor === 0 && b.mask !== FULL && e.k === 'bin' && e.op === '&') {
      const m = b.mask;
      return {
        kind: 'save-mark-mask',
        iptables: `-j CONNMARK --save-mark --mask ${hex(m)}`,
        intended: null,
        iptablesResult: { nfmark: u32(s.nfmark), ctmark: u32((s.ctmark & ~m) ^ (s.nfmark & m)) },
      };
    }
  }
  return null;
}

function summary(a: Analysed): string {
  if (a.kind === 'set') {
    const t = a.ast.target === 'meta' ? 'the packet mark (nfmark)' : 'the connection mark (ctmark)';
    const v = a.value;
    if (v.k === 'const') return `Sets ${t} to ${hex8(v.value)}.`;
    if (v.src === a.ast.target && isIdentity(v)) return `Writes ${t} back unchanged: a no-op.`;
    return `Sets ${t} to ${describeValue(v)}.`;
  }
  const what = a.lhs.src === 'meta' ? 'the packet mark' : 'the connection mark';
  return `Matches when ${what} satisfies ${describeValue({ k: 'program', ...a.lhs })} ${a.op === 'implicit' ? '==' : a.op} ${rhsText(a.rhs)}.`;
}

/**
 * Evaluate one nft mark statement or match on a sample: nft's refusal (with its message)
 * or the full report.
 */
export function evaluateNftMark(text: string, sample: NftMarkSample = { nfmark: 0, ctmark: 0 }): NftMarkResult {
  const ast = parseNftMark(text);
  if (isNftSyntaxError(ast)) return { ok: false, ...ast };
  let a: Analysed;
  try {
    a = analyse(ast);
  } catch (e) {
    if (e instanceof Refused) return { ok: false, ...e.r };
    throw e;
  }
  const before = { nfmark: u32(sample.nfmark), ctmark: u32(sample.ctmark) };
  const after = resultOf(a, before);
  const common = {
    ok: true as const,
    summary: summary(a),
    before,
    nfmark: after.nfmark,
    ctmark: after.ctmark,
    changed: { nfmark: u32(after.nfmark ^ before.nfmark), ctmark: u32(after.ctmark ^ before.ctmark) },
    precedence: precedenceNote(a, before),
    translateShape: translateShape(a, before),
  };
  if (a.kind === 'set') {
    const listed = setListed(a.ast.target, a.value);
    const ipt = iptablesOpForSet(a.ast.target, a.value);
    const r: NftMarkReport = {
      ...common,
      kind: 'set',
      grouped: `${a.ast.targetText} set ${groupedText(a.ast.expr)}`,
      kernel: `${a.ast.target === 'meta' ? 'nfmark' : 'ctmark'} = ${describeValue(a.value)}`,
      target: a.ast.target,
      value: a.value,
      listed,
      iptables: ipt.op ? shortestIptables(ipt.op) : null,
      equivalents: exactOnly(a, setEquivalents(a.ast.target, a.value, listed), before),
      noop: a.value.k === 'program' && a.value.src === a.ast.target && isIdentity(a.value),
      exactMatch: null,
    };
    if (!ipt.op) r.iptablesNote = ipt.why;
    return r;
  }
  const listed = matchListed(a.lhs, a.op, a.rhs);
  const ipt = iptablesOpForMatch(a.lhs, a.op, a.rhs);
  const r: NftMarkReport = {
    ...common,
    kind: 'match',
    grouped: `${groupedText(a.ast.lhs)}${a.ast.text.slice(a.ast.lhs.end)}`,
    kernel: `${describeValue({ k: 'program', ...a.lhs })} ${a.op === 'implicit' ? '==' : a.op} ${rhsText(a.rhs)}`,
    lhs: a.lhs,
    op: a.op,
    rhs: a.rhs,
    matches: after.matches,
    listed,
    iptables: ipt.op ? shortestIptables(ipt.op) : null,
    equivalents: exactOnly(a, matchEquivalents(a.lhs, a.op, a.rhs, listed), before),
    noop: false,
    exactMatch:
      isIdentity(a.lhs) && (a.rhs.k === 'value' || (a.rhs.k === 'prefix' && a.rhs.len === 32)) && (a.op === '==' || a.op === '!=' || a.op === 'implicit')
        ? { src: a.lhs.src, value: a.rhs.value, negated: a.op === '!=' }
        : null,
  };
  if (!ipt.op) r.iptablesNote = ipt.why;
  return r;
}
