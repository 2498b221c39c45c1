/**
 * The nftables lexer: the tokens nft's flex scanner (src/scanner.l, nftables 1.0.6) makes of
 * a file, with exact offsets (UTF-16 indices into the text, as LSP ranges count) and
 * line/character positions.
 *
 * Facts carried over from the scanner (not its code):
 * - longest match wins; on a tie the earlier rule wins, so a keyword beats a plain string of
 *   the same text (which is why `kind: 'string'` plus `isKeyword(text)` tells them apart);
 * - a string is `[A-Za-z_.][A-Za-z0-9/\-_.]*`; a quoted string is `"[^"]*"` (no escapes, may
 *   span lines); a string ending in `*` (or `\*`) is an asterisk string;
 * - a carriage return is junk (measured: nft 1.0.6 refuses CRLF files, "unexpected junk");
 * - MAC, IPv4 and IPv6 addresses, `[ipv6]`, time strings (`1h30m`), hex and decimal numbers
 *   (a leading 0 is octal; a number that does not convert is a string), class ids `1:2`
 *   (only before a blank, `:`, `-`, `}` or `,`) are single tokens;
 * - `#` starts a comment to the end of the line; a line holding only a comment (after blanks)
 *   swallows its newline, so it yields no newline token;
 * - `\` before a newline joins the lines; a newline is a token (a separator like `;`);
 * - any other character is junk.
 */

export type TokKind =
  | 'string' // STRING (also keywords: see isKeyword), addresses, time strings, octal-invalid numbers
  | 'quoted' // QUOTED_STRING, text without the quotes in `value`
  | 'asterisk' // ASTERISK_STRING (`eth*`)
  | 'number' // NUM
  | 'punct' // operators and brackets
  | 'newline'
  | 'junk'
  | 'eof';

export interface Token {
  kind: TokKind;
  /** The source text of the token. */
  text: string;
  /** For quoted strings: the text between the quotes; for `[v6]` the address; else text. */
  value: string;
  /** Offsets into the text: [s, e). */
  s: number;
  e: number;
  /** Position of the start and end (0-based line and UTF-16 character). */
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export interface Comment {
  s: number;
  e: number;
  line: number;
  col: number;
  endCol: number;
  text: string;
}

export interface LexResult {
  tokens: Token[];
  comments: Comment[];
  /** Offsets at which each line starts. */
  lineStarts: number[];
}

const OPS3 = new Set<string>();
const OPS2 = new Set(['==', '!=', '<=', '>=', '<<', '>>']);
const OPS1 = new Set([',', '.', ':', ';', '{', '}', '[', ']', '(', ')', '^', '&', '|', '!', '/', '-', '*', '@', '$', '=', '+', '<', '>']);
void OPS3;

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isStringStart(c: number): boolean {
  return isLetter(c) || c === 95 /* _ */ || c === 46; /* . */
}
function isStringChar(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === 47 /* / */ || c === 45 /* - */ || c === 95 || c === 46;
}

/** Length of a `{string}` at i, 0 if none. */
function stringLen(t: string, i: number): number {
  if (i >= t.length || !isStringStart(t.charCodeAt(i))) return 0;
  let j = i + 1;
  while (j < t.length && isStringChar(t.charCodeAt(j))) j++;
  return j - i;
}

/** Length of an asterisk string at i (see scanner facts), 0 if none. */
function asteriskLen(t: string, i: number): number {
  const n = stringLen(t, i);
  if (n === 0) {
    return t[i] === '\\' && t[i + 1] === '*' ? 2 : 0;
  }
  const j = i + n;
  if (t[j] === '*') return n + 1;
  if (t[j] === '\\' && t[j + 1] === '*') {
    const m = stringLen(t, j + 2);
    return n + 2 + m;
  }
  return 0;
}

/** Longest time string (`([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?`) at i. */
function timeLen(t: string, i: number): number {
  const units = ['d', 'h', 'm', 's', 'ms'];
  let best = 0;
  const go = (pos: number, u: number): void => {
    if (pos > i && pos - i > best) best = pos - i;
    if (u >= units.length) return;
    // skip this unit
    go(pos, u + 1);
    let j = pos;
    while (j < t.length && isDigit(t.charCodeAt(j))) j++;
    if (j === pos) return;
    const unit = units[u];
    if (t.startsWith(unit, j)) go(j + unit.length, u + 1);
  };
  go(i, 0);
  return best;
}

function hex4Run(t: string, i: number): number {
  let j = i;
  while (j < t.length && j - i < 4 && isHex(t.charCodeAt(j))) j++;
  return j - i;
}

function ip4Len(t: string, i: number): number {
  let j = i;
  for (let part = 0; part < 4; part++) {
    let k = j;
    while (k < t.length && k - j < 3 && isDigit(t.charCodeAt(k))) k++;
    if (k === j) return 0;
    j = k;
    if (part < 3) {
      if (t[j] !== '.') return 0;
      j++;
    }
  }
  return j - i;
}

function macLen(t: string, i: number): number {
  let j = i;
  for (let part = 0; part < 6; part++) {
    let k = j;
    while (k < t.length && k - j < 2 && isHex(t.charCodeAt(k))) k++;
    if (k === j) return 0;
    j = k;
    if (part < 5) {
      if (t[j] !== ':') return 0;
      j++;
    }
  }
  return j - i;
}

/**
 * Whether s is an IPv6 address in one of the forms the scanner lists (8 groups, or `::`
 * compression, the last 32 bits possibly an IPv4 address).
 */
export function isIp6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::') && dbl >= 0) return false;
  const groups = (part: string): number | null => {
    if (part === '') return 0;
    const gs = part.split(':');
    let n = 0;
    for (let k = 0; k < gs.length; k++) {
      const g = gs[k];
      if (k === gs.length - 1 && g.includes('.')) {
        if (ip4Len(g, 0) !== g.length) return null;
        n += 2;
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        n += 1;
      }
    }
    return n;
  };
  if (dbl < 0) return groups(s) === 8;
  const left = s.slice(0, dbl);
  const right = s.slice(dbl + 2);
  if (left.includes('.')) return false;
  const a = groups(left);
  const b = groups(right);
  if (a === null || b === null) return false;
  return a + b <= 7;
}

/** Longest IPv6 address at i (bounded: an address has at most 45 characters). */
function ip6Len(t: string, i: number): number {
  let j = i;
  while (j < t.length && j - i < 45) {
    const c = t.charCodeAt(j);
    if (isHex(c) || c === 58 /* : */ || c === 46 /* . */) j++;
    else break;
  }
  for (let k = j; k > i + 1; k--) {
    const c = t.charCodeAt(k - 1);
    if (c === 46) continue;
    if (isIp6(t.slice(i, k))) return k - i;
  }
  return 0;
}

function classidLen(t: string, i: number): number {
  const a = hex4Run(t, i);
  if (a === 0 || t[i + a] !== ':') return 0;
  const b = hex4Run(t, i + a + 1);
  if (b === 0) return 0;
  const n = a + 1 + b;
  const next = t[i + n];
  if (next === undefined) return 0;
  return ' \t\n:-},'.includes(next) ? n : 0;
}

function numberToken(text: string): 'number' | 'string' {
  if (/^0[xX]/.test(text)) return text.length - 2 <= 16 || /^0[xX]0*[0-9a-fA-F]{1,16}$/.test(text) ? 'number' : 'string';
  if (text.length > 1 && text[0] === '0') {
    if (!/^[0-7]+$/.test(text)) return 'string';
    try {
      return BigInt('0o' + text.slice(1)) <= 0xffffffffffffffffn ? 'number' : 'string';
    } catch {
      return 'string';
    }
  }
  return BigInt(text) <= 0xffffffffffffffffn ? 'number' : 'string';
}

/** The tokens of a whole text. Never throws; linear in the text. */
export function lex(text: string): LexResult {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  const lineStarts: number[] = [0];
  let line = 0;
  let lineStart = 0;
  let i = 0;
  const n = text.length;
  const push = (kind: TokKind, s: number, e: number, value?: string): void => {
    // tokens never span a newline except quoted strings, handled by the caller
    const tx = text.slice(s, e);
    tokens.push({ kind, text: tx, value: value ?? tx, s, e, line, col: s - lineStart, endLine: line, endCol: e - lineStart });
  };
  const newline = (at: number): void => {
    line++;
    lineStart = at + 1;
    lineStarts.push(lineStart);
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    // comment_line: ^[ \t]*#.*\n at a line start, no newline token
    if (i === lineStart && (c === 32 || c === 9 || c === 35)) {
      let j = i;
      while (j < n && (text[j] === ' ' || text[j] === '\t')) j++;
      if (text[j] === '#') {
        let k = j;
        while (k < n && text[k] !== '\n') k++;
        comments.push({ s: j, e: k, line, col: j - lineStart, endCol: k - lineStart, text: text.slice(j, k) });
        if (k < n) {
          newline(k);
          i = k + 1;
          continue;
        }
        i = k;
        continue;
      }
    }
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    if (c === 10) {
      push('newline', i, i + 1);
      newline(i);
      i++;
      continue;
    }
    if (c === 92 /* \ */ && text.charCodeAt(i + 1) === 10) {
      newline(i + 1);
      i += 2;
      continue;
    }
    if (c === 35 /* # */) {
      let k = i;
      while (k < n && text[k] !== '\n') k++;
      comments.push({ s: i, e: k, line, col: i - lineStart, endCol: k - lineStart, text: text.slice(i, k) });
      i = k;
      continue;
    }
    if (c === 34 /* " */) {
      const close = text.indexOf('"', i + 1);
      if (close < 0) {
        push('junk', i, i + 1);
        i++;
        continue;
      }
      const sLine = line;
      const sCol = i - lineStart;
      for (let k = i + 1; k < close; k++) if (text.charCodeAt(k) === 10) newline(k);
      tokens.push({
        kind: 'quoted',
        text: text.slice(i, close + 1),
        value: text.slice(i + 1, close),
        s: i,
        e: close + 1,
        line: sLine,
        col: sCol,
        endLine: line,
        endCol: close + 1 - lineStart,
      });
      i = close + 1;
      continue;
    }
    // candidates for the longest match (the first considered wins a tie)
    let best = 0;
    let kind = 'junk' as TokKind;
    let value: string | undefined;
    let len = 0;
    if (i + 1 < n && OPS2.has(text.slice(i, i + 2))) len = 2;
    else if (OPS1.has(text[i])) len = 1;
    if (len > best) {
      best = len;
      kind = 'punct';
    }
    len = stringLen(text, i);
    if (len > best) {
      best = len;
      kind = 'string';
    }
    if (isHex(c) || c === 58) {
      len = Math.max(macLen(text, i), ip6Len(text, i));
      if (len > best) {
        best = len;
        kind = 'string';
      }
    }
    if (isDigit(c)) {
      len = Math.max(ip4Len(text, i), timeLen(text, i));
      if (len > best) {
        best = len;
        kind = 'string';
      }
      if (c === 48 && (text[i + 1] === 'x' || text[i + 1] === 'X') && isHex(text.charCodeAt(i + 2))) {
        let j = i + 2;
        while (j < n && isHex(text.charCodeAt(j))) j++;
        if (j - i > best) {
          best = j - i;
          kind = 'number';
        }
      }
      let j = i;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      if (j - i > best) {
        best = j - i;
        kind = 'number';
      }
    }
    if (isHex(c)) {
      len = classidLen(text, i);
      if (len > best) {
        best = len;
        kind = 'string';
      }
    }
    if (c === 91 /* [ */) {
      const close = text.indexOf(']', i);
      if (close > i && close - i <= 47 && isIp6(text.slice(i + 1, close)) && close + 1 - i > best) {
        best = close + 1 - i;
        kind = 'string';
        value = text.slice(i + 1, close);
      }
    }
    len = asteriskLen(text, i);
    if (len > best) {
      best = len;
      kind = 'asterisk';
    }
    if (best === 0) {
      // junk: one character (a surrogate pair counts as one)
      const cp = text.codePointAt(i) ?? 0;
      const w = cp > 0xffff ? 2 : 1;
      push('junk', i, i + w);
      i += w;
      continue;
    }
    if (kind === 'number') kind = numberToken(text.slice(i, i + best));
    push(kind, i, i + best, value);
    i += best;
  }
  tokens.push({ kind: 'eof', text: '', value: '', s: n, e: n, line, col: n - lineStart, endLine: line, endCol: n - lineStart });
  return { tokens, comments, lineStarts };
}
