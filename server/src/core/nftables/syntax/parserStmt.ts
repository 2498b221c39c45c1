/** The parser's statement layer: rules and their statements. */
import { Token } from './lexer';
import { PROTO_FIELDS, isKeyword } from '../knowledge/knowledge';
import type { NftCommand, NftName, NftRule, NftStatement, Span } from './ast';
import { STMT_ONLY, TERMINAL, RELOPS, RELOP_WORDS, W0, W1, W2, W3, W4, W5, W6, Bail, Ctx, spanOf, nameOf } from './grammar';
import { ParserExpr } from './parserExpr';

export abstract class ParserStmt extends ParserExpr {
  // ---------------------------------------------------------------- rules
  /** A rule up to its separator; undefined when it had a syntax problem. */
  protected rule(ctx: Ctx, start: Token, command: NftCommand | undefined): NftRule | undefined {
    const first = this.peek();
    const statements: NftStatement[] = [];
    let comment: NftName | undefined;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || this.isSep(t) || this.isP(t, '}')) break;
      if (this.isKw(t, 'comment')) {
        this.next();
        const c = this.peek();
        if (c.kind !== 'quoted' && !this.isIdent(c)) this.unexpected(c, 'quoted string');
        comment = nameOf(this.next());
        const n = this.peek();
        if (!(n.kind === 'eof' || this.isSep(n) || this.isP(n, '}'))) this.unexpected(n);
        break;
      }
      const at = this.i;
      statements.push(this.statement(ctx));
      // every statement consumes a token (a safety net for linear time)
      if (this.i === at) this.unexpected(this.peek());
    }
    if (statements.length === 0 && !comment) {
      this.unexpected(this.peek());
    }
    const last = this.prev();
    return { ...spanOf(command ? start : first, last), family: ctx.family ?? 'ip', table: ctx.table!, chain: ctx.chain!, command, statements, comment };
  }

  protected statement(ctx: Ctx): NftStatement {
    const prev = this.selTrail;
    const trail: NftStatement[] = [];
    this.selTrail = trail;
    try {
      const st = this.statementInner(ctx);
      if (trail.length) st.inner = [...(st.inner ?? []), ...trail];
      return st;
    } finally {
      this.selTrail = prev;
    }
  }

  protected statementInner(ctx: Ctx): NftStatement {
    const t = this.peek();
    const kw = t.kind === 'string' ? t.text : '';
    const mk = (kind: NftStatement['kind']): NftStatement => ({
      ...spanOf(t, this.prev()),
      keyword: t.kind === 'punct' && t.text === '$' ? '$' : t.text,
      kind,
      terminal: kind === 'verdict' ? kw !== 'continue' : TERMINAL.has(kw),
    });
    if (t.kind === 'string' && isKeyword(kw)) {
      switch (kw) {
        case 'accept':
        case 'drop':
        case 'continue':
        case 'return':
          this.next();
          return mk('verdict');
        case 'jump':
        case 'goto': {
          this.next();
          const n = this.peek();
          if (this.isP(n, '{')) {
            this.skipGroup(ctx);
          } else if (this.isP(n, '$')) {
            this.next();
            this.varRef(n, ctx);
          } else if (this.isIdent(n)) {
            this.next();
            this.chainRef(t, n, ctx);
          } else this.unexpected(n, this.stmtEnd(n) ? "'{'" : undefined);
          return mk('verdict');
        }
        case 'queue':
          this.next();
          this.words(ctx, W0);
          return mk('stmt');
        case 'counter': {
          this.next();
          const a = this.peek();
          if (this.isKw(a, 'name')) {
            this.next();
            this.valueExpr(ctx);
          } else if (this.isKw(a, 'packets')) {
            this.next();
            if (this.peek().kind !== 'number') this.unexpected(this.peek(), 'number');
            this.next();
            if (!this.isKw(this.peek(), 'bytes')) this.unexpected(this.peek(), 'bytes');
            this.next();
            if (this.peek().kind !== 'number') this.unexpected(this.peek(), 'number');
            this.next();
          }
          return mk('stmt');
        }
        case 'log':
          this.next();
          this.words(ctx, W1);
          return mk('stmt');
        case 'limit':
          this.next();
          if (this.isKw(this.peek(), 'rate')) {
            this.next();
            if (this.isKw(this.peek(), 'over') || this.isKw(this.peek(), 'until')) this.next();
            if (this.peek().kind !== 'number') this.unexpected(this.peek(), 'number');
            this.next();
            const u = this.peek();
            if (u.kind === 'string' && /^(second|minute|hour|day|week)$/.test(u.text)) this.unexpected(u, '/ or string or bytes');
          }
          this.words(ctx, W2, true);
          return mk('stmt');
        case 'quota':
          this.next();
          if (!this.isKw(this.peek(), 'name')) {
            if (this.isKw(this.peek(), 'over') || this.isKw(this.peek(), 'until')) this.next();
            if (this.peek().kind !== 'number') this.unexpected(this.peek(), 'number');
            this.next();
            const u = this.peek();
            if (u.kind === 'string' && /^(second|minute|hour|day|week)$/.test(u.text)) this.unexpected(u, '/ or string or bytes');
          }
          this.words(ctx, W3, true);
          return mk('stmt');
        case 'reject': {
          this.next();
          let rejectWith = '';
          if (this.isKw(this.peek(), 'with')) {
            this.next();
            const f = this.peek();
            if (!(this.isKw(f, 'icmp') || this.isKw(f, 'icmpv6') || this.isKw(f, 'icmpx') || this.isKw(f, 'tcp'))) this.unexpected(f);
            this.next();
            rejectWith = f.text;
            if (f.text === 'tcp') {
              if (!this.isKw(this.peek(), 'reset')) this.unexpected(this.peek(), 'reset');
              this.next();
            } else {
              if (this.isKw(this.peek(), 'type')) this.next();
              const v = this.peek();
              if (this.stmtEnd(v)) this.unexpected(v);
              this.valuePrimary(ctx);
            }
          }
          const rst = mk('stmt');
          if (rejectWith) rst.selector = `reject ${rejectWith}`;
          return rst;
        }
        case 'snat':
        case 'dnat':
        case 'masquerade':
        case 'redirect':
        case 'tproxy':
        case 'dup':
        case 'fwd': {
          this.next();
          const a = this.peek();
          let famWord = '';
          if ((this.isKw(a, 'ip') || this.isKw(a, 'ip6')) && this.isKw(this.peek(1), 'to')) {
            famWord = a.text;
            this.next();
          }
          let natValue: (Span & { text: string }) | undefined;
          if (this.isKw(this.peek(), 'to')) {
            this.next();
            const v = this.peek();
            this.valueExpr(ctx);
            natValue = { ...spanOf(v, this.prev()), text: this.text.slice(v.s, this.prev().e) };
          } else if (kw === 'snat' || kw === 'dnat') {
            // `snat 1.2.3.4`, `dnat tcp dport map {...}` (no `to`): older syntax nft still takes
            const v = this.peek();
            if (!this.stmtEnd(v) && !(v.kind === 'string' && STMT_ONLY.has(v.text))) this.valueExpr(ctx);
          }
          if ((kw === 'dup' || kw === 'fwd') && this.isKw(this.peek(), 'device')) {
            this.next();
            this.valueExpr(ctx);
          }
          this.words(ctx, W4);
          const st = mk('stmt');
          st.selector = famWord ? `${kw} ${famWord}` : kw;
          if (natValue) st.value = natValue;
          return st;
        }
        case 'notrack':
          this.next();
          return mk('stmt');
        case 'synproxy':
          this.next();
          this.words(ctx, W5);
          return mk('stmt');
        case 'secmark':
          this.next();
          this.words(ctx, W6);
          return mk('stmt');
        case 'meter': {
          this.next();
          this.ident();
          if (this.isKw(this.peek(), 'size')) {
            this.next();
            this.next();
          }
          if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
          this.skipGroup(ctx);
          return mk('stmt');
        }
        case 'add':
        case 'update':
        case 'delete': {
          this.next();
          const at = this.peek();
          if (!this.isP(at, '@')) this.unexpected(at, "'@'");
          this.next();
          this.setRef(at, ctx);
          if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
          this.next();
          // one element: a key expression, a map value, statements; all on one line
          const k = this.peek();
          const kStart = this.i;
          this.lhsExpr(ctx);
          const inner: NftStatement = {
            ...spanOf(k, this.prev()),
            keyword: k.text,
            kind: 'match',
            terminal: false,
            selector: this.toks
              .slice(kStart, Math.min(this.i, kStart + 2))
              .map((x) => x.text)
              .join(' '),
          };
          this.elementOptions(ctx);
          if (this.isP(this.peek(), ':')) {
            this.next();
            this.valueExpr(ctx);
            this.elementOptions(ctx);
          }
          for (;;) {
            const n = this.peek();
            if (this.isP(n, '}')) break;
            if (n.kind === 'newline' || n.kind === 'eof') this.unexpected(n, "'}'");
            this.statement(ctx);
          }
          this.next();
          const st = mk('stmt');
          st.inner = [inner];
          return st;
        }
        case 'flow': {
          this.next();
          const a = this.peek();
          if (this.isKw(a, 'add') || this.isKw(a, 'offload')) this.next();
          else this.unexpected(a);
          const at = this.peek();
          if (!this.isP(at, '@')) this.unexpected(at, "'@'");
          this.next();
          this.ident();
          return mk('stmt');
        }
        case 'xt':
          this.next();
          while (!this.stmtEnd(this.peek())) this.next();
          return mk('stmt');
      }
      if (!this.startsSelector(t)) this.unexpected(t);
      return this.exprStatement(ctx, t, mk);
    }
    if (t.kind === 'string' && !isKeyword(kw)) {
      // a word nft cannot take as a statement: it reads a symbol, then wants a value
      const n = this.peek(1);
      if (n.kind === 'string' && n.text in PROTO_FIELDS && this.selectorFollowsAt(1)) {
        // a symbol compared with a payload expression: nft parses on, and fails after it
        this.next();
        this.valueExpr(ctx, true);
        const after = this.peek();
        if (!this.stmtEnd(after)) this.unexpected(after);
        this.problem(t, 'No symbol type information', 'nft-symbol-type');
        throw new Bail();
      }
      if (this.stmtEnd(n) || (n.kind === 'string' && isKeyword(n.text) && !RELOP_WORDS.has(n.text))) {
        this.next();
        this.unexpected(n);
      }
      this.problem(t, 'No symbol type information', 'nft-symbol-type');
      throw new Bail();
    }
    if (this.isP(t, '$') || t.kind === 'number' || this.isP(t, '@') || this.isP(t, '(') || this.isP(t, '{')) return this.exprStatement(ctx, t, mk);
    this.unexpected(t);
  }

  protected exprStatement(ctx: Ctx, t: Token, mk: (kind: NftStatement['kind']) => NftStatement): NftStatement {
    const lhsStart = this.i;
    const done = this.lhsExpr(ctx);
    if (done) return mk('stmt');
    const selector = this.toks
      .slice(lhsStart, Math.min(this.i, lhsStart + 2))
      .map((k) => k.text)
      .join(' ');
    const withValue = (kind: NftStatement['kind'], v: Token): NftStatement => {
      const st = mk(kind);
      st.selector = selector;
      const last = this.prev();
      st.value = { ...spanOf(v, last), text: this.text.slice(v.s, last.e) };
      return st;
    };
    const o = this.peek();
    if (this.isKw(o, 'set')) {
      this.next();
      const v = this.peek();
      this.valueExpr(ctx, false, true);
      return withValue('set', v);
    }
    if (this.isKw(o, 'vmap')) {
      this.next();
      const v = this.peek();
      if (!(this.isP(v, '{') || this.isP(v, '@') || this.isP(v, '$'))) this.unexpected(v, "@ or '{' or '$'");
      this.keyed(ctx, this.components, true);
      return withValue('vmap', v);
    }
    if ((o.kind === 'punct' && RELOPS.has(o.text)) || (o.kind === 'string' && RELOP_WORDS.has(o.text))) {
      this.next();
    } else if (this.isP(o, '!')) {
      this.next();
    }
    const v = this.peek();
    if (this.stmtEnd(v)) this.unexpected(v);
    if (this.isP(v, '{')) this.elementSink = { family: ctx.family ?? 'ip', table: ctx.table?.name ?? '', kinds: this.components };
    this.valueExpr(ctx);
    void t;
    return withValue('match', v);
  }
}
