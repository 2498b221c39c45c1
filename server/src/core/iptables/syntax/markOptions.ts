/**
 * How iptables reads the options of the mark extensions (MARK, CONNMARK, TPROXY
 * --tproxy-mark, -m mark, -m connmark): getopt's long names and prefixes, each option's
 * value, exclusions and mandatory options, in iptables' order and words; the result is
 * the kernel form of ../../marks/marks.ts. Pure: no I/O.
 */
import { FULL, decimalPortOrName, parseValueMask, parseWhole, u32 } from '../../common/numbers';
import { CORE_LONG_OPTIONS } from '../knowledge/commands';
import { MarkExtension, MarkOp, MarkEval, MarkState, Shift, evaluateOp, isMarkExtension } from '../../marks/marks';

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

const DEFAULT_TABLES: Partial<Record<MarkExtension, string[]>> = {};

/** The names this extension reports itself as in error messages. */
const msgName = (ext: MarkExtension) => ext;

/**
 * Turn an extension's options into its kernel form, or the error iptables reports,
 * checking in iptables' order: per option while parsing (unknown, repeated, inverted,
 * missing argument, value), then the final checks (mandatory, exclusions, no operation).
 */
export function interpretMarkOptions(ext: MarkExtension, options: MarkOption[], otherNames: readonly string[] = CORE_LONG_OPTIONS): MarkOp | MarkError {
  const specs = SPECS[ext];
  // one table per extension for the usual core names (a line can hold 100,000 mark options)
  const table =
    otherNames === CORE_LONG_OPTIONS ? (DEFAULT_TABLES[ext] ??= [...markOptionNames(ext), ...otherNames]) : [...markOptionNames(ext), ...otherNames];
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
