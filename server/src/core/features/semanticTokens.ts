/**
 * Semantic tokens where meaning beats the grammar: every use of a user chain gets one
 * colour (`function`), built-in chains are `function` + `defaultLibrary`, a built-in target
 * (`-j LOG`) is an `enumMember` even where a chain of the same spelling exists (`-A LOG`),
 * and table names are `namespace`. Lines are scanned as the chain index scans them.
 */
import { Range } from 'vscode-languageserver-types';
import { ChainIndex, LineRef, isBuiltinChain, ruleRefs, scanSaveRuleLine } from '../iptables/syntax/chainIndex';
import { RuleDocument } from '../iptables/syntax/document';
import { BUILTIN_TARGETS } from '../iptables/knowledge/commands';
import { tableAt } from './navigation';

export const TOKEN_TYPES = ['namespace', 'function', 'enumMember'] as const;
export const TOKEN_MODIFIERS = ['declaration', 'defaultLibrary'] as const;
export const LEGEND = { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] };

const NS = 0;
const FN = 1;
const ENUM = 2;
const DECL = 1;
const LIB = 2;

class Encoder {
  data: number[] = [];
  private line = 0;
  private char = 0;
  push(line: number, s: number, e: number, type: number, mods: number): void {
    if (e <= s) return;
    const dl = line - this.line;
    this.data.push(dl, dl === 0 ? s - this.char : s, e - s, type, mods);
    this.line = line;
    this.char = s;
  }
}

/** Tokens of the lines in `range` (the whole document without one), LSP-encoded. */
export function semanticTokens(doc: RuleDocument, index: ChainIndex, range?: Range): { data: number[] } {
  const enc = new Encoder();
  const first = range ? range.start.line : 0;
  const last = Math.min(range ? range.end.line : Infinity, doc.lines.length - 1);
  const refs: LineRef[] = [];
  const chain = (line: number, table: string | undefined, r: { kind: string; s: number; e: number; name: string }) => {
    // a target, unless a user chain of its name is declared above it (`:LOG`): then a jump
    if (r.kind === 'target' && !((index.shadowed?.get(r.name) ?? Infinity) < line)) return enc.push(line, r.s, r.e, ENUM, LIB);
    const builtin = table !== undefined && isBuiltinChain(table, r.name);
    enc.push(line, r.s, r.e, FN, (r.kind === 'declare' ? DECL : 0) | (builtin ? LIB : 0));
  };
  if (doc.format === 'shell') {
    for (const e of doc.entries) {
      if (e.endLine < first || e.line > last || e.k !== 'rule') continue;
      refs.length = 0;
      ruleRefs(e.rule, refs);
      const table = e.rule.table?.text ?? 'filter';
      for (const r of refs as (LineRef & { word: { l: number; el: number } })[]) {
        if (r.word.l === r.word.el) chain(e.line + r.word.l, table, r);
      }
    }
    return { data: enc.data };
  }
  for (let ln = first; ln <= last; ln++) {
    const e = doc.entryAt(ln);
    if (!e) continue;
    switch (e.k) {
      case 'table':
        enc.push(ln, e.name.s, e.name.e, NS, DECL);
        break;
      case 'chain':
        chain(ln, tableAt(doc, index, ln), { kind: 'declare', s: e.name.s, e: e.name.e, name: e.name.text });
        break;
      case 'rule': {
        refs.length = 0;
        scanSaveRuleLine(doc.lines[ln], refs);
        const table = tableAt(doc, index, ln);
        for (const r of refs) chain(ln, table, r);
        break;
      }
      case 'listing-chain': {
        const w = e.chain.name;
        enc.push(ln, w.s, w.e, FN, DECL | (e.chain.policy ? LIB : 0));
        break;
      }
      case 'listing-rule': {
        const t = e.target;
        if (!t) break;
        const c = index.byTable.get('')?.get(t.text);
        if (c && c.decl) enc.push(ln, t.s, t.e, FN, c.builtin ? LIB : 0);
        else if (BUILTIN_TARGETS.has(t.text)) enc.push(ln, t.s, t.e, ENUM, LIB);
        break;
      }
      default:
        break;
    }
  }
  return { data: enc.data };
}
