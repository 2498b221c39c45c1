/** Test helpers: `$0` cursor markers, applying edits, and a fresh service per test. */
import { NfRulesService } from '../../server/src/core/service/service';
import { Format } from '../../server/src/core/iptables/syntax/document';

export interface Cursor {
  text: string;
  pos: { line: number; character: number };
}

/** Remove the `$0` marker and return where it stood. */
export function cursor(src: string): Cursor {
  const at = src.indexOf('$0');
  if (at < 0) throw new Error('no $0 in fixture');
  const text = src.slice(0, at) + src.slice(at + 2);
  const before = text.slice(0, at).split('\n');
  return { text, pos: { line: before.length - 1, character: before[before.length - 1].length } };
}

export function openDoc(text: string, format: Format = 'save', uri = 'file:///t/rules.v4') {
  const svc = new NfRulesService();
  svc.open(uri, text, undefined, 1, format);
  return { svc, uri };
}

interface Edit {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  newText: string;
}

/** Apply LSP text edits (non-overlapping) to a text, as a client does. */
export function applyEdits(text: string, edits: Edit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => {
    let o = 0;
    for (let i = 0; i < p.line; i++) o += lines[i].length + 1;
    return o + p.character;
  };
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

/** Both line endings, for tests that must hold for each. */
export const EOLS = ['\n', '\r\n'] as const;
export const withEol = (s: string, eol: string) => s.split('\n').join(eol);
