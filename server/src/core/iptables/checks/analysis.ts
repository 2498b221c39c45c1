/**
 * One pass over a parsed document: which table each rule is in, the sample in force on
 * each line, and the diagnostics of what stops iptables reading a line. Computed once per
 * document revision and shared by every feature.
 */
import { BUILTIN_TARGETS, TABLES } from '../knowledge/commands';
import { extensionSpec } from '../knowledge/extensions';
import { interpretRule } from '../syntax/rule';
import { Entry, RuleDocument, parseSaveLine } from '../syntax/document';
import { readerFinding, restorePieces } from '../syntax/restoreReader';
import { MarkState } from '../../marks/marks';
import { Finding, wordFinding, entryFindings } from '../syntax/lineFindings';
import { FlowOptions, flowFindings } from './fileChecks';

export type { Finding, Severity } from '../syntax/lineFindings';
export { wordFinding } from '../syntax/lineFindings';

export interface Settings {
  sample: MarkState;
  /** Judge save files as `iptables-restore --noflush` would (chains may already exist). */
  noflush?: boolean;
}

export const DEFAULT_SETTINGS: Settings = { sample: { nfmark: 0, ctmark: 0 } };

export interface Analysis {
  findings: Finding[];
  /** Sample comments in line order, with the state each establishes. */
  samples: { line: number; state: MarkState }[];
}

/** The file-level pass's options: unused-chain is opt-in (its severity setting, any but off, turns it on). */
export function flowOptions(settings: Settings, family?: 4 | 6): FlowOptions {
  const unusedSetting = (settings as Settings & { diagnostics?: Record<string, string> }).diagnostics?.['unused-chain'];
  return {
    unusedChain: unusedSetting === 'hint' || unusedSetting === 'information' || unusedSetting === 'warning' || unusedSetting === 'error',
    family,
    noflush: !!settings.noflush,
  };
}

/**
 * `flow: false` leaves out the file-level pass (flow.ts): the language server runs it apart,
 * off the keystroke path when it has to redo the chain graph.
 */
export function analyze(doc: RuleDocument, settings: Settings = DEFAULT_SETTINGS, opts: { flow?: boolean } = {}): Analysis {
  const findings: Finding[] = [];
  const samples: Analysis['samples'] = [];
  let state: MarkState = { ...settings.sample };
  let open: { name: string; entry: Entry } | null = null;
  const save = doc.format === 'save';
  // lines iptables-restore reads otherwise than shown (a `\r` end, beyond its line buffer)
  const reader = save ? doc.readerLines() : [];
  let ri = 0;
  let extraPieces = 0;
  const readUpTo = (line: number) => {
    for (; ri < reader.length && reader[ri] <= line; ri++) {
      const l = reader[ri];
      const cr = doc.crLines.has(l);
      const f = readerFinding(
        doc.lines[l],
        cr,
        l,
        !!open,
        l + 1 + extraPieces,
        (t) => parseSaveLine(t, l),
        (x) => entryFindings(x, true),
      );
      if (f) findings.push(f);
      extraPieces += restorePieces(doc.lines[l], cr).length - 1;
    }
  };

  // user chains named like targets (`:LOG - [0:0]`): a -j to one jumps to the chain
  const shadow = save ? shadowedTargets(doc.entries) : undefined;
  let blockShadow: ReadonlySet<string> | undefined;
  /** such chains declared on the lines read so far, in any table: iptables-nft's test for `-j NAME` */
  const seenShadow = new Set<string>();

  for (const e of doc.entries) {
    if (ri < reader.length) readUpTo(e.line);
    if (shadow && e.k === 'table') blockShadow = shadow.get(e.line);
    if (shadow && e.k === 'chain' && isTargetName(e.name.text)) seenShadow.add(e.name.text);
    switch (e.k) {
      case 'sample': {
        state = { nfmark: e.sample.nfmark ?? state.nfmark, ctmark: e.sample.ctmark ?? state.ctmark };
        samples.push({ line: e.line, state });
        break;
      }
      case 'table': {
        if (open) {
          findings.push(
            wordFinding(
              e.line,
              { ...e.name, s: e.name.s - 1 },
              'missing-commit',
              `COMMIT expected before a new table: table ${open.name} is not committed (iptables-restore: Bad argument \`*${e.name.text}')`,
            ),
          );
        }
        if (!(e.name.text in TABLES)) {
          findings.push(wordFinding(e.line, e.name, 'table-name', `table name '${e.name.text}' invalid`));
        }
        open = { name: e.name.text, entry: e };
        break;
      }
      case 'chain': {
        if (!open) findings.push(wordFinding(e.line, e.name, 'rule-outside-table', 'Chain declaration outside a table: a *table line must come first'));
        break;
      }
      case 'commit': {
        if (!open) findings.push(wordFinding(e.line, e.word, 'commit-without-table', 'COMMIT without a table: iptables-restore fails on this line'));
        open = null;
        break;
      }
      case 'rule':
        placeRule(e, open?.name, save, findings);
        if (seenShadow.size && open && jumpsToShadow(doc.lines[e.line], seenShadow)) {
          // judged again as a jump to the chain: the target's own checks do not apply
          const again: Entry = {
            k: 'rule',
            line: e.line,
            endLine: e.endLine,
            words: e.words,
            rule: interpretRule(e.words, seenShadow),
            family: e.family,
            prefixCounters: e.prefixCounters,
            table: e.table,
          };
          if (again.k !== 'rule') break;
          if (e.problems) again.problems = e.problems;
          const f = entryFindings(again, true);
          if (f) ownFindings({ ...again, findings: f }, findings);
          // the chain must exist in this table: one of another table's name does not do
          for (const x of again.rule.exts) {
            if (!x.chain || blockShadow?.has(x.name.text)) continue;
            findings.push(
              wordFinding(
                e.line,
                x.name,
                'undeclared-chain',
                `Chain '${x.name.text}' does not exist: iptables takes -j ${x.name.text} for a jump to a chain, as a chain of that name is declared above (in another table), but table ${open.name} has none`,
                settings.noflush ? 'warning' : 'error',
              ),
            );
          }
          continue;
        }
        break;
      case 'junk':
        break;
    }
    if (e.findings) ownFindings(e, findings);
  }
  readUpTo(Infinity);
  if (open && save) {
    // iptables-restore names the line after the last one it read
    const h = open.entry as Extract<Entry, { k: 'table' }>;
    const last = doc.lines.length - 1;
    const at = doc.lines[last] === '' ? last : last;
    findings.push({
      code: 'missing-commit',
      severity: 'error',
      message: `COMMIT expected at line ${at + 2 + extraPieces - (doc.lines[last] === '' ? 1 : 0)}: table ${open.name} (line ${h.line + 1}) is never committed`,
      line: at,
      s: 0,
      endLine: at,
      e: doc.lines[at].length,
    });
  }
  // across lines: the chain graph, loops, reachability, rule order, address families
  if (opts.flow !== false) for (const f of flowFindings(doc, flowOptions(settings))) findings.push(f);
  return { findings, samples };
}

/**
 * Per table header line, the user chains its block declares whose names are also targets'
 * (`:LOG - [0:0]`, `:CLASSIFY - [0:0]`). iptables-nft 1.8.9 takes `-j LOG` for a jump to a
 * chain when a chain of that name was declared on an earlier line, in any table (checked in
 * a namespace: the packet enters the chain); the chain must then exist in the rule's own
 * table. Undefined when there is none.
 */
export function shadowedTargets(entries: readonly Entry[]): Map<number, Set<string>> | undefined {
  let out: Map<number, Set<string>> | undefined;
  let header = -1;
  for (const e of entries) {
    if (e.k === 'table') header = e.line;
    else if (e.k === 'commit') header = -1;
    else if (e.k === 'chain' && header >= 0 && isTargetName(e.name.text)) {
      out ??= new Map();
      let set = out.get(header);
      if (!set) out.set(header, (set = new Set()));
      set.add(e.name.text);
    }
  }
  return out;
}

const isTargetName = (n: string): boolean => BUILTIN_TARGETS.has(n) || !!extensionSpec('target', n);

function jumpsToShadow(text: string, names: ReadonlySet<string>): boolean {
  for (const n of names) if (text.includes(n)) return true;
  return false;
}

/** A rule's table (the open `*table` of a save file, its `-t` in a script), or the finding that it has none. */
function placeRule(e: Extract<Entry, { k: 'rule' }>, table: string | undefined, save: boolean, findings: Finding[]): void {
  if (save) {
    e.table = table;
    if (table === undefined)
      findings.push(
        wordFinding(e.line, e.words[0] ?? { text: '', l: 0, s: 0, el: 0, e: 1 }, 'rule-outside-table', 'Rule outside a table: a *table line must come first'),
      );
  } else {
    e.table = e.rule.table?.text ?? 'filter';
  }
}

/** What an entry says about itself, at its lines; table and hook limits judged in its table. */
function ownFindings(e: Entry, findings: Finding[]): void {
  for (const f of e.findings!) {
    if (f.needs) {
      const msg = hookProblem(f.needs, e.table);
      if (msg) findings.push({ code: f.code, severity: f.severity, message: msg, line: f.line + e.line, s: f.s, endLine: f.endLine + e.line, e: f.e });
      continue;
    }
    findings.push({ ...f, line: f.line + e.line, endLine: f.endLine + e.line });
  }
}

/**
 * The analysis after an edit that stayed inside lines of a save file or listing and swapped
 * rule or junk entries for entries of the same kind (`RuleDocument.lastSwap`): the previous
 * analysis with those lines' findings made again. Null where the edit may change more (a
 * line that becomes a table, a chain, a sample...): then analyze the whole document.
 */
export function reanalyzeSwapped(doc: RuleDocument, prev: Analysis, old: readonly Entry[], now: readonly Entry[]): Analysis | null {
  if (doc.format === 'shell') return null;
  const save = doc.format === 'save';
  // a line iptables-restore reads otherwise than shown: its reading is judged with the table state
  if (save && (doc.crLines.size || old.some((o) => doc.lines[o.line] !== undefined && doc.lines[o.line].length > 3000))) return null;
  const lines = new Set<number>();
  for (let i = 0; i < old.length; i++) {
    const o = old[i];
    const n = now[i];
    if (o.k !== n.k || (n.k !== 'rule' && n.k !== 'junk' && n.k !== 'listing-rule') || o.line !== n.line || o.endLine !== n.endLine) return null;
    // a rule outside every table has no table to take
    if (n.k === 'rule' && save && o.table === undefined) return null;
    lines.add(n.line);
  }
  const findings: Finding[] = [];
  let placed = false;
  const addNew = () => {
    for (let i = 0; i < now.length; i++) {
      const n = now[i];
      if (n.k === 'rule') placeRule(n, (old[i] as Entry).table, save, findings);
      if (n.findings) ownFindings(n, findings);
    }
    placed = true;
  };
  const first = Math.min(...lines);
  for (const f of prev.findings) {
    if (lines.has(f.line)) continue;
    if (!placed && f.line > first) addNew();
    findings.push(f);
  }
  if (!placed) addNew();
  return { findings, samples: prev.samples };
}

/**
 * The kernel's refusal of an extension outside its tables or hooks, for a rule appended to
 * a built-in chain; null where it is allowed or cannot be known here (a user chain is
 * judged by the hooks that reach it, which this does not follow).
 */
export function hookProblem(n: NonNullable<Finding['needs']>, table: string | undefined): string | null {
  if (!table || !(table in TABLES)) return null;
  if (n.tables && !n.tables.includes(table)) {
    if (n.ext === 'DROP') return `The "${table}" table is not intended for filtering, the use of DROP is therefore inhibited.`;
    return `RULE_APPEND failed (Invalid argument): ${n.ext} is only valid in the ${n.tables.join(' or ')} table${n.tables.length > 1 ? 's' : ''}, not ${table}`;
  }
  if (!n.chain || !TABLES[table].includes(n.chain) || !n.hooks || n.hooks.includes(n.chain)) return null;
  return `RULE_APPEND failed (Invalid argument): ${n.ext} is only valid in ${n.hooks.join(', ')}, not in ${n.chain}`;
}

/** The sample state in force on a line: the last sample comment above it, else the settings. */
export function sampleAt(a: Analysis, line: number, settings: Settings = DEFAULT_SETTINGS): { state: MarkState; fromLine?: number } {
  let lo = 0;
  let hi = a.samples.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a.samples[mid].line < line) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0) return { state: { ...settings.sample } };
  return { state: a.samples[best].state, fromLine: a.samples[best].line };
}
