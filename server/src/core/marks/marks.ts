/**
 * The mark model: every MARK, CONNMARK, TPROXY --tproxy-mark, -m mark and -m connmark
 * spelling becomes its kernel form, which evaluates on a sample (nfmark, ctmark), lists its
 * exact equivalent spellings and prints its iptables-save, iptables -L and nftables forms.
 * Pure: no I/O. The semantics are those of ../shared/reference/marks.md, checked against the
 * kernel by test/kernel.
 */
import { FULL, hex, u32 } from '../common/numbers';

export interface MarkState {
  nfmark: number;
  ctmark: number;
}

export type Shift = { dir: 'left' | 'right'; bits: number } | null;

export type MarkOp =
  /** nfmark' = (nfmark & ~mask) ^ value (MARK, TPROXY --tproxy-mark). */
  | { kind: 'xset'; ext: 'MARK' | 'TPROXY'; value: number; mask: number }
  /** ctmark' = ((ctmark & ~mask) ^ value) <shift>. */
  | { kind: 'ct-set'; ext: 'CONNMARK'; value: number; mask: number; shift: Shift }
  /** ctmark' = (ctmark & ~ctmask) ^ ((nfmark & nfmask) <shift>). */
  | { kind: 'ct-save'; ext: 'CONNMARK'; nfmask: number; ctmask: number; shift: Shift }
  /** nfmark' = (nfmark & ~nfmask) ^ ((ctmark & ctmask) <shift>). */
  | { kind: 'ct-restore'; ext: 'CONNMARK'; nfmask: number; ctmask: number; shift: Shift }
  /** (mark & mask) == value, inverted by `!`; on nfmark (mark) or ctmark (connmark). */
  | { kind: 'match'; ext: 'mark' | 'connmark'; value: number; mask: number; invert: boolean };

/** The extensions that read or write marks, and the options each owns, in iptables' table order. */
export const MARK_EXTENSIONS = ['MARK', 'CONNMARK', 'TPROXY', 'mark', 'connmark'] as const;
export type MarkExtension = (typeof MARK_EXTENSIONS)[number];

const MARK_EXTENSION_SET: ReadonlySet<string> = new Set(MARK_EXTENSIONS);
export function isMarkExtension(name: string): name is MarkExtension {
  return MARK_EXTENSION_SET.has(name);
}

const shifted = (x: number, sh: Shift): number => (!sh ? u32(x) : sh.dir === 'left' ? u32(x << sh.bits) : u32(x) >>> sh.bits);

/** What the kernel computes for one packet. */
export function applyMarkOp(op: MarkOp, s: MarkState): MarkState & { matches?: boolean } {
  const nf = u32(s.nfmark);
  const ct = u32(s.ctmark);
  switch (op.kind) {
    case 'xset':
      return { nfmark: u32((nf & ~op.mask) ^ op.value), ctmark: ct };
    case 'ct-set':
      return { nfmark: nf, ctmark: shifted((ct & ~op.mask) ^ op.value, op.shift) };
    case 'ct-save':
      return { nfmark: nf, ctmark: u32((ct & ~op.ctmask) ^ shifted(nf & op.nfmask, op.shift)) };
    case 'ct-restore':
      return { nfmark: u32((nf & ~op.nfmask) ^ shifted(ct & op.ctmask, op.shift)), ctmark: ct };
    case 'match': {
      const m = op.ext === 'mark' ? nf : ct;
      const hit = u32(m & op.mask) === u32(op.value);
      return { nfmark: nf, ctmark: ct, matches: hit !== op.invert };
    }
  }
}

const shiftText = (sh: Shift) => (sh ? ` --${sh.dir}-shift-mark ${sh.bits}` : '');

/** The option text iptables-save prints for this op (without `-j X`/`-m x`). */
export function savedForm(op: MarkOp): string {
  switch (op.kind) {
    case 'xset':
      return op.ext === 'MARK' ? `--set-xmark ${hex(op.value)}/${hex(op.mask)}` : `--tproxy-mark ${hex(op.value)}/${hex(op.mask)}`;
    case 'ct-set':
      return `--set-xmark ${hex(op.value)}/${hex(op.mask)}${shiftText(op.shift)}`;
    case 'ct-save':
    case 'ct-restore':
      return `--${op.kind === 'ct-save' ? 'save' : 'restore'}-mark --nfmask ${hex(op.nfmask)} --ctmask ${hex(op.ctmask)}${shiftText(op.shift)}`;
    case 'match':
      return `${op.invert ? '! ' : ''}--mark ${hex(op.value)}${op.mask === FULL ? '' : '/' + hex(op.mask)}`;
  }
}

/** The word iptables -L uses for a (value, mask) pair, first rule that applies. */
export function pairVerb(value: number, mask: number): 'and' | 'or' | 'xor' | 'set' | 'xset' {
  if (value === 0) return 'and';
  if (value === mask) return 'or';
  if (mask === 0) return 'xor';
  if (mask === FULL) return 'set';
  return 'xset';
}

function pairListed(value: number, mask: number): string {
  const verb = pairVerb(value, mask);
  switch (verb) {
    case 'and':
      return `and ${hex(~mask)}`;
    case 'xset':
      return `xset ${hex(value)}/${hex(mask)}`;
    default:
      return `${verb} ${hex(value)}`;
  }
}

/** The text `iptables -L -n` prints in its last column for this op. */
export function listedForm(op: MarkOp): string {
  const sh = (s: Shift) => (s ? ` ${s.dir}-shift-mark ${s.bits}` : '');
  switch (op.kind) {
    case 'xset':
      return op.ext === 'MARK' ? `MARK ${pairListed(op.value, op.mask)}` : `TPROXY mark ${hex(op.value)}/${hex(op.mask)}`;
    case 'ct-set':
      return `CONNMARK ${pairListed(op.value, op.mask)}${sh(op.shift)}`;
    case 'ct-save':
      if (op.nfmask === FULL && op.ctmask === FULL) return `CONNMARK save${sh(op.shift)}`;
      if (op.nfmask === op.ctmask) return `CONNMARK save mask ${hex(op.nfmask)}${sh(op.shift)}`;
      return `CONNMARK save nfmask ${hex(op.nfmask)} ctmask ~${hex(op.ctmask)}${sh(op.shift)}`;
    case 'ct-restore':
      if (op.nfmask === FULL && op.ctmask === FULL) return `CONNMARK restore${sh(op.shift)}`;
      if (op.nfmask === op.ctmask) return `CONNMARK restore mask ${hex(op.nfmask)}${sh(op.shift)}`;
      return `CONNMARK restore ctmask ${hex(op.ctmask)} nfmask ~${hex(op.nfmask)}${sh(op.shift)}`;
    case 'match': {
      // iptables prints two spaces after "connmark match" when not inverted.
      const inv = op.invert ? '! ' : op.ext === 'connmark' ? ' ' : '';
      return `${op.ext} match ${inv}${hex(op.value)}${op.mask === FULL ? '' : '/' + hex(op.mask)}`;
    }
  }
}

/** nft expression for `(x & ~mask) ^ value`, x being `meta mark` or `ct mark`. */
function nftPair(x: string, value: number, mask: number): string {
  if (mask === FULL) return hex(value);
  if (value === 0) return `${x} and ${hex(~mask)}`;
  if (mask === 0) return `${x} xor ${hex(value)}`;
  if (value === mask) return `${x} or ${hex(value)}`;
  // `and` binds tighter than `xor` in nft, so this is ((x & ~mask) ^ value).
  return `${x} and ${hex(~mask)} xor ${hex(value)}`;
}

const nftShift = (expr: string, sh: Shift) => (sh ? `(${expr}) ${sh.dir === 'left' ? '<<' : '>>'} ${sh.bits}` : expr);

/**
 * An nftables statement computing the same thing, or null with the reason where nft has
 * no one-statement form (its right-hand sides must be constant).
 */
export function nftForm(op: MarkOp): { nft: string } | { nft: null; why: string } {
  switch (op.kind) {
    case 'xset':
      return { nft: `meta mark set ${nftPair('meta mark', op.value, op.mask)}` };
    case 'ct-set': {
      if (op.shift) {
        const inner = op.mask === FULL ? hex(op.value) : nftPair('ct mark', op.value, op.mask);
        if (op.mask === FULL) return { nft: `ct mark set ${hex(shifted(op.value, op.shift))}` };
        return { nft: `ct mark set ${nftShift(inner, op.shift)}` };
      }
      return { nft: `ct mark set ${nftPair('ct mark', op.value, op.mask)}` };
    }
    case 'ct-save': {
      if (op.ctmask !== FULL) {
        return {
          nft: null,
          why: 'nft has no one-statement form: the saved bits would be merged into ct mark with a non-constant right-hand side, which nft refuses',
        };
      }
      const src = op.nfmask === FULL ? 'meta mark' : `meta mark and ${hex(op.nfmask)}`;
      return { nft: `ct mark set ${nftShift(src, op.shift)}` };
    }
    case 'ct-restore': {
      if (op.nfmask !== FULL) {
        return {
          nft: null,
          why: 'nft has no one-statement form: the restored bits would be merged into meta mark with a non-constant right-hand side, which nft refuses',
        };
      }
      const src = op.ctmask === FULL ? 'ct mark' : `ct mark and ${hex(op.ctmask)}`;
      return { nft: `meta mark set ${nftShift(src, op.shift)}` };
    }
    case 'match': {
      const x = op.ext === 'mark' ? 'meta mark' : 'ct mark';
      const lhs = op.mask === FULL ? x : `${x} and ${hex(op.mask)}`;
      return { nft: `${lhs} ${op.invert ? '!= ' : op.mask === FULL ? '' : '== '}${hex(op.value)}` };
    }
  }
}

/**
 * Every exact spelling of the op, shortest form each (default masks left out), the
 * iptables-save form included; the first is the shortest overall.
 */
export function equivalentSpellings(op: MarkOp): string[] {
  const out: string[] = [];
  const pairSpellings = (value: number, mask: number, tail = '') => {
    const r: string[] = [];
    r.push(`--set-xmark ${hex(value)}${mask === FULL ? '' : '/' + hex(mask)}${tail}`);
    if (u32(value & ~mask) === 0) r.push(`--set-mark ${hex(value)}${mask === FULL ? '' : '/' + hex(mask)}${tail}`);
    if (value === mask) r.push(`--or-mark ${hex(value)}${tail}`);
    if (value === 0) r.push(`--and-mark ${hex(~mask)}${tail}`);
    if (mask === 0) r.push(`--xor-mark ${hex(value)}${tail}`);
    return r;
  };
  switch (op.kind) {
    case 'xset':
      if (op.ext === 'TPROXY') {
        out.push(`--tproxy-mark ${hex(op.value)}${op.mask === FULL ? '' : '/' + hex(op.mask)}`);
        break;
      }
      out.push(...pairSpellings(op.value, op.mask));
      break;
    case 'ct-set':
      out.push(...pairSpellings(op.value, op.mask, shiftText(op.shift)));
      break;
    case 'ct-save':
    case 'ct-restore': {
      const verb = op.kind === 'ct-save' ? '--save-mark' : '--restore-mark';
      const sh = shiftText(op.shift);
      if (op.nfmask === FULL && op.ctmask === FULL) out.push(`${verb}${sh}`);
      if (op.nfmask === op.ctmask) out.push(`${verb} --mask ${hex(op.nfmask)}${sh}`);
      const parts = [op.nfmask !== FULL ? ` --nfmask ${hex(op.nfmask)}` : '', op.ctmask !== FULL ? ` --ctmask ${hex(op.ctmask)}` : ''];
      out.push(`${verb}${parts.join('')}${sh}`);
      break;
    }
    case 'match':
      out.push(`${op.invert ? '! ' : ''}--mark ${hex(op.value)}${op.mask === FULL ? '' : '/' + hex(op.mask)}`);
      break;
  }
  out.push(savedForm(op));
  const uniq = [...new Set(out)];
  return uniq.sort((a, b) => a.length - b.length);
}

export type MarkEval =
  | {
      ok: true;
      kind: 'target' | 'match';
      ext: MarkExtension;
      op: MarkOp;
      nfmark: number;
      ctmark: number;
      matches?: boolean;
      saved: string;
      listed: string;
      nft: string | null;
      nftNote?: string;
      equivalents: string[];
    }
  | { ok: false; error: string };

/** Full evaluation of one op on a sample: the record the CLI prints and the hovers show. */
export function evaluateOp(ext: MarkExtension, op: MarkOp, sample: MarkState): Extract<MarkEval, { ok: true }> {
  const after = applyMarkOp(op, sample);
  const nft = nftForm(op);
  const prefix = ext === 'mark' || ext === 'connmark' ? `-m ${ext} ` : `-j ${ext} `;
  const r: Extract<MarkEval, { ok: true }> = {
    ok: true,
    kind: op.kind === 'match' ? 'match' : 'target',
    ext,
    op,
    nfmark: after.nfmark,
    ctmark: after.ctmark,
    saved: prefix + savedForm(op),
    listed: listedForm(op),
    nft: nft.nft,
    equivalents: equivalentSpellings(op).map((s) => prefix + s),
  };
  if (after.matches !== undefined) r.matches = after.matches;
  if (nft.nft === null) r.nftNote = nft.why;
  return r;
}
