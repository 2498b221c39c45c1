/**
 * The documentation of iptables' commands, core options and tables, in our words, written
 * once: hover (features/docsHover) and completion (features/completion) both read it. The
 * extensions' options carry their own docs in extensions.ts.
 */
import { CommandKind } from './commands';
import { EXTENSIONS, ExtSpec, findExtOption } from './extensions';

/** The commands, in our words: syntax after the command word, and what it does (in the order completion offers them). */
export const COMMAND_DOCS: Record<CommandKind, { syntax: string; doc: string }> = {
  append: { syntax: 'chain rule-spec', doc: 'Add the rule at the end of the chain.' },
  insert: { syntax: 'chain [rulenum] rule-spec', doc: 'Put the rule at position rulenum of the chain (1, the top, by default).' },
  delete: { syntax: 'chain rulenum | chain rule-spec', doc: 'Remove a rule, by its position or by its exact specification.' },
  replace: { syntax: 'chain rulenum rule-spec', doc: 'Replace the rule at position rulenum.' },
  check: { syntax: 'chain rule-spec', doc: 'Exit 0 if the chain has a rule exactly like this one, 1 otherwise; changes nothing.' },
  new: { syntax: 'chain', doc: 'Create a user chain (empty; no policy). It fails if the chain exists.' },
  'delete-chain': { syntax: '[chain]', doc: 'Delete an empty user chain that nothing jumps to; without a name, every such chain of the table.' },
  policy: { syntax: 'chain ACCEPT|DROP', doc: 'Set the policy of a built-in chain: what happens to packets that reach its end.' },
  flush: { syntax: '[chain]', doc: 'Remove every rule of the chain (of every chain of the table without a name).' },
  zero: { syntax: '[chain [rulenum]]', doc: 'Reset packet and byte counters.' },
  rename: { syntax: 'old-chain new-chain', doc: 'Rename a user chain; rules that jump to it follow.' },
  list: { syntax: '[chain]', doc: 'Print the rules in the `iptables -L` table form.' },
  'list-rules': { syntax: '[chain [rulenum]]', doc: 'Print the rules as the commands that make them (`iptables-save` form).' },
};

/** Core options, keyed by canonical name, in our words. */
export const CORE_DOCS: Record<string, { syntax?: string; doc: string }> = {
  '--table': {
    syntax: 'table',
    doc: 'The table the command works on: filter (the default), nat, mangle, raw or security. Not allowed inside an iptables-restore file, where the `*table` line says it.',
  },
  '--protocol': {
    syntax: 'protocol',
    doc: "Layer-4 protocol: a name from /etc/protocols (tcp, udp, icmp, ...), a number, or `all`. `-p tcp`, `-p udp`, `-p icmp` also make their match's options (`--dport`, `--syn`, `--icmp-type`, ...) usable without `-m`.",
  },
  '--source': {
    syntax: 'address[/mask][,...]',
    doc: 'Source address or network (`10.0.0.0/8`, `10.0.0.0/255.0.0.0`); a host name is resolved once, when the rule is added; a comma list makes one rule per address.',
  },
  '--destination': { syntax: 'address[/mask][,...]', doc: 'Destination address or network; a comma list makes one rule per address.' },
  '--in-interface': {
    syntax: 'name[+]',
    doc: 'Interface the packet came in on; a trailing `+` matches every name with that prefix. Only where there is an input interface: PREROUTING, INPUT, FORWARD.',
  },
  '--out-interface': {
    syntax: 'name[+]',
    doc: 'Interface the packet goes out on; a trailing `+` matches every name with that prefix. Only where it is known: FORWARD, OUTPUT, POSTROUTING.',
  },
  '--jump': {
    syntax: 'target',
    doc: 'What to do with a packet the rule matches: a verdict (ACCEPT, DROP, RETURN), a target extension (LOG, MARK, DNAT, ...), or a user chain, which is run and then returned from.',
  },
  '--goto': { syntax: 'chain', doc: 'Continue in the user chain without coming back: a RETURN there returns to the chain that called this one.' },
  '--match': { syntax: 'module', doc: 'Load a match extension; its options follow it.' },
  '--set-counters': { syntax: 'packets bytes', doc: "Start the rule's packet and byte counters at these values." },
  '--fragment': { doc: 'Only second and later fragments of a fragmented IPv4 packet; `! -f` only first fragments and unfragmented packets.' },
  '--ipv4': { doc: 'Use this line with iptables only: ip6tables skips it.' },
  '--ipv6': { doc: 'Use this line with ip6tables only: iptables skips it.' },
  '--verbose': { doc: 'More output (with -L: interfaces, counters, options).' },
  '--numeric': { doc: 'Print addresses and ports as numbers (with -L): no name lookups.' },
  '--exact': { doc: 'Print exact counters instead of K/M/G rounding (with -L -v).' },
  '--line-numbers': { doc: 'Number the rules (with -L).' },
  '--wait': { syntax: '[seconds]', doc: 'Wait for the xtables lock (for ever, or this many seconds) instead of failing when another iptables holds it.' },
  '--wait-interval': { syntax: 'microseconds', doc: 'How often to retry the lock while waiting (with -w).' },
  '--modprobe': { syntax: 'command', doc: 'The program that loads kernel modules.' },
};

export const TABLE_DOCS: Record<string, string> = {
  filter: 'The default table: accept or drop packets.',
  nat: 'Address and port translation; only the first packet of a connection goes through it, the rest follow its answer.',
  mangle: 'Change packets and their metadata: marks, TOS/DSCP, TTL, MSS.',
  raw: 'Runs before connection tracking: exempt packets from it (NOTRACK / CT) or attach helpers.',
  security: 'SELinux security marks (SECMARK, CONNSECMARK), after filter.',
};

/** The core options of a rule specification that completion offers, short spellings. */
export const RULE_SPEC_OPTIONS = ['-p', '-s', '-d', '-i', '-o', '-j', '-g', '-m', '-t', '-f', '-c'] as const;

/** The spelling of a protocol to write after `-p` for a match that `-p` loads. */
export const PROTO_OF_MATCH: Record<string, string> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmp6: 'icmpv6' };

/** Every modelled match extension that has an option of this long name (family-aware). */
export function matchesOwning(name: string, family: 4 | 6 = 4): ExtSpec[] {
  return EXTENSIONS.filter((s) => s.kind === 'match' && (!s.family || s.family === family) && !!findExtOption(s, name));
}
