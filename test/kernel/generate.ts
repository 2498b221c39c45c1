/**
 * Seeded random mark rules for the differential tests: every MARK / CONNMARK spelling,
 * -m mark / -m connmark with and without `!`, numbers in every form iptables reads (decimal,
 * 0x / 0X hex, leading zeros, octal, `+`, leading white space), and malformed rules.
 * Everything is a pure function of the seed, so a failure reproduces from the printed seed.
 */

const FULL = 0xffffffff;

/** mulberry32: a small 32-bit PRNG, good enough for test generation. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly f: () => number;
  constructor(readonly seed: number) {
    this.f = mulberry32(seed);
  }
  /** [0, 1) */
  next(): number {
    return this.f();
  }
  /** integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.f() * n);
  }
  /** integer in [lo, hi] */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.f() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u32(): number {
    return ((this.int(0x10000) << 16) | this.int(0x10000)) >>> 0;
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

// ---------------------------------------------------------------------------------------
// values

/** A 32-bit value biased toward the interesting ones: 0, all ones, single bits, 0x4000, masks. */
export function interestingU32(r: Rng): number {
  const k = r.int(100);
  if (k < 8) return 0;
  if (k < 16) return FULL;
  if (k < 30) return (1 << r.int(32)) >>> 0;
  if (k < 35) return 0x4000;
  if (k < 43) return r.int(33) === 32 ? FULL : ((1 << r.int(32)) - 1) >>> 0; // low mask
  if (k < 50) return ~((1 << r.int(32)) - 1) >>> 0; // high mask
  if (k < 57) return (0xff << (8 * r.int(4))) >>> 0; // one byte
  if (k < 65) return r.int(17);
  if (k < 70) return ~((1 << r.int(32)) >>> 0) >>> 0; // all but one bit
  return r.u32();
}

export interface SpellOptions {
  /** Allow leading white space (valid for strtoul; needs quoting in a restore file). */
  space?: boolean;
}

/** `v` written in one of the forms iptables' strtoul(base 0) reads back as v. */
export function spellNumber(r: Rng, v: number, opt: SpellOptions = {}): string {
  v = v >>> 0;
  let s: string;
  switch (r.int(9)) {
    case 0:
    case 1:
      s = String(v);
      break;
    case 2:
    case 3:
      s = '0x' + v.toString(16);
      break;
    case 4:
      s = '0X' + v.toString(16).toUpperCase();
      break;
    case 5: {
      // mixed case hex digits, 0x or 0X
      const d = [...v.toString(16)].map((c) => (r.chance(0.5) ? c.toUpperCase() : c)).join('');
      s = (r.chance(0.5) ? '0x' : '0X') + d;
      break;
    }
    case 6:
      s = '0x' + '0'.repeat(r.range(1, 12)) + v.toString(16);
      break;
    case 7:
      // octal: leading 0 (v == 0 gives "0", "00", ...)
      s = '0'.repeat(r.range(1, 3)) + (v === 0 ? '' : v.toString(8));
      break;
    default:
      s = r.chance(0.5) ? String(v) : '0x' + v.toString(16);
  }
  if (r.chance(0.08)) s = '+' + s;
  if (opt.space && r.chance(0.04)) s = r.pick([' ', '  ', '\t']) + s;
  return s;
}

/** `v` or `v/m` (mask spelled only when `withMask`). */
function spellPair(r: Rng, v: number, m: number | undefined, opt: SpellOptions): string {
  const a = spellNumber(r, v, opt);
  return m === undefined ? a : `${a}/${spellNumber(r, m, opt)}`;
}

// ---------------------------------------------------------------------------------------
// valid rules

export const MARK_SPELLINGS = ['--set-xmark', '--set-mark', '--and-mark', '--or-mark', '--xor-mark'] as const;
export const CT_SPELLINGS = [...MARK_SPELLINGS, '--save-mark', '--restore-mark'] as const;

export type GenOptions = SpellOptions;

/** A valid `-j MARK ...` target. */
export function genMarkTarget(r: Rng, opt: GenOptions = { space: true }): string[] {
  const sp = r.pick(MARK_SPELLINGS);
  const v = interestingU32(r);
  if (sp === '--set-xmark' || sp === '--set-mark') {
    const m = r.chance(0.55) ? interestingU32(r) : undefined;
    return ['-j', 'MARK', sp, spellPair(r, v, m, opt)];
  }
  return ['-j', 'MARK', sp, spellNumber(r, v, opt)];
}

/**
 * A valid `-j CONNMARK ...` target: any operation, masks (--mask, or --nfmask and/or
 * --ctmask, which also bear on the set operations depending on their order), a shift
 * (0..31, now and then both directions, the last one winning), options in random order.
 */
export function genConnmarkTarget(r: Rng, opt: GenOptions = { space: true }): string[] {
  const sp = r.pick(CT_SPELLINGS);
  const groups: string[][] = [];
  if (sp === '--save-mark' || sp === '--restore-mark') {
    groups.push([sp]);
  } else if (sp === '--set-xmark' || sp === '--set-mark') {
    groups.push([sp, spellPair(r, interestingU32(r), r.chance(0.55) ? interestingU32(r) : undefined, opt)]);
  } else {
    groups.push([sp, spellNumber(r, interestingU32(r), opt)]);
  }
  const isSet = !(sp === '--save-mark' || sp === '--restore-mark');
  const maskP = isSet ? 0.15 : 0.7;
  if (r.chance(maskP)) {
    const k = r.int(4);
    if (k === 0) groups.push(['--mask', spellNumber(r, interestingU32(r), opt)]);
    if (k === 1 || k === 3) groups.push(['--nfmask', spellNumber(r, interestingU32(r), opt)]);
    if (k === 2 || k === 3) groups.push(['--ctmask', spellNumber(r, interestingU32(r), opt)]);
  }
  if (r.chance(0.4)) {
    const dir = r.pick(['--left-shift-mark', '--right-shift-mark']);
    const n = r.chance(0.2) ? r.pick([0, 1, 31]) : r.int(32);
    groups.push([dir, spellNumber(r, n, opt)]);
    if (r.chance(0.08)) {
      groups.push([dir === '--left-shift-mark' ? '--right-shift-mark' : '--left-shift-mark', spellNumber(r, r.int(32), opt)]);
    }
  }
  return ['-j', 'CONNMARK', ...r.shuffle(groups).flat()];
}

/** A valid MARK (40%) or CONNMARK (60%) target; now and then `--jump` for `-j`. */
export function genTarget(r: Rng, opt: GenOptions = { space: true }): string[] {
  const args = r.chance(0.4) ? genMarkTarget(r, opt) : genConnmarkTarget(r, opt);
  if (r.chance(0.03)) args[0] = '--jump';
  return args;
}

/** A valid `-m mark|connmark [!] --mark v[/m]`. */
export function genMatch(r: Rng, opt: GenOptions = { space: true }): { args: string[]; value: number; mask: number; ext: 'mark' | 'connmark' } {
  const ext = r.pick(['mark', 'connmark'] as const);
  const value = interestingU32(r);
  const withMask = r.chance(0.6);
  const mask = withMask ? interestingU32(r) : FULL;
  const args = [r.chance(0.03) ? '--match' : '-m', ext];
  if (r.chance(0.4)) args.push('!');
  args.push('--mark', spellPair(r, value, withMask ? mask : undefined, opt));
  return { args, value, mask, ext };
}

/** Starting marks for a target case. */
export function genSample(r: Rng): { nfmark: number; ctmark: number } {
  return { nfmark: interestingU32(r), ctmark: interestingU32(r) };
}

/** A match case whose starting marks match about half the time. */
export function genMatchCase(r: Rng): { args: string[]; nfmark: number; ctmark: number } {
  const m = genMatch(r);
  const s = genSample(r);
  if (r.chance(0.5)) {
    // make (mark & mask) == value where possible
    const x = (((m.value & m.mask) | (r.u32() & ~m.mask)) >>> 0) as number;
    if (m.ext === 'mark') s.nfmark = x;
    else s.ctmark = x;
  }
  return { args: m.args, ...s };
}

// ---------------------------------------------------------------------------------------
// malformed (and borderline) rules

/** Number-ish words that iptables refuses in some or all positions (some it accepts). */
export const BAD_VALUES = [
  '0x',
  '0X',
  '08',
  '09',
  '0x1g',
  '1e3',
  '1.5',
  '0b1',
  '-1',
  '-0',
  '- 5',
  '+-5',
  '++5',
  '+',
  '4294967296',
  '0x100000000',
  '040000000000',
  '99999999999999999999',
  '5/',
  '/5',
  '/',
  '1/2/3',
  '5/0x',
  '5/08',
  '0x/5',
  '5/-1',
  '5/4294967296',
  '5 /3',
  '5/ 3',
  '5/+3',
  '',
  ' ',
  'abc',
  '5 ',
  ' 5',
  '\t5',
  '\n5',
  '5\n',
  'x5',
  '0xffffffff0',
  '0x0000000000000000000001',
  '00',
  '0',
  '+0x10',
  '!',
  '-',
  '--set-mark',
  'MARK',
] as const;

/** A malformed (or borderline) mark rule, for the accept/reject comparison. */
export function genMalformed(r: Rng): string[] {
  const badValue = (): string => (r.chance(0.8) ? r.pick(BAD_VALUES) : spellNumber(r, interestingU32(r), { space: true }));
  switch (r.int(16)) {
    case 0: {
      // a bad value in a MARK value/mask position
      return ['-j', 'MARK', r.pick(MARK_SPELLINGS), badValue()];
    }
    case 1: {
      const sp = r.pick(CT_SPELLINGS.filter((s) => s !== '--save-mark' && s !== '--restore-mark'));
      return ['-j', 'CONNMARK', sp, badValue()];
    }
    case 2:
      return ['-m', r.pick(['mark', 'connmark']), ...(r.chance(0.3) ? ['!'] : []), '--mark', badValue()];
    case 3: {
      // a mask on --and/--or/--xor-mark
      const t = r.pick(['MARK', 'CONNMARK']);
      return ['-j', t, r.pick(['--and-mark', '--or-mark', '--xor-mark']), `${spellNumber(r, interestingU32(r))}/${spellNumber(r, interestingU32(r))}`];
    }
    case 4: {
      // one option twice
      const t = r.pick(['MARK', 'CONNMARK']);
      const sp = r.pick(t === 'MARK' ? MARK_SPELLINGS : CT_SPELLINGS);
      const one = sp === '--save-mark' || sp === '--restore-mark' ? [sp] : [sp, spellNumber(r, interestingU32(r))];
      const two = sp === '--save-mark' || sp === '--restore-mark' ? [sp] : [sp, spellNumber(r, interestingU32(r))];
      return ['-j', t, ...one, ...two];
    }
    case 5: {
      // two spellings in one rule
      const t = r.pick(['MARK', 'CONNMARK']);
      const all = t === 'MARK' ? MARK_SPELLINGS : CT_SPELLINGS;
      const a = r.pick(all);
      const b = r.pick(all.filter((x) => x !== a));
      const w = (s: string) => (s === '--save-mark' || s === '--restore-mark' ? [s] : [s, spellNumber(r, interestingU32(r))]);
      return ['-j', t, ...w(a), ...w(b)];
    }
    case 6: {
      // no operation at all
      return r.pick([
        ['-j', 'MARK'],
        ['-j', 'CONNMARK'],
        ['-j', 'CONNMARK', '--mask', '0xff'],
        ['-j', 'CONNMARK', '--nfmask', '0xff', '--ctmask', '0xff'],
        ['-j', 'CONNMARK', '--left-shift-mark', '4'],
        ['-m', 'mark'],
        ['-m', 'connmark'],
        ['-m', 'mark', '!'],
      ]);
    }
    case 7: {
      // an option missing its argument (last word)
      const t = r.pick(['MARK', 'CONNMARK']);
      if (t === 'MARK') return ['-j', t, r.pick(MARK_SPELLINGS)];
      return r.pick([
        ['-j', t, '--set-xmark'],
        ['-j', t, '--or-mark'],
        ['-j', t, '--save-mark', '--mask'],
        ['-j', t, '--restore-mark', '--nfmask'],
        ['-j', t, '--save-mark', '--left-shift-mark'],
        ['-m', 'mark', '--mark'],
        ['-m', 'connmark', '!', '--mark'],
      ]);
    }
    case 8: {
      // options of the other extension, unknown options
      return r.pick([
        ['-j', 'MARK', '--set-mark', '1', '--mask', '2'],
        ['-j', 'MARK', '--save-mark'],
        ['-j', 'MARK', '--set-mark', '1', '--left-shift-mark', '2'],
        ['-j', 'MARK', '--mark', '1'],
        ['-j', 'CONNMARK', '--mark', '1'],
        ['-m', 'mark', '--set-mark', '1'],
        ['-m', 'mark', '--mark', '1', '--mask', '1'],
        ['-j', 'MARK', '--set-mark', '1', '--foo', '2'],
        ['-j', 'MARK', '--set-mark', '1', 'bogus'],
        ['-j', 'CONNMARK', '--save-mark', 'bogus'],
        ['-m', 'connmark', '--mark', '1', '2'],
      ]);
    }
    case 9: {
      // shift values out of range or malformed
      return [
        '-j',
        'CONNMARK',
        r.pick(['--save-mark', '--restore-mark']),
        r.pick(['--left-shift-mark', '--right-shift-mark']),
        r.pick(['32', '33', '-1', '255', '256', 'abc', '', '0x20', '0x1f', '040', '037', ' 4', '+4', '4/4', '1e1']),
      ];
    }
    case 10: {
      // --mask together with --nfmask / --ctmask, in either order; shift twice
      return r.pick([
        ['-j', 'CONNMARK', '--save-mark', '--mask', '1', '--nfmask', '2'],
        ['-j', 'CONNMARK', '--save-mark', '--ctmask', '1', '--mask', '2'],
        ['-j', 'CONNMARK', '--restore-mark', '--mask', '1', '--mask', '2'],
        ['-j', 'CONNMARK', '--restore-mark', '--nfmask', '1', '--nfmask', '2'],
        ['-j', 'CONNMARK', '--save-mark', '--left-shift-mark', '1', '--left-shift-mark', '2'],
        ['-j', 'CONNMARK', '--save-mark', '--right-shift-mark', '1', '--right-shift-mark', '2'],
        ['-j', 'CONNMARK', '--set-mark', '1', '--mask', '2', '--ctmask', '3'],
      ]);
    }
    case 11: {
      // negation where it does not belong
      return r.pick([
        ['-m', 'mark', '!', '!', '--mark', '1'],
        ['-m', 'mark', '--mark', '1', '!'],
        ['-m', 'mark', '--mark', '!', '1'],
        ['-m', 'connmark', '--mark', '!1'],
        ['-j', 'MARK', '!', '--set-mark', '1'],
        ['-j', 'CONNMARK', '!', '--save-mark'],
        ['-m', 'mark', '!', '--mark', '1', '--mark', '2'],
      ]);
    }
    case 12: {
      // a bad value for a CONNMARK mask
      return ['-j', 'CONNMARK', r.pick(['--save-mark', '--restore-mark']), r.pick(['--mask', '--nfmask', '--ctmask']), badValue()];
    }
    case 13: {
      // a valid rule with one value swapped for a bad one
      const base = r.chance(0.5) ? genTarget(r) : genMatch(r).args;
      const idx = base.map((w, i) => (i > 0 && /^[\s+0-9]/.test(w) ? i : -1)).filter((i) => i >= 0);
      if (idx.length) base[r.pick(idx)] = r.pick(BAD_VALUES);
      return base;
    }
    default: {
      // valid rules mixed in, so acceptance is tested too
      return r.chance(0.5) ? genTarget(r) : genMatch(r).args;
    }
  }
}

/**
 * Valid rules whose option names are abbreviated: getopt_long (which iptables uses) takes
 * any unambiguous prefix, e.g. `--or 5` for `--or-mark 5`, `--save` for `--save-mark`.
 */
export function genAbbreviated(r: Rng): string[] {
  const base = r.chance(0.5) ? genTarget(r, {}) : genMatch(r, {}).args;
  const opts = base.map((w, i) => (i >= 2 && w.startsWith('--') && w.length > 4 ? i : -1)).filter((i) => i >= 0);
  if (opts.length) {
    const i = r.pick(opts);
    base[i] = base[i].slice(0, r.range(3, base[i].length - 1));
  }
  return base;
}
