/**
 * The packet walk: a sample packet goes through the rules of one hook, table after table in
 * the kernel's order, rule by rule, following jumps, gotos, RETURN and policies, with MARK,
 * CONNMARK and TPROXY changing the marks as the kernel would.
 *
 * CONTRACT (pinned before the implementation; the kernel differential test, the LSP adapter
 * and the CLI code against these types).
 */
import { HOOKS, HOOK_TABLES, Hook, SECURITY_NAT_NOTE, isHook } from '../knowledge/hooks';
import type { Packet } from '../../common/samplePacket';
import { CONNTRACK_STATES } from '../../common/kernelNames';
import { RuleDocument, parseSaveLine } from '../syntax/document';
import { BUILTIN_TARGETS, TABLES } from '../knowledge/commands';
import { applyMarkOp } from '../../marks/marks';
import { Rule } from '../syntax/ruleTypes';
import { CRule, Ctx, compilePacket, compileRule } from './compiledMatch';

/** What the walk does where a match cannot be decided on the sample. */
export type Assume = 'match' | 'nomatch';

export interface WalkOptions {
  hook: Hook;
  /** Only this table's chain for the hook (CLI `--table`). */
  table?: string;
  packet: Packet;
  /** Default 'nomatch'. */
  assume?: Assume;
  /** Guard against runaway walks (default 100,000 rule evaluations). */
  maxSteps?: number;
}

export interface MarkPair {
  nfmark: number;
  ctmark: number;
}

/** One rule the packet reached (evaluated), in evaluation order. */
export interface WalkStep {
  /** 0-based line of the rule's first line in the document. */
  line: number;
  table: string;
  chain: string;
  /**
   * Whether the rule matched: decided from the sample, or assumed because some match could
   * not be decided (then `undecided` says which).
   */
  matched: boolean;
  decided: boolean;
  /** Matches that could not be decided, e.g. ["-m statistic", "-m recent"]. */
  undecided?: string[];
  /** What the rule did when it matched: the target's name or the chain jumped/gone to. */
  target?: string;
  /** 'jump' | 'goto' | 'return' | 'verdict' (ACCEPT/DROP/REJECT/QUEUE...) | 'continue' (non-terminal target or no target). */
  action?: 'jump' | 'goto' | 'return' | 'verdict' | 'continue';
  before: MarkPair;
  after: MarkPair;
  /** Nesting depth in user chains (0 in the built-in chain). */
  depth: number;
}

/** A built-in chain's policy applied, or the end of a table's walk. */
export interface TableOutcome {
  table: string;
  chain: string;
  /** ACCEPT, DROP, REJECT, QUEUE, ... as the table ended; 'ACCEPT' also when the table is absent from the file. */
  verdict: string;
  /** The rule line that gave the verdict, or undefined when the policy did. */
  line?: number;
  /** The policy line (`:INPUT DROP [0:0]` or `-P INPUT DROP`) when the policy decided. */
  policyLine?: number;
}

export interface WalkResult {
  hook: Hook;
  path: WalkStep[];
  tables: TableOutcome[];
  /** The verdict of the hook: the first non-ACCEPT table verdict, else ACCEPT. */
  verdict: string;
  /** The rule that gave the verdict (undefined for a policy or the default). */
  verdictLine?: number;
  nfmark: number;
  ctmark: number;
  /** Set when the walk re-entered a chain already on its stack, or hit maxSteps. */
  loop?: { line: number; chain: string; message: string };
  /** Plain-language notes: assumptions taken, tables skipped (nat for non-NEW packets), ... */
  notes: string[];
}

/** TableOutcome's optional extras. */
export interface TableOutcomeExtra {
  /** Why the table was not walked (nat for a packet that is not the first of its connection). */
  skipped?: string;
  /** The target that ended the table when it is not a plain verdict (DNAT, TPROXY...). */
  target?: string;
  /** The file has no such table (or no such chain in it): the packet passes. */
  absent?: boolean;
}

interface MChain {
  name: string;
  builtin: boolean;
  policy?: string;
  policyLine?: number;
  lines: number[];
  compiled?: CRule[];
}

type Tables = Map<string, Map<string, MChain>>;

interface Model {
  revision: number;
  /** Rules per family (shell scripts keep iptables and ip6tables apart; save files have one). */
  v4: Tables;
  v6: Tables;
  notes: string[];
  ruleOf: (line: number) => Rule | undefined;
  /**
   * Save files: the first line declaring a user chain named like a target (`:LOG - [0:0]`);
   * a later `-j LOG` jumps to the chain (iptables-nft 1.8.9, checked in a namespace).
   */
  shadow?: Map<string, number>;
}

const MODELS = new WeakMap<RuleDocument, Model>();

function chainOf(tables: Tables, table: string, name: string, create: boolean): MChain | undefined {
  let t = tables.get(table);
  if (!t) {
    if (!create) return undefined;
    t = new Map();
    tables.set(table, t);
  }
  let c = t.get(name);
  if (!c && create) {
    c = { name, builtin: TABLES[table]?.includes(name) ?? false, lines: [] };
    t.set(name, c);
  }
  return c;
}

/** The words of a rule after its command and chain: what `-D CHAIN rulespec` compares. */
function specKey(rule: Rule): string {
  const skip = new Set<unknown>([rule.command?.word, rule.command?.chain, ...(rule.command?.extra ?? [])]);
  const parts: string[] = [];
  for (const o of rule.core) {
    if (o.key === '--table') continue;
    parts.push(`${o.neg ? '! ' : ''}${o.key} ${o.args.map((a) => a.text).join(' ')}`);
  }
  for (const x of rule.exts) {
    parts.push(`${x.kind}:${x.name.text}`);
    for (const o of x.opts) if (!skip.has(o.name)) parts.push(`${o.neg ? '! ' : ''}${o.key} ${o.args.map((a) => a.text).join(' ')}`);
  }
  return parts.sort().join('|');
}

/** Apply one iptables command to the tables, as iptables would; a note when it cannot. */
function applyCommand(tables: Tables, table: string, rule: Rule, line: number, ruleOf: Model['ruleOf'], notes: string[]): void {
  const c = rule.command;
  if (!c) return;
  const at = `line ${line + 1}`;
  if (c.word.unknown || c.chain?.unknown || c.extra.some((w) => w.unknown) || rule.table?.unknown) {
    notes.push(`${at}: skipped, its command, chain or table is a shell expansion`);
    return;
  }
  const name = c.chain?.text;
  const kind = c.spec.kind;
  const needChain = (): MChain | undefined => {
    if (!name) return undefined;
    const ch = chainOf(tables, table, name, false) ?? (TABLES[table]?.includes(name) ? chainOf(tables, table, name, true) : undefined);
    if (!ch) notes.push(`${at}: chain ${name} does not exist in table ${table} at this point (iptables fails here); skipped`);
    return ch;
  };
  switch (kind) {
    case 'append': {
      if (!name) return;
      const ch = needChain();
      if (ch) ch.lines.push(line);
      return;
    }
    case 'insert':
    case 'replace': {
      const ch = needChain();
      if (!ch) return;
      const n = c.extra[0] ? Number(c.extra[0].text) : 1;
      if (!Number.isInteger(n) || n < 1 || n > ch.lines.length + (kind === 'insert' ? 1 : 0)) {
        notes.push(`${at}: rule number ${c.extra[0]?.text} is out of range for ${name} (iptables fails here); skipped`);
        return;
      }
      if (kind === 'insert') ch.lines.splice(n - 1, 0, line);
      else ch.lines[n - 1] = line;
      ch.compiled = undefined;
      return;
    }
    case 'delete': {
      const ch = needChain();
      if (!ch) return;
      if (c.extra[0]) {
        const n = Number(c.extra[0].text);
        if (Number.isInteger(n) && n >= 1 && n <= ch.lines.length) ch.lines.splice(n - 1, 1);
        else notes.push(`${at}: no rule number ${c.extra[0].text} in ${name} (iptables fails here)`);
        return;
      }
      const key = specKey(rule);
      const k = ch.lines.findIndex((l) => {
        const r = ruleOf(l);
        return !!r && specKey(r) === key;
      });
      if (k >= 0) ch.lines.splice(k, 1);
      else notes.push(`${at}: -D finds no such rule in ${name} (iptables fails here)`);
      return;
    }
    case 'new':
      if (!name) return;
      if (chainOf(tables, table, name, false)) notes.push(`${at}: chain ${name} already exists (iptables fails here)`);
      else chainOf(tables, table, name, true);
      return;
    case 'delete-chain': {
      const t = tables.get(table);
      if (!t) return;
      if (name) {
        const ch = t.get(name);
        if (ch && !ch.builtin) t.delete(name);
      } else for (const [n, ch] of t) if (!ch.builtin) t.delete(n);
      return;
    }
    case 'flush': {
      if (name) {
        const ch = needChain();
        if (ch) ch.lines = [];
      } else for (const ch of tables.get(table)?.values() ?? []) ch.lines = [];
      return;
    }
    case 'policy': {
      const ch = name && TABLES[table]?.includes(name) ? chainOf(tables, table, name, true) : undefined;
      const pol = c.extra[0]?.text;
      if (!ch || !pol) {
        notes.push(`${at}: -P applies only to a built-in chain of table ${table}; skipped`);
        return;
      }
      ch.policy = pol;
      ch.policyLine = line;
      return;
    }
    case 'rename': {
      const ch = needChain();
      const to = c.extra[0]?.text;
      if (!ch || !to || ch.builtin) return;
      const t = tables.get(table)!;
      t.delete(ch.name);
      ch.name = to;
      t.set(to, ch);
      return;
    }
    default:
      return;
  }
}

function buildModel(doc: RuleDocument): Model {
  const v4: Tables = new Map();
  const notes: string[] = [];
  if (doc.format === 'save') {
    const lines = doc.lines;
    const ruleOf = (line: number): Rule | undefined => {
      const e = parseSaveLine(lines[line] ?? '', line);
      return e && e.k === 'rule' ? e.rule : undefined;
    };
    let table: string | undefined;
    const shadow = new Map<string, number>();
    for (const e of doc.entries) {
      switch (e.k) {
        case 'table':
          table = e.name.text;
          v4.set(table, new Map()); // iptables-restore replaces the whole table
          break;
        case 'commit':
          table = undefined;
          break;
        case 'chain': {
          if (!table) break;
          if (BUILTIN_TARGETS.has(e.name.text) && !shadow.has(e.name.text)) shadow.set(e.name.text, e.line);
          const ch = chainOf(v4, table, e.name.text, true)!;
          if (e.policy && e.policy.text !== '-') {
            ch.policy = e.policy.text;
            ch.policyLine = e.line;
          }
          break;
        }
        case 'rule': {
          if (!table) break;
          const text = lines[e.line];
          // the common `-A CHAIN ...` line, without parsing it
          if (text.charCodeAt(0) === 45 && text.charCodeAt(1) === 65 && text.charCodeAt(2) === 32) {
            let sp = text.indexOf(' ', 3);
            if (sp < 0) sp = text.length;
            const name = text.slice(3, sp);
            if (name && !name.includes('"') && !name.includes('\t')) {
              chainOf(v4, table, name, true)!.lines.push(e.line);
              break;
            }
          }
          applyCommand(v4, table, e.rule, e.line, ruleOf, notes);
          break;
        }
        default:
          break;
      }
    }
    return { revision: doc.revision, v4, v6: v4, notes, ruleOf, ...(shadow.size ? { shadow } : {}) };
  }
  const v6: Tables = new Map();
  const ruleOf = (line: number): Rule | undefined => {
    const e = doc.entryAt(line);
    return e && e.k === 'rule' ? e.rule : undefined;
  };
  if (doc.format === 'shell') {
    for (const e of doc.entries) {
      if (e.k !== 'rule') continue;
      const table = e.rule.table?.text ?? 'filter';
      applyCommand(e.family === 6 ? v6 : v4, table, e.rule, e.line, ruleOf, notes);
    }
  }
  return { revision: doc.revision, v4, v6, notes, ruleOf };
}

function modelOf(doc: RuleDocument): Model {
  let m = MODELS.get(doc);
  if (!m || m.revision !== doc.revision) {
    m = buildModel(doc);
    MODELS.set(doc, m);
  }
  return m;
}

function compiled(model: Model, ch: MChain): CRule[] {
  if (ch.compiled) return ch.compiled;
  const out: CRule[] = [];
  for (let i = 0; i < ch.lines.length; i++) {
    const line = ch.lines[i];
    try {
      const rule = model.ruleOf(line);
      if (rule) {
        const rs = compileRule(rule, line);
        for (let k = 0; k < rs.length; k++) {
          const t = rs[k].target;
          // `-j LOG` below a `:LOG` declaration: the chain, not the target
          if (model.shadow && t !== undefined && (model.shadow.get(t) ?? Infinity) < line) rs[k].kind = 'chain';
          out.push(rs[k]);
        }
        continue;
      }
    } catch {
      // fall through: an unreadable rule is undecided
    }
    out.push({ line, tests: [{ label: 'unreadable rule', fn: () => 2 }], goto: false, kind: 'none' });
  }
  return (ch.compiled = out);
}

/**
 * Compile every chain a walk of this hook could reach ahead of time (the walk does it lazily
 * otherwise); returns how many rules were compiled. For benchmarks and warm-up.
 */
export function prepareWalk(doc: RuleDocument): number {
  const m = modelOf(doc);
  let n = 0;
  for (const tables of new Set([m.v4, m.v6])) for (const t of tables.values()) for (const ch of t.values()) n += compiled(m, ch).length;
  return n;
}

const HOOK_HAS_IN = new Set<Hook>(['PREROUTING', 'INPUT', 'FORWARD', 'POSTROUTING']);
const HOOK_HAS_OUT = new Set<Hook>(['FORWARD', 'OUTPUT', 'POSTROUTING']);

/** Walk the sample packet through the rules of one hook. Never throws. */
export function walk(doc: RuleDocument, opts: WalkOptions): WalkResult {
  const nf = (Number(opts?.packet?.nfmark) || 0) >>> 0;
  const ct = (Number(opts?.packet?.ctmark) || 0) >>> 0;
  try {
    return walkInner(doc, opts, nf, ct);
  } catch (e) {
    return {
      hook: opts?.hook,
      path: [],
      tables: [],
      verdict: 'ACCEPT',
      nfmark: nf,
      ctmark: ct,
      notes: [`the walk stopped on an internal error: ${(e as Error)?.message ?? e}`],
    };
  }
}

function walkInner(doc: RuleDocument, opts: WalkOptions, nf0: number, ct0: number): WalkResult {
  const hook = opts.hook;
  const res: WalkResult = { hook, path: [], tables: [], verdict: 'ACCEPT', nfmark: nf0, ctmark: ct0, notes: [] };
  if (!isHook(hook)) {
    res.notes.push(`unknown hook ${hook}: one of ${HOOKS.join(', ')}`);
    return res;
  }
  if (doc.format === 'listing') {
    res.notes.push('iptables -L listings are not walked: they do not say which table a chain is in nor every match; walk an iptables-save dump instead');
    return res;
  }
  const assume: Assume = opts.assume === 'match' ? 'match' : 'nomatch';
  const maxSteps = opts.maxSteps ?? 100_000;
  const model = modelOf(doc);
  const p = compilePacket(opts.packet);
  const tables = p.src?.v === 6 || p.dst?.v === 6 ? model.v6 : model.v4;
  if (model.notes.length) res.notes.push(...model.notes.slice(0, 20));
  if (opts.table && !HOOK_TABLES[hook].includes(opts.table)) res.notes.push(`table ${opts.table} has no ${hook} chain`);
  const ctx: Ctx = {
    p,
    hook,
    in: HOOK_HAS_IN.has(hook) ? p.in : '',
    out: HOOK_HAS_OUT.has(hook) ? p.out : '',
    ct: false,
    nfmark: nf0,
    ctmark: ct0,
  };
  let marks: MarkPair = { nfmark: nf0, ctmark: ct0 };
  const setMarks = (m: MarkPair) => {
    if (m.nfmark === marks.nfmark && m.ctmark === marks.ctmark) return;
    marks = { nfmark: m.nfmark, ctmark: m.ctmark };
    ctx.nfmark = marks.nfmark;
    ctx.ctmark = marks.ctmark;
  };
  const state = p.state;
  let notrack = false;
  let conntracked = hook !== 'PREROUTING' && hook !== 'OUTPUT';
  let steps = 0;
  const noted = new Set<string>();
  const note = (s: string) => {
    if (!noted.has(s)) {
      noted.add(s);
      res.notes.push(s);
    }
  };
  if (opts.packet.state !== undefined && state && !(CONNTRACK_STATES as readonly string[]).includes(state))
    note(`state ${state} is not a conntrack state; taken as unknown`);
  const knownState = state && (CONNTRACK_STATES as readonly string[]).includes(state) ? state : undefined;
  if (hook === 'INPUT' && !opts.table) {
    const used = (t: string): boolean => {
      const c = tables.get(t)?.get('INPUT');
      return !!c && (c.lines.length > 0 || (c.policy !== undefined && c.policy !== 'ACCEPT'));
    };
    if (used('nat') && used('security')) note(SECURITY_NAT_NOTE);
  }

  for (const table of HOOK_TABLES[hook]) {
    if (table !== 'raw' && !conntracked) {
      // conntrack (priority -200) runs between raw and the other tables
      conntracked = true;
      if (!notrack && knownState === 'NEW' && marks.ctmark !== 0) {
        note(`conntrack creates the entry of a NEW connection with ctmark 0 (the sample's ctmark ${hex(marks.ctmark)} is not used after raw)`);
        setMarks({ nfmark: marks.nfmark, ctmark: 0 });
      }
    }
    if (opts.table && table !== opts.table) continue;
    if (table === 'nat') {
      if (notrack || (knownState && knownState !== 'NEW')) {
        const why = `nat/${hook} skipped: the nat table sees only the first packet of a connection (state NEW); this packet is ${notrack ? 'UNTRACKED (NOTRACK in raw)' : knownState}`;
        note(why);
        const o: TableOutcome & TableOutcomeExtra = { table, chain: hook, verdict: 'ACCEPT', skipped: why };
        res.tables.push(o);
        continue;
      }
      if (!knownState && tables.get('nat')?.get(hook))
        note(`nat/${hook} walked on the assumption that the packet is the first of its connection (the sample has no state)`);
    }
    if (table === 'raw') {
      ctx.ct = false;
      ctx.ctState = notrack ? 'UNTRACKED' : 'INVALID';
    } else if (notrack) {
      ctx.ct = false;
      ctx.ctState = 'UNTRACKED';
    } else if (knownState === 'INVALID' || knownState === 'UNTRACKED') {
      ctx.ct = false;
      ctx.ctState = knownState;
    } else {
      ctx.ct = true;
      ctx.ctState = knownState;
    }
    const outcome = walkTable(table);
    res.tables.push(outcome);
    if (res.loop) {
      res.verdict = outcome.verdict;
      break;
    }
    if (outcome.verdict !== 'ACCEPT') {
      res.verdict = outcome.verdict;
      if (outcome.line !== undefined) res.verdictLine = outcome.line;
      break;
    }
  }
  res.nfmark = marks.nfmark;
  res.ctmark = marks.ctmark;
  return res;

  function walkTable(table: string): TableOutcome & TableOutcomeExtra {
    const chains = tables.get(table);
    const builtin = chains?.get(hook);
    if (!builtin) return { table, chain: hook, verdict: 'ACCEPT', absent: true };
    const policy = (): TableOutcome => {
      const o: TableOutcome = { table, chain: hook, verdict: builtin.policy ?? 'ACCEPT' };
      if (builtin.policyLine !== undefined) o.policyLine = builtin.policyLine;
      return o;
    };
    const stack: { chain: MChain; idx: number; level: string[] }[] = [];
    let cur = builtin;
    let idx = 0;
    let level = [builtin.name];
    const path = res.path;
    for (;;) {
      const rules = compiled(model, cur);
      if (idx >= rules.length) {
        const f = stack.pop();
        if (!f) return policy();
        cur = f.chain;
        idx = f.idx;
        level = f.level;
        continue;
      }
      const r = rules[idx];
      if (++steps > maxSteps) {
        res.loop = { line: r.line, chain: cur.name, message: `the walk stopped after ${maxSteps} rule evaluations` };
        note(res.loop.message);
        return { table, chain: hook, verdict: 'LOOP', line: r.line };
      }
      let v: 0 | 1 | 2 = 1;
      let und: string[] | undefined;
      const tests = r.tests;
      for (let k = 0; k < tests.length; k++) {
        const t = tests[k].fn(ctx);
        if (t === 0) {
          v = 0;
          break;
        }
        if (t === 2) (und ??= []).push(tests[k].label);
      }
      const decided = v === 0 || !und;
      const matched = v === 0 ? false : und ? assume === 'match' : true;
      // every field set from the start (undefined ones too): one object shape for the whole path
      const step: WalkStep = {
        line: r.line,
        table,
        chain: cur.name,
        matched,
        decided,
        undecided: undefined,
        target: undefined,
        action: undefined,
        before: marks,
        after: marks,
        depth: stack.length,
      };
      if (!decided) {
        step.undecided = und;
        note(
          `where a match cannot be decided on the sample, the walk assumes it ${assume === 'match' ? 'matches' : 'does not match'} (setting iptables.walk.assume)`,
        );
      }
      path.push(step);
      idx++;
      if (!matched) continue;
      if (r.expands && r.expands > 1)
        note(`line ${r.line + 1}: iptables makes ${r.expands} kernel rules of its address list; the walk evaluates each, so the line can match more than once`);
      const t = r.target;
      if (t !== undefined) step.target = t;
      step.action = 'continue';
      switch (r.kind) {
        case 'none':
        case 'continue':
          break;
        case 'mark':
          if (r.markOp) setMarks(applyMarkOp(r.markOp, marks));
          else note(`line ${r.line + 1}: MARK not evaluated (${r.markNote})`);
          break;
        case 'connmark':
          if (!ctx.ct)
            note(
              `line ${r.line + 1}: CONNMARK does nothing here: ${table === 'raw' ? 'raw runs before conntrack, so there is no connection entry yet' : `the packet has no connection entry (${ctx.ctState})`}`,
            );
          else if (r.markOp) setMarks(applyMarkOp(r.markOp, marks));
          else note(`line ${r.line + 1}: CONNMARK not evaluated (${r.markNote})`);
          break;
        case 'notrack':
          if (table === 'raw') {
            notrack = true;
            ctx.ctState = 'UNTRACKED';
          }
          break;
        case 'tproxy': {
          step.decided = false;
          (step.undecided ??= []).push('TPROXY socket lookup');
          step.action = 'verdict';
          note(
            `line ${r.line + 1}: TPROXY accepts (setting the mark) when it finds a socket and drops otherwise; the walk assumes it ${assume === 'match' ? 'finds one' : 'finds none'} (setting iptables.walk.assume)`,
          );
          if (assume === 'match') {
            if (r.markOp) setMarks(applyMarkOp(r.markOp, marks));
            step.after = marks;
            return { table, chain: hook, verdict: 'ACCEPT', line: r.line, target: t };
          }
          step.after = marks;
          return { table, chain: hook, verdict: 'DROP', line: r.line, target: t };
        }
        case 'verdict':
          step.action = 'verdict';
          return { table, chain: hook, verdict: t!, line: r.line };
        case 'nat':
          if (table === 'nat') {
            step.action = 'verdict';
            return { table, chain: hook, verdict: 'ACCEPT', line: r.line, target: t };
          }
          note(`line ${r.line + 1}: ${t} outside the nat table (iptables refuses it); taken as a non-terminal target`);
          break;
        case 'return': {
          step.action = 'return';
          const f = stack.pop();
          if (!f) return policy();
          cur = f.chain;
          idx = f.idx;
          level = f.level;
          break;
        }
        case 'unknown':
          note(`line ${r.line + 1}: the target is a shell expansion; the walk goes on`);
          break;
        case 'chain': {
          const target = chains!.get(t!);
          if (!target || target.builtin) {
            note(`line ${r.line + 1}: unknown target ${t} (no such chain in ${table}); the walk goes on`);
            break;
          }
          if (level.includes(target.name) || stack.some((f) => f.level.includes(target.name))) {
            res.loop = {
              line: r.line,
              chain: target.name,
              message: `loop: line ${r.line + 1} ${r.goto ? 'goes' : 'jumps'} to ${target.name}, already on the call stack (the kernel refuses this rule set: ELOOP)`,
            };
            step.action = r.goto ? 'goto' : 'jump';
            note(res.loop.message);
            return { table, chain: hook, verdict: 'LOOP', line: r.line };
          }
          if (r.goto) {
            step.action = 'goto';
            level = [...level, target.name];
          } else {
            step.action = 'jump';
            stack.push({ chain: cur, idx, level });
            level = [target.name];
          }
          cur = target;
          idx = 0;
          break;
        }
      }
      step.after = marks;
    }
  }
}

const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');
