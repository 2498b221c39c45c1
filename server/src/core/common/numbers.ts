/**
 * Numbers as iptables reads them: C `strtoul` with base 0 (0x hex, leading-0 octal,
 * decimal), leading white space and `+` accepted, a leading `-` refused, range 0..2^32-1.
 */

export const FULL = 0xffffffff;

/** Result of reading one unsigned number from the front of a string. */
export interface ReadNumber {
  value: number;
  /** Index just after the digits that were consumed. */
  end: number;
  /** The value exceeded the range (strtoul's ERANGE, or above max). */
  overflow: boolean;
}

const isCSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return 99;
}

/**
 * strtoumax(s + from, &end, 0) as glibc does it, with xtables' refusal of a minus sign.
 * Returns null where no digits were read (strtoul's end == start).
 */
export function readUnsigned(s: string, from = 0): ReadNumber | null {
  let i = from;
  while (i < s.length && isCSpace(s.charCodeAt(i))) i++;
  if (s.charCodeAt(i) === 45 /* - */) return null;
  if (s.charCodeAt(i) === 43 /* + */) i++;
  let base = 10;
  if (s.charCodeAt(i) === 48 /* 0 */) {
    const x = s.charCodeAt(i + 1);
    if ((x === 120 || x === 88) && digitValue(s.charCodeAt(i + 2)) < 16) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  const start = i;
  let value = 0;
  let overflow = false;
  while (i < s.length) {
    const d = digitValue(s.charCodeAt(i));
    if (d >= base) break;
    value = value * base + d;
    if (value > Number.MAX_SAFE_INTEGER / 16) overflow = true;
    i++;
  }
  if (i === start) return null;
  return { value: overflow ? Infinity : value, end: i, overflow: overflow || value > FULL };
}

/** The whole string is one number in 0..max (xtables_strtoul_base with end == NULL). */
export function parseWhole(s: string, max = FULL): number | null {
  const r = readUnsigned(s);
  if (!r || r.overflow || r.value > max || r.end !== s.length) return null;
  return r.value;
}

export type ValueMaskError = 'garbage' | 'bad';

/**
 * `value[/mask]` as xtables_parse_val_mask reads it; mask defaults to 0xffffffff.
 * 'garbage' and 'bad' select iptables' two messages ("trailing garbage after value",
 * "bad integer value ... or out of range").
 */
export function parseValueMask(s: string): { value: number; mask: number; hasMask: boolean } | ValueMaskError {
  const v = readUnsigned(s);
  if (!v || v.overflow) return 'bad';
  if (v.end === s.length) return { value: v.value, mask: FULL, hasMask: false };
  if (s[v.end] !== '/') return 'garbage';
  const m = readUnsigned(s, v.end + 1);
  if (!m || m.overflow) return 'bad';
  if (m.end !== s.length) return 'garbage';
  return { value: v.value, mask: m.value, hasMask: true };
}

/** Lower-case hex, no padding, as iptables-save writes numbers. */
export const hex = (n: number): string => '0x' + (n >>> 0).toString(16);
/** Eight hex digits, as the hovers show results. */
export const hex8 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');
export const u32 = (n: number): number => n >>> 0;

/**
 * A port as xtables' service lookup takes it (udp's ports, TPROXY --on-port in 1.8.9): a
 * decimal number (spaces and `+` allowed, no upper bound checked there), or a service name
 * (system-dependent, so not judged: true). Anything else that starts like a number (`0x10`,
 * `1:0`, `-1`, `80x`) or is empty: false, iptables says `Port "..." does not resolve to anything.`
 */
export function decimalPortOrName(arg: string): boolean {
  const t = arg.trim();
  if (/^\+?\d+$/.test(t)) return true;
  return t !== '' && !/^[-+\d]/.test(t);
}
