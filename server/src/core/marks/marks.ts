/**
 * The mark model: every MARK, CONNMARK, TPROXY --tproxy-mark, -m mark and -m connmark
 * spelling becomes its kernel form, which evaluates on a sample (nfmark, ctmark), lists its
 * exact equivalent spellings and prints its iptables-save, iptables -L and nftables forms.
 * Pure: no I/O. The semantics are those of ../shared/reference/marks.md, checked against the
 * kernel by test/kernel.
 */
import { FULL, decimalPortOrName, hex, parseValueMask, parseWhole, u32 } from '../common/numbers';
import { CORE_LONG_OPTIONS } from '../iptables/knowledge/commands';

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

/** One option as written in a rule: `[!] --name [arg]`. */
export interface MarkOption {
  name: string;
  negated: boolean;
  /** undefined when the option has no argument word. */
  arg?: string;
}

/** Where a rejection points: an option's name or argument, or the extension as a whole. */
export interface MarkError {
  message: string;
  option?: number;
  part?: 'name' | 'arg';
}

type OptType = 'markmask' | 'uint32' | 'uint8' | 'none';
interface OptSpec {
  name: string;
  type: OptType;
  max?: number;
  invert?: boolean;
  mandatory?: boolean;
  /** Names of options that may not appear with this one (xtables' `excl`). */
  excl?: string[];
}

/** The extensions that read or write marks, and the options each owns, in iptables' table order. */
export const MARK_EXTENSIONS = ['MARK', 'CONNMARK', 'TPROXY', 'mark', 'connmark'] as const;
export type MarkExtension = (typeof MARK_EXTENSIONS)[number];

const MARK_OPS = ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'];
const CT_OPS = [...MARK_OPS, 'save-mark', 'restore-mark'];
const others = (all: string[], me: string) => all.filter((n) => n !== me);

const SPECS: Record<MarkExtension, OptSpec[]> = {
  MARK: [
    { name: 'set-xmark', type: 'markmask', excl: others(MARK_OPS, 'set-xmark') },
    { name: 'set-mark', type: 'markmask', excl: others(MARK_OPS, 'set-mark') },
    { name: 'and-mark', type: 'uint32', excl: others(MARK_OPS, 'and-mark') },
    { name: 'or-mark', type: 'uint32', excl: others(MARK_OPS, 'or-mark') },
    { name: 'xor-mark', type: 'uint32', excl: others(MARK_OPS, 'xor-mark') },
  ],
  CONNMARK: [
    ...CT_OPS.map((n): OptSpec => ({
      name: n,
      type: n === 'save-mark' || n === 'restore-mark' ? 'none' : n.startsWith('set') ? 'markmask' : 'uint32',
      excl: others(CT_OPS, n),
    })),
    { name: 'left-shift-mark', type: 'uint8', max: 32 },
    { name: 'right-shift-mark', type: 'uint8', max: 32 },
    { name: 'ctmask', type: 'uint32', excl: ['mask'] },
    { name: 'nfmask', type: 'uint32', excl: ['mask'] },
    { name: 'mask', type: 'uint32', excl: ['ctmask', 'nfmask'] },
  ],
  // TPROXY's other options are not about marks; they are accepted and ignored here.
  TPROXY: [{ name: 'tproxy-mark', type: 'markmask' }],
  mark: [{ name: 'mark', type: 'markmask', invert: true, mandatory: true }],
  connmark: [{ name: 'mark', type: 'markmask', invert: true, mandatory: true }],
};

/** Options of TPROXY that take one argument and do not concern marks. */
const TPROXY_OTHER = new Set(['on-port', 'on-ip']);


const MARK_EXTENSION_SET: ReadonlySet<string> = new Set(MARK_EXTENSIONS);
export function isMarkExtension(name: string): name is MarkExtension {
  return MARK_EXTENSION_SET.has(name);
}

/** Does this extension own an option of that name (without the leading dashes)? */
export function markOptionSpec(ext: MarkExtension, name: string): { takesArg: boolean } | undefined {
  const s = SPECS[ext].find((o) => o.name === name);
  if (s) return { takesArg: s.type !== 'none' };
  if (ext === 'TPROXY' && TPROXY_OTHER.has(name)) return { takesArg: true };
  return undefined;
}

/** Every long option name an extension adds to getopt's table. */
export function markOptionNames(ext: MarkExtension): string[] {
  const names = SPECS[ext].map((o) => o.name);
  return ext === 'TPROXY' ? [...names, ...TPROXY_OTHER] : names;
}

/**
 * getopt_long's reading of a long option name: an exact name, else a unique prefix of the
 * names in its table (`--or` for `--or-mark`); `ambiguous` when several names share it.
 */
export function resolveLongOption(name: string, table: readonly string[]): { name: string } | { ambiguous: string[] } | null {
  if (table.includes(name)) return { name };
  const hits = [...new Set(table.filter((n) => n.startsWith(name)))];
  if (hits.length === 1) return { name: hits[0] };
  if (hits.length > 1) return { ambiguous: hits };
  return null;
}

/** The names this extension reports itself as in error messages. */
const msgName = (ext: MarkExtension) => ext;

/**
 * Turn an extension's options into its kernel form, or the error iptables reports,
 * checking in iptables' order: per option while parsing (unknown, repeated, inverted,
 * missing argument, value), then the final checks (mandatory, exclusions, no operation).
 */
export function interpretMarkOptions(ext: MarkExtension, options: MarkOption[], otherNames: readonly string[] = CORE_LONG_OPTIONS): MarkOp | MarkError {
  const specs = SPECS[ext];
  const table = [...markOptionNames(ext), ...otherNames];
  const seen = new Map<string, { value: number; mask: number }>();
  const steps: { name: string; value: number; mask: number }[] = [];
  /** TPROXY's --on-port and --on-ip, given so far. */
  const others = new Set<string>();
  let invert = false;
  let lastShift: Shift = null;
  const E = msgName(ext);
  for (let i = 0; i < options.length; i++) {
    const o = options[i];
    const resolved = resolveLongOption(o.name, table);
    const spec = resolved && 'name' in resolved ? specs.find((s) => s.name === resolved.name) : undefined;
    if (!spec) {
      if (resolved && 'name' in resolved && ext === 'TPROXY' && TPROXY_OTHER.has(resolved.name)) {
        const n = resolved.name;
        if (o.arg === undefined) return { message: `option "--${o.name}" requires an argument`, option: i, part: 'name' };
        if (others.has(n)) return { message: `${E}: option "--${n}" can only be used once.`, option: i, part: 'name' };
        if (o.negated) return { message: `${E}: option "--${n}" cannot be inverted.`, option: i, part: 'name' };
        if (n === 'on-port' && !decimalPortOrName(o.arg)) return { message: `Port "${o.arg}" does not resolve to anything.`, option: i, part: 'arg' };
        others.add(n);
        continue;
      }
      return { message: `unknown option "--${o.name}"`, option: i, part: 'name' };
    }
    if (spec.type !== 'none' && o.arg === undefined) {
      return { message: `option "--${o.name}" requires an argument`, option: i, part: 'name' };
    }
    if (seen.has(spec.name)) {
      return { message: `${E}: option "--${spec.name}" can only be used once.`, option: i, part: 'name' };
    }
    if (o.negated && !spec.invert) {
      return { message: `${E}: option "--${spec.name}" cannot be inverted.`, option: i, part: 'name' };
    }
    let value = 0;
    let mask = FULL;
    if (spec.type === 'markmask') {
      const r = parseValueMask(o.arg!);
      if (r === 'garbage') {
        return { message: `${E}: trailing garbage after value for option "--${spec.name}".`, option: i, part: 'arg' };
      }
      if (r === 'bad') {
        return { message: `${E}: bad integer value for option "--${spec.name}", or out of range.`, option: i, part: 'arg' };
      }
      value = r.value;
      mask = r.mask;
    } else if (spec.type === 'uint32' || spec.type === 'uint8') {
      const max = spec.max ?? (spec.type === 'uint8' ? 255 : FULL);
      const v = parseWhole(o.arg!, max);
      if (v === null) {
        return { message: `${E}: bad value for option "--${spec.name}", or out of range (0-${max}).`, option: i, part: 'arg' };
      }
      value = v;
    }
    if (o.negated) invert = true;
    if (spec.name.endsWith('-shift-mark')) lastShift = { dir: spec.name.startsWith('left') ? 'left' : 'right', bits: value };
    seen.set(spec.name, { value, mask });
    steps.push({ name: spec.name, value, mask });
  }
  if (ext === 'TPROXY' && !others.has('on-port')) return { message: `${E}: option "--on-port" must be specified` };
  for (const spec of specs) {
    if (spec.mandatory && !seen.has(spec.name)) return { message: `${E}: option "--${spec.name}" must be specified` };
    if (!seen.has(spec.name) || !spec.excl) continue;
    for (const other of specs) {
      if (spec.excl.includes(other.name) && seen.has(other.name)) {
        return {
          message: `${E}: option "--${spec.name}" cannot be used together with "--${other.name}".`,
          option: options.findIndex((o) => o.name === spec.name),
          part: 'name',
        };
      }
    }
  }
  const get = (n: string) => seen.get(n);
  switch (ext) {
    case 'mark':
    case 'connmark': {
      const m = get('mark')!;
      return { kind: 'match', ext, value: m.value, mask: m.mask, invert };
    }
    case 'TPROXY': {
      const m = get('tproxy-mark');
      // Without --tproxy-mark TPROXY leaves the mark alone: (0, 0) is the identity.
      return { kind: 'xset', ext, value: m?.value ?? 0, mask: m?.mask ?? 0 };
    }
    case 'MARK': {
      const pair = markPairFromSpelling(seen);
      if (!pair) return { message: 'MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required' };
      return { kind: 'xset', ext, ...pair };
    }
    case 'CONNMARK': {
      const shift = lastShift && lastShift.bits > 0 ? lastShift : null;
      if (shift && shift.bits > 31) {
        const at = options.findIndex((o) => o.name === `${shift.dir}-shift-mark`);
        return {
          message: `RULE_APPEND failed (Invalid argument): the kernel refuses a CONNMARK shift of ${shift.bits} bits`,
          option: at,
          part: 'arg',
        };
      }
      // libxt_CONNMARK writes each option into the kernel struct as it is parsed: a later
      // --ctmask/--nfmask/--mask replaces the mask a set spelling wrote, and a later set
      // spelling replaces an earlier --ctmask.
      let mode: 'set' | 'save' | 'restore' | null = null;
      let ctmark = 0;
      let ctmask = FULL;
      let nfmask = FULL;
      for (const st of steps) {
        const pair = spellingPair(st.name, st.value, st.mask);
        if (pair) {
          mode = 'set';
          ctmark = pair.value;
          ctmask = pair.mask;
        } else if (st.name === 'save-mark') mode = 'save';
        else if (st.name === 'restore-mark') mode = 'restore';
        else if (st.name === 'mask') ctmask = nfmask = st.value;
        else if (st.name === 'ctmask') ctmask = st.value;
        else if (st.name === 'nfmask') nfmask = st.value;
      }
      if (mode === 'set') return { kind: 'ct-set', ext, value: ctmark, mask: ctmask, shift };
      if (mode === 'save') return { kind: 'ct-save', ext, nfmask, ctmask, shift };
      if (mode === 'restore') return { kind: 'ct-restore', ext, nfmask, ctmask, shift };
      return { message: 'CONNMARK target: No operation specified' };
    }
  }
}

/** The (value, mask) pair of whichever of the five spellings is present. */
function markPairFromSpelling(seen: Map<string, { value: number; mask: number }>): { value: number; mask: number } | null {
  for (const name of MARK_OPS) {
    const s = seen.get(name);
    if (s) return spellingPair(name, s.value, s.mask);
  }
  return null;
}

/** The kernel pair of one spelling (marks.md's table); null for a name that is not one. */
function spellingPair(name: string, value: number, mask: number): { value: number; mask: number } | null {
  switch (name) {
    case 'set-xmark':
      return { value, mask };
    case 'set-mark':
      return { value, mask: u32(value | mask) };
    case 'and-mark':
      return { value: 0, mask: u32(~value) };
    case 'or-mark':
      return { value, mask: value };
    case 'xor-mark':
      return { value, mask: 0 };
  }
  return null;
}

export const isMarkError = (x: MarkOp | MarkError): x is MarkError => 'message' in x;

const shifted = (x: number, sh: Shift): number =>
  !sh ? u32(x) : sh.dir === 'left' ? u32(x << sh.bits) : u32(x) >>> sh.bits;

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
        return { nft: null, why: 'nft has no one-statement form: the saved bits would be merged into ct mark with a non-constant right-hand side, which nft refuses' };
      }
      const src = op.nfmask === FULL ? 'meta mark' : `meta mark and ${hex(op.nfmask)}`;
      return { nft: `ct mark set ${nftShift(src, op.shift)}` };
    }
    case 'ct-restore': {
      if (op.nfmask !== FULL) {
        return { nft: null, why: 'nft has no one-statement form: the restored bits would be merged into meta mark with a non-constant right-hand side, which nft refuses' };
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

/**
 * Evaluate the target or match part of a rule given as argv, e.g.
 * `['-j', 'MARK', '--or-mark', '0x4000']` or `['-m', 'mark', '!', '--mark', '0x1/0x1']`.
 * `-p tcp|udp` may precede (TPROXY needs it); anything else is refused.
 */
export function evaluateMarkArgs(args: string[], sample: MarkState): MarkEval {
  let ext: MarkExtension | undefined;
  const options: MarkOption[] = [];
  let negate = false;
  let stray: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '!') {
      if (negate) return { ok: false, error: 'multiple consecutive ! not allowed' };
      negate = true;
      continue;
    }
    if ((a === '-p' || a === '--protocol') && !ext) {
      i++;
      continue;
    }
    if (a === '-j' || a === '--jump' || a === '-m' || a === '--match') {
      const name = args[i + 1];
      if (name === undefined) return { ok: false, error: `option "${a}" requires an argument` };
      if (!isMarkExtension(name)) return { ok: false, error: `not a mark target or match: ${name}` };
      const isTarget = a === '-j' || a === '--jump';
      if (isTarget !== (name === name.toUpperCase())) return { ok: false, error: `not a mark ${isTarget ? 'target' : 'match'}: ${name}` };
      if (ext) return { ok: false, error: 'one mark target or match at a time' };
      ext = name;
      i++;
      continue;
    }
    if (a.startsWith('--') && ext) {
      const name = a.slice(2);
      const r = resolveLongOption(name, [...markOptionNames(ext), ...CORE_LONG_OPTIONS]);
      const spec = r && 'name' in r ? markOptionSpec(ext, r.name) : undefined;
      const next = args[i + 1];
      const takesArg = spec ? spec.takesArg : next !== undefined && !next.startsWith('-') && next !== '!';
      const o: MarkOption = { name, negated: negate };
      if (takesArg && next !== undefined) {
        o.arg = next;
        i++;
      }
      negate = false;
      options.push(o);
      continue;
    }
    // getopt moves non-options to the end: iptables complains about them last
    stray ??= a;
  }
  if (!ext) return { ok: false, error: 'no mark target (-j MARK|CONNMARK|TPROXY) or match (-m mark|connmark) given' };
  const op = interpretMarkOptions(ext, options);
  if (isMarkError(op)) return { ok: false, error: op.message };
  // iptables checks for a dangling `!` after the extensions' final checks
  if (negate) return { ok: false, error: 'nothing appropriate following !' };
  if (stray !== undefined) return { ok: false, error: `Bad argument \`${stray}'` };
  return evaluateOp(ext, op, sample);
}
