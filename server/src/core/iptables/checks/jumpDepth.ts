/** jump-depth: the kernel's limit on nested jumps below a built-in chain (nf_tables, checked in a namespace). */
import { TABLES } from '../knowledge/commands';
import { RuleDocument } from '../syntax/document';
import { LineRecord, PendingFinding } from './records';

/** nf_tables' jump stack: a chain 16 jumps (or gotos) below a base chain is refused (EMLINK). */
const MAX_JUMP_DEPTH = 16;

/**
 * The kernel's limit on nested jumps, in file (or script) order: the rule whose jump first
 * puts a chain 16 jumps below a built-in chain is refused, `RULE_APPEND failed (Too many
 * links)` (a loop is jump-loop's). Depths only grow, capped at the limit, so the pass is
 * linear in the rules times the limit.
 */
export function checkJumpDepth(doc: RuleDocument, items: LineRecord[], out: PendingFinding[]): void {
  const shell = doc.format === 'shell';
  type G = { depth: Map<string, number>; from: Map<string, string>; edges: Map<string, string[]> };
  const graphs = new Map<string, G>();
  let cur: G | undefined;
  let tableName = '';
  const fresh = (): G => ({ depth: new Map(), from: new Map(), edges: new Map() });
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.k === 'table') {
      tableName = it.table ?? '';
      cur = fresh();
      continue;
    }
    if (it.k === 'commit') {
      cur = undefined;
      continue;
    }
    if (it.k !== 'rule' || !it.jumps?.length || it.chain === undefined || (it.cmd !== 'A' && it.cmd !== 'I')) continue;
    let g = cur;
    let table = tableName;
    if (shell) {
      table = it.table ?? 'filter';
      const key = (it.family === 6 ? '6 ' : '') + table;
      g = graphs.get(key);
      if (!g) graphs.set(key, (g = fresh()));
    }
    if (!g || !(table in TABLES)) continue;
    const builtins = TABLES[table];
    const at = (c: string) => (builtins.includes(c) ? 0 : g!.depth.get(c));
    for (let k = 0; k < it.jumps.length; k++) {
      const to = it.jumps[k].name;
      const list = g.edges.get(it.chain);
      if (list) list.push(to);
      else g.edges.set(it.chain, [to]);
      const d0 = at(it.chain);
      if (d0 === undefined) continue;
      // propagate the new depth down the chains reached from `to`
      const work: [string, number, string][] = [[to, d0 + 1, it.chain]];
      let over: string | undefined;
      while (work.length && !over) {
        const [c, d, parent] = work.pop()!;
        if (builtins.includes(c) || (g.depth.get(c) ?? -1) >= d) continue;
        g.depth.set(c, d);
        g.from.set(c, parent);
        if (d >= MAX_JUMP_DEPTH) {
          over = c;
          break;
        }
        for (const n of g.edges.get(c) ?? []) work.push([n, d + 1, c]);
      }
      if (over) {
        const path: string[] = [over];
        for (let c = over, n = 0; g.from.has(c) && n <= MAX_JUMP_DEPTH; n++) path.push((c = g.from.get(c)!));
        out.push({
          idx: i,
          src: 'jump',
          k,
          code: 'jump-depth',
          severity: 'error',
          message: `RULE_APPEND failed (Too many links): the jumps nest ${MAX_JUMP_DEPTH} deep (${path.reverse().join(' -> ')}); the kernel allows ${MAX_JUMP_DEPTH - 1}`,
        });
        return;
      }
    }
  }
}
