/**
 * What iptables itself knows, written once as data: tables and their built-in chains,
 * commands and the core options with the number of words each takes, built-in targets.
 * Hover, completion, diagnostics and the grammar's lists read these.
 */

export const TABLES: Record<string, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export const POLICIES = ['ACCEPT', 'DROP'] as const;

/** Verdicts and targets that are not user chains. */
export const BUILTIN_TARGETS = new Set([
  'ACCEPT',
  'DROP',
  'RETURN',
  'QUEUE',
  'NFQUEUE',
  'REJECT',
  'LOG',
  'NFLOG',
  'ULOG',
  'MARK',
  'CONNMARK',
  'DNAT',
  'SNAT',
  'MASQUERADE',
  'REDIRECT',
  'TPROXY',
  'CT',
  'NOTRACK',
  'TCPMSS',
  'CLASSIFY',
  'CHECKSUM',
  'SECMARK',
  'CONNSECMARK',
  'TRACE',
  'AUDIT',
  'HMARK',
  'NETMAP',
  'TEE',
  'TOS',
  'DSCP',
  'TTL',
  'HL',
  'ECN',
  'IDLETIMER',
  'LED',
  'RATEEST',
  'SET',
  'SYNPROXY',
  'TCPOPTSTRIP',
  'CLUSTERIP',
  'DNPT',
  'SNPT',
  'MIRROR',
  'SAME',
  'NETLINK',
  'IPV4OPTSSTRIP',
  'ROUTE',
  'TARPIT',
  'DELUDE',
  'CHAOS',
  'STEAL',
  'SYSRQ',
  'LOGMARK',
  'ECHO', // xtables-addons
]);

/** How the walk treats a target: a verdict ends the packet's path, a NAT target is decided by
 * the nat table, a non-terminal target lets the packet continue with the next rule. */
export const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'SAME']);
export const VERDICTS = new Set(['ACCEPT', 'DROP', 'REJECT', 'QUEUE', 'NFQUEUE']);
export const NONTERMINAL_TARGETS = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'CT',
  'TCPMSS',
  'CLASSIFY',
  'CHECKSUM',
  'SECMARK',
  'CONNSECMARK',
  'TRACE',
  'AUDIT',
  'HMARK',
  'TEE',
  'TOS',
  'DSCP',
  'TTL',
  'HL',
  'ECN',
  'IDLETIMER',
  'LED',
  'RATEEST',
  'SET',
  'TCPOPTSTRIP',
  'CLUSTERIP',
  'DNPT',
  'SNPT',
  'SYNPROXY',
  'MIRROR',
  'NETLINK',
]);

export type CommandKind =
  'append' | 'insert' | 'replace' | 'delete' | 'new' | 'delete-chain' | 'policy' | 'flush' | 'zero' | 'rename' | 'list' | 'list-rules' | 'check';

export interface CommandSpec {
  kind: CommandKind;
  /** Positional words after the command: the chain, then numbers/policy/new name. */
  chainArg: 'required' | 'optional' | 'none';
  /** Further positional words (rule number, policy, new name) and whether they are optional. */
  extra: { name: string; optional: boolean }[];
  /** Whether the rest of the line is a rule specification. */
  rulespec: boolean;
}

const cmd = (kind: CommandKind, chainArg: CommandSpec['chainArg'], extra: CommandSpec['extra'], rulespec: boolean): CommandSpec => ({
  kind,
  chainArg,
  extra,
  rulespec,
});

export const COMMANDS: Record<string, CommandSpec> = {};
for (const [short, long, spec] of [
  ['-A', '--append', cmd('append', 'required', [], true)],
  ['-C', '--check', cmd('check', 'required', [], true)],
  ['-I', '--insert', cmd('insert', 'required', [{ name: 'rulenum', optional: true }], true)],
  ['-R', '--replace', cmd('replace', 'required', [{ name: 'rulenum', optional: false }], true)],
  ['-D', '--delete', cmd('delete', 'required', [{ name: 'rulenum', optional: true }], true)],
  ['-N', '--new-chain', cmd('new', 'required', [], false)],
  ['-X', '--delete-chain', cmd('delete-chain', 'optional', [], false)],
  ['-P', '--policy', cmd('policy', 'required', [{ name: 'policy', optional: false }], false)],
  ['-F', '--flush', cmd('flush', 'optional', [], false)],
  ['-Z', '--zero', cmd('zero', 'optional', [{ name: 'rulenum', optional: true }], false)],
  ['-E', '--rename-chain', cmd('rename', 'required', [{ name: 'new-name', optional: false }], false)],
  ['-L', '--list', cmd('list', 'optional', [], false)],
  ['-S', '--list-rules', cmd('list-rules', 'optional', [{ name: 'rulenum', optional: true }], false)],
] as const) {
  COMMANDS[short] = spec;
  COMMANDS[long] = spec;
}

/** Core (non-extension) options and how many argument words each takes. */
export const CORE_OPTIONS: Record<string, { canonical: string; args: number; optionalArg?: boolean; invertible?: boolean }> = {};
for (const [names, args, invertible, optionalArg] of [
  [['-t', '--table'], 1, false],
  [['-p', '--protocol'], 1, true],
  [['-s', '--source', '--src'], 1, true],
  [['-d', '--destination', '--dst'], 1, true],
  [['-i', '--in-interface'], 1, true],
  [['-o', '--out-interface'], 1, true],
  [['-j', '--jump'], 1, false],
  [['-g', '--goto'], 1, false],
  [['-m', '--match'], 1, false],
  [['-c', '--set-counters'], 2, false],
  [['-f', '--fragment'], 0, true],
  [['-4', '--ipv4'], 0, false],
  [['-6', '--ipv6'], 0, false],
  [['-v', '--verbose'], 0, false],
  [['-n', '--numeric'], 0, false],
  [['-x', '--exact'], 0, false],
  [['--line-numbers'], 0, false],
  [['-w', '--wait'], 1, false, true],
  [['-W', '--wait-interval'], 1, false],
  [['--modprobe'], 1, false],
] as const) {
  for (const n of names) CORE_OPTIONS[n] = { canonical: names[names.length > 1 ? 1 : 0] as string, args, invertible, optionalArg };
}

export const isUserChainName = (name: string): boolean => !BUILTIN_TARGETS.has(name);

/** The long options of iptables itself, as getopt_long sees them (without the dashes). */
export const CORE_LONG_OPTIONS: readonly string[] = [...Object.keys(COMMANDS), ...Object.keys(CORE_OPTIONS)]
  .filter((k) => k.startsWith('--'))
  .map((k) => k.slice(2))
  .concat(['version', 'help']);
