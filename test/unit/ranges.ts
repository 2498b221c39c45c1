/**
 * Expected ranges written in the text: `«name»` marks a range (the guillemets are removed),
 * `$0` the cursor. Ranges are returned in text order.
 */
export interface Marked {
  text: string;
  pos: { line: number; character: number };
  ranges: { start: { line: number; character: number }; end: { line: number; character: number } }[];
}

export function marked(src: string): Marked {
  let text = '';
  let line = 0;
  let col = 0;
  let pos: Marked['pos'] | undefined;
  const ranges: Marked['ranges'] = [];
  let open: { line: number; character: number } | undefined;
  for (let i = 0; i < src.length; i++) {
    if (src.startsWith('$0', i)) {
      pos = { line, character: col };
      i++;
      continue;
    }
    const c = src[i];
    if (c === '«') {
      open = { line, character: col };
      continue;
    }
    if (c === '»') {
      ranges.push({ start: open!, end: { line, character: col } });
      continue;
    }
    text += c;
    if (c === '\n') {
      line++;
      col = 0;
    } else col++;
  }
  return { text, pos: pos ?? { line: 0, character: 0 }, ranges };
}

/** `line:start-end` strings, for readable assertions. */
export const show = (rs: { start: { line: number; character: number }; end: { line: number; character: number } }[]) =>
  rs.map((r) => `${r.start.line}:${r.start.character}-${r.end.line === r.start.line ? '' : r.end.line + ':'}${r.end.character}`).sort();
