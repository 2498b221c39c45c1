/**
 * What nft 1.0.6 knows, as tables: keywords of the scanner's initial state, families, chain
 * types and hooks, standard priority names. Measured against Debian 12's nft 1.0.6 in a
 * private namespace (see test/kernel/nft-differential.test.ts), and read from nft's
 * src/scanner.l, src/parser_bison.y and src/rule.c (facts, not code).
 */

/**
 * Words the scanner returns as keywords in its initial state (so they are not a STRING and
 * cannot name a table, chain, set, ...). Measured: nft 1.0.6 refuses each as a chain name.
 * Words such as `saddr`, `dport`, `state`, `name`, `level` are keywords only after the
 * keyword that opens their scanner state (`ip`, `tcp`, `ct`, `counter`, `log`...): elsewhere
 * they are strings.
 */
export const INITIAL_KEYWORDS: ReadonlySet<string> = new Set(
  (
    'accept add ah all arp auto-merge bridge cgroup chain comment comp constant continue counter cpu create ct ' +
    'day dccp define delete describe device devices dnat drop dst dup dynamic ecn element elements esp ether ' +
    'exists expires export exthdr fib flags flow flowtable flush frag fwd gc-interval get goto handle hbh hook ' +
    'hour ibriport ibrname icmp icmpv6 igmp iif iifgroup iifname iiftype import include index inet insert ' +
    'interval ip ip6 ipsec jhash jump limit list log map mark masquerade meta meter mh missing monitor netdev ' +
    'nftrace notrack numgen obriport obrname offload oif oifgroup oifname oiftype osf pkttype policy position ' +
    'priority queue quota random redefine redirect reject rename replace reset return rt rt0 rt2 rtclassid rule ' +
    'ruleset sctp secmark set size skgid skuid snat socket srh symhash synproxy table tcp th time timeout ' +
    'tproxy type typeof udp udplite undefine update vlan vmap xt eq ne lt gt le ge lshift rshift xor and or not'
  ).split(' '),
);

export function isKeyword(w: string): boolean {
  return INITIAL_KEYWORDS.has(w);
}

export type Family = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export const FAMILIES: readonly Family[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

export const HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'] as const;
export type Hook = (typeof HOOKS)[number];

/** Hooks each family has (nft: "The X family does not support this hook"). */
export const FAMILY_HOOKS: Record<Family, readonly Hook[]> = {
  ip: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  ip6: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  inet: ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'],
  arp: ['input', 'output'],
  bridge: ['prerouting', 'input', 'forward', 'output', 'postrouting'],
  netdev: ['ingress', 'egress'],
};

export const CHAIN_TYPES = ['filter', 'nat', 'route'] as const;
export type ChainType = (typeof CHAIN_TYPES)[number];

/**
 * Families and hooks where the kernel has each chain type (the kernel refuses the others:
 * "Operation not supported" for a hook the type lacks, "No such file or directory" for a type
 * the family lacks). Measured on kernel 6.x with nft 1.0.6.
 */
export const TYPE_HOOKS: Record<ChainType, Partial<Record<Family, readonly Hook[]>>> = {
  filter: {
    ip: FAMILY_HOOKS.ip,
    ip6: FAMILY_HOOKS.ip6,
    inet: FAMILY_HOOKS.inet,
    arp: ['input', 'output'],
    bridge: FAMILY_HOOKS.bridge,
    netdev: FAMILY_HOOKS.netdev,
  },
  nat: {
    ip: ['prerouting', 'input', 'output', 'postrouting'],
    ip6: ['prerouting', 'input', 'output', 'postrouting'],
    inet: ['prerouting', 'input', 'output', 'postrouting'],
  },
  route: { ip: ['output'], ip6: ['output'], inet: ['output'] },
};

/** Standard priority names and values per family group (nft's std_prios / bridge_std_prios). */
export const PRIORITY_VALUES: Record<'ip' | 'bridge', Record<string, number>> = {
  ip: { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 },
  bridge: { dstnat: -300, filter: -200, out: 100, srcnat: 300 },
};

/**
 * Priority names nft 1.0.6 accepts per family and hook (measured): elsewhere it says
 * "invalid priority expression value in this context.".
 */
export function priorityNamesFor(family: Family, hook: string): string[] {
  switch (family) {
    case 'ip':
    case 'ip6':
    case 'inet': {
      const names = ['raw', 'mangle', 'filter', 'security'];
      if (hook === 'prerouting') names.push('dstnat');
      if (hook === 'postrouting') names.push('srcnat');
      return names;
    }
    case 'arp':
    case 'netdev':
      return ['filter'];
    case 'bridge': {
      const names = ['filter'];
      if (hook === 'prerouting') names.push('dstnat');
      if (hook === 'postrouting') names.push('srcnat');
      if (hook === 'output') names.push('out');
      return names;
    }
  }
}

/** Where a newer nft accepts a priority name 1.0.6 refuses in this hook. */
export function priorityNameNewer(family: Family, name: string): string | undefined {
  if ((family === 'ip' || family === 'ip6' || family === 'inet' || family === 'bridge') && (name === 'dstnat' || name === 'srcnat')) {
    return 'nft 1.0.7 and later accept `' + name + '` in any hook';
  }
  return undefined;
}

/** Statement/expression keywords that may open a rule statement (for outline and checks). */
export const VERDICTS: ReadonlySet<string> = new Set(['accept', 'drop', 'continue', 'return', 'jump', 'goto', 'queue']);

/**
 * Fields that may follow a protocol keyword opening a payload expression, where nft's scanner
 * state makes them keywords. A string there that is none of these is a syntax error
 * ("syntax error, unexpected string"). Only protocols whose field list is closed and known
 * are listed.
 */
export const PROTO_FIELDS: Record<string, ReadonlySet<string>> = {
  tcp: new Set(['sport', 'dport', 'sequence', 'ackseq', 'doff', 'reserved', 'flags', 'window', 'checksum', 'urgptr', 'option']),
  udp: new Set(['sport', 'dport', 'length', 'checksum']),
  udplite: new Set(['sport', 'dport', 'csumcov', 'checksum']),
  ip: new Set(['version', 'hdrlength', 'dscp', 'ecn', 'length', 'id', 'frag-off', 'ttl', 'protocol', 'checksum', 'saddr', 'daddr', 'option']),
  ip6: new Set(['version', 'dscp', 'ecn', 'flowlabel', 'length', 'nexthdr', 'hoplimit', 'saddr', 'daddr']),
  ether: new Set(['saddr', 'daddr', 'type']),
  sctp: new Set(['sport', 'dport', 'vtag', 'checksum', 'chunk']),
  dccp: new Set(['sport', 'dport', 'type']),
  th: new Set(['sport', 'dport']),
  arp: new Set(['htype', 'ptype', 'hlen', 'plen', 'operation', 'saddr', 'daddr']),
};
