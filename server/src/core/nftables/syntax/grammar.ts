/**
 * The parser's tables (nft 1.0.6's keys, statement words, operators) and small helpers shared
 * by its layers (parserBase < parserExpr < parserStmt < parserBlocks < parser).
 */
import type { Token } from './lexer';
import { Family, isKeyword } from '../knowledge/knowledge';
import type { NftName, Span } from './ast';

export interface ParseOptions {
  /**
   * Text of an included file, by the path written in `include "..."` (and the including
   * file's nesting depth); undefined when the caller cannot find it. Its defines become
   * visible after the include, as in nft.
   */
  resolveInclude?: (path: string) => string | undefined;
}

/** Meta keys nft 1.0.6 knows after `meta` (its own error message lists them). */
export const META_KEYS: ReadonlySet<string> = new Set(
  (
    'length protocol priority mark iif oif iifname oifname iiftype oiftype skuid skgid nftrace rtclassid secmark ' +
    'nfproto l4proto ibrname obrname pkttype cpu iifgroup oifgroup cgroup random ipsec iifkind oifkind ibrpvid ' +
    'ibrvproto time day hour sdif sdifname ibriport obriport secpath'
  ).split(' '),
);
export const META_KEYS_MESSAGE =
  'length, protocol, priority, mark, iif, oif, iifname, oifname, iiftype, oiftype, skuid, skgid, nftrace, rtclassid, secmark, nfproto, l4proto, ibrname, obrname, pkttype, cpu, iifgroup, oifgroup, cgroup, random, ipsec, iifkind, oifkind, ibrpvid, ibrvproto, time, day, hour, sdif, sdifname';

/** Meta keys usable without `meta`. */
export const META_UNQUALIFIED: ReadonlySet<string> = new Set(
  'mark iif iifname iiftype oif oifname oiftype skuid skgid nftrace rtclassid ibriport obriport ibrname obrname pkttype cpu iifgroup oifgroup cgroup time day hour'.split(
    ' ',
  ),
);

/** Keys after `ct` (keywords of its scanner state, or of the initial one). */
export const CT_KEYS: ReadonlySet<string> = new Set(
  (
    'state direction status mark expiration helper l3proto saddr daddr protocol proto-src proto-dst label bytes ' +
    'packets avgpkt zone event secmark id count expectation timeout ip ip6 original reply'
  ).split(' '),
);

/** Keywords opening a payload/extension-header/other selector with a free field word. */
export const LOOSE_SELECTORS: ReadonlySet<string> = new Set([
  'icmp',
  'icmpv6',
  'igmp',
  'ah',
  'esp',
  'comp',
  'hbh',
  'rt',
  'rt0',
  'rt2',
  'srh',
  'frag',
  'dst',
  'mh',
  'vlan',
]);

/** Keywords that can only open a statement, never be a value. */
export const STMT_ONLY: ReadonlySet<string> = new Set([
  'accept',
  'drop',
  'continue',
  'return',
  'jump',
  'goto',
  'counter',
  'log',
  'limit',
  'quota',
  'reject',
  'masquerade',
  'notrack',
  'meter',
  'synproxy',
  'tproxy',
  'dup',
  'fwd',
  'queue',
  'xt',
]);

export const TERMINAL: ReadonlySet<string> = new Set(['accept', 'drop', 'return', 'jump', 'goto', 'reject', 'snat', 'dnat', 'masquerade', 'redirect', 'queue']);

export const RELOPS: ReadonlySet<string> = new Set(['==', '!=', '<', '>', '<=', '>=']);
export const RELOP_WORDS: ReadonlySet<string> = new Set(['eq', 'ne', 'lt', 'gt', 'le', 'ge']);
export const BINOPS: ReadonlySet<string> = new Set(['&', '|', '^', '<<', '>>']);
export const BINOP_WORDS: ReadonlySet<string> = new Set(['and', 'or', 'xor', 'lshift', 'rshift']);
export const VALUE_CONT: ReadonlySet<string> = new Set([',', '-', '/', '.', ':', '&', '|', '^', '<<', '>>']);

export const COMMANDS: ReadonlySet<string> = new Set([
  'add',
  'create',
  'insert',
  'replace',
  'delete',
  'destroy',
  'flush',
  'list',
  'reset',
  'rename',
  'get',
  'describe',
  'monitor',
  'export',
  'import',
]);

/** Words that open a declaration in a table block (never an item of an object block). */
export const DECLARATIONS: ReadonlySet<string> = new Set([
  'table',
  'chain',
  'set',
  'map',
  'flowtable',
  'counter',
  'quota',
  'limit',
  'synproxy',
  'ct',
  'define',
  'redefine',
  'undefine',
  'include',
]);

/** What delete/flush/list/reset/... may name. */
export const COMMAND_OBJECTS: ReadonlySet<string> = new Set(
  (
    'table tables chain chains rule rules set sets map maps element flowtable flowtables ruleset counter counters ' +
    'quota quotas limit limits secmark secmarks synproxy synproxys ct meter meters hooks helpers'
  ).split(' '),
);

export const OBJECT_WORDS: ReadonlySet<string> = new Set(['counter', 'quota', 'limit', 'secmark', 'synproxy']);

/** Option words of statements (see Parser.words). */
export const W0: readonly string[] = ['flags', 'num', 'to', 'bypass', 'fanout'];
export const W1: readonly string[] = [
  'prefix',
  'level',
  'group',
  'snaplen',
  'queue-threshold',
  'flags',
  'all',
  'tcp',
  'ip',
  'sequence',
  'options',
  'skuid',
  'ether',
];
export const W2: readonly string[] = [
  'rate',
  'over',
  'until',
  'burst',
  'packets',
  'bytes',
  'kbytes',
  'mbytes',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'name',
];
export const W3: readonly string[] = ['over', 'until', 'used', 'bytes', 'kbytes', 'mbytes', 'name'];
export const W4: readonly string[] = ['random', 'persistent', 'fully-random', 'port'];
export const W5: readonly string[] = ['mss', 'maxseg', 'wscale', 'timestamp', 'sack-perm', 'sack-permitted', 'name'];
export const W6: readonly string[] = ['name'];

/** Keywords that are never a value (declarations, commands, block words). */
export const NOT_VALUE: ReadonlySet<string> = new Set(
  'table chain rule element flowtable hook include define redefine undefine add insert delete replace create flush list reset rename policy set'.split(' '),
);

/** Statement options whose value may be a plain word (`level warn`, `flags all`, `prefix x`). */
export const VALUED_OPTIONS: ReadonlySet<string> = new Set(['prefix', 'level', 'flags', 'group', 'snaplen', 'queue-threshold', 'name', 'num', 'to']);

export const WORD_SETS = new WeakMap<readonly string[], ReadonlySet<string>>();
export const OTHER_SELECTORS: ReadonlySet<string> = new Set([
  'meta',
  'ct',
  'fib',
  'numgen',
  'jhash',
  'symhash',
  'osf',
  'socket',
  'ipsec',
  'exthdr',
  'rt',
  'priority',
  'random',
  'th',
]);

/** Selector keywords that are never a value on their own. */
export const SELECTOR_ONLY: ReadonlySet<string> = new Set(['ct', 'meta', 'fib', 'numgen', 'jhash', 'symhash', 'osf', 'socket', 'ipsec', 'exthdr', 'th']);

export function rangeValue(t: Token): bigint | undefined {
  if (t.kind === 'number') return parseNum(t.text);
  if (t.kind === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(t.text)) {
    const p = t.text.split('.').map(Number);
    if (p.some((x) => x > 255)) return undefined;
    return BigInt(((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3]);
  }
  return undefined;
}

/** How a finding names what a newer nft accepts. */
export const NEWER = 'nft releases after 1.0.6 accept it';

export class Bail {
  constructor(readonly stopAtBrace = true) {}
}

export interface Ctx {
  family?: Family;
  table?: NftName;
  chain?: NftName;
}

export function spanOf(a: Token, b: Token): Span {
  return { s: a.s, e: b.e, line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol };
}
export function nameOf(t: Token): NftName {
  return { name: t.value, s: t.s, e: t.e, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol };
}

/** nft's name for a token in "unexpected X". */
export function tokenName(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of file';
    case 'newline':
      return 'newline';
    case 'junk':
      return 'junk';
    case 'quoted':
      return 'quoted string';
    case 'asterisk':
      return 'string with a trailing asterisk';
    case 'number':
      return 'number';
    case 'string':
      if (isKeyword(t.text)) {
        const alias: Record<string, string> = { eq: '==', ne: '!=', lshift: '<<', rshift: '>>' };
        return alias[t.text] ?? t.text;
      }
      return 'string';
    case 'punct':
      switch (t.text) {
        case ';':
          return 'semicolon';
        case ',':
          return 'comma';
        case ':':
          return 'colon';
        case '{':
        case '}':
        case '(':
        case ')':
        case '[':
        case ']':
        case '|':
        case '$':
        case '=':
          return `'${t.text}'`;
        default:
          return t.text;
      }
  }
}

export interface ElementSink {
  family: Family;
  table: string;
  /** A named set, or the kinds of an anonymous one's key parts. */
  set?: string;
  kinds?: string[];
}

export function parseNum(text: string): bigint {
  try {
    if (/^0[xX]/.test(text)) return BigInt(text);
    if (/^0[0-7]+$/.test(text)) return BigInt('0o' + text.slice(1));
    return BigInt(text);
  } catch {
    return 0n;
  }
}
