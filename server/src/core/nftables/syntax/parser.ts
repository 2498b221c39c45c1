/**
 * One parser for both styles of nftables files: blocks (`table inet f { chain c { ... } }`)
 * and commands (`add rule inet f c tcp dport 22 accept`), `;` or newline separated.
 *
 * It follows nft 1.0.6's grammar (src/parser_bison.y) where nft is strict (the block
 * structure, the separators every block item needs, chain headers, set/map/flowtable blocks,
 * the words that may open a statement, the fields a protocol has) and stays lenient inside
 * expressions, where nft's own evaluation decides. Every syntax problem is reported at the
 * token nft reports it at, and parsing resumes at the next separator, so one slip costs one
 * finding. Never throws, linear in the input.
 */
import { Token } from './lexer';
import { FAMILIES, Family } from '../knowledge/knowledge';
import type { NftChain, NftCommand, NftFile, NftName, NftSet, NftTable } from './ast';
import { ParseOptions, COMMANDS, COMMAND_OBJECTS, OBJECT_WORDS, Bail, Ctx, spanOf, nameOf } from './grammar';
import { ParserBlocks } from './parserBlocks';

export type { ParseOptions } from './grammar';
export { NEWER, META_KEYS, tokenName, parseNum } from './grammar';

class Parser extends ParserBlocks {
  // ---------------------------------------------------------------- top level
  parse(): NftFile {
    for (;;) {
      this.skipSeps();
      const t = this.peek();
      if (t.kind === 'eof') break;
      try {
        this.topLine();
        this.endItem(true);
      } catch (e) {
        if (!(e instanceof Bail)) throw e;
        this.recover();
        // a stray closing brace at top level
        if (this.isP(this.peek(), '}')) {
          if (!this.out.problems.length || this.out.problems[this.out.problems.length - 1].s !== this.peek().s) {
            this.problem(this.peek(), `syntax error, unexpected '}'`);
          }
          this.next();
        }
      }
    }
    return this.out;
  }

  protected topLine(): void {
    const t = this.peek();
    if (t.kind === 'string') {
      const w = t.text;
      if (w === 'include') return this.include();
      if (w === 'define' || w === 'redefine' || w === 'undefine') return this.define({});
      if (COMMANDS.has(w)) return this.command();
      // `[family] table chain rule...`: nft reads a line opening with names as `add rule`
      if (this.plain(t) || ((FAMILIES as readonly string[]).includes(w) && this.plain(this.peek(1)))) return this.implicitRule(t);
      if (
        w === 'table' ||
        w === 'chain' ||
        w === 'rule' ||
        w === 'set' ||
        w === 'map' ||
        w === 'element' ||
        w === 'flowtable' ||
        OBJECT_WORDS.has(w) ||
        w === 'ct'
      ) {
        return this.addCmd(undefined, t);
      }
    }
    this.unexpected(t);
  }

  protected implicitRule(start: Token): void {
    const f = this.family();
    const tn = nameOf(this.ident());
    const ctx: Ctx = { family: f.family, table: tn };
    ctx.chain = this.identOrVar(ctx);
    const rule = this.rule(ctx, start, 'add');
    if (rule) this.out.rules.push(rule);
  }

  protected include(): void {
    const kw = this.next();
    const p = this.peek();
    if (p.kind !== 'quoted') this.unexpected(p, 'quoted string');
    this.next();
    this.out.includes.push({ path: p.value, pathSpan: nameOf(p), span: spanOf(kw, p) });
    if (this.opts.resolveInclude && this.depth < 16) {
      let text: string | undefined;
      try {
        text = this.opts.resolveInclude(p.value);
      } catch {
        text = undefined;
      }
      if (text !== undefined) {
        const sub = new Parser(text, this.opts, this.depth + 1);
        sub.scopes = [new Set(this.allDefined())];
        sub.parse();
        for (const d of sub.out.defines) {
          if (d.kind === 'undefine') this.scopes[this.scopes.length - 1].delete(d.name.name);
          else this.scopes[this.scopes.length - 1].add(d.name.name);
        }
        (this.out.included ??= []).push({ path: p.value, file: sub.out });
      }
    }
  }

  protected command(): void {
    const cmd = this.next();
    const command = cmd.text as NftCommand;
    if (command === 'add' || command === 'create' || command === 'insert' || command === 'replace') {
      const what = this.peek();
      if (what.kind !== 'string') this.unexpected(what);
      return this.addCmd(command, what, cmd);
    }
    // delete, flush, list, ...: recorded, checked no further
    const objTok = this.peek();
    const object = objTok.kind === 'string' ? objTok.text : '';
    if (!['describe', 'monitor', 'export', 'import'].includes(command) && !COMMAND_OBJECTS.has(object)) this.unexpected(objTok);
    let family: Family | undefined;
    let table: NftName | undefined;
    let name: NftName | undefined;
    const ctx: Ctx = {};
    if (objTok.kind === 'string' && !this.isSep(objTok)) {
      this.next();
      if (object === 'ct') this.next();
      const f = this.family();
      family = f.family;
      if (this.isIdent(this.peek())) table = nameOf(this.next());
      if (this.isIdent(this.peek())) name = nameOf(this.next());
    }
    ctx.family = family;
    ctx.table = table;
    let last = this.prev();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || this.isSep(t) || this.isP(t, '}')) break;
      if (this.isP(t, '{')) {
        this.skipGroup(ctx);
        last = this.prev();
        continue;
      }
      last = this.next();
    }
    this.out.commands.push({ command, object, span: spanOf(cmd, last), family, table, name });
  }

  /** `[add] table|chain|rule|set|map|element|flowtable|counter|... ` */
  protected addCmd(command: NftCommand | undefined, what: Token, cmdTok?: Token): void {
    const start = cmdTok ?? what;
    const w = what.text;
    this.next();
    if (w === 'table') {
      const f = this.family();
      const n = this.ident();
      const table: NftTable = { family: f.family, familySpan: f.span, name: nameOf(n), span: spanOf(start, n), command, flags: [] };
      this.out.tables.push(table);
      if (this.isP(this.peek(), '{')) this.tableBlock(table, start);
      return;
    }
    if (command === undefined && w === 'rule') {
      // bare `rule` is not a command nft takes at top level with a family... it is (add_cmd): keep going
    }
    let ctType: string | undefined;
    if (w === 'ct') {
      const k = this.peek();
      if (!(this.isKw(k, 'helper') || this.isKw(k, 'timeout') || this.isKw(k, 'expectation'))) this.unexpected(k);
      ctType = k.text;
      this.next();
    }
    const f = this.family();
    const tableTok = this.peek();
    if (this.isP(tableTok, '$')) this.unexpected(tableTok, 'string');
    const tn = nameOf(this.ident());
    const ctx: Ctx = { family: f.family, table: tn };
    switch (w) {
      case 'chain': {
        const cn = this.identOrVar(ctx);
        const chain: NftChain = { family: f.family, table: tn, name: cn, span: spanOf(start, this.prev()), command, rules: [] };
        this.out.chains.push(chain);
        if (this.isP(this.peek(), '{')) this.chainBlock(chain, start);
        return;
      }
      case 'rule': {
        const cn = this.identOrVar(ctx);
        ctx.chain = cn;
        // position/handle/index N
        for (;;) {
          const t = this.peek();
          if ((this.isKw(t, 'position') || this.isKw(t, 'handle') || this.isKw(t, 'index')) && this.peek(1).kind === 'number') {
            this.next();
            this.next();
            continue;
          }
          break;
        }
        const rule = this.rule(ctx, start, command);
        if (rule) this.out.rules.push(rule);
        return;
      }
      case 'set':
      case 'map': {
        const sn = this.identOrVar(ctx);
        const set: NftSet = { kind: w, family: f.family, table: tn, name: sn, span: spanOf(start, this.prev()), command, typeof: false, flags: [] };
        this.out.sets.push(set);
        if (this.isP(this.peek(), '{')) this.setBlock(set, ctx, start);
        else this.unexpected(this.peek(), "'{'");
        return;
      }
      case 'element': {
        const sn = this.identOrVar(ctx);
        this.out.refs.push({ kind: 'set', name: sn, span: sn, family: f.family, table: tn.name, via: '@' });
        if (!this.isP(this.peek(), '{')) this.unexpected(this.peek(), "'{'");
        this.elementSink = { family: f.family, table: tn.name, set: sn.name };
        this.setList(ctx);
        return;
      }
      case 'flowtable': {
        const fn = this.identOrVar(ctx);
        const ft = { family: f.family, table: tn, name: fn, span: spanOf(start, this.prev()), command, devices: [] as NftName[] };
        this.out.flowtables.push(ft);
        if (this.isP(this.peek(), '{')) {
          this.looseBlock(ctx, true);
          ft.span = spanOf(start, this.prev());
        }
        return;
      }
      default: {
        // counter, quota, limit, secmark, synproxy, ct helper|timeout|expectation objects
        const on = this.identOrVar(ctx);
        const objType = (ctType ? `ct ${ctType}` : w) as 'counter';
        this.out.objects.push({ objType, family: f.family, table: tn, name: on, span: spanOf(start, this.prev()), command });
        this.skipRestOfLine(ctx);
      }
    }
  }
}

/** Parses a whole nftables file. Never throws. */
export function parseNft(text: string, opts: ParseOptions = {}): NftFile {
  const p = new Parser(text, opts);
  try {
    return p.parse();
  } catch {
    return p.out;
  }
}
