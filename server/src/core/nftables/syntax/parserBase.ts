/** The parser's first layer: tokens, problems and recovery, scopes and references, blocks. */
import { lex, Token } from './lexer';
import { FAMILIES, Family, isKeyword } from '../knowledge/knowledge';
import type { NftFile, NftName, NftRef, NftStatement, Span } from './ast';
import { ParseOptions, Bail, Ctx, spanOf, nameOf, tokenName, ElementSink } from './grammar';

export abstract class ParserBase {
  protected elementSink: ElementSink | undefined;
  /** The concatenated parts of the last left-hand expression read. */
  protected components: string[] = [];
  protected selTrail: NftStatement[] | undefined;
  protected readonly toks: Token[];
  protected i = 0;
  readonly out: NftFile;
  protected scopes: Set<string>[] = [new Set()];
  protected depth: number;

  /** Layers above: an include, a statement. */
  protected abstract include(): void;
  protected abstract statement(ctx: Ctx): NftStatement;

  constructor(
    protected readonly text: string,
    protected readonly opts: ParseOptions,
    depth = 0,
  ) {
    const lx = lex(text);
    this.toks = lx.tokens;
    this.depth = depth;
    this.out = {
      tables: [],
      chains: [],
      sets: [],
      flowtables: [],
      objects: [],
      defines: [],
      includes: [],
      rules: [],
      refs: [],
      commands: [],
      elements: [],
      comments: lx.comments.map((c) => ({ s: c.s, e: c.e, line: c.line, col: c.col, endLine: c.line, endCol: c.endCol })),
      problems: [],
      lineStarts: lx.lineStarts,
    };
  }

  // ---------------------------------------------------------------- tokens
  protected peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }

  protected next(): Token {
    const t = this.toks[this.i];
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }

  protected prev(): Token {
    return this.toks[Math.max(0, this.i - 1)];
  }

  protected isSep(t: Token): boolean {
    return t.kind === 'newline' || (t.kind === 'punct' && t.text === ';');
  }

  protected isP(t: Token, p: string): boolean {
    return t.kind === 'punct' && t.text === p;
  }

  protected isKw(t: Token, w: string): boolean {
    return t.kind === 'string' && t.text === w;
  }

  /** A STRING that is not a keyword: what nft's `identifier` takes. */
  protected isIdent(t: Token): boolean {
    return t.kind === 'string' && !isKeyword(t.text);
  }

  protected plain(t: Token): boolean {
    return t.kind === 'string' && !isKeyword(t.text);
  }

  protected problem(t: Token, message: string, code?: string, severity?: 'error' | 'warning'): void {
    this.out.problems.push({ s: t.s, e: t.e, line: t.line, col: t.col, endLine: t.endLine, endCol: t.endCol, message, code, severity });
  }

  protected unexpected(t: Token, expecting?: string): never {
    this.problem(t, `syntax error, unexpected ${tokenName(t)}${expecting ? `, expecting ${expecting}` : ''}`);
    throw new Bail();
  }

  /** Skips to the next separator at brace depth 0 (not past a closing brace of the block). */
  protected recover(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      if (depth === 0 && this.isSep(t)) return;
      if (this.isP(t, '{') || this.isP(t, '(')) depth++;
      else if (this.isP(t, '}') || this.isP(t, ')')) {
        if (depth === 0) return;
        depth--;
      }
      this.next();
    }
  }

  protected skipSeps(): void {
    while (this.isSep(this.peek())) this.next();
  }

  /** After a block item: a separator, or (top level) the end of the file. */
  protected endItem(top: boolean): void {
    const t = this.peek();
    if (this.isSep(t)) return;
    if (top && t.kind === 'eof') return;
    this.unexpected(t, top ? 'end of file or newline or semicolon' : 'newline or semicolon');
  }

  protected stmtEnd(t: Token): boolean {
    return t.kind === 'eof' || this.isSep(t) || this.isP(t, '}');
  }

  // ---------------------------------------------------------------- scopes / refs
  protected defined(name: string): boolean {
    for (let k = this.scopes.length - 1; k >= 0; k--) if (this.scopes[k].has(name)) return true;
    return false;
  }

  protected varRef(dollar: Token, ctx: Ctx): NftName | undefined {
    const n = this.peek();
    if (n.kind !== 'string' || n.s !== dollar.e) {
      this.unexpected(n, 'string');
    }
    this.next();
    const name = nameOf(n);
    const ref: NftRef & { defined?: boolean } = {
      kind: 'var',
      name,
      span: spanOf(dollar, n),
      family: ctx.family,
      table: ctx.table?.name,
      chain: ctx.chain?.name,
      via: '$',
    };
    ref.defined = this.defined(n.value);
    this.out.refs.push(ref);
    return name;
  }

  protected setRef(at: Token, ctx: Ctx): void {
    const n = this.peek();
    if (n.kind !== 'string') this.unexpected(n, 'string');
    this.next();
    this.out.refs.push({ kind: 'set', name: nameOf(n), span: spanOf(at, n), family: ctx.family, table: ctx.table?.name, chain: ctx.chain?.name, via: '@' });
  }

  /** Skips a balanced `{...}` or `(...)` group, recording the references inside. */
  protected skipGroup(ctx: Ctx, noNewline = false): Span {
    const open = this.next();
    const close = open.text === '{' ? '}' : ')';
    const openText = open.text;
    let depth = 1;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') this.unexpected(t);
      if (noNewline && t.kind === 'newline') this.unexpected(t, `'}'`);
      if (this.isP(t, '-')) {
        // a minus opens no value (only ranges `1-2` and priorities use it)
        const p = this.prev();
        if (p.kind === 'punct' && ['{', ',', ':', '(', '='].includes(p.text)) this.unexpected(t);
      }
      if (this.isP(t, openText)) depth++;
      else if (this.isP(t, close)) {
        depth--;
        if (depth === 0) {
          this.next();
          return spanOf(open, t);
        }
      } else if (this.isP(t, '$')) {
        this.next();
        if (this.peek().kind === 'string' && this.peek().s === t.e) this.varRef(t, ctx);
        continue;
      } else if (this.isP(t, '@')) {
        this.next();
        const n = this.peek();
        if (n.kind === 'string' && !(/^(ll|nh|th)$/.test(n.text) && this.isP(this.peek(1), ','))) this.setRef(t, ctx);
        continue;
      } else if (this.isKw(t, 'jump') || this.isKw(t, 'goto')) {
        this.next();
        const n = this.peek();
        if (this.isIdent(n)) {
          this.next();
          this.chainRef(t, n, ctx);
        }
        continue;
      }
      this.next();
    }
  }

  protected chainRef(kw: Token, n: Token, ctx: Ctx): void {
    this.out.refs.push({
      kind: 'chain',
      name: nameOf(n),
      span: spanOf(kw, n),
      family: ctx.family,
      table: ctx.table?.name,
      chain: ctx.chain?.name,
      via: kw.text === 'goto' ? 'goto' : 'jump',
    });
  }

  /** Items of a `{ ... }` block until its `}`; each needs a separator after it. */
  /** `item` returns true when nft needs no separator after what it read. */
  protected block(item: () => void | boolean): void {
    for (;;) {
      this.skipSeps();
      const t = this.peek();
      if (this.isP(t, '}')) {
        this.next();
        return;
      }
      if (t.kind === 'eof') this.unexpected(t);
      try {
        const at = this.i;
        const free = item();
        if (this.i === at) this.unexpected(this.peek());
        const n = this.peek();
        if (!this.isSep(n) && !(free === true && this.isP(n, '}'))) this.unexpected(n, 'newline or semicolon');
      } catch (e) {
        if (!(e instanceof Bail)) throw e;
        this.recover();
        if (this.peek().kind === 'eof') {
          // the file ended inside the block: nft reports the end of file
          const eof = this.peek();
          const last = this.out.problems[this.out.problems.length - 1];
          if (!last || last.s !== eof.s) this.problem(eof, 'syntax error, unexpected end of file');
          throw new Bail();
        }
      }
    }
  }

  protected family(): { family: Family; span?: Span } {
    const t = this.peek();
    if (t.kind === 'string' && (FAMILIES as readonly string[]).includes(t.text)) {
      // `table ip` alone names a table "ip"? No: ip is a keyword, so it is the family.
      this.next();
      return { family: t.text as Family, span: nameOf(t) };
    }
    return { family: 'ip' };
  }

  protected ident(what = 'string'): Token {
    const t = this.peek();
    if (this.isIdent(t)) return this.next();
    this.unexpected(t, what);
  }

  /** A name that may also be a `$variable` (chain, set names in commands). */
  protected identOrVar(ctx: Ctx): NftName {
    const t = this.peek();
    if (this.isP(t, '$')) {
      this.next();
      return this.varRef(t, ctx)!;
    }
    return nameOf(this.ident());
  }

  protected allDefined(): string[] {
    const all = new Set<string>();
    for (const s of this.scopes) for (const n of s) all.add(n);
    return [...all];
  }
}
