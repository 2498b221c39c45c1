/** What is under a position: the entry, the word, and the mark extension it belongs to. */
import { Entry, RuleDocument, RuleEntry } from '../iptables/syntax/document';
import { ListedMark } from '../iptables/syntax/listing';
import { Ext, MarkUse, Opt } from '../iptables/syntax/ruleTypes';
import { Word } from '../iptables/syntax/lexer';

export interface Position {
  line: number;
  character: number;
}

/** Does the word (relative to an entry starting at `base`) contain the position? Ends count. */
export function wordContains(base: number, w: Word, p: Position): boolean {
  const sl = base + w.l;
  const el = base + w.el;
  if (p.line < sl || p.line > el) return false;
  if (p.line === sl && p.character < w.s) return false;
  if (p.line === el && p.character > w.e) return false;
  return true;
}

export interface MarkSite {
  entry: RuleEntry;
  use: MarkUse;
  ext: Ext;
}

/** Every word of an extension: `-j`, the name, its options' `!`, names and arguments. */
export function extWords(ext: Ext): Word[] {
  const out = [ext.via, ext.name];
  for (const o of ext.opts) {
    if (o.neg) out.push(o.neg);
    out.push(o.name, ...o.args);
  }
  return out;
}

export function optWords(o: Opt): Word[] {
  return [...(o.neg ? [o.neg] : []), o.name, ...o.args];
}

export type Located =
  | { kind: 'mark'; site: MarkSite; word: Word }
  | { kind: 'listed'; entry: Entry; mark: ListedMark; word: Word }
  | { kind: 'sample'; entry: Extract<Entry, { k: 'sample' }>; word?: Word }
  | { kind: 'none' };

export function locate(doc: RuleDocument, p: Position): Located {
  const e = doc.entryAt(p.line);
  if (!e) return { kind: 'none' };
  if (e.k === 'sample') {
    const pair = e.sample.pairs.find((x) => wordContains(e.line, x.word, p));
    return { kind: 'sample', entry: e, word: pair?.word };
  }
  if (e.k === 'listing-rule') {
    for (const m of e.marks) {
      const w = m.words.find((x) => wordContains(e.line, x, p));
      if (w) return { kind: 'listed', entry: e, mark: m, word: w };
    }
    return { kind: 'none' };
  }
  if (e.k !== 'rule') return { kind: 'none' };
  for (const use of e.rule.marks) {
    const ext = e.rule.exts[use.extIndex];
    const w = extWords(ext).find((x) => wordContains(e.line, x, p));
    if (w) return { kind: 'mark', site: { entry: e, use, ext }, word: w };
  }
  return { kind: 'none' };
}
