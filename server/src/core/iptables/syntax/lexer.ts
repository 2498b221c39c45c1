/**
 * Splitting a line into words with exact source columns, the way iptables-restore does for
 * save files and the way the shell does for scripts. Pure; never throws.
 */

/** One word: its value after quote removal, where it stands, and whether it is known. */
export interface Word {
  text: string;
  /** Line of the first character, relative to the entry's first line (shell continuations). */
  l: number;
  /** Column (UTF-16) of the first character on that line. */
  s: number;
  /** Line of the end, relative to the entry's first line. */
  el: number;
  /** Column just after the last character. */
  e: number;
  /** The value depends on a shell expansion: it cannot be judged. */
  unknown?: boolean;
  /** Some of it was quoted. */
  quoted?: boolean;
  /** A value attached to its option (`tcp` of `-ptcp`, `x` of `--source=x`) that iptables 1.8.9 reads as this whole word instead. */
  attached?: string;
}

/** A here-document: its delimiter, whether it was quoted (no expansions in the body), `<<-` (leading tabs stripped). */
export interface HereDoc {
  delim: string;
  quoted: boolean;
  strip: boolean;
}

export interface LexProblem {
  message: string;
  l: number;
  s: number;
  el: number;
  e: number;
  severity: 'error' | 'warning';
  /** The finding's code (else unterminated-quote). */
  code?: 'bad-argument' | 'no-command';
}

/**
 * iptables-restore's tokenizer (1.8.9): words split at spaces and tabs; a `"` opens a
 * quoted part in which `\x` stands for x; the closing `"` ends the word; single quotes are
 * ordinary characters. An unterminated quote takes the rest of the line.
 */
export function splitRestoreLine(line: string, from = 0): { words: Word[]; problems: LexProblem[] } {
  const words: Word[] = [];
  const problems: LexProblem[] = [];
  let i = from;
  const n = line.length;
  if (line.indexOf('\t', from) < 0) {
    // The common line: no tab, so only spaces separate words; the runs
    // between spaces and quotes are found by the native search. The same words, columns and
    // problems as the general loop below.
    let quote = line.indexOf('"', from);
    while (i < n) {
      if (line.charCodeAt(i) === 32) {
        i++;
        continue;
      }
      const start = i;
      let space = line.indexOf(' ', i);
      if (space < 0) space = n;
      if (quote < 0 || quote >= space) {
        words.push({ text: line.slice(i, space), l: 0, s: i, el: 0, e: space });
        i = space;
        continue;
      }
      // a quote inside this run: the text before it, then the quoted part, which ends the word
      let text = line.slice(i, quote);
      i = quote + 1;
      let closed = false;
      while (i < n) {
        const close = line.indexOf('"', i);
        const esc = line.indexOf('\\', i);
        if (esc >= 0 && (close < 0 || esc < close)) {
          text += line.slice(i, esc);
          if (esc + 1 < n) {
            text += line[esc + 1];
            i = esc + 2;
          } else {
            text += '\\';
            i = n;
          }
          continue;
        }
        if (close < 0) {
          text += line.slice(i);
          i = n;
          break;
        }
        text += line.slice(i, close);
        i = close + 1; // the closing quote ends the word
        closed = true;
        break;
      }
      words.push({ text, l: 0, s: start, el: 0, e: i, quoted: true });
      if (!closed) {
        problems.push({
          message: 'Unterminated quote: iptables-restore takes the rest of the line as one word',
          l: 0,
          s: start,
          el: 0,
          e: i,
          severity: 'warning',
        });
      }
      if (i < n) quote = line.indexOf('"', i);
    }
    return { words, problems };
  }
  return splitRestoreLineReference(line, from);
}

/**
 * The general tokenizer, character by character (tabs); splitRestoreLine uses it for lines
 * with a tab, and the tests compare the two on every line. Only blanks and tabs separate
 * words: a carriage return is an ordinary character to iptables-restore (1.8.9 splits at
 * ' ', '\t' and '\n'), so `ACCEPT\r` is a word of its own.
 */
export function splitRestoreLineReference(line: string, from = 0): { words: Word[]; problems: LexProblem[] } {
  const words: Word[] = [];
  const problems: LexProblem[] = [];
  let i = from;
  const n = line.length;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const start = i;
    let text = '';
    let quoted = false;
    let closed = true;
    while (i < n) {
      const ch = line.charCodeAt(i);
      if (ch === 32 || ch === 9) break;
      if (ch === 34 /* " */) {
        quoted = true;
        closed = false;
        i++;
        while (i < n) {
          const q = line.charCodeAt(i);
          if (q === 92 /* \ */ && i + 1 < n) {
            text += line[i + 1];
            i += 2;
            continue;
          }
          if (q === 34) {
            closed = true;
            break;
          }
          text += line[i];
          i++;
        }
        if (closed) i++; // the closing quote ends the word
        break;
      }
      let j = i;
      while (j < n) {
        const ch2 = line.charCodeAt(j);
        if (ch2 === 32 || ch2 === 9 || ch2 === 34) break;
        j++;
      }
      text += line.slice(i, j);
      i = j;
    }
    const w: Word = { text, l: 0, s: start, el: 0, e: i };
    if (quoted) w.quoted = true;
    words.push(w);
    if (!closed) {
      problems.push({
        message: 'Unterminated quote: iptables-restore takes the rest of the line as one word',
        l: 0,
        s: start,
        el: 0,
        e: i,
        severity: 'warning',
      });
    }
  }
  return { words, problems };
}

/** A shell token: a word or a control operator (`;`, `&&`, `|`, newline, ...). */
export type ShellToken = { kind: 'word'; word: Word } | { kind: 'op'; op: string; l: number; s: number };

/**
 * A small POSIX-shell lexer, good enough to find simple commands: quotes, escapes,
 * continuations, `#` comments, expansions (`$x`, `${x}`, `$(...)`, backquotes) marked
 * unknown, control operators and redirections. `lines` are the document's lines from
 * `first`; it stops at the end of the first complete command list line.
 */
export function lexShellLines(lines: string[], first: number): { tokens: ShellToken[]; problems: LexProblem[]; lastLine: number; heredocs: HereDoc[] } {
  const tokens: ShellToken[] = [];
  const problems: LexProblem[] = [];
  const heredocs: HereDoc[] = [];
  let ln = first;
  let line = lines[ln] ?? '';
  let i = 0;
  const rel = () => ln - first;

  // Reads one word starting at (ln, i); advances across continuations and multi-line quotes.
  const readWord = (): Word => {
    const l0 = rel();
    const s0 = i;
    let text = '';
    let unknown = false;
    let quoted = false;
    const nextLine = (): boolean => {
      if (ln + 1 >= lines.length) return false;
      ln++;
      line = lines[ln];
      i = 0;
      return true;
    };
    const skipExpansion = (): void => {
      // at '$'
      unknown = true;
      const c1 = line[i + 1];
      if (c1 === '{' || c1 === '(') {
        const open = c1;
        const close = open === '{' ? '}' : ')';
        let depth = 0;
        i++;
        for (;;) {
          if (i >= line.length) {
            if (!nextLine()) return;
            continue;
          }
          const ch = line[i];
          if (ch === '\\') {
            i += 2;
            continue;
          }
          if (ch === open) depth++;
          else if (ch === close) {
            depth--;
            if (depth === 0) {
              i++;
              return;
            }
          }
          i++;
        }
      }
      i++;
      if (/[A-Za-z_]/.test(line[i] ?? '')) {
        while (i < line.length && /[A-Za-z0-9_]/.test(line[i])) i++;
      } else if (i < line.length && /[0-9@*#?$!-]/.test(line[i])) {
        i++;
      } else {
        unknown = false;
        text += '$';
      }
    };
    for (;;) {
      if (i >= line.length) break;
      const ch = line[i];
      if (ch === ' ' || ch === '\t' || ch === ';' || ch === '&' || ch === '|' || ch === '<' || ch === '>' || ch === '(' || ch === ')') break;
      if (ch === '\r' && i === line.length - 1) break;
      if (ch === '\\') {
        if (i + 1 >= line.length || (line[i + 1] === '\r' && i + 2 >= line.length)) {
          // continuation inside a word
          if (!nextLine()) {
            i = line.length;
            break;
          }
          continue;
        }
        text += line[i + 1];
        i += 2;
        continue;
      }
      if (ch === "'") {
        quoted = true;
        const qs = { l: rel(), s: i };
        i++;
        for (;;) {
          const k = line.indexOf("'", i);
          if (k >= 0) {
            text += line.slice(i, k);
            i = k + 1;
            break;
          }
          text += line.slice(i) + '\n';
          if (!nextLine()) {
            problems.push({ message: 'Unterminated quoted string', l: qs.l, s: qs.s, el: rel(), e: line.length, severity: 'error' });
            i = line.length;
            break;
          }
        }
        continue;
      }
      if (ch === '"') {
        quoted = true;
        const qs = { l: rel(), s: i };
        i++;
        let closed = false;
        for (;;) {
          if (i >= line.length) {
            text += '\n';
            if (!nextLine()) break;
            continue;
          }
          const q = line[i];
          if (q === '"') {
            closed = true;
            i++;
            break;
          }
          if (q === '\\' && i + 1 < line.length && '$`"\\'.includes(line[i + 1])) {
            text += line[i + 1];
            i += 2;
            continue;
          }
          if (q === '\\' && i + 1 >= line.length) {
            if (!nextLine()) break;
            continue;
          }
          if (q === '$') {
            skipExpansion();
            continue;
          }
          if (q === '`') {
            unknown = true;
            const k = line.indexOf('`', i + 1);
            i = k < 0 ? line.length : k + 1;
            continue;
          }
          text += q;
          i++;
        }
        if (!closed) {
          problems.push({ message: 'Unterminated quoted string', l: qs.l, s: qs.s, el: rel(), e: line.length, severity: 'error' });
        }
        continue;
      }
      if (ch === '$') {
        skipExpansion();
        continue;
      }
      if (ch === '`') {
        unknown = true;
        const k = line.indexOf('`', i + 1);
        i = k < 0 ? line.length : k + 1;
        continue;
      }
      text += ch;
      i++;
    }
    const w: Word = { text, l: l0, s: s0, el: rel(), e: i };
    if (unknown) w.unknown = true;
    if (quoted) w.quoted = true;
    return w;
  };

  for (;;) {
    if (i >= line.length || (line[i] === '\r' && i === line.length - 1)) break;
    const ch = line[i];
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    if (ch === '#') break; // comment to end of line
    if (ch === '\\' && (i + 1 >= line.length || (line[i + 1] === '\r' && i + 2 >= line.length))) {
      if (ln + 1 >= lines.length) break;
      ln++;
      line = lines[ln];
      i = 0;
      continue;
    }
    const two = line.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === ';;') {
      tokens.push({ kind: 'op', op: two, l: rel(), s: i });
      i += 2;
      continue;
    }
    if (two === '<<') {
      // here-document: remember its delimiter; its body is skipped by the caller
      let j = i + 2;
      const strip = line[j] === '-';
      if (strip) j++;
      while (line[j] === ' ') j++;
      const m = /^(['"]?)([A-Za-z0-9_]+)\1/.exec(line.slice(j));
      if (m && line[i + 2] !== '<') {
        heredocs.push({ delim: m[2], quoted: m[1] !== '', strip });
        i = j + m[0].length;
        continue;
      }
    }
    if (ch === ';' || ch === '&' || ch === '|' || ch === '(' || ch === ')') {
      tokens.push({ kind: 'op', op: ch, l: rel(), s: i });
      i++;
      continue;
    }
    if (ch === '<' || ch === '>') {
      // redirection: the operator and its target word are not arguments
      let j = i + 1;
      while (j < line.length && (line[j] === '>' || line[j] === '&' || line[j] === '<')) j++;
      i = j;
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length) readWord();
      continue;
    }
    const w = readWord();
    // `2>/dev/null`: a number glued to a redirection is a file descriptor, not a word
    if (/^\d+$/.test(w.text) && (line[i] === '>' || line[i] === '<')) continue;
    tokens.push({ kind: 'word', word: w });
  }
  return { tokens, problems, lastLine: ln, heredocs };
}
