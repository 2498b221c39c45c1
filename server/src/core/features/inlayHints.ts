/**
 * Inlay hints after each mark write: the nfmark (or ctmark) the rule leaves, computed on the
 * sample input in force on its line (`# sample:` comment or settings), as the hover does.
 */
import { InlayHint, InlayHintKind, Range } from 'vscode-languageserver-types';
import { Analysis, Settings, sampleAt } from '../iptables/checks/analysis';
import { Entry, RuleDocument } from '../iptables/syntax/document';
import { applyMarkOp } from '../marks/marks';
import { hex8 } from '../common/numbers';
import { extWords } from './cursor';

/** A save-file line that may hold a mark write; others are skipped without parsing. */
const MAY_WRITE_MARK = /MARK|TPROXY/;

export function markInlayHints(doc: RuleDocument, a: Analysis, range: Range, settings: Settings): InlayHint[] {
  const out: InlayHint[] = [];
  let last: Entry | undefined;
  const to = Math.min(range.end.line, doc.lines.length - 1);
  for (let ln = Math.max(0, range.start.line); ln <= to; ln++) {
    if (doc.format === 'save' && !MAY_WRITE_MARK.test(doc.lines[ln])) continue;
    const e = doc.entryAt(ln);
    if (!e || e === last || e.k !== 'rule') continue;
    last = e;
    for (const use of e.rule.marks) {
      const op = use.result;
      if (op === 'unknown' || 'message' in op || op.kind === 'match') continue;
      const { state, fromLine } = sampleAt(a, e.line, settings);
      const after = applyMarkOp(op, state);
      const ws = extWords(e.rule.exts[use.extIndex]);
      const end = ws[ws.length - 1];
      const ct = op.kind === 'ct-set' || op.kind === 'ct-save';
      const value = ct ? after.ctmark : after.nfmark;
      const source = fromLine !== undefined ? `the \`# sample:\` on line ${fromLine + 1}` : 'settings iptables.sample.*';
      out.push({
        position: { line: e.line + end.el, character: end.e },
        label: `=> ${ct ? 'ctmark ' : ''}${hex8(value)}`,
        kind: InlayHintKind.Type,
        paddingLeft: true,
        tooltip: `${ct ? 'ctmark' : 'nfmark'} after this rule for the sample nfmark=${hex8(state.nfmark)} ctmark=${hex8(state.ctmark)} (from ${source})`,
      });
    }
  }
  return out;
}
