/**
 * One pass over a parsed document: which table each rule is in, the sample in force on
 * each line, and the diagnostics of what stops iptables reading a line. Computed once per
 * document revision and shared by every feature.
 */
import { FULL } from './numbers';
import { TABLES } from './knowledge';
import { Entry, RuleDocument, RuleEntry } from './document';
import { MarkState } from './marks';
import { Word } from './words';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/**
 * A finding with a stable code (also the key of its severity setting).
 * Codes: unterminated-quote, rule-outside-table, missing-commit, table-name,
 * commit-without-table, bad-argument, unknown-option, missing-argument, old-negation,
 * bad-negation, multiple-commands, mark-invalid, restore-table-option, no-command,
 * sample-invalid, policy-invalid.
 */
export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  line: number;
  s: number;
  endLine: number;
  e: number;
}

export interface Settings {
  sample: MarkState;
}

export const DEFAULT_SETTINGS: Settings = { sample: { nfmark: 0, ctmark: 0 } };

export interface Analysis {
  findings: Finding[];
  /** Table of each rule entry (by entry identity). */
  tableOf: Map<Entry, string>;
  /** Sample comments in line order, with the state each establishes. */
  samples: { line: number; state: MarkState }[];
}

export function wordFinding(entryLine: number, w: Word, code: string, message: string, severity: Severity = 'error'): Finding {
  return { code, severity, message, line: entryLine + w.l, s: w.s, endLine: entryLine + w.el, e: w.e };
}

export function analyze(doc: RuleDocument, settings: Settings = DEFAULT_SETTINGS): Analysis {
  const findings: Finding[] = [];
  const tableOf = new Map<Entry, string>();
  const samples: Analysis['samples'] = [];
  let state: MarkState = { ...settings.sample };
  let open: { name: string; entry: Entry } | null = null;
  const save = doc.format === 'save';

  for (const e of doc.entries) {
    for (const p of e.problems ?? []) {
      findings.push({
        code: 'unterminated-quote',
        severity: p.severity,
        message: p.message,
        line: e.line + p.l,
        s: p.s,
        endLine: e.line + p.el,
        e: p.e,
      });
    }
    switch (e.k) {
      case 'sample': {
        state = { nfmark: e.sample.nfmark ?? state.nfmark, ctmark: e.sample.ctmark ?? state.ctmark };
        samples.push({ line: e.line, state });
        for (const p of e.sample.problems) findings.push(wordFinding(e.line, p.word, 'sample-invalid', p.message, 'warning'));
        break;
      }
      case 'table': {
        if (open) {
          findings.push(wordFinding(e.line, { ...e.name, s: e.name.s - 1 }, 'missing-commit', `COMMIT expected before a new table: table ${open.name} is not committed (iptables-restore: Bad argument \`*${e.name.text}')`));
        }
        if (!(e.name.text in TABLES)) {
          findings.push(wordFinding(e.line, e.name, 'table-name', `table name '${e.name.text}' invalid`));
        }
        for (const w of e.extra) findings.push(wordFinding(e.line, w, 'bad-argument', `Bad argument \`${w.text}'`));
        open = { name: e.name.text, entry: e };
        break;
      }
      case 'chain': {
        if (!open) findings.push(wordFinding(e.line, e.name, 'rule-outside-table', 'Chain declaration outside a table: a *table line must come first'));
        if (!e.policy) findings.push(wordFinding(e.line, e.name, 'policy-invalid', `Chain ${e.name.text} needs a policy (ACCEPT, DROP or - for a user chain)`));
        else if (!/^(ACCEPT|DROP|-)$/.test(e.policy.text)) {
          findings.push(wordFinding(e.line, e.policy, 'policy-invalid', `Bad built-in chain policy \`${e.policy.text}'`));
        }
        if (e.counters && !/^\[\d+:\d+\]$/.test(e.counters.text)) {
          findings.push(wordFinding(e.line, e.counters, 'bad-argument', `Bad counters \`${e.counters.text}': expected [packets:bytes]`));
        }
        break;
      }
      case 'commit': {
        if (!open) findings.push(wordFinding(e.line, e.word, 'commit-without-table', 'COMMIT without a table: iptables-restore fails on this line'));
        open = null;
        break;
      }
      case 'rule': {
        ruleFindings(e, findings, save);
        if (save) {
          if (!open) findings.push(wordFinding(e.line, e.words[0] ?? { text: '', l: 0, s: 0, el: 0, e: 1 }, 'rule-outside-table', 'Rule outside a table: a *table line must come first'));
          else tableOf.set(e, open.name);
        } else {
          tableOf.set(e, e.rule.table?.text ?? 'filter');
        }
        break;
      }
      case 'junk':
        break;
    }
  }
  if (open && save) {
    const h = open.entry as Extract<Entry, { k: 'table' }>;
    findings.push(wordFinding(h.line, { ...h.name, s: h.name.s - 1 }, 'missing-commit', `COMMIT expected: table ${open.name} is never committed, so iptables-restore fails at the end of the file`));
  }
  return { findings, tableOf, samples };
}

function ruleFindings(e: RuleEntry, out: Finding[], save: boolean): void {
  const r = e.rule;
  for (const p of r.problems) out.push(wordFinding(e.line, p.word, p.code, p.message, p.severity));
  if (save && r.table) {
    out.push(wordFinding(e.line, r.table, 'restore-table-option', 'The -t option cannot be used in iptables-restore: the table comes from the *table line'));
  }
  if (!r.command && e.words.length && !r.problems.length && !e.words.some((w) => w.unknown)) {
    out.push(wordFinding(e.line, e.words[0], 'no-command', 'No command specified (-A, -I, -N, ...)'));
  }
  for (const m of r.marks) {
    if (m.result !== 'unknown' && 'message' in m.result) {
      const w = m.result.word ?? r.exts[m.extIndex].name;
      out.push(wordFinding(e.line, w, 'mark-invalid', m.result.message));
    }
  }
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

export const FULL_MASK = FULL;
