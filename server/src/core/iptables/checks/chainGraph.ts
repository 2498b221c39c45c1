/**
 * The chains of one table as a graph of numbers: -j/-g edges, the built-in hooks each user
 * chain is reached from (target-hook), loops (jump-loop), undeclared and unused chains, and
 * the checks along one chain's rules (unreachable-rule, mark-overwritten). Pure.
 */
import { TABLES } from '../knowledge/commands';
import { BUILTIN_ANY, LineRecord, PendingFinding, TERMINAL } from './records';

// ---------------------------------------------------------------------------------------
// the file-level checks, on chain numbers

/** One table's chains as numbers: names, declarations, rules and -j/-g edges. */
export class Graph {
  ids = new Map<string, number>();
  names: string[] = [];
  builtin: boolean[] = [];
  /** first declaration: item index, or -1 */
  decl: number[] = [];
  /** first place: item index and (for a jump) jump number, or -1 */
  useItem: number[] = [];
  useJump: number[] = [];
  jumped: number[] = [];
  unordered: boolean[] = [];
  eFrom: number[] = [];
  eTo: number[] = [];
  eItem: number[] = [];
  eJ: number[] = [];
  rChain: number[] = [];
  rItem: number[] = [];
  constructor(
    readonly name: string,
    readonly complete: boolean,
  ) {}

  id(name: string): number {
    let i = this.ids.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.ids.set(name, i);
      this.names.push(name);
      this.builtin.push(TABLES[this.name]?.includes(name) ?? false);
      this.decl.push(-1);
      this.useItem.push(-1);
      this.useJump.push(-1);
      this.jumped.push(0);
      this.unordered.push(false);
    }
    return i;
  }
}

/** Compressed lists: for each key k, vals[off[k] .. off[k+1]) in push order. */
export function group(n: number, keys: number[], vals: number[]): { off: Int32Array; vals: Int32Array } {
  const off = new Int32Array(n + 1);
  for (const k of keys) off[k + 1]++;
  for (let i = 0; i < n; i++) off[i + 1] += off[i];
  const fill = off.slice(0, n);
  const out = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) out[fill[keys[i]]++] = vals[i];
  return { off, vals: out };
}

export function checkTable(g: Graph, items: LineRecord[], out: PendingFinding[], shell: boolean, unused: boolean): void {
  if (!(g.name in TABLES)) return;
  const n = g.names.length;
  const declared = (c: number) => g.builtin[c] || g.decl[c] >= 0;
  for (let c = 0; c < n; c++) {
    const name = g.names[c];
    if (!g.builtin[c] && BUILTIN_ANY.has(name)) {
      const d = g.decl[c];
      const idx = d >= 0 ? d : g.useItem[c];
      if (idx >= 0) {
        const viaJump = d < 0 && g.useJump[c] >= 0;
        out.push({
          idx,
          src: viaJump ? 'jump' : 'chain',
          k: viaJump ? g.useJump[c] : 0,
          code: 'builtin-chain-table',
          severity: 'warning',
          message: `Table ${g.name} has no built-in chain ${name}: iptables-nft makes it a user chain (\`:${name} - [0:0]\`, any policy ignored), which no packet enters unless a rule jumps to it`,
        });
      }
    }
    if (unused && g.complete && !g.builtin[c] && g.decl[c] >= 0 && g.jumped[c] === 0) {
      const d = g.decl[c];
      out.push({
        idx: d,
        src: 'chain',
        k: 0,
        code: 'unused-chain',
        severity: 'hint',
        message: `Chain ${name} is never jumped to (-j/-g) in table ${g.name}: no packet goes through it`,
      });
    }
  }
  if (!shell) {
    for (let k = 0; k < g.rChain.length; k++) {
      const c = g.rChain[k];
      if (declared(c)) continue;
      const i = g.rItem[k];
      out.push({
        idx: i,
        src: 'chain',
        k: 0,
        code: 'undeclared-chain',
        severity: 'warning',
        message: `No chain/target/match by that name: chain ${g.names[c]} is not declared in table ${g.name} (iptables-restore fails here, unless the chain already exists and the file is loaded with --noflush)`,
      });
    }
    for (let k = 0; k < g.eTo.length; k++) {
      const t = g.eTo[k];
      if (declared(t)) continue;
      out.push({
        idx: g.eItem[k],
        src: 'jump',
        k: g.eJ[k],
        code: 'undeclared-chain',
        severity: 'warning',
        message: `Chain '${g.names[t]}' does not exist: it is not declared in table ${g.name} (iptables-restore fails here, unless the chain already exists and the file is loaded with --noflush)`,
      });
    }
  }
  // a jump or goto to a built-in chain: the kernel refuses it
  for (let k = 0; k < g.eTo.length; k++) {
    const t = g.eTo[k];
    if (g.builtin[t])
      out.push({
        idx: g.eItem[k],
        src: 'jump',
        k: g.eJ[k],
        code: 'builtin-jump',
        severity: 'error',
        message: `RULE_APPEND failed (Operation not supported): ${g.names[t]} is a built-in chain of table ${g.name}, no rule may jump or go to it`,
      });
  }
  const eIdx = g.eFrom.map((_, k) => k);
  const adj = group(n, g.eFrom, eIdx);
  // reachability from each built-in chain (hook), with the chain each was reached from
  const hooks = TABLES[g.name];
  const reach = new Uint8Array(n);
  const preds: Int32Array[] = [];
  const queue = new Int32Array(n);
  hooks.forEach((h, hi) => {
    const pred = new Int32Array(n).fill(-1);
    preds.push(pred);
    const start = g.ids.get(h);
    if (start === undefined) return;
    let qn = 0;
    queue[qn++] = start;
    for (let qi = 0; qi < qn; qi++) {
      const v = queue[qi];
      for (let a = adj.off[v]; a < adj.off[v + 1]; a++) {
        const t = g.eTo[adj.vals[a]];
        if (g.builtin[t] || reach[t] & (1 << hi)) continue;
        reach[t] |= 1 << hi;
        pred[t] = v;
        queue[qn++] = t;
      }
    }
  });
  const path = (c: number, hi: number): string => {
    const seq = [g.names[c]];
    let v = c;
    for (let k = 0; k < 64; k++) {
      const p = preds[hi][v];
      if (p < 0 || g.builtin[p]) break;
      seq.unshift(g.names[p]);
      v = p;
    }
    return `${hooks[hi]} via ${seq.join(' -> ')}`;
  };
  // extensions the kernel refuses from a hook that reaches the user chain
  for (let k = 0; k < g.rChain.length; k++) {
    const c = g.rChain[k];
    if (!reach[c]) continue;
    const it = items[g.rItem[k]];
    if (!it.needs) continue;
    for (let q = 0; q < it.needs.length; q++) {
      const nd = it.needs[q];
      const hi = hooks.findIndex((h, x) => reach[c] & (1 << x) && !nd.hooks.includes(h));
      if (hi >= 0)
        out.push({
          idx: g.rItem[k],
          src: 'need',
          k: q,
          code: 'target-hook',
          severity: 'error',
          message: `RULE_APPEND failed (Invalid argument): ${nd.ext} is only valid in ${nd.hooks.join(', ')}, not in ${hooks[hi]}: chain ${g.names[c]} is reached from ${path(c, hi)}`,
        });
    }
  }
  loops(g, adj, reach, hooks, out, shell);
  // a script's lines need not run in file order (functions, branches): save files only
  if (!shell) sequences(g, items, out);
}

/**
 * A script runs its commands in order: when does each chain become reachable from a hook?
 * Edges taken in file order; a chain is reached by the first jump that links it to a hook
 * through jumps already made. Per chain: that jump (-1: never reached) and its hook.
 */
export function reachOrder(g: Graph, hooks: readonly string[]): { by: Int32Array; hook: Int32Array } {
  const n = g.names.length;
  const by = new Int32Array(n).fill(-1);
  const hook = new Int32Array(n).fill(-1);
  const reached = new Uint8Array(n);
  hooks.forEach((h, hi) => {
    const c = g.ids.get(h);
    if (c !== undefined && !reached[c]) {
      reached[c] = 1;
      hook[c] = hi;
    }
  });
  const order = g.eFrom.map((_, k) => k).sort((a, b) => g.eItem[a] - g.eItem[b] || g.eJ[a] - g.eJ[b]);
  // the jumps made so far, by their chain
  const out: number[][] = Array.from({ length: n }, () => []);
  const stack: number[] = [];
  for (const k of order) {
    const f = g.eFrom[k];
    const t = g.eTo[k];
    if (g.builtin[t]) continue;
    out[f].push(t);
    if (!reached[f] || reached[t]) continue;
    reached[t] = 1;
    by[t] = k;
    hook[t] = hook[f];
    stack.push(t);
    while (stack.length) {
      const v = stack.pop()!;
      for (const w of out[v]) {
        if (reached[w]) continue;
        reached[w] = 1;
        by[w] = k;
        hook[w] = hook[v];
        stack.push(w);
      }
    }
  }
  return { by, hook };
}

export function loops(
  g: Graph,
  adj: { off: Int32Array; vals: Int32Array },
  reach: Uint8Array,
  hooks: readonly string[],
  out: PendingFinding[],
  shell = false,
): void {
  const n = g.names.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const work: number[] = [];
  const cursor = new Int32Array(n);
  let counter = 0;
  let comps = 0;
  const cyclic: number[] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] >= 0 || g.builtin[root]) continue;
    work.push(root);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    cursor[root] = adj.off[root];
    while (work.length) {
      const v = work[work.length - 1];
      if (cursor[v] < adj.off[v + 1]) {
        const w = g.eTo[adj.vals[cursor[v]++]];
        if (g.builtin[w]) continue;
        if (index[w] < 0) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          cursor[w] = adj.off[w];
          work.push(w);
        } else if (onStack[w] && index[w] < low[v]) low[v] = index[w];
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1];
        if (low[v] < low[u]) low[u] = low[v];
      }
      if (low[v] === index[v]) {
        let size = 0;
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = comps;
          size++;
        } while (w !== v);
        // a component of one chain is a loop only when it jumps to itself
        let self = false;
        if (size === 1) for (let a = adj.off[v]; a < adj.off[v + 1]; a++) if (g.eTo[adj.vals[a]] === v) self = true;
        if (size > 1 || self) cyclic.push(comps);
        comps++;
      }
    }
  }
  if (!cyclic.length) return;
  const isCyclic = new Uint8Array(comps);
  for (const c of cyclic) isCyclic[c] = 1;
  // per cyclic component: the jump inside it that comes last in the file closes the loop
  const closing = new Int32Array(comps).fill(-1);
  const hookOf = new Int32Array(comps).fill(-1);
  for (let k = 0; k < g.eFrom.length; k++) {
    const f = g.eFrom[k];
    const t = g.eTo[k];
    if (comp[f] < 0 || comp[f] !== comp[t] || !isCyclic[comp[f]]) continue;
    const cc = comp[f];
    if (closing[cc] < 0 || g.eItem[k] > g.eItem[closing[cc]] || (g.eItem[k] === g.eItem[closing[cc]] && g.eJ[k] > g.eJ[closing[cc]])) closing[cc] = k;
  }
  for (let v = 0; v < n; v++) if (comp[v] >= 0 && isCyclic[comp[v]] && reach[v] && hookOf[comp[v]] < 0) hookOf[comp[v]] = 31 - Math.clz32(reach[v] & -reach[v]);
  // in a script, the command that fails is the later of the loop's closing jump and the
  // first jump that lets a hook reach the loop
  const order = shell ? reachOrder(g, hooks) : undefined;
  const later = (a: number, b: number) => g.eItem[a] > g.eItem[b] || (g.eItem[a] === g.eItem[b] && g.eJ[a] > g.eJ[b]);
  for (const cc of cyclic) {
    const k = closing[cc];
    if (k < 0) continue;
    const from = g.eFrom[k];
    const to = g.eTo[k];
    const cyc = cyclePath(g, adj, comp, to, from);
    const loopText = [...cyc, to].map((c) => g.names[c]).join(' -> ');
    const r = { src: 'jump' as const, k: g.eJ[k] };
    const hi = hookOf[cc];
    if (order && hi >= 0) {
      // the loop's chain reached first, by which jump
      let first = -1;
      for (let v = 0; v < n; v++) if (comp[v] === cc && order.by[v] >= 0 && (first < 0 || later(order.by[first], order.by[v]))) first = v;
      if (first >= 0 && later(order.by[first], k)) {
        const e = order.by[first];
        out.push({
          idx: g.eItem[e],
          src: 'jump',
          k: g.eJ[e],
          code: 'jump-loop',
          severity: 'error',
          message: `RULE_APPEND failed (Too many links): this jump lets ${hooks[order.hook[first]]} reach the loop ${loopText}`,
        });
        continue;
      }
    }
    if (hi >= 0)
      out.push({
        idx: g.eItem[k],
        ...r,
        code: 'jump-loop',
        severity: 'error',
        message: `RULE_APPEND failed (Too many links): this jump closes the loop ${loopText}, which ${hooks[hi]} reaches`,
      });
    else
      out.push({
        idx: g.eItem[k],
        ...r,
        code: 'jump-loop',
        severity: 'warning',
        message: `This jump closes the loop ${loopText}: iptables-nft accepts it while no built-in chain reaches the loop, and fails with RULE_APPEND failed (Too many links) once one does`,
      });
  }
}

/** A shortest path of chains from `from` to `to` inside one component. */
export function cyclePath(g: Graph, adj: { off: Int32Array; vals: Int32Array }, comp: Int32Array, from: number, to: number): number[] {
  const prev = new Map<number, number>([[from, -1]]);
  const q = [from];
  for (let qi = 0; qi < q.length; qi++) {
    const v = q[qi];
    if (v === to) break;
    for (let a = adj.off[v]; a < adj.off[v + 1]; a++) {
      const w = g.eTo[adj.vals[a]];
      if (comp[w] === comp[from] && !prev.has(w)) {
        prev.set(w, v);
        q.push(w);
      }
    }
  }
  const seq: number[] = [];
  for (let v = to; v >= 0 && seq.length <= g.names.length; v = prev.get(v) ?? -1) seq.unshift(v);
  return seq;
}

/** Each chain's rules in order: unreachable rules, mark writes overwritten before any read. */
export function sequences(g: Graph, items: LineRecord[], out: PendingFinding[]): void {
  const rules = group(g.names.length, g.rChain, g.rItem);
  for (let c = 0; c < g.names.length; c++) {
    if (g.unordered[c]) continue;
    const a0 = rules.off[c];
    const a1 = rules.off[c + 1];
    let stop: LineRecord | undefined;
    let marks = false;
    for (let a = a0; a < a1; a++) {
      const idx = rules.vals[a];
      const it = items[idx];
      if (it.marks) marks = true;
      if (stop) {
        const verdict = stop.jumps?.length ? `-g ${stop.jumps[0].name}` : `-j ${stop.target}`;
        out.push({
          idx,
          src: 'whole',
          k: 0,
          code: 'unreachable-rule',
          severity: 'warning',
          message: `Unreachable rule: every packet leaves chain ${g.names[c]} at the earlier \`${verdict}\` that has no match`,
        });
        continue;
      }
      if (it.plain && ((it.target && TERMINAL.has(it.target) && !it.jumps) || (!it.target && it.jumps?.length === 1 && it.jumps[0].goto))) stop = it;
    }
    if (marks) overwritten(g.names[c], rules.vals.subarray(a0, a1), items, out);
  }
}

/** Mark writes fully overwritten by a later unconditional write of the chain before anything can read them. */
export function overwritten(chain: string, rules: Int32Array, items: LineRecord[], out: PendingFinding[]): void {
  for (let a = 0; a < rules.length; a++) {
    const wa = items[rules[a]];
    const ms = wa.marks ?? [];
    for (let q = 0; q < ms.length; q++) {
      const ma = ms[q];
      const kind = ma.op.kind === 'xset' && ma.op.ext === 'MARK' ? 'nf' : ma.op.kind === 'ct-set' && !ma.op.shift ? 'ct' : null;
      if (!kind) continue;
      const op = ma.op as { value: number; mask: number };
      const touched = (op.mask | op.value) >>> 0;
      if (!touched) continue;
      for (let b = a + 1; b < rules.length; b++) {
        const wb = items[rules[b]];
        // anything that may read the mark or leave the chain: a mark/connmark/socket match, a
        // target other than MARK/CONNMARK, a jump or goto
        if (wb.opaque || wb.jumps?.length) break;
        const over = (wb.marks ?? []).find(
          (mb) =>
            (kind === 'nf' ? mb.op.kind === 'xset' && mb.op.ext === 'MARK' : mb.op.kind === 'ct-set' && !mb.op.shift) &&
            (touched & ~(mb.op as { mask: number }).mask) >>> 0 === 0,
        );
        if (over && wb.plain) {
          out.push({
            idx: rules[a],
            src: 'mark',
            k: q,
            code: 'mark-overwritten',
            severity: 'warning',
            message: `This ${kind === 'nf' ? 'MARK' : 'CONNMARK'} write is overwritten by a later rule of chain ${chain} that every packet takes (it sets every bit this one changes) before anything reads the mark`,
          });
          break;
        }
        // CONNMARK save/restore read one mark to write the other
        if ((wb.marks ?? []).some((mb) => mb.op.kind !== 'xset' && mb.op.kind !== 'ct-set')) break;
      }
    }
  }
}
