/**
 * A document embedded in another (a here-document fed to iptables-restore inside a shell
 * script) is served as a document of its own; a Projection moves positions into it and
 * moves every answer (ranges, edits, locations, symbols, findings, tokens, hints) back out:
 * lines down by `start`, columns right by the tabs `<<-` cut from each line.
 */
import type { CodeAction, CompletionList, DocumentSymbol, InlayHint, Location, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver-types';
import type { Finding } from '../common/finding';
import type { Position } from '../features/cursor';

export class Projection {
  constructor(
    /** The embedded document's own uri. */
    readonly sub: string,
    /** Its first line in the outer document. */
    readonly start: number,
    /** The columns cut from each of its lines (`<<-` tabs). */
    readonly cut: number[],
    /** Fed to `iptables-restore --noflush` (`-n`): chains it does not declare may exist. */
    readonly noflush = false,
  ) {}

  /** Lines of the outer document the embedded one covers: [start, start + cut.length). */
  get end(): number {
    return this.start + this.cut.length;
  }

  /** An outer position, inside. */
  inward(p: Position): Position {
    return { line: p.line - this.start, character: Math.max(0, p.character - (this.cut[p.line - this.start] ?? 0)) };
  }

  position(p: Position): Position {
    return { line: p.line + this.start, character: p.character + (this.cut[p.line] ?? 0) };
  }

  range(r: Range): Range {
    return { start: this.position(r.start), end: this.position(r.end) };
  }

  edits(edits: readonly TextEdit[]): TextEdit[] {
    return edits.map((e) => ({ ...e, range: this.range(e.range) }));
  }

  /** A workspace edit on the embedded document, as one on the outer `uri`. */
  workspaceEdit(edit: WorkspaceEdit | undefined, uri: string): WorkspaceEdit {
    return { changes: { [uri]: this.edits(edit?.changes?.[this.sub] ?? []) } };
  }

  location(l: Location, uri: string): Location {
    return { uri, range: this.range(l.range) };
  }

  symbol(x: DocumentSymbol): DocumentSymbol {
    return { ...x, range: this.range(x.range), selectionRange: this.range(x.selectionRange), children: x.children?.map((c) => this.symbol(c)) };
  }

  finding<F extends Finding>(f: F): F {
    return { ...f, line: f.line + this.start, endLine: f.endLine + this.start, s: f.s + (this.cut[f.line] ?? 0), e: f.e + (this.cut[f.endLine] ?? 0) };
  }

  codeAction(a: CodeAction, uri: string): CodeAction {
    return { ...a, diagnostics: a.diagnostics?.map((d) => ({ ...d, range: this.range(d.range) })), edit: this.workspaceEdit(a.edit, uri) };
  }

  completion(list: CompletionList): CompletionList {
    return {
      ...list,
      items: list.items.map((it) =>
        it.textEdit && 'range' in it.textEdit ? { ...it, textEdit: { ...it.textEdit, range: this.range(it.textEdit.range) } } : it,
      ),
    };
  }

  inlayHint(x: InlayHint): InlayHint {
    return { ...x, position: this.position(x.position) };
  }

  /** A semantic token as absolute [line, start, length, type, modifiers]. */
  token(t: number[]): number[] {
    return [t[0] + this.start, t[1] + (this.cut[t[0]] ?? 0), t[2], t[3], t[4]];
  }
}

/** LSP semantic tokens (five numbers each, lines and starts relative) as absolute [line, start, length, type, modifiers]. */
export function decodeTokens(data: number[]): number[][] {
  const out: number[][] = [];
  let line = 0;
  let start = 0;
  for (let i = 0; i + 4 < data.length; i += 5) {
    line += data[i];
    start = data[i] === 0 ? start + data[i + 1] : data[i + 1];
    out.push([line, start, data[i + 2], data[i + 3], data[i + 4]]);
  }
  return out;
}

/** Absolute tokens, sorted, back to LSP's relative encoding. */
export function encodeTokens(tokens: number[][]): number[] {
  const out: number[] = [];
  let line = 0;
  let start = 0;
  for (const [l, s, len, type, mods] of tokens) {
    out.push(l - line, l === line ? s - start : s, len, type, mods);
    line = l;
    start = s;
  }
  return out;
}
