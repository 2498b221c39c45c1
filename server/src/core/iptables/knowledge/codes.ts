/**
 * Every diagnostic code of iptables files, written once: its default severity and what it
 * means. `Finding.code` is typed by it; the service's registry (core/service/codes.ts)
 * gathers the codes of every language; package.json's settings and the README's table are
 * generated from it (`npm run gen`), and a test fails when they drift.
 */
import type { Finding, Severity } from '../../common/finding';

export interface CodeInfo {
  /** The severity a finding of this code has unless a setting says otherwise ('off': not reported by default). */
  severity: Severity | 'off';
  /** What the code means, in one or two sentences (the setting's description). */
  meaning: string;
}

export const IPTABLES_CODES = {
  // ---- the lexer and one line on its own
  'lone-carriage-return': {
    severity: 'warning',
    meaning:
      'A lone carriage return (`\\r`) ends a line in the editor (and in LSP positions), but not for iptables-restore or the shell: they read it and the next line as one.',
  },
  'unterminated-quote': {
    severity: 'error',
    meaning: 'A quote is never closed: iptables-restore (and the shell) read the rest of the line, or the file, as one word.',
  },
  'rule-outside-table': { severity: 'error', meaning: 'A rule or chain declaration before any `*table` line of a save file: iptables-restore fails on it.' },
  'missing-commit': {
    severity: 'error',
    meaning: 'A table that is never committed (`COMMIT`) before the next table or the end of the file: iptables-restore fails.',
  },
  'table-name': { severity: 'error', meaning: 'A `*table` line naming no table iptables knows (filter, nat, mangle, raw, security).' },
  'commit-without-table': { severity: 'error', meaning: 'A `COMMIT` with no open table: iptables-restore fails on this line.' },
  'bad-argument': {
    severity: 'error',
    meaning: 'A word iptables does not expect where it stands (`Bad argument`), such as a stray word or malformed counters.',
  },
  'unknown-option': { severity: 'error', meaning: 'An option no loaded extension owns (`unknown option "--x"`), or an ambiguous prefix of several.' },
  'missing-argument': { severity: 'error', meaning: 'An option or command without the argument it needs (`option "--x" requires an argument`).' },
  'old-negation': { severity: 'error', meaning: "The pre-1.4.3 negation `-s ! addr`, which today's iptables refuses (`Bad argument`): write `! -s addr`." },
  'bad-negation': {
    severity: 'error',
    meaning: 'A `!` where iptables refuses it: twice in a row, before a command, or before an option that cannot be inverted.',
  },
  'multiple-commands': { severity: 'error', meaning: 'Two commands in one rule (`Cannot use more than one command at a time`).' },
  'mark-invalid': { severity: 'error', meaning: 'A MARK, CONNMARK, TPROXY, `-m mark` or `-m connmark` option iptables refuses, in its own words.' },
  'restore-table-option': { severity: 'error', meaning: '`-t` inside a save file: iptables-restore refuses it, the table comes from the `*table` line.' },
  'no-command': { severity: 'error', meaning: 'A rule line with no command (-A, -I, -N...), or a line of blanks (`no command specified`).' },
  'line-read': {
    severity: 'error',
    meaning:
      "A line iptables-restore reads otherwise than shown: one ending in a carriage return (CRLF: the `\\r` stays in the last word), or longer than its 10239-byte line buffer (the rest is read as a line of its own); in iptables' words for what it then refuses.",
  },
  'chain-name': {
    severity: 'error',
    meaning: "A chain name iptables refuses: 29 characters or more, a leading `-` or `!`, a verdict's name (ACCEPT, DROP, QUEUE, RETURN), a carriage return.",
  },
  'sample-invalid': { severity: 'warning', meaning: 'A `# sample:` comment with a key or value the sample packet cannot take.' },
  'policy-invalid': { severity: 'error', meaning: 'A chain declaration without a valid policy (ACCEPT, DROP, or `-` for a user chain).' },
  'bad-value': {
    severity: 'error',
    meaning: "An argument iptables refuses: a port, range, rate, type name, MAC address, u32 program... in iptables' own words.",
  },
  'option-twice': { severity: 'error', meaning: 'An option or core flag given twice where iptables allows it once.' },
  'option-conflict': { severity: 'error', meaning: 'Options of one extension that exclude each other.' },
  'missing-option': { severity: 'error', meaning: 'An extension without an option it requires (`-j DNAT` without `--to-destination`...).' },
  'protocol-required': {
    severity: 'error',
    meaning:
      'A match or option that needs a protocol the rule does not give (`-m tcp` without `-p tcp`, ports without a port protocol, TPROXY without tcp/udp).',
  },
  'interface-direction': { severity: 'error', meaning: '`-i` in OUTPUT/POSTROUTING or `-o` in INPUT/PREROUTING, which iptables refuses.' },
  'attached-argument': {
    severity: 'warning',
    meaning:
      'A value attached to -p/-s/-d/-i/-o/-j (`-ptcp`, `--protocol=tcp`): iptables 1.8.9 reads the whole word as the value (and mostly refuses the rule), later versions read the part after the option.',
  },
  'range-reversed': {
    severity: 'warning',
    meaning:
      'An `-m iprange` range whose start is above its end: iptables loads it (printing `xt_iprange: range ... is reversed and will never match`) and it never matches.',
  },
  'negated-any-address': {
    severity: 'error',
    meaning:
      '`! -s x/0` or `! -d x/0`: iptables-nft refuses the rule (RULE_APPEND failed (Invalid argument)); iptables-legacy loads it as a rule that never matches. Set `off` for a legacy-only rule set.',
  },
  'mark-noop': { severity: 'warning', meaning: 'A mark write that leaves every mark as it is (`--and-mark 0xffffffff`, `--or-mark 0`, `--set-xmark 0/0`...).' },
  'mark-unsatisfiable': { severity: 'warning', meaning: 'A `-m mark`/`-m connmark` test that can never match (its value has bits outside its mask).' },
  // ---- across lines: the table structure, the chain graph, rule order, families, scripts
  'target-hook': {
    severity: 'error',
    meaning:
      'A target or match used where the kernel refuses it: outside its tables or built-in chains, or in a user chain reached from such a hook (the message names the path).',
  },
  'jump-loop': {
    severity: 'error',
    meaning:
      'A -j/-g loop between chains: an error where a built-in chain reaches the loop (the kernel refuses it: Too many links), a warning where nothing does (iptables-nft accepts it).',
  },
  'jump-depth': {
    severity: 'error',
    meaning: 'Jumps nested 16 deep below a built-in chain: the kernel (nf_tables) refuses the rule that makes it (RULE_APPEND failed (Too many links)).',
  },
  'builtin-jump': {
    severity: 'error',
    meaning: 'A -j/-g to a built-in chain of the table (`-A PREROUTING -j INPUT`): the kernel refuses it (Operation not supported).',
  },
  'undeclared-chain': {
    severity: 'error',
    meaning:
      'A jump to, or a rule in, a chain the table never declares: iptables-restore fails. A warning with --noflush (`nfrules check --noflush`, the `iptables.noflush` setting, a here-document fed to `iptables-restore --noflush`), where the chain may already exist, and in scripts where an earlier run may have made it.',
  },
  'builtin-chain-table': {
    severity: 'warning',
    meaning: 'A built-in chain name the table does not have (`FORWARD` in `*nat`): iptables-nft makes it a user chain that no packet enters on its own.',
  },
  'chain-redeclared': { severity: 'warning', meaning: 'A chain declared twice in one table.' },
  'chain-busy': {
    severity: 'warning',
    meaning:
      "A script's -X of a chain that still holds rules or that a rule still jumps to (from what the script itself did before): the kernel refuses it (CHAIN_DEL failed (Device or resource busy)); a bare -X then deletes nothing.",
  },
  'user-chain-policy': { severity: 'warning', meaning: 'A policy on a user chain: ignored by iptables-restore, refused by `iptables -P`.' },
  'address-family': {
    severity: 'error',
    meaning: 'An IPv4 address in an ip6tables file or an IPv6 address in an iptables file (`host/network ... not found`).',
  },
  'mark-overwritten': {
    severity: 'warning',
    meaning: 'A mark write that a later rule of the same chain, taken by every packet, overwrites before anything can read the mark.',
  },
  'unreachable-rule': { severity: 'warning', meaning: 'A rule after an ACCEPT/DROP/REJECT/RETURN or goto with no match in the same chain.' },
  'unused-chain': {
    severity: 'off',
    meaning:
      'A user chain nothing jumps to, in a complete iptables-save dump. Off by default (tool-generated dumps declare many); set a severity to turn it on.',
  },
} as const satisfies Record<string, CodeInfo>;

/** A diagnostic code of iptables files. */
export type IptablesCode = keyof typeof IPTABLES_CODES;

/** A finding of an iptables file. */
export type IptablesFinding = Finding<IptablesCode>;
