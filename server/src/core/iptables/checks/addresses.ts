/**
 * The addresses a rule names (-s/-d, DNAT/SNAT, NETMAP, TPROXY, iprange), each with its
 * family and place, read from a save line's raw text or from a parsed rule, and iptables'
 * words for an address of the other family.
 */
import { parseSaveLine } from '../syntax/document';
import { Rule } from '../syntax/ruleTypes';
import { CORE_OPTIONS } from '../knowledge/commands';

/** A range on an entry: line offset, start, end line offset, end. */
export type R = [number, number, number, number];
/** An address an option names: its family, text, place, how the option reads it, and its value (`group`: the value's column). */
export type Addr = { fam: 4 | 6; text: string; r: R; kind: AddrKind; group: number; bracket: boolean };
/** The options naming addresses, as iptables-save writes them (abbreviations only in scripts, read from the parse). */
export const ADDR =
  /(?:^|\s)(-[sd]|--source|--src|--destination|--dst|--to-destination|--to-source|--to|--on-ip|--src-range|--dst-range)\s+(?:!\s+)?([^\s"]+)/g;

export function quotesBefore(line: string, pos: number): number {
  let n = 0;
  for (let i = line.indexOf('"'); i >= 0 && i < pos; i = line.indexOf('"', i + 1)) if (line.charCodeAt(i - 1) !== 92) n++;
  return n;
}

export const famOf = (a: string): 0 | 4 | 6 => (a.includes(':') ? 6 : /^\d+\.\d+\.\d+\.\d+$/.test(a) ? 4 : 0);

/**
 * How an option reads an address, which decides iptables' words for one of the other family
 * (iptables 1.8.9, nf_tables, checked by loading them in a netns):
 * - host: `-s`/`-d`, a comma list of `addr[/mask]`: host/network `X' not found;
 * - nat: DNAT `--to-destination`, SNAT `--to-source`, `addr[-addr][:port[-port]]` or
 *   `[v6][-[v6]]:port`: Bad IP address "X" (iptables on `[...]`: Invalid address format);
 * - gai: NETMAP `--to`, TPROXY `--on-ip`, one address (getaddrinfo's error);
 * - src-range/dst-range: iprange's `from[-to]`.
 */
export type AddrKind = 'host' | 'nat' | 'gai' | 'src-range' | 'dst-range';

export const RAW_KIND: Record<string, AddrKind> = {
  '-s': 'host',
  '-d': 'host',
  '--source': 'host',
  '--src': 'host',
  '--destination': 'host',
  '--dst': 'host',
  '--to-destination': 'nat',
  '--to-source': 'nat',
  '--to': 'gai',
  '--on-ip': 'gai',
  '--src-range': 'src-range',
  '--dst-range': 'dst-range',
};

/** The addresses of one option value (at column `at` of line offset `l`), each with its family. */
export function valueAddrs(kind: AddrKind, text: string, at: number, out: Addr[], l = 0, exact = true): void {
  const push = (a: string, s: number, len: number, bracket = false) => {
    const fam = famOf(a);
    if (fam)
      out.push(
        exact
          ? { fam, text: a, r: [l, at + s, l, at + s + len], kind, group: l * 1e6 + at, bracket }
          : { fam, text: a, r: [l, at, l, at + text.length], kind, group: l * 1e6 + at, bracket },
      );
  };
  switch (kind) {
    case 'host': {
      let s = 0;
      for (const part of text.split(',')) {
        push(part.split('/')[0], s, part.length);
        s += part.length + 1;
      }
      return;
    }
    case 'gai':
      push(text.split('/')[0], 0, text.length);
      return;
    case 'nat': {
      if (text.charCodeAt(0) === 91 /* [ */) {
        for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) {
          const j = text.indexOf(']', i);
          if (j < 0) break;
          const inner = text.slice(i + 1, j);
          let s = i + 1;
          for (const part of inner.split('-')) {
            push(part, s, part.length, true);
            s += part.length + 1;
          }
        }
        return;
      }
      // one colon: `addr:port`; none or several: all address (an IPv6 one, or garbage)
      const c = text.indexOf(':');
      const addr = c >= 0 && text.indexOf(':', c + 1) < 0 ? text.slice(0, c) : text;
      let s = 0;
      for (const part of addr.split('-')) {
        push(part, s, part.length);
        s += part.length + 1;
      }
      return;
    }
    default: {
      let s = 0;
      for (const part of text.split('-')) {
        push(part, s, part.length);
        s += part.length + 1;
      }
    }
  }
}

/** What iptables (program family `f`) says of an address of the other family. */
export function addrMessage(a: Addr, f: 4 | 6): string {
  switch (a.kind) {
    case 'host':
      return `host/network \`${a.text}' not found`;
    case 'nat':
      return f === 4 && a.bracket ? 'Invalid address format' : `Bad IP address "${a.text}"`;
    case 'gai':
      return 'getaddrinfo: Address family for hostname not supported';
    default:
      return `iprange: Bad value for "--${a.kind}" option: "${a.text}"`;
  }
}

/** The addresses of a save line, found on its raw text (counted per line; placed again by the parse when one is flagged). */
export function rawAddrs(line: string): Addr[] {
  const out: Addr[] = [];
  if (line.indexOf('-s') < 0 && line.indexOf('-d') < 0 && line.indexOf('--to') < 0 && line.indexOf('--on-ip') < 0) return out;
  ADDR.lastIndex = 0;
  let m: RegExpExecArray | null;
  // the quotes before each match, counted on from the last (quotesBefore per match is quadratic on a long line)
  const quoted = line.indexOf('"') >= 0;
  let counted = 0;
  let quotes = 0;
  while ((m = ADDR.exec(line))) {
    const at = m.index + m[0].length - m[2].length;
    if (quoted) {
      for (let i = line.indexOf('"', counted); i >= 0 && i < at; i = line.indexOf('"', i + 1)) if (line.charCodeAt(i - 1) !== 92) quotes++;
      counted = Math.max(counted, at);
      if (quotes % 2) continue;
    }
    valueAddrs(RAW_KIND[m[1]], m[2], at, out);
  }
  return out;
}

export const EXT_ADDR = new Map<string, Map<string, AddrKind>>([
  ['DNAT', new Map([['to-destination', 'nat']])],
  ['SNAT', new Map([['to-source', 'nat']])],
  ['NETMAP', new Map([['to', 'gai']])],
  ['TPROXY', new Map([['on-ip', 'gai']])],
  [
    'iprange',
    new Map<string, AddrKind>([
      ['src-range', 'src-range'],
      ['dst-range', 'dst-range'],
    ]),
  ],
]);

/** The addresses of a parsed rule, in word order within each option. */
export function ruleAddrs(rule: Rule, out: Addr[]): void {
  const add = (kind: AddrKind, args: Rule['core'][number]['args']) => {
    for (const a of args) if (!a.unknown && a.l === a.el) valueAddrs(kind, a.text, a.s, out, a.l, a.e - a.s === a.text.length);
  };
  for (const o of rule.core) {
    const k = CORE_OPTIONS[o.key]?.canonical ?? o.key;
    if (k === '--source' || k === '--destination') add('host', o.args);
  }
  for (const x of rule.exts) {
    const kinds = EXT_ADDR.get(x.name.text);
    if (!kinds || x.name.unknown) continue;
    for (const o of x.opts) {
      // TPROXY's options are read by the mark model: no canon, the name as written
      const kind = kinds.get(o.canon ?? o.key.replace(/^--/, ''));
      if (kind) add(kind, o.args);
    }
  }
}

/** A save line's addresses from its parse (a flagged line: the raw scan only counts). */
export function parsedAddrs(line: string): Addr[] {
  const out: Addr[] = [];
  const e = parseSaveLine(line, 0);
  if (e && e.k === 'rule') ruleAddrs(e.rule, out);
  return out;
}
