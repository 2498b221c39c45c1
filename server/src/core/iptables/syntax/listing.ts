/**
 * `iptables -L` output: chain headers, column headers, and rule lines whose last column
 * holds the extensions' own text (`MARK or 0x4000`, `mark match ! 0x4000/0x4000`, ...).
 * The listed mark forms map back to their kernel pairs.
 */
import { FULL, parseWhole, u32 } from '../../common/numbers';
import { MarkExtension, MarkOp, Shift } from '../../marks/marks';
import { Word } from './lexer';

export interface ListedMark {
  ext: MarkExtension;
  op: MarkOp;
  /** The words of the listed form, e.g. `MARK`, `or`, `0x4000`. */
  words: Word[];
}

export interface ListingChain {
  name: Word;
  policy?: Word;
  references?: number;
}

const CHAIN_RE = /^Chain (\S+) \((?:policy (\S+)[^)]*|(\d+) references?)\)/;

export function parseListingChain(line: string): ListingChain | null {
  const m = CHAIN_RE.exec(line);
  if (!m) return null;
  const name: Word = { text: m[1], l: 0, s: 6, el: 0, e: 6 + m[1].length };
  const out: ListingChain = { name };
  if (m[2]) {
    const s = line.indexOf(m[2], 6 + m[1].length);
    out.policy = { text: m[2], l: 0, s, el: 0, e: s + m[2].length };
  }
  if (m[3]) out.references = Number(m[3]);
  return out;
}

export const isListingHeader = (line: string): boolean => /^\s*(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+opt\b/.test(line);

function words(line: string): Word[] {
  const out: Word[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push({ text: m[0], l: 0, s: m.index, el: 0, e: m.index + m[0].length });
  return out;
}

const num = (w: Word | undefined): number | null => (w ? parseWhole(w.text.replace(/^~/, '')) : null);

function pairFromVerb(verb: string, a: Word | undefined): { value: number; mask: number; used: number } | null {
  if (!a) return null;
  if (verb === 'xset') {
    const [v, m] = a.text.split('/');
    const value = parseWhole(v ?? '');
    const mask = parseWhole(m ?? '');
    return value === null || mask === null ? null : { value, mask, used: 2 };
  }
  const x = num(a);
  if (x === null) return null;
  switch (verb) {
    case 'set':
      return { value: x, mask: FULL, used: 2 };
    case 'or':
      return { value: x, mask: x, used: 2 };
    case 'and':
      return { value: 0, mask: u32(~x), used: 2 };
    case 'xor':
      return { value: x, mask: 0, used: 2 };
  }
  return null;
}

function readShift(ws: Word[], k: number): { shift: Shift; used: number } {
  const w = ws[k];
  if (w && (w.text === 'left-shift-mark' || w.text === 'right-shift-mark')) {
    const bits = num(ws[k + 1]);
    if (bits !== null) return { shift: { dir: w.text.startsWith('left') ? 'left' : 'right', bits }, used: 2 };
  }
  return { shift: null, used: 0 };
}

/** Every listed mark form on one line of `iptables -L` output. */
export function parseListedMarks(line: string): ListedMark[] {
  const ws = words(line);
  const out: ListedMark[] = [];
  for (let k = 0; k < ws.length; k++) {
    const t = ws[k].text;
    if (t === 'MARK' && ws[k + 1] && /^(set|or|and|xor|xset)$/.test(ws[k + 1].text)) {
      const p = pairFromVerb(ws[k + 1].text, ws[k + 2]);
      if (!p) continue;
      out.push({ ext: 'MARK', op: { kind: 'xset', ext: 'MARK', value: p.value, mask: p.mask }, words: ws.slice(k, k + 3) });
      k += 2;
    } else if (t === 'CONNMARK' && ws[k + 1]) {
      const verb = ws[k + 1].text;
      if (/^(set|or|and|xor|xset)$/.test(verb)) {
        const p = pairFromVerb(verb, ws[k + 2]);
        if (!p) continue;
        const sh = readShift(ws, k + 3);
        out.push({
          ext: 'CONNMARK',
          op: { kind: 'ct-set', ext: 'CONNMARK', value: p.value, mask: p.mask, shift: sh.shift },
          words: ws.slice(k, k + 3 + sh.used),
        });
        k += 2 + sh.used;
      } else if (verb === 'save' || verb === 'restore') {
        let j = k + 2;
        let nfmask = FULL;
        let ctmask = FULL;
        const w2 = ws[j]?.text;
        if (w2 === 'mask' && num(ws[j + 1]) !== null) {
          nfmask = ctmask = num(ws[j + 1])!;
          j += 2;
        } else if ((w2 === 'nfmask' || w2 === 'ctmask') && ws[j + 2]) {
          const a = num(ws[j + 1]);
          const b = num(ws[j + 3]);
          if (a !== null && b !== null) {
            if (w2 === 'nfmask') [nfmask, ctmask] = [a, b];
            else [ctmask, nfmask] = [a, b];
            j += 4;
          }
        }
        const sh = readShift(ws, j);
        j += sh.used;
        const kind = verb === 'save' ? 'ct-save' : 'ct-restore';
        out.push({ ext: 'CONNMARK', op: { kind, ext: 'CONNMARK', nfmask, ctmask, shift: sh.shift }, words: ws.slice(k, j) });
        k = j - 1;
      }
    } else if ((t === 'mark' || t === 'connmark') && ws[k + 1]?.text === 'match') {
      let j = k + 2;
      const invert = ws[j]?.text === '!';
      if (invert) j++;
      const [v, m] = (ws[j]?.text ?? '').split('/');
      const value = parseWhole(v ?? '');
      const mask = m === undefined ? FULL : parseWhole(m);
      if (value === null || mask === null) continue;
      out.push({ ext: t, op: { kind: 'match', ext: t, value, mask, invert }, words: ws.slice(k, j + 1) });
      k = j;
    } else if (t === 'TPROXY' && ws[k + 1]?.text === 'redirect') {
      const mi = ws.findIndex((w, idx) => idx > k && w.text === 'mark');
      if (mi < 0) continue;
      const [v, m] = (ws[mi + 1]?.text ?? '').split('/');
      const value = parseWhole(v ?? '');
      const mask = m === undefined ? FULL : parseWhole(m);
      if (value === null || mask === null) continue;
      out.push({ ext: 'TPROXY', op: { kind: 'xset', ext: 'TPROXY', value, mask }, words: ws.slice(k, mi + 2) });
      k = mi + 1;
    }
  }
  return out;
}
