/**
 * How iptables 1.8.9 reads extension arguments, as value checks returning iptables' own
 * message (null when it accepts): ports and port lists, ranges, rates, MAC addresses,
 * u32 programs, HMARK fields, owner ids, NAT ranges, and the value sets they accept.
 */
import { TCP_FLAGS } from './valueSets';
import { decimalPortOrName, parseWhole, readUnsigned } from '../../common/numbers';
import { parseIPv6 } from '../../common/net';

/** Checks one argument; returns iptables' message, or null when it accepts the value. */
export type ValueCheck = (arg: string, ext: string, opt: string) => string | null;

export const num = (s: string, max = 0xffffffff): number | null => parseWhole(s, max);
export const isNumeric = (s: string) => /^\s*[+]?\d/.test(s) || s.startsWith('-');

/** A port: a number up to 65535, or a service name (system-dependent, so not judged). */
export const portValue = (p: string): number | 'name' | null => {
  if (p === '') return null;
  if (isNumeric(p)) return num(p, 65535);
  return /^[A-Za-z][\w.+-]*$/.test(p) ? 'name' : null;
};

export const badPort = (p: string) => `invalid port/service \`${p}' specified`;

/** tcp/udp `--sport`: `port`, `a:b`, `a:`, `:b`, `:`. */
export const checkPortRange: ValueCheck = (arg) => {
  const k = arg.indexOf(':');
  if (k < 0) return portValue(arg) === null ? badPort(arg) : null;
  const a = arg.slice(0, k);
  const b = arg.slice(k + 1);
  const va = a === '' ? 0 : portValue(a);
  const vb = b === '' ? 65535 : portValue(b);
  if (va === null) return badPort(a);
  if (vb === null) return badPort(b);
  if (typeof va === 'number' && typeof vb === 'number' && va > vb) return 'invalid portrange (min > max)';
  return null;
};

/**
 * udp's ports go through the service lookup: decimal only (`0x10` does not resolve, `080` is
 * 80), and iptables 1.8.9 lets numbers above 65535 through (its own vectors call it a bug).
 */
export const checkUdpPortRange: ValueCheck = (arg) => {
  for (const p of arg.split(':').slice(0, 2)) if (p !== '' && !decimalPortOrName(p)) return `Port "${p}" does not resolve to anything.`;
  return null;
};

/** multiport: up to 15 ports, a range counting two. */
export const checkPortList: ValueCheck = (arg) => {
  let count = 0;
  for (const part of arg.split(',')) {
    const k = part.indexOf(':');
    if (k < 0) {
      if (portValue(part) === null) return badPort(part);
      count++;
      continue;
    }
    const a = part.slice(0, k);
    const b = part.slice(k + 1);
    const va = portValue(a);
    if (va === null) return badPort(a);
    const vb = portValue(b);
    if (vb === null) return badPort(b);
    if (typeof va === 'number' && typeof vb === 'number' && va > vb) return 'invalid portrange specified';
    count += 2;
  }
  return count > 15 ? 'too many ports specified' : null;
};

/** xtables' generic unsigned check: `EXT: bad value for option "--x", or out of range (a-b).` */
export const uint =
  (min: number, max: number): ValueCheck =>
  (arg, ext, opt) => {
    const v = num(arg, max);
    return v === null || v < min ? `${ext}: bad value for option "--${opt}", or out of range (${min}-${max}).` : null;
  };

/** `a[:b]` unsigned ranges (`--length`, `--ctexpire`): xtables' "near" message. */
export const uintRange =
  (max: number): ValueCheck =>
  (arg, ext, opt) => {
    for (const part of arg.split(':').slice(0, 2)) {
      if (part !== '' && num(part, max) === null) return `${ext}: bad value for option "--${opt}" near "${part}", or out of range (0-${max}).`;
    }
    return null;
  };

export const oneOf = (values: readonly string[], message: (v: string) => string, opts: { list?: boolean; caseless?: boolean } = {}): ValueCheck => {
  const set = new Set(opts.caseless ? values.map((v) => v.toLowerCase()) : values);
  return (arg) => {
    for (const v of opts.list ? arg.split(',') : [arg]) {
      if (!set.has(opts.caseless ? v.toLowerCase() : v)) return message(v);
    }
    return null;
  };
};

export const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
export const isIPv4 = (s: string) => {
  const m = IPV4.exec(s);
  return !!m && m.slice(1).every((x) => Number(x) <= 255);
};
export const isIPv6 = (s: string) => /^[0-9A-Fa-f:.]+$/.test(s) && s.includes(':') && s.split('::').length <= 2;
export const isIPLiteral = (s: string) => isIPv4(s) || isIPv6(s);

/**
 * A MAC address as iptables 1.8.9 reads it (checked against it): six groups split at `:`,
 * each at most two hex digits read as strtol reads them (blanks and a sign before, empty
 * is 0): `0:1:2:3:4:5`, `00:11:22:33:44:` and `:::::` load; `00-11-...`, `000:...` do not.
 */
export const checkMac: ValueCheck = (arg) => {
  const g = arg.split(':');
  return g.length === 6 && g.every((x) => /^[ \t]*[+-]?[0-9A-Fa-f]{0,2}$/.test(x)) ? null : 'Invalid MAC address specified.';
};

/**
 * iprange's `from[-to]` as iptables 1.8.9 reads an IPv4 end: one to four parts, each a C
 * number of 0-255 (`10.1` is 10.1.0.0, `0x10` is 16.0.0.0; no single 32-bit number). An
 * end with a colon must be an IPv6 address; which family the file wants is flow.ts's check.
 */
export const checkIpRange: ValueCheck = (arg, ext, opt) => {
  const k = arg.indexOf('-');
  for (const p of k < 0 ? [arg] : [arg.slice(0, k), arg.slice(k + 1)]) {
    const ok = p.includes(':') ? parseIPv6(p) !== null : iprangeV4(p) !== null;
    if (!ok) return `${ext}: Bad value for "--${opt}" option: "${p}"`;
  }
  return null;
};

/**
 * HMARK's tuple fields as iptables 1.8.9 reads them: any case, any prefix, the first match
 * in the order ct, src, dst, sport, dport, proto, spi (`s` is src, `sp` sport); null when
 * one is no field.
 */
export function hmarkFields(arg: string): string[] | null {
  return hmarkBadField(arg) === null ? (arg.toLowerCase().split(',').map(hmarkField) as string[]) : null;
}
export const hmarkField = (f: string) => (f ? ['ct', 'src', 'dst', 'sport', 'dport', 'proto', 'spi'].find((n) => n.startsWith(f)) : undefined);
/** The text iptables names when a field is no field: from that field to the end (`src,x` -> `x`). */
export function hmarkBadField(arg: string): string | null {
  let at = 0;
  for (const f of arg.split(',')) {
    if (!hmarkField(f.toLowerCase())) return arg.slice(at);
    at += f.length + 1;
  }
  return null;
}

/**
 * u32's tests as iptables 1.8.9 reads them: `location=value[:value][,...][&&...]`, where a
 * location is a number followed by up to 9 operators (`&`, `<<`, `>>`, `@`) each with a
 * number; numbers as strtoul reads them (spaces and `+` allowed, up to 0xffffffff); up to
 * 10 ranges and 10 tests. Its messages and character positions, as observed.
 */
export const checkU32: ValueCheck = (arg) => {
  const n = arg.length;
  const at = (i: number, m: string) => `u32: at char ${i}: ${m}`;
  const ws = (i: number) => {
    while (i < n && (arg[i] === ' ' || arg[i] === '\t' || arg[i] === '\n')) i++;
    return i;
  };
  /** Where a number starting at i ends, or -1. */
  const num = (i: number) => {
    const r = readUnsigned(arg, i);
    return r && !r.overflow ? r.end : -1;
  };
  const NAN = 'not a number or out of range';
  const AMP = "a second '&' was expected";
  let pos = 0;
  let tests = 0;
  for (;;) {
    // the location: a number, then operators with numbers
    pos = ws(pos);
    if (pos >= n) return 'u32: abrupt end of input after location specifier';
    if (arg[pos] === '=') return at(pos, 'location spec missing');
    let e = num(pos);
    if (e < 0) return at(pos, NAN);
    pos = e;
    for (let ops = 0; ; ops++) {
      pos = ws(pos);
      // ten operators are already too many (iptables 1.8.9 says so at whatever comes next)
      if (ops === 10) return at(pos, 'too many operators');
      if (pos >= n) return 'u32: abrupt end of input after location specifier';
      const c = arg[pos];
      if (c === '=') break;
      if (c === '<' || c === '>') {
        if (arg[pos + 1] !== c) return at(pos + 1, `a second '${c}' was expected`);
        pos += 2;
      } else if (c === '&' || c === '@') pos++;
      else return at(pos, 'operator expected');
      e = num(pos);
      if (e < 0) return at(pos, NAN);
      pos = e;
    }
    // the values: ranges after `=`
    pos++;
    const first = ws(pos);
    if (first >= n) return 'u32: test ended with no value specified';
    if (arg[first] === '&') return at(first + 1, arg[first + 1] === '&' ? 'value spec missing' : AMP);
    for (let ranges = 1; ; ranges++) {
      e = num(pos);
      if (e < 0) return at(pos, NAN);
      pos = ws(e);
      if (arg[pos] === ':') {
        e = num(pos + 1);
        if (e < 0) return at(pos + 1, NAN);
        pos = ws(e);
      }
      if (ranges > 10) return at(pos, 'too many ","s');
      if (pos >= n) {
        if (++tests > 10) return at(pos, 'too many "&&"s');
        return null;
      }
      if (arg[pos] === ',') {
        pos++;
        continue;
      }
      if (arg[pos] !== '&') return at(pos, 'expected "," or "&&"');
      if (arg[pos + 1] !== '&') return at(pos + 1, AMP);
      if (++tests > 10) return at(pos + 1, 'too many "&&"s');
      pos += 2;
      break;
    }
  }
};

/**
 * owner's `id[-id]` (`:` works too): ids up to 4294967294; a name is system-dependent (not
 * judged); a reversed range passes iptables and the kernel refuses it.
 */
export const checkOwnerRange: ValueCheck = (arg, ext, opt) => {
  const m = /^(\d+)(?:[-:](\d+))?$/.exec(arg);
  if (!m) return null;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 4294967294 || b > 4294967294) return `${ext}: Bad value for "--${opt}" option: "${arg}"`;
  return a > b ? `RULE_APPEND failed (Invalid argument): the range ${arg} is reversed` : null;
};

/** An IPv4 iprange end as a number (`10.1` is 10.1.0.0), null when it is not one. */
export const iprangeV4 = (p: string): number | null => {
  const parts = p.split('.');
  if (!p || parts.length > 4) return null;
  let v = 0;
  for (let k = 0; k < parts.length; k++) {
    const x = parseWhole(parts[k], 255);
    if (x === null) return null;
    v += x * 2 ** (24 - 8 * k);
  }
  return v;
};

/**
 * hashlimit's rate as iptables 1.8.9 reads it: the unit first (any prefix of second, minute,
 * hour, day, any case), then the number as atoll reads it (trailing letters ignored; 0 is
 * refused; a minus makes it huge); too fast when 1000000 * unit seconds / rate is 0.
 */
export const checkHashlimitRate: ValueCheck = (arg, ext, opt) => {
  const bad = `${ext}: Bad value for "--${opt}" option: "${arg}"`;
  // bytes per second (`1500kb/s`): any amount but 0, no "too fast"
  if (/b\/s/i.test(arg)) return /^\s*\+?0*[1-9]/.test(arg) ? null : bad;
  const k = arg.indexOf('/');
  let seconds = 1n;
  if (k >= 0) {
    const unit = arg.slice(k + 1).toLowerCase();
    const i = unit ? ['second', 'minute', 'hour', 'day'].findIndex((u) => u.startsWith(unit)) : -1;
    if (i < 0) return bad;
    seconds = [1n, 60n, 3600n, 86400n][i];
  }
  const m = /^\s*([+-]?)(\d+)/.exec(arg);
  if (!m || BigInt(m[2]) === 0n) return bad;
  if (m[1] === '-' || (1000000n * seconds) / BigInt(m[2]) === 0n) return `Rate too fast "${arg}"`;
  return null;
};

/**
 * MASQUERADE's and REDIRECT's `--to-ports a[-b]` as iptables 1.8.9 reads them: each port a
 * C number (strtoul base 0: `0x10` is 16, `080` stops at the 8) up to 65535, or a service
 * name (system-dependent: not judged); observed messages, in iptables' order.
 */
export const checkNatPorts: ValueCheck = (arg) => {
  if (arg.indexOf(':') >= 0) return 'Invalid port:port syntax - use dash';
  /** One port from `i`: its value and where it stops, or 'name' for a word not judged. */
  const port = (i: number, spaces: boolean): { v: number; end: number } | 'name' | null => {
    const m = (spaces ? /^\s*[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/ : /^[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/).exec(arg.slice(i));
    if (!m) return /^[A-Za-z]/.test(arg.slice(i)) ? 'name' : null;
    const digits = m[1];
    let v = digits.length > 1 && digits[0] === '0' ? (/[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : parseInt(digits, 8)) : Number(digits);
    if (/^\s*-/.test(arg.slice(i))) v = -v;
    return { v, end: i + m[0].length };
  };
  const first = port(0, true);
  if (first === 'name') return null;
  if (!first || first.v < 0 || first.v > 65535) return `Port \`${arg}' not valid`;
  if (first.end === arg.length) return null;
  if (arg[first.end] !== '-') return `Garbage after port value: \`${arg.slice(first.end)}'`;
  const s2 = first.end + 1;
  const second = port(s2, false);
  if (second === 'name') return null;
  if (!second || second.v < 0 || second.v > 65535) return `Port \`${/^\s/.test(arg.slice(s2)) ? '' : arg.slice(s2)}' not valid`;
  if (second.end < arg.length) return `Garbage after port range: \`${arg.slice(second.end)}'`;
  if (second.v < first.v) return `Port range \`${arg.slice(s2)}' funky`;
  return null;
};

/** limit's rate: `N[/second|/minute|/hour|/day]`, any prefix of the unit. */
export const checkRate: ValueCheck = (arg) => {
  const bad = `bad rate "${arg}"'`;
  const k = arg.indexOf('/');
  const n = k < 0 ? arg : arg.slice(0, k);
  const m = /^\s*[+]?(\d+)/.exec(n);
  if (!m || Number(m[1]) === 0 || Number(m[1]) > 0xffffffff) return bad;
  if (k < 0) return null;
  const unit = arg.slice(k + 1).toLowerCase();
  if (!unit || !['second', 'minute', 'hour', 'day'].some((u) => u.startsWith(unit))) return bad;
  return null;
};

export const checkTcpFlags: ValueCheck = (arg) => {
  for (const f of arg.split(',')) if (!TCP_FLAGS.includes(f.toUpperCase())) return `Unknown TCP flag \`${f}'`;
  return null;
};

/** `name`, `type` or `type/code` (numbers up to 255). */
export const icmpType = (names: string[], what: string): ValueCheck => {
  const set = new Set(names.map((n) => n.toLowerCase()));
  return (arg) => {
    if (set.has(arg.toLowerCase())) return null;
    const m = /^(\d+)(?:\/(\d+))?$/.exec(arg);
    if (m && Number(m[1]) <= 255 && (m[2] === undefined || Number(m[2]) <= 255)) return null;
    return `Unknown ${what} type \`${arg}'`;
  };
};

/** NAT ranges: `addr[-addr][:port[-port][/base]]`; only the port part is judged. */
export const natRange =
  (v6: boolean): ValueCheck =>
  (arg) => {
    let ports: string | undefined;
    if (arg.startsWith('[')) {
      const k = arg.indexOf(']');
      if (k > 0 && arg[k + 1] === ':') ports = arg.slice(k + 2);
    } else if (!v6 || !arg.includes('::')) {
      const k = arg.indexOf(':');
      if (k >= 0 && arg.indexOf(':', k + 1) < 0) ports = arg.slice(k + 1);
    }
    if (ports === undefined) return null;
    for (const p of ports.split(/[-/]/)) {
      const v = /^\d+$/.test(p) ? Number(p) : /^[A-Za-z][\w]*$/.test(p) ? -1 : 0;
      if (v === 0 || v > 65535) return `Port \`${p}' not valid`;
    }
    return null;
  };
