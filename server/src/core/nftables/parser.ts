/**
 * One parser for both styles of nftables files: blocks (`table inet f { chain c { ... } }`)
 * and commands (`add rule inet f c tcp dport 22 accept`), `;` or newline separated.
 *
 * It follows nft 1.0.6's grammar (src/parser_bison.y) where nft is strict (the block
 * structure, the separators every block item needs, chain headers, set/map/flowtable blocks,
 * the words that may open a statement, the fields a protocol has) and stays lenient inside
 * expressions, where nft's own evaluation decides. Every syntax problem is reported at the
 * token nft reports it at, and parsing resumes at the next separator, so one slip costs one
 * finding. Never throws, linear in the input.
 */
import { isIp6, lex, Token } from './lexer';
import { FAMILIES, Family, PROTO_FIELDS, isKeyword } from './knowledge';
import type {
  NftChain,
  NftCommand,
  NftFile,
  NftName,
  NftPriority,
  NftRef,
  NftRule,
  NftSet,
  NftStatement,
  NftTable,
  Span,
  SyntaxProblem,
} from './ast';

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
const META_KEYS_MESSAGE =
  'length, protocol, priority, mark, iif, oif, iifname, oifname, iiftype, oiftype, skuid, skgid, nftrace, rtclassid, secmark, nfproto, l4proto, ibrname, obrname, pkttype, cpu, iifgroup, oifgroup, cgroup, random, ipsec, iifkind, oifkind, ibrpvid, ibrvproto, time, day, hour, sdif, sdifname';

/** Meta keys usable without `meta`. */
const META_UNQUALIFIED: ReadonlySet<string> = new Set(
  'mark iif iifname iiftype oif oifname oiftype skuid skgid nftrace rtclassid ibriport obriport ibrname obrname pkttype cpu iifgroup oifgroup cgroup time day hour'.split(
    ' ',
  ),
);

/** Keys after `ct` (keywords of its scanner state, or of the initial one). */
const CT_KEYS: ReadonlySet<string> = new Set(
  (
    'state direction status mark expiration helper l3proto saddr daddr protocol proto-src proto-dst label bytes ' +
    'packets avgpkt zone event secmark id count expectation timeout ip ip6 original reply'
  ).split(' '),
);

/** Keywords opening a payload/extension-header/other selector with a free field word. */
const LOOSE_SELECTORS: ReadonlySet<string> = new Set(['icmp', 'icmpv6', 'igmp', 'ah', 'esp', 'comp', 'hbh', 'rt', 'rt0', 'rt2', 'srh', 'frag', 'dst', 'mh', 'vlan']);

/** Keywords that can only open a statement, never be a value. */
const STMT_ONLY: ReadonlySet<string> = new Set([
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

const TERMINAL: ReadonlySet<string> = new Set(['accept', 'drop', 'return', 'jump', 'goto', 'reject', 'snat', 'dnat', 'masquerade', 'redirect', 'queue']);

const RELOPS: ReadonlySet<string> = new Set(['==', '!=', '<', '>', '<=', '>=']);
const RELOP_WORDS: ReadonlySet<string> = new Set(['eq', 'ne', 'lt', 'gt', 'le', 'ge']);
const BINOPS: ReadonlySet<string> = new Set(['&', '|', '^', '<<', '>>']);
const BINOP_WORDS: ReadonlySet<string> = new Set(['and', 'or', 'xor', 'lshift', 'rshift']);
const VALUE_CONT: ReadonlySet<string> = new Set([',', '-', '/', '.', ':', '&', '|', '^', '<<', '>>']);

const COMMANDS: ReadonlySet<string> = new Set([
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
const DECLARATIONS: ReadonlySet<string> = new Set(['table', 'chain', 'set', 'map', 'flowtable', 'counter', 'quota', 'limit', 'synproxy', 'ct', 'define', 'redefine', 'undefine', 'include']);

/** What delete/flush/list/reset/... may name. */
const COMMAND_OBJECTS: ReadonlySet<string> = new Set(
  (
    'table tables chain chains rule rules set sets map maps element flowtable flowtables ruleset counter counters ' +
    'quota quotas limit limits secmark secmarks synproxy synproxys ct meter meters hooks helpers'
  ).split(' '),
);

const OBJECT_WORDS: ReadonlySet<string> = new Set(['counter', 'quota', 'limit', 'secmark', 'synproxy']);

/** Option words of statements (see Parser.words). */
const W0: readonly string[] = ['flags', 'num', 'to', 'bypass', 'fanout'];
const W1: readonly string[] = ['prefix', 'level', 'group', 'snaplen', 'queue-threshold', 'flags', 'all', 'tcp', 'ip', 'sequence', 'options', 'skuid', 'ether'];
const W2: readonly string[] = ['rate', 'over', 'until', 'burst', 'packets', 'bytes', 'kbytes', 'mbytes', 'second', 'minute', 'hour', 'day', 'week', 'name'];
const W3: readonly string[] = ['over', 'until', 'used', 'bytes', 'kbytes', 'mbytes', 'name'];
const W4: readonly string[] = ['random', 'persistent', 'fully-random', 'port'];
const W5: readonly string[] = ['mss', 'maxseg', 'wscale', 'timestamp', 'sack-perm', 'sack-permitted', 'name'];
const W6: readonly string[] = ['name'];

/** Keywords that are never a value (declarations, commands, block words). */
const NOT_VALUE: ReadonlySet<string> = new Set(
  'table chain rule element flowtable hook include define redefine undefine add insert delete replace create flush list reset rename policy set'.split(' '),
);

const WORD_SETS = new WeakMap<readonly string[], ReadonlySet<string>>();
const OTHER_SELECTORS: ReadonlySet<string> = new Set(['meta', 'ct', 'fib', 'numgen', 'jhash', 'symhash', 'osf', 'socket', 'ipsec', 'exthdr', 'rt', 'priority', 'random', 'th']);

/** Selector keywords that are never a value on their own. */
const SELECTOR_ONLY: ReadonlySet<string> = new Set(['ct', 'meta', 'fib', 'numgen', 'jhash', 'symhash', 'osf', 'socket', 'ipsec', 'exthdr', 'th']);

function rangeValue(t: Token): bigint | undefined {
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

class Bail {
  constructor(readonly stopAtBrace = true) {}
}

interface Ctx {
  family?: Family;
  table?: NftName;
  chain?: NftName;
}

function spanOf(a: Token, b: Token): Span {
  return { s: a.s, e: b.e, line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol };
}
function nameOf(t: Token): NftName {
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

interface ElementSink {
  family: Family;
  table: string;
  /** A named set, or the kinds of an anonymous one's key parts. */
  set?: string;
  kinds?: string[];
}

class Parser {
  private elementSink: ElementSink | undefined;
  /** The concatenated parts of the last left-hand expression read. */
  private components: string[] = [];
  private selTrail: NftStatement[] | undefined;
  private readonly toks: Token[];
  private i = 0;
  readonly out: NftFile;
  private scopes: Set<string>[] = [new Set()];
  private depth: number;

  constructor(
    private readonly text: string,
    private readonly opts: ParseOptions,
    depth = 0,
  ) {
    const lx = lex(text);
    this.toks = lx.tokens;
    this.depth = depth;
    this.out = {
      tables: [],
      chains: [],
      sets: [],
      flowtables: [],
      objects: [],
      defines: [],
      includes: [],
      rules: [],
      refs: [],
      commands: [],
      elements: [],
      comments: lx.comments.map((c) => ({ s: c.s, e: c.e, line: c.line, col: c.col, endLine: c.line, endCol: c.endCol })),
      problems: [],
      lineStarts: lx.lineStarts,
    };
  }

  // ---------------------------------------------------------------- tokens
  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }
  private next(): Token {
    const t = this.toks[this.i];
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private prev(): Token {
    return this.toks[Math.max(0, this.i - 1)];
  }
  private isSep(t: Token): boolean {
    return t.kind === 'newline' || (t.kind === 'punct' && t.text === ';');
  }
  private isP(t: Token, p: string): boolean {
    return t.kind === 'punct' && t.text === p;
  }
  private isKw(t: Token, w: string): boolean {
    return t.kind === 'string' && t.text === w;
  }
  /** A STRING that is not a keyword: what nft's `identifier` takes. */
  private isIdent(t: Token): boolean {
    return t.kind === 'string' && !isKeyword(t.text);
  }
  private plain(t: Token): boolean {
    return t.kind === 'string' && !isKeyword(t.text);
  }

  private problem(t: Token, message: string, code?: string, severity?: 'error' | 'warning'): void {
    this.out.problems.push({ s: t.s, e: t.e, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol, message, code, severity });
  }
  private unexpected(t: Token, expecting?: string): never {
    this.problem(t, `syntax error, unexpected ${tokenName(t)}${expecting ? `, expecting ${expecting}` : ''}`);
    throw new Bail();
  }

  /** Skips to the next separator at brace depth 0 (not past a closing brace of the block). */
  private recover(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      if (depth === 0 && this.isSep(t)) return;
      if (this.isP(t, '{') || this.isP(t, '(')) depth++;
      else if (this.isP(t, '}') || this.isP(t, ')')) {
        if (depth === 0) return;
        depth--;
      }
      this.next();
    }
  }

  private skipSeps(): void {
    while (this.isSep(this.peek())) this.next();
  }

  /** After a block item: a separator, or (top level) the end of the file. */
  private endItem(top: boolean): void {
    const t = this.peek();
    if (this.isSep(t)) return;
    if (top && t.kind === 'eof') return;
    this.unexpected(t, top ? 'end of file or newline or semicolon' : 'newline or semicolon');
  }

  // ---------------------------------------------------------------- scopes / refs
  private defined(name: string): boolean {
    for (let k = this.scopes.length - 1; k >= 0; k--) if (this.scopes[k].has(name)) return true;
    return false;
  }

  private varRef(dollar: Token, ctx: Ctx): NftName | undefined {
    const n = this.peek();
    if (n.kind !== 'string' || n.s !== dollar.e) {
      this.unexpected(n, 'string');
    }
    this.next();
    const name = nameOf(n);
    const ref: NftRef & { defined?: boolean } = {
      kind: 'var',
      name,
      span: spanOf(dollar, n),
      family: ctx.family,
      table: ctx.table?.name,
      chain: ctx.chain?.name,
      via: '$',
    };
    ref.defined = this.defined(n.value);
    this.out.refs.push(ref);
    return name;
  }

  private setRef(at: Token, ctx: Ctx): void {
    const n = this.peek();
    if (n.kind !== 'string') this.unexpected(n, 'string');
    this.next();
    this.out.refs.push({ kind: 'set', name: nameOf(n), span: spanOf(at, n), family: ctx.family, table: ctx.table?.name, chain: ctx.chain?.name, via: '@' });
  }

  /** Skips a balanced `{...}` or `(...)` group, recording the references inside. */
  private skipGroup(ctx: Ctx, noNewline = false): Span {
    const open = this.next();
    const close = open.text === '{' ? '}' : ')';
    const openText = open.text;
    let depth = 1;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') this.unexpected(t);
      if (noNewline && t.kind === 'newline') this.unexpected(t, `'}'`);
      if (this.isP(t, '-')) {
        // a minus opens no value (only ranges `1-2` and priorities use it)
        const p = this.prev();
        if (p.kind === 'punct' && ['{', ',', ':', '(', '='].includes(p.text)) this.unexpected(t);
      }
      if (this.isP(t, openText)) depth++;
      else if (this.isP(t, close)) {
        depth--;
        if (depth === 0) {
          this.next();
          return spanOf(open, t);
        }
      } else if (this.isP(t, '$')) {
        this.next();
        if (this.peek().kind === 'string' && this.peek().s === t.e) this.varRef(t, ctx);
        continue;
      } else if (this.isP(t, '@')) {
        this.next();
        const n = this.peek();
        if (n.kind === 'string' && !(/^(ll|nh|th)$/.test(n.text) && this.isP(this.peek(1), ','))) this.setRef(t, ctx);
        continue;
      } else if (this.isKw(t, 'jump') || this.isKw(t, 'goto')) {
        this.next();
        const n = this.peek();
        if (this.isIdent(n)) {
          this.next();
          this.chainRef(t, n, ctx);
        }
        continue;
      }
      this.next();
    }
  }

  private chainRef(kw: Token, n: Token, ctx: Ctx): void {
    this.out.refs.push({
      kind: 'chain',
      name: nameOf(n),
      span: spanOf(kw, n),
      family: ctx.family,
      table: ctx.table?.name,
      chain: ctx.chain?.name,
      via: kw.text === 'goto' ? 'goto' : 'jump',
    });
  }

  // ---------------------------------------------------------------- top level
  parse(): NftFile {
    for (;;) {
      this.skipSeps();
      const t = this.peek();
      if (t.kind === 'eof') break;
      try {
        this.topLine();
        this.endItem(true);
      } catch (e) {
        if (!(e instanceof Bail)) throw e;
        this.recover();
        // a stray closing brace at top level
        if (this.isP(this.peek(), '}')) {
          if (!this.out.problems.length || this.out.problems[this.out.problems.length - 1].s !== this.peek().s) {
            this.problem(this.peek(), `syntax error, unexpected '}'`);
          }
          this.next();
        }
      }
    }
    return this.out;
  }

  private topLine(): void {
    const t = this.peek();
    if (t.kind === 'string') {
      const w = t.text;
      if (w === 'include') return this.include();
      if (w === 'define' || w === 'redefine' || w === 'undefine') return this.define({});
      if (COMMANDS.has(w)) return this.command();
      // `[family] table chain rule...`: nft reads a line opening with names as `add rule`
      if (this.plain(t) || ((FAMILIES as readonly string[]).includes(w) && this.plain(this.peek(1)))) return this.implicitRule(t);
      if (w === 'table' || w === 'chain' || w === 'rule' || w === 'set' || w === 'map' || w === 'element' || w === 'flowtable' || OBJECT_WORDS.has(w) || w === 'ct') {
        return this.addCmd(undefined, t);
      }
    }
    this.unexpected(t);
  }

  private implicitRule(start: Token): void {
    const f = this.family();
    const tn = nameOf(this.ident());
    const ctx: Ctx = { family: f.family, table: tn };
    ctx.chain = this.identOrVar(ctx);
    const rule = this.rule(ctx, start, 'add');
    if (rule) this.out.rules.push(rule);
  }

  private include(): void {
    const kw = this.next();
    const p = this.peek();
    if (p.kind !== 'quoted') this.unexpected(p, 'quoted string');
    this.next();
    this.out.includes.push({ path: p.value, pathSpan: nameOf(p), span: spanOf(kw, p) });
    if (this.opts.resolveInclude && this.depth < 16) {
      let text: string | undefined;
      try {
        text = this.opts.resolveInclude(p.value);
      } catch {
        text = undefined;
      }
      if (text !== undefined) {
        const sub = new Parser(text, this.opts, this.depth + 1);
        sub.scopes = [new Set(this.allDefined())];
        sub.parse();
        for (const d of sub.out.defines) {
          if (d.kind === 'undefine') this.scopes[this.scopes.length - 1].delete(d.name.name);
          else this.scopes[this.scopes.length - 1].add(d.name.name);
        }
        (this.out.included ??= []).push({ path: p.value, file: sub.out });
      }
    }
  }

  private allDefined(): string[] {
    const all = new Set<string>();
    for (const s of this.scopes) for (const n of s) all.add(n);
    return [...all];
  }

  private define(ctx: Ctx): void {
    const kw = this.next();
    const kind = kw.text as 'define' | 'redefine' | 'undefine';
    const n = this.peek();
    if (!this.isIdent(n)) this.unexpected(n, 'string');
    this.next();
    if (kind === 'undefine') {
      this.out.defines.push({ kind, name: nameOf(n), span: spanOf(kw, n) });
      for (const s of this.scopes) s.delete(n.value);
      return;
    }
    const eq = this.peek();
    if (!this.isP(eq, '=')) this.unexpected(eq, "'='");
    this.next();
    const first = this.peek();
    if (this.isSep(first) || first.kind === 'eof' || this.isP(first, '}')) this.unexpected(first);
    // the value: an expression up to the separator (sets may span lines)
    let last = first;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || this.isSep(t) || this.isP(t, '}')) break;
      if (this.isP(t, '{')) {
        this.setList(ctx);
        last = this.prev();
        continue;
      }
      if (this.isP(t, '(')) {
        this.skipGroup(ctx);
        last = this.prev();
        continue;
      }
      if (this.isP(t, '$')) {
        this.next();
        this.varRef(t, ctx);
        last = this.prev();
        continue;
      }
      if (this.isP(t, '@')) {
        this.next();
        if (this.peek().kind === 'string') this.setRef(t, ctx);
        last = this.prev();
        continue;
      }
      last = this.next();
    }
    const value = { ...spanOf(first, last), text: this.text.slice(first.s, last.e) };
    this.out.defines.push({ kind, name: nameOf(n), span: spanOf(kw, last), value });
    this.scopes[this.scopes.length - 1].add(n.value);
  }

  private family(): { family: Family; span?: Span } {
    const t = this.peek();
    if (t.kind === 'string' && (FAMILIES as readonly string[]).includes(t.text)) {
      // `table ip` alone names a table "ip"? No: ip is a keyword, so it is the family.
      this.next();
      return { family: t.text as Family, span: nameOf(t) };
    }
    return { family: 'ip' };
  }

  private ident(what = 'string'): Token {
    const t = this.peek();
    if (this.isIdent(t)) return this.next();
    this.unexpected(t, what);
  }

  /** A name that may also be a `$variable` (chain, set names in commands). */
  private identOrVar(ctx: Ctx): NftName {
    const t = this.peek();
    if (this.isP(t, '$')) {
      this.next();
      return this.varRef(t, ctx)!;
    }
    return nameOf(this.ident());
  }

  private command(): void {
    const cmd = this.next();
    const command = cmd.text as NftCommand;
    if (command === 'add' || command === 'create' || command === 'insert' || command === 'replace') {
      const what = this.peek();
      if (what.kind !== 'string') this.unexpected(what);
      return this.addCmd(command, what, cmd);
    }
    // delete, flush, list, ...: recorded, checked no further
    const objTok = this.peek();
    const object = objTok.kind === 'string' ? objTok.text : '';
    if (!['describe', 'monitor', 'export', 'import'].includes(command) && !COMMAND_OBJECTS.has(object)) this.unexpected(objTok);
    let family: Family | undefined;
    let table: NftName | undefined;
    let name: NftName | undefined;
    const ctx: Ctx = {};
    if (objTok.kind === 'string' && !this.isSep(objTok)) {
      this.next();
      if (object === 'ct') this.next();
      const f = this.family();
      family = f.family;
      if (this.isIdent(this.peek())) table = nameOf(this.next());
      if (this.isIdent(this.peek())) name = nameOf(this.next());
    }
    ctx.family = family;
    ctx.table = table;
    let last = this.prev();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || this.isSep(t) || this.isP(t, '}')) break;
      if (this.isP(t, '{')) {
        this.skipGroup(ctx);
        last = this.prev();
        continue;
      }
      last = this.next();
    }
    this.out.commands.push({ command, object, span: spanOf(cmd, last), family, table, name });
  }

  /** `[add] table|chain|rule|set|map|element|flowtable|counter|... ` */
  private addCmd(command: NftCommand | undefined, what: Token, cmdTok?: Token): void {
    const start = cmdTok ?? what;
    const w = what.text;
    this.next();
    if (w === 'table') {
      const f = this.family();
      const n = this.ident();
      const table: NftTable = { family: f.family, familySpan: f.span, name: nameOf(n), span: spanOf(start, n), command, flags: [] };
      this.out.tables.push(table);
      if (this.isP(this.peek(), '{')) this.tableBlock(table, start);
      return;
    }
    if (command === undefined && w === 'rule') {
      // bare `rule` is not a command nft takes at top level with a family... it is (add_cmd): keep going
    }
    let ctType: string | undefined;
    if (w === 'ct') {
      const k = this.peek();
      if (!(this.isKw(k, 'helper') || this.isKw(k, 'timeout') || this.isKw(k, 'expectation'))) this.unexpected(k);
      ctType = k.text;
      this.next();
    }
    const f = this.family();
    const tableTok = this.peek();
    if (this.isP(tableTok, '$')) this.unexpected(tableTok, 'string');
    const tn = nameOf(this.ident());
    const ctx: Ctx = { family: f.family, table: tn };
    switch (w) {
      case 'chain': {
        const cn = this.identOrVar(ctx);
        const chain: NftChain = { family: f.family, table: tn, name: cn, span: spanOf(start, this.prev()), command, rules: [] };
        this.out.chains.push(chain);
        if (this.isP(this.peek(), '{')) this.chainBlock(chain, start);
        return;
      }
      case 'rule': {
        const cn = this.identOrVar(ctx);
        ctx.chain = cn;
        // position/handle/index N
        for (;;) {
          const t = this.peek();
          if ((this.isKw(t, 'position') || this.isKw(t, 'handle') || this.isKw(t, 'index')) && this.peek(1).kind === 'number') {
            this.next();
            this.next();
            continue;
          }
          break;
        }
        const rule = this.rule(ctx, start, command);
        if (rule) this.out.rules.push(rule);
        return;
      }
      case 'set':
      case 'map': {
        const sn = this.identOrVar(ctx);
        const set: NftSet = { kind: w, family: f.family, table: tn, name: sn, span: spanOf(start, this.prev()), command, typeof: false, flags: [] };
        this.out.sets.push(set);
        if (this.isP(this.peek(), '{')) this.setBlock(set, ctx, start);
        else this.unexpected(this.peek(), "'{'");
        return;
      }
      case 'element': {
        const sn = this.identOrVar(ctx);
        this.out.refs.push({ kind: 'set', name: sn, span: sn, family: f.family, table: tn.name, via: '@' });
        if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
        this.elementSink = { family: f.family, table: tn.name, set: sn.name };
        this.setList(ctx);
        return;
      }
      case 'flowtable': {
        const fn = this.identOrVar(ctx);
        const ft = { family: f.family, table: tn, name: fn, span: spanOf(start, this.prev()), command, devices: [] as NftName[] };
        this.out.flowtables.push(ft);
        if (this.isP(this.peek(), '{')) {
          this.looseBlock(ctx, true);
          ft.span = spanOf(start, this.prev());
        }
        return;
      }
      default: {
        // counter, quota, limit, secmark, synproxy, ct helper|timeout|expectation objects
        const on = this.identOrVar(ctx);
        const objType = (ctType ? `ct ${ctType}` : w) as 'counter';
        this.out.objects.push({ objType, family: f.family, table: tn, name: on, span: spanOf(start, this.prev()), command });
        this.skipRestOfLine(ctx);
      }
    }
  }

  private skipRestOfLine(ctx: Ctx): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || this.isSep(t) || this.isP(t, '}')) return;
      if (this.isP(t, '{')) {
        if (this.prev().kind === 'punct' && this.prev().text === '=') this.setList(ctx);
        else this.looseBlock(ctx);
        continue;
      }
      this.next();
    }
  }

  /**
   * The block of a flowtable or a stateful object: items nft checks in detail are read
   * loosely, but each needs its separator and none may open a declaration.
   */
  private looseBlock(ctx: Ctx, flowtable = false, sepFree = false): void {
    this.next();
    this.block(() => {
      const t = this.peek();
      if (t.kind === 'string' && DECLARATIONS.has(t.text) && !(flowtable && t.text === 'counter')) this.unexpected(t);
      const free = sepFree || (flowtable && this.isKw(t, 'counter'));
      for (;;) {
        const x = this.peek();
        if (x.kind === 'eof' || this.isSep(x) || this.isP(x, '}')) return free;
        if (this.isP(x, '{')) {
          if (this.isP(this.prev(), '=')) this.setList(ctx);
          else this.unexpected(x);
          continue;
        }
        if (this.isP(x, '$')) {
          this.next();
          this.varRef(x, ctx);
          continue;
        }
        this.next();
      }
      return free;
    });
  }

  // ---------------------------------------------------------------- table block
  private tableBlock(table: NftTable, start: Token): void {
    const open = this.next();
    const ctx: Ctx = { family: table.family, table: table.name };
    this.scopes.push(new Set());
    try {
      this.block(() => this.tableItem(table, ctx));
    } finally {
      this.scopes.pop();
    }
    const close = this.prev();
    table.block = spanOf(open, close);
    table.span = spanOf(start, close);
  }

  /** Items of a `{ ... }` block until its `}`; each needs a separator after it. */
  /** `item` returns true when nft needs no separator after what it read. */
  private block(item: () => void | boolean): void {
    for (;;) {
      this.skipSeps();
      const t = this.peek();
      if (this.isP(t, '}')) {
        this.next();
        return;
      }
      if (t.kind === 'eof') this.unexpected(t);
      try {
        const free = item();
        const n = this.peek();
        if (!this.isSep(n) && !(free === true && this.isP(n, '}'))) this.unexpected(n, 'newline or semicolon');
      } catch (e) {
        if (!(e instanceof Bail)) throw e;
        this.recover();
        if (this.peek().kind === 'eof') {
          // the file ended inside the block: nft reports the end of file
          const eof = this.peek();
          const last = this.out.problems[this.out.problems.length - 1];
          if (!last || last.s !== eof.s) this.problem(eof, 'syntax error, unexpected end of file');
          throw new Bail();
        }
      }
    }
  }

  private tableItem(table: NftTable, ctx: Ctx): void {
    const t = this.peek();
    const w = t.kind === 'string' ? t.text : '';
    switch (w) {
      case 'include':
        return this.include();
      case 'define':
      case 'redefine':
      case 'undefine':
        return this.define(ctx);
      case 'chain': {
        this.next();
        const n = this.ident();
        const chain: NftChain = { family: table.family, table: table.name, name: nameOf(n), span: spanOf(t, n), rules: [] };
        this.out.chains.push(chain);
        if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
        this.chainBlock(chain, t);
        return;
      }
      case 'set':
      case 'map': {
        this.next();
        const n = this.ident();
        const set: NftSet = { kind: w, family: table.family, table: table.name, name: nameOf(n), span: spanOf(t, n), typeof: false, flags: [] };
        this.out.sets.push(set);
        if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
        this.setBlock(set, ctx, t);
        return;
      }
      case 'flowtable': {
        this.next();
        const n = this.ident();
        const ft = { family: table.family, table: table.name, name: nameOf(n), span: spanOf(t, n), devices: [] as NftName[] };
        this.out.flowtables.push(ft);
        if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
        this.looseBlock(ctx, true);
        ft.span = spanOf(t, this.prev());
        return;
      }
      case 'counter':
      case 'quota':
      case 'limit':
      case 'secmark':
      case 'synproxy':
      case 'ct': {
        this.next();
        let objType = w as 'counter';
        if (w === 'ct') {
          const k = this.peek();
          if (!(this.isKw(k, 'helper') || this.isKw(k, 'timeout') || this.isKw(k, 'expectation'))) this.unexpected(k);
          this.next();
          objType = `ct ${k.text}` as 'counter';
        }
        const n = this.ident();
        const obj = { objType, family: table.family, table: table.name, name: nameOf(n), span: spanOf(t, n) };
        this.out.objects.push(obj);
        if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
        this.looseBlock(ctx, false, w === 'counter' || w === 'quota' || w === 'limit');
        obj.span = spanOf(t, this.prev());
        return;
      }
      case 'flags': {
        this.next();
        for (;;) {
          const f = this.peek();
          if (f.kind !== 'string') this.unexpected(f, 'string');
          table.flags.push(nameOf(this.next()));
          if (!this.isP(this.peek(), ',')) break;
          this.next();
        }
        return;
      }
      case 'comment': {
        this.next();
        const c = this.peek();
        if (c.kind !== 'quoted' && !this.isIdent(c)) this.unexpected(c, 'quoted string');
        table.comment = nameOf(this.next());
        return;
      }
    }
    this.unexpected(t);
  }

  // ---------------------------------------------------------------- chain block
  private chainBlock(chain: NftChain, start: Token): void {
    const open = this.next();
    const ctx: Ctx = { family: chain.family, table: chain.table, chain: chain.name };
    this.scopes.push(new Set());
    try {
      this.block(() => this.chainItem(chain, ctx));
    } finally {
      this.scopes.pop();
    }
    const close = this.prev();
    chain.block = spanOf(open, close);
    chain.span = spanOf(start, close);
  }

  private chainItem(chain: NftChain, ctx: Ctx): void {
    const t = this.peek();
    const w = t.kind === 'string' ? t.text : '';
    switch (w) {
      case 'include':
        return this.include();
      case 'define':
      case 'redefine':
      case 'undefine':
        return this.define(ctx);
      case 'type':
        return this.typeLine(chain, ctx);
      case 'policy': {
        this.next();
        const p = this.peek();
        if (this.isKw(p, 'accept') || this.isKw(p, 'drop')) {
          chain.policy = nameOf(this.next());
          return;
        }
        if (this.isP(p, '$')) {
          this.next();
          chain.policy = this.varRef(p, ctx);
          return;
        }
        this.unexpected(p);
        return;
      }
      case 'comment': {
        // a chain comment, or a rule that is only a comment? nft: chain comment
        this.next();
        const c = this.peek();
        if (c.kind !== 'quoted' && !this.isIdent(c)) this.unexpected(c, 'quoted string');
        chain.comment = nameOf(this.next());
        return;
      }
      case 'devices': {
        this.next();
        if (!this.isP(this.peek(), '=')) this.unexpected(this.peek(), "'='");
        this.next();
        this.valuePrimary(ctx);
        return;
      }
    }
    const rule = this.rule(ctx, t, undefined);
    if (rule) {
      chain.rules.push(rule);
      this.out.rules.push(rule);
    }
  }

  private typeLine(chain: NftChain, ctx: Ctx): void {
    const kw = this.next();
    const ty = this.peek();
    if (ty.kind !== 'string') this.unexpected(ty, 'string');
    chain.type = nameOf(this.next());
    const hk = this.peek();
    if (!this.isKw(hk, 'hook')) this.unexpected(hk, 'hook');
    this.next();
    const h = this.peek();
    if (h.kind !== 'string') this.unexpected(h, 'string');
    chain.hook = nameOf(this.next());
    if (this.isKw(this.peek(), 'device')) {
      this.next();
      const d = this.peek();
      if (this.isP(d, '$')) {
        this.next();
        chain.device = this.varRef(d, ctx);
      } else if (d.kind === 'string' || d.kind === 'quoted') chain.device = nameOf(this.next());
      else this.unexpected(d, 'string');
    } else if (this.isKw(this.peek(), 'devices')) {
      this.next();
      if (!this.isP(this.peek(), '=')) this.unexpected(this.peek(), "'='");
      this.next();
      this.valuePrimary(ctx);
    }
    const pk = this.peek();
    if (!this.isKw(pk, 'priority')) this.unexpected(pk, 'priority');
    this.next();
    chain.priority = this.priority(ctx);
    chain.typeLine = spanOf(kw, this.prev());
  }

  private priority(ctx: Ctx): NftPriority {
    const a = this.peek();
    let value: number | undefined;
    let name: NftName | undefined;
    let variable: NftName | undefined;
    if (this.isP(a, '$')) {
      this.next();
      variable = this.varRef(a, ctx);
    } else if (a.kind === 'number') {
      this.next();
      value = Number(parseNum(a.text));
    } else if (this.isP(a, '-') && this.peek(1).kind === 'number') {
      this.next();
      value = -Number(parseNum(this.next().text));
    } else if (a.kind === 'string' && !isKeyword(a.text)) {
      this.next();
      name = nameOf(a);
      const op = this.peek();
      if ((this.isP(op, '+') || this.isP(op, '-')) && this.peek(1).kind === 'number') {
        this.next();
        const n = Number(parseNum(this.next().text));
        value = op.text === '-' ? -n : n;
      }
    } else {
      this.unexpected(a);
    }
    const last = this.prev();
    return { ...spanOf(a, last), text: this.text.slice(a.s, last.e), value, name, variable };
  }

  // ---------------------------------------------------------------- set / map block
  private setBlock(set: NftSet, ctx: Ctx, start: Token): void {
    const open = this.next();
    this.block(() => this.setItem(set, ctx));
    const close = this.prev();
    set.block = spanOf(open, close);
    set.span = spanOf(start, close);
  }

  private setItem(set: NftSet, ctx: Ctx): boolean {
    const t = this.peek();
    const w = t.kind === 'string' ? t.text : '';
    switch (w) {
      case 'type':
      case 'typeof': {
        this.next();
        set.typeof = w === 'typeof';
        const keyStart = this.peek();
        this.typeExpr(ctx, w === 'typeof');
        set.keyType = { ...spanOf(keyStart, this.prev()), name: this.text.slice(keyStart.s, this.prev().e) };
        if (set.kind === 'map') {
          if (!this.isP(this.peek(), ':')) this.unexpected(this.peek(), 'colon');
          this.next();
          const vs = this.peek();
          this.typeExpr(ctx, w === 'typeof');
          set.valueType = { ...spanOf(vs, this.prev()), name: this.text.slice(vs.s, this.prev().e) };
        }
        return false;
      }
      case 'flags': {
        this.next();
        for (;;) {
          const f = this.peek();
          if (!(f.kind === 'string' && ['constant', 'interval', 'dynamic', 'timeout'].includes(f.text))) {
            this.unexpected(f, 'constant or interval or dynamic or timeout');
          }
          set.flags.push(nameOf(this.next()));
          if (!this.isP(this.peek(), ',')) break;
          this.next();
        }
        return false;
      }
      case 'gc-interval':
      case 'timeout':
      case 'size': {
        if (w === 'gc-interval' && set.kind === 'map') {
          this.problem(t, `syntax error, unexpected gc-interval (${NEWER} in a map)`);
          throw new Bail();
        }
        this.next();
        const v = this.peek();
        if (v.kind !== 'number' && v.kind !== 'string') this.unexpected(v);
        if (v.kind === 'string' && isKeyword(v.text)) this.unexpected(v);
        this.next();
        return false;
      }
      case 'policy': {
        this.next();
        const v = this.peek();
        if (!(this.isKw(v, 'performance') || this.isKw(v, 'memory'))) this.unexpected(v);
        this.next();
        return false;
      }
      case 'auto-merge':
        this.next();
        return true;
      case 'counter':
        this.next();
        return false;
      case 'comment': {
        this.next();
        const c = this.peek();
        if (c.kind !== 'quoted' && !this.isIdent(c)) this.unexpected(c, 'quoted string');
        this.next();
        return false;
      }
      case 'elements': {
        this.next();
        if (!this.isP(this.peek(), '=')) this.unexpected(this.peek(), "'='");
        this.next();
        const g = this.peek();
        if (this.isP(g, '$')) {
          this.next();
          this.varRef(g, ctx);
          return false;
        }
        if (!this.isP(g, '{')) this.unexpected(g, "'{'");
        this.elementSink = { family: set.family, table: set.table.name, set: set.name.name };
        set.elements = this.setList(ctx, set.kind === 'map' && /^verdict$/.test(set.valueType?.name.trim() ?? ''));
        return true;
      }
      case 'include':
        this.include();
        return false;
      case 'define':
      case 'redefine':
      case 'undefine':
        this.define(ctx);
        return false;
    }
    this.unexpected(t);
  }

  /** `ipv4_addr . inet_service` or (typeof) `ip saddr . tcp dport`. */
  private typeExpr(ctx: Ctx, isTypeof: boolean): void {
    for (;;) {
      if (isTypeof) this.selector(ctx, true);
      else {
        const t = this.peek();
        if (t.kind !== 'string') this.unexpected(t, 'string');
        this.next();
      }
      if (this.isP(this.peek(), '.')) {
        this.next();
        continue;
      }
      return;
    }
  }

  // ---------------------------------------------------------------- rules
  /** A rule up to its separator; undefined when it had a syntax problem. */
  private rule(ctx: Ctx, start: Token, command: NftCommand | undefined): NftRule | undefined {
    const first = this.peek();
    const statements: NftStatement[] = [];
    let comment: NftName | undefined;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || this.isSep(t) || this.isP(t, '}')) break;
      if (this.isKw(t, 'comment')) {
        this.next();
        const c = this.peek();
        if (c.kind !== 'quoted' && !this.isIdent(c)) this.unexpected(c, 'quoted string');
        comment = nameOf(this.next());
        const n = this.peek();
        if (!(n.kind === 'eof' || this.isSep(n) || this.isP(n, '}'))) this.unexpected(n);
        break;
      }
      statements.push(this.statement(ctx));
    }
    if (statements.length === 0 && !comment) {
      this.unexpected(this.peek());
    }
    const last = this.prev();
    return { ...spanOf(command ? start : first, last), family: ctx.family ?? 'ip', table: ctx.table!, chain: ctx.chain!, command, statements, comment };
  }

  private stmtEnd(t: Token): boolean {
    return t.kind === 'eof' || this.isSep(t) || this.isP(t, '}');
  }

  private statement(ctx: Ctx): NftStatement {
    const prev = this.selTrail;
    const trail: NftStatement[] = [];
    this.selTrail = trail;
    try {
      const st = this.statementInner(ctx);
      if (trail.length) st.inner = [...(st.inner ?? []), ...trail];
      return st;
    } finally {
      this.selTrail = prev;
    }
  }

  private statementInner(ctx: Ctx): NftStatement {
    const t = this.peek();
    const kw = t.kind === 'string' ? t.text : '';
    const mk = (kind: NftStatement['kind']): NftStatement => ({
      ...spanOf(t, this.prev()),
      keyword: t.kind === 'punct' && t.text === '$' ? '$' : t.text,
      kind,
      terminal: kind === 'verdict' ? kw !== 'continue' : TERMINAL.has(kw),
    });
    if (t.kind === 'string' && isKeyword(kw)) {
      switch (kw) {
        case 'accept':
        case 'drop':
        case 'continue':
        case 'return':
          this.next();
          return mk('verdict');
        case 'jump':
        case 'goto': {
          this.next();
          const n = this.peek();
          if (this.isP(n, '{')) {
            this.skipGroup(ctx);
          } else if (this.isP(n, '$')) {
            this.next();
            this.varRef(n, ctx);
          } else if (this.isIdent(n)) {
            this.next();
            this.chainRef(t, n, ctx);
          } else this.unexpected(n, this.stmtEnd(n) ? "'{'" : undefined);
          return mk('verdict');
        }
        case 'queue':
          this.next();
          this.words(ctx, W0);
          return mk('stmt');
        case 'counter': {
          this.next();
          const a = this.peek();
          if (this.isKw(a, 'name')) {
            this.next();
            this.valueExpr(ctx);
          } else if (this.isKw(a, 'packets')) {
            this.next();
            if (this.peek().kind !== 'number') this.unexpected(this.peek(), 'number');
            this.next();
            if (!this.isKw(this.peek(), 'bytes')) this.unexpected(this.peek(), 'bytes');
            this.next();
            if (this.peek().kind !== 'number') this.unexpected(this.peek(), 'number');
            this.next();
          }
          return mk('stmt');
        }
        case 'log':
          this.next();
          this.words(ctx, W1);
          return mk('stmt');
        case 'limit':
          this.next();
          if (this.isKw(this.peek(), 'rate')) {
            this.next();
            if (this.isKw(this.peek(), 'over') || this.isKw(this.peek(), 'until')) this.next();
            if (this.peek().kind !== 'number') this.unexpected(this.peek(), 'number');
          }
          this.words(ctx, W2, true);
          return mk('stmt');
        case 'quota':
          this.next();
          if (!this.isKw(this.peek(), 'name')) {
            if (this.isKw(this.peek(), 'over') || this.isKw(this.peek(), 'until')) this.next();
            if (this.peek().kind !== 'number') this.unexpected(this.peek(), 'number');
          }
          this.words(ctx, W3, true);
          return mk('stmt');
        case 'reject': {
          this.next();
          let rejectWith = '';
          if (this.isKw(this.peek(), 'with')) {
            this.next();
            const f = this.peek();
            if (!(this.isKw(f, 'icmp') || this.isKw(f, 'icmpv6') || this.isKw(f, 'icmpx') || this.isKw(f, 'tcp'))) this.unexpected(f);
            this.next();
            rejectWith = f.text;
            if (f.text === 'tcp') {
              if (!this.isKw(this.peek(), 'reset')) this.unexpected(this.peek(), 'reset');
              this.next();
            } else {
              if (this.isKw(this.peek(), 'type')) this.next();
              const v = this.peek();
              if (this.stmtEnd(v)) this.unexpected(v);
              this.valuePrimary(ctx);
            }
          }
          const rst = mk('stmt');
          if (rejectWith) rst.selector = `reject ${rejectWith}`;
          return rst;
        }
        case 'snat':
        case 'dnat':
        case 'masquerade':
        case 'redirect':
        case 'tproxy':
        case 'dup':
        case 'fwd': {
          this.next();
          const a = this.peek();
          let famWord = '';
          if ((this.isKw(a, 'ip') || this.isKw(a, 'ip6')) && this.isKw(this.peek(1), 'to')) {
            famWord = a.text;
            this.next();
          }
          let natValue: (Span & { text: string }) | undefined;
          if (this.isKw(this.peek(), 'to')) {
            this.next();
            const v = this.peek();
            this.valueExpr(ctx);
            natValue = { ...spanOf(v, this.prev()), text: this.text.slice(v.s, this.prev().e) };
          } else if (kw === 'snat' || kw === 'dnat') {
            // `snat 1.2.3.4`, `dnat tcp dport map {...}` (no `to`): older syntax nft still takes
            const v = this.peek();
            if (!this.stmtEnd(v) && !(v.kind === 'string' && STMT_ONLY.has(v.text))) this.valueExpr(ctx);
          }
          if ((kw === 'dup' || kw === 'fwd') && this.isKw(this.peek(), 'device')) {
            this.next();
            this.valueExpr(ctx);
          }
          this.words(ctx, W4);
          const st = mk('stmt');
          st.selector = famWord ? `${kw} ${famWord}` : kw;
          if (natValue) st.value = natValue;
          return st;
        }
        case 'notrack':
          this.next();
          return mk('stmt');
        case 'synproxy':
          this.next();
          this.words(ctx, W5);
          return mk('stmt');
        case 'secmark':
          this.next();
          this.words(ctx, W6);
          return mk('stmt');
        case 'meter': {
          this.next();
          this.ident();
          if (this.isKw(this.peek(), 'size')) {
            this.next();
            this.next();
          }
          if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
          this.skipGroup(ctx);
          return mk('stmt');
        }
        case 'add':
        case 'update':
        case 'delete': {
          this.next();
          const at = this.peek();
          if (!this.isP(at, '@')) this.unexpected(at, "'@'");
          this.next();
          this.setRef(at, ctx);
          if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
          this.next();
          // one element: a key expression, a map value, statements; all on one line
          const k = this.peek();
          const kStart = this.i;
          this.lhsExpr(ctx);
          const inner: NftStatement = {
            ...spanOf(k, this.prev()),
            keyword: k.text,
            kind: 'match',
            terminal: false,
            selector: this.toks.slice(kStart, Math.min(this.i, kStart + 2)).map((x) => x.text).join(' '),
          };
          this.elementOptions(ctx);
          if (this.isP(this.peek(), ':')) {
            this.next();
            this.valueExpr(ctx);
            this.elementOptions(ctx);
          }
          for (;;) {
            const n = this.peek();
            if (this.isP(n, '}')) break;
            if (n.kind === 'newline' || n.kind === 'eof') this.unexpected(n, "'}'");
            this.statement(ctx);
          }
          this.next();
          const st = mk('stmt');
          st.inner = [inner];
          return st;
        }
        case 'flow': {
          this.next();
          const a = this.peek();
          if (this.isKw(a, 'add') || this.isKw(a, 'offload')) this.next();
          else this.unexpected(a);
          const at = this.peek();
          if (!this.isP(at, '@')) this.unexpected(at, "'@'");
          this.next();
          this.ident();
          return mk('stmt');
        }
        case 'xt':
          this.next();
          while (!this.stmtEnd(this.peek())) this.next();
          return mk('stmt');
      }
      if (!this.startsSelector(t)) this.unexpected(t);
      return this.exprStatement(ctx, t, mk);
    }
    if (t.kind === 'string' && !isKeyword(kw)) {
      // a word nft cannot take as a statement: it reads a symbol, then wants a value
      const n = this.peek(1);
      if (this.stmtEnd(n) || (n.kind === 'string' && isKeyword(n.text) && !RELOP_WORDS.has(n.text))) {
        this.next();
        this.unexpected(n);
      }
      this.problem(t, 'No symbol type information', 'nft-symbol-type');
      throw new Bail();
    }
    if (this.isP(t, '$') || t.kind === 'number' || this.isP(t, '@') || this.isP(t, '(') || this.isP(t, '{')) return this.exprStatement(ctx, t, mk);
    this.unexpected(t);
  }

  private exprStatement(ctx: Ctx, t: Token, mk: (kind: NftStatement['kind']) => NftStatement): NftStatement {
    const lhsStart = this.i;
    const done = this.lhsExpr(ctx);
    if (done) return mk('stmt');
    const selector = this.toks
      .slice(lhsStart, Math.min(this.i, lhsStart + 2))
      .map((k) => k.text)
      .join(' ');
    const withValue = (kind: NftStatement['kind'], v: Token): NftStatement => {
      const st = mk(kind);
      st.selector = selector;
      const last = this.prev();
      st.value = { ...spanOf(v, last), text: this.text.slice(v.s, last.e) };
      return st;
    };
    const o = this.peek();
    if (this.isKw(o, 'set')) {
      this.next();
      const v = this.peek();
      this.valueExpr(ctx);
      return withValue('set', v);
    }
    if (this.isKw(o, 'vmap')) {
      this.next();
      const v = this.peek();
      if (!(this.isP(v, '{') || this.isP(v, '@') || this.isP(v, '$'))) this.unexpected(v, "@ or '{' or '$'");
      this.keyed(ctx, this.components, true);
      return withValue('vmap', v);
    }
    if ((o.kind === 'punct' && RELOPS.has(o.text)) || (o.kind === 'string' && RELOP_WORDS.has(o.text))) {
      this.next();
    } else if (this.isP(o, '!') ) {
      this.next();
    }
    const v = this.peek();
    if (this.stmtEnd(v)) this.unexpected(v);
    if (this.isP(v, '{')) this.elementSink = { family: ctx.family ?? 'ip', table: ctx.table?.name ?? '', kinds: this.components };
    this.valueExpr(ctx);
    void t;
    return withValue('match', v);
  }

  /** Consumes option words (and their values) of a statement. */
  private words(ctx: Ctx, allowed: readonly string[], units = false): void {
    let set = WORD_SETS.get(allowed);
    if (!set) WORD_SETS.set(allowed, (set = new Set(allowed)));
    for (;;) {
      const t = this.peek();
      if (t.kind === 'string' && set.has(t.text)) {
        this.next();
        if ((t.text === 'name' || t.text === 'to' || t.text === 'num') && !this.stmtEnd(this.peek())) this.valueExpr(ctx);
        continue;
      }
      if (this.isP(t, '-') && this.prev().kind !== 'number') this.unexpected(t, 'number');
      if (t.kind === 'number' || t.kind === 'quoted' || this.isP(t, '/') || this.isP(t, ',') || this.isP(t, '-')) {
        this.next();
        continue;
      }
      if (this.isP(t, '$')) {
        this.next();
        this.varRef(t, ctx);
        continue;
      }
      // values of options (level warn, flags all, name foo): a plain word right after an option
      const p = this.prev();
      if (this.plain(t) && p.kind === 'string' && set.has(p.text)) {
        this.next();
        continue;
      }
      if (this.plain(t) && this.isP(p, ',')) {
        this.next();
        continue;
      }
      // units after a number: 10/second, 1 mbytes (limit, quota)
      if (units && t.kind === 'string' && (p.kind === 'number' || this.isP(p, '/')) && /^[a-z]+$/.test(t.text) && !isKeyword(t.text)) {
        this.next();
        continue;
      }
      return;
    }
  }

  /** Flag words alone, and words followed by one value (a number or a word). */
  private opts2(flags: string[], valued: string[]): void {
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'string') return;
      if (flags.includes(t.text)) {
        this.next();
        continue;
      }
      if (valued.includes(t.text)) {
        this.next();
        const v = this.peek();
        if (v.kind === 'number' || (v.kind === 'string' && !isKeyword(v.text))) this.next();
        continue;
      }
      return;
    }
  }

  /** Whether a keyword opens a selector (an expression on the left of a match). */
  private startsSelector(t: Token): boolean {
    const w = t.text;
    return (
      w in PROTO_FIELDS ||
      LOOSE_SELECTORS.has(w) ||
      META_UNQUALIFIED.has(w) ||
      OTHER_SELECTORS.has(w)
    );
  }

  /**
   * The left side of a match or set statement: a selector, with binary operators and
   * concatenations. Returns true when the selector was a whole statement (`ct count over 2`).
   */
  private lhsExpr(ctx: Ctx): boolean {
    const comps: string[] = [];
    let from = this.i;
    const close = (): void => {
      comps.push(this.toks.slice(from, this.i).map((k) => k.text).join(' '));
    };
    if (this.selectorOrValue(ctx)) return true;
    for (;;) {
      const o = this.peek();
      if ((o.kind === 'punct' && (BINOPS.has(o.text) || o.text === '.')) || (o.kind === 'string' && BINOP_WORDS.has(o.text))) {
        if (o.text === '.') {
          close();
          this.next();
          from = this.i;
        } else this.next();
        const n = this.peek();
        if (this.stmtEnd(n)) this.unexpected(n);
        this.selectorOrValue(ctx);
        continue;
      }
      if (this.isKw(o, 'map')) {
        close();
        this.next();
        this.keyed(ctx, comps.splice(0));
        from = this.i;
        continue;
      }
      close();
      this.components = comps;
      return false;
    }
  }

  /** A map or set value keyed by expressions of these kinds (selector texts). */
  private keyed(ctx: Ctx, comps: string[], verdicts = false): void {
    if (this.isP(this.peek(), '{')) {
      this.elementSink = { family: ctx.family ?? 'ip', table: ctx.table?.name ?? '', kinds: comps };
      this.setList(ctx, verdicts);
    } else this.valuePrimary(ctx);
  }

  private selectorOrValue(ctx: Ctx): boolean {
    const t = this.peek();
    if (t.kind === 'string' && isKeyword(t.text) && this.startsSelector(t)) return this.selector(ctx, false);
    this.valuePrimary(ctx);
    return false;
  }

  /** A selector (`tcp dport`, `meta mark`, `ct original saddr`...). */
  private selector(ctx: Ctx, inTypeof: boolean): boolean {
    const t = this.next();
    const w = t.text;
    if (w in PROTO_FIELDS) {
      const f = this.peek();
      const fields = PROTO_FIELDS[w];
      if (f.kind === 'string' && fields.has(f.text)) {
        this.next();
        if (!inTypeof) this.selTrail?.push({ ...spanOf(t, f), keyword: w, kind: 'match', terminal: false, selector: `${w} ${f.text}` });
        if (f.text === 'option' || (w === 'sctp' && f.text === 'chunk')) {
          const o = this.peek();
          if (o.kind === 'string') this.next();
          const fld = this.peek();
          if (fld.kind === 'string' && !this.stmtEnd(this.peek(1)) && /^(kind|length|size|count|left|right|tsval|tsecr|value|type|ptr|addr|subtype|flags|tsn|stream|ssn|ppid|init-tag|a-rwnd|cum-tsn-ack)$/.test(fld.text)) this.next();
        }
        return false;
      }
      if (f.kind === 'string' && !isKeyword(f.text)) {
        this.unexpected(f);
      }
      if (f.kind === 'string' && (f.text === 'type' || f.text === 'flags')) {
        // `ether type`, `tcp flags` (initial-state keywords)
        this.unexpected(f);
      }
      this.unexpected(f);
    }
    if (w === 'meta') {
      const k = this.peek();
      if (k.kind !== 'string') this.unexpected(k);
      if (!META_KEYS.has(k.text)) {
        this.problem(
          { ...k, s: t.s, line: t.line, col: t.col },
          `syntax error, unexpected ${k.text}, known keys are ${META_KEYS_MESSAGE}`,
        );
        throw new Bail();
      }
      this.next();
      return false;
    }
    if (w === 'ct') {
      if (this.isKw(this.peek(), 'original') || this.isKw(this.peek(), 'reply')) this.next();
      const k = this.peek();
      if (k.kind !== 'string') this.unexpected(k);
      if (!CT_KEYS.has(k.text)) this.unexpected(k);
      this.next();
      if (k.text === 'ip' || k.text === 'ip6') {
        const f = this.peek();
        if (f.kind !== 'string') this.unexpected(f);
        this.next();
      }
      if (k.text === 'count' && !inTypeof) {
        if (this.isKw(this.peek(), 'over')) this.next();
        const n = this.peek();
        if (n.kind !== 'number') this.unexpected(n);
        this.next();
        return true;
      }
      return false;
    }
    if (META_UNQUALIFIED.has(w) || w === 'priority' || w === 'random') return false;
    if (LOOSE_SELECTORS.has(w)) {
      if (w === 'rt' && (this.isKw(this.peek(), 'ip') || this.isKw(this.peek(), 'ip6'))) this.next();
      const f = this.peek();
      if (f.kind !== 'string') this.unexpected(f);
      this.next();
      return false;
    }
    switch (w) {
      case 'fib': {
        for (;;) {
          const f = this.peek();
          if (f.kind !== 'string') this.unexpected(f);
          this.next();
          if (this.isP(this.peek(), '.')) {
            this.next();
            continue;
          }
          break;
        }
        const r = this.peek();
        if (!(this.isKw(r, 'type') || this.isKw(r, 'oif') || this.isKw(r, 'oifname'))) {
          if (this.isKw(r, 'check')) {
            this.problem(r, `syntax error, unexpected string, expecting type or oif or oifname (${NEWER}: \`fib ... check\`; 1.0.6 spells it \`oif\`)`);
            throw new Bail();
          }
          this.unexpected(r, 'type or oif or oifname');
        }
        this.next();
        return false;
      }
      case 'numgen':
      case 'symhash':
        this.opts2(['inc', 'random'], ['mod', 'offset']);
        return false;
      case 'osf':
        this.opts2(['name', 'version'], ['ttl']);
        return false;
      case 'socket':
        this.opts2(['transparent', 'mark', 'wildcard'], ['cgroupv2', 'level']);
        return false;
      case 'ipsec': {
        this.opts2(['in', 'out', 'reqid', 'spi'], ['spnum']);
        const a = this.peek();
        if ((this.isKw(a, 'ip') || this.isKw(a, 'ip6')) && this.peek(1).kind === 'string') {
          this.next();
          this.next();
        }
        return false;
      }
      case 'exthdr':
        this.opts2(['hbh', 'rt', 'frag', 'dst', 'mh', 'rt0', 'rt2', 'srh', 'exists', 'missing'], []);
        return false;
      case 'jhash': {
        this.lhsExpr(ctx);
        this.opts2([], ['mod', 'seed', 'offset']);
        return false;
      }
    }
    return false;
  }

  /** A value: primaries joined by `,` `-` `/` `.` `:` and binary operators, with `map` lookups. */
  private valueExpr(ctx: Ctx, inSet = false): void {
    let start = this.i;
    this.valuePrimary(ctx, inSet);
    for (;;) {
      const o = this.peek();
      if (
        (o.kind === 'punct' && VALUE_CONT.has(o.text) && !(inSet && (o.text === ',' || o.text === ':'))) ||
        (o.kind === 'string' && BINOP_WORDS.has(o.text))
      ) {
        const a = this.prev();
        this.next();
        if (o.text === ':') start = this.i;
        const n = this.peek();
        if (this.stmtEnd(n)) this.unexpected(n);
        // a prefix length too big for a number is a string to nft: it wants a number there
        if (o.text === '/' && n.kind === 'string' && /^(\d+|0[xX][0-9a-fA-F]+)$/.test(n.text)) this.unexpected(n, 'number');
        this.valuePrimary(ctx, inSet);
        if (o.text === '-') this.rangeCheck(a, n, this.prev());
        if (o.text === '/' && n.kind === 'number' && this.prev() === n && a.kind === 'string') {
          const bits = /^\d{1,3}(\.\d{1,3}){3}$/.test(a.text) ? 32 : isIp6(a.text) ? 128 : 0;
          const len = parseNum(n.text);
          if (bits && len > BigInt(bits)) {
            this.out.problems.push({ ...spanOf(a, n), message: `Prefix length ${len} is invalid for type of ${bits} bits width`, code: 'nft-value-range' });
          }
        }
        continue;
      }
      if (this.isKw(o, 'map')) {
        const comps = this.toks
          .slice(start, this.i)
          .map((k) => k.text)
          .join(' ')
          .split(' . ');
        this.next();
        this.keyed(ctx, comps);
        start = this.i;
        continue;
      }
      return;
    }
  }

  private valuePrimary(ctx: Ctx, inSet = false): void {
    const t = this.peek();
    if (this.isP(t, '{')) {
      this.setList(ctx);
      return;
    }
    if (this.isP(t, '(')) {
      this.next();
      this.valueExpr(ctx);
      const c = this.peek();
      if (!this.isP(c, ')')) this.unexpected(c, "')'");
      this.next();
      return;
    }
    if (t.kind === 'string' && SELECTOR_ONLY.has(t.text)) {
      this.selector(ctx, false);
      return;
    }
    void inSet;
    if (this.isP(t, '@')) {
      this.next();
      const n = this.peek();
      if (n.kind === 'string' && /^(ll|nh|th)$/.test(n.text) && this.isP(this.peek(1), ',')) {
        this.next();
        while (this.isP(this.peek(), ',') && this.peek(1).kind === 'number') {
          this.next();
          this.next();
        }
        return;
      }
      this.setRef(t, ctx);
      return;
    }
    if (this.isP(t, '$')) {
      this.next();
      this.varRef(t, ctx);
      return;
    }
    if (this.isP(t, '-')) this.unexpected(t);
    if ((this.isP(t, ':') && this.isKw(this.prev(), 'to')) || this.isP(t, '!')) {
      this.next();
      this.valuePrimary(ctx);
      return;
    }
    if (t.kind === 'number' || t.kind === 'quoted' || t.kind === 'asterisk') {
      this.next();
      return;
    }
    if (t.kind === 'string') {
      if (!isKeyword(t.text)) {
        this.next();
        return;
      }
      if (STMT_ONLY.has(t.text) || NOT_VALUE.has(t.text)) this.unexpected(t);
      if (this.startsSelector(t) && this.selectorFollows(t)) {
        this.selector(ctx, false);
        return;
      }
      this.next();
      return;
    }
    this.unexpected(t);
  }

  /** `a-b` with a > b: nft says the range has zero or negative size. */
  private rangeCheck(a: Token, b: Token, last: Token): void {
    if (b !== last) return;
    const va = rangeValue(a);
    const vb = rangeValue(b);
    if (va === undefined || vb === undefined || va <= vb) return;
    this.out.problems.push({ ...spanOf(a, b), message: 'Range has zero or negative size', code: 'nft-value-range' });
  }

  /**
   * A set or map list `{ a, b : c, ... }`: elements separated by commas, at most one newline
   * at a time between them (nft's opt_newline), each with its options (timeout, expires,
   * comment, counter...) and, in a map, `: value`.
   */
  private setList(ctx: Ctx, verdicts = false): Span {
    const sink = this.elementSink;
    this.elementSink = undefined;
    const open = this.next();
    let sawNl = false;
    const nl = (afterOpen: boolean): void => {
      if (this.peek().kind !== 'newline') return;
      this.next();
      if (this.peek().kind === 'newline') this.unexpected(this.peek(), afterOpen ? undefined : "comma or '}'");
      sawNl = true;
    };
    nl(true);
    for (;;) {
      const t = this.peek();
      if (this.isP(t, '}')) break;
      this.element(ctx, verdicts, sink);
      nl(false);
      const c = this.peek();
      if (this.isP(c, '}')) break;
      if (!this.isP(c, ',')) this.unexpected(c, "comma or '}'");
      this.next();
      nl(false);
    }
    void sawNl;
    const close = this.next();
    return spanOf(open, close);
  }

  private element(ctx: Ctx, verdicts: boolean, sink: ElementSink | undefined): void {
    const t = this.peek();
    if (this.isP(t, '*')) this.next();
    else this.valueExpr(ctx, true);
    if (sink) {
      const last = this.prev();
      this.out.elements.push({ family: sink.family, table: sink.table, set: sink.set, kinds: sink.kinds, key: { ...spanOf(t, last), text: this.text.slice(t.s, last.e) } });
    }
    this.elementOptions(ctx);
    if (this.isP(this.peek(), ':')) {
      this.next();
      const v = this.peek();
      if (verdicts && !['accept', 'drop', 'continue', 'return', 'jump', 'goto', 'queue'].includes(v.text)) this.unexpected(v);
      if (this.isKw(v, 'accept') || this.isKw(v, 'drop') || this.isKw(v, 'continue') || this.isKw(v, 'return')) this.next();
      else if (this.isKw(v, 'jump') || this.isKw(v, 'goto')) {
        this.next();
        const n = this.peek();
        if (this.isP(n, '$')) {
          this.next();
          this.varRef(n, ctx);
        } else if (this.isIdent(n)) {
          this.next();
          this.chainRef(v, n, ctx);
        } else this.unexpected(n);
      } else this.valueExpr(ctx, true);
      this.elementOptions(ctx);
    }
  }

  private elementOptions(ctx: Ctx): void {
    for (;;) {
      const t = this.peek();
      if (this.isKw(t, 'timeout') || this.isKw(t, 'expires')) {
        this.next();
        const v = this.peek();
        if (v.kind !== 'number' && !this.plain(v)) this.unexpected(v);
        this.next();
        continue;
      }
      if (this.isKw(t, 'comment')) {
        this.next();
        const c = this.peek();
        if (c.kind !== 'quoted' && !this.isIdent(c)) this.unexpected(c, 'quoted string');
        this.next();
        continue;
      }
      if (this.isKw(t, 'counter') || this.isKw(t, 'limit') || this.isKw(t, 'quota')) {
        this.statement(ctx);
        continue;
      }
      return;
    }
  }

  /** Whether a selector keyword in value position is followed by one of its fields. */
  private selectorFollows(t: Token): boolean {
    const n = this.peek(1);
    const w = t.text;
    if (w in PROTO_FIELDS) return n.kind === 'string' && PROTO_FIELDS[w].has(n.text);
    if (w === 'meta') return n.kind === 'string' && META_KEYS.has(n.text);
    if (w === 'ct') return n.kind === 'string' && CT_KEYS.has(n.text);
    if (META_UNQUALIFIED.has(w) || w === 'priority' || w === 'random') return false;
    if (LOOSE_SELECTORS.has(w)) return n.kind === 'string' && !isKeyword(n.text);
    return ['fib', 'numgen', 'jhash', 'symhash', 'osf', 'socket', 'ipsec', 'exthdr'].includes(w) && n.kind === 'string';
  }
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

/** Parses a whole nftables file. Never throws. */
export function parseNft(text: string, opts: ParseOptions = {}): NftFile {
  const p = new Parser(text, opts);
  try {
    return p.parse();
  } catch {
    return p.out;
  }
}
