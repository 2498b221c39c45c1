/** Findings (diagnostics before LSP) and those an entry carries on its own, computed when it is parsed. */
import type { Entry, RuleEntry } from './document';
import { Word } from './words';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/**
 * A finding with a stable code (also the key of its severity setting).
 * Codes: unterminated-quote, rule-outside-table, missing-commit, table-name,
 * commit-without-table, bad-argument, unknown-option, missing-argument, old-negation,
 * bad-negation, multiple-commands, mark-invalid, restore-table-option, no-command,
 * sample-invalid, policy-invalid,
 * bad-value (an argument iptables refuses: port, range, type name, MAC address...),
 * option-twice (an option or core flag given twice), option-conflict (options that exclude
 * each other), missing-option (an extension without the option it requires),
 * protocol-required (`-m tcp` without `-p tcp`, ports without a port protocol, TPROXY
 * without tcp/udp...), interface-direction (`-i` in OUTPUT/POSTROUTING, `-o` in
 * INPUT/PREROUTING), target-hook (a target or match the kernel refuses in that table or
 * built-in chain), builtin-chain-table (a built-in chain name the table does not have:
 * iptables-nft makes it a user chain), chain-redeclared, user-chain-policy,
 * undeclared-chain (warning: with --noflush the chain may exist), unreachable-rule,
 * mark-noop.
 */
export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  line: number;
  s: number;
  endLine: number;
  e: number;
  /** For a table/hook restriction: judged by the analysis once the table is known. */
  needs?: { chain?: string; ext: string; tables?: string[]; hooks?: string[] };
}

export function wordFinding(entryLine: number, w: Word, code: string, message: string, severity: Severity = 'error'): Finding {
  return { code, severity, message, line: entryLine + w.l, s: w.s, endLine: entryLine + w.el, e: w.e };
}

/**
 * What an entry says about itself, independent of the lines around it; line numbers are
 * relative to the entry, so they survive edits above it.
 */
export function entryFindings(e: Entry, restore: boolean): Finding[] | undefined {
  const out: Finding[] = [];
  for (const p of e.problems ?? []) {
    out.push({ code: 'unterminated-quote', severity: p.severity, message: p.message, line: p.l, s: p.s, endLine: p.el, e: p.e });
  }
  switch (e.k) {
    case 'sample':
      for (const p of e.sample.problems) out.push(wordFinding(0, p.word, 'sample-invalid', p.message, 'warning'));
      break;
    case 'chain':
      if (!e.policy) out.push(wordFinding(0, e.name, 'policy-invalid', `Chain ${e.name.text} needs a policy (ACCEPT, DROP or - for a user chain)`));
      else if (!/^(ACCEPT|DROP|-)$/.test(e.policy.text)) out.push(wordFinding(0, e.policy, 'policy-invalid', `Bad built-in chain policy \`${e.policy.text}'`));
      if (e.counters && !/^\[\d+:\d+\]$/.test(e.counters.text)) {
        out.push(wordFinding(0, e.counters, 'bad-argument', `Bad counters \`${e.counters.text}': expected [packets:bytes]`));
      }
      break;
    case 'table':
    case 'commit':
      for (const w of e.extra) out.push(wordFinding(0, w, 'bad-argument', `Bad argument \`${w.text}'`));
      break;
    case 'rule':
      ruleFindings(e, out, restore);
      break;
  }
  return out.length ? out : undefined;
}

function ruleFindings(e: RuleEntry, out: Finding[], restore: boolean): void {
  const r = e.rule;
  for (const p of r.problems) out.push(wordFinding(0, p.word, p.code, p.message, p.severity));
  if (restore && r.table) {
    out.push(wordFinding(0, r.table, 'restore-table-option', 'The -t option cannot be used in iptables-restore: the table comes from the *table line'));
  }
  if (!r.command && e.words.length && !r.problems.length && !e.words.some((w) => w.unknown)) {
    out.push(wordFinding(0, e.words[0], 'no-command', 'No command specified (-A, -I, -N, ...)'));
  }
  if (r.needs) {
    const chain = r.command?.chain && !r.command.chain.unknown ? r.command.chain.text : undefined;
    for (const n of r.needs) {
      out.push({ ...wordFinding(0, n.word, 'target-hook', ''), needs: { chain, ext: n.ext, tables: n.tables, hooks: n.hooks } });
    }
  }
  for (const m of r.marks) {
    if (m.result !== 'unknown' && 'message' in m.result) {
      out.push(wordFinding(0, m.result.word ?? r.exts[m.extIndex].name, 'mark-invalid', m.result.message));
    }
  }
}
