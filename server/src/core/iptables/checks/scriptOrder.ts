/**
 * Shell scripts run top to bottom: which chains exist when each command runs (undeclared,
 * made twice, renamed onto a taken name, deleted while busy), conservative where functions,
 * branches, loops or expansions make the order or the names unknown.
 */
import { TABLES } from '../knowledge/commands';
import { Entry, RuleDocument } from '../syntax/document';
import { Rule } from '../syntax/ruleTypes';
import { Word } from '../syntax/lexer';
import { BUILTIN_ANY, LineRecord, PendingFinding } from './records';

// ---------------------------------------------------------------------------------------
// shell scripts: which chains exist when each command runs

/**
 * How deep each place of a script is in functions, branches, loops and brace groups, read
 * from keywords (`if`/`fi`, `case`/`esac`, `for`/`while`/`until`/`select`/`done`, `{`/`}`)
 * outside quotes, comments and here-documents. An approximation that errs towards "nested",
 * where the checks below say nothing.
 */
export function shellDepth(lines: string[]): (line: number, col: number) => number {
  const start = new Int32Array(lines.length + 1);
  const events = new Map<number, number[]>();
  let depth = 0;
  for (let ln = 0; ln < lines.length; ln++) {
    start[ln] = depth;
    const text = lines[ln];
    if (text.indexOf('#') < 0 && !/\b(?:if|fi|case|esac|for|while|until|select|done)\b|[{}]|<</.test(text)) continue;
    // quotes and comments blanked (same length: columns hold)
    const clean = text
      .replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, (q) => ' '.repeat(q.length))
      .replace(/(^|\s)#.*$/, (c, p: string) => p + ' '.repeat(c.length - p.length));
    const ev: number[] = [];
    const re = /[^\s;&|()<>]+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(clean))) {
      const w = m[0];
      const d =
        w === 'if' || w === 'case' || w === 'for' || w === 'while' || w === 'until' || w === 'select' || w === '{'
          ? 1
          : w === 'fi' || w === 'esac' || w === 'done' || w === '}'
            ? -1
            : 0;
      if (!d) continue;
      depth = Math.max(0, depth + d);
      ev.push(m.index, d);
    }
    if (ev.length) events.set(ln, ev);
    // a here-document's body is data
    const hd = /<<-?\s*(['"]?)(\w+)\1/.exec(clean);
    if (hd) {
      let k = ln + 1;
      while (k < lines.length && lines[k].trim() !== hd[2]) start[k++] = depth;
      if (k < lines.length) start[k] = depth;
      ln = k;
    }
  }
  start[lines.length] = depth;
  return (line, col) => {
    let d = start[line] ?? 0;
    const ev = events.get(line);
    if (ev) for (let i = 0; i < ev.length && ev[i] < col; i += 2) d = Math.max(0, d + ev[i + 1]);
    return d;
  };
}

export interface ShellTable {
  table: string;
  family: 4 | 6;
  /** first creation (-N, or -E's new name) of each chain, anywhere in the script */
  made: Map<string, number>;
  /** chains made by -N: their item */
  declared: Map<string, number>;
  /** chains renamed away or deleted somewhere: not reported unused */
  away: Set<string>;
  jumped: Set<string>;
  /** a -N/-E whose name is a shell expansion: any chain may exist */
  unknownMake: boolean;
  /** a -j/-g whose target is a shell expansion: any chain may be jumped to */
  unknownJump: boolean;
}

/** A script's state at one command, top to bottom, per table. */
export interface ShellNow {
  made: Set<string>;
  gone: Map<string, { idx: number; how: string }>;
  /** chains certain to exist now */
  sure: Set<string>;
  /** per chain, rules certainly in it now (top-level -A/-I since its last flush), with the line of the last */
  rules: Map<string, { n: number; line: number }>;
  /** per chain jumped to: the chains holding those jumps, with the line of one */
  refs: Map<string, Map<string, number>>;
}

/**
 * The rules a script has certainly added by now (a lower bound: only top-level -A/-I count;
 * anything that may remove rules where the order or the name is unknown forgets them all),
 * and -X of a chain that still holds rules or is jumped to: the kernel refuses it
 * (CHAIN_DEL failed (Device or resource busy)); a bare -X when any chain is so.
 */
export function liveRules(
  sn: ShellNow,
  e: Extract<Entry, { k: 'rule' }>,
  c: NonNullable<Rule['command']>,
  top: boolean,
  idx: number,
  w: Word | undefined,
  renameFails: boolean,
  ipt: string,
  table: string,
  it: LineRecord,
  out: PendingFinding[],
): boolean {
  const kind = c.spec.kind;
  const chain = c.chain && !c.chain.unknown ? c.chain.text : undefined;
  const forget = () => {
    sn.rules.clear();
    sn.refs.clear();
  };
  const drop = (ch: string) => {
    sn.rules.delete(ch);
    for (const m of sn.refs.values()) m.delete(ch);
  };
  const removes = kind === 'flush' || kind === 'delete' || kind === 'replace' || kind === 'delete-chain' || kind === 'rename';
  if (removes && (!top || c.chain?.unknown || w?.unknown)) {
    forget();
    return false;
  }
  if (!top) return false;
  const busy = (ch: string): string | undefined => {
    const r = sn.rules.get(ch);
    if (r && r.n > 0) return `${ch} still holds ${r.n === 1 ? 'a rule' : `${r.n} rules`} (line ${r.line + 1}); flush it first (-F ${ch})`;
    for (const [from, line] of sn.refs.get(ch) ?? []) return `${from} still jumps to ${ch} (line ${line + 1})`;
    return undefined;
  };
  switch (kind) {
    case 'append':
    case 'insert': {
      // counted only when it certainly loads: its chain and the chains it jumps to exist
      if (!chain || !(BUILTIN_ANY.has(chain) || sn.sure.has(chain))) return false;
      if ((it.jumps ?? []).some((j) => !sn.sure.has(j.name))) return false;
      const r = sn.rules.get(chain) ?? { n: 0, line: e.line };
      sn.rules.set(chain, { n: r.n + 1, line: e.line });
      for (const j of it.jumps ?? []) {
        let m = sn.refs.get(j.name);
        if (!m) sn.refs.set(j.name, (m = new Map()));
        m.set(chain, e.line);
      }
      return false;
    }
    case 'flush':
      if (chain) drop(chain);
      else forget();
      return false;
    case 'delete':
    case 'replace':
      if (chain) drop(chain);
      return false;
    case 'delete-chain': {
      if (chain) {
        const why = busy(chain);
        if (why) {
          out.push({
            idx,
            src: 'chain',
            k: 0,
            code: 'chain-busy',
            severity: 'warning',
            message: `CHAIN_DEL failed (Device or resource busy): chain ${chain}: ${why}`,
          });
          return true;
        }
        drop(chain);
        return false;
      }
      for (const ch of new Set([...sn.rules.keys(), ...sn.refs.keys()])) {
        if (BUILTIN_ANY.has(ch)) continue;
        const why = busy(ch);
        if (why) {
          out.push({
            idx,
            src: 'whole',
            k: 0,
            code: 'chain-busy',
            severity: 'warning',
            message: `CHAIN_DEL failed (Device or resource busy): chain ${ch}: ${why}; ${ipt} -X deletes no chain of table ${table} then`,
          });
          return true;
        }
      }
      forget();
      return false;
    }
    case 'rename': {
      if (!chain || !w || renameFails) return false;
      const r = sn.rules.get(chain);
      sn.rules.delete(chain);
      if (r) sn.rules.set(w.text, r);
      for (const m of sn.refs.values()) {
        const line = m.get(chain);
        if (line !== undefined) {
          m.delete(chain);
          m.set(w.text, line);
        }
      }
      const to = sn.refs.get(chain);
      sn.refs.delete(chain);
      if (to) sn.refs.set(w.text, to);
      return false;
    }
  }
  return false;
}

/**
 * A script's chains as iptables meets them, top to bottom (iptables fails on a rule for a
 * chain that does not exist: `No chain/target/match by that name.` for its own chain,
 * `Chain 'X' does not exist` for a -j/-g). Warnings, not errors: a script run before may have
 * made the chain. Conservative where the order of running is not the order of the text:
 * a chain created anywhere (in a function, a branch, a loop) counts as made; "created only
 * later" and "deleted before" are said only of commands outside any function, branch or
 * loop, and a deletion counts only there too; a name or table that is a shell expansion, or
 * an iptables-restore in the script, turns the checks it could affect off.
 */
export function shellChains(doc: RuleDocument, entries: Entry[], items: LineRecord[], unused: boolean, out: PendingFinding[]): void {
  const restore = doc.lines.some((l) => /^[^#]*\bip6?tables(?:-legacy|-nft)?-(?:restore|apply)\b/.test(l));
  const tables = new Map<string, ShellTable>();
  const unknownTable = [false, false];
  const tableOf = (fam: 4 | 6, table: string): ShellTable => {
    const key = fam + table;
    let st = tables.get(key);
    if (!st)
      tables.set(
        key,
        (st = { table, family: fam, made: new Map(), declared: new Map(), away: new Set(), jumped: new Set(), unknownMake: false, unknownJump: false }),
      );
    return st;
  };
  const rules: number[] = [];
  // lines no entry reads (a program the parser does not know, `"$IPT" -N X`) that may make a chain
  const covered = new Uint8Array(doc.lines.length);
  for (const e of entries) for (let l = e.line; l <= e.endLine && l < covered.length; l++) covered[l] = 1;
  const hidden = doc.lines.some((l, i) => !covered[i] && /(?:^|\s)(?:-N|--new)/.test(l) && !/^\s*#/.test(l));
  if (hidden) unknownTable[0] = unknownTable[1] = true;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.k !== 'rule') continue;
    // a command the parser does not read (`--new X`, `-NX`): it may make any chain
    if (!e.rule.command) {
      unknownTable[e.family === 6 ? 1 : 0] = true;
      continue;
    }
    rules.push(i);
    const c = e.rule.command;
    const kind = c.spec.kind;
    const tw = e.rule.table;
    if (tw?.unknown) {
      if (kind === 'new' || kind === 'rename') unknownTable[e.family === 6 ? 1 : 0] = true;
      continue;
    }
    const st = tableOf(e.family, tw?.text ?? 'filter');
    if (kind === 'new' || kind === 'rename') {
      const w = kind === 'new' ? c.chain : c.extra[0];
      if (!w || w.unknown) st.unknownMake = true;
      else {
        if (!st.made.has(w.text)) st.made.set(w.text, i);
        if (kind === 'new' && !st.declared.has(w.text)) st.declared.set(w.text, i);
      }
    }
    if ((kind === 'rename' || kind === 'delete-chain') && c.chain && !c.chain.unknown) st.away.add(c.chain.text);
    if (kind === 'append' || kind === 'insert' || kind === 'replace') {
      for (const x of e.rule.exts) if (x.kind === 'target' && x.name.unknown) st.unknownJump = true;
      for (const j of items[i].jumps ?? []) st.jumped.add(j.name);
    }
  }
  const depth = shellDepth(doc.lines);
  /** Runs where it stands, once, in text order: not in a function, branch, loop, or after `&&`/`||`. */
  const topLevel = (e: Extract<Entry, { k: 'rule' }>): boolean => {
    const prog = e.program;
    const at = prog ? (doc.lines[e.line + prog.l]?.slice(0, prog.s) ?? '') : '';
    return !!prog && depth(e.line + prog.l, prog.s) === 0 && !/&&|\|\|/.test(at);
  };
  // a table whose rules or chains something not at top level removes (a function called
  // anywhere): nothing about it is certain at any point, so -X and -N/-E are not judged on it
  const unsure = new Set<ShellTable>();
  for (const i of rules) {
    const e = entries[i] as Extract<Entry, { k: 'rule' }>;
    const k = e.rule.command!.spec.kind;
    if (e.rule.table?.unknown || topLevel(e)) continue;
    if (k === 'flush' || k === 'delete' || k === 'replace' || k === 'delete-chain' || k === 'rename')
      unsure.add(tableOf(e.family, e.rule.table?.text ?? 'filter'));
  }
  // per table, top to bottom: chains made so far, removed so far, and certain to exist now
  const now = new Map<ShellTable, ShellNow>();
  for (const i of rules) {
    const e = entries[i] as Extract<Entry, { k: 'rule' }>;
    const c = e.rule.command!;
    const kind = c.spec.kind;
    if (e.rule.table?.unknown) continue;
    const st = tableOf(e.family, e.rule.table?.text ?? 'filter');
    let sn = now.get(st);
    if (!sn) now.set(st, (sn = { made: new Set(), gone: new Map(), sure: new Set(), rules: new Map(), refs: new Map() }));
    const top = topLevel(e);
    const ipt = e.family === 6 ? 'ip6tables' : 'iptables';
    const t = st.table === 'filter' ? '' : `-t ${st.table} `;
    const unknown = st.unknownMake || unknownTable[e.family === 6 ? 1 : 0];
    const sn2 = sn;
    const check = (name: string, src: 'chain' | 'jump', k: number) => {
      if (BUILTIN_ANY.has(name)) return;
      const said = src === 'chain' ? `${ipt}: No chain/target/match by that name.` : `Chain '${name}' does not exist`;
      const made = st.made.get(name);
      let why: string | undefined;
      if (made === undefined) {
        if (!restore && !unknown)
          why = `${said} (the script does not create ${name} in table ${st.table}: \`${ipt} ${t}-N ${name}\`; a warning, as a script run before may have)`;
      } else if (top && !unknown && !sn2.made.has(name))
        why = `${said} (the script creates ${name} only later, at line ${entries[made].line + 1}: ${ipt} fails here when the script runs)`;
      else if (top && sn2.gone.has(name)) why = `${said} (${name} was ${sn2.gone.get(name)!.how}: ${ipt} fails here when the script runs)`;
      if (why) out.push({ idx: i, src, k, code: 'undeclared-chain', severity: 'warning', message: why });
    };
    // -F/-X/-E/-Z of a chain, and -D by number, need the chain to exist first
    const known = st.table in TABLES;
    const needsChain = kind === 'flush' || kind === 'delete-chain' || kind === 'rename' || kind === 'zero' || (kind === 'delete' && c.extra.length > 0);
    if (known && needsChain && c.chain && !c.chain.unknown) check(c.chain.text, 'chain', 0);
    const w = kind === 'new' ? c.chain : kind === 'rename' ? c.extra[0] : undefined;
    // -N of a chain certain to exist by then: Chain already exists. -E onto one: File exists.
    if (known && kind === 'new' && w && !w.unknown && top && sn.sure.has(w.text)) {
      out.push({
        idx: i,
        src: 'chain',
        k: 0,
        code: 'chain-redeclared',
        severity: 'warning',
        message: `${ipt}: Chain already exists. (${w.text} is created a second time in table ${st.table})`,
      });
    }
    const renameFails = known && kind === 'rename' && !!w && !w.unknown && top && sn.sure.has(w.text) && !BUILTIN_ANY.has(w.text);
    // -X of a chain that holds rules or is jumped to fails (and deletes nothing)
    const deleteFails = known && !unsure.has(st) && liveRules(sn, e, c, top, i, w, renameFails, ipt, st.table, items[i], out);
    // what certainly exists after this command (top-level commands only; else nothing is sure)
    if (deleteFails) {
      // nothing changes
    } else if (!top || unsure.has(st)) sn.sure.clear();
    else if (kind === 'new' && w && !w.unknown) sn.sure.add(w.text);
    else if (kind === 'rename' && !renameFails && c.chain && !c.chain.unknown) {
      const had = sn.sure.delete(c.chain.text);
      if (had && w && !w.unknown) sn.sure.add(w.text);
    } else if (kind === 'delete-chain') {
      if (!c.chain) sn.sure.clear();
      else if (!c.chain.unknown) sn.sure.delete(c.chain.text);
    }
    if (c.chain?.unknown || w?.unknown) sn.sure.clear();
    if (renameFails) {
      out.push({
        idx: i,
        src: 'chain',
        k: 0,
        code: 'chain-redeclared',
        severity: 'warning',
        message: `${ipt}: File exists. (${w!.text} already exists in table ${st.table} when this renames ${c.chain?.text ?? ''} to it)`,
      });
    } else if (w && !w.unknown) {
      sn.made.add(w.text);
      sn.gone.delete(w.text);
    }
    if (top && !renameFails && !deleteFails && (kind === 'rename' || kind === 'delete-chain')) {
      if (c.chain && !c.chain.unknown)
        sn.gone.set(c.chain.text, { idx: i, how: kind === 'rename' ? `renamed (-E) at line ${e.line + 1}` : `deleted (-X) at line ${e.line + 1}` });
      else if (!c.chain && kind === 'delete-chain')
        for (const n of sn.made) sn.gone.set(n, { idx: i, how: `deleted at line ${e.line + 1} (-X without a chain deletes every user chain)` });
    }
    if (kind !== 'append' && kind !== 'insert' && kind !== 'replace') continue;
    if (!known) continue;
    const it = items[i];
    if (c.chain && !c.chain.unknown && it.chain === c.chain.text) check(c.chain.text, 'chain', 0);
    (it.jumps ?? []).forEach((j, k) => check(j.name, 'jump', k));
  }
  if (!unused || restore) return;
  for (const st of tables.values()) {
    if (st.unknownJump || !(st.table in TABLES)) continue;
    for (const [name, idx] of st.declared) {
      if (st.jumped.has(name) || st.away.has(name) || BUILTIN_ANY.has(name)) continue;
      out.push({
        idx,
        src: 'chain',
        k: 0,
        code: 'unused-chain',
        severity: 'hint',
        message: `Chain ${name} is never jumped to (-j/-g) in table ${st.table}: no packet goes through it`,
      });
    }
  }
}
