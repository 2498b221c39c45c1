/**
 * The closed value sets completion offers for extension options (the options themselves,
 * their syntax and documentation come from extensions.ts). Kept apart so it can be folded
 * into the extension table later. Keys: `extension/option` (canonical long name).
 */

export const CT_STATES = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT'] as const;
export const PROTOCOLS = ['tcp', 'udp', 'udplite', 'icmp', 'icmpv6', 'esp', 'ah', 'sctp', 'gre', 'mh', 'all'] as const;
export const REJECT_TYPES = [
  'icmp-net-unreachable', 'icmp-host-unreachable', 'icmp-port-unreachable', 'icmp-proto-unreachable',
  'icmp-net-prohibited', 'icmp-host-prohibited', 'icmp-admin-prohibited', 'tcp-reset',
  'icmp6-no-route', 'icmp6-adm-prohibited', 'icmp6-addr-unreachable', 'icmp6-port-unreachable',
] as const;
const ADDR_TYPES = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'] as const;
const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'] as const;

export interface ValueSet {
  values: readonly string[];
  /** A comma-separated list of them. */
  list?: boolean;
}

export const VALUE_SETS: Record<string, ValueSet> = {
  'conntrack/ctstate': { values: CT_STATES, list: true },
  'conntrack/ctstatus': { values: ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'], list: true },
  'conntrack/ctproto': { values: PROTOCOLS },
  'conntrack/ctdir': { values: ['ORIGINAL', 'REPLY'] },
  'state/state': { values: CT_STATES.slice(0, 5), list: true },
  'REJECT/reject-with': { values: REJECT_TYPES },
  'statistic/mode': { values: ['random', 'nth'] },
  'addrtype/src-type': { values: ADDR_TYPES, list: true },
  'addrtype/dst-type': { values: ADDR_TYPES, list: true },
  'LOG/log-level': { values: LOG_LEVELS },
  'string/algo': { values: ['bm', 'kmp'] },
  'pkttype/pkt-type': { values: ['unicast', 'broadcast', 'multicast'] },
  'hashlimit/hashlimit-mode': { values: ['srcip', 'srcport', 'dstip', 'dstport'], list: true },
  'icmp/icmp-type': { values: ['any', 'echo-reply', 'destination-unreachable', 'echo-request', 'time-exceeded', 'parameter-problem', 'redirect'] },
  'CT/ctevents': { values: ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'], list: true },
};
