/**
 * The chains of a document as a graph, per table: -j/-g edges between chains, the built-in
 * hooks each user chain is reached from, loops, undeclared and unused chains, and the
 * checks along one chain's rules (unreachable rules, overwritten mark writes). Pure.
 *
 * Speed: a dump has 150,000 rule lines and this runs on every keystroke. Each entry is
 * reduced once to an `Item` (chain names, targets, a few flags, columns) from its raw line,
 * re-parsing only the few lines that need it (mark rules, plain verdicts). Items are cached
 * per document and matched to the next revision by entry identity (the document keeps the
 * entry objects of lines an edit did not touch): only the touched window is reduced again,
 * and when its items mean the same as before (typing inside a rule without changing a chain
 * name, a target or a mark) the file-level findings are reused and only their columns are
 * read again from the new items.
 *
 * Scripts: chains are per program (iptables/ip6tables) and table, and `shellChains` follows
 * them top to bottom as iptables meets them (undeclared-chain: never created, created only
 * later, deleted or renamed before; unused-chain), conservative where functions, branches,
 * loops or shell expansions make the running order or the names unknown. Addresses
 * (address-family) come from -s/-d, DNAT/SNAT, NETMAP, TPROXY and iprange; a save file's
 * family from its header, else `FlowOptions.family` (the file's name), else the majority.
 */
import { TABLES } from '../knowledge/commands';
import { Entry, RuleDocument, parseSaveLine } from '../syntax/document';
import { LineRef, scanSaveRuleLine, ruleRefs } from '../syntax/chainIndex';
import { Rule } from '../syntax/rule';
import { Word } from '../syntax/lexer';
import { MarkOp } from '../../marks/marks';
import { Finding, Severity } from '../syntax/lineFindings';
import { CORE_OPTIONS } from '../knowledge/commands';

/** A range on an entry: line offset, start, end line offset, end. */
type R = [number, number, number, number];

interface Jump {
  name: string;
  goto: boolean;
  /** line offset (shell continuations), start, end */
  l: number;
  s: number;
  e: number;
}

/** An address an option names: its family, text, place, how the option reads it, and its value (`group`: the value's column). */
type Addr = { fam: 4 | 6; text: string; r: R; kind: AddrKind; group: number; bracket: boolean };

/** What one entry means to the file-level checks (one object shape for all: a dump has 150,000). */
export interface Item {
  k: 'table' | 'commit' | 'decl' | 'rule' | 'other';
  /** table name (table items; shell rules: their -t table). */
  table: string | undefined;
  /** The chain a rule is added to / the chain declared / a command's chain, and its place. */
  chain: string | undefined;
  cl: number;
  cs: number;
  ce: number;
  /** -A (append) or -I (insert) for rules; N (declare) P (policy) X (other command) E (rename). */
  cmd: 'A' | 'I' | 'N' | 'P' | 'X' | 'E' | undefined;
  policy: string | undefined;
  jumps: Jump[] | undefined;
  /** A built-in target (ACCEPT, MARK, DNAT...). */
  target: string | undefined;
  /** The whole rule (save files: its line without the indentation). */
  ws: number;
  we: number;
  /** No match at all (a comment aside): every packet that reaches the rule takes it. */
  plain: boolean;
  /** Reads marks (a mark/connmark/socket match) or has a target other than MARK/CONNMARK. */
  opaque: boolean;
  /** Mark ops (writes and tests) of the rule, with the range of their extension. */
  marks: { op: MarkOp; r: R }[] | undefined;
  /** Hook restrictions of its extensions. */
  needs: { ext: string; hooks: string[]; r: R }[] | undefined;
  /** Save files: how many IPv4 / IPv6 addresses its -s/-d name (places found again when needed). */
  a4: number;
  a6: number;
  /** ... and how many of the IPv4 ones are in IPv6 brackets (`[10.0.0.1]:80`, which iptables refuses). */
  b4: number;
  /** Shell scripts: the addresses themselves, and the program's family. */
  addrs: Addr[] | undefined;
  family: 0 | 4 | 6;
}

function mkItem(k: Item['k']): Item {
  return { k, table: undefined, chain: undefined, cl: 0, cs: 0, ce: 0, cmd: undefined, policy: undefined, jumps: undefined, target: undefined, ws: 0, we: 0, plain: false, opaque: false, marks: undefined, needs: undefined, a4: 0, a6: 0, b4: 0, addrs: undefined, family: 0 };
}

/** Where on its item a finding sits: read again from the item when it is shown (typing moves columns). */
type Src = 'chain' | 'jump' | 'whole' | 'need' | 'mark' | 'addr';

interface Pending {
  idx: number;
  src: Src;
  /** which jump, need, mark or address */
  k: number;
  code: string;
  severity: Severity;
  message: string;
}

export interface FlowOptions {
  /**
   * Report chains nothing jumps to (`unused-chain`). Off unless its severity setting turns
   * it on: in the corpus's complete iptables-save dumps it fires 73 times in 8 files, on
   * chains that ufw, shorewall and others declare and leave empty or unlinked.
   */
  unusedChain?: boolean;
  /**
   * Answer only when the cached graph pass still holds (typing inside a rule without
   * changing what the checks read); null when a full pass is due. The items are brought up
   * to date either way, so the full pass that follows has only the graph to redo.
   */
  quickOnly?: boolean;
  /**
   * The address family the file is loaded with when its name tells (`rules.v6`,
   * `ip6tables*`: 6; `rules.v4`, `iptables*`: 4; see `familyOfUri`). Save files only (a
   * script's commands name their program); an `# Generated by ip6tables-save` header wins.
   */
  family?: 4 | 6;
}

/**
 * The family a save file's name implies: `rules.v6`, `*.v6`, `ip6tables*` (and names
 * holding the word `ip6tables`, `/etc/sysconfig/ip6tables`) are IPv6; `rules.v4`, `*.v4`,
 * `iptables*` are IPv4; anything else says nothing.
 */
export function familyOfUri(uri: string): 4 | 6 | undefined {
  const name = (uri.split(/[/\\]/).pop() ?? '').toLowerCase();
  if (/\.v6$/.test(name) || /(?:^|[^a-z0-9])ip6tables/.test(name)) return 6;
  if (/\.v4$/.test(name) || /(?:^|[^a-z0-9])iptables/.test(name)) return 4;
  return undefined;
}

interface Cache {
  /**
   * The entries the items were made from, as a list of its own: the document swaps entries
   * in place in its list when typing stays inside lines, so comparing with its list would
   * see no change.
   */
  entries: Entry[];
  items: Item[];
  /** The graph pass's findings; undefined when a quick call found them out of date. */
  pending: Pending[] | undefined;
  /** The comment line above each table header, as read (the family hint). */
  heads: string[];
  unused: boolean;
  family: 0 | 4 | 6;
}

const caches = new WeakMap<RuleDocument, Cache>();

const TERMINAL = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN']);
const BUILTIN_ANY = new Set(Object.values(TABLES).flat());

/** The file-level findings of a document (see the header comment for the caching). */
export function flowFindings(doc: RuleDocument, opts: FlowOptions & { quickOnly: true }): Finding[] | null;
export function flowFindings(doc: RuleDocument, opts?: FlowOptions): Finding[];
export function flowFindings(doc: RuleDocument, opts: FlowOptions = {}): Finding[] | null {
  const unused = !!opts.unusedChain;
  const family = opts.family ?? 0;
  const entries = doc.entries;
  if (doc.format === 'listing') return [];
  const old = caches.get(doc);
  let items: Item[];
  let pending: Pending[] | undefined;
  let srcs: Entry[] | undefined;
  const heads = tableHeads(doc, entries);
  if (old && doc.format === 'save') {
    const oe = old.entries;
    let p = 0;
    const max = Math.min(oe.length, entries.length);
    while (p < max && oe[p] === entries[p]) p++;
    let q = 0;
    while (q < max - p && oe[oe.length - 1 - q] === entries[entries.length - 1 - q]) q++;
    const fresh: Item[] = [];
    for (let i = p; i < entries.length - q; i++) fresh.push(itemOf(doc, entries[i]));
    const same = oe.length === entries.length && fresh.every((it, k) => sameItem(it, old.items[p + k])) && heads.join('\n') === old.heads.join('\n');
    // the cache is this document's alone: patch its items in place
    items = old.items;
    if (oe.length === entries.length) {
      for (let k = 0; k < fresh.length; k++) {
        items[p + k] = fresh[k];
        oe[p + k] = entries[p + k];
      }
      srcs = oe;
    } else if (fresh.length < 4096) items.splice(p, old.items.length - q - p, ...fresh);
    else items = old.items.slice(0, p).concat(fresh, old.items.slice(old.items.length - q));
    if (same && old.unused === unused && old.family === family) pending = old.pending;
  } else items = entries.map((e) => itemOf(doc, e));
  srcs ??= entries.slice();
  if (!pending && opts.quickOnly) {
    caches.set(doc, { entries: srcs, items, pending: undefined, heads, unused, family });
    return null;
  }
  if (!pending) pending = analyzeItems(doc, entries, items, heads, unused, family);
  caches.set(doc, { entries: srcs, items, pending, heads, unused, family });
  const out: Finding[] = [];
  for (const f of pending) {
    const e = entries[f.idx];
    const r = rangeOf(doc, e, items[f.idx], f.src, f.k);
    if (!r) continue;
    out.push({ code: f.code, severity: f.severity, message: f.message, line: e.line + r[0], s: r[1], endLine: e.line + r[2], e: r[3] });
  }
  out.sort((a, b) => a.line - b.line || a.s - b.s || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return out;
}

function rangeOf(doc: RuleDocument, e: Entry, it: Item, src: Src, k: number): R | undefined {
  switch (src) {
    case 'chain':
      return [it.cl, it.cs, it.cl, it.ce];
    case 'whole':
      return [0, it.ws, 0, it.we];
    case 'jump': {
      const j = it.jumps?.[k];
      return j && [j.l, j.s, j.l, j.e];
    }
    case 'need':
      return it.needs?.[k]?.r;
    case 'mark':
      return it.marks?.[k]?.r;
    case 'addr':
      return (it.addrs ?? parsedAddrs(doc.lines[e.line]))[k]?.r;
  }
}

function tableHeads(doc: RuleDocument, entries: Entry[]): string[] {
  if (doc.format !== 'save') return [];
  const out: string[] = [];
  for (const e of entries) if (e.k === 'table') out.push(doc.lines[e.line - 1] ?? '');
  return out;
}

/** The same meaning for the file-level checks, and the same columns (findings keep them). */
function sameItem(a: Item, b: Item): boolean {
  if (a.k !== b.k || a.table !== b.table || a.chain !== b.chain || a.cmd !== b.cmd || a.policy !== b.policy || a.target !== b.target) return false;
  if (a.plain !== b.plain || a.opaque !== b.opaque || a.family !== b.family || a.a4 !== b.a4 || a.a6 !== b.a6 || a.b4 !== b.b4) return false;
  const aj = a.jumps ?? [];
  const bj = b.jumps ?? [];
  if (aj.length !== bj.length) return false;
  for (let i = 0; i < aj.length; i++) if (aj[i].name !== bj[i].name || aj[i].goto !== bj[i].goto) return false;
  if (JSON.stringify(a.marks?.map((m) => m.op) ?? null) !== JSON.stringify(b.marks?.map((m) => m.op) ?? null)) return false;
  if (JSON.stringify(a.needs?.map((n) => [n.ext, n.hooks]) ?? null) !== JSON.stringify(b.needs?.map((n) => [n.ext, n.hooks]) ?? null)) return false;
  if (JSON.stringify(a.addrs?.map((x) => x.text) ?? null) !== JSON.stringify(b.addrs?.map((x) => x.text) ?? null)) return false;
  return true;
}

const MARKISH = /(?:^|\s)(?:-[jgm]|--jump|--goto|--match)[\s=]+"?(?:MARK|CONNMARK|TPROXY|mark|connmark|socket)"?(?=\s|$)/;
/** `[counters] -A CHAIN [-m comment --comment X] -j|-g T [--reject-with X]`, nothing else. */
const PLAIN = /^\s*(?:\[\d+:\d+\]\s+)?-[AI]\s+\S+\s+(?:-m\s+comment\s+--comment\s+(?:"(?:[^"\\]|\\.)*"|[^\s"]+)\s+)?(?:-j\s+(?:ACCEPT|DROP|RETURN|REJECT(?:\s+--reject-with\s+\S+)?)|-g\s+\S+)\s*$/;
/** An -I rule line, in getopt's spellings too (`-IINPUT`, `--ins INPUT`, `--insert=INPUT`). */
const INSERT = /^\s*(?:\[\d+:\d+\]\s+)?(?:-I|--i(?:n(?:s(?:e(?:r(?:t)?)?)?)?)?(?=[\s=]))/;
/** The options naming addresses, as iptables-save writes them (abbreviations only in scripts, read from the parse). */
const ADDR = /(?:^|\s)(-[sd]|--source|--src|--destination|--dst|--to-destination|--to-source|--to|--on-ip|--src-range|--dst-range)\s+(?:!\s+)?([^\s"]+)/g;

function quotesBefore(line: string, pos: number): number {
  let n = 0;
  for (let i = line.indexOf('"'); i >= 0 && i < pos; i = line.indexOf('"', i + 1)) if (line.charCodeAt(i - 1) !== 92) n++;
  return n;
}

const famOf = (a: string): 0 | 4 | 6 => (a.includes(':') ? 6 : /^\d+\.\d+\.\d+\.\d+$/.test(a) ? 4 : 0);

/**
 * How an option reads an address, which decides iptables' words for one of the other family
 * (iptables 1.8.9, nf_tables, checked by loading them in a netns):
 * - host: `-s`/`-d`, a comma list of `addr[/mask]`: host/network `X' not found;
 * - nat: DNAT `--to-destination`, SNAT `--to-source`, `addr[-addr][:port[-port]]` or
 *   `[v6][-[v6]]:port`: Bad IP address "X" (iptables on `[...]`: Invalid address format);
 * - gai: NETMAP `--to`, TPROXY `--on-ip`, one address (getaddrinfo's error);
 * - src-range/dst-range: iprange's `from[-to]`.
 */
type AddrKind = 'host' | 'nat' | 'gai' | 'src-range' | 'dst-range';

const RAW_KIND: Record<string, AddrKind> = { '-s': 'host', '-d': 'host', '--source': 'host', '--src': 'host', '--destination': 'host', '--dst': 'host', '--to-destination': 'nat', '--to-source': 'nat', '--to': 'gai', '--on-ip': 'gai', '--src-range': 'src-range', '--dst-range': 'dst-range' };

/** The addresses of one option value (at column `at` of line offset `l`), each with its family. */
function valueAddrs(kind: AddrKind, text: string, at: number, out: Addr[], l = 0, exact = true): void {
  const push = (a: string, s: number, len: number, bracket = false) => {
    const fam = famOf(a);
    if (fam) out.push(exact ? { fam, text: a, r: [l, at + s, l, at + s + len], kind, group: l * 1e6 + at, bracket } : { fam, text: a, r: [l, at, l, at + text.length], kind, group: l * 1e6 + at, bracket });
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
function addrMessage(a: Addr, f: 4 | 6): string {
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
function rawAddrs(line: string): Addr[] {
  const out: Addr[] = [];
  if (line.indexOf('-s') < 0 && line.indexOf('-d') < 0 && line.indexOf('--to') < 0 && line.indexOf('--on-ip') < 0) return out;
  ADDR.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ADDR.exec(line))) {
    const at = m.index + m[0].length - m[2].length;
    if (line.indexOf('"') >= 0 && quotesBefore(line, at) % 2) continue;
    valueAddrs(RAW_KIND[m[1]], m[2], at, out);
  }
  return out;
}

const EXT_ADDR = new Map<string, Map<string, AddrKind>>([
  ['DNAT', new Map([['to-destination', 'nat']])],
  ['SNAT', new Map([['to-source', 'nat']])],
  ['NETMAP', new Map([['to', 'gai']])],
  ['TPROXY', new Map([['on-ip', 'gai']])],
  ['iprange', new Map<string, AddrKind>([['src-range', 'src-range'], ['dst-range', 'dst-range']])],
]);

/** The addresses of a parsed rule, in word order within each option. */
function ruleAddrs(rule: Rule, out: Addr[]): void {
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
function parsedAddrs(line: string): Addr[] {
  const out: Addr[] = [];
  const e = parseSaveLine(line, 0);
  if (e && e.k === 'rule') ruleAddrs(e.rule, out);
  return out;
}

function itemOf(doc: RuleDocument, e: Entry): Item {
  switch (e.k) {
    case 'table': {
      const it = mkItem('table');
      it.table = e.name.text;
      return it;
    }
    case 'commit':
      return mkItem('commit');
    case 'chain': {
      const it = mkItem('decl');
      it.chain = e.name.text;
      it.cs = e.name.s;
      it.ce = e.name.e;
      it.cmd = 'N';
      it.policy = e.policy && e.policy.text !== '-' ? e.policy.text : undefined;
      return it;
    }
    case 'rule': {
      if (doc.format === 'save') return saveRuleItem(doc.lines[e.line], e);
      const it = ruleItem(e.rule, e.family, e.rule.table?.text ?? 'filter');
      needsOf(e, it);
      return it;
    }
    default:
      return mkItem('other');
  }
}

function needsOf(e: Entry, it: Item): void {
  for (const f of e.findings ?? []) {
    if (f.needs?.hooks) (it.needs ??= []).push({ ext: f.needs.ext, hooks: f.needs.hooks, r: [f.line, f.s, f.endLine, f.e] });
  }
}

const scratch: LineRef[] = [];

function saveRuleItem(line: string, e: Entry): Item {
  const refs = scratch;
  refs.length = 0;
  scanSaveRuleLine(line, refs);
  const it = mkItem('rule');
  let hasTarget = false;
  let terminal = false;
  for (const r of refs) {
    switch (r.kind) {
      case 'rule':
        it.chain = r.name;
        it.cs = r.s;
        it.ce = r.e;
        break;
      case 'declare':
        it.chain = r.name;
        it.cs = r.s;
        it.ce = r.e;
        it.cmd = it.cmd === 'X' ? 'E' : 'N';
        break;
      case 'command':
        it.chain = r.name;
        it.cs = r.s;
        it.ce = r.e;
        it.cmd = r.policy !== undefined ? 'P' : 'X';
        if (r.policy !== undefined) it.policy = r.policy;
        break;
      case 'target':
        it.target = r.name;
        hasTarget = true;
        if (TERMINAL.has(r.name)) terminal = true;
        break;
      case 'jump':
      case 'goto':
        (it.jumps ??= []).push({ name: r.name, goto: r.kind === 'goto', l: 0, s: r.s, e: r.e });
        hasTarget = true;
        if (r.kind === 'goto') terminal = true;
        break;
    }
  }
  if (it.chain !== undefined && it.cmd === undefined) it.cmd = INSERT.test(line) ? 'I' : 'A';
  let s = 0;
  while (s < line.length && (line.charCodeAt(s) === 32 || line.charCodeAt(s) === 9)) s++;
  let end = line.length;
  while (end > s && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9 || line.charCodeAt(end - 1) === 13)) end--;
  it.ws = s;
  it.we = end;
  if (MARKISH.test(line)) {
    const full = parseSaveLine(line, 0);
    if (full && full.k === 'rule') {
      const fr = ruleItem(full.rule, 4, '');
      it.marks = fr.marks;
      it.opaque = fr.opaque;
      it.plain = fr.plain;
    } else it.opaque = true;
  } else {
    it.opaque = hasTarget;
    it.plain = terminal && PLAIN.test(line);
  }
  for (const a of rawAddrs(line)) {
    if (a.fam === 6) it.a6++;
    else {
      it.a4++;
      if (a.bracket) it.b4++;
    }
  }
  needsOf(e, it);
  return it;
}

/** The item of a parsed rule (shell scripts, and save lines that need the parse). */
function ruleItem(rule: Rule, family: 4 | 6, table: string): Item {
  const refs: LineRef[] = [];
  ruleRefs(rule, refs);
  const it = mkItem('rule');
  it.table = table;
  it.family = family;
  const c = rule.command;
  if (c) {
    const kind = c.spec.kind;
    it.cmd = kind === 'append' ? 'A' : kind === 'insert' ? 'I' : kind === 'new' ? 'N' : kind === 'policy' ? 'P' : kind === 'rename' ? 'E' : 'X';
    if (c.chain && !c.chain.unknown) {
      it.chain = c.chain.text;
      it.cl = c.chain.l;
      it.cs = c.chain.s;
      it.ce = c.chain.e;
    }
    if (kind === 'policy' && c.extra[0]) it.policy = c.extra[0].text;
    // a script command's 'whole' range: its command word (`-X` of a bare -X)
    if (c.word.l === 0) {
      it.ws = c.word.s;
      it.we = c.word.e;
    }
  }
  let opaque = false;
  for (const x of rule.exts) {
    if (x.kind !== 'target') continue;
    if (x.name.unknown) {
      opaque = true;
      continue;
    }
    const goto = x.via.text === '-g' || x.via.text.startsWith('--g');
    const r = refs.find((f) => f.s === x.name.s && f.name === x.name.text);
    if (r && r.kind === 'target') it.target = r.name;
    else (it.jumps ??= []).push({ name: x.name.text, goto, l: x.name.l, s: x.name.s, e: x.name.e });
  }
  let matches = false;
  for (const o of rule.core) {
    const k = CORE_OPTIONS[o.key]?.canonical ?? o.key;
    if (k === '--jump' || k === '--goto' || k === '--match' || k === '--set-counters' || k === '--table' || k === '--wait' || k === '--verbose') continue;
    matches = true;
  }
  for (const x of rule.exts) {
    const n = x.name.text;
    if (x.kind === 'match') {
      if (n !== 'comment') matches = true;
      if (n === 'mark' || n === 'connmark' || n === 'socket' || x.name.unknown) opaque = true;
    } else if (n !== 'MARK' && n !== 'CONNMARK') opaque = true;
  }
  it.plain = !matches;
  const addrs: Addr[] = [];
  ruleAddrs(rule, addrs);
  if (addrs.length) it.addrs = addrs;
  for (const m of rule.marks) {
    if (m.result === 'unknown' || 'message' in m.result) {
      opaque = true;
      continue;
    }
    const x = rule.exts[m.extIndex];
    (it.marks ??= []).push({ op: m.result, r: [x.name.l, x.name.s, x.name.el, x.name.e] });
  }
  it.opaque = opaque;
  return it;
}

// ---------------------------------------------------------------------------------------
// the file-level checks, on chain numbers

/** One table's chains as numbers: names, declarations, rules and -j/-g edges. */
class Graph {
  ids = new Map<string, number>();
  names: string[] = [];
  builtin: boolean[] = [];
  /** first declaration: item index, or -1 */
  decl: number[] = [];
  /** first place: item index and (for a jump) jump number, or -1 */
  useItem: number[] = [];
  useJump: number[] = [];
  jumped: number[] = [];
  unordered: boolean[] = [];
  eFrom: number[] = [];
  eTo: number[] = [];
  eItem: number[] = [];
  eJ: number[] = [];
  rChain: number[] = [];
  rItem: number[] = [];
  constructor(
    readonly name: string,
    readonly complete: boolean,
  ) {}

  id(name: string): number {
    let i = this.ids.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.ids.set(name, i);
      this.names.push(name);
      this.builtin.push(TABLES[this.name]?.includes(name) ?? false);
      this.decl.push(-1);
      this.useItem.push(-1);
      this.useJump.push(-1);
      this.jumped.push(0);
      this.unordered.push(false);
    }
    return i;
  }
}

/** Compressed lists: for each key k, vals[off[k] .. off[k+1]) in push order. */
function group(n: number, keys: number[], vals: number[]): { off: Int32Array; vals: Int32Array } {
  const off = new Int32Array(n + 1);
  for (const k of keys) off[k + 1]++;
  for (let i = 0; i < n; i++) off[i + 1] += off[i];
  const fill = off.slice(0, n);
  const out = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) out[fill[keys[i]]++] = vals[i];
  return { off, vals: out };
}

function analyzeItems(doc: RuleDocument, entries: Entry[], items: Item[], heads: string[], unused: boolean, family: 0 | 4 | 6): Pending[] {
  const out: Pending[] = [];
  const shell = doc.format === 'shell';
  const graphs: Graph[] = [];
  const byName = new Map<string, Graph>();
  let cur: Graph | undefined;
  let tableNo = 0;
  const addrLines: number[] = [];
  let n4 = 0;
  let n6 = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.k === 'table') {
      cur = new Graph(it.table!, /^# Generated by ip6?tables-save\b/.test(heads[tableNo++] ?? ''));
      graphs.push(cur);
      continue;
    }
    if (it.k === 'commit') {
      cur = undefined;
      continue;
    }
    if (it.k !== 'decl' && it.k !== 'rule') continue;
    let g = cur;
    if (shell) {
      // iptables and ip6tables keep apart chains of the same name
      const t = it.table ?? 'filter';
      const key = it.family === 6 ? '6 ' + t : t;
      g = byName.get(key);
      if (!g) {
        byName.set(key, (g = new Graph(t, false)));
        graphs.push(g);
      }
    }
    if (!g) continue;
    if (it.a4 || it.a6 || it.addrs) {
      addrLines.push(i);
      n4 += it.a4;
      n6 += it.a6;
    }
    if (it.chain === undefined) continue;
    const c = g.id(it.chain);
    switch (it.cmd) {
      case 'N':
      case 'E':
        if (g.decl[c] < 0) g.decl[c] = i;
        // (a script's second -N: shellChains, which knows what -X and -E removed in between)
        else if (it.cmd === 'N' && !shell) out.push({ idx: i, src: 'chain', k: 0, code: 'chain-redeclared', severity: 'warning', message: `Chain ${it.chain} is declared a second time in table ${g.name}: iptables-restore accepts it, the second declaration changes nothing` });
        if (it.cmd === 'E') g.unordered[c] = true;
        if (it.policy && it.k === 'decl' && !g.builtin[c] && !BUILTIN_ANY.has(it.chain)) {
          out.push({ idx: i, src: 'chain', k: 0, code: 'user-chain-policy', severity: 'warning', message: `${it.chain} is a user chain: iptables-restore ignores its policy ${it.policy} (only built-in chains have one; a packet that reaches its end returns to the calling chain)` });
        }
        break;
      case 'P':
        if (!g.builtin[c] && !BUILTIN_ANY.has(it.chain) && g.name in TABLES) out.push({ idx: i, src: 'chain', k: 0, code: 'user-chain-policy', severity: 'warning', message: `iptables: Bad built-in chain name. (${it.chain} is a user chain: only built-in chains have a policy)` });
        break;
      case 'A':
      case 'I':
        g.rChain.push(c);
        g.rItem.push(i);
        if (g.useItem[c] < 0) g.useItem[c] = i;
        if (it.cmd === 'I') g.unordered[c] = true;
        break;
      default:
        g.unordered[c] = true;
        break;
    }
    const js = it.jumps;
    if (js) {
      for (let k = 0; k < js.length; k++) {
        const t = g.id(js[k].name);
        g.jumped[t]++;
        if (g.useItem[t] < 0) {
          g.useItem[t] = i;
          g.useJump[t] = k;
        }
        g.eFrom.push(c);
        g.eTo.push(t);
        g.eItem.push(i);
        g.eJ.push(k);
      }
    }
  }
  for (const g of graphs) checkTable(g, items, out, shell, unused);
  if (shell) shellChains(doc, entries, items, unused, out);
  checkFamilies(doc, entries, items, addrLines, n4, n6, heads, family, out);
  return out;
}


function checkTable(g: Graph, items: Item[], out: Pending[], shell: boolean, unused: boolean): void {
  if (!(g.name in TABLES)) return;
  const n = g.names.length;
  const declared = (c: number) => g.builtin[c] || g.decl[c] >= 0;
  for (let c = 0; c < n; c++) {
    const name = g.names[c];
    if (!g.builtin[c] && BUILTIN_ANY.has(name)) {
      const d = g.decl[c];
      const idx = d >= 0 ? d : g.useItem[c];
      if (idx >= 0) {
        const viaJump = d < 0 && g.useJump[c] >= 0;
        out.push({ idx, src: viaJump ? 'jump' : 'chain', k: viaJump ? g.useJump[c] : 0, code: 'builtin-chain-table', severity: 'warning', message: `Table ${g.name} has no built-in chain ${name}: iptables-nft makes it a user chain (\`:${name} - [0:0]\`, any policy ignored), which no packet enters unless a rule jumps to it` });
      }
    }
    if (unused && g.complete && !g.builtin[c] && g.decl[c] >= 0 && g.jumped[c] === 0) {
      const d = g.decl[c];
      out.push({ idx: d, src: 'chain', k: 0, code: 'unused-chain', severity: 'hint', message: `Chain ${name} is never jumped to (-j/-g) in table ${g.name}: no packet goes through it` });
    }
  }
  if (!shell) {
    for (let k = 0; k < g.rChain.length; k++) {
      const c = g.rChain[k];
      if (declared(c)) continue;
      const i = g.rItem[k];
      out.push({ idx: i, src: 'chain', k: 0, code: 'undeclared-chain', severity: 'warning', message: `No chain/target/match by that name: chain ${g.names[c]} is not declared in table ${g.name} (iptables-restore fails here, unless the chain already exists and the file is loaded with --noflush)` });
    }
    for (let k = 0; k < g.eTo.length; k++) {
      const t = g.eTo[k];
      if (declared(t)) continue;
      out.push({ idx: g.eItem[k], src: 'jump', k: g.eJ[k], code: 'undeclared-chain', severity: 'warning', message: `Chain '${g.names[t]}' does not exist: it is not declared in table ${g.name} (iptables-restore fails here, unless the chain already exists and the file is loaded with --noflush)` });
    }
  }
  // a jump or goto to a built-in chain: the kernel refuses it
  for (let k = 0; k < g.eTo.length; k++) {
    const t = g.eTo[k];
    if (g.builtin[t]) out.push({ idx: g.eItem[k], src: 'jump', k: g.eJ[k], code: 'builtin-jump', severity: 'error', message: `RULE_APPEND failed (Operation not supported): ${g.names[t]} is a built-in chain of table ${g.name}, no rule may jump or go to it` });
  }
  const eIdx = g.eFrom.map((_, k) => k);
  const adj = group(n, g.eFrom, eIdx);
  // reachability from each built-in chain (hook), with the chain each was reached from
  const hooks = TABLES[g.name];
  const reach = new Uint8Array(n);
  const preds: Int32Array[] = [];
  const queue = new Int32Array(n);
  hooks.forEach((h, hi) => {
    const pred = new Int32Array(n).fill(-1);
    preds.push(pred);
    const start = g.ids.get(h);
    if (start === undefined) return;
    let qn = 0;
    queue[qn++] = start;
    for (let qi = 0; qi < qn; qi++) {
      const v = queue[qi];
      for (let a = adj.off[v]; a < adj.off[v + 1]; a++) {
        const t = g.eTo[adj.vals[a]];
        if (g.builtin[t] || reach[t] & (1 << hi)) continue;
        reach[t] |= 1 << hi;
        pred[t] = v;
        queue[qn++] = t;
      }
    }
  });
  const path = (c: number, hi: number): string => {
    const seq = [g.names[c]];
    let v = c;
    for (let k = 0; k < 64; k++) {
      const p = preds[hi][v];
      if (p < 0 || g.builtin[p]) break;
      seq.unshift(g.names[p]);
      v = p;
    }
    return `${hooks[hi]} via ${seq.join(' -> ')}`;
  };
  // extensions the kernel refuses from a hook that reaches the user chain
  for (let k = 0; k < g.rChain.length; k++) {
    const c = g.rChain[k];
    if (!reach[c]) continue;
    const it = items[g.rItem[k]];
    if (!it.needs) continue;
    for (let q = 0; q < it.needs.length; q++) {
      const nd = it.needs[q];
      const hi = hooks.findIndex((h, x) => reach[c] & (1 << x) && !nd.hooks.includes(h));
      if (hi >= 0) out.push({ idx: g.rItem[k], src: 'need', k: q, code: 'target-hook', severity: 'error', message: `RULE_APPEND failed (Invalid argument): ${nd.ext} is only valid in ${nd.hooks.join(', ')}, not in ${hooks[hi]}: chain ${g.names[c]} is reached from ${path(c, hi)}` });
    }
  }
  loops(g, adj, items, reach, hooks, out, shell);
  // a script's lines need not run in file order (functions, branches): save files only
  if (!shell) sequences(g, items, out);
}

/**
 * A script runs its commands in order: when does each chain become reachable from a hook?
 * Edges taken in file order; a chain is reached by the first jump that links it to a hook
 * through jumps already made. Per chain: that jump (-1: never reached) and its hook.
 */
function reachOrder(g: Graph, hooks: readonly string[]): { by: Int32Array; hook: Int32Array } {
  const n = g.names.length;
  const by = new Int32Array(n).fill(-1);
  const hook = new Int32Array(n).fill(-1);
  const reached = new Uint8Array(n);
  hooks.forEach((h, hi) => {
    const c = g.ids.get(h);
    if (c !== undefined && !reached[c]) {
      reached[c] = 1;
      hook[c] = hi;
    }
  });
  const order = g.eFrom.map((_, k) => k).sort((a, b) => g.eItem[a] - g.eItem[b] || g.eJ[a] - g.eJ[b]);
  // the jumps made so far, by their chain
  const out: number[][] = Array.from({ length: n }, () => []);
  const stack: number[] = [];
  for (const k of order) {
    const f = g.eFrom[k];
    const t = g.eTo[k];
    if (g.builtin[t]) continue;
    out[f].push(t);
    if (!reached[f] || reached[t]) continue;
    reached[t] = 1;
    by[t] = k;
    hook[t] = hook[f];
    stack.push(t);
    while (stack.length) {
      const v = stack.pop()!;
      for (const w of out[v]) {
        if (reached[w]) continue;
        reached[w] = 1;
        by[w] = k;
        hook[w] = hook[v];
        stack.push(w);
      }
    }
  }
  return { by, hook };
}

function loops(g: Graph, adj: { off: Int32Array; vals: Int32Array }, items: Item[], reach: Uint8Array, hooks: readonly string[], out: Pending[], shell = false): void {
  const n = g.names.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const work: number[] = [];
  const cursor = new Int32Array(n);
  let counter = 0;
  let comps = 0;
  const cyclic: number[] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] >= 0 || g.builtin[root]) continue;
    work.push(root);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    cursor[root] = adj.off[root];
    while (work.length) {
      const v = work[work.length - 1];
      if (cursor[v] < adj.off[v + 1]) {
        const w = g.eTo[adj.vals[cursor[v]++]];
        if (g.builtin[w]) continue;
        if (index[w] < 0) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          cursor[w] = adj.off[w];
          work.push(w);
        } else if (onStack[w] && index[w] < low[v]) low[v] = index[w];
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1];
        if (low[v] < low[u]) low[u] = low[v];
      }
      if (low[v] === index[v]) {
        let size = 0;
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = comps;
          size++;
        } while (w !== v);
        // a component of one chain is a loop only when it jumps to itself
        let self = false;
        if (size === 1) for (let a = adj.off[v]; a < adj.off[v + 1]; a++) if (g.eTo[adj.vals[a]] === v) self = true;
        if (size > 1 || self) cyclic.push(comps);
        comps++;
      }
    }
  }
  if (!cyclic.length) return;
  const isCyclic = new Uint8Array(comps);
  for (const c of cyclic) isCyclic[c] = 1;
  // per cyclic component: the jump inside it that comes last in the file closes the loop
  const closing = new Int32Array(comps).fill(-1);
  const hookOf = new Int32Array(comps).fill(-1);
  for (let k = 0; k < g.eFrom.length; k++) {
    const f = g.eFrom[k];
    const t = g.eTo[k];
    if (comp[f] < 0 || comp[f] !== comp[t] || !isCyclic[comp[f]]) continue;
    const cc = comp[f];
    if (closing[cc] < 0 || g.eItem[k] > g.eItem[closing[cc]] || (g.eItem[k] === g.eItem[closing[cc]] && g.eJ[k] > g.eJ[closing[cc]])) closing[cc] = k;
  }
  for (let v = 0; v < n; v++) if (comp[v] >= 0 && isCyclic[comp[v]] && reach[v] && hookOf[comp[v]] < 0) hookOf[comp[v]] = 31 - Math.clz32(reach[v] & -reach[v]);
  // in a script, the command that fails is the later of the loop's closing jump and the
  // first jump that lets a hook reach the loop
  const order = shell ? reachOrder(g, hooks) : undefined;
  const later = (a: number, b: number) => g.eItem[a] > g.eItem[b] || (g.eItem[a] === g.eItem[b] && g.eJ[a] > g.eJ[b]);
  for (const cc of cyclic) {
    const k = closing[cc];
    if (k < 0) continue;
    const from = g.eFrom[k];
    const to = g.eTo[k];
    const cyc = cyclePath(g, adj, comp, to, from);
    const loopText = [...cyc, to].map((c) => g.names[c]).join(' -> ');
    const r = { src: 'jump' as const, k: g.eJ[k] };
    const hi = hookOf[cc];
    if (order && hi >= 0) {
      // the loop's chain reached first, by which jump
      let first = -1;
      for (let v = 0; v < n; v++) if (comp[v] === cc && order.by[v] >= 0 && (first < 0 || later(order.by[first], order.by[v]))) first = v;
      if (first >= 0 && later(order.by[first], k)) {
        const e = order.by[first];
        out.push({ idx: g.eItem[e], src: 'jump', k: g.eJ[e], code: 'jump-loop', severity: 'error', message: `RULE_APPEND failed (Too many links): this jump lets ${hooks[order.hook[first]]} reach the loop ${loopText}` });
        continue;
      }
    }
    if (hi >= 0) out.push({ idx: g.eItem[k], ...r, code: 'jump-loop', severity: 'error', message: `RULE_APPEND failed (Too many links): this jump closes the loop ${loopText}, which ${hooks[hi]} reaches` });
    else out.push({ idx: g.eItem[k], ...r, code: 'jump-loop', severity: 'warning', message: `This jump closes the loop ${loopText}: iptables-nft accepts it while no built-in chain reaches the loop, and fails with RULE_APPEND failed (Too many links) once one does` });
  }
}

/** A shortest path of chains from `from` to `to` inside one component. */
function cyclePath(g: Graph, adj: { off: Int32Array; vals: Int32Array }, comp: Int32Array, from: number, to: number): number[] {
  const prev = new Map<number, number>([[from, -1]]);
  const q = [from];
  for (let qi = 0; qi < q.length; qi++) {
    const v = q[qi];
    if (v === to) break;
    for (let a = adj.off[v]; a < adj.off[v + 1]; a++) {
      const w = g.eTo[adj.vals[a]];
      if (comp[w] === comp[from] && !prev.has(w)) {
        prev.set(w, v);
        q.push(w);
      }
    }
  }
  const seq: number[] = [];
  for (let v = to; v >= 0 && seq.length <= g.names.length; v = prev.get(v) ?? -1) seq.unshift(v);
  return seq;
}

/** Each chain's rules in order: unreachable rules, mark writes overwritten before any read. */
function sequences(g: Graph, items: Item[], out: Pending[]): void {
  const rules = group(g.names.length, g.rChain, g.rItem);
  for (let c = 0; c < g.names.length; c++) {
    if (g.unordered[c]) continue;
    const a0 = rules.off[c];
    const a1 = rules.off[c + 1];
    let stop: Item | undefined;
    let marks = false;
    for (let a = a0; a < a1; a++) {
      const idx = rules.vals[a];
      const it = items[idx];
      if (it.marks) marks = true;
      if (stop) {
        const verdict = stop.jumps?.length ? `-g ${stop.jumps[0].name}` : `-j ${stop.target}`;
        out.push({ idx, src: 'whole', k: 0, code: 'unreachable-rule', severity: 'warning', message: `Unreachable rule: every packet leaves chain ${g.names[c]} at the earlier \`${verdict}\` that has no match` });
        continue;
      }
      if (it.plain && ((it.target && TERMINAL.has(it.target) && !it.jumps) || (!it.target && it.jumps?.length === 1 && it.jumps[0].goto))) stop = it;
    }
    if (marks) overwritten(g.names[c], rules.vals.subarray(a0, a1), items, out);
  }
}

/** Mark writes fully overwritten by a later unconditional write of the chain before anything can read them. */
function overwritten(chain: string, rules: Int32Array, items: Item[], out: Pending[]): void {
  for (let a = 0; a < rules.length; a++) {
    const wa = items[rules[a]];
    const ms = wa.marks ?? [];
    for (let q = 0; q < ms.length; q++) {
      const ma = ms[q];
      const kind = ma.op.kind === 'xset' && ma.op.ext === 'MARK' ? 'nf' : ma.op.kind === 'ct-set' && !ma.op.shift ? 'ct' : null;
      if (!kind) continue;
      const op = ma.op as { value: number; mask: number };
      const touched = (op.mask | op.value) >>> 0;
      if (!touched) continue;
      for (let b = a + 1; b < rules.length; b++) {
        const wb = items[rules[b]];
        // anything that may read the mark or leave the chain: a mark/connmark/socket match, a
        // target other than MARK/CONNMARK, a jump or goto
        if (wb.opaque || wb.jumps?.length) break;
        const over = (wb.marks ?? []).find((mb) => (kind === 'nf' ? mb.op.kind === 'xset' && mb.op.ext === 'MARK' : mb.op.kind === 'ct-set' && !mb.op.shift) && ((touched & ~(mb.op as { mask: number }).mask) >>> 0) === 0);
        if (over && wb.plain) {
          out.push({ idx: rules[a], src: 'mark', k: q, code: 'mark-overwritten', severity: 'warning', message: `This ${kind === 'nf' ? 'MARK' : 'CONNMARK'} write is overwritten by a later rule of chain ${chain} that every packet takes (it sets every bit this one changes) before anything reads the mark` });
          break;
        }
        // CONNMARK save/restore read one mark to write the other
        if ((wb.marks ?? []).some((mb) => mb.op.kind !== 'xset' && mb.op.kind !== 'ct-set')) break;
      }
    }
  }
}

function checkFamilies(doc: RuleDocument, entries: Entry[], items: Item[], addrLines: number[], n4: number, n6: number, heads: string[], uriFamily: 0 | 4 | 6, out: Pending[]): void {
  if (!addrLines.length) return;
  let family: 0 | 4 | 6 = 0;
  if (doc.format === 'save') {
    // the header iptables-save wrote, else the file's name (rules.v6, ip6tables...), else
    // the majority: a file with both families' addresses fails in iptables-restore and in
    // ip6tables-restore alike, the minority is the mistake
    const six = heads.some((h) => /^#.*\bip6tables-save\b/.test(h));
    const four = heads.some((h) => /^#.*\biptables-save\b/.test(h));
    if (six !== four) family = six ? 6 : 4;
    else if (uriFamily) family = uriFamily;
    else if (n4 && n6 && n4 !== n6) family = n4 > n6 ? 4 : 6;
  }
  for (const idx of addrLines) {
    const it = items[idx];
    const f = it.family || family;
    if (!f) continue;
    // save lines only count their addresses: the lines flagged are few, place them with the parse
    if (!it.addrs && (f === 4 ? it.a6 + it.b4 : it.a4) === 0) continue;
    const addrs = it.addrs ?? parsedAddrs(doc.lines[entries[idx].line]);
    let group = -1;
    addrs.forEach((a, q) => {
      // iptables reads no `[...]` at all (Invalid address format), whatever is inside
      if (a.fam === f && !(f === 4 && a.bracket)) return;
      // iptables stops at the first bad address of a NAT or iprange value
      if (a.kind !== 'host' && a.group === group) return;
      group = a.group;
      out.push({ idx, src: 'addr', k: q, code: 'address-family', severity: 'error', message: addrMessage(a, f) });
    });
  }
}

// ---------------------------------------------------------------------------------------
// shell scripts: which chains exist when each command runs

/**
 * How deep each place of a script is in functions, branches, loops and brace groups, read
 * from keywords (`if`/`fi`, `case`/`esac`, `for`/`while`/`until`/`select`/`done`, `{`/`}`)
 * outside quotes, comments and here-documents. An approximation that errs towards "nested",
 * where the checks below say nothing.
 */
function shellDepth(lines: string[]): (line: number, col: number) => number {
  const start = new Int32Array(lines.length + 1);
  const events = new Map<number, number[]>();
  let depth = 0;
  for (let ln = 0; ln < lines.length; ln++) {
    start[ln] = depth;
    const text = lines[ln];
    if (text.indexOf('#') < 0 && !/\b(?:if|fi|case|esac|for|while|until|select|done)\b|[{}]|<</.test(text)) continue;
    // quotes and comments blanked (same length: columns hold)
    const clean = text.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, (q) => ' '.repeat(q.length)).replace(/(^|\s)#.*$/, (c, p: string) => p + ' '.repeat(c.length - p.length));
    const ev: number[] = [];
    const re = /[^\s;&|()<>]+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(clean))) {
      const w = m[0];
      const d = w === 'if' || w === 'case' || w === 'for' || w === 'while' || w === 'until' || w === 'select' || w === '{' ? 1 : w === 'fi' || w === 'esac' || w === 'done' || w === '}' ? -1 : 0;
      if (!d) continue;
      depth = Math.max(0, depth + d);
      ev.push(m.index, d);
    }
    if (ev.length) events.set(ln, ev);
    // a here-document's body is data
    const hd = /<<-?\s*(['"]?)(\w+)\1/.exec(clean);
    if (hd) {
      let k = ln + 1;
      while (k < lines.length && lines[k].trim() !== hd[2]) start[k++] = depth;
      if (k < lines.length) start[k] = depth;
      ln = k;
    }
  }
  start[lines.length] = depth;
  return (line, col) => {
    let d = start[line] ?? 0;
    const ev = events.get(line);
    if (ev) for (let i = 0; i < ev.length && ev[i] < col; i += 2) d = Math.max(0, d + ev[i + 1]);
    return d;
  };
}

interface ShellTable {
  table: string;
  family: 4 | 6;
  /** first creation (-N, or -E's new name) of each chain, anywhere in the script */
  made: Map<string, number>;
  /** chains made by -N: their item */
  declared: Map<string, number>;
  /** chains renamed away or deleted somewhere: not reported unused */
  away: Set<string>;
  jumped: Set<string>;
  /** a -N/-E whose name is a shell expansion: any chain may exist */
  unknownMake: boolean;
  /** a -j/-g whose target is a shell expansion: any chain may be jumped to */
  unknownJump: boolean;
}

/** A script's state at one command, top to bottom, per table. */
interface ShellNow {
  made: Set<string>;
  gone: Map<string, { idx: number; how: string }>;
  /** chains certain to exist now */
  sure: Set<string>;
  /** per chain, rules certainly in it now (top-level -A/-I since its last flush), with the line of the last */
  rules: Map<string, { n: number; line: number }>;
  /** per chain jumped to: the chains holding those jumps, with the line of one */
  refs: Map<string, Map<string, number>>;
}

/**
 * The rules a script has certainly added by now (a lower bound: only top-level -A/-I count;
 * anything that may remove rules where the order or the name is unknown forgets them all),
 * and -X of a chain that still holds rules or is jumped to: the kernel refuses it
 * (CHAIN_DEL failed (Device or resource busy)); a bare -X when any chain is so.
 */
function liveRules(sn: ShellNow, e: Extract<Entry, { k: 'rule' }>, c: NonNullable<Rule['command']>, top: boolean, idx: number, w: Word | undefined, renameFails: boolean, ipt: string, table: string, it: Item, out: Pending[]): boolean {
  const kind = c.spec.kind;
  const chain = c.chain && !c.chain.unknown ? c.chain.text : undefined;
  const forget = () => {
    sn.rules.clear();
    sn.refs.clear();
  };
  const drop = (ch: string) => {
    sn.rules.delete(ch);
    for (const m of sn.refs.values()) m.delete(ch);
  };
  const removes = kind === 'flush' || kind === 'delete' || kind === 'replace' || kind === 'delete-chain' || kind === 'rename';
  if (removes && (!top || c.chain?.unknown || w?.unknown)) {
    forget();
    return false;
  }
  if (!top) return false;
  const busy = (ch: string): string | undefined => {
    const r = sn.rules.get(ch);
    if (r && r.n > 0) return `${ch} still holds ${r.n === 1 ? 'a rule' : `${r.n} rules`} (line ${r.line + 1}); flush it first (-F ${ch})`;
    for (const [from, line] of sn.refs.get(ch) ?? []) return `${from} still jumps to ${ch} (line ${line + 1})`;
    return undefined;
  };
  switch (kind) {
    case 'append':
    case 'insert': {
      // counted only when it certainly loads: its chain and the chains it jumps to exist
      if (!chain || !(BUILTIN_ANY.has(chain) || sn.sure.has(chain))) return false;
      if ((it.jumps ?? []).some((j) => !sn.sure.has(j.name))) return false;
      const r = sn.rules.get(chain) ?? { n: 0, line: e.line };
      sn.rules.set(chain, { n: r.n + 1, line: e.line });
      for (const j of it.jumps ?? []) {
        let m = sn.refs.get(j.name);
        if (!m) sn.refs.set(j.name, (m = new Map()));
        m.set(chain, e.line);
      }
      return false;
    }
    case 'flush':
      if (chain) drop(chain);
      else forget();
      return false;
    case 'delete':
    case 'replace':
      if (chain) drop(chain);
      return false;
    case 'delete-chain': {
      if (chain) {
        const why = busy(chain);
        if (why) {
          out.push({ idx, src: 'chain', k: 0, code: 'chain-busy', severity: 'warning', message: `CHAIN_DEL failed (Device or resource busy): chain ${chain}: ${why}` });
          return true;
        }
        drop(chain);
        return false;
      }
      for (const ch of new Set([...sn.rules.keys(), ...sn.refs.keys()])) {
        if (BUILTIN_ANY.has(ch)) continue;
        const why = busy(ch);
        if (why) {
          out.push({ idx, src: 'whole', k: 0, code: 'chain-busy', severity: 'warning', message: `CHAIN_DEL failed (Device or resource busy): chain ${ch}: ${why}; ${ipt} -X deletes no chain of table ${table} then` });
          return true;
        }
      }
      forget();
      return false;
    }
    case 'rename': {
      if (!chain || !w || renameFails) return false;
      const r = sn.rules.get(chain);
      sn.rules.delete(chain);
      if (r) sn.rules.set(w.text, r);
      for (const m of sn.refs.values()) {
        const line = m.get(chain);
        if (line !== undefined) {
          m.delete(chain);
          m.set(w.text, line);
        }
      }
      const to = sn.refs.get(chain);
      sn.refs.delete(chain);
      if (to) sn.refs.set(w.text, to);
      return false;
    }
  }
  return false;
}

/**
 * A script's chains as iptables meets them, top to bottom (iptables fails on a rule for a
 * chain that does not exist: `No chain/target/match by that name.` for its own chain,
 * `Chain 'X' does not exist` for a -j/-g). Warnings, not errors: a script run before may have
 * made the chain. Conservative where the order of running is not the order of the text:
 * a chain created anywhere (in a function, a branch, a loop) counts as made; "created only
 * later" and "deleted before" are said only of commands outside any function, branch or
 * loop, and a deletion counts only there too; a name or table that is a shell expansion, or
 * an iptables-restore in the script, turns the checks it could affect off.
 */
function shellChains(doc: RuleDocument, entries: Entry[], items: Item[], unused: boolean, out: Pending[]): void {
  const restore = doc.lines.some((l) => /^[^#]*\bip6?tables(?:-legacy|-nft)?-(?:restore|apply)\b/.test(l));
  const tables = new Map<string, ShellTable>();
  const unknownTable = [false, false];
  const tableOf = (fam: 4 | 6, table: string): ShellTable => {
    const key = fam + table;
    let st = tables.get(key);
    if (!st) tables.set(key, (st = { table, family: fam, made: new Map(), declared: new Map(), away: new Set(), jumped: new Set(), unknownMake: false, unknownJump: false }));
    return st;
  };
  const rules: number[] = [];
  // lines no entry reads (a program the parser does not know, `"$IPT" -N X`) that may make a chain
  const covered = new Uint8Array(doc.lines.length);
  for (const e of entries) for (let l = e.line; l <= e.endLine && l < covered.length; l++) covered[l] = 1;
  const hidden = doc.lines.some((l, i) => !covered[i] && /(?:^|\s)(?:-N|--new)/.test(l) && !/^\s*#/.test(l));
  if (hidden) unknownTable[0] = unknownTable[1] = true;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.k !== 'rule') continue;
    // a command the parser does not read (`--new X`, `-NX`): it may make any chain
    if (!e.rule.command) {
      unknownTable[e.family === 6 ? 1 : 0] = true;
      continue;
    }
    rules.push(i);
    const c = e.rule.command;
    const kind = c.spec.kind;
    const tw = e.rule.table;
    if (tw?.unknown) {
      if (kind === 'new' || kind === 'rename') unknownTable[e.family === 6 ? 1 : 0] = true;
      continue;
    }
    const st = tableOf(e.family, tw?.text ?? 'filter');
    if (kind === 'new' || kind === 'rename') {
      const w = kind === 'new' ? c.chain : c.extra[0];
      if (!w || w.unknown) st.unknownMake = true;
      else {
        if (!st.made.has(w.text)) st.made.set(w.text, i);
        if (kind === 'new' && !st.declared.has(w.text)) st.declared.set(w.text, i);
      }
    }
    if ((kind === 'rename' || kind === 'delete-chain') && c.chain && !c.chain.unknown) st.away.add(c.chain.text);
    if (kind === 'append' || kind === 'insert' || kind === 'replace') {
      for (const x of e.rule.exts) if (x.kind === 'target' && x.name.unknown) st.unknownJump = true;
      for (const j of items[i].jumps ?? []) st.jumped.add(j.name);
    }
  }
  const depth = shellDepth(doc.lines);
  /** Runs where it stands, once, in text order: not in a function, branch, loop, or after `&&`/`||`. */
  const topLevel = (e: Extract<Entry, { k: 'rule' }>): boolean => {
    const prog = e.program;
    const at = prog ? doc.lines[e.line + prog.l]?.slice(0, prog.s) ?? '' : '';
    return !!prog && depth(e.line + prog.l, prog.s) === 0 && !/&&|\|\|/.test(at);
  };
  // a table whose rules or chains something not at top level removes (a function called
  // anywhere): nothing about it is certain at any point, so -X and -N/-E are not judged on it
  const unsure = new Set<ShellTable>();
  for (const i of rules) {
    const e = entries[i] as Extract<Entry, { k: 'rule' }>;
    const k = e.rule.command!.spec.kind;
    if (e.rule.table?.unknown || topLevel(e)) continue;
    if (k === 'flush' || k === 'delete' || k === 'replace' || k === 'delete-chain' || k === 'rename') unsure.add(tableOf(e.family, e.rule.table?.text ?? 'filter'));
  }
  // per table, top to bottom: chains made so far, removed so far, and certain to exist now
  const now = new Map<ShellTable, ShellNow>();
  for (const i of rules) {
    const e = entries[i] as Extract<Entry, { k: 'rule' }>;
    const c = e.rule.command!;
    const kind = c.spec.kind;
    if (e.rule.table?.unknown) continue;
    const st = tableOf(e.family, e.rule.table?.text ?? 'filter');
    let sn = now.get(st);
    if (!sn) now.set(st, (sn = { made: new Set(), gone: new Map(), sure: new Set(), rules: new Map(), refs: new Map() }));
    const top = topLevel(e);
    const ipt = e.family === 6 ? 'ip6tables' : 'iptables';
    const t = st.table === 'filter' ? '' : `-t ${st.table} `;
    const unknown = st.unknownMake || unknownTable[e.family === 6 ? 1 : 0];
    const sn2 = sn;
    const check = (name: string, src: 'chain' | 'jump', k: number) => {
      if (BUILTIN_ANY.has(name)) return;
      const said = src === 'chain' ? `${ipt}: No chain/target/match by that name.` : `Chain '${name}' does not exist`;
      const made = st.made.get(name);
      let why: string | undefined;
      if (made === undefined) {
        if (!restore && !unknown) why = `${said} (the script does not create ${name} in table ${st.table}: \`${ipt} ${t}-N ${name}\`; a warning, as a script run before may have)`;
      } else if (top && !unknown && !sn2.made.has(name)) why = `${said} (the script creates ${name} only later, at line ${entries[made].line + 1}: ${ipt} fails here when the script runs)`;
      else if (top && sn2.gone.has(name)) why = `${said} (${name} was ${sn2.gone.get(name)!.how}: ${ipt} fails here when the script runs)`;
      if (why) out.push({ idx: i, src, k, code: 'undeclared-chain', severity: 'warning', message: why });
    };
    // -F/-X/-E/-Z of a chain, and -D by number, need the chain to exist first
    const known = st.table in TABLES;
    const needsChain = kind === 'flush' || kind === 'delete-chain' || kind === 'rename' || kind === 'zero' || (kind === 'delete' && c.extra.length > 0);
    if (known && needsChain && c.chain && !c.chain.unknown) check(c.chain.text, 'chain', 0);
    const w = kind === 'new' ? c.chain : kind === 'rename' ? c.extra[0] : undefined;
    // -N of a chain certain to exist by then: Chain already exists. -E onto one: File exists.
    if (known && kind === 'new' && w && !w.unknown && top && sn.sure.has(w.text)) {
      out.push({ idx: i, src: 'chain', k: 0, code: 'chain-redeclared', severity: 'warning', message: `${ipt}: Chain already exists. (${w.text} is created a second time in table ${st.table})` });
    }
    const renameFails = known && kind === 'rename' && !!w && !w.unknown && top && sn.sure.has(w.text) && !BUILTIN_ANY.has(w.text);
    // -X of a chain that holds rules or is jumped to fails (and deletes nothing)
    const deleteFails = known && !unsure.has(st) && liveRules(sn, e, c, top, i, w, renameFails, ipt, st.table, items[i], out);
    // what certainly exists after this command (top-level commands only; else nothing is sure)
    if (deleteFails) {
      // nothing changes
    } else if (!top || unsure.has(st)) sn.sure.clear();
    else if (kind === 'new' && w && !w.unknown) sn.sure.add(w.text);
    else if (kind === 'rename' && !renameFails && c.chain && !c.chain.unknown) {
      const had = sn.sure.delete(c.chain.text);
      if (had && w && !w.unknown) sn.sure.add(w.text);
    } else if (kind === 'delete-chain') {
      if (!c.chain) sn.sure.clear();
      else if (!c.chain.unknown) sn.sure.delete(c.chain.text);
    }
    if (c.chain?.unknown || w?.unknown) sn.sure.clear();
    if (renameFails) {
      out.push({ idx: i, src: 'chain', k: 0, code: 'chain-redeclared', severity: 'warning', message: `${ipt}: File exists. (${w!.text} already exists in table ${st.table} when this renames ${c.chain?.text ?? ''} to it)` });
    } else if (w && !w.unknown) {
      sn.made.add(w.text);
      sn.gone.delete(w.text);
    }
    if (top && !renameFails && !deleteFails && (kind === 'rename' || kind === 'delete-chain')) {
      if (c.chain && !c.chain.unknown) sn.gone.set(c.chain.text, { idx: i, how: kind === 'rename' ? `renamed (-E) at line ${e.line + 1}` : `deleted (-X) at line ${e.line + 1}` });
      else if (!c.chain && kind === 'delete-chain') for (const n of sn.made) sn.gone.set(n, { idx: i, how: `deleted at line ${e.line + 1} (-X without a chain deletes every user chain)` });
    }
    if (kind !== 'append' && kind !== 'insert' && kind !== 'replace') continue;
    if (!known) continue;
    const it = items[i];
    if (c.chain && !c.chain.unknown && it.chain === c.chain.text) check(c.chain.text, 'chain', 0);
    (it.jumps ?? []).forEach((j, k) => check(j.name, 'jump', k));
  }
  if (!unused || restore) return;
  for (const st of tables.values()) {
    if (st.unknownJump || !(st.table in TABLES)) continue;
    for (const [name, idx] of st.declared) {
      if (st.jumped.has(name) || st.away.has(name) || BUILTIN_ANY.has(name)) continue;
      out.push({ idx, src: 'chain', k: 0, code: 'unused-chain', severity: 'hint', message: `Chain ${name} is never jumped to (-j/-g) in table ${st.table}: no packet goes through it` });
    }
  }
}
