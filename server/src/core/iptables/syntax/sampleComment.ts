/**
 * The sample input a hover evaluates on: settings give the default; a comment line
 * `# sample: nfmark=0x12345678 ctmark=0xabcdef00` overrides it for the lines below.
 * Other `key=value` pairs (src, dst, proto, ...) are kept for the packet walk; a packet key
 * with an invalid value (`src=10.1.2.300`) is a problem at that word, and is left out.
 */
import { parseWhole } from '../../common/numbers';
import { packetFieldProblem } from '../../common/samplePacket';
import { Word } from './lexer';

export interface SampleComment {
  /** Only the keys written; the rest come from the sample above or the settings. */
  nfmark?: number;
  ctmark?: number;
  fields: Record<string, string>;
  /** Each key=value as written, for hover and diagnostics. */
  pairs: { key: string; value: string; word: Word }[];
  problems: { word: Word; message: string }[];
}

const SAMPLE_RE = /^\s*#\s*sample:/i;

export const isSampleComment = (line: string): boolean => SAMPLE_RE.test(line);

/** Read `# sample: k=v ...`; null when the line is not a sample comment. */
export function parseSampleComment(line: string): SampleComment | null {
  const m = SAMPLE_RE.exec(line);
  if (!m) return null;
  const out: SampleComment = { fields: {}, pairs: [], problems: [] };
  const re = /(\S+)/g;
  re.lastIndex = m[0].length;
  let t: RegExpExecArray | null;
  while ((t = re.exec(line))) {
    const text = t[1];
    const word: Word = { text, l: 0, s: t.index, el: 0, e: t.index + text.length };
    const eq = text.indexOf('=');
    if (eq <= 0) {
      out.problems.push({ word, message: `Expected key=value in the sample, e.g. nfmark=0x4000 (got "${text}")` });
      continue;
    }
    const key = text.slice(0, eq).toLowerCase();
    const value = text.slice(eq + 1);
    out.pairs.push({ key, value, word });
    if (key === 'nfmark' || key === 'ctmark' || key === 'mark' || key === 'fwmark') {
      const v = parseWhole(value);
      if (v === null) {
        out.problems.push({ word, message: `Sample ${key} must be a number from 0 to 0xffffffff (got "${value}")` });
        continue;
      }
      if (key === 'ctmark') out.ctmark = v;
      else out.nfmark = v;
    } else {
      // packet keys (src, dst, proto, ports, interfaces, state) are checked; others are kept as written
      const bad = packetFieldProblem(key, value);
      if (bad) {
        out.problems.push({ word, message: bad });
        continue;
      }
      out.fields[key] = value;
    }
  }
  return out;
}
