/**
 * What one entry means to the file-level checks, reduced once to a `LineRecord`: chain names,
 * targets, jumps, mark writes, hook needs and addresses, with the columns findings sit on.
 * Made from a save line's raw text where that is enough, else from its parse.
 */
import type { IptablesCode } from '../knowledge/codes';
import { TABLES } from '../knowledge/commands';
import { Entry, RuleDocument, parseSaveLine } from '../syntax/document';
import { LineRef, scanSaveRuleLine, ruleRefs } from '../syntax/chainIndex';
import { Rule } from '../syntax/ruleTypes';
import { MarkOp } from '../../marks/marks';
import { Severity } from '../syntax/lineFindings';
import { CORE_OPTIONS } from '../knowledge/commands';
import { Addr, R, rawAddrs, ruleAddrs } from './addresses';

export interface Jump {
  name: string;
  goto: boolean;
  /** line offset (shell continuations), start, end */
  l: number;
  s: number;
  e: number;
}

/** What one entry means to the file-level checks (one object shape for all: a dump has 150,000). */
export interface LineRecord {
  k: 'table' | 'commit' | 'decl' | 'rule' | 'other';
  /** table name (table items; shell rules: their -t table). */
  table: string | undefined;
  /** The chain a rule is added to / the chain declared / a command's chain, and its place. */
  chain: string | undefined;
  chainLine: number;
  chainStart: number;
  chainEnd: number;
  /** -A (append) or -I (insert) for rules; N (declare) P (policy) X (other command) E (rename). */
  cmd: 'A' | 'I' | 'N' | 'P' | 'X' | 'E' | undefined;
  policy: string | undefined;
  jumps: Jump[] | undefined;
  /** A built-in target (ACCEPT, MARK, DNAT...). */
  target: string | undefined;
  /** The whole rule (save files: its line without the indentation). */
  ruleStart: number;
  ruleEnd: number;
  /** No match at all (a comment aside): every packet that reaches the rule takes it. */
  plain: boolean;
  /** Reads marks (a mark/connmark/socket match) or has a target other than MARK/CONNMARK. */
  opaque: boolean;
  /** Mark ops (writes and tests) of the rule, with the range of their extension. */
  marks: { op: MarkOp; r: R }[] | undefined;
  /** Hook restrictions of its extensions. */
  needs: { ext: string; hooks: string[]; r: R }[] | undefined;
  /** Save files: how many IPv4 / IPv6 addresses its -s/-d name (places found again when needed). */
  v4Count: number;
  v6Count: number;
  /** ... and how many of the IPv4 ones are in IPv6 brackets (`[10.0.0.1]:80`, which iptables refuses). */
  bracketedV4Count: number;
  /** Shell scripts: the addresses themselves, and the program's family. */
  addrs: Addr[] | undefined;
  family: 0 | 4 | 6;
}

export function newRecord(k: LineRecord['k']): LineRecord {
  return {
    k,
    table: undefined,
    chain: undefined,
    chainLine: 0,
    chainStart: 0,
    chainEnd: 0,
    cmd: undefined,
    policy: undefined,
    jumps: undefined,
    target: undefined,
    ruleStart: 0,
    ruleEnd: 0,
    plain: false,
    opaque: false,
    marks: undefined,
    needs: undefined,
    v4Count: 0,
    v6Count: 0,
    bracketedV4Count: 0,
    addrs: undefined,
    family: 0,
  };
}

/** Where on its item a finding sits: read again from the item when it is shown (typing moves columns). */
export type Anchor = 'chain' | 'jump' | 'whole' | 'need' | 'mark' | 'addr' | 'reject' | 'ext';

export interface PendingFinding {
  idx: number;
  src: Anchor;
  /** which jump, need, mark or address */
  k: number;
  code: IptablesCode;
  severity: Severity;
  message: string;
}

export const TERMINAL = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN']);
export const BUILTIN_ANY = new Set(Object.values(TABLES).flat());
export const MARKISH = /(?:^|\s)(?:-[jgm]|--jump|--goto|--match)[\s=]+"?(?:MARK|CONNMARK|TPROXY|mark|connmark|socket)"?(?=\s|$)/;
/** `[counters] -A CHAIN [-m comment --comment X] -j|-g T [--reject-with X]`, nothing else. */
export const PLAIN =
  /^\s*(?:\[\d+:\d+\]\s+)?-[AI]\s+\S+\s+(?:-m\s+comment\s+--comment\s+(?:"(?:[^"\\]|\\.)*"|[^\s"]+)\s+)?(?:-j\s+(?:ACCEPT|DROP|RETURN|REJECT(?:\s+--reject-with\s+\S+)?)|-g\s+\S+)\s*$/;
/** An -I rule line, in getopt's spellings too (`-IINPUT`, `--ins INPUT`, `--insert=INPUT`). */
export const INSERT = /^\s*(?:\[\d+:\d+\]\s+)?(?:-I|--i(?:n(?:s(?:e(?:r(?:t)?)?)?)?)?(?=[\s=]))/;
export function itemOf(doc: RuleDocument, e: Entry): LineRecord {
  switch (e.k) {
    case 'table': {
      const it = newRecord('table');
      it.table = e.name.text;
      return it;
    }
    case 'commit':
      return newRecord('commit');
    case 'chain': {
      const it = newRecord('decl');
      it.chain = e.name.text;
      it.chainStart = e.name.s;
      it.chainEnd = e.name.e;
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
      return newRecord('other');
  }
}

export function needsOf(e: Entry, it: LineRecord): void {
  for (const f of e.findings ?? []) {
    if (f.needs?.hooks) (it.needs ??= []).push({ ext: f.needs.ext, hooks: f.needs.hooks, r: [f.line, f.s, f.endLine, f.e] });
  }
}

export const scratch: LineRef[] = [];

export function saveRuleItem(line: string, e: Entry): LineRecord {
  const refs = scratch;
  refs.length = 0;
  scanSaveRuleLine(line, refs);
  const it = newRecord('rule');
  let hasTarget = false;
  let terminal = false;
  for (const r of refs) {
    switch (r.kind) {
      case 'rule':
        it.chain = r.name;
        it.chainStart = r.s;
        it.chainEnd = r.e;
        break;
      case 'declare':
        it.chain = r.name;
        it.chainStart = r.s;
        it.chainEnd = r.e;
        it.cmd = it.cmd === 'X' ? 'E' : 'N';
        break;
      case 'command':
        it.chain = r.name;
        it.chainStart = r.s;
        it.chainEnd = r.e;
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
  it.ruleStart = s;
  it.ruleEnd = end;
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
    if (a.fam === 6) it.v6Count++;
    else {
      it.v4Count++;
      if (a.bracket) it.bracketedV4Count++;
    }
  }
  needsOf(e, it);
  return it;
}

/** The item of a parsed rule (shell scripts, and save lines that need the parse). */
export function ruleItem(rule: Rule, family: 4 | 6, table: string): LineRecord {
  const refs: LineRef[] = [];
  ruleRefs(rule, refs);
  const it = newRecord('rule');
  it.table = table;
  it.family = family;
  const c = rule.command;
  if (c) {
    const kind = c.spec.kind;
    it.cmd = kind === 'append' ? 'A' : kind === 'insert' ? 'I' : kind === 'new' ? 'N' : kind === 'policy' ? 'P' : kind === 'rename' ? 'E' : 'X';
    if (c.chain && !c.chain.unknown) {
      it.chain = c.chain.text;
      it.chainLine = c.chain.l;
      it.chainStart = c.chain.s;
      it.chainEnd = c.chain.e;
    }
    if (kind === 'policy' && c.extra[0]) it.policy = c.extra[0].text;
    // a script command's 'whole' range: its command word (`-X` of a bare -X)
    if (c.word.l === 0) {
      it.ruleStart = c.word.s;
      it.ruleEnd = c.word.e;
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
