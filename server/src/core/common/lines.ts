/**
 * Lines as LSP counts them: `\r\n`, `\n` and a lone `\r` each end a line (an editor shows a
 * lone `\r` as a line break, and positions are counted so). What iptables-restore and the
 * shell read differs for a lone `\r` (no line end for them): the document keeps each line's
 * end so that a finding can say so.
 */

/** Split text at LSP's line ends: the lines, and the end of each ('' for the last). */
export function splitLineEnds(text: string): { lines: string[]; ends: string[] } {
  if (text.indexOf('\r') < 0) {
    const lines = text.split('\n');
    const ends = new Array<string>(lines.length).fill('\n');
    ends[ends.length - 1] = '';
    return { lines, ends };
  }
  const lines: string[] = [];
  const ends: string[] = [];
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    lines.push(text.slice(from, i));
    if (c === 13 && text.charCodeAt(i + 1) === 10) {
      ends.push('\r\n');
      i++;
    } else ends.push(c === 13 ? '\r' : '\n');
    from = i + 1;
  }
  lines.push(text.slice(from));
  ends.push('');
  return { lines, ends };
}

/** How many line ends of a text LSP counts (`\r\n` once). */
export function countLineEnds(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13) {
      n++;
      if (text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return n;
}

/**
 * A position clamped as LSP says (and vscode-languageserver-textdocument does): a line before
 * the first is the start of the text, a line past the last its end, a character past the end of
 * its line that end; fractions are cut, anything not a number is 0.
 */
export function clampPosition(lines: readonly string[], p: { line: number; character: number }): { line: number; character: number } {
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? Math.floor(x) : 0);
  const line = num(p?.line);
  if (line < 0) return { line: 0, character: 0 };
  if (line >= lines.length) return { line: lines.length - 1, character: lines[lines.length - 1].length };
  return { line, character: Math.min(Math.max(0, num(p?.character)), lines[line].length) };
}

/** A range with both ends clamped, start before end. */
export function clampRange(lines: readonly string[], r: { start: { line: number; character: number }; end: { line: number; character: number } }) {
  const a = clampPosition(lines, r?.start);
  const b = clampPosition(lines, r?.end);
  return a.line < b.line || (a.line === b.line && a.character <= b.character) ? { start: a, end: b } : { start: b, end: a };
}

/** `a.splice(at, remove, ...items)` without spreading a huge array into arguments (a 450,000-line paste). */
export function spliceMany<T>(a: T[], at: number, remove: number, items: T[]): T[] {
  if (items.length < 10_000) return a.splice(at, remove, ...items);
  const removed = a.slice(at, at + remove);
  const tail = a.slice(at + remove);
  a.length = at;
  for (const x of items) a.push(x);
  for (const x of tail) a.push(x);
  return removed;
}
