/**
 * The mark pitfalls of nft, proved by the mark model (core/marks/nftMarks) on each statement
 * that sets or tests `meta mark`/`mark`/`ct mark`: a write that changes nothing, an
 * expression nft groups otherwise than it reads left to right, and iptables-translate's two
 * wrong CONNMARK shapes. Only where the model evaluates the statement: nothing is guessed.
 */
import { evaluateNftMark, type NftMarkReport } from '../../marks/nftMarks';
import type { NftFinding } from '../knowledge/codes';
import type { NftFile, NftStatement } from '../syntax/ast';

const MARK_SELECTOR = /(?:^|\s)mark$/;

/**
 * The statements of a file that read or write a mark and overlap offsets [from, to], with the
 * model's report of each (a hover or a code action asks for the few under the cursor only).
 */
export function markStatements(file: NftFile, text: string, from = 0, to = Infinity): { st: NftStatement; report: NftMarkReport }[] {
  const out: { st: NftStatement; report: NftMarkReport }[] = [];
  for (const rule of file.rules) {
    if (rule.e < from || rule.s > to) continue;
    for (const st of rule.statements) {
      if (st.e < from || st.s > to) continue;
      if ((st.kind !== 'set' && st.kind !== 'match') || !st.selector || !MARK_SELECTOR.test(st.selector)) continue;
      const r = evaluateNftMark(text.slice(st.s, st.e));
      if (r.ok) out.push({ st, report: r });
    }
  }
  return out;
}

export function markFindings(file: NftFile, text: string): NftFinding[] {
  const out: NftFinding[] = [];
  const at = (st: NftStatement) => ({ line: st.line, s: st.col, endLine: st.endLine, e: st.endCol });
  for (const { st, report } of markStatements(file, text)) {
    if (report.translateShape) {
      const t = report.translateShape;
      const fix = t.intended ? `; the kernel form of \`${t.iptables}\` is \`${t.intended}\`` : '; nft 1.0.6 has no one-statement form of it';
      out.push({
        code: 'nft-mark-translated',
        severity: 'warning',
        message: `iptables-translate's spelling of \`${t.iptables}\` computes something else: ${report.kernel}${fix}`,
        ...at(st),
      });
    } else if (report.kind === 'set' && report.noop) {
      out.push({
        code: 'nft-mark-noop',
        severity: 'warning',
        message: `This mark write changes nothing: nft reads it as \`${report.grouped}\`, ${report.kernel}`,
        ...at(st),
      });
    } else if (report.precedence) {
      const p = report.precedence;
      out.push({
        code: 'nft-mark-precedence',
        severity: 'warning',
        message: `nft groups this as \`${p.parenthesised}\` (and before xor before or), not left to right \`${p.leftToRight}\``,
        ...at(st),
      });
    }
  }
  return out;
}
