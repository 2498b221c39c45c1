/**
 * The outline (tables, and under them their chains with policy and rule count, in file
 * order), workspace symbols for chains, and folding (per table, per run of a chain's rules,
 * per chain of a listing). All read the chain index.
 */
import { DocumentSymbol, FoldingRange, Location, SymbolInformation, SymbolKind } from 'vscode-languageserver-types';
import { ChainIndex, ChainInfo, TableBlock, allChains } from '../iptables/syntax/chainIndex';
import { RuleDocument } from '../iptables/syntax/document';

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** `ACCEPT · 3 rules`, `user chain · 1 rule`. */
export function chainDetail(c: ChainInfo): string {
  return `${c.builtin ? (c.policy ?? 'built-in') : 'user chain'} · ${plural(c.rules, 'rule')}`;
}

/** Where a chain shows in the outline: its declaration, else its first rule, else its first use. */
function chainAnchor(c: ChainInfo): ChainInfo['first'] {
  return c.decl ?? c.firstRule ?? c.first;
}

/** Chains worth listing: declared, holding rules, or built in (undeclared targets of jumps are not). */
const listed = (c: ChainInfo) => !!(c.decl || c.rules || c.builtin);

function chainSymbol(c: ChainInfo): DocumentSymbol | null {
  const a = chainAnchor(c);
  if (!a) return null;
  const sel = { start: { line: a.line, character: a.s }, end: { line: a.endLine, character: a.e } };
  return { name: c.name, detail: chainDetail(c), kind: SymbolKind.Function, range: sel, selectionRange: sel };
}

export function documentSymbols(doc: RuleDocument, index: ChainIndex): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const t of index.tables) {
    const children: DocumentSymbol[] = [];
    for (const c of t.chains) {
      if (!listed(c)) continue;
      const s = chainSymbol(c);
      if (s) children.push(s);
    }
    if (doc.format === 'listing') {
      out.push(...children);
      continue;
    }
    out.push(tableSymbol(doc, t, children));
  }
  return out;
}

function tableSymbol(doc: RuleDocument, t: TableBlock, children: DocumentSymbol[]): DocumentSymbol {
  let startLine = t.line;
  let endLine = t.endLine;
  for (const c of children) {
    startLine = Math.min(startLine, c.range.start.line);
    endLine = Math.max(endLine, c.range.end.line);
  }
  const range = { start: { line: startLine, character: 0 }, end: { line: endLine, character: doc.lines[endLine]?.length ?? 0 } };
  const sel = t.nameRange
    ? { start: { line: t.line, character: t.nameRange.s }, end: { line: t.line, character: t.nameRange.e } }
    : { start: { line: t.line, character: 0 }, end: { line: t.line, character: 0 } };
  return { name: t.name, detail: plural(children.length, 'chain'), kind: SymbolKind.Namespace, range, selectionRange: sel, children };
}

/** Chains whose name contains the query (case-insensitive), at most `limit`. */
export function workspaceSymbols(uri: string, index: ChainIndex, query: string, limit: number, out: SymbolInformation[]): void {
  const q = query.toLowerCase();
  for (const c of allChains(index)) {
    if (out.length >= limit) return;
    if (!listed(c) || (q && !c.name.toLowerCase().includes(q))) continue;
    const a = chainAnchor(c);
    if (!a) continue;
    const location: Location = { uri, range: { start: { line: a.line, character: a.s }, end: { line: a.endLine, character: a.e } } };
    out.push({ name: c.name, kind: SymbolKind.Function, location, containerName: c.table || undefined });
  }
}

/** Folds: each `*table` ... `COMMIT`, each run of two or more rules of one chain, each listed chain. */
export function foldingRanges(doc: RuleDocument, index: ChainIndex): FoldingRange[] {
  const out: FoldingRange[] = [];
  if (doc.format === 'save') for (const t of index.tables) if (t.endLine > t.line) out.push({ startLine: t.line, endLine: t.endLine });
  for (const c of allChains(index)) {
    const r = c.runs;
    for (let i = 0; i < r.length; i += 2) if (r[i + 1] > r[i]) out.push({ startLine: r[i], endLine: r[i + 1] });
  }
  out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
  return out;
}
