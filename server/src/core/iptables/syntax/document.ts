/**
 * A parsed rule document: save/restore files, shell scripts with iptables commands, and
 * `iptables -L` listings, all as entries with exact word positions. Save files and listings
 * are line-oriented, so an edit re-parses only the lines it touched.
 */
import { clampRange, spliceMany, splitLineEnds } from '../../common/lines';
import { TABLES } from '../knowledge/commands';
import { isListingHeader, parseListedMarks, parseListingChain } from './listing';
import { Rule } from './ruleTypes';
import { interpretRule } from './rule';
import { isSampleComment, parseSampleComment } from './sampleComment';
import { LexProblem, Word, lexShellLines, splitRestoreLine } from './lexer';
import { Finding, entryFindings } from './lineFindings';
import { needsReader } from './restoreReader';

import type { Entry, Format, RuleEntry } from './entry';
export type { Entry, Format, RuleEntry } from './entry';

/** Split text into lines at LSP's line ends: `\r\n`, `\n` and a lone `\r` (common/lines.ts). */
export function splitLines(text: string): string[] {
  return splitLineEnds(text).lines;
}

/**
 * The last few long lines parsed: the checks, the chain index, the walk and the features each
 * parse a rule line again on demand (a dump keeps no word objects), which on a line of
 * 100,000 options is the whole cost of a request. Shared parts (words, rule) are never
 * mutated by their users; the entry around them is a fresh copy each time.
 */
const LONG_LINE = 4096;
const longLines: { text: string; entry: Entry | null }[] = [];

/** One line of a save/restore file; null for blank lines and plain comments. */
export function parseSaveLine(text: string, line: number): Entry | null {
  if (text.length < LONG_LINE) return parseSaveLineNow(text, line);
  let hit = longLines.find((x) => x.text === text);
  if (!hit) {
    hit = { text, entry: parseSaveLineNow(text, 0) };
    longLines.unshift(hit);
    if (longLines.length > 4) longLines.pop();
  }
  return hit.entry && { ...hit.entry, line, endLine: line };
}

/**
 * One line of a save/restore file; null for blank lines and comments. The line's kind is
 * decided as iptables-restore 1.8.9 decides it, by its first character alone: `#` a comment,
 * `*` a table header, `:` a chain, exactly `COMMIT`, else a rule (a line of blanks, a `#`
 * after a blank, `COMMIT ` are rules, which iptables refuses). A header's and a chain's
 * words are split at blanks and tabs only (no quotes) after the first character, and words
 * after those iptables reads are ignored, as it ignores them.
 */
function parseSaveLineNow(text: string, line: number): Entry | null {
  if (text.length === 0) return null;
  const c = text[0];
  if (c === '#') {
    const sample = isSampleComment(text) ? parseSampleComment(text) : null;
    return sample ? { k: 'sample', line, endLine: line, sample } : null;
  }
  if (c === '*' || c === ':') {
    const ws = blankWords(text, 1);
    const name: Word = ws[0] ?? { text: '', l: 0, s: 1, el: 0, e: 1 };
    if (c === '*') return { k: 'table', line, endLine: line, name, extra: [] };
    return { k: 'chain', line, endLine: line, name, policy: ws[1], counters: ws[2], extra: [] };
  }
  if (text === 'COMMIT') return { k: 'commit', line, endLine: line, word: { text, l: 0, s: 0, el: 0, e: 6 }, extra: [] };
  let from = 0;
  let prefixCounters: Word | undefined;
  if (c === '[') {
    // rule counters: what stands up to the first `]` (iptables reads them only with
    // --counters); the rule starts right after it
    const close = text.indexOf(']');
    if (close < 0) {
      const w: Word = { text, l: 0, s: 0, el: 0, e: text.length };
      return {
        k: 'junk',
        line,
        endLine: line,
        word: w,
        problems: [{ message: `Bad line ${line + 1}: need ]`, l: 0, s: 0, el: 0, e: text.length, severity: 'error', code: 'bad-argument' }],
      };
    }
    prefixCounters = { text: text.slice(0, close + 1), l: 0, s: 0, el: 0, e: close + 1 };
    from = close + 1;
  }
  const { words, problems } = splitRestoreLine(text, from);
  for (const w of words) {
    if (utf8Length(w.text) >= 1024) problems.push({ message: 'Parameter too long!', l: 0, s: w.s, el: 0, e: w.e, severity: 'error', code: 'bad-argument' });
  }
  if (words.length > 251) {
    const w = words[251];
    problems.push({ message: 'Parser cannot handle more arguments', l: 0, s: w.s, el: 0, e: w.e, severity: 'error', code: 'bad-argument' });
  }
  if (!words.length) {
    // a line of blanks (or counters alone): a rule without a command
    const w: Word = { text: '', l: 0, s: 0, el: 0, e: text.length };
    return {
      k: 'junk',
      line,
      endLine: line,
      word: w,
      problems: [{ message: 'no command specified', l: 0, s: 0, el: 0, e: text.length, severity: 'error', code: 'no-command' }],
    };
  }
  const e: Entry = { k: 'rule', line, endLine: line, words, rule: interpretRule(words), family: 4, prefixCounters };
  if (problems.length) e.problems = problems;
  return e;
}

/** Words split at blanks and tabs only, from `from` on (iptables-restore's strtok of header and chain lines). */
function blankWords(text: string, from: number): Word[] {
  const out: Word[] = [];
  const re = /[^ \t]+/g;
  re.lastIndex = from;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ text: m[0], l: 0, s: m.index, el: 0, e: m.index + m[0].length });
  return out;
}

/** Length in UTF-8 bytes, as iptables counts characters. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80 || (c >= 0xdc00 && c < 0xe000)) continue; // ASCII; a low surrogate counted with its pair
    n += c < 0x800 ? 1 : 2; // 2 or 3 bytes; a high surrogate: its pair makes 4
  }
  return n;
}

/** One line of `iptables -L` output. */
export function parseListingLine(text: string, line: number): Entry | null {
  if (!text.trim()) return null;
  if (text.trimStart().startsWith('#')) {
    const sample = isSampleComment(text) ? parseSampleComment(text) : null;
    return sample ? { k: 'sample', line, endLine: line, sample } : null;
  }
  const chain = parseListingChain(text);
  if (chain) return { k: 'listing-chain', line, endLine: line, chain };
  if (isListingHeader(text)) return null;
  const marks = parseListedMarks(text);
  const m = /^\s*(?:\d+\s+)?(?:\d+[KMGT]?\s+\d+[KMGT]?\s+)?(\S+)/.exec(text);
  const e: Entry = { k: 'listing-rule', line, endLine: line, marks };
  if (m) {
    const s = text.indexOf(m[1], m[0].length - m[1].length);
    e.target = { text: m[1], l: 0, s, el: 0, e: s + m[1].length };
  }
  return e;
}

const PROGRAM_RE = /^(?:\S*\/)?(ip6?tables(?:-legacy|-nft)?|\$\{?(?:IP6?T(?:ABLES)?[0-9_]*|ip6?t(?:ables)?[0-9_]*)\}?|ip6?t[0-9]?)$/;
const WRAPPERS = new Set(['sudo', 'command', 'exec', 'time', 'nice', 'env', 'doas', '{', 'then', 'do', 'else', '!']);

/** A here-document fed to iptables-restore / ip6tables-restore: its body lines [start, end). */
export interface RestoreBody {
  start: number;
  end: number;
  family: 4 | 6;
  /** no expansions in it (quoted delimiter, or no `$` or backquote) */
  literal: boolean;
  /** `<<-`: the shell strips leading tabs */
  strip: boolean;
  /** the command has `--noflush` (`-n`): chains the body does not declare may exist */
  noflush?: boolean;
}

/** What iptables-restore reads of a here-document: its lines with the tabs `<<-` strips, and how many each lost. */
export function restoreBodyText(lines: string[], b: RestoreBody): { text: string; cut: number[] } {
  const body = lines.slice(b.start, b.end);
  const cut = body.map((l) => (b.strip ? /^\t*/.exec(l)![0].length : 0));
  return { text: body.map((l, i) => l.slice(cut[i])).join('\n') + '\n', cut };
}

const RESTORE_RE = /(?:^|[\s;&|(])(?:\S*\/)?ip(6?)tables(?:-legacy|-nft)?-restore(?=\s|$)/;

/** Parse a shell script: every iptables invocation becomes a rule entry. */
export function parseShell(lines: string[], bodies: RestoreBody[] = []): Entry[] {
  const out: Entry[] = [];
  let ln = 0;
  while (ln < lines.length) {
    const text = lines[ln];
    const trimmed = text.trimStart();
    if (trimmed.startsWith('#')) {
      if (isSampleComment(text)) {
        const sample = parseSampleComment(text)!;
        out.push({ k: 'sample', line: ln, endLine: ln, sample });
      }
      ln++;
      continue;
    }
    if (!trimmed || (!/ip6?t|IP6?T/.test(text) && !text.trimEnd().endsWith('\\') && !text.includes('<<'))) {
      ln++;
      continue;
    }
    const lexed = lexShellLines(lines, ln);
    const first = ln;
    let cmd: Word[] = [];
    const flush = () => {
      if (cmd.length) addCommand(out, lines, first, lexed.lastLine, cmd, lexed.problems);
      cmd = [];
    };
    for (const t of lexed.tokens) {
      if (t.kind === 'op') flush();
      else cmd.push(t.word);
    }
    flush();
    if (lexed.problems.length && !out.some((e) => e.line === first)) {
      const p = lexed.problems[0];
      out.push({ k: 'junk', line: first, endLine: lexed.lastLine, word: { text: '', l: p.l, s: p.s, el: p.el, e: p.e }, problems: lexed.problems });
    }
    ln = lexed.lastLine + 1;
    // skip here-document bodies; one whose `<<` belongs to an iptables-restore command (no
    // `;`, `&`, `|` or `&&`/`||` between the program and the `<<`) is that command's input
    const head = lexed.heredocs.length ? lines.slice(first, ln).join('\n') : '';
    const at = [...head.matchAll(/<<(?!<)/g)].map((m) => m.index!);
    lexed.heredocs.forEach((h, k) => {
      const start = ln;
      while (ln < lines.length && lines[ln].trim() !== h.delim) ln++;
      const segment = at[k] === undefined ? '' : head.slice(0, at[k]).split(/[;&|]/).pop()!;
      const restore = RESTORE_RE.exec(segment);
      if (restore) {
        const literal = h.quoted || !lines.slice(start, ln).some((l) => /[$`]/.test(l));
        // `--noflush` / `-n` (alone or in a cluster such as `-nv`) after the program
        const noflush = /\s(?:--noflush\b|--nof|-[a-zA-Z]*n[a-zA-Z]*\b)/.test(segment.slice(restore.index + restore[0].length));
        bodies.push({ start, end: ln, family: restore[1] ? 6 : 4, literal, strip: h.strip, noflush });
      }
      ln++;
    });
  }
  return out;
}

function addCommand(out: Entry[], lines: string[], first: number, last: number, words: Word[], problems: LexProblem[]): void {
  let k = 0;
  while (k < words.length) {
    const w = words[k];
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text) && !w.quoted) {
      k++;
      continue;
    }
    if (WRAPPERS.has(w.text)) {
      k++;
      while (k < words.length && words[k].text.startsWith('-')) k += words[k].text === '-u' || words[k].text === '-g' ? 2 : 1;
      continue;
    }
    break;
  }
  const prog = words[k];
  if (!prog || prog.l !== prog.el) return;
  const raw = lines[first + prog.l].slice(prog.s, prog.e);
  const m = PROGRAM_RE.exec(raw);
  if (!m) return;
  const rest = words.slice(k + 1);
  // A function's definition body or a variable assignment is not a call: `ipt() {`.
  if (!rest.length) return;
  const family: 4 | 6 = /6/.test(m[1]) ? 6 : 4;
  // the shell removes the quotes: iptables gets `'!'` and `"-A"` as `!` and `-A`
  const argv = rest.some((w) => w.quoted) ? rest.map((w) => (w.quoted ? { ...w, quoted: undefined } : w)) : rest;
  const e: RuleEntry = { k: 'rule', line: first, endLine: last, words: rest, rule: interpretRule(argv), program: prog, family };
  const mine = problems.filter((p) => p.l >= prog.l);
  if (mine.length) e.problems = mine;
  out.push(e);
}

/**
 * A rule line of a save file, kept slim: only its position and its own findings stay in
 * memory; its words and structure are parsed again on demand (and cached for a while).
 * A 150,000-line dump would otherwise hold millions of word objects.
 */
class SaveRule {
  readonly k = 'rule';
  readonly family = 4;
  endLine: number;
  findings?: Finding[];
  table?: string;
  constructor(
    public line: number,
    private readonly doc: RuleDocument,
  ) {
    this.endLine = line;
  }
  private get full(): RuleEntry {
    return this.doc.fullRule(this);
  }
  get words(): Word[] {
    return this.full.words;
  }
  get rule(): Rule {
    return this.full.rule;
  }
  get prefixCounters(): Word | undefined {
    return this.full.prefixCounters;
  }
  get problems(): LexProblem[] | undefined {
    return this.full.problems;
  }
}

const FULL_CACHE_SIZE = 1024;

/** A parsed document, updated in place by edits. */
export class RuleDocument {
  lines: string[] = [];
  /** For save and listing formats: one slot per line (null for blank/comment lines). */
  private perLine: (Entry | null)[] = [];
  private shellEntries: Entry[] = [];
  /** A script's here-documents fed to iptables-restore (judged as save files of their own). */
  restoreBodies: RestoreBody[] = [];
  private cachedEntries: Entry[] | null = null;
  /**
   * The last edit, when it stayed inside lines and swapped entries in place: the entries it
   * replaced and their successors, and the revision it made (an analysis of the revision
   * before can be brought up to date from these alone).
   */
  lastSwap: { revision: number; old: Entry[]; now: Entry[] } | undefined;
  /** Bumped by every change; analyses are keyed on it. */
  revision = 0;

  /**
   * The lines that ended in `\r\n` (the `\r` is not in `lines`): iptables-restore reads the
   * `\r` as part of the line (restoreReader.ts).
   */
  crLines = new Set<number>();

  constructor(
    text: string,
    readonly format: Format,
  ) {
    this.setText(text);
    this.reparseAll();
  }

  /** The end of each line: `\n`, `\r\n`, a lone `\r` ('' for the last line). */
  private ends: string[] = [];
  /** How many lines end with a lone `\r` (an end for the editor, not for iptables-restore or the shell). */
  private loneCR = 0;

  private setText(text: string): void {
    const { lines, ends } = splitLineEnds(text);
    this.lines = lines;
    this.ends = ends;
    this.loneCR = 0;
    for (const e of ends) if (e === '\r') this.loneCR++;
    this.crLines = crlfLines(ends);
  }

  /** The lines that end with a lone `\r`. */
  loneCarriageReturns(): number[] {
    const out: number[] = [];
    if (this.loneCR) this.ends.forEach((e, i) => e === '\r' && out.push(i));
    return out;
  }

  /** The lines iptables-restore does not read as shown: ending in `\r\n`, or maybe beyond its line buffer. */
  readerLines(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.lines.length; i++) if (needsReader(this.lines[i], this.crLines.has(i))) out.push(i);
    return out;
  }

  private fullCache = new Map<SaveRule, RuleEntry>();

  private parseLine(i: number): Entry | null {
    if (this.format === 'listing') return parseListingLine(this.lines[i], i);
    const e = parseSaveLine(this.lines[i], i);
    if (!e) return null;
    const findings = entryFindings(e, true);
    if (e.k !== 'rule') {
      if (findings) e.findings = findings;
      return e;
    }
    const slim = new SaveRule(i, this);
    if (findings) slim.findings = findings;
    return slim as unknown as RuleEntry;
  }

  /** The full parse of a slim save-file rule, from a bounded cache. */
  fullRule(e: SaveRule): RuleEntry {
    let full = this.fullCache.get(e);
    if (full) {
      full.line = full.endLine = e.line;
      return full;
    }
    full = parseSaveLine(this.lines[e.line], e.line) as RuleEntry;
    if (this.fullCache.size >= FULL_CACHE_SIZE) this.fullCache.delete(this.fullCache.keys().next().value!);
    this.fullCache.set(e, full);
    return full;
  }

  private reparseAll(): void {
    this.fullCache.clear();
    if (this.format === 'shell') {
      this.restoreBodies = [];
      this.shellEntries = parseShell(this.lines, this.restoreBodies);
      for (const e of this.shellEntries) {
        const f = entryFindings(e, false);
        if (f) e.findings = f;
      }
    } else this.perLine = this.lines.map((_, i) => this.parseLine(i));
    this.cachedEntries = null;
    this.revision++;
  }

  /** All entries in line order. */
  get entries(): Entry[] {
    if (this.format === 'shell') return this.shellEntries;
    if (!this.cachedEntries) {
      const out: Entry[] = [];
      for (const e of this.perLine) if (e) out.push(e);
      this.cachedEntries = out;
    }
    return this.cachedEntries;
  }

  /** The entry that covers a line, if any. */
  entryAt(line: number): Entry | undefined {
    if (this.format !== 'shell') return this.perLine[line] ?? undefined;
    const es = this.shellEntries;
    let lo = 0;
    let hi = es.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = es[mid];
      if (e.endLine < line) lo = mid + 1;
      else if (e.line > line) hi = mid - 1;
      else return e;
    }
    return undefined;
  }

  /**
   * Apply one edit given as a replaced line/column range and its new text; for save files
   * and listings only the touched lines are parsed again.
   */
  applyEdit(range: { start: { line: number; character: number }; end: { line: number; character: number } } | undefined, text: string): void {
    if (!range) {
      this.setText(text);
      this.reparseAll();
      return;
    }
    // an invalid range is clamped as LSP says (a negative line is the start of the text)
    const { start, end } = clampRange(this.lines, range);
    let sl = start.line;
    const el = end.line;
    // the replaced lines with their line ends, and what follows the edit up to the next line
    let seg = this.lines[sl].slice(0, start.character) + text + this.lines[el].slice(end.character) + this.ends[el];
    // a lone `\r` ending the line above and a `\n` starting the new text become one CRLF
    if (sl > 0 && this.ends[sl - 1] === '\r' && seg.charCodeAt(0) === 10) {
      sl--;
      seg = this.lines[sl] + '\r' + seg;
    }
    const split = splitLineEnds(seg);
    const inserted = split.lines;
    if (this.ends[el] !== '') {
      // the segment ends with its line end: the empty piece after it is the next line's start
      inserted.pop();
      split.ends.pop();
    }
    for (let i = sl; i <= el; i++) if (this.ends[i] === '\r') this.loneCR--;
    for (const e of split.ends) if (e === '\r') this.loneCR++;
    spliceMany(this.ends, sl, el - sl + 1, split.ends);
    spliceMany(this.lines, sl, el - sl + 1, inserted);
    if (this.crLines.size || split.ends.includes('\r\n')) this.crLines = crlfLines(this.ends);
    if (this.format === 'shell') {
      this.reparseAll();
      return;
    }
    const fresh: (Entry | null)[] = [];
    for (let i = 0; i < inserted.length; i++) fresh.push(this.parseLine(sl + i));
    const replaced = spliceMany(this.perLine, sl, el - sl + 1, fresh);
    const delta = inserted.length - (el - sl + 1);
    // typing inside lines: the entry list keeps its order, swap the entries in place (a new
    // list of 150,000 entries a keystroke is garbage the collector must clear)
    if (delta === 0 && this.cachedEntries && this.swapEntries(replaced, fresh)) {
      this.revision++;
      this.lastSwap = { revision: this.revision, old: replaced.filter((e): e is Entry => !!e), now: fresh.filter((e): e is Entry => !!e) };
      return;
    }
    if (delta !== 0) {
      for (let i = sl + inserted.length; i < this.perLine.length; i++) {
        const e = this.perLine[i];
        if (e) e.line = e.endLine = i;
      }
    }
    this.cachedEntries = null;
    this.revision++;
  }

  /** Replace `old[i]` by `now[i]` in the cached entry list; false when an entry appears or goes. */
  private swapEntries(old: (Entry | null)[], now: (Entry | null)[]): boolean {
    const list = this.cachedEntries!;
    for (let i = 0; i < old.length; i++) if (!old[i] !== !now[i]) return false;
    for (let i = 0; i < old.length; i++) {
      const o = old[i];
      if (!o) continue;
      let lo = 0;
      let hi = list.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].line < o.line) lo = mid + 1;
        else hi = mid;
      }
      if (list[lo] !== o) return false;
      list[lo] = now[i]!;
    }
    return true;
  }

  /** The text, line ends as they came. */
  getText(): string {
    let out = '';
    for (let i = 0; i < this.lines.length; i++) out += this.lines[i] + this.ends[i];
    return out;
  }
}

/** The lines that end with `\r\n` (iptables-restore reads the `\r` as part of the line). */
function crlfLines(ends: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < ends.length; i++) if (ends[i] === '\r\n') out.add(i);
  return out;
}

/** Guess the format from a file name and its first line. */
export function detectFormat(uriOrPath: string, text: string, languageId?: string): Format {
  if (languageId === 'shellscript') return 'shell';
  if (languageId === 'iptables-listing') return 'listing';
  if (languageId === 'iptables') return commandLines(text) ? 'shell' : 'save';
  const name = uriOrPath.split('/').pop() ?? '';
  if (/\.(sh|bash)$/.test(name)) return 'shell';
  if (/\.iptables-list$/.test(name)) return 'listing';
  const firstLine = text.slice(0, 200).split('\n')[0];
  if (/^#!/.test(firstLine)) return 'shell';
  if (/^Chain \S+ \(/.test(firstLine)) return 'listing';
  return commandLines(text) ? 'shell' : 'save';
}

const COMMAND_LINE_RE = /^[ \t]*(?:sudo[ \t]+)?(?:\S*\/)?(?:ip6?tables(?:-legacy|-nft)?|\$\{?IP6?T(?:ABLES)?\}?)[ \t]+-/m;

/**
 * Whether a file without a name or shebang that tells is a list of commands (`iptables -A
 * ...` lines: generated firewall outputs, OpenWrt's firewall.user) rather than a restore
 * file: it has such a line and no `*table` header.
 */
function commandLines(text: string): boolean {
  return COMMAND_LINE_RE.test(text) && !/^\*[A-Za-z]/m.test(text);
}

export const TABLE_NAMES = Object.keys(TABLES);
