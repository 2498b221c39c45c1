import { DATATYPE, FIELD, PROPERTY, Table } from './docsFields';

/**
 * nftables keyword documentation as data: a short text in our own words for
 * every keyword, statement, expression, family, hook, chain type, priority
 * name, set flag and policy that nft 1.0.6 reads, the numbers behind the
 * priority names per family and hook, and which hooks each chain type may use
 * per family. Hover and completion read it; the TextMate grammar's keyword
 * lists are held to it by test/grammar/nftables-docs.test.ts.
 *
 * Facts come from nft's scanner and parser (src/scanner.l, src/parser_bison.y)
 * and from what nft 1.0.6 on Debian 12 accepts in a network namespace (the
 * hook and priority tables were probed that way); the texts are ours.
 *
 * Pure: no I/O, no imports.
 */
export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export type NftChainType = 'filter' | 'nat' | 'route';
export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';

export type NftDocKind =
  | 'family'
  | 'directive'
  | 'command'
  | 'object'
  | 'chain-type'
  | 'hook'
  | 'priority'
  | 'policy'
  | 'verdict'
  | 'statement'
  | 'expression'
  | 'field'
  | 'datatype'
  | 'property'
  | 'set-flag'
  | 'set-policy'
  | 'value'
  | 'operator'
  | 'unit';

export interface NftKeywordDoc {
  readonly word: string;
  readonly kind: NftDocKind;
  /** One or two sentences, markdown. */
  readonly doc: string;
}

export const NFT_FAMILIES: readonly NftFamily[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];
export const NFT_CHAIN_TYPES: readonly NftChainType[] = ['filter', 'nat', 'route'];
export const NFT_HOOKS: readonly NftHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'];

/**
 * Which hooks a base chain of each type may attach to, per family (nft 1.0.6
 * with the kernel's nf_tables; probed with `nft -c`). A family missing a type
 * has no chains of that type (bridge and netdev have no nat or route chains).
 */
export const NFT_CHAIN_HOOKS: Readonly<Record<NftFamily, Readonly<Partial<Record<NftChainType, readonly NftHook[]>>>>> = {
  ip: { filter: ['prerouting', 'input', 'forward', 'output', 'postrouting'], nat: ['prerouting', 'input', 'output', 'postrouting'], route: ['output'] },
  ip6: { filter: ['prerouting', 'input', 'forward', 'output', 'postrouting'], nat: ['prerouting', 'input', 'output', 'postrouting'], route: ['output'] },
  inet: {
    filter: ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'],
    nat: ['prerouting', 'input', 'output', 'postrouting'],
    route: ['output'],
  },
  arp: { filter: ['input', 'output'] },
  bridge: { filter: ['prerouting', 'input', 'forward', 'output', 'postrouting'] },
  netdev: { filter: ['ingress', 'egress'] },
};

/** A nat chain's priority must be above this (conntrack runs at -200); the kernel refuses -200 and below. */
export const NFT_NAT_PRIORITY_ABOVE = -200;

export interface NftPriorityName {
  readonly name: string;
  readonly value: number;
  /** Hooks where nft 1.0.6 accepts the name; undefined: every hook of the family. Newer nft accepts dstnat and srcnat on any hook. */
  readonly hooks?: readonly NftHook[];
  /** The iptables table that runs at this priority, if any. */
  readonly iptables?: string;
}

export const INET_PRIORITIES: readonly NftPriorityName[] = [
  { name: 'raw', value: -300, iptables: 'raw' },
  { name: 'mangle', value: -150, iptables: 'mangle' },
  { name: 'dstnat', value: -100, hooks: ['prerouting'], iptables: 'nat (PREROUTING, OUTPUT)' },
  { name: 'filter', value: 0, iptables: 'filter' },
  { name: 'security', value: 50, iptables: 'security' },
  { name: 'srcnat', value: 100, hooks: ['postrouting'], iptables: 'nat (POSTROUTING, INPUT)' },
];

/** Priority names and their numbers per family (bridge has its own scale; arp and netdev know only `filter`). */
export const NFT_PRIORITIES: Readonly<Record<NftFamily, readonly NftPriorityName[]>> = {
  ip: INET_PRIORITIES,
  ip6: INET_PRIORITIES,
  inet: INET_PRIORITIES,
  arp: [{ name: 'filter', value: 0 }],
  netdev: [{ name: 'filter', value: 0 }],
  bridge: [
    { name: 'dstnat', value: -300, hooks: ['prerouting'], iptables: 'ebtables nat (PREROUTING)' },
    { name: 'filter', value: -200, iptables: 'ebtables filter' },
    { name: 'out', value: 100, hooks: ['output'], iptables: 'ebtables nat (OUTPUT)' },
    { name: 'srcnat', value: 300, hooks: ['postrouting'], iptables: 'ebtables nat (POSTROUTING)' },
  ],
};

/** The number a priority name stands for in a family and hook, or undefined where nft 1.0.6 refuses the name there. */
export function nftPriorityValue(family: NftFamily, hook: NftHook, name: string): number | undefined {
  const p = NFT_PRIORITIES[family].find((x) => x.name === name);
  if (!p) return undefined;
  if (p.hooks && !p.hooks.includes(hook)) return undefined;
  return p.value;
}

/** Whether a base chain of this type may attach to this hook in this family. */
export function nftHookAllowed(family: NftFamily, type: NftChainType, hook: NftHook): boolean {
  return NFT_CHAIN_HOOKS[family][type]?.includes(hook) ?? false;
}

// ---- the words -------------------------------------------------------------

export const FAMILY: Table = {
  ip: 'IPv4 family: the table sees only IPv4 packets.',
  ip6: 'IPv6 family: the table sees only IPv6 packets.',
  inet: 'IPv4 and IPv6 together: one table for both, the usual choice for a host firewall.',
  arp: 'ARP family: chains on the input and output hooks see ARP packets.',
  bridge: 'Bridge family: packets crossing a Linux bridge, at layer 2 (what ebtables did).',
  netdev: "Per-device family: chains on one interface's ingress or egress, before or after everything else.",
};

export const DIRECTIVE: Table = {
  include: 'Reads another file (or every file a glob matches) here, as if its text stood in this place.',
  define: 'Names a value (`define lan = 10.0.0.0/8`); later text uses it as `$lan`.',
  redefine: 'Gives an existing `define` name a new value from here on.',
  undefine: 'Forgets a `define` name; using it afterwards is an error.',
};

export const COMMAND: Table = {
  add: 'Adds an object (table, chain, rule, set, element...); for a rule, at the end of the chain. With `@set` it is the statement that adds to a set.',
  insert: 'Adds a rule at the start of the chain (or before the rule at `position`/`handle`).',
  replace: 'Replaces the rule with the given `handle`.',
  create: 'Like `add`, but an error if the object already exists.',
  delete: 'Removes an object; a rule by its `handle`. With `@set` it is the statement that removes from a set.',
  destroy: 'Removes an object and is not an error if it does not exist (newer nft).',
  flush: 'Empties: `flush ruleset` removes everything, `flush chain` its rules, `flush set` its elements.',
  list: 'Prints objects in the form nft reads back (`list ruleset`, `list chain inet t c`).',
  reset: 'Prints and zeroes counters or quotas (`reset counters`).',
  rename: 'Gives a chain a new name.',
  get: 'Looks up elements of a set (`get element inet t s { 10.0.0.1 }`).',
  describe: 'Prints what nft knows about an expression: its data type, length and symbolic values.',
  monitor: 'Prints changes to the ruleset (and packet traces) as they happen.',
  export: 'Prints the ruleset in a machine format (old; prefer `nft -j list ruleset`).',
  import: 'Reads a ruleset in a machine format (old).',
};

export const OBJECT: Table = {
  table: 'A table: a namespace of one family holding chains, sets, maps, flowtables and stateful objects.',
  chain: 'A chain: a list of rules. A base chain (with `type ... hook ... priority`) is entered by packets; a regular one only by `jump`/`goto`.',
  rule: 'A rule: matches and statements run in order; the first verdict ends the chain for the packet.',
  set: 'A named set of values (or value ranges), matched with `@name`; as a statement word it assigns (`meta mark set 1`).',
  map: 'A named map from keys to values (a verdict map when the values are verdicts); also the `map` lookup of an expression.',
  element: 'An element of a set or map (`add element inet t s { 1.2.3.4 }`).',
  flowtable: 'A flowtable: established flows on its devices take a fast path past the rest of the stack (`flow add @name`).',
  ruleset: 'Everything nft holds: all tables of all families (`flush ruleset`, `list ruleset`).',
  tables: 'All tables (`list tables`).',
  chains: 'All chains (`list chains`).',
  sets: 'All sets (`list sets`).',
  maps: 'All maps (`list maps`).',
  flowtables: 'All flowtables (`list flowtables`).',
  counters: 'All named counters (`list counters`, `reset counters`).',
  quotas: 'All named quotas (`list quotas`, `reset quotas`).',
  limits: 'All named limits (`list limits`).',
  meters: 'All meters (`list meters`).',
  secmarks: 'All secmark objects (`list secmarks`).',
  synproxys: 'All synproxy objects (`list synproxys`).',
  hooks: 'The functions registered on each netfilter hook (`list hooks`).',
  helpers: 'All conntrack helper objects (`list ct helpers`).',
};

export const CHAIN_TYPE: Table = {
  filter:
    "Chain type `filter`: sees packets and decides (accept, drop, ...); every family has it. As a priority name: 0 (bridge: -200), where iptables' filter table runs.",
  nat: 'Chain type `nat`: sees only the first packet of each connection, to set up address translation (snat, dnat, masquerade, redirect); ip, ip6 and inet only.',
  route:
    "Chain type `route`: an output chain whose changes to the mark or addresses make the kernel route the packet again (what iptables' mangle OUTPUT did).",
};

export const HOOK: Table = {
  prerouting: 'Every incoming packet, before the routing decision (destination NAT is done here).',
  input: 'Packets addressed to this host, after routing.',
  forward: 'Packets this host routes (or bridges) from one interface to another.',
  output: 'Packets this host sends, as they leave the local process.',
  postrouting: 'Every outgoing packet, after routing, just before it leaves (source NAT and masquerade are done here).',
  ingress: "A device's earliest point, before prerouting (netdev; inet too since kernel 5.10); needs `device`.",
  egress: "A device's last point, after postrouting (netdev, kernel 5.16+); needs `device`.",
};

export const PRIORITY: Table = {
  raw: "Priority -300, before connection tracking: where iptables' raw table runs (`notrack` belongs here).",
  mangle: "Priority -150: where iptables' mangle table runs.",
  dstnat: "Priority -100: destination NAT (iptables' nat PREROUTING). nft 1.0.6 accepts the name only on prerouting (bridge: -300).",
  filter: "Priority 0 (bridge: -200): where iptables' filter table runs.",
  security: "Priority 50: where iptables' security table runs, after filter.",
  srcnat: "Priority 100: source NAT (iptables' nat POSTROUTING). nft 1.0.6 accepts the name only on postrouting (bridge: 300).",
  out: "Bridge priority 100 on the output hook (ebtables' nat OUTPUT).",
};

export const VERDICT: Table = {
  accept: 'Lets the packet go on: it leaves this base chain (other base chains on the hook still see it).',
  drop: 'Discards the packet at once; nothing later sees it.',
  continue: 'Goes on with the next rule (what a rule does with no verdict).',
  return: "Leaves this chain: back to the rule after the `jump`, or the base chain's policy.",
  jump: 'Runs the named chain, then comes back to the next rule here unless that chain decided.',
  goto: "Runs the named chain and does not come back: its end acts as this chain's end.",
};

export const POLICY: Table = {
  accept: 'Base chain policy: packets that reach the end of the chain are accepted.',
  drop: 'Base chain policy: packets that reach the end of the chain are dropped.',
};

export const STATEMENT: Table = {
  counter: 'Counts packets and bytes of the rule (`counter`, or a named counter object).',
  log: 'Logs the packet to the kernel log (or to nflog with `group`), with an optional `prefix` and `level`.',
  limit: 'Matches while the rate stays under `rate N/unit` (with `burst`); with `over`, matches above it.',
  quota: 'Matches until the byte quota is used up (`quota 1 gbytes`); with `over`, once it is.',
  reject: 'Drops the packet and tells the sender (an ICMP error, or a TCP reset with `with tcp reset`).',
  snat: 'Source NAT: rewrites the source address (and port) of the connection (`snat to 198.51.100.1`).',
  dnat: 'Destination NAT: rewrites the destination address (and port) of the connection (`dnat to 10.0.0.2:80`).',
  masquerade: 'Source NAT to the address of the outgoing interface, taken afresh for each connection.',
  redirect: 'Destination NAT to this host itself (a local port with `to :port`).',
  tproxy: 'Hands the packet to a local socket (transparent proxy) without rewriting it (`tproxy to :8080`); needs the socket to be transparent.',
  notrack: 'Exempts the packet from connection tracking (in a chain before conntrack, priority raw).',
  dup: 'Sends a copy of the packet to another address or device (`dup to 10.0.0.2 device "eth1"`).',
  fwd: 'Sends the packet out of another device (netdev only; `fwd to "eth1"`).',
  queue: 'Hands the packet to a userspace program over nfqueue (`queue num 3 bypass`).',
  synproxy: 'Answers TCP handshakes itself and only passes on clients that complete them (SYN flood defence).',
  meter: 'A dynamic set keyed on packet fields with a statement per key (old form of `add/update @set`).',
  last: 'Remembers when the rule last matched.',
  flow: "With `add @ft` (or `offload`), puts the connection on a flowtable's fast path.",
  offload: 'Hardware offload of a flow (`flow offload @ft`) or a flowtable flag.',
  xt: 'A rule part nft does not know, translated from an iptables extension; it can be listed but not written.',
  update: "With `@set`, adds the packet's key to a set or refreshes its timeout (`update @seen { ip saddr }`).",
};

export const EXPRESSION: Table = {
  ether: 'The Ethernet header: `saddr`, `daddr`, `type`.',
  vlan: 'The 802.1Q VLAN header: `id`, `pcp`, `dei`/`cfi`, `type`.',
  arp: 'The ARP header: `htype`, `ptype`, `hlen`, `plen`, `operation`, `saddr ip|ether`, `daddr ip|ether`.',
  ip: 'The IPv4 header: `saddr`, `daddr`, `protocol`, `ttl`, `dscp`, `length`, `id`, `frag-off`, `version`, `hdrlength`, `checksum`.',
  ip6: 'The IPv6 header: `saddr`, `daddr`, `nexthdr`, `hoplimit`, `flowlabel`, `dscp`, `length`, `version`.',
  icmp: 'The ICMP header: `type`, `code`, `id`, `sequence`, `mtu`, `gateway`, `checksum`.',
  icmpv6: 'The ICMPv6 header: `type`, `code`, `id`, `sequence`, `mtu`, `max-delay`, `taddr`, `checksum`.',
  igmp: 'The IGMP header: `type`, `mrt`, `group`, `checksum`.',
  tcp: 'The TCP header: `sport`, `dport`, `flags`, `sequence`, `ackseq`, `window`, `doff`, `urgptr`, `checksum`, and `option`.',
  udp: 'The UDP header: `sport`, `dport`, `length`, `checksum`.',
  udplite: 'The UDP-Lite header: `sport`, `dport`, `csumcov`, `checksum`.',
  sctp: 'The SCTP header: `sport`, `dport`, `vtag`, `checksum`, and `chunk`.',
  dccp: 'The DCCP header: `sport`, `dport`, `type`, `option`.',
  ah: 'The IPsec AH header: `nexthdr`, `hdrlength`, `reserved`, `spi`, `sequence`.',
  esp: 'The IPsec ESP header: `spi`, `sequence`.',
  comp: 'The IPComp header: `nexthdr`, `flags`, `cpi`.',
  th: 'The transport header of any protocol with ports at the usual place: `th sport`, `th dport`.',
  gre: 'The GRE header (newer nft): `version`, `flags`, `protocol`.',
  gretap: 'The Ethernet frame inside GRETAP (newer nft).',
  vxlan: 'The VXLAN header and the frame inside it (newer nft).',
  geneve: 'The Geneve header and the frame inside it (newer nft).',
  rt: 'The IPv6 routing header: `nexthdr`, `hdrlength`, `type`, `seg-left`; `rt classid`/`nexthop`/`mtu` are routing data.',
  rt0: 'IPv6 routing header type 0.',
  rt2: 'IPv6 routing header type 2 (mobility).',
  srh: 'IPv6 segment routing header: `last-entry`, `flags`, `tag`, `sid`.',
  hbh: 'The IPv6 hop-by-hop options header: `nexthdr`, `hdrlength`.',
  frag: 'The IPv6 fragment header: `nexthdr`, `frag-off`, `more-fragments`, `id`.',
  dst: 'The IPv6 destination options header: `nexthdr`, `hdrlength`.',
  mh: 'The IPv6 mobility header: `nexthdr`, `hdrlength`, `type`, `checksum`.',
  exthdr: 'Any IPv6 extension header, as in `exthdr frag exists`.',
  meta: 'Data about the packet rather than its headers: `mark`, `iifname`, `oif`, `l4proto`, `nfproto`, `skuid`, `pkttype`, `priority`, ...',
  ct: 'Connection tracking: `state`, `status`, `mark`, `direction`, `helper`, `zone`, `original/reply saddr`, ...; `ct mark set` writes the connection mark.',
  fib: 'A routing table lookup for the packet: `fib saddr . iif oif` (reverse path check), `fib daddr type local`.',
  socket: 'The local socket the packet belongs to: `transparent`, `mark`, `wildcard`, `cgroupv2 level N`.',
  osf: 'Passive OS fingerprint of a TCP SYN: `osf name "Linux"`.',
  numgen: 'A number generator: `numgen inc mod 2` (round robin) or `numgen random mod 10`.',
  jhash: 'A hash of the given expressions, `mod N` (with `seed`, `offset`): spreads flows over N.',
  symhash: 'A hash that is the same in both directions of a flow, `mod N`.',
  ipsec: 'IPsec state of the packet: `ipsec in reqid 1`, `ipsec out saddr ...`, `spi`.',
  tunnel: 'Tunnel metadata of the packet (newer nft).',
  secmark: "A SELinux security mark: a named object, or the packet's (`meta secmark set`).",
};

export const SET_FLAG: Table = {
  constant: 'Set flag: the elements never change after the set is created.',
  interval: 'Set flag: elements may be ranges and prefixes.',
  timeout: 'Set flag: elements may expire.',
  dynamic: 'Set flag: rules may add elements from the packet path (`add @s`, `update @s`).',
};
export const SET_POLICY: Table = { performance: 'Set policy: choose the fastest lookup (the default).', memory: 'Set policy: choose the smallest memory use.' };

export const VALUE_GROUPS: readonly [string, string][] = [
  [
    'words_ct_state',
    'A conntrack state: new (first packet of a connection), established (seen both ways), related (an expected or ICMP error connection), invalid (cannot be tracked), untracked (exempted with notrack).',
  ],
  ['words_ct_status', 'A conntrack status bit.'],
  ['words_ct_event', 'A conntrack event.'],
  ['words_tcp_flag', 'A TCP flag bit.'],
  ['words_tcp_option', 'A TCP option kind (`tcp option sack exists`).'],
  ['words_icmp_type', 'An ICMP or ICMPv6 message type (`icmp type`, `icmpv6 type`).'],
  ['words_reject_code', 'What a reject answers with: an ICMP (icmpx: either family) unreachable code, or a TCP reset.'],
  ['words_pkttype', 'A link-layer packet type (`meta pkttype`): host (for us), broadcast, multicast, other (for another host).'],
  ['words_fib_type', 'A route type that a fib lookup returns (`fib daddr type local`).'],
  ['words_log_level', 'A syslog level for `log level`; audit sends the record to the audit log.'],
  ['words_time_unit', 'A time unit of a rate or a time.'],
  ['words_byte_unit', 'A byte unit of a rate or quota.'],
  ['words_weekday', 'A day of the week (`meta day`).'],
  ['words_nfproto', 'A protocol name: ipv4/ipv6 for `meta nfproto`, the VLAN ether types.'],
  ['words_boolean', 'A boolean value.'],
  ['words_table_flag', 'A table flag: dormant (rules are kept but not run), owner/persist (newer nft).'],
  ['words_sctp_chunk', 'An SCTP chunk type or chunk field (`sctp chunk data flags`).'],
  ['words_ct_timeout_state', 'A protocol state whose timeout a `ct timeout` object sets.'],
  ['words_misc_value', 'A symbolic value (`meta priority none`, `osf ttl loose|skip`).'],
];

/** Words of each value list (the grammar's `words_*` lists of symbolic values); docs come from VALUE_GROUPS, with specific texts where one says more. */
export const NFT_VALUE_WORDS: Readonly<Record<string, readonly string[]>> = {
  words_ct_state: ['new', 'established', 'related', 'invalid', 'untracked'],
  words_ct_status: ['expected', 'seen-reply', 'assured', 'confirmed', 'dying'],
  words_ct_event: ['destroy', 'protoinfo', 'seqadj'],
  words_tcp_flag: ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'cwr'],
  words_tcp_option: ['eol', 'nop', 'noop', 'sack', 'sack0', 'sack1', 'sack2', 'sack3', 'fastopen', 'md5sig', 'mptcp', 'echo'],
  words_icmp_type: [
    'echo-reply',
    'destination-unreachable',
    'source-quench',
    'echo-request',
    'router-advertisement',
    'router-solicitation',
    'time-exceeded',
    'parameter-problem',
    'timestamp-request',
    'timestamp-reply',
    'info-request',
    'info-reply',
    'address-mask-request',
    'address-mask-reply',
    'packet-too-big',
    'mld-listener-query',
    'mld-listener-report',
    'mld-listener-done',
    'mld-listener-reduction',
    'nd-router-solicit',
    'nd-router-advert',
    'nd-neighbor-solicit',
    'nd-neighbor-advert',
    'nd-redirect',
    'router-renumbering',
    'ind-neighbor-solicit',
    'ind-neighbor-advert',
    'mld2-listener-report',
  ],
  words_reject_code: [
    'net-unreachable',
    'host-unreachable',
    'prot-unreachable',
    'port-unreachable',
    'frag-needed',
    'net-prohibited',
    'host-prohibited',
    'admin-prohibited',
    'no-route',
    'addr-unreachable',
    'policy-fail',
    'reject-route',
    'tcp-reset',
    'icmpx',
  ],
  words_pkttype: ['host', 'unicast', 'broadcast', 'multicast', 'other'],
  words_fib_type: ['unspec', 'local', 'anycast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'xresolve'],
  words_log_level: ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'],
  words_time_unit: ['second', 'minute', 'hour', 'day', 'week'],
  words_byte_unit: ['bytes', 'kbytes', 'mbytes', 'gbytes'],
  words_weekday: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
  words_nfproto: ['ipv4', 'ipv6', '8021q', '8021ad', 'vlan'],
  words_boolean: ['true', 'false'],
  words_table_flag: ['dormant', 'owner', 'persist'],
  words_sctp_chunk: [
    'data',
    'init',
    'init-ack',
    'heartbeat',
    'heartbeat-ack',
    'abort',
    'shutdown',
    'shutdown-ack',
    'error',
    'cookie-echo',
    'cookie-ack',
    'ecne',
    'shutdown-complete',
    'asconf',
    'asconf-ack',
    'forward-tsn',
    'tsn',
    'stream',
    'ssn',
    'ppid',
    'init-tag',
    'a-rwnd',
    'num-outbound-streams',
    'num-inbound-streams',
    'initial-tsn',
    'cum-tsn-ack',
    'num-gap-ack-blocks',
    'num-dup-tsns',
    'lowest-tsn',
    'seqno',
    'new-cum-tsn',
  ],
  words_ct_timeout_state: [
    'syn_sent',
    'syn_recv',
    'fin_wait',
    'close_wait',
    'last_ack',
    'time_wait',
    'close',
    'syn_sent2',
    'retrans',
    'unacknowledged',
    'replied',
    'unreplied',
  ],
  words_misc_value: ['none', 'loose', 'skip'],
};

export const SPECIFIC_VALUES: Table = {
  new: 'Conntrack state new: the first packet of a connection (or one nothing has answered yet).',
  established: 'Conntrack state established: the connection has seen packets both ways.',
  related: 'Conntrack state related: a connection expected by another (FTP data, an ICMP error about a known connection).',
  invalid: 'Conntrack state invalid: the packet fits no connection conntrack can follow (usually dropped).',
  untracked: 'Conntrack state untracked: exempted from tracking with `notrack`.',
  syn: 'TCP SYN: opens a connection.',
  ack: 'TCP ACK: acknowledges data.',
  fin: 'TCP FIN: closes a direction.',
  rst: 'TCP RST: aborts the connection.',
  'echo-request': 'ICMP echo request (ping).',
  'echo-reply': 'ICMP echo reply (pong).',
  'destination-unreachable': 'ICMP destination unreachable.',
  'port-unreachable': 'Reject with ICMP port unreachable (what reject sends by default for IPv4).',
  'admin-prohibited': 'Reject with ICMP administratively prohibited.',
  'tcp-reset': 'Reject with a TCP reset.',
  icmpx: 'Reject codes that work for IPv4 and IPv6 alike (inet tables).',
  assured: 'Conntrack status: the connection has seen enough traffic not to be dropped early.',
  'seen-reply': 'Conntrack status: a reply has been seen.',
  host: 'Packet type host: addressed to this host.',
  broadcast: 'Packet type broadcast.',
  multicast: 'Packet type multicast.',
  other: 'Packet type other: addressed to another host.',
  local: "Route type local: the address is one of this host's.",
  dormant: "Table flag dormant: the table's base chains are not attached, so its rules do not run.",
};

export const OPERATOR: Table = {
  eq: 'Equal (`==`).',
  ne: 'Not equal (`!=`).',
  lt: 'Less than (`<`).',
  gt: 'Greater than (`>`).',
  le: 'Less or equal (`<=`).',
  ge: 'Greater or equal (`>=`).',
  and: 'Bitwise and (`&`): binds tighter than `or` and `xor`. `meta mark and 0x4000 == 0x4000` tests a bit.',
  or: 'Bitwise or (`|`): `meta mark set meta mark or 0x4000` sets a bit.',
  xor: 'Bitwise exclusive or (`^`).',
  not: 'Negation (`!`).',
  lshift: 'Shift left (`<<`).',
  rshift: 'Shift right (`>>`).',
  vmap: "Verdict map lookup: the matched element's value is the verdict (`tcp dport vmap { 22 : accept }`).",
  map: "Map lookup: the expression's value becomes the matched element's value (`dnat to tcp dport map { 80 : 10.0.0.2 }`).",
  set: 'Assignment: writes the value on the right into the mark, field or key on the left (`meta mark set 0x1`, `ct mark set meta mark`).',
};

export function add(out: Map<string, NftKeywordDoc[]>, kind: NftDocKind, table: Table): void {
  for (const [word, doc] of Object.entries(table)) {
    const list = out.get(word) ?? [];
    list.push({ word, kind, doc });
    out.set(word, list);
  }
}

export function build(): Map<string, NftKeywordDoc[]> {
  const out = new Map<string, NftKeywordDoc[]>();
  // the order is the order of meanings a hover lists
  add(out, 'verdict', VERDICT);
  add(out, 'family', FAMILY);
  add(out, 'directive', DIRECTIVE);
  add(out, 'expression', EXPRESSION);
  add(out, 'statement', STATEMENT);
  add(out, 'operator', OPERATOR);
  add(out, 'command', COMMAND);
  add(out, 'object', OBJECT);
  add(out, 'chain-type', CHAIN_TYPE);
  add(out, 'hook', HOOK);
  add(out, 'priority', PRIORITY);
  add(out, 'policy', POLICY);
  add(out, 'field', FIELD);
  add(out, 'datatype', DATATYPE);
  add(out, 'property', PROPERTY);
  add(out, 'set-flag', SET_FLAG);
  add(out, 'set-policy', SET_POLICY);
  const group = new Map(VALUE_GROUPS);
  for (const [list, words] of Object.entries(NFT_VALUE_WORDS)) {
    const kind: NftDocKind = list === 'words_time_unit' || list === 'words_byte_unit' ? 'unit' : 'value';
    for (const w of words) add(out, kind, { [w]: SPECIFIC_VALUES[w] ?? group.get(list) ?? 'A symbolic value.' });
  }
  return out;
}

/** Every documented word with its meanings (a word like `ip` or `filter` has several). */
export const NFT_KEYWORD_DOCS: ReadonlyMap<string, readonly NftKeywordDoc[]> = build();

/** The meanings of a word, or an empty list. */
export function nftKeywordDocs(word: string): readonly NftKeywordDoc[] {
  return NFT_KEYWORD_DOCS.get(word) ?? [];
}
