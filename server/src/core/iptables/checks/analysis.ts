/**
 * One pass over a parsed document: which table each rule is in, the sample in force on
 * each line, and the diagnostics of what stops iptables reading a line. Computed once per
 * document revision and shared by every feature.
 */
import { TABLES } from '../knowledge/commands';
import { Entry, RuleDocument } from '../syntax/document';
import { MarkState } from '../../marks/marks';
import { Finding, wordFinding } from '../syntax/lineFindings';
import { FlowOptions, flowFindings } from './fileChecks';

export type { Finding, Severity } from '../syntax/lineFindings';
export { wordFinding } from '../syntax/lineFindings';

export interface Settings {
  sample: MarkState;
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
  return { unusedChain: unusedSetting === 'hint' || unusedSetting === 'information' || unusedSetting === 'warning' || unusedSetting === 'error', family };
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

  for (const e of doc.entries) {
    switch (e.k) {
      case 'sample': {
        state = { nfmark: e.sample.nfmark ?? state.nfmark, ctmark: e.sample.ctmark ?? state.ctmark };
        samples.push({ line: e.line, state });
        break;
      }
      case 'table': {
        if (open) {
          findings.push(wordFinding(e.line, { ...e.name, s: e.name.s - 1 }, 'missing-commit', `COMMIT expected before a new table: table ${open.name} is not committed (iptables-restore: Bad argument \`*${e.name.text}')`));
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
        break;
      case 'junk':
        break;
    }
    if (e.findings) ownFindings(e, findings);
  }
  if (open && save) {
    const h = open.entry as Extract<Entry, { k: 'table' }>;
    findings.push(wordFinding(h.line, { ...h.name, s: h.name.s - 1 }, 'missing-commit', `COMMIT expected: table ${open.name} is never committed, so iptables-restore fails at the end of the file`));
  }
  // across lines: the chain graph, loops, reachability, rule order, address families
  if (opts.flow !== false) for (const f of flowFindings(doc, flowOptions(settings))) findings.push(f);
  return { findings, samples };
}

/** A rule's table (the open `*table` of a save file, its `-t` in a script), or the finding that it has none. */
function placeRule(e: Extract<Entry, { k: 'rule' }>, table: string | undefined, save: boolean, findings: Finding[]): void {
  if (save) {
    e.table = table;
    if (table === undefined) findings.push(wordFinding(e.line, e.words[0] ?? { text: '', l: 0, s: 0, el: 0, e: 1 }, 'rule-outside-table', 'Rule outside a table: a *table line must come first'));
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

