/**
 * Rewrites between exact equivalent mark spellings: per option (refactor.rewrite) and for
 * the whole file (source actions: shortest form, iptables-save form).
 */
import { CodeAction, CodeActionKind, TextEdit } from 'vscode-languageserver-types';
import { RuleDocument, RuleEntry } from '../iptables/syntax/document';
import { equivalentSpellings, savedForm, MarkOp } from '../marks/marks';
import { MarkSite, Position, locate, optWords } from './cursor';
import { Word } from '../iptables/syntax/lexer';

export const SOURCE_SHORTEST = `${CodeActionKind.Source}.nfrules.marksShortest`;
export const SOURCE_SAVED = `${CodeActionKind.Source}.nfrules.marksSaved`;

/** The span of a mark extension's own options, when they are contiguous and on one line. */
function optionSpan(site: MarkSite, indexOf?: Map<Word, number>): { line: number; s: number; e: number; text: string } | null {
  const { entry, ext } = site;
  let opts = ext.opts;
  // TPROXY: only --tproxy-mark is about marks; the other options stay as written.
  if (site.use.ext === 'TPROXY') opts = opts.filter((o) => o.key === '--tproxy-mark');
  if (!opts.length) return null;
  const words: Word[] = opts.flatMap(optWords);
  const first = words[0];
  const last = words[words.length - 1];
  if (first.l !== last.el) return null;
  // contiguous: no word of the rule lies between them that is not one of these
  const all = entry.words;
  // (the index of every word, when a whole line is rewritten: one indexOf per option is quadratic)
  const i0 = indexOf ? (indexOf.get(first) ?? -1) : all.indexOf(first);
  const i1 = indexOf ? (indexOf.get(last) ?? -1) : all.indexOf(last);
  const inner = i0 >= 0 && i1 >= 0 ? all.slice(i0, i1 + 1) : [];
  if (inner.length !== words.length) return null;
  return { line: entry.line + first.l, s: first.s, e: last.e, text: words.map((w) => w.text).join(' ') };
}

function currentText(doc: RuleDocument, span: { line: number; s: number; e: number }): string {
  return doc.lines[span.line].slice(span.s, span.e);
}

function edit(uri: string, span: { line: number; s: number; e: number }, newText: string): { changes: Record<string, TextEdit[]> } {
  return {
    changes: {
      [uri]: [{ range: { start: { line: span.line, character: span.s }, end: { line: span.line, character: span.e } }, newText }],
    },
  };
}

const normalize = (s: string) => s.trim().replace(/\s+/g, ' ');

/** The rewrites offered at a position or selection. */
export function markRewrites(doc: RuleDocument, uri: string, range: { start: Position; end: Position }): CodeAction[] {
  let loc = locate(doc, range.start);
  if (loc.kind !== 'mark') loc = locate(doc, range.end);
  if (loc.kind !== 'mark') return [];
  const { use } = loc.site;
  if (use.result === 'unknown' || 'message' in use.result) return [];
  const span = optionSpan(loc.site);
  if (!span) return [];
  const here = normalize(currentText(doc, span));
  const op = use.result;
  const saved = savedForm(op);
  const out: CodeAction[] = [];
  for (const sp of equivalentSpellings(op)) {
    if (normalize(sp) === here) continue;
    out.push({
      title: `Rewrite as ${sp}${sp === saved ? ' (iptables-save form)' : ''}`,
      kind: CodeActionKind.RefactorRewrite,
      edit: edit(uri, span, sp),
    });
  }
  return out;
}

function fileRewrite(doc: RuleDocument, pick: (op: MarkOp) => string): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const e of doc.entries) {
    if (e.k !== 'rule') continue;
    const marks = (e as RuleEntry).rule.marks;
    const indexOf = marks.length > 1 ? new Map(e.words.map((w, i) => [w, i])) : undefined;
    for (const use of marks) {
      if (use.result === 'unknown' || 'message' in use.result) continue;
      const ext = e.rule.exts[use.extIndex];
      const span = optionSpan({ entry: e as RuleEntry, use, ext }, indexOf);
      if (!span) continue;
      const target = pick(use.result);
      if (normalize(currentText(doc, span)) === normalize(target)) continue;
      edits.push({ range: { start: { line: span.line, character: span.s }, end: { line: span.line, character: span.e } }, newText: target });
    }
  }
  return edits;
}

/**
 * The whole-file source actions as offered on a cursor move (no `context.only`): without
 * their edits, which `resolveSourceAction` computes when one is chosen. Rewriting every rule
 * of a 150,000-line dump takes seconds: too much for each cursor move.
 */
export function offerSourceActions(uri: string): CodeAction[] {
  return [
    { title: 'Rewrite every mark rule to its shortest form', kind: SOURCE_SHORTEST, data: { uri, nfrulesSource: SOURCE_SHORTEST } },
    { title: 'Rewrite every mark rule to iptables-save form', kind: SOURCE_SAVED, data: { uri, nfrulesSource: SOURCE_SAVED } },
  ];
}

/** The edit of an offered source action (an empty one when nothing needs rewriting); null when it is not one. */
export function resolveSourceAction(doc: RuleDocument, action: CodeAction): CodeAction | null {
  const data = action.data as { uri?: unknown; nfrulesSource?: unknown } | undefined;
  if (typeof data?.uri !== 'string' || (data.nfrulesSource !== SOURCE_SHORTEST && data.nfrulesSource !== SOURCE_SAVED)) return null;
  const [full] = markSourceActions(doc, data.uri, [data.nfrulesSource]);
  return { ...action, title: full?.title ?? action.title, edit: full?.edit ?? { changes: { [data.uri]: [] } } };
}

/** Whole-file source actions; offered only when they would change something. */
export function markSourceActions(doc: RuleDocument, uri: string, only?: string[]): CodeAction[] {
  const wants = (kind: string) => !only || only.some((k) => kind === k || kind.startsWith(k + '.'));
  const out: CodeAction[] = [];
  if (wants(SOURCE_SHORTEST)) {
    const edits = fileRewrite(doc, (op) => equivalentSpellings(op)[0]);
    if (edits.length)
      out.push({ title: `Rewrite every mark rule to its shortest form (${edits.length})`, kind: SOURCE_SHORTEST, edit: { changes: { [uri]: edits } } });
  }
  if (wants(SOURCE_SAVED)) {
    const edits = fileRewrite(doc, savedForm);
    if (edits.length)
      out.push({ title: `Rewrite every mark rule to iptables-save form (${edits.length})`, kind: SOURCE_SAVED, edit: { changes: { [uri]: edits } } });
  }
  return out;
}
