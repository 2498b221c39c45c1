/** A finding: a diagnostic before LSP, with a stable code (the key of its severity setting). */
export type Severity = 'error' | 'warning' | 'information' | 'hint';

/**
 * A finding with a stable code (also the key of its severity setting).
 * Codes: unterminated-quote, rule-outside-table, missing-commit, table-name,
 * commit-without-table, bad-argument, unknown-option, missing-argument, old-negation,
 * bad-negation, multiple-commands, mark-invalid, restore-table-option, no-command,
 * sample-invalid, policy-invalid, negated-any-address (`! -s x/0`: iptables-nft refuses it),
 * range-reversed (an iprange that never matches), attached-argument (`-ptcp`),
 * bad-value (an argument iptables refuses: port, range, type name, MAC address...),
 * option-twice (an option or core flag given twice), option-conflict (options that exclude
 * each other), missing-option (an extension without the option it requires),
 * protocol-required (`-m tcp` without `-p tcp`, ports without a port protocol, TPROXY
 * without tcp/udp...), interface-direction (`-i` in OUTPUT/POSTROUTING, `-o` in
 * INPUT/PREROUTING), target-hook (a target or match the kernel refuses in that table or
 * built-in chain), builtin-chain-table (a built-in chain name the table does not have:
 * iptables-nft makes it a user chain), chain-redeclared, user-chain-policy,
 * undeclared-chain (warning: with --noflush the chain may exist), unreachable-rule,
 * unused-chain, chain-busy (a script's -X of a chain still in use), jump-loop, builtin-jump (a -j/-g to a built-in chain), address-family,
 * mark-overwritten (these across lines: flow.ts),
 * mark-noop (a mark write that leaves every mark as it is), mark-unsatisfiable (a mark test
 * whose value has bits outside its mask: it never matches).
 */
export interface Finding<Code extends string = string> {
  code: Code;
  severity: Severity;
  message: string;
  line: number;
  s: number;
  endLine: number;
  e: number;
  /** For a table/hook restriction: judged by the analysis once the table is known. */
  needs?: { chain?: string; ext: string; tables?: string[]; hooks?: string[] };
}
