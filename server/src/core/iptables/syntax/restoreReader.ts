/**
 * How iptables-restore 1.8.9 reads a line that is not what the editor shows: one that ends
 * in a carriage return (a CRLF file), or one longer than its line buffer. It reads the input
 * with fgets into a buffer of 10240 bytes, so at most 10239 bytes a piece: a longer line is
 * cut, and each further piece is read as a line of its own (iptables numbers pieces, not
 * lines). A `\r` is an ordinary character to it: it stays in the last word (`ACCEPT\r`,
 * `filter\r`), and a line of only `\r` is a rule. Pure; the parse of one line is passed in.
 */
import type { Entry } from './entry';
import type { Finding } from './lineFindings';
import { TABLES } from '../knowledge/commands';

/** fgets' buffer in iptables-restore (xtables-restore.c, 1.8.9). */
export const LINE_BUFFER = 10240;

/** The UTF-8 length of one UTF-16 code unit (a surrogate pair counts 4 over its two units). */
function unitBytes(c: number): number {
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c < 0xdc00) return 2;
  if (c >= 0xdc00 && c < 0xe000) return 2;
  return 3;
}

/** Whether the reader must look at this line at all: it ends in `\r`, or it may not fit the buffer. */
export function needsReader(text: string, cr: boolean): boolean {
  return cr || text.length * 3 + 2 > LINE_BUFFER - 1;
}

/**
 * The pieces iptables-restore reads of one line (with its `\r` if it had one, without the
 * `\n`): their text and the column each starts at. One piece when the line fits.
 */
export function restorePieces(text: string, cr: boolean): { text: string; s: number }[] {
  const raw = cr ? text + '\r' : text;
  const out: { text: string; s: number }[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = unitBytes(raw.charCodeAt(i));
    if (bytes + b > LINE_BUFFER - 1) {
      out.push({ text: raw.slice(start, i), s: start });
      start = i;
      bytes = 0;
    }
    bytes += b;
  }
  // the `\n` itself is the last byte of the last piece, or a piece of its own (a blank line)
  out.push({ text: raw.slice(start), s: start });
  return out;
}

/**
 * The first error iptables-restore meets reading this line as it really reads it, or null
 * where that is no different from the line as shown (or nothing is refused). `inTable`: a
 * table is open at this line. `piece` is iptables' number of the line's first piece.
 */
export function readerFinding(
  text: string,
  cr: boolean,
  line: number,
  inTable: boolean,
  piece: number,
  parse: (t: string) => Entry | null,
  own: (e: Entry) => Finding[] | undefined,
): Finding | null {
  const pieces = restorePieces(text, cr);
  if (pieces.length === 1 && !cr) return null;
  const why = (k: number) => {
    const parts: string[] = [];
    if (pieces.length > 1)
      parts.push(
        k === 0
          ? `iptables-restore reads at most ${LINE_BUFFER - 1} bytes of a line: it cuts this one at column ${pieces[1].s + 1}`
          : `iptables-restore reads at most ${LINE_BUFFER - 1} bytes of a line: the rest of this line, from column ${pieces[k].s + 1}, is its line ${piece + k}`,
      );
    if (cr && k === pieces.length - 1) parts.push('the line ends in a carriage return (CRLF), which iptables-restore reads as part of the last word');
    return parts.join('; ');
  };
  for (let k = 0; k < pieces.length; k++) {
    const p = pieces[k];
    const last = k === pieces.length - 1;
    if (p.text === '' && (last || k > 0)) continue; // the `\n` alone: a blank line
    const e = parse(p.text);
    if (!e) continue; // a comment
    const at = (s: number, endS: number, message: string): Finding => ({
      code: 'line-read',
      severity: 'error',
      message: `${message} (${why(k)})`,
      line,
      s: p.s + s,
      endLine: line,
      e: Math.min(p.s + endS, text.length),
    });
    if (k > 0 || !inTable) {
      // what the piece starts decides its kind, with the table state at this line
      if (!inTable && e.k !== 'table') return at(0, p.text.length, `iptables-restore: line ${piece + k} failed`);
      if (inTable && e.k === 'table') return at(0, p.text.length, `Bad argument \`${p.text.split(/[ \t]/)[0]}'`);
    }
    if (e.k === 'table' && !inTable && !(e.name.text in TABLES))
      return at(e.name.s, e.name.e, e.name.text ? `table name '${e.name.text}' invalid` : `iptables-restore: line ${piece + k} table name invalid`);
    for (const f of own(e) ?? []) if (f.severity === 'error' && f.line === 0) return at(f.s, f.e, f.message);
  }
  return null;
}
