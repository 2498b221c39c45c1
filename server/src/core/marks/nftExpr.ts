/**
 * The text of one nft statement or match that writes or reads a packet or connection mark,
 * read as nft 1.0.6's grammar reads it (parser_bison.y: `shift_stmt_expr` -> `and_stmt_expr`
 * -> `exclusive_or_stmt_expr` -> `inclusive_or_stmt_expr`, each level left-associative, and
 * the same levels in matches), into a small tree. Pure; linear in the input.
 *
 *   meta mark set EXPR | mark set EXPR | ct mark set EXPR
 *   LHS [== | != | < | > | <= | >= | eq | ne | lt | gt | le | ge] RHS
 *
 * EXPR and LHS: `meta mark`, `mark`, `ct mark`, numbers, `and &`, `or |`, `xor ^`,
 * `lshift <<`, `rshift >>`, parentheses. RHS: a constant expression, a range `a-b`, a prefix
 * `v/N` (N a prefix length), or a set `{ a, b-c, d/N }`.
 */

export type BinOp = '&' | '|' | '^' | '<<' | '>>';
export type RelOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'implicit';
export type MarkSource = 'meta' | 'ct';

export interface Span {
  start: number;
  end: number;
}

export type NftExpr =
  /** A number as written; `value` is null where nft cannot read it (see `bad`). */
  | (Span & { k: 'num'; text: string; value: bigint | null })
  | (Span & { k: 'src'; src: MarkSource; text: string })
  | (Span & { k: 'bin'; op: BinOp; word: string; left: NftExpr; right: NftExpr; paren: boolean });

export type RhsItem =
  (Span & { k: 'value'; expr: NftExpr }) | (Span & { k: 'range'; low: NftExpr; high: NftExpr }) | (Span & { k: 'prefix'; expr: NftExpr; len: bigint });

export type NftRhs = RhsItem | (Span & { k: 'set'; items: RhsItem[] });

export type NftMarkAst =
  | { kind: 'set'; target: MarkSource; targetText: string; expr: NftExpr; text: string }
  | { kind: 'match'; lhs: NftExpr; op: RelOp; opText: string; rhs: NftRhs; text: string };

export interface NftSyntaxError extends Span {
  error: string;
  /**
   * The text uses something outside this model (another expression, a map, a variable, a
   * symbolic mark name): not a verdict of nft's, only that nfrules does not evaluate it.
   */
  unsupported?: true;
}

const KNOWN_WORDS = new Set([
  'meta',
  'mark',
  'ct',
  'set',
  ...Object.keys({ and: 1, or: 1, xor: 1, lshift: 1, rshift: 1, eq: 1, ne: 1, lt: 1, gt: 1, le: 1, ge: 1 }),
]);
const outside = (what: string, t: Span): NftSyntaxError => ({
  error: `${what}: outside what nfrules evaluates for nft marks`,
  start: t.start,
  end: t.end,
  unsupported: true,
});

interface Tok extends Span {
  t: 'num' | 'word' | 'punct' | 'bad';
  s: string;
}

const PUNCT = ['==', '!=', '<=', '>=', '<<', '>>', '<', '>', '&', '|', '^', '(', ')', '{', '}', ',', '/', '-'];
const WORD_OPS: Record<string, string> = {
  and: '&',
  or: '|',
  xor: '^',
  lshift: '<<',
  rshift: '>>',
  eq: '==',
  ne: '!=',
  lt: '<',
  gt: '>',
  le: '<=',
  ge: '>=',
};

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlnum(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c)) {
      while (i < s.length && isAlnum(s.charCodeAt(i))) i++;
      out.push({ t: 'num', s: s.slice(start, i), start, end: i });
      continue;
    }
    if (isAlnum(c)) {
      while (i < s.length && (isAlnum(s.charCodeAt(i)) || s[i] === '-' || s[i] === '.')) i++;
      out.push({ t: 'word', s: s.slice(start, i), start, end: i });
      continue;
    }
    const p = PUNCT.find((x) => s.startsWith(x, i));
    if (p) {
      i += p.length;
      out.push({ t: 'punct', s: p, start, end: i });
      continue;
    }
    i++;
    out.push({ t: 'bad', s: s.slice(start, i), start, end: i });
  }
  return out;
}

/** A number token as nft reads it: hex `0x..`, octal with a leading 0, else decimal. */
export function readNftNumber(text: string): bigint | null {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return BigInt(text);
  if (/^0[0-7]*$/.test(text)) return text.length === 1 ? 0n : BigInt('0o' + text.slice(1));
  if (/^[1-9][0-9]*$/.test(text)) return BigInt(text);
  return null;
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly text: string,
    /** Read every binary operator at one level, left to right (the "left-to-right reading"). */
    private readonly flat = false,
  ) {}

  peek(k = 0): Tok | undefined {
    return this.toks[this.i + k];
  }
  /** The operator a token stands for (`and` -> `&`), or its own text. */
  opOf(t: Tok | undefined): string | undefined {
    if (!t) return undefined;
    if (t.t === 'punct') return t.s;
    if (t.t === 'word') return WORD_OPS[t.s];
    return undefined;
  }
  fail(msg: string, t?: Tok): never {
    const at = t ?? this.peek();
    const start = at ? at.start : this.text.length;
    throw { error: msg, start, end: at ? at.end : start } satisfies NftSyntaxError;
  }
  unexpected(): never {
    const t = this.peek();
    if (!t) this.fail('syntax error, unexpected end of statement');
    if (t.t === 'word' && !KNOWN_WORDS.has(t.s)) throw outside(`'${t.s}'`, t);
    this.fail(`syntax error, unexpected ${t.t === 'num' ? 'number' : `'${t.s}'`}`, t);
  }
  atEnd(): boolean {
    return this.i >= this.toks.length;
  }

  /** `meta mark`, `mark`, `ct mark` at the cursor, or undefined. */
  source(): (Span & { src: MarkSource; text: string }) | undefined {
    const a = this.peek();
    if (!a || a.t !== 'word') return undefined;
    if (a.s === 'mark') {
      this.i++;
      return { src: 'meta', text: 'mark', start: a.start, end: a.end };
    }
    const b = this.peek(1);
    if ((a.s === 'meta' || a.s === 'ct') && b && b.t === 'word' && b.s === 'mark') {
      this.i += 2;
      return { src: a.s === 'meta' ? 'meta' : 'ct', text: `${a.s} mark`, start: a.start, end: b.end };
    }
    return undefined;
  }

  primary(allowSource: boolean): NftExpr {
    const t = this.peek();
    if (!t) this.unexpected();
    if (t.t === 'num') {
      this.i++;
      return { k: 'num', text: t.s, value: readNftNumber(t.s), start: t.start, end: t.end };
    }
    if (t.t === 'punct' && t.s === '(') {
      this.i++;
      const e = this.orExpr(allowSource);
      const close = this.peek();
      if (!close || close.s !== ')') this.unexpected();
      this.i++;
      if (e.k === 'bin') return { ...e, paren: true, start: t.start, end: close.end };
      return e;
    }
    if (allowSource && !(this.inMatch && this.rightOperand)) {
      const src = this.source();
      if (src) return { k: 'src', ...src };
    }
    if (t.t === 'word' && (t.s === 'meta' || t.s === 'ct')) {
      const b = this.peek(1);
      if (!b || b.s !== 'mark') throw outside(`'${t.s}${b && b.t === 'word' ? ' ' + b.s : ''}'`, t);
    }
    if (t.t === 'word' && (t.s === 'meta' || t.s === 'ct' || t.s === 'mark')) this.fail(`syntax error, unexpected ${t.s}`, t);
    // a symbolic mark name (nft looks it up in rt_marks, which nfrules does not read) or
    // another expression: not evaluated here
    if (t.t === 'word' && !WORD_OPS[t.s]) throw outside(`'${t.s}'`, t);
    this.unexpected();
  }

  /** In a match's left-hand side, right operands are nft's `rhs` expressions: no mark sources. */
  private rightOperand = false;
  private inMatch = false;

  level(ops: string[], next: () => NftExpr): NftExpr {
    let left = next();
    for (;;) {
      const t = this.peek();
      const op = this.opOf(t);
      if (!t || !op || !ops.includes(op)) return left;
      this.i++;
      const saved = this.rightOperand;
      this.rightOperand = true;
      const right = next();
      this.rightOperand = saved;
      left = { k: 'bin', op: op as BinOp, word: t.s, left, right, paren: false, start: left.start, end: right.end };
    }
  }
  shiftExpr(src: boolean): NftExpr {
    return this.level(['<<', '>>'], () => this.primary(src));
  }
  andExpr(src: boolean): NftExpr {
    return this.level(['&'], () => this.shiftExpr(src));
  }
  xorExpr(src: boolean): NftExpr {
    return this.level(['^'], () => this.andExpr(src));
  }
  orExpr(src: boolean): NftExpr {
    if (this.flat) return this.level(['<<', '>>', '&', '^', '|'], () => this.primary(src));
    return this.level(['|'], () => this.xorExpr(src));
  }

  /** A value, range or prefix on the right of a match or in a set. */
  rhsItem(): RhsItem {
    const e = this.orExpr(false);
    const t = this.peek();
    if (t && t.s === '-') {
      this.i++;
      const high = this.orExpr(false);
      return { k: 'range', low: e, high, start: e.start, end: high.end };
    }
    if (t && t.s === '/') {
      this.i++;
      const n = this.peek();
      if (!n || n.t !== 'num') this.unexpected();
      this.i++;
      const len = readNftNumber(n.s);
      if (len === null) this.fail('syntax error, unexpected string', n);
      return { k: 'prefix', expr: e, len, start: e.start, end: n.end };
    }
    return { k: 'value', expr: e, start: e.start, end: e.end };
  }

  rhs(): NftRhs {
    const t = this.peek();
    if (t && t.s === '{') {
      this.i++;
      const items: RhsItem[] = [];
      for (;;) {
        const n = this.peek();
        if (n && n.s === '}' && items.length > 0) {
          this.i++;
          return { k: 'set', items, start: t.start, end: n.end };
        }
        items.push(this.rhsItem());
        const sep = this.peek();
        if (sep && sep.s === ',') this.i++;
        else if (!sep || sep.s !== '}') this.unexpected();
      }
    }
    return this.rhsItem();
  }

  statement(): NftMarkAst {
    const t0 = this.peek();
    const src = this.source();
    const setTok = this.peek();
    if (src && setTok && setTok.t === 'word' && setTok.s === 'set') {
      this.i++;
      const expr = this.orExpr(true);
      if (!this.atEnd()) this.unexpected();
      return { kind: 'set', target: src.src, targetText: src.text, expr, text: this.text };
    }
    // a match: rewind and read the left-hand side as an expression
    this.i = 0;
    this.inMatch = true;
    if (!t0) this.unexpected();
    const lhs = this.orExpr(true);
    let op: RelOp = 'implicit';
    let opText = '';
    const o = this.peek();
    const rel = this.opOf(o);
    if (o && rel && ['==', '!=', '<', '>', '<=', '>='].includes(rel)) {
      op = rel as RelOp;
      opText = o.s;
      this.i++;
    }
    if (this.atEnd()) this.unexpected();
    const rhs = this.rhs();
    if (!this.atEnd()) this.unexpected();
    return { kind: 'match', lhs, op, opText, rhs, text: this.text };
  }
}

/**
 * The tree of one mark statement or match, or the syntax error. `flat`: every binary operator
 * at one precedence level, left to right, parentheses kept (how the text reads left to right).
 */
export function parseNftMark(text: string, flat = false): NftMarkAst | NftSyntaxError {
  const toks = tokenize(text);
  // nfrules' own bound (the recursion over the tree stays shallow); nft's parser has one too
  if (toks.length > MAX_TOKENS) return { error: `too long for nfrules to evaluate (${toks.length} tokens, at most ${MAX_TOKENS})`, start: 0, end: text.length };
  let depth = 0;
  for (const t of toks) {
    if (t.s === '(') depth++;
    else if (t.s === ')') depth--;
    if (depth > MAX_TOKENS / 8) return { error: 'too deeply parenthesised for nfrules to evaluate', start: t.start, end: t.end };
  }
  const bad = toks.find((t) => t.t === 'bad');
  if (bad && '.:@$!*"'.includes(bad.s)) return outside(`'${bad.s}'`, bad);
  if (bad) return { error: `syntax error, unexpected '${bad.s}'`, start: bad.start, end: bad.end };
  try {
    return new Parser(toks, text, flat).statement();
  } catch (e) {
    if (e && typeof e === 'object' && 'error' in e) return e as NftSyntaxError;
    throw e;
  }
}

/** Statements longer than this are not evaluated (an answer, not a crash). */
export const MAX_TOKENS = 4000;

export const isNftSyntaxError = (x: NftMarkAst | NftSyntaxError): x is NftSyntaxError => 'error' in x;

/** Whether the tree mentions a mark source (is not constant). */
export function hasSource(e: NftExpr): boolean {
  return e.k === 'src' || (e.k === 'bin' && (hasSource(e.left) || hasSource(e.right)));
}

const PREC: Record<BinOp, number> = { '<<': 1, '>>': 1, '&': 2, '^': 3, '|': 4 };
export const precedenceOf = (op: BinOp): number => PREC[op];

/**
 * The expression as written (operator words kept), with every implicit grouping spelled out:
 * each nested binary operation in parentheses.
 */
export function groupedText(e: NftExpr, top = true): string {
  if (e.k !== 'bin') return e.text;
  const s = `${groupedText(e.left, false)} ${e.word} ${groupedText(e.right, false)}`;
  return top ? s : `(${s})`;
}
