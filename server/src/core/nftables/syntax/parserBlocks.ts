/** The parser's block layer: table, chain, set/map, flowtable and object blocks. */
import { Token } from './lexer';
import { isKeyword } from '../knowledge/knowledge';
import type { NftChain, NftName, NftPriority, NftSet, NftTable } from './ast';
import { DECLARATIONS, NEWER, Bail, Ctx, spanOf, nameOf, parseNum } from './grammar';
import { ParserStmt } from './parserStmt';

export abstract class ParserBlocks extends ParserStmt {
  protected skipRestOfLine(ctx: Ctx): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || this.isSep(t) || this.isP(t, '}')) return;
      if (this.isP(t, '{')) {
        if (this.prev().kind === 'punct' && this.prev().text === '=') this.setList(ctx);
        else this.looseBlock(ctx);
        continue;
      }
      this.next();
    }
  }

  /**
   * The block of a flowtable or a stateful object: items nft checks in detail are read
   * loosely, but each needs its separator and none may open a declaration.
   */
  protected looseBlock(ctx: Ctx, flowtable = false, sepFree = false): void {
    this.next();
    this.block(() => {
      const t = this.peek();
      if (t.kind === 'string' && DECLARATIONS.has(t.text) && !(flowtable && t.text === 'counter')) this.unexpected(t);
      const free = sepFree || (flowtable && this.isKw(t, 'counter'));
      for (;;) {
        const x = this.peek();
        if (x.kind === 'eof' || this.isSep(x) || this.isP(x, '}')) return free;
        if (this.isP(x, '{')) {
          if (this.isP(this.prev(), '=')) this.setList(ctx);
          else this.unexpected(x);
          continue;
        }
        if (this.isP(x, '$')) {
          this.next();
          this.varRef(x, ctx);
          continue;
        }
        this.next();
      }
      return free;
    });
  }

  // ---------------------------------------------------------------- table block
  protected tableBlock(table: NftTable, start: Token): void {
    const open = this.next();
    const ctx: Ctx = { family: table.family, table: table.name };
    this.scopes.push(new Set());
    try {
      this.block(() => this.tableItem(table, ctx));
    } finally {
      this.scopes.pop();
    }
    const close = this.prev();
    table.block = spanOf(open, close);
    table.span = spanOf(start, close);
  }

  protected tableItem(table: NftTable, ctx: Ctx): void {
    const t = this.peek();
    const w = t.kind === 'string' ? t.text : '';
    switch (w) {
      case 'include':
        return this.include();
      case 'define':
      case 'redefine':
      case 'undefine':
        return this.define(ctx);
      case 'chain': {
        this.next();
        const n = this.ident();
        const chain: NftChain = { family: table.family, table: table.name, name: nameOf(n), span: spanOf(t, n), rules: [] };
        this.out.chains.push(chain);
        if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
        this.chainBlock(chain, t);
        return;
      }
      case 'set':
      case 'map': {
        this.next();
        const n = this.ident();
        const set: NftSet = { kind: w, family: table.family, table: table.name, name: nameOf(n), span: spanOf(t, n), typeof: false, flags: [] };
        this.out.sets.push(set);
        if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
        this.setBlock(set, ctx, t);
        return;
      }
      case 'flowtable': {
        this.next();
        const n = this.ident();
        const ft = { family: table.family, table: table.name, name: nameOf(n), span: spanOf(t, n), devices: [] as NftName[] };
        this.out.flowtables.push(ft);
        if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
        this.looseBlock(ctx, true);
        ft.span = spanOf(t, this.prev());
        return;
      }
      case 'counter':
      case 'quota':
      case 'limit':
      case 'secmark':
      case 'synproxy':
      case 'ct': {
        this.next();
        let objType = w as 'counter';
        if (w === 'ct') {
          const k = this.peek();
          if (!(this.isKw(k, 'helper') || this.isKw(k, 'timeout') || this.isKw(k, 'expectation'))) this.unexpected(k);
          this.next();
          objType = `ct ${k.text}` as 'counter';
        }
        const n = this.ident();
        const obj = { objType, family: table.family, table: table.name, name: nameOf(n), span: spanOf(t, n) };
        this.out.objects.push(obj);
        if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
        this.looseBlock(ctx, false, w === 'counter' || w === 'quota' || w === 'limit');
        obj.span = spanOf(t, this.prev());
        return;
      }
      case 'flags': {
        this.next();
        for (;;) {
          const f = this.peek();
          if (f.kind !== 'string') this.unexpected(f, 'string');
          table.flags.push(nameOf(this.next()));
          if (!this.isP(this.peek(), ',')) break;
          this.next();
        }
        return;
      }
      case 'comment': {
        this.next();
        const c = this.peek();
        if (c.kind !== 'quoted' && !this.isIdent(c)) this.unexpected(c, 'quoted string');
        table.comment = nameOf(this.next());
        return;
      }
    }
    this.unexpected(t);
  }

  // ---------------------------------------------------------------- chain block
  protected chainBlock(chain: NftChain, start: Token): void {
    const open = this.next();
    const ctx: Ctx = { family: chain.family, table: chain.table, chain: chain.name };
    this.scopes.push(new Set());
    try {
      this.block(() => this.chainItem(chain, ctx));
    } finally {
      this.scopes.pop();
    }
    const close = this.prev();
    chain.block = spanOf(open, close);
    chain.span = spanOf(start, close);
  }

  protected chainItem(chain: NftChain, ctx: Ctx): void {
    const t = this.peek();
    const w = t.kind === 'string' ? t.text : '';
    switch (w) {
      case 'include':
        return this.include();
      case 'define':
      case 'redefine':
      case 'undefine':
        return this.define(ctx);
      case 'type':
        return this.typeLine(chain, ctx);
      case 'policy': {
        this.next();
        const p = this.peek();
        if (this.isKw(p, 'accept') || this.isKw(p, 'drop')) {
          chain.policy = nameOf(this.next());
          return;
        }
        if (this.isP(p, '$')) {
          this.next();
          chain.policy = this.varRef(p, ctx);
          return;
        }
        this.unexpected(p);
        return;
      }
      case 'comment': {
        // a chain comment, or a rule that is only a comment? nft: chain comment
        this.next();
        const c = this.peek();
        if (c.kind !== 'quoted' && !this.isIdent(c)) this.unexpected(c, 'quoted string');
        chain.comment = nameOf(this.next());
        return;
      }
      case 'devices': {
        this.next();
        if (!this.isP(this.peek(), '=')) this.unexpected(this.peek(), "'='");
        this.next();
        this.valuePrimary(ctx);
        return;
      }
    }
    const rule = this.rule(ctx, t, undefined);
    if (rule) {
      chain.rules.push(rule);
      this.out.rules.push(rule);
    }
  }

  protected typeLine(chain: NftChain, ctx: Ctx): void {
    const kw = this.next();
    const ty = this.peek();
    if (ty.kind !== 'string') this.unexpected(ty, 'string');
    chain.type = nameOf(this.next());
    const hk = this.peek();
    if (!this.isKw(hk, 'hook')) this.unexpected(hk, 'hook');
    this.next();
    const h = this.peek();
    if (h.kind !== 'string') this.unexpected(h, 'string');
    chain.hook = nameOf(this.next());
    if (this.isKw(this.peek(), 'device')) {
      this.next();
      const d = this.peek();
      if (this.isP(d, '$')) {
        this.next();
        chain.device = this.varRef(d, ctx);
      } else if (d.kind === 'string' || d.kind === 'quoted') chain.device = nameOf(this.next());
      else this.unexpected(d, 'string');
    } else if (this.isKw(this.peek(), 'devices')) {
      this.next();
      if (!this.isP(this.peek(), '=')) this.unexpected(this.peek(), "'='");
      this.next();
      const d = this.peek();
      this.valuePrimary(ctx);
      const last = this.prev();
      chain.device = { name: this.text.slice(d.s, last.e), s: d.s, e: last.e, line: d.line, col: d.col, endLine: last.endLine, endCol: last.endCol };
    }
    const pk = this.peek();
    if (!this.isKw(pk, 'priority')) this.unexpected(pk, 'priority');
    this.next();
    chain.priority = this.priority(ctx);
    chain.typeLine = spanOf(kw, this.prev());
  }

  protected priority(ctx: Ctx): NftPriority {
    const a = this.peek();
    let value: number | undefined;
    let name: NftName | undefined;
    let variable: NftName | undefined;
    if (this.isP(a, '$')) {
      this.next();
      variable = this.varRef(a, ctx);
    } else if (a.kind === 'number') {
      this.next();
      value = Number(parseNum(a.text));
    } else if (this.isP(a, '-') && this.peek(1).kind === 'number') {
      this.next();
      value = -Number(parseNum(this.next().text));
    } else if (a.kind === 'string' && !isKeyword(a.text)) {
      this.next();
      name = nameOf(a);
      const op = this.peek();
      if ((this.isP(op, '+') || this.isP(op, '-')) && this.peek(1).kind === 'number') {
        this.next();
        const n = Number(parseNum(this.next().text));
        value = op.text === '-' ? -n : n;
      }
    } else {
      this.unexpected(a);
    }
    const last = this.prev();
    return { ...spanOf(a, last), text: this.text.slice(a.s, last.e), value, name, variable };
  }

  // ---------------------------------------------------------------- set / map block
  protected setBlock(set: NftSet, ctx: Ctx, start: Token): void {
    const open = this.next();
    this.block(() => this.setItem(set, ctx));
    const close = this.prev();
    set.block = spanOf(open, close);
    set.span = spanOf(start, close);
  }

  protected setItem(set: NftSet, ctx: Ctx): boolean {
    const t = this.peek();
    const w = t.kind === 'string' ? t.text : '';
    switch (w) {
      case 'type':
      case 'typeof': {
        this.next();
        set.typeof = w === 'typeof';
        const keyStart = this.peek();
        this.typeExpr(ctx, w === 'typeof');
        set.keyType = { ...spanOf(keyStart, this.prev()), name: this.text.slice(keyStart.s, this.prev().e) };
        if (set.kind === 'map') {
          if (!this.isP(this.peek(), ':')) this.unexpected(this.peek(), 'colon');
          this.next();
          const vs = this.peek();
          this.typeExpr(ctx, w === 'typeof');
          set.valueType = { ...spanOf(vs, this.prev()), name: this.text.slice(vs.s, this.prev().e) };
        }
        return false;
      }
      case 'flags': {
        this.next();
        for (;;) {
          const f = this.peek();
          if (!(f.kind === 'string' && ['constant', 'interval', 'dynamic', 'timeout'].includes(f.text))) {
            this.unexpected(f, 'constant or interval or dynamic or timeout');
          }
          set.flags.push(nameOf(this.next()));
          if (!this.isP(this.peek(), ',')) break;
          this.next();
        }
        return false;
      }
      case 'gc-interval':
      case 'timeout':
      case 'size': {
        if (w === 'gc-interval' && set.kind === 'map') {
          this.problem(t, `syntax error, unexpected gc-interval (${NEWER} in a map)`);
          throw new Bail();
        }
        this.next();
        const v = this.peek();
        if (v.kind !== 'number' && v.kind !== 'string') this.unexpected(v);
        if (v.kind === 'string' && isKeyword(v.text)) this.unexpected(v);
        this.next();
        return false;
      }
      case 'policy': {
        this.next();
        const v = this.peek();
        if (!(this.isKw(v, 'performance') || this.isKw(v, 'memory'))) this.unexpected(v);
        this.next();
        return false;
      }
      case 'auto-merge':
        this.next();
        return true;
      case 'counter':
        this.next();
        return false;
      case 'comment': {
        this.next();
        const c = this.peek();
        if (c.kind !== 'quoted' && !this.isIdent(c)) this.unexpected(c, 'quoted string');
        this.next();
        return false;
      }
      case 'elements': {
        this.next();
        if (!this.isP(this.peek(), '=')) this.unexpected(this.peek(), "'='");
        this.next();
        const g = this.peek();
        if (this.isP(g, '$')) {
          this.next();
          this.varRef(g, ctx);
          return false;
        }
        if (!this.isP(g, '{')) this.unexpected(g, "'{'");
        this.elementSink = { family: set.family, table: set.table.name, set: set.name.name };
        set.elements = this.setList(ctx, set.kind === 'map' && /^verdict$/.test(set.valueType?.name.trim() ?? ''));
        return true;
      }
      case 'include':
        this.include();
        return false;
      case 'define':
      case 'redefine':
      case 'undefine':
        this.define(ctx);
        return false;
    }
    this.unexpected(t);
  }

  /** `ipv4_addr . inet_service` or (typeof) `ip saddr . tcp dport`. */
  protected typeExpr(ctx: Ctx, isTypeof: boolean): void {
    for (;;) {
      if (isTypeof) this.selector(ctx, true);
      else {
        const t = this.peek();
        if (t.kind !== 'string') this.unexpected(t, 'string');
        this.next();
      }
      if (this.isP(this.peek(), '.')) {
        this.next();
        continue;
      }
      return;
    }
  }
}
