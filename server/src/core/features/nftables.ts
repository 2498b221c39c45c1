/**
 * The features of an nftables document, composed from core/nftables: diagnostics, outline,
 * folding, definition, references, highlights and rename of chains, sets/maps and variables.
 * One parse per revision (NftDocument); positions are LSP's (lines end at \n, \r\n or \r).
 */
import {
  CompletionItemKind,
  CompletionList,
  CodeAction,
  CodeActionKind,
  Hover,
  MarkupKind,
  DocumentHighlight,
  DocumentHighlightKind,
  DocumentSymbol,
  FoldingRange,
  Location,
  Range,
  SymbolKind,
  TextEdit,
} from 'vscode-languageserver-types';
import { analyzeNft, type NftCheckResult } from '../nftables/check';
import type { NftFinding } from '../nftables/knowledge/codes';
import { nftDefinition, nftOutline, nftReferences, nftSymbolAt, type NftOutlineSymbol } from '../nftables/navigation';
import type { Span } from '../nftables/syntax/ast';
import type { Position } from './cursor';
import { clampRange, splitLineEnds } from '../common/lines';
import { parseSampleComment } from '../iptables/syntax/sampleComment';
import { evaluateNftMark } from '../marks/nftMarks';
import { markStatements } from '../nftables/checks/markChecks';
import { nftDocHover } from '../nftables/docHover';
import { CHAIN_TYPES, FAMILIES, FAMILY_HOOKS, priorityNamesFor, type Family } from '../nftables/knowledge/knowledge';

/** The text of an nftables document with its line starts, edited as LSP edits it. */
export class NftDocument {
  private result?: NftCheckResult;
  private starts: number[] = [0];

  constructor(
    private text_: string,
    public version = 0,
  ) {
    this.index();
  }

  get text(): string {
    return this.text_;
  }

  private lines_?: string[];

  /** The lines, at LSP's line ends. */
  get lines(): readonly string[] {
    return (this.lines_ ??= splitLineEnds(this.text_).lines);
  }

  /** Apply one LSP content change (whole text without a range). */
  applyEdit(range: Range | undefined, text: string): void {
    if (!range) this.text_ = text;
    else {
      // as LSP says: both ends clamped to the text, a reversed range taken start first
      const r = clampRange(splitLineEnds(this.text_).lines, range);
      const a = this.offsetAt(r.start);
      const b = this.offsetAt(r.end);
      this.text_ = this.text_.slice(0, a) + text + this.text_.slice(b);
    }
    this.result = undefined;
    this.lines_ = undefined;
    this.index();
  }

  /** An LSP position as an offset, clamped to the text. */
  offsetAt(p: Position): number {
    if (!(p.line >= 0)) return 0;
    const line = Math.min(Math.floor(p.line), this.starts.length - 1);
    if (p.line > line) return this.text_.length;
    const start = this.starts[line];
    const end = line + 1 < this.starts.length ? this.starts[line + 1] : this.text_.length;
    let lineEnd = end;
    while (lineEnd > start && (this.text_[lineEnd - 1] === '\n' || this.text_[lineEnd - 1] === '\r')) lineEnd--;
    return start + Math.max(0, Math.min(p.character, lineEnd - start));
  }

  /** The parse and the findings of this revision (nft 1.0.6's judgement). */
  analysis(resolveInclude?: (path: string) => string | undefined): NftCheckResult {
    return (this.result ??= analyzeNft(this.text_, { resolveInclude }));
  }

  private index(): void {
    const t = this.text_;
    const starts = [0];
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 10) starts.push(i + 1);
      else if (c === 13) {
        if (t.charCodeAt(i + 1) === 10) i++;
        starts.push(i + 1);
      }
    }
    this.starts = starts;
  }
}

const rangeOf = (s: Span): Range => ({ start: { line: s.line, character: s.col }, end: { line: s.endLine, character: s.endCol } });

export function nftFindings(doc: NftDocument): NftFinding[] {
  return doc.analysis().findings;
}

const SYMBOL_KIND: Record<NftOutlineSymbol['kind'], SymbolKind> = {
  table: SymbolKind.Namespace,
  chain: SymbolKind.Function,
  set: SymbolKind.Array,
  map: SymbolKind.Object,
  flowtable: SymbolKind.Event,
  object: SymbolKind.Struct,
  define: SymbolKind.Constant,
};

export function nftDocumentSymbols(doc: NftDocument): DocumentSymbol[] {
  const conv = (x: NftOutlineSymbol): DocumentSymbol => ({
    name: x.name || '?',
    detail: x.detail,
    kind: SYMBOL_KIND[x.kind],
    range: rangeOf(x.range),
    selectionRange: rangeOf(x.selection),
    children: x.children.map(conv),
  });
  return nftOutline(doc.analysis().file).map(conv);
}

export function nftFoldingRanges(doc: NftDocument): FoldingRange[] {
  const out: FoldingRange[] = [];
  const walk = (x: NftOutlineSymbol): void => {
    if (x.range.endLine > x.range.line) out.push({ startLine: x.range.line, endLine: x.range.endLine });
    x.children.forEach(walk);
  };
  nftOutline(doc.analysis().file).forEach(walk);
  return out;
}

export function nftDefinitionAt(doc: NftDocument, uri: string, p: Position): Location | null {
  const spans = nftDefinition(doc.analysis().file, doc.offsetAt(p));
  return spans.length ? { uri, range: rangeOf(spans[0]) } : null;
}

export function nftReferencesAt(doc: NftDocument, uri: string, p: Position, includeDeclaration: boolean): Location[] {
  return nftReferences(doc.analysis().file, doc.offsetAt(p), includeDeclaration).map((s) => ({ uri, range: rangeOf(s) }));
}

export function nftHighlights(doc: NftDocument, p: Position): DocumentHighlight[] {
  return nftReferences(doc.analysis().file, doc.offsetAt(p), true).map((s) => ({ range: rangeOf(s), kind: DocumentHighlightKind.Text }));
}

/** Rename a chain, set/map or variable everywhere in the document (`$`/`@` kept). */
export function nftRename(doc: NftDocument, uri: string, p: Position, newName: string): { changes: Record<string, TextEdit[]> } | null {
  const file = doc.analysis().file;
  const sym = nftSymbolAt(file, doc.offsetAt(p));
  if (!sym || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(newName)) return null;
  const edits = nftReferences(file, doc.offsetAt(p), true).map((s) => {
    const written = doc.text.slice(s.s, s.e);
    const sigil = /^[$@]/.test(written) ? written[0] : '';
    return { range: rangeOf(s), newText: sigil + newName };
  });
  return edits.length ? { changes: { [uri]: edits } } : null;
}

const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/** The marks in force at a line: the settings', then every `# sample:` comment above it, in order (as in iptables files). */
function sampleAbove(doc: NftDocument, line: number, base: { nfmark: number; ctmark: number }): { nfmark: number; ctmark: number } {
  const out = { ...base };
  const lines = doc.lines;
  for (let i = 0; i < line && i < lines.length; i++) {
    if (!lines[i].includes('# sample:')) continue;
    const c = parseSampleComment(lines[i].trim());
    if (c?.nfmark !== undefined) out.nfmark = c.nfmark;
    if (c?.ctmark !== undefined) out.ctmark = c.ctmark;
  }
  return out;
}

/** The mark statement or match under the cursor, as the kernel computes it on the sample. */
export function nftHover(doc: NftDocument, p: Position, sample: { nfmark: number; ctmark: number }): Hover | null {
  const off = doc.offsetAt(p);
  const { file } = doc.analysis();
  for (const { st } of markStatements(file, doc.text, off, off)) {
    if (off < st.s || off > st.e) continue;
    const r = evaluateNftMark(doc.text.slice(st.s, st.e), sampleAbove(doc, st.line, sample));
    if (!r.ok) break;
    const lines = [`**${r.summary}**`, '', `nft reads it as \`${r.grouped}\``, '', `kernel: \`${r.kernel}\``, '', `\`nft list\` prints: \`${r.listed}\``];
    if (r.iptables) lines.push('', `iptables: \`${r.iptables}\``);
    const before = `nfmark ${hex(r.before.nfmark)}, ctmark ${hex(r.before.ctmark)}`;
    if (r.kind === 'match') lines.push('', `sample (${before}): ${r.matches ? 'matches' : 'does not match'}`);
    else
      lines.push(
        '',
        `sample: ${before} → nfmark ${hex(r.nfmark)}, ctmark ${hex(r.ctmark)} (changed bits nfmark ${hex(r.changed.nfmark)}, ctmark ${hex(r.changed.ctmark)})`,
      );
    if (r.precedence) lines.push('', `Read left to right it would be \`${r.precedence.leftToRight}\`: nft binds \`and\` before \`xor\` before \`or\`.`);
    return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: rangeOf(st) };
  }
  // else the documentation of the keyword under the cursor (our words)
  const docs = nftDocHover(doc.text, p.line, p.character);
  return docs ? { contents: { kind: MarkupKind.Markdown, value: docs } } : null;
}

/** Quick fixes for the mark pitfalls, and rewrites of a mark statement to its exact equivalents. */
export function nftCodeActions(doc: NftDocument, uri: string, range: Range): CodeAction[] {
  const a = doc.offsetAt(range.start);
  const b = doc.offsetAt(range.end);
  const out: CodeAction[] = [];
  const replace = (title: string, st: Span, text: string, kind: string, preferred = false): CodeAction => ({
    title,
    kind,
    isPreferred: preferred || undefined,
    edit: { changes: { [uri]: [{ range: rangeOf(st), newText: text }] } },
  });
  for (const { st, report } of markStatements(doc.analysis().file, doc.text, a, b)) {
    if (b < st.s || a > st.e) continue;
    const written = doc.text.slice(st.s, st.e);
    const p = report.precedence;
    if (p) {
      out.push(replace(`Write nft's reading with parentheses: ${p.parenthesised}`, st, p.parenthesised, CodeActionKind.QuickFix));
      if (p.intended !== written) out.push(replace(`Write the left-to-right reading: ${p.intended}`, st, p.intended, CodeActionKind.QuickFix));
    }
    const t = report.translateShape;
    if (t?.intended) out.push(replace(`Write what ${t.iptables} computes: ${t.intended}`, st, t.intended, CodeActionKind.QuickFix, true));
    for (const e of report.equivalents) if (e !== written) out.push(replace(`Rewrite as ${e}`, st, e, CodeActionKind.RefactorRewrite));
  }
  return out;
}

/** Words a rule statement starts with, offered at the start of a rule. */
const STATEMENT_STARTS = [
  'ip',
  'ip6',
  'inet',
  'tcp',
  'udp',
  'icmp',
  'icmpv6',
  'meta',
  'ct',
  'iif',
  'iifname',
  'oif',
  'oifname',
  'mark',
  'fib',
  'counter',
  'log',
  'limit',
  'accept',
  'drop',
  'reject',
  'return',
  'jump',
  'goto',
  'queue',
  'masquerade',
  'snat',
  'dnat',
  'redirect',
  'notrack',
  'tproxy',
];

/** Completion by context: chains after jump/goto, `@` sets and maps, `$` variables, hooks, priorities, chain types, policies, families. */
export function nftCompletion(doc: NftDocument, p: Position): CompletionList {
  const off = doc.offsetAt(p);
  const lineStart = doc.offsetAt({ line: p.line, character: 0 });
  const before = doc.text.slice(lineStart, off);
  const { file } = doc.analysis();
  const chain = file.chains.find((c) => off >= c.span.s && off <= c.span.e);
  const decl = file.tables.find((t) => off >= t.span.s && off <= t.span.e);
  const table = chain ? { family: chain.family, name: chain.table.name } : decl && { family: decl.family, name: decl.name.name };
  const family: Family = table?.family ?? 'inet';
  const tableName = table?.name;
  const inTable = <T extends { family: Family; table: { name: string } }>(x: T) => !tableName || (x.family === family && x.table.name === tableName);
  const word = /[\w.-]*$/.exec(before)![0];
  const range: Range = { start: { line: p.line, character: p.character - word.length }, end: p };
  const items = (labels: Iterable<string>, kind: CompletionItemKind, detail?: string): CompletionList => ({
    isIncomplete: false,
    items: [...new Set(labels)].map((label) => ({ label, kind, detail, textEdit: { range, newText: label } })),
  });
  const head = before.slice(0, before.length - word.length);
  if (/\b(?:jump|goto)\s+$/.test(head))
    return items(
      file.chains
        .filter(inTable)
        .filter((c) => !c.type)
        .map((c) => c.name.name),
      CompletionItemKind.Function,
      'chain',
    );
  if (/@$/.test(head))
    return items(
      file.sets.filter(inTable).map((s) => s.name.name),
      CompletionItemKind.Variable,
      'set or map',
    );
  if (/\$$/.test(head))
    return items(
      file.defines.filter((d) => d.kind !== 'undefine').map((d) => d.name.name),
      CompletionItemKind.Constant,
      'define',
    );
  if (/\bhook\s+$/.test(head)) return items(FAMILY_HOOKS[family], CompletionItemKind.EnumMember, `hook of the ${family} family`);
  if (/\bpriority\s+$/.test(head)) {
    const hook = /\bhook\s+(\w+)/.exec(before)?.[1] ?? '';
    return items(priorityNamesFor(family, hook), CompletionItemKind.EnumMember, 'priority name');
  }
  if (/\btype\s+$/.test(head) && chain) return items(CHAIN_TYPES, CompletionItemKind.EnumMember, 'chain type');
  if (/\bpolicy\s+$/.test(head)) return items(['accept', 'drop'], CompletionItemKind.EnumMember, 'policy');
  if (/(?:^|\s)table\s+$/.test(head)) return items(FAMILIES, CompletionItemKind.EnumMember, 'family');
  if (chain && /^\s*$/.test(head)) return items(STATEMENT_STARTS, CompletionItemKind.Keyword);
  return { isIncomplete: false, items: [] };
}
