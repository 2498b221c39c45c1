/**
 * How nft 1.0.6 prints a mark program back (netlink_delinearize.c and expression.c: `x & m'
 * ^ v' | o`, a left operand in parentheses when it binds more loosely, relational
 * post-processing of prefix masks, sets sorted and merged) and the shortest spellings. Pure.
 */
import { FULL, hex, hex8, u32 } from '../common/numbers';
import { precedenceOf, type BinOp, type MarkSource, type RelOp } from './nftExpr';
import { isPrefixMask, popcount, type MarkProgram, type MarkValue, type MatchRhs } from './nftProgram';

// ---------------------------------------------------------------------------------------
// printing (netlink_delinearize.c + expression.c)

export type PTree = { k: 'leaf'; text: string } | { k: 'bin'; op: BinOp; left: PTree; right: string };

export const SRC_TEXT: Record<MarkSource, string> = { meta: 'meta mark', ct: 'ct mark' };

/** The expression tree nft builds back from the kernel program. */
export function delinearize(p: MarkProgram): PTree {
  let t: PTree = { k: 'leaf', text: SRC_TEXT[p.src] };
  for (const op of p.ops) {
    if (op.k === 'shift') {
      t = { k: 'bin', op: op.dir === 'left' ? '<<' : '>>', left: t, right: String(op.bits) };
      continue;
    }
    let m = op.mask;
    let x = op.xor;
    let o = 0;
    if (m !== FULL || x !== 0) {
      o = u32((m & x) ^ x);
      x = u32(x & m);
      m = u32(m | o);
    }
    if (m !== FULL) t = { k: 'bin', op: '&', left: t, right: hex8(m) };
    if (x !== 0) t = { k: 'bin', op: '^', left: t, right: hex8(x) };
    if (o !== 0) t = { k: 'bin', op: '|', left: t, right: hex8(o) };
  }
  return t;
}

/** expression.c's printing: a left operand in parentheses when it binds more loosely. */
export function printTree(t: PTree, explicit = false): string {
  if (t.k === 'leaf') return t.text;
  const l = t.left;
  const paren = l.k === 'bin' && (explicit || precedenceOf(t.op) < precedenceOf(l.op));
  const ls = printTree(l, explicit);
  return `${paren ? `(${ls})` : ls} ${t.op} ${t.right}`;
}

export const setListed = (target: MarkSource, v: MarkValue): string => `${SRC_TEXT[target]} set ${v.k === 'const' ? hex8(v.value) : printTree(delinearize(v))}`;

// ---------------------------------------------------------------------------------------
// spellings

/** The shortest nft text for `(x & mask) ^ xor` applied to `x` (x already text). */
export function shortestBool(x: string, mask: number, xor: number): string {
  if (mask === FULL && xor === 0) return x;
  const c: string[] = [];
  if (xor === 0) c.push(`${x} and ${hex(mask)}`);
  if (mask === FULL) c.push(`${x} xor ${hex(xor)}`);
  if (mask === u32(~xor)) c.push(`${x} or ${hex(xor)}`);
  if ((mask & xor) === 0 && xor !== 0) c.push(`${x} and ${hex(mask)} or ${hex(xor)}`);
  c.push(`${x} and ${hex(mask)} xor ${hex(xor)}`);
  return c.sort((a, b) => a.length - b.length)[0];
}

/** The shortest nft text of a program (parentheses only where a shift follows an operation). */
export function shortestProgram(p: MarkProgram): string {
  let s = SRC_TEXT[p.src];
  let compound = false;
  for (const op of p.ops) {
    if (op.k === 'shift') {
      s = `${compound ? `(${s})` : s} ${op.dir === 'left' ? '<<' : '>>'} ${op.bits}`;
      compound = true;
      continue;
    }
    // after a shift, an and/or/xor binds more loosely: no parentheses needed
    const t = shortestBool(s, op.mask, op.xor);
    if (t === s) continue;
    s = t;
    compound = true;
  }
  return s;
}

/** Whether a program is the identity (writes back what it read). */
export function isIdentity(p: MarkProgram): boolean {
  return p.ops.every((o) => o.k === 'bool' && o.mask === FULL && o.xor === 0);
}

export function setEquivalents(target: MarkSource, v: MarkValue, listed: string): string[] {
  const head = `${SRC_TEXT[target]} set `;
  const out: string[] = [];
  if (v.k === 'const') out.push(head + hex(v.value));
  else {
    // a bool with mask 0 leaves a constant when nothing follows it
    const last = v.ops[v.ops.length - 1];
    if (v.ops.length === 1 && last.k === 'bool' && last.mask === 0) out.push(head + hex(last.xor));
    out.push(head + shortestProgram(v));
  }
  out.sort((a, b) => a.length - b.length);
  const res = [out[0], listed];
  if (v.k === 'program') res.push(head + printTree(delinearize(v), true));
  return [...new Set(res)];
}

export function intervalText([a, b]: [number, number]): string {
  if (a === b) return hex8(a);
  const size = b - a + 1;
  if ((size & (size - 1)) === 0 && a % size === 0) return `${hex8(a)}/${32 - Math.log2(size)}`;
  return `${hex8(a)}-${hex8(b)}`;
}

export function matchListed(lhs: MarkProgram, op: RelOp, rhs: MatchRhs): string {
  let tree = delinearize(lhs);
  const binop = () => tree.k === 'bin';
  const eq = op === 'implicit' ? '==' : op;
  const opText = (printEq: boolean) => (eq === '==' ? (printEq ? ' == ' : ' ') : ` ${eq} `);
  switch (rhs.k) {
    case 'value':
    case 'prefix': {
      const v = rhs.value;
      if (rhs.k === 'prefix' && rhs.len < 32) {
        // the prefix's own mask is one more bitwise after the left side's
        return `${printTree(tree)}${opText(binop())}${hex8(v)}/${rhs.len}`;
      }
      // relational_binop_postprocess: `x & prefixmask == v` prints as `x v/len`
      if ((eq === '==' || eq === '!=') && tree.k === 'bin' && tree.op === '&' && isPrefixMask(Number(tree.right))) {
        const len = popcount(Number(tree.right));
        tree = tree.left;
        return `${printTree(tree)}${opText(binop())}${hex8(v)}/${len}`;
      }
      return `${printTree(tree)}${eq === '==' || eq === '!=' ? opText(binop()) : ` ${eq} `}${hex8(v)}`;
    }
    case 'range':
      return `${printTree(tree)}${opText(false)}${hex8(rhs.low)}-${hex8(rhs.high)}`;
    case 'set': {
      const elems = rhs.interval ? rhs.ranges.map(intervalText) : rhs.values.map(hex8);
      return `${printTree(tree)}${opText(!rhs.interval && binop())}{ ${elems.join(', ')} }`;
    }
  }
}

export function rhsText(rhs: MatchRhs): string {
  switch (rhs.k) {
    case 'value':
      return hex(rhs.value);
    case 'range':
      return `${hex(rhs.low)}-${hex(rhs.high)}`;
    case 'prefix':
      return `${hex(rhs.value)}/${rhs.len}`;
    case 'set':
      return `{ ${(rhs.interval ? rhs.ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)) : rhs.values.map(hex)).join(', ')} }`;
  }
}

export function matchEquivalents(lhs: MarkProgram, op: RelOp, rhs: MatchRhs, listed: string): string[] {
  const l = shortestProgram(lhs);
  const opWord = op === 'implicit' || op === '==' ? '' : `${op} `;
  const shortest = `${l} ${opWord}${rhsText(rhs)}`;
  const explicitLhs = printTree(delinearize(lhs), true);
  const explicit = `${explicitLhs} ${op === 'implicit' ? '==' : op} ${rhsText(rhs)}`;
  return [...new Set([shortest, listed, explicit])];
}

// ---------------------------------------------------------------------------------------
// the report

export function describeValue(v: MarkValue): string {
  if (v.k === 'const') return hex8(v.value);
  let s: string = v.src === 'meta' ? 'nfmark' : 'ctmark';
  for (const op of v.ops) {
    if (op.k === 'shift') s = `${s} ${op.dir === 'left' ? '<<' : '>>'} ${op.bits}`;
    else if (op.mask === FULL && op.xor === 0) continue;
    else {
      const x = s.includes(' ') ? `(${s})` : s;
      s = op.xor === 0 ? `${x} & ${hex8(op.mask)}` : `(${x} & ${hex8(op.mask)}) ^ ${hex8(op.xor)}`;
    }
  }
  return s;
}
