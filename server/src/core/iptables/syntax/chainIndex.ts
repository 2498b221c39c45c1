/**
 * The chains of a document, per table: where each is declared, its policy, its rules and
 * every place that names it. Built once per document revision. Save files are scanned on
 * the raw line text (a 150,000-line dump is indexed without re-parsing its rules); shell
 * scripts, few lines long, read their parsed rules.
 */
import { COMMANDS, BUILTIN_TARGETS, TABLES } from '../knowledge/commands';
import { RuleDocument, parseSaveLine } from './document';
import { Rule } from './ruleTypes';
import { Word } from './lexer';

/**
 * How a place names a chain: its declaration (`:X`, `-N X`, the new name of `-E`), a rule's
 * own chain (`-A X`, `-I X`), a jump (`-j X`), a goto (`-g X`), or another command's argument.
 */
export type RefKind = 'declare' | 'rule' | 'jump' | 'goto' | 'command';

export interface ChainRef {
  kind: RefKind;
  line: number;
  s: number;
  /** Differs from `line` only for a word split by a shell continuation. */
  endLine: number;
  e: number;
}

export interface ChainInfo {
  table: string;
  name: string;
  builtin: boolean;
  /** The first declaration, if any. */
  decl?: ChainRef;
  policy?: string;
  /** Rules appended or inserted into the chain. */
  rules: number;
  /** Places that jump (`-j`) or go (`-g`) to the chain. */
  jumps: number;
  /**
   * Every place that names it, in line order, the declaration included, packed five numbers
   * a place (line, start, end line, end, kind): a dump's index holds numbers, not hundreds of
   * thousands of objects. All chains' places share one buffer. `chainRefs` unpacks them.
   */
  places: Int32Array;
  /** The first place that names it, and the first rule's chain word. */
  first?: ChainRef;
  firstRule?: ChainRef;
  /** `chainRefs`' answer, kept for the revision the index is of. */
  refsMemo?: ChainRef[];
  /** Runs of consecutive rules of this chain: first and last line of each, flat. */
  runs: number[];
  /** The chain's number in the index, in order of first appearance. */
  id: number;
}

export interface TableBlock {
  name: string;
  /** The `*table` line (save files) or the first line that uses the table (scripts). */
  line: number;
  /** The `COMMIT` line, or the last line of the block. */
  endLine: number;
  /** Range of the table's name on `line`, when it is a `*table` header. */
  nameRange?: { s: number; e: number };
  /** Chains in the order they first appear in this block. */
  chains: ChainInfo[];
}

export interface ChainIndex {
  revision: number;
  tables: TableBlock[];
  /** Table name, then chain name (listings: table ''). */
  byTable: Map<string, Map<string, ChainInfo>>;
  /**
   * Save files: user chains named like targets (`:LOG - [0:0]`) and the line declaring each
   * first; a `-j LOG` below it jumps to the chain (iptables-nft 1.8.9), so it is a reference.
   */
  shadowed?: Map<string, number>;
}

export const findChain = (index: ChainIndex, table: string, name: string): ChainInfo | undefined => index.byTable.get(table)?.get(name);

/** Every chain of every table. */
export function* allChains(index: ChainIndex): Iterable<ChainInfo> {
  for (const m of index.byTable.values()) yield* m.values();
}

const KINDS: readonly RefKind[] = ['declare', 'rule', 'jump', 'goto', 'command'];
const KIND_CODE: Record<string, number> = { declare: 0, rule: 1, jump: 2, goto: 3, command: 4 };

const CMDS = COMMANDS;
const TARGETS = BUILTIN_TARGETS;

export const isBuiltinChain = (table: string, name: string): boolean => TABLES[table]?.includes(name) ?? false;

/** One chain name or target on a line, as the line scanner sees it. */
export interface LineRef {
  kind: RefKind | 'target';
  s: number;
  e: number;
  name: string;
  /** For `-P CHAIN POLICY`: the policy. */
  policy?: string;
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 13;

/**
 * The chain names and targets of one save-file rule line, by plain string scanning (no
 * allocation but the names). A quoted chain or target name goes through the real parser.
 */
export function scanSaveRuleLine(line: string, out: LineRef[], prevChain?: string): void {
  if (line.charCodeAt(0) === 91 /* [ */ || GETOPT_SPELLING.test(line)) return parsedRefs(line, out);
  const from = out.length;
  if (quickScan(line, out, prevChain)) return;
  out.length = from;
  if (fastScan(line, out)) return;
  out.length = from;
  parsedRefs(line, out);
}

/** The same through the real parser (the reference the scanners are tested against). */
export function parsedRefs(line: string, out: LineRef[]): void {
  const e = parseSaveLine(line, 0);
  if (e && e.k === 'rule') ruleRefs(e.rule, out);
}

const TARGET_RE = / -(?:[jg] |-jump[ =]|-goto[ =])/g;

/**
 * Words the scanners leave to the parser: a cluster or attached value (`-AINPUT`, `-gX`,
 * `-nvL`) and a long name's prefix (`--app`, `--ju`), which getopt reads its own way.
 */
const GETOPT_SPELLING =
  /(?:^|\s)-[A-Za-z][^\s]|(?:^|\s)--(?:a|ap|app|appe|appen|i|in|ins|inse|inser|j|ju|jum|g|go|got|n|ne|new|new-|new-c|new-ch|new-cha|new-chai)(?:[\s=]|$)|(?:^|\s)--(?:append|insert|new-chain)=/;

/**
 * The common shape, `-A CHAIN ... -j TARGET` with single spaces, found with native string
 * search; false sends the line to the word-by-word scanner.
 */
function quickScan(line: string, out: LineRef[], prevChain?: string): boolean {
  if (line.charCodeAt(0) !== 45 || line.charCodeAt(2) !== 32 || line.indexOf('\t') >= 0) return false;
  const c = line.charCodeAt(1);
  if (c !== 65 /* A */ && c !== 73 /* I */) return false;
  let e = line.indexOf(' ', 3);
  if (e < 0) e = line.length;
  if (e === 3) return false;
  // the chain of the line above, again: no new string
  const name = prevChain !== undefined && prevChain.length === e - 3 && line.startsWith(prevChain, 3) ? prevChain : line.slice(3, e);
  if (name.indexOf('"') >= 0) return false;
  out.push({ kind: 'rule', s: 3, e, name });
  const hasQuote = line.indexOf('"', e) >= 0;
  // is a match inside a quoted part? Quotes open anywhere; `\\x` escapes inside them. The spans
  // are walked along with the matches (from the line's start each time is quadratic on a long line)
  let q = hasQuote ? line.indexOf('"') : -1;
  let qEnd = -1;
  const quotedAt = (pos: number): boolean => {
    while (q >= 0 && q < pos) {
      if (qEnd < q) {
        qEnd = q + 1;
        while (qEnd < line.length && line.charCodeAt(qEnd) !== 34) qEnd += line.charCodeAt(qEnd) === 92 ? 2 : 1;
      }
      if (pos < qEnd) return true;
      q = line.indexOf('"', qEnd + 1);
    }
    return false;
  };
  TARGET_RE.lastIndex = e;
  let m: RegExpExecArray | null;
  while ((m = TARGET_RE.exec(line))) {
    const at = m.index + 1;
    if (hasQuote && quotedAt(at)) continue;
    const ns = at + m[0].length - 1;
    if (line.charCodeAt(ns) === 32 || ns >= line.length) return false;
    let ne = line.indexOf(' ', ns);
    if (ne < 0) ne = line.length;
    const target = line.slice(ns, ne);
    if (target.indexOf('"') >= 0) return false;
    pushTarget(out, m[0].charCodeAt(2) === 103 || m[0].charCodeAt(3) === 103, ns, ne, target);
    TARGET_RE.lastIndex = ne;
  }
  return true;
}

/** Skip spaces from `i`; the start of the next word or -1. */
function wordStart(line: string, i: number): number {
  const n = line.length;
  while (i < n && isSpace(line.charCodeAt(i))) i++;
  return i < n ? i : -1;
}

/** The end of the word starting at `s`, as iptables-restore splits: a closing quote ends it. */
function wordEnd(line: string, s: number): number {
  const n = line.length;
  let i = s;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (isSpace(c)) return i;
    if (c === 34) {
      i++;
      while (i < n) {
        const q = line.charCodeAt(i);
        if (q === 92 && i + 1 < n) i += 2;
        else if (q === 34) return i + 1;
        else i++;
      }
      return n;
    }
    i++;
  }
  return n;
}

/** A name taken from the line; null when quoted (the caller falls back to the parser). */
function plainName(line: string, s: number, e: number): string | null {
  const t = line.slice(s, e);
  return t.indexOf('"') >= 0 ? null : t;
}

function fastScan(line: string, out: LineRef[]): boolean {
  let sawCommand = false;
  let s = wordStart(line, 0);
  while (s >= 0) {
    let e = wordEnd(line, s);
    const len = e - s;
    if (line.charCodeAt(s) !== 45 || len < 2) {
      s = wordStart(line, e);
      continue;
    }
    if (!sawCommand && len <= 15) {
      const spec = CMDS[line.slice(s, e)];
      if (spec) {
        sawCommand = true;
        if (spec.chainArg === 'none') {
          s = wordStart(line, e);
          continue;
        }
        const cs = wordStart(line, e);
        if (cs < 0) return true;
        if (spec.chainArg === 'optional' && line.charCodeAt(cs) === 45) {
          s = cs;
          continue;
        }
        const ce = wordEnd(line, cs);
        const name = plainName(line, cs, ce);
        if (name === null) return false;
        const kind: RefKind = spec.kind === 'append' || spec.kind === 'insert' ? 'rule' : spec.kind === 'new' ? 'declare' : 'command';
        const ref: LineRef = { kind, s: cs, e: ce, name };
        out.push(ref);
        e = ce;
        if (spec.kind === 'policy' || spec.kind === 'rename') {
          const ps = wordStart(line, ce);
          if (ps >= 0) {
            e = wordEnd(line, ps);
            const arg = plainName(line, ps, e);
            if (arg === null) return false;
            if (spec.kind === 'policy') ref.policy = arg;
            else out.push({ kind: 'declare', s: ps, e, name: arg });
          }
        }
        s = wordStart(line, e);
        continue;
      }
    }
    const c1 = line.charCodeAt(s + 1);
    let goto: boolean;
    let ns: number;
    if (len === 2 && (c1 === 106 /* j */ || c1 === 103) /* g */) {
      goto = c1 === 103;
      ns = wordStart(line, e);
      if (ns < 0) return true;
      e = wordEnd(line, ns);
    } else if (len >= 6 && c1 === 45 && (line.startsWith('--jump', s) || line.startsWith('--goto', s))) {
      goto = line.charCodeAt(s + 2) === 103;
      if (len === 6) {
        ns = wordStart(line, e);
        if (ns < 0) return true;
        e = wordEnd(line, ns);
      } else if (line.charCodeAt(s + 6) === 61 /* = */) ns = s + 7;
      else return false;
    } else {
      s = wordStart(line, e);
      continue;
    }
    const name = plainName(line, ns, e);
    if (name === null) return false;
    pushTarget(out, goto, ns, e, name);
    s = wordStart(line, e);
  }
  return true;
}

function pushTarget(out: LineRef[], goto: boolean, s: number, e: number, name: string): void {
  if (!goto && TARGETS.has(name)) out.push({ kind: 'target', s, e, name });
  else out.push({ kind: goto ? 'goto' : 'jump', s, e, name });
}

interface WordRef extends LineRef {
  word: Word;
}

/** The chain names and targets of a parsed rule, in source order. */
export function ruleRefs(rule: Rule, out: LineRef[]): void {
  const mine: WordRef[] = [];
  const add = (kind: LineRef['kind'], w: Word | undefined) => {
    if (w && !w.unknown) mine.push({ kind, s: w.s, e: w.e, name: w.text, word: w });
  };
  const c = rule.command;
  if (c && c.chain) {
    const k = c.spec.kind;
    add(k === 'append' || k === 'insert' ? 'rule' : k === 'new' ? 'declare' : 'command', c.chain);
    if (k === 'policy' && c.extra[0] && mine.length) mine[mine.length - 1].policy = c.extra[0].text;
    if (k === 'rename') add('declare', c.extra[0]);
  }
  for (const x of rule.exts) {
    if (x.kind !== 'target') continue;
    const goto = x.via.text === '-g' || x.via.text.startsWith('--g');
    if (x.name.unknown) continue;
    mine.push({
      kind: !goto && BUILTIN_TARGETS.has(x.name.text) ? 'target' : goto ? 'goto' : 'jump',
      s: x.name.s,
      e: x.name.e,
      name: x.name.text,
      word: x.name,
    });
  }
  mine.sort((a, b) => a.word.l - b.word.l || a.s - b.s);
  for (const m of mine) out.push(m);
}

/** Places as the builder collects them: six numbers a place, the chain's id last. */
const PLACE = 6;

class Builder {
  tables: TableBlock[] = [];
  shadowed = new Map<string, number>();
  /** Every chain, by id (creation order). */
  private chains: ChainInfo[] = [];
  /** Places of all chains in line order, packed in one growing buffer (no per-chain arrays to grow and collect). */
  private buf = new Int32Array(PLACE * 64); // grows by doubling: a small here-document needs little
  private n = 0;
  byTable = new Map<string, Map<string, ChainInfo>>();
  private lastTable = '';
  private lastMap: Map<string, ChainInfo> | undefined;
  /** The chain of the last rule while its run goes on. */
  private last: ChainInfo | null = null;

  private lastChain: ChainInfo | undefined;

  /** The chain of the last rule line, kept apart from jump targets: rules of one chain come in runs. */
  private lastRuleChain: ChainInfo | undefined;

  chain(table: string, name: string, block: TableBlock | undefined, rule = false): ChainInfo {
    // consecutive rules of one chain, or the same target again: no map lookup
    const lr = this.lastRuleChain;
    if (rule && lr && lr.name === name && lr.table === table) return lr;
    const lc = this.lastChain;
    if (lc && lc.name === name && lc.table === table) return lc;
    let m = table === this.lastTable ? this.lastMap : undefined;
    if (!m) {
      m = this.byTable.get(table);
      if (!m) this.byTable.set(table, (m = new Map()));
      this.lastTable = table;
      this.lastMap = m;
    }
    let c = m.get(name);
    if (!c) {
      // every field in the literal, so they all live in the object (one shape for all)
      c = {
        table,
        name,
        builtin: isBuiltinChain(table, name),
        decl: undefined,
        policy: undefined,
        rules: 0,
        jumps: 0,
        places: NO_PLACES,
        first: undefined,
        firstRule: undefined,
        refsMemo: undefined,
        runs: [],
        id: this.chains.length,
      };
      this.chains.push(c);
      m.set(name, c);
      block?.chains.push(c);
    }
    if (rule) this.lastRuleChain = c;
    else this.lastChain = c;
    return c;
  }

  /** A name on a rule spanning `line`..`endLine`; the word itself spans `wordLine`..`wordEndLine`. */
  add(table: string, block: TableBlock | undefined, r: LineRef, line: number, endLine = line, wordLine = line, wordEndLine = wordLine): ChainInfo {
    const c = this.chain(table, r.name, block, r.kind === 'rule');
    if (this.n + PLACE > this.buf.length) {
      const bigger = new Int32Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    const b = this.buf;
    const i = this.n;
    b[i] = wordLine;
    b[i + 1] = r.s;
    b[i + 2] = wordEndLine;
    b[i + 3] = r.e;
    b[i + 4] = KIND_CODE[r.kind];
    b[i + 5] = c.id;
    this.n = i + PLACE;
    if (!c.first || (r.kind === 'declare' && !c.decl) || (r.kind === 'rule' && !c.firstRule)) {
      const ref: ChainRef = { kind: r.kind as RefKind, line: wordLine, s: r.s, endLine: wordEndLine, e: r.e };
      c.first ??= ref;
      if (r.kind === 'declare') c.decl ??= ref;
      if (r.kind === 'rule') c.firstRule ??= ref;
    }
    switch (r.kind) {
      case 'rule': {
        c.rules++;
        if (this.last === c) c.runs[c.runs.length - 1] = endLine;
        else c.runs.push(line, endLine);
        this.last = c;
        return c;
      }
      case 'jump':
      case 'goto':
        c.jumps++;
        break;
      case 'command':
        if (r.policy !== undefined) c.policy = r.policy;
        break;
    }
    return c;
  }

  /** Something other than a rule of the last chain: the run ends. */
  breakRun(): void {
    this.last = null;
  }

  /** Hand each chain its places: one buffer for all, grouped by chain, in line order within each. */
  finish(): void {
    const count = new Int32Array(this.chains.length + 1);
    const b = this.buf;
    for (let i = 5; i < this.n; i += PLACE) count[b[i] + 1]++;
    for (let k = 1; k < count.length; k++) count[k] += count[k - 1];
    const packed = new Int32Array((this.n / PLACE) * 5);
    const next = count.slice();
    for (let i = 0; i < this.n; i += PLACE) {
      const o = next[b[i + 5]]++ * 5;
      packed[o] = b[i];
      packed[o + 1] = b[i + 1];
      packed[o + 2] = b[i + 2];
      packed[o + 3] = b[i + 3];
      packed[o + 4] = b[i + 4];
    }
    for (const c of this.chains) {
      const id = c.id;
      c.places = packed.subarray(count[id] * 5, count[id + 1] * 5);
      c.runs = c.runs.slice();
    }
  }
}

const NO_PLACES = new Int32Array(0);

/** Build the chain index of a document (call once per revision; see `NfRulesService.chains`). */
export function buildChainIndex(doc: RuleDocument): ChainIndex {
  const b = new Builder();
  if (doc.format === 'save') indexSave(doc, b);
  else if (doc.format === 'shell') indexShell(doc, b);
  else indexListing(doc, b);
  b.finish();
  const index: ChainIndex = { revision: doc.revision, tables: b.tables, byTable: b.byTable };
  if (b.shadowed.size) index.shadowed = b.shadowed;
  return index;
}

function indexSave(doc: RuleDocument, b: Builder): void {
  let block: TableBlock | undefined;
  const refs: LineRef[] = [];
  const lines = doc.lines;
  let prev: string | undefined;
  for (const e of doc.entries) {
    const ln = e.line;
    switch (e.k) {
      case 'table':
        if (block && block.endLine < block.line) block.endLine = ln - 1;
        block = { name: e.name.text, line: ln, endLine: -1, nameRange: { s: e.name.s, e: e.name.e }, chains: [] };
        b.tables.push(block);
        b.breakRun();
        break;
      case 'commit':
        if (block) block.endLine = ln;
        block = undefined;
        b.breakRun();
        break;
      case 'chain': {
        b.breakRun();
        if (!block) break;
        const c = b.add(block.name, block, { kind: 'declare', s: e.name.s, e: e.name.e, name: e.name.text }, ln);
        if (e.policy && e.policy.text !== '-') c.policy = e.policy.text;
        if (TARGETS.has(e.name.text) && !b.shadowed.has(e.name.text)) b.shadowed.set(e.name.text, ln);
        break;
      }
      case 'rule': {
        if (!block) break;
        refs.length = 0;
        scanSaveRuleLine(lines[ln], refs, prev);
        if (!refs.length || refs[0].kind !== 'rule') b.breakRun();
        else prev = refs[0].name;
        if (b.shadowed.size) for (const r of refs) if (r.kind === 'target' && (b.shadowed.get(r.name) ?? Infinity) < ln) r.kind = 'jump';
        for (const r of refs) if (r.kind !== 'target') b.add(block.name, block, r, ln);
        break;
      }
      default:
        break;
    }
  }
  if (block && block.endLine < block.line) block.endLine = lines.length - 1;
}

function indexShell(doc: RuleDocument, b: Builder): void {
  const blocks = new Map<string, TableBlock>();
  const refs: LineRef[] = [];
  for (const e of doc.entries) {
    if (e.k !== 'rule') {
      b.breakRun();
      continue;
    }
    const table = e.rule.table?.text ?? 'filter';
    let block = blocks.get(table);
    if (!block) {
      block = { name: table, line: e.line, endLine: e.endLine, chains: [] };
      blocks.set(table, block);
      b.tables.push(block);
    }
    block.endLine = Math.max(block.endLine, e.endLine);
    refs.length = 0;
    ruleRefs(e.rule, refs);
    if (!refs.length || refs[0].kind !== 'rule') b.breakRun();
    for (const r of refs as WordRef[]) if (r.kind !== 'target') b.add(table, block, r, e.line, e.endLine, e.line + r.word.l, e.line + r.word.el);
  }
}

/** `iptables -L` listings: one block holding every `Chain X (...)` with its rule lines. */
function indexListing(doc: RuleDocument, b: Builder): void {
  let block: TableBlock | undefined;
  let current: ChainInfo | undefined;
  for (const e of doc.entries) {
    if (e.k === 'listing-chain') {
      if (!block) {
        block = { name: '', line: e.line, endLine: e.line, chains: [] };
        b.tables.push(block);
      }
      const w = e.chain.name;
      current = b.add('', block, { kind: 'declare', s: w.s, e: w.e, name: w.text }, e.line);
      if (e.chain.policy) current.policy = e.chain.policy.text;
      current.builtin = !!e.chain.policy;
      current.runs.push(e.line, e.line);
      block.endLine = e.line;
    } else if (e.k === 'listing-rule' && current && block) {
      const t = e.target;
      if (t && !BUILTIN_TARGETS.has(t.text) && /^[^\d]/.test(t.text)) {
        b.add('', block, { kind: 'jump', s: t.s, e: t.e, name: t.text }, e.line);
      }
      current.rules++;
      current.runs[current.runs.length - 1] = e.line;
      block.endLine = e.line;
    }
  }
}

/** The table block that holds a line of a save file: the `*table` ... `COMMIT` around it. */
export function blockAt(index: ChainIndex, line: number): TableBlock | undefined {
  const ts = index.tables;
  let lo = 0;
  let hi = ts.length - 1;
  let best: TableBlock | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid].line <= line) {
      best = ts[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best && line <= best.endLine ? best : undefined;
}

/** Every place that names a chain, in line order. */
export function chainRefs(c: ChainInfo): ChainRef[] {
  if (c.refsMemo) return c.refsMemo;
  const p = c.places;
  const out: ChainRef[] = new Array(p.length / 5);
  for (let i = 0, k = 0; i < p.length; i += 5, k++) out[k] = { line: p[i], s: p[i + 1], endLine: p[i + 2], e: p[i + 3], kind: KINDS[p[i + 4]] };
  return (c.refsMemo = out);
}

type LineClass = 'blank' | 'comment' | 'rule' | 'other';

function lineClass(text: string): LineClass {
  const t = text.trimStart();
  if (!t) return 'blank';
  const c = t[0];
  if (c === '#') return 'comment';
  if (c === '*' || c === ':' || /^COMMIT(\s|$)/.test(t)) return 'other';
  return 'rule';
}

/**
 * Keep a save file's index valid across an edit inside one line (typing), when the line
 * names the same chains in the same roles before and after: only their columns move.
 * Returns false when the index must be built again.
 */
export function patchLine(index: ChainIndex, doc: RuleDocument, line: number, oldText: string): boolean {
  // chains named like targets change what a -j is: build the index again
  if (doc.format !== 'save' || index.shadowed) return false;
  const newText = doc.lines[line];
  const cls = lineClass(newText);
  if (cls !== lineClass(oldText) || cls === 'other') return false;
  if (cls !== 'rule') {
    index.revision = doc.revision;
    return true;
  }
  const before: LineRef[] = [];
  const after: LineRef[] = [];
  scanSaveRuleLine(oldText, before);
  scanSaveRuleLine(newText, after);
  if (before.length !== after.length) return false;
  for (let i = 0; i < before.length; i++) {
    const a = before[i];
    const b = after[i];
    if (a.kind !== b.kind || a.name !== b.name || a.policy !== b.policy) return false;
  }
  const table = blockAt(index, line)?.name;
  if (table === undefined) return false;
  // the k-th place of a chain on this line takes the k-th position of that name
  const seen = new Map<ChainInfo, number>();
  for (let i = 0; i < after.length; i++) {
    const a = before[i];
    const b = after[i];
    if (b.kind === 'target') continue;
    const c = findChain(index, table, b.name);
    if (!c) return false;
    const k = seen.get(c) ?? 0;
    seen.set(c, k + 1);
    if (a.s === b.s && a.e === b.e) continue;
    const p = c.places;
    let lo = 0;
    let hi = p.length / 5;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p[mid * 5] < line) lo = mid + 1;
      else hi = mid;
    }
    const at = (lo + k) * 5;
    if (at >= p.length || p[at] !== line) return false;
    p[at + 1] = b.s;
    p[at + 3] = b.e;
    c.refsMemo = undefined;
    for (const r of [c.first, c.decl, c.firstRule]) {
      if (r && r.line === line && r.s === a.s) {
        r.s = b.s;
        r.e = b.e;
      }
    }
  }
  index.revision = doc.revision;
  return true;
}
