/** The parser's expression layer: selectors, values, set and map lists, defines. */
import { isIp6, Token } from './lexer';
import { PROTO_FIELDS, isKeyword } from '../knowledge/knowledge';
import type { Span } from './ast';
import {
  META_KEYS,
  META_KEYS_MESSAGE,
  META_UNQUALIFIED,
  CT_KEYS,
  LOOSE_SELECTORS,
  STMT_ONLY,
  BINOPS,
  BINOP_WORDS,
  VALUE_CONT,
  NOT_VALUE,
  WORD_SETS,
  VALUED_OPTIONS,
  OTHER_SELECTORS,
  SELECTOR_ONLY,
  rangeValue,
  NEWER,
  Bail,
  Ctx,
  spanOf,
  nameOf,
  ElementSink,
  parseNum,
} from './grammar';
import { ParserBase } from './parserBase';

export abstract class ParserExpr extends ParserBase {
  protected define(ctx: Ctx): void {
    const kw = this.next();
    const kind = kw.text as 'define' | 'redefine' | 'undefine';
    const n = this.peek();
    if (!this.isIdent(n)) this.unexpected(n, 'string');
    this.next();
    if (kind === 'undefine') {
      this.out.defines.push({ kind, name: nameOf(n), span: spanOf(kw, n) });
      for (const s of this.scopes) s.delete(n.value);
      return;
    }
    const eq = this.peek();
    if (!this.isP(eq, '=')) this.unexpected(eq, "'='");
    this.next();
    const first = this.peek();
    if (this.isSep(first) || first.kind === 'eof' || this.isP(first, '}')) this.unexpected(first);
    // the value: an expression up to the separator (sets may span lines)
    let last = first;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || this.isSep(t) || this.isP(t, '}')) break;
      if (this.isP(t, '{')) {
        this.setList(ctx);
        last = this.prev();
        continue;
      }
      if (this.isP(t, '(')) {
        this.skipGroup(ctx);
        last = this.prev();
        continue;
      }
      if (this.isP(t, '$')) {
        this.next();
        this.varRef(t, ctx);
        last = this.prev();
        continue;
      }
      if (this.isP(t, '@')) {
        this.next();
        if (this.peek().kind === 'string') this.setRef(t, ctx);
        last = this.prev();
        continue;
      }
      last = this.next();
    }
    const value = { ...spanOf(first, last), text: this.text.slice(first.s, last.e) };
    this.out.defines.push({ kind, name: nameOf(n), span: spanOf(kw, last), value });
    this.scopes[this.scopes.length - 1].add(n.value);
  }

  /** Consumes option words (and their values) of a statement. */
  protected words(ctx: Ctx, allowed: readonly string[], units = false): void {
    let set = WORD_SETS.get(allowed);
    if (!set) WORD_SETS.set(allowed, (set = new Set(allowed)));
    for (;;) {
      const t = this.peek();
      if (t.kind === 'string' && set.has(t.text)) {
        this.next();
        if ((t.text === 'name' || t.text === 'to' || t.text === 'num') && !this.stmtEnd(this.peek())) this.valueExpr(ctx);
        continue;
      }
      if (this.isP(t, '-') && this.prev().kind !== 'number') this.unexpected(t, 'number');
      if (t.kind === 'number' || t.kind === 'quoted' || this.isP(t, '/') || this.isP(t, ',') || this.isP(t, '-')) {
        this.next();
        continue;
      }
      if (this.isP(t, '$')) {
        this.next();
        this.varRef(t, ctx);
        continue;
      }
      // values of options (level warn, flags all, name foo): a plain word right after an option
      const p = this.prev();
      if (this.plain(t) && p.kind === 'string' && set.has(p.text) && VALUED_OPTIONS.has(p.text)) {
        this.next();
        continue;
      }
      if (this.plain(t) && this.isP(p, ',')) {
        this.next();
        continue;
      }
      if (units && this.plain(t) && p.kind === 'number' && this.isKw(this.toks[this.i - 2], 'burst') && !/^(packets|bytes|kbytes|mbytes)$/.test(t.text)) {
        this.unexpected(t, 'packets');
      }
      // units after a number: 10/second, 1 mbytes (limit, quota)
      if (units && t.kind === 'string' && (p.kind === 'number' || this.isP(p, '/')) && /^[a-z]+(\/[a-z]+)?$/.test(t.text) && !isKeyword(t.text)) {
        this.next();
        continue;
      }
      return;
    }
  }

  /** Flag words alone, and words followed by one value (a number or a word). */
  protected opts2(flags: string[], valued: string[]): void {
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'string') return;
      if (flags.includes(t.text)) {
        this.next();
        continue;
      }
      if (valued.includes(t.text)) {
        this.next();
        const v = this.peek();
        // a number too big for nft is a string to it: it wants a number
        if (v.kind === 'string' && /^\d+$/.test(v.text)) this.unexpected(v, 'number');
        if (v.kind === 'number' || (v.kind === 'string' && !isKeyword(v.text))) this.next();
        continue;
      }
      return;
    }
  }

  /** Whether a keyword opens a selector (an expression on the left of a match). */
  protected startsSelector(t: Token): boolean {
    const w = t.text;
    return w in PROTO_FIELDS || LOOSE_SELECTORS.has(w) || META_UNQUALIFIED.has(w) || OTHER_SELECTORS.has(w);
  }

  /**
   * The left side of a match or set statement: a selector, with binary operators and
   * concatenations. Returns true when the selector was a whole statement (`ct count over 2`).
   */
  protected lhsExpr(ctx: Ctx): boolean {
    const comps: string[] = [];
    let from = this.i;
    const close = (): void => {
      comps.push(
        this.toks
          .slice(from, this.i)
          .map((k) => k.text)
          .join(' '),
      );
    };
    if (this.selectorOrValue(ctx)) return true;
    for (;;) {
      const o = this.peek();
      if ((o.kind === 'punct' && (BINOPS.has(o.text) || o.text === '.')) || (o.kind === 'string' && BINOP_WORDS.has(o.text))) {
        if (o.text === '.') {
          close();
          this.next();
          from = this.i;
        } else this.next();
        const n = this.peek();
        if (this.stmtEnd(n)) this.unexpected(n);
        this.selectorOrValue(ctx);
        continue;
      }
      if (this.isKw(o, 'map')) {
        close();
        this.next();
        this.keyed(ctx, comps.splice(0));
        from = this.i;
        continue;
      }
      close();
      this.components = comps;
      return false;
    }
  }

  /** A map or set value keyed by expressions of these kinds (selector texts). */
  protected keyed(ctx: Ctx, comps: string[], verdicts = false): void {
    if (this.isP(this.peek(), '{')) {
      this.elementSink = { family: ctx.family ?? 'ip', table: ctx.table?.name ?? '', kinds: comps };
      this.setList(ctx, verdicts);
    } else this.valuePrimary(ctx);
  }

  protected selectorOrValue(ctx: Ctx): boolean {
    const t = this.peek();
    if (t.kind === 'string' && isKeyword(t.text) && this.startsSelector(t)) return this.selector(ctx, false);
    this.valuePrimary(ctx);
    return false;
  }

  /** A selector (`tcp dport`, `meta mark`, `ct original saddr`...). */
  protected selector(ctx: Ctx, inTypeof: boolean): boolean {
    const t = this.next();
    const w = t.text;
    if (w in PROTO_FIELDS) {
      const f = this.peek();
      const fields = PROTO_FIELDS[w];
      if (f.kind === 'string' && fields.has(f.text)) {
        this.next();
        if (!inTypeof) this.selTrail?.push({ ...spanOf(t, f), keyword: w, kind: 'match', terminal: false, selector: `${w} ${f.text}` });
        if (f.text === 'option' || (w === 'sctp' && f.text === 'chunk')) {
          const o = this.peek();
          if (o.kind === 'string') this.next();
          const fld = this.peek();
          if (
            fld.kind === 'string' &&
            !this.stmtEnd(this.peek(1)) &&
            /^(kind|length|size|count|left|right|tsval|tsecr|value|type|ptr|addr|subtype|flags|tsn|stream|ssn|ppid|init-tag|a-rwnd|cum-tsn-ack)$/.test(fld.text)
          )
            this.next();
        }
        return false;
      }
      if (f.kind === 'string' && !isKeyword(f.text)) {
        this.unexpected(f);
      }
      if (f.kind === 'string' && (f.text === 'type' || f.text === 'flags')) {
        // `ether type`, `tcp flags` (initial-state keywords)
        this.unexpected(f);
      }
      this.unexpected(f);
    }
    if (w === 'meta') {
      const k = this.peek();
      if (k.kind !== 'string') this.unexpected(k);
      if (!META_KEYS.has(k.text)) {
        this.problem({ ...k, s: t.s, line: t.line, col: t.col }, `syntax error, unexpected ${k.text}, known keys are ${META_KEYS_MESSAGE}`);
        throw new Bail();
      }
      this.next();
      return false;
    }
    if (w === 'ct') {
      if (this.isKw(this.peek(), 'original') || this.isKw(this.peek(), 'reply')) this.next();
      const k = this.peek();
      if (k.kind !== 'string') this.unexpected(k);
      if (!CT_KEYS.has(k.text)) this.unexpected(k);
      this.next();
      if (k.text === 'ip' || k.text === 'ip6') {
        const f = this.peek();
        if (f.kind !== 'string') this.unexpected(f);
        this.next();
      }
      if (k.text === 'count' && !inTypeof) {
        if (this.isKw(this.peek(), 'over')) this.next();
        const n = this.peek();
        if (n.kind !== 'number') this.unexpected(n);
        this.next();
        return true;
      }
      return false;
    }
    if (META_UNQUALIFIED.has(w) || w === 'priority' || w === 'random') return false;
    if (LOOSE_SELECTORS.has(w)) {
      if (w === 'rt' && (this.isKw(this.peek(), 'ip') || this.isKw(this.peek(), 'ip6'))) this.next();
      const f = this.peek();
      if (f.kind !== 'string') this.unexpected(f);
      this.next();
      return false;
    }
    switch (w) {
      case 'fib': {
        for (;;) {
          const f = this.peek();
          if (f.kind !== 'string') this.unexpected(f);
          this.next();
          if (this.isP(this.peek(), '.')) {
            this.next();
            continue;
          }
          break;
        }
        const r = this.peek();
        if (!(this.isKw(r, 'type') || this.isKw(r, 'oif') || this.isKw(r, 'oifname'))) {
          if (this.isKw(r, 'check')) {
            this.problem(r, `syntax error, unexpected string, expecting type or oif or oifname (${NEWER}: \`fib ... check\`; 1.0.6 spells it \`oif\`)`);
            throw new Bail();
          }
          this.unexpected(r, 'type or oif or oifname');
        }
        this.next();
        return false;
      }
      case 'numgen':
      case 'symhash':
        this.opts2(['inc', 'random'], ['mod', 'offset']);
        return false;
      case 'osf':
        this.opts2(['name', 'version'], ['ttl']);
        return false;
      case 'socket':
        this.opts2(['transparent', 'mark', 'wildcard'], ['cgroupv2', 'level']);
        return false;
      case 'ipsec': {
        this.opts2(['in', 'out', 'reqid', 'spi'], ['spnum']);
        const a = this.peek();
        if ((this.isKw(a, 'ip') || this.isKw(a, 'ip6')) && this.peek(1).kind === 'string') {
          this.next();
          this.next();
        }
        return false;
      }
      case 'exthdr':
        this.opts2(['hbh', 'rt', 'frag', 'dst', 'mh', 'rt0', 'rt2', 'srh'], []);
        return false;
      case 'jhash': {
        this.lhsExpr(ctx);
        this.opts2([], ['mod', 'seed', 'offset']);
        return false;
      }
    }
    return false;
  }

  /** A value: primaries joined by `,` `-` `/` `.` `:` and binary operators, with `map` lookups. */
  protected valueExpr(ctx: Ctx, inSet = false, strict = false): void {
    let start = this.i;
    this.valuePrimary(ctx, inSet, strict);
    for (;;) {
      const o = this.peek();
      if (
        (o.kind === 'punct' && VALUE_CONT.has(o.text) && !(inSet && (o.text === ',' || o.text === ':'))) ||
        (o.kind === 'string' && BINOP_WORDS.has(o.text))
      ) {
        const a = this.prev();
        this.next();
        if (o.text === ':') start = this.i;
        const n = this.peek();
        if (this.stmtEnd(n)) this.unexpected(n);
        // a prefix length too big for a number is a string to nft: it wants a number there
        if (o.text === '/' && n.kind === 'string' && /^(\d+|0[xX][0-9a-fA-F]+)$/.test(n.text)) this.unexpected(n, 'number');
        this.valuePrimary(ctx, inSet, strict);
        if (o.text === '-') this.rangeCheck(a, n, this.prev());
        if (o.text === '/' && n.kind === 'number' && this.prev() === n && a.kind === 'string') {
          const bits = /^\d{1,3}(\.\d{1,3}){3}$/.test(a.text) ? 32 : isIp6(a.text) ? 128 : 0;
          const len = parseNum(n.text);
          if (bits && len > BigInt(bits)) {
            this.out.problems.push({ ...spanOf(a, n), message: `Prefix length ${len} is invalid for type of ${bits} bits width`, code: 'nft-value-range' });
          }
        }
        continue;
      }
      if (this.isKw(o, 'map')) {
        const comps = this.toks
          .slice(start, this.i)
          .map((k) => k.text)
          .join(' ')
          .split(' . ');
        this.next();
        this.keyed(ctx, comps);
        start = this.i;
        continue;
      }
      return;
    }
  }

  /** `strict`: a statement's value (`meta mark set ...`), where a bare selector keyword is no value. */
  protected valuePrimary(ctx: Ctx, inSet = false, strict = false): void {
    const t = this.peek();
    if (this.isP(t, '{')) {
      this.setList(ctx);
      return;
    }
    if (this.isP(t, '(')) {
      this.next();
      this.valueExpr(ctx);
      const c = this.peek();
      if (!this.isP(c, ')')) this.unexpected(c, "')'");
      this.next();
      return;
    }
    if (t.kind === 'string' && SELECTOR_ONLY.has(t.text)) {
      this.selector(ctx, false);
      return;
    }
    void inSet;
    if (this.isP(t, '@')) {
      this.next();
      const n = this.peek();
      if (n.kind === 'string' && /^(ll|nh|th)$/.test(n.text) && this.isP(this.peek(1), ',')) {
        this.next();
        while (this.isP(this.peek(), ',') && this.peek(1).kind === 'number') {
          this.next();
          this.next();
        }
        return;
      }
      this.setRef(t, ctx);
      return;
    }
    if (this.isP(t, '$')) {
      this.next();
      this.varRef(t, ctx);
      return;
    }
    if (this.isP(t, '-')) this.unexpected(t);
    if ((this.isP(t, ':') && this.isKw(this.prev(), 'to')) || this.isP(t, '!')) {
      this.next();
      this.valuePrimary(ctx);
      return;
    }
    if (t.kind === 'number' || t.kind === 'quoted' || t.kind === 'asterisk') {
      this.next();
      return;
    }
    if (t.kind === 'string') {
      if (!isKeyword(t.text)) {
        this.next();
        return;
      }
      if (STMT_ONLY.has(t.text) || NOT_VALUE.has(t.text)) this.unexpected(t);
      if (this.startsSelector(t) && (strict || this.selectorFollows(t))) {
        this.selector(ctx, false);
        return;
      }
      this.next();
      return;
    }
    this.unexpected(t);
  }

  /** `a-b` with a > b: nft says the range has zero or negative size. */
  protected rangeCheck(a: Token, b: Token, last: Token): void {
    if (b !== last) return;
    const va = rangeValue(a);
    const vb = rangeValue(b);
    if (va === undefined || vb === undefined || va <= vb) return;
    this.out.problems.push({ ...spanOf(a, b), message: 'Range has zero or negative size', code: 'nft-value-range' });
  }

  /**
   * A set or map list `{ a, b : c, ... }`: elements separated by commas, at most one newline
   * at a time between them (nft's opt_newline), each with its options (timeout, expires,
   * comment, counter...) and, in a map, `: value`.
   */
  protected setList(ctx: Ctx, verdicts = false): Span {
    const sink = this.elementSink;
    this.elementSink = undefined;
    const open = this.next();
    let sawNl = false;
    const nl = (afterOpen: boolean): void => {
      if (this.peek().kind !== 'newline') return;
      this.next();
      if (this.peek().kind === 'newline') this.unexpected(this.peek(), afterOpen ? undefined : "comma or '}'");
      sawNl = true;
    };
    nl(true);
    for (;;) {
      const t = this.peek();
      if (this.isP(t, '}')) break;
      const at = this.i;
      this.element(ctx, verdicts, sink);
      if (this.i === at) this.unexpected(this.peek(), "comma or '}'");
      nl(false);
      const c = this.peek();
      if (this.isP(c, '}')) break;
      if (!this.isP(c, ',')) this.unexpected(c, "comma or '}'");
      this.next();
      nl(false);
    }
    void sawNl;
    const close = this.next();
    return spanOf(open, close);
  }

  protected element(ctx: Ctx, verdicts: boolean, sink: ElementSink | undefined): void {
    const t = this.peek();
    if (this.isP(t, '*')) this.next();
    else this.valueExpr(ctx, true);
    if (sink) {
      const last = this.prev();
      this.out.elements.push({
        family: sink.family,
        table: sink.table,
        set: sink.set,
        kinds: sink.kinds,
        key: { ...spanOf(t, last), text: this.text.slice(t.s, last.e) },
      });
    }
    this.elementOptions(ctx);
    if (this.isP(this.peek(), ':')) {
      this.next();
      const v = this.peek();
      if (verdicts && !['accept', 'drop', 'continue', 'return', 'jump', 'goto', 'queue'].includes(v.text)) this.unexpected(v);
      if (this.isKw(v, 'accept') || this.isKw(v, 'drop') || this.isKw(v, 'continue') || this.isKw(v, 'return')) this.next();
      else if (this.isKw(v, 'jump') || this.isKw(v, 'goto')) {
        this.next();
        const n = this.peek();
        if (this.isP(n, '$')) {
          this.next();
          this.varRef(n, ctx);
        } else if (this.isIdent(n)) {
          this.next();
          this.chainRef(v, n, ctx);
        } else this.unexpected(n);
      } else this.valueExpr(ctx, true);
      this.elementOptions(ctx);
    }
  }

  protected elementOptions(ctx: Ctx): void {
    for (;;) {
      const t = this.peek();
      if (this.isKw(t, 'timeout') || this.isKw(t, 'expires')) {
        this.next();
        const v = this.peek();
        if (v.kind !== 'number' && !this.plain(v)) this.unexpected(v);
        this.next();
        continue;
      }
      if (this.isKw(t, 'comment')) {
        this.next();
        const c = this.peek();
        if (c.kind !== 'quoted' && !this.isIdent(c)) this.unexpected(c, 'quoted string');
        this.next();
        continue;
      }
      if (this.isKw(t, 'counter') || this.isKw(t, 'limit') || this.isKw(t, 'quota')) {
        this.statement(ctx);
        continue;
      }
      return;
    }
  }

  /** selectorFollows for the token k places ahead. */
  protected selectorFollowsAt(k: number): boolean {
    const save = this.i;
    this.i = Math.min(this.i + k, this.toks.length - 1);
    const r = this.selectorFollows(this.peek());
    this.i = save;
    return r;
  }

  /** Whether a selector keyword in value position is followed by one of its fields. */
  protected selectorFollows(t: Token): boolean {
    const n = this.peek(1);
    const w = t.text;
    if (w in PROTO_FIELDS) return n.kind === 'string' && PROTO_FIELDS[w].has(n.text);
    if (w === 'meta') return n.kind === 'string' && META_KEYS.has(n.text);
    if (w === 'ct') return n.kind === 'string' && CT_KEYS.has(n.text);
    if (META_UNQUALIFIED.has(w) || w === 'priority' || w === 'random') return false;
    if (LOOSE_SELECTORS.has(w)) return n.kind === 'string' && !isKeyword(n.text);
    return ['fib', 'numgen', 'jhash', 'symhash', 'osf', 'socket', 'ipsec', 'exthdr'].includes(w) && n.kind === 'string';
  }
}
