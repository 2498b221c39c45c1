/**
 * The closed value sets of iptables' options, written once: what the value checks accept
 * (valueChecks.ts), what the walk decides on (ICMP types and codes), and the subsets
 * completion offers first (VALUE_SETS, keyed `extension/option` by canonical long name).
 */
import { ADDR_TYPES } from '../../common/kernelNames';

/** iptables' ICMP type names: type, and the code range each stands for. */
export const ICMP_TYPE_CODES: Record<string, [number, number, number]> = {
  any: [255, 0, 255],
  'echo-reply': [0, 0, 255],
  pong: [0, 0, 255],
  'destination-unreachable': [3, 0, 255],
  'network-unreachable': [3, 0, 0],
  'host-unreachable': [3, 1, 1],
  'protocol-unreachable': [3, 2, 2],
  'port-unreachable': [3, 3, 3],
  'fragmentation-needed': [3, 4, 4],
  'source-route-failed': [3, 5, 5],
  'network-unknown': [3, 6, 6],
  'host-unknown': [3, 7, 7],
  'network-prohibited': [3, 9, 9],
  'host-prohibited': [3, 10, 10],
  'tos-network-unreachable': [3, 11, 11],
  'tos-host-unreachable': [3, 12, 12],
  'communication-prohibited': [3, 13, 13],
  'host-precedence-violation': [3, 14, 14],
  'precedence-cutoff': [3, 15, 15],
  'source-quench': [4, 0, 255],
  redirect: [5, 0, 255],
  'network-redirect': [5, 0, 0],
  'host-redirect': [5, 1, 1],
  'tos-network-redirect': [5, 2, 2],
  'tos-host-redirect': [5, 3, 3],
  'echo-request': [8, 0, 255],
  ping: [8, 0, 255],
  'router-advertisement': [9, 0, 255],
  'router-solicitation': [10, 0, 255],
  'time-exceeded': [11, 0, 255],
  'ttl-exceeded': [11, 0, 255],
  'ttl-zero-during-transit': [11, 0, 0],
  'ttl-zero-during-reassembly': [11, 1, 1],
  'parameter-problem': [12, 0, 255],
  'ip-header-bad': [12, 0, 0],
  'required-option-missing': [12, 1, 1],
  'timestamp-request': [13, 0, 255],
  'timestamp-reply': [14, 0, 255],
  'address-mask-request': [17, 0, 255],
  'address-mask-reply': [18, 0, 255],
};

/** Every ICMP type name iptables accepts (in any case), as the keys above. */
export const ICMP_TYPES = Object.keys(ICMP_TYPE_CODES);
export const ICMP6_TYPES = [
  'destination-unreachable',
  'no-route',
  'communication-prohibited',
  'beyond-scope',
  'address-unreachable',
  'port-unreachable',
  'failed-policy',
  'reject-route',
  'packet-too-big',
  'time-exceeded',
  'ttl-exceeded',
  'ttl-zero-during-transit',
  'ttl-zero-during-reassembly',
  'parameter-problem',
  'bad-header',
  'unknown-header-type',
  'unknown-option',
  'echo-request',
  'ping',
  'echo-reply',
  'pong',
  'router-solicitation',
  'router-advertisement',
  'neighbour-solicitation',
  'neighbor-solicitation',
  'neighbour-advertisement',
  'neighbor-advertisement',
  'redirect',
];

/** The states of `-m conntrack --ctstate`; `-m state` takes the first five. */
export const CT_STATES = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT'] as const;
export const STATES = CT_STATES.slice(0, 5);
export const CT_STATUS = ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'];
export const PKT_TYPES = ['unicast', 'broadcast', 'multicast', 'host', 'otherhost', 'outgoing', 'loopback', 'fastroute'];
/** Syslog level names as LOG offers them; iptables also takes err, warn, panic and 0-7. */
export const LOG_LEVEL_NAMES = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'] as const;
export const LOG_LEVELS = [...LOG_LEVEL_NAMES, 'err', 'warn', 'panic', '0', '1', '2', '3', '4', '5', '6', '7'];
export const REJECT4 = [
  'icmp-net-unreachable',
  'net-unreach',
  'icmp-host-unreachable',
  'host-unreach',
  'icmp-proto-unreachable',
  'proto-unreach',
  'icmp-port-unreachable',
  'port-unreach',
  'icmp-net-prohibited',
  'net-prohib',
  'icmp-host-prohibited',
  'host-prohib',
  'tcp-reset',
  'tcp-rst',
  'icmp-admin-prohibited',
  'admin-prohib',
];
export const REJECT6 = [
  'icmp6-no-route',
  'no-route',
  'icmp6-adm-prohibited',
  'adm-prohibited',
  'icmp6-addr-unreachable',
  'addr-unreach',
  'icmp6-port-unreachable',
  'port-unreach',
  'tcp-reset',
  'icmp6-policy-fail',
  'policy-fail',
  'icmp6-reject-route',
  'reject-route',
];
export const TCP_FLAGS = ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH', 'ALL', 'NONE'];

export const PROTOCOLS = ['tcp', 'udp', 'udplite', 'icmp', 'icmpv6', 'esp', 'ah', 'sctp', 'gre', 'mh', 'all'] as const;
export const REJECT_TYPES = [
  'icmp-net-unreachable',
  'icmp-host-unreachable',
  'icmp-port-unreachable',
  'icmp-proto-unreachable',
  'icmp-net-prohibited',
  'icmp-host-prohibited',
  'icmp-admin-prohibited',
  'tcp-reset',
  'icmp6-no-route',
  'icmp6-adm-prohibited',
  'icmp6-addr-unreachable',
  'icmp6-port-unreachable',
] as const;

export interface ValueSet {
  values: readonly string[];
  /** A comma-separated list of them. */
  list?: boolean;
}

export const VALUE_SETS: Record<string, ValueSet> = {
  'conntrack/ctstate': { values: CT_STATES, list: true },
  'conntrack/ctstatus': { values: CT_STATUS, list: true },
  'conntrack/ctproto': { values: PROTOCOLS },
  'conntrack/ctdir': { values: ['ORIGINAL', 'REPLY'] },
  'state/state': { values: STATES, list: true },
  'REJECT/reject-with': { values: REJECT_TYPES },
  'statistic/mode': { values: ['random', 'nth'] },
  'addrtype/src-type': { values: ADDR_TYPES, list: true },
  'addrtype/dst-type': { values: ADDR_TYPES, list: true },
  'LOG/log-level': { values: LOG_LEVEL_NAMES },
  'string/algo': { values: ['bm', 'kmp'] },
  'pkttype/pkt-type': { values: ['unicast', 'broadcast', 'multicast'] },
  'hashlimit/hashlimit-mode': { values: ['srcip', 'srcport', 'dstip', 'dstport'], list: true },
  'icmp/icmp-type': { values: ['any', 'echo-reply', 'destination-unreachable', 'echo-request', 'time-exceeded', 'parameter-problem', 'redirect'] },
  'CT/ctevents': { values: ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'], list: true },
};
