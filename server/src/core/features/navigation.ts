/**
 * Chains as symbols you can move between: definition, references, document highlights,
 * rename (refused where iptables would refuse the name) and the chain hover. All answers
 * come from the per-revision chain index; only the line under the cursor is parsed.
 */
import { DocumentHighlight, DocumentHighlightKind, Location, MarkupKind, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver-types';
import { BUILTIN_TARGETS, TABLES } from '../iptables/knowledge/commands';
import { ChainIndex, ChainInfo, ChainRef, LineRef, blockAt, chainRefs, findChain, ruleRefs, scanSaveRuleLine } from '../iptables/syntax/chainIndex';
import { RuleDocument } from '../iptables/syntax/document';
import { Position, wordContains } from './cursor';

export interface ChainSite {
  chain: ChainInfo;
  /** The range of the name under the cursor. */
  range: Range;
}

const contains = (r: { line: number; s: number; endLine: number; e: number }, p: Position) =>
  wordContains(r.line, { text: '', l: 0, s: r.s, el: r.endLine - r.line, e: r.e }, p);

const rangeOf = (r: { line: number; s: number; endLine: number; e: number }): Range => ({
  start: { line: r.line, character: r.s },
  end: { line: r.endLine, character: r.e },
});

/** The table of a line: the enclosing `*table` block, or the rule's `-t` in a script. */
export function tableAt(doc: RuleDocument, index: ChainIndex, line: number): string | undefined {
  if (doc.format === 'save') return blockAt(index, line)?.name;
  if (doc.format === 'listing') return '';
  const e = doc.entryAt(line);
  return e && e.k === 'rule' ? (e.rule.table?.text ?? 'filter') : 'filter';
}

/** The chain named at a position (declaration, rule's chain, jump, goto, command argument). */
export function chainAt(doc: RuleDocument, index: ChainIndex, p: Position): ChainSite | null {
  const e = doc.entryAt(p.line);
  if (!e) return null;
  const find = (table: string | undefined, name: string, r: { line: number; s: number; endLine: number; e: number }): ChainSite | null => {
    if (table === undefined) return null;
    const chain = findChain(index, table, name);
    return chain ? { chain, range: rangeOf(r) } : null;
  };
  switch (e.k) {
    case 'chain': {
      const w = e.name;
      return contains({ line: e.line, s: w.s, endLine: e.line, e: w.e }, p)
        ? find(tableAt(doc, index, e.line), w.text, { line: e.line, s: w.s, endLine: e.line, e: w.e })
        : null;
    }
    case 'listing-chain':
    case 'listing-rule': {
      const w = e.k === 'listing-chain' ? e.chain.name : e.target;
      if (!w) return null;
      const r = { line: e.line, s: w.s, endLine: e.line, e: w.e };
      return contains(r, p) ? find('', w.text, r) : null;
    }
    case 'rule': {
      const refs: LineRef[] = [];
      if (doc.format === 'save') {
        scanSaveRuleLine(doc.lines[e.line], refs);
        // a target, unless a user chain of its name is declared above (`:LOG`): then the chain
        const jumps = (x: LineRef) => x.kind !== 'target' || (index.shadowed?.get(x.name) ?? Infinity) < e.line;
        const r = refs.find((x) => jumps(x) && contains({ line: e.line, s: x.s, endLine: e.line, e: x.e }, p));
        return r ? find(tableAt(doc, index, e.line), r.name, { line: e.line, s: r.s, endLine: e.line, e: r.e }) : null;
      }
      ruleRefs(e.rule, refs);
      for (const r of refs as (LineRef & { word: { l: number; el: number } })[]) {
        if (r.kind === 'target') continue;
        const at = { line: e.line + r.word.l, s: r.s, endLine: e.line + r.word.el, e: r.e };
        if (contains(at, p)) return find(e.rule.table?.text ?? 'filter', r.name, at);
      }
      return null;
    }
    default:
      return null;
  }
}

/** Where the chain under the cursor is declared (`:X ...` or `-N X`). */
export function definition(doc: RuleDocument, index: ChainIndex, uri: string, p: Position): Location | null {
  const site = chainAt(doc, index, p);
  const d = site?.chain.decl;
  return d ? { uri, range: rangeOf(d) } : null;
}

export function references(doc: RuleDocument, index: ChainIndex, uri: string, p: Position, includeDeclaration = true): Location[] {
  const site = chainAt(doc, index, p);
  if (!site) return [];
  const out: Location[] = [];
  for (const r of chainRefs(site.chain)) if (includeDeclaration || r.kind !== 'declare') out.push({ uri, range: rangeOf(r) });
  return out;
}

/** Every place that names the chain under the cursor: declarations and rules' own chain as writes. */
export function highlights(doc: RuleDocument, index: ChainIndex, p: Position): DocumentHighlight[] {
  const site = chainAt(doc, index, p);
  if (!site) return [];
  return chainRefs(site.chain).map((r: ChainRef) => ({
    range: rangeOf(r),
    kind: r.kind === 'declare' || r.kind === 'rule' ? DocumentHighlightKind.Write : DocumentHighlightKind.Read,
  }));
}

/**
 * Why iptables would refuse a chain name, or null: the kernel keeps 28 characters
 * (XT_EXTENSION_MAXNAMELEN - 1), a leading `-` or `!` reads as an option or a negation, and a
 * target's name may not be a chain's.
 */
export function invalidChainName(name: string): string | null {
  if (!name) return 'a chain name cannot be empty';
  if (name.length > 28) return `chain name '${name}' is ${name.length} characters long; iptables allows at most 28`;
  if (name[0] === '-' || name[0] === '!') return `chain name '${name}' cannot start with '${name[0]}'`;
  if (/[\s"']/.test(name)) return `chain name '${name}' cannot hold spaces or quotes`;
  if (BUILTIN_TARGETS.has(name)) return `'${name}' is a target's name; iptables: chain name may not clash with target name`;
  return null;
}

export type PrepareRenameResult = { range: Range; placeholder: string } | { error: string };

export function prepareRename(doc: RuleDocument, index: ChainIndex, p: Position): PrepareRenameResult | null {
  const site = chainAt(doc, index, p);
  if (!site) return null;
  if (doc.format === 'listing') return { error: 'an iptables -L listing is output: there is nothing to rename' };
  if (site.chain.builtin) return { error: `${site.chain.name} is a built-in chain of table ${site.chain.table}: it cannot be renamed` };
  return { range: site.range, placeholder: site.chain.name };
}

export type RenameResult = { edit: WorkspaceEdit } | { error: string };

/** Rename a user chain: its declaration and every use in this file, in its table only. */
export function rename(doc: RuleDocument, index: ChainIndex, uri: string, p: Position, newName: string): RenameResult | null {
  const prep = prepareRename(doc, index, p);
  if (!prep) return null;
  if ('error' in prep) return prep;
  const site = chainAt(doc, index, p)!;
  const { chain } = site;
  if (newName === chain.name) return { edit: { changes: { [uri]: [] } } };
  const bad = invalidChainName(newName);
  if (bad) return { error: bad };
  if (TABLES[chain.table]?.includes(newName)) return { error: `${newName} is a built-in chain of table ${chain.table}` };
  const other = findChain(index, chain.table, newName);
  if (other && (other.decl || other.rules)) return { error: `chain ${newName} already exists in table ${chain.table}` };
  const edits: TextEdit[] = chainRefs(chain).map((r) => ({ range: rangeOf(r), newText: newName }));
  return { edit: { changes: { [uri]: edits } } };
}

/** Hover on a chain name: its table, policy or "user chain", its rules and what jumps to it. */
export function chainHover(doc: RuleDocument, index: ChainIndex, p: Position): { contents: { kind: 'markdown'; value: string }; range: Range } | null {
  const site = chainAt(doc, index, p);
  if (!site) return null;
  const c = site.chain;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const what = c.builtin ? `built-in chain, policy ${c.policy ?? '(not set here)'}` : 'user chain';
  const lines = [
    doc.format === 'listing' ? `**chain ${c.name}** — ${what}` : `**chain ${c.name}** in table \`${c.table}\` — ${what}`,
    '',
    `- ${plural(c.rules, 'rule')}`,
    `- ${c.jumps === 0 ? 'nothing jumps to it' : `${plural(c.jumps, 'place')} jump${c.jumps === 1 ? 's' : ''} to it (-j/-g)`}`,
  ];
  if (!c.decl && !c.builtin && doc.format !== 'listing') lines.push('', `_Not declared in this file (\`:${c.name} - [0:0]\` or \`-N ${c.name}\`)._`);
  return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: site.range };
}
