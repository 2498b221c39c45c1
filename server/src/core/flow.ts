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
 */
import { TABLES } from './knowledge';
import { Entry, RuleDocument, parseSaveLine } from './document';
import { LineRef, scanSaveRuleLine, ruleRefs } from './chains';
import { Rule } from './rule';
import { MarkOp } from './marks';
import { Finding, Severity } from './findings';
import { CORE_OPTIONS } from './knowledge';

/** A range on an entry: line offset, start, end line offset, end. */
type R = [number, number, number, number];

interface Jump {
  name: string;
  goto: boolean;
  r: R;
}

/** What one entry means to the file-level checks. */
export interface Item {
  k: 'table' | 'commit' | 'decl' | 'rule' | 'other';
  /** table name (table items; shell rules: their -t table). */
  table?: string;
  /** The chain a rule is added to / the chain declared / a command's chain. */
  chain?: string;
  chainR?: R;
  /** -A (append) or -I (insert) for rules; N (declare) P (policy) X (other command). */
  cmd?: 'A' | 'I' | 'N' | 'P' | 'X' | 'E';
  policy?: string;
  jumps?: Jump[];
  /** A built-in target (ACCEPT, MARK, DNAT...). */
  target?: string;
  /** The whole rule, for findings about the rule as such. */
  whole?: R;
  /** No match at all (a comment aside): every packet that reaches the rule takes it. */
  plain?: boolean;
  /** Mark ops (writes and tests) of the rule, with the range of their extension. */
  marks?: { op: MarkOp; r: R }[];
  /** Reads marks (a mark/connmark/socket match) or has a target other than MARK/CONNMARK. */
  opaque?: boolean;
  /** Hook restrictions of its extensions. */
  needs?: { ext: string; hooks: string[]; r: R }[];
  /** IPv4/IPv6 addresses of -s/-d. */
  addrs?: { fam: 4 | 6; text: string; r: R }[];
  /** For shell scripts: the program's family. */
  family?: 4 | 6;
}

interface Pending {
  idx: number;
  r: R;
  code: string;
  severity: Severity;
  message: string;
}

interface Cache {
  entries: Entry[];
  items: Item[];
  pending: Pending[];
  /** The comment line above each table header, as read (the family hint). */
  heads: string[];
  unused: boolean;
}

export interface FlowOptions {
  /**
   * Report chains nothing jumps to (`unused-chain`). Off unless its severity setting turns
   * it on: in the corpus's complete iptables-save dumps it fires 73 times in 8 files, on
   * chains that ufw, shorewall and kube-proxy declare for later use.
   */
  unusedChain?: boolean;
}

const caches = new WeakMap<RuleDocument, Cache>();

const TERMINAL = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN']);
const BUILTIN_ANY = new Set(Object.values(TABLES).flat());

/** The file-level findings of a document (see the header comment for the caching). */
export function flowFindings(doc: RuleDocument, opts: FlowOptions = {}): Finding[] {
  const unused = !!opts.unusedChain;
  const entries = doc.entries;
  const old = caches.get(doc);
  let items: Item[];
  let pending: Pending[] | undefined;
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
    if (p === entries.length && q === 0 && oe.length === entries.length) items = old.items;
    else items = old.items.slice(0, p).concat(fresh, old.items.slice(old.items.length - q));
    if (same && old.unused === unused) pending = old.pending;
  } else items = entries.map((e) => itemOf(doc, e));
  if (!pending) pending = analyzeItems(doc, entries, items, heads, unused);
  caches.set(doc, { entries, items, pending, heads, unused });
  const out: Finding[] = [];
  for (const f of pending) {
    const e = entries[f.idx];
    out.push({ code: f.code, severity: f.severity, message: f.message, line: e.line + f.r[0], s: f.r[1], endLine: e.line + f.r[2], e: f.r[3] });
  }
  out.sort((a, b) => a.line - b.line || a.s - b.s || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return out;
}

function tableHeads(doc: RuleDocument, entries: Entry[]): string[] {
  if (doc.format !== 'save') return [];
  const out: string[] = [];
  // the table entries are few; find them without walking every entry: cheap enough (one pass of a type test)
  for (const e of entries) if (e.k === 'table') out.push(doc.lines[e.line - 1] ?? '');
  return out;
}

function sameR(a: R | undefined, b: R | undefined): boolean {
  return !a === !b;
}

/** The same meaning for the file-level checks (columns may differ). */
function sameItem(a: Item, b: Item): boolean {
  if (a.k !== b.k || a.table !== b.table || a.chain !== b.chain || a.cmd !== b.cmd || a.policy !== b.policy || a.target !== b.target) return false;
  if (a.plain !== b.plain || a.opaque !== b.opaque || a.family !== b.family || !sameR(a.whole, b.whole) || !sameR(a.chainR, b.chainR)) return false;
  const aj = a.jumps ?? [];
  const bj = b.jumps ?? [];
  if (aj.length !== bj.length) return false;
  for (let i = 0; i < aj.length; i++) if (aj[i].name !== bj[i].name || aj[i].goto !== bj[i].goto) return false;
  const am = a.marks ?? [];
  const bm = b.marks ?? [];
  if (am.length !== bm.length) return false;
  for (let i = 0; i < am.length; i++) if (JSON.stringify(am[i].op) !== JSON.stringify(bm[i].op)) return false;
  const an = a.needs ?? [];
  const bn = b.needs ?? [];
  if (an.length !== bn.length) return false;
  for (let i = 0; i < an.length; i++) if (an[i].ext !== bn[i].ext || an[i].hooks.join() !== bn[i].hooks.join()) return false;
  const aa = a.addrs ?? [];
  const ba = b.addrs ?? [];
  if (aa.length !== ba.length) return false;
  for (let i = 0; i < aa.length; i++) if (aa[i].fam !== ba[i].fam || aa[i].text !== ba[i].text) return false;
  return true;
}

const MARKISH = /(?:^|\s)(?:-[jgm]|--jump|--goto|--match)[\s=]+"?(?:MARK|CONNMARK|TPROXY|mark|connmark|socket)"?(?=\s|$)/;
/** `[counters] -A CHAIN [-m comment --comment X] -j|-g T [--reject-with X]`, nothing else. */
const PLAIN = /^\s*(?:\[\d+:\d+\]\s+)?-[AI]\s+\S+\s+(?:-m\s+comment\s+--comment\s+(?:"(?:[^"\\]|\\.)*"|[^\s"]+)\s+)?(?:-j\s+(?:ACCEPT|DROP|RETURN|REJECT(?:\s+--reject-with\s+\S+)?)|-g\s+\S+)\s*$/;
const INSERT = /^\s*(?:\[\d+:\d+\]\s+)?(?:-I|--insert)(?:\s|=)/;
const ADDR = /(?:^|\s)(?:-[sd]|--source|--src|--destination|--dst)\s+(?:!\s+)?([^\s"]+)/g;

function quotesBefore(line: string, pos: number): number {
  let n = 0;
  for (let i = line.indexOf('"'); i >= 0 && i < pos; i = line.indexOf('"', i + 1)) if (line.charCodeAt(i - 1) !== 92) n++;
  return n;
}

/** Families of an address word (a comma list): 4 for dotted quads, 6 for anything with a colon. */
function addrParts(text: string, at: number, out: NonNullable<Item['addrs']>, l = 0): void {
  let s = at;
  for (const part of text.split(',')) {
    const a = part.split('/')[0];
    const fam = a.includes(':') ? 6 : /^\d+\.\d+\.\d+\.\d+$/.test(a) ? 4 : 0;
    if (fam) out.push({ fam, text: a, r: [l, s, l, s + part.length] });
    s += part.length + 1;
  }
}

function itemOf(doc: RuleDocument, e: Entry): Item {
  switch (e.k) {
    case 'table':
      return { k: 'table', table: e.name.text };
    case 'commit':
      return { k: 'commit' };
    case 'chain':
      return { k: 'decl', chain: e.name.text, chainR: [0, e.name.s, 0, e.name.e], cmd: 'N', policy: e.policy && e.policy.text !== '-' ? e.policy.text : undefined };
    case 'rule':
      if (doc.format === 'save') return saveRuleItem(doc.lines[e.line], e);
      else {
        const it = ruleItem(e.rule, e.family, e.rule.table?.text ?? 'filter');
        needsOf(e, it);
        return it;
      }
    default:
      return { k: 'other' };
  }
}

function needsOf(e: Entry, it: Item): void {
  for (const f of e.findings ?? []) {
    if (f.needs?.hooks) (it.needs ??= []).push({ ext: f.needs.ext, hooks: f.needs.hooks, r: [f.line, f.s, f.endLine, f.e] });
  }
}

function saveRuleItem(line: string, e: Entry): Item {
  const refs: LineRef[] = [];
  scanSaveRuleLine(line, refs);
  const it = refsItem(refs, 0);
  if (it.chain !== undefined && it.cmd === undefined) it.cmd = INSERT.test(line) ? 'I' : 'A';
  let s = 0;
  while (s < line.length && (line.charCodeAt(s) === 32 || line.charCodeAt(s) === 9)) s++;
  let end = line.length;
  while (end > s && /\s/.test(line[end - 1])) end--;
  it.whole = [0, s, 0, end];
  const hasTarget = refs.some((r) => r.kind === 'target' || r.kind === 'jump' || r.kind === 'goto');
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
    it.plain = hasTarget && PLAIN.test(line);
  }
  if (line.indexOf('-s') >= 0 || line.indexOf('-d') >= 0) {
    ADDR.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = ADDR.exec(line))) {
      const at = m.index + m[0].length - m[1].length;
      if (quotesBefore(line, at) % 2) continue;
      addrParts(m[1], at, (it.addrs ??= []));
    }
    if (it.addrs && !it.addrs.length) it.addrs = undefined;
  }
  needsOf(e, it);
  return it;
}

function refsItem(refs: LineRef[], l: number): Item {
  const it: Item = { k: 'rule' };
  for (const r of refs) {
    const rr: R = [l, r.s, l, r.e];
    switch (r.kind) {
      case 'rule':
        it.chain = r.name;
        it.chainR = rr;
        break;
      case 'declare':
        it.chain = r.name;
        it.chainR = rr;
        it.cmd = it.cmd === 'X' ? 'E' : 'N';
        break;
      case 'command':
        it.chain = r.name;
        it.chainR = rr;
        it.cmd = r.policy !== undefined ? 'P' : 'X';
        if (r.policy !== undefined) it.policy = r.policy;
        break;
      case 'target':
        it.target = r.name;
        break;
      case 'jump':
      case 'goto':
        (it.jumps ??= []).push({ name: r.name, goto: r.kind === 'goto', r: rr });
        break;
    }
  }
  return it;
}

/** The item of a parsed rule (shell scripts, and save lines that need the parse). */
function ruleItem(rule: Rule, family: 4 | 6, table: string): Item {
  const refs: LineRef[] = [];
  ruleRefs(rule, refs);
  // shell words may sit on continuation lines: ruleRefs gives columns only, take lines from the words
  const it: Item = { k: 'rule', table, family };
  const c = rule.command;
  if (c) {
    const kind = c.spec.kind;
    it.cmd = kind === 'append' ? 'A' : kind === 'insert' ? 'I' : kind === 'new' ? 'N' : kind === 'policy' ? 'P' : kind === 'rename' ? 'E' : 'X';
    if (c.chain && !c.chain.unknown) {
      it.chain = c.chain.text;
      it.chainR = [c.chain.l, c.chain.s, c.chain.el, c.chain.e];
    }
    if (kind === 'policy' && c.extra[0]) it.policy = c.extra[0].text;
  }
  for (const x of rule.exts) {
    if (x.kind !== 'target' || x.name.unknown) continue;
    const goto = x.via.text === '-g' || x.via.text.startsWith('--g');
    const r = refs.find((f) => f.s === x.name.s && f.name === x.name.text);
    if (r && r.kind === 'target') it.target = r.name;
    else (it.jumps ??= []).push({ name: x.name.text, goto, r: [x.name.l, x.name.s, x.name.el, x.name.e] });
  }
  let matches = false;
  let opaque = false;
  for (const o of rule.core) {
    const k = CORE_OPTIONS[o.key]?.canonical ?? o.key;
    if (k === '--jump' || k === '--goto' || k === '--match' || k === '--set-counters' || k === '--table' || k === '--wait' || k === '--verbose') continue;
    matches = true;
    if (k === '--source' || k === '--destination') for (const a of o.args) if (!a.unknown) addrParts(a.text, a.s, (it.addrs ??= []), a.l);
  }
  for (const x of rule.exts) {
    const n = x.name.text;
    if (x.kind === 'match') {
      if (n !== 'comment') matches = true;
      if (n === 'mark' || n === 'connmark' || n === 'socket' || x.name.unknown) opaque = true;
    } else if (n !== 'MARK' && n !== 'CONNMARK') opaque = true;
  }
  if (rule.exts.some((x) => x.kind === 'target' && x.name.unknown)) opaque = true;
  it.opaque = opaque;
  it.plain = !matches;
  for (const m of rule.marks) {
    if (m.result === 'unknown' || 'message' in m.result) {
      opaque = it.opaque = true;
      continue;
    }
    const x = rule.exts[m.extIndex];
    (it.marks ??= []).push({ op: m.result, r: [x.name.l, x.name.s, x.name.el, x.name.e] });
  }
  if (it.addrs && !it.addrs.length) it.addrs = undefined;
  return it;
}

// ---------------------------------------------------------------------------------------
// the file-level checks

interface ChainNode {
  name: string;
  builtin: boolean;
  decls: { idx: number; r: R }[];
  /** rules in file order: item indexes */
  rules: number[];
  /** inserted into, renamed, flushed...: its rule order is not the file's */
  unordered: boolean;
  edges: { to: string; idx: number; j: number; goto: boolean }[];
  jumpedTo: number;
  firstUse?: { idx: number; r: R };
}

interface TableGraph {
  name: string;
  chains: Map<string, ChainNode>;
  /** Written by iptables-save (the comment above its header says so): the whole state, not a --noflush fragment. */
  complete?: boolean;
}

function analyzeItems(doc: RuleDocument, entries: Entry[], items: Item[], heads: string[], unused: boolean): Pending[] {
  const out: Pending[] = [];
  const shell = doc.format === 'shell';
  if (doc.format === 'listing') return out;
  const graphs: TableGraph[] = [];
  const byName = new Map<string, TableGraph>();
  let cur: TableGraph | undefined;
  const graphFor = (name: string): TableGraph => {
    if (!shell) {
      const g: TableGraph = { name, chains: new Map(), complete: /^# Generated by ip6?tables-save\b/.test(heads[graphs.length] ?? '') };
      graphs.push(g);
      return g;
    }
    let g = byName.get(name);
    if (!g) {
      byName.set(name, (g = { name, chains: new Map() }));
      graphs.push(g);
    }
    return g;
  };
  const node = (g: TableGraph, name: string): ChainNode => {
    let n = g.chains.get(name);
    if (!n) g.chains.set(name, (n = { name, builtin: TABLES[g.name]?.includes(name) ?? false, decls: [], rules: [], unordered: false, edges: [], jumpedTo: 0 }));
    return n;
  };
  const addrs: { idx: number; a: NonNullable<Item['addrs']>[number]; family?: 4 | 6 }[] = [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.k === 'table') {
      cur = graphFor(it.table!);
      continue;
    }
    if (it.k === 'commit') {
      cur = undefined;
      continue;
    }
    if (it.k !== 'decl' && it.k !== 'rule') continue;
    const g = shell ? graphFor(it.table ?? 'filter') : cur;
    if (!g) continue;
    if (it.addrs) for (const a of it.addrs) addrs.push({ idx: i, a, family: shell ? it.family : undefined });
    if (!it.chain) continue;
    const n = node(g, it.chain);
    switch (it.cmd) {
      case 'N':
        n.decls.push({ idx: i, r: it.chainR! });
        if (it.policy && it.k === 'decl' && !n.builtin && !BUILTIN_ANY.has(it.chain)) {
          out.push({ idx: i, r: it.chainR!, code: 'user-chain-policy', severity: 'warning', message: `${it.chain} is a user chain: iptables-restore ignores its policy ${it.policy} (only built-in chains have one; a packet that reaches its end returns to the calling chain)` });
        }
        break;
      case 'P':
        if (!n.builtin && !BUILTIN_ANY.has(it.chain)) out.push({ idx: i, r: it.chainR!, code: 'user-chain-policy', severity: 'warning', message: `iptables: Bad built-in chain name. (${it.chain} is a user chain: only built-in chains have a policy)` });
        break;
      case 'A':
      case 'I':
      case undefined:
        n.rules.push(i);
        n.firstUse ??= { idx: i, r: it.chainR! };
        if (it.cmd !== 'A') n.unordered = true;
        break;
      default:
        n.unordered = true;
        if (it.cmd === 'E') n.decls.push({ idx: i, r: it.chainR! });
        break;
    }
    if (it.jumps) {
      it.jumps.forEach((j, k) => {
        const t = node(g, j.name);
        t.jumpedTo++;
        t.firstUse ??= { idx: i, r: j.r };
        n.edges.push({ to: j.name, idx: i, j: k, goto: j.goto });
      });
    }
  }

  for (const g of graphs) checkTable(g, items, out, shell, unused);
  checkFamilies(doc, entries, addrs, heads, out);
  return out;
}

function checkTable(g: TableGraph, items: Item[], out: Pending[], shell: boolean, unused: boolean): void {
  if (!(g.name in TABLES)) return;
  const declared = (n: ChainNode) => n.builtin || n.decls.length > 0;
  for (const n of g.chains.values()) {
    // declarations
    if (!n.builtin && BUILTIN_ANY.has(n.name)) {
      const at = n.decls[0] ?? n.firstUse;
      if (at) out.push({ idx: at.idx, r: at.r, code: 'builtin-chain-table', severity: 'warning', message: `Table ${g.name} has no built-in chain ${n.name}: iptables-nft makes it a user chain (\`:${n.name} - [0:0]\`, any policy ignored), which no packet enters unless a rule jumps to it` });
    }
    for (const d of n.decls.slice(1)) {
      if (items[d.idx].cmd === 'E') continue;
      out.push({ idx: d.idx, r: d.r, code: 'chain-redeclared', severity: 'warning', message: shell ? `iptables: Chain already exists. (${n.name} is created a second time in table ${g.name})` : `Chain ${n.name} is declared a second time in table ${g.name}: iptables-restore accepts it, the second declaration changes nothing` });
    }
    if (!declared(n) && (n.rules.length || n.jumpedTo) && !shell) {
      // every jump to it, and its rules
      for (const r of n.rules) {
        const it = items[r];
        if (it.cmd === 'A' || it.cmd === 'I') out.push({ idx: r, r: it.chainR!, code: 'undeclared-chain', severity: 'warning', message: `No chain/target/match by that name: chain ${n.name} is not declared in table ${g.name} (iptables-restore fails here, unless the chain already exists and the file is loaded with --noflush)` });
      }
    }
    if (!n.builtin && declared(n) && n.jumpedTo === 0 && g.complete && unused) {
      const d = n.decls[0];
      out.push({ idx: d.idx, r: d.r, code: 'unused-chain', severity: 'hint', message: `Chain ${n.name} is never jumped to (-j/-g) in table ${g.name}: no packet goes through ${n.rules.length ? `its ${n.rules.length} rule${n.rules.length > 1 ? 's' : ''}` : 'it'}` });
    }
  }
  if (!shell) {
    for (const m of g.chains.values()) {
      for (const ed of m.edges) {
        const t = g.chains.get(ed.to)!;
        if (declared(t)) continue;
        out.push({ idx: ed.idx, r: items[ed.idx].jumps![ed.j].r, code: 'undeclared-chain', severity: 'warning', message: `Chain '${t.name}' does not exist: it is not declared in table ${g.name} (iptables-restore fails here, unless the chain already exists and the file is loaded with --noflush)` });
      }
    }
  }
  // reachability from each built-in chain (hook), with the chain it came from
  const hooks = TABLES[g.name];
  const reach = new Map<string, Map<string, string>>(); // chain -> hook -> predecessor
  for (const h of hooks) {
    const start = g.chains.get(h);
    if (!start) continue;
    const queue = [start];
    for (let qi = 0; qi < queue.length; qi++) {
      const n = queue[qi];
      for (const ed of n.edges) {
        const t = g.chains.get(ed.to);
        if (!t || t.builtin) continue;
        let m = reach.get(t.name);
        if (!m) reach.set(t.name, (m = new Map()));
        if (m.has(h)) continue;
        m.set(h, n.name);
        queue.push(t);
      }
    }
  }
  const path = (chain: string, hook: string): string => {
    const seq = [chain];
    let c = chain;
    for (let k = 0; k < 64; k++) {
      const p = reach.get(c)?.get(hook);
      if (!p || p === hook) break;
      seq.unshift(p);
      c = p;
    }
    return `${hook} via ${seq.join(' -> ')}`;
  };
  // extensions the kernel refuses from a hook that reaches the user chain
  for (const [name, m] of reach) {
    const n = g.chains.get(name)!;
    for (const r of n.rules) {
      const it = items[r];
      for (const nd of it.needs ?? []) {
        const bad = hooks.find((h) => m.has(h) && !nd.hooks.includes(h));
        if (bad) out.push({ idx: r, r: nd.r, code: 'target-hook', severity: 'error', message: `RULE_APPEND failed (Invalid argument): ${nd.ext} is only valid in ${nd.hooks.join(', ')}, not in ${bad}: chain ${name} is reached from ${path(name, bad)}` });
      }
    }
  }
  // loops: strongly connected components of the user chains
  loops(g, items, reach, out);
  // along each chain
  // a script's lines need not run in file order (functions, branches): save files only
  if (!shell) for (const n of g.chains.values()) if (!n.unordered) sequence(n, g, items, out);
}

function loops(g: TableGraph, items: Item[], reach: Map<string, Map<string, string>>, out: Pending[]): void {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const on = new Set<string>();
  const stack: string[] = [];
  let counter = 0;
  const sccs: string[][] = [];
  // iterative Tarjan
  for (const root of g.chains.keys()) {
    if (index.has(root)) continue;
    const work: { v: string; i: number }[] = [{ v: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    on.add(root);
    while (work.length) {
      const top = work[work.length - 1];
      const n = g.chains.get(top.v)!;
      if (top.i < n.edges.length) {
        const w = n.edges[top.i++].to;
        const wn = g.chains.get(w);
        if (!wn || wn.builtin) continue;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          on.add(w);
          work.push({ v: w, i: 0 });
        } else if (on.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) low.set(work[work.length - 1].v, Math.min(low.get(work[work.length - 1].v)!, low.get(top.v)!));
      if (low.get(top.v) === index.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          comp.push(w);
        } while (w !== top.v);
        sccs.push(comp);
      }
    }
  }
  for (const comp of sccs) {
    const set = new Set(comp);
    let closing: { idx: number; j: number; from: string; to: string } | undefined;
    for (const c of comp) {
      const n = g.chains.get(c)!;
      if (n.builtin) continue;
      for (const ed of n.edges) {
        if (!set.has(ed.to) || g.chains.get(ed.to)?.builtin) continue;
        if (comp.length === 1 && ed.to !== c) continue;
        if (!closing || ed.idx > closing.idx) closing = { idx: ed.idx, j: ed.j, from: c, to: ed.to };
      }
    }
    if (!closing) continue;
    // the loop as a path from the closing jump's target back to its chain
    const cyc = cyclePath(g, set, closing.to, closing.from);
    const hook = comp.map((c) => reach.get(c)).find((m) => m && m.size);
    const from = hook ? [...hook.keys()][0] : undefined;
    const loopText = [...cyc, closing.to].join(' -> ');
    const r = items[closing.idx].jumps![closing.j].r;
    if (from) out.push({ idx: closing.idx, r, code: 'jump-loop', severity: 'error', message: `RULE_APPEND failed (Too many links): this jump closes the loop ${loopText}, which ${from} reaches` });
    else out.push({ idx: closing.idx, r, code: 'jump-loop', severity: 'warning', message: `This jump closes the loop ${loopText}: iptables-nft accepts it while no built-in chain reaches the loop, and fails with RULE_APPEND failed (Too many links) once one does` });
  }
}

function cyclePath(g: TableGraph, set: Set<string>, from: string, to: string): string[] {
  const prev = new Map<string, string>([[from, '']]);
  const q = [from];
  while (q.length) {
    const v = q.shift()!;
    if (v === to) break;
    for (const ed of g.chains.get(v)!.edges) {
      if (set.has(ed.to) && !prev.has(ed.to)) {
        prev.set(ed.to, v);
        q.push(ed.to);
      }
    }
  }
  const seq: string[] = [];
  for (let v: string | undefined = to; v; v = prev.get(v) || undefined) seq.unshift(v);
  return seq;
}

/** The rules of one chain in order: unreachable rules, mark writes overwritten before any read. */
function sequence(n: ChainNode, g: TableGraph, items: Item[], out: Pending[]): void {
  let stop: Item | undefined;
  for (const r of n.rules) {
    const it = items[r];
    if (stop) {
      const verdict = stop.jumps?.length ? `-g ${stop.jumps[0].name}` : `-j ${stop.target}`;
      out.push({ idx: r, r: it.whole ?? it.chainR!, code: 'unreachable-rule', severity: 'warning', message: `Unreachable rule: every packet leaves chain ${n.name} at the earlier \`${verdict}\` that has no match` });
      continue;
    }
    if (it.plain && ((it.target && TERMINAL.has(it.target) && !it.jumps) || (!it.target && it.jumps?.length === 1 && it.jumps[0].goto))) stop = it;
  }
  // mark writes fully overwritten by a later unconditional write before anything can read them
  for (let a = 0; a < n.rules.length; a++) {
    const wa = items[n.rules[a]];
    for (const ma of wa.marks ?? []) {
      const kind = ma.op.kind === 'xset' && ma.op.ext === 'MARK' ? 'nf' : ma.op.kind === 'ct-set' && !ma.op.shift ? 'ct' : null;
      if (!kind) continue;
      const op = ma.op as { value: number; mask: number };
      const touched = (op.mask | op.value) >>> 0;
      if (!touched) continue;
      for (let b = a + 1; b < n.rules.length; b++) {
        const wb = items[n.rules[b]];
        if (wb.opaque || wb.jumps?.length) break;
        const over = (wb.marks ?? []).find((mb) => (kind === 'nf' ? mb.op.kind === 'xset' && mb.op.ext === 'MARK' : mb.op.kind === 'ct-set' && !mb.op.shift) && ((touched & ~(mb.op as { mask: number }).mask) >>> 0) === 0);
        if (over && wb.plain) {
          out.push({ idx: n.rules[a], r: ma.r, code: 'mark-overwritten', severity: 'warning', message: `This ${kind === 'nf' ? 'MARK' : 'CONNMARK'} write is overwritten by a later rule of chain ${n.name} that every packet takes (it sets every bit this one changes) before anything reads the mark` });
          break;
        }
        // a conditional rule or another kind of write in between: keep looking, nothing reads
        if ((wb.marks ?? []).some((mb) => mb.op.kind !== 'xset' && mb.op.kind !== 'ct-set')) break;
      }
    }
  }
}

function checkFamilies(doc: RuleDocument, entries: Entry[], addrs: { idx: number; a: NonNullable<Item['addrs']>[number]; family?: 4 | 6 }[], heads: string[], out: Pending[]): void {
  if (!addrs.length) return;
  let family: 4 | 6 | undefined;
  if (doc.format === 'save') {
    const six = heads.some((h) => /^#.*\bip6tables-save\b/.test(h));
    const four = heads.some((h) => /^#.*\biptables-save\b/.test(h));
    if (six !== four) family = six ? 6 : 4;
    else {
      // no header: a file with both families' addresses fails in iptables-restore and in
      // ip6tables-restore alike; the minority is the mistake
      let n4 = 0;
      let n6 = 0;
      for (const x of addrs) x.a.fam === 4 ? n4++ : n6++;
      if (n4 && n6 && n4 !== n6) family = n4 > n6 ? 4 : 6;
    }
  }
  for (const x of addrs) {
    const f = x.family ?? family;
    if (!f || f === x.a.fam) continue;
    // the lines flagged are few: check them with the real parser (a raw match may be inside a value)
    if (doc.format === 'save' && !confirmAddr(doc.lines[entries[x.idx].line], x.a.r[1])) continue;
    out.push({ idx: x.idx, r: x.a.r, code: 'address-family', severity: 'error', message: `host/network \`${x.a.text}' not found` });
  }
}

function confirmAddr(line: string, s: number): boolean {
  const e = parseSaveLine(line, 0);
  if (!e || e.k !== 'rule') return false;
  return e.rule.core.some((o) => {
    const k = CORE_OPTIONS[o.key]?.canonical ?? o.key;
    return (k === '--source' || k === '--destination') && o.args.some((a) => a.s <= s && s < a.e);
  });
}
