/**
 * nft 1.0.6's evaluation of a mark expression (evaluate.c: constant folding of right-hand
 * sides, its refusals) and the kernel program it loads (netlink_linearize.c: consecutive
 * and/or/xor merged into one bitwise `(x & m) ^ v`, shifts kept), with the program's result;
 * and the right-hand sides of matches (values, ranges, prefixes, sets merged as nft merges
 * them). Pure; see nftMarks.ts for the whole report.
 */
import { FULL, u32 } from '../common/numbers';
import type { BinOp, MarkSource, NftExpr, NftRhs, RelOp, RhsItem, Span } from './nftExpr';

export type KernelOp = { k: 'bool'; mask: number; xor: number } | { k: 'shift'; dir: 'left' | 'right'; bits: number };

/** A non-constant value: the source mark, then the kernel's bitwise expressions in order. */
export interface MarkProgram {
  src: MarkSource;
  ops: KernelOp[];
}

export type MarkValue = { k: 'const'; value: number } | ({ k: 'program' } & MarkProgram);

export interface NftRefusal extends Partial<Span> {
  error: string;
}

/** The right-hand side of a match after nft's evaluation. */
export type MatchRhs =
  | { k: 'value'; value: number }
  | { k: 'range'; low: number; high: number }
  | { k: 'prefix'; value: number; len: number }
  | { k: 'set'; interval: false; values: number[] }
  | { k: 'set'; interval: true; ranges: [number, number][] };

export interface NftMarkSample {
  nfmark: number;
  ctmark: number;
}

// ---------------------------------------------------------------------------------------
// evaluation (nft's evaluate.c: constant folding, refusals)

const OP_NAME: Record<BinOp, string> = { '&': '&', '|': '|', '^': '^', '<<': '<<', '>>': '>>' };

/** A folded tree: constant right operands, the source at the bottom of the left spine. */
export type Folded = { k: 'c'; v: number } | { k: 's'; src: MarkSource } | { k: 'op'; op: BinOp; left: Folded; c: number };

export class Refused {
  constructor(readonly r: NftRefusal) {}
}
export const refuse = (error: string, at?: Span): never => {
  throw new Refused(at ? { error, start: at.start, end: at.end } : { error });
};

export const MAX_U32 = 0xffffffffn;

function numberValue(e: Extract<NftExpr, { k: 'num' }>, integer: boolean): number {
  if (e.value === null) refuse(`Could not parse ${integer ? 'integer' : 'packet mark'}`, e);
  const v = e.value as bigint;
  if (!integer && v > MAX_U32) refuse(`Value ${v} exceeds valid range 0-4294967295`, e);
  return Number(v & MAX_U32);
}

export function fold(e: NftExpr, integer = false): Folded {
  if (e.k === 'num') return { k: 'c', v: numberValue(e, integer) };
  if (e.k === 'src') return { k: 's', src: e.src };
  const left = fold(e.left, integer);
  const shift = e.op === '<<' || e.op === '>>';
  const right = fold(e.right, integer || shift);
  if (right.k !== 'c') return refuse(`Right hand side of binary operation (${OP_NAME[e.op]}) must be constant`, e.right);
  if (shift) {
    if (right.v >= 32) refuse(`${e.op === '<<' ? 'Left' : 'Right'} shift of ${right.v} bits is undefined for type of 32 bits width`, e.right);
    // nft 1.0.6 cannot give a constant a byte order here
    if (left.k === 'c') refuse('BUG: invalid basetype invalid');
  }
  if (left.k === 'c') {
    switch (e.op) {
      case '&':
        return { k: 'c', v: u32(left.v & right.v) };
      case '|':
        return { k: 'c', v: u32(left.v | right.v) };
      case '^':
        return { k: 'c', v: u32(left.v ^ right.v) };
    }
  }
  return { k: 'op', op: e.op, left, c: right.v };
}

/** netlink_linearize: consecutive and/or/xor become one bitwise (mask, xor); shifts stay. */
export function compile(f: Folded): MarkValue {
  if (f.k === 'c') return { k: 'const', value: f.v };
  const chain: Extract<Folded, { k: 'op' }>[] = [];
  let g: Folded = f;
  while (g.k === 'op') {
    chain.unshift(g);
    g = g.left;
  }
  const src = (g as { src: MarkSource }).src;
  const ops: KernelOp[] = [];
  for (const n of chain) {
    if (n.op === '<<' || n.op === '>>') {
      ops.push({ k: 'shift', dir: n.op === '<<' ? 'left' : 'right', bits: n.c });
      continue;
    }
    let last = ops[ops.length - 1];
    if (!last || last.k !== 'bool') ops.push((last = { k: 'bool', mask: FULL, xor: 0 }));
    const b = last;
    if (n.op === '&') {
      b.xor = u32(b.xor & n.c);
      b.mask = u32(b.mask & n.c);
    } else if (n.op === '|') {
      b.xor = u32(n.c ^ (b.xor & ~n.c));
      b.mask = u32(b.mask & ~n.c);
    } else {
      b.xor = u32(n.c ^ b.xor);
    }
  }
  return { k: 'program', src, ops };
}

export function kernelChecks(v: MarkValue): void {
  if (v.k !== 'program') return;
  for (const op of v.ops) if (op.k === 'shift' && op.bits === 0) refuse('Could not process rule: Invalid argument');
}

/** What the kernel computes. */
export function runProgram(p: MarkProgram, s: NftMarkSample): number {
  let r = u32(p.src === 'meta' ? s.nfmark : s.ctmark);
  for (const op of p.ops) {
    if (op.k === 'bool') r = u32((r & op.mask) ^ op.xor);
    else r = op.dir === 'left' ? u32(r << op.bits) : r >>> op.bits;
  }
  return r;
}

export const valueOf = (v: MarkValue, s: NftMarkSample): number => (v.k === 'const' ? v.value : runProgram(v, s));

// ---------------------------------------------------------------------------------------
// matches

export const prefixMask = (len: number): number => (len === 0 ? 0 : u32(FULL << (32 - len)));
export const isPrefixMask = (m: number): boolean => u32(~m) === 0 || (u32(~m) & u32(~m + 1)) === 0;
export const popcount = (m: number): number => {
  let n = 0;
  for (let x = u32(m); x; x = u32(x & (x - 1))) n++;
  return n;
};

function rhsValue(e: NftExpr): number {
  const f = fold(e);
  if (f.k !== 'c') return refuse('Right hand side of relational expression must be constant', e);
  return (f as { v: number }).v;
}

function rhsItem(it: RhsItem): MatchRhs {
  if (it.k === 'value') return { k: 'value', value: rhsValue(it.expr) };
  if (it.k === 'range') {
    const low = rhsValue(it.low);
    const high = rhsValue(it.high);
    if (low > high) refuse('Range has zero or negative size', it);
    return { k: 'range', low, high };
  }
  const v = rhsValue(it.expr);
  if (it.len > 32n) refuse(`Prefix length ${it.len} is invalid for type of 32 bits width`, it);
  const len = Number(it.len);
  return { k: 'prefix', value: u32(v & prefixMask(len)), len };
}

export const intervalOf = (r: MatchRhs): [number, number] => {
  if (r.k === 'value') return [r.value, r.value];
  if (r.k === 'range') return [r.low, r.high];
  if (r.k === 'prefix') return [r.value, u32(r.value | ~prefixMask(r.len))];
  throw new Error('nested set');
};

export function evalRhs(rhs: NftRhs): MatchRhs {
  if (rhs.k !== 'set') return rhsItem(rhs);
  // a set of one element is that element
  if (rhs.items.length === 1) return rhsItem(rhs.items[0]);
  const items = rhs.items.map((it) => {
    return rhsItem(it);
  });
  if (items.every((r) => r.k === 'value')) {
    const values = [...new Set(items.map((r) => (r as { value: number }).value))].sort((a, b) => a - b);
    return { k: 'set', interval: false, values };
  }
  const iv = items.map(intervalOf).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [lo, hi] of iv) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return { k: 'set', interval: true, ranges: merged };
}

function testRhs(y: number, rhs: MatchRhs): boolean {
  switch (rhs.k) {
    case 'value':
      return y === rhs.value;
    case 'range':
      return y >= rhs.low && y <= rhs.high;
    case 'prefix':
      return u32(y & prefixMask(rhs.len)) === rhs.value;
    case 'set':
      return rhs.interval ? rhs.ranges.some(([a, b]) => y >= a && y <= b) : rhs.values.includes(y);
  }
}

export function matchResult(lhs: MarkProgram, op: RelOp, rhs: MatchRhs, s: NftMarkSample): boolean {
  const y = runProgram(lhs, s);
  switch (op) {
    case '<':
      return y < (rhs as { value: number }).value;
    case '>':
      return y > (rhs as { value: number }).value;
    case '<=':
      return y <= (rhs as { value: number }).value;
    case '>=':
      return y >= (rhs as { value: number }).value;
    case '!=':
      return !testRhs(y, rhs);
    default:
      return testRhs(y, rhs);
  }
}
