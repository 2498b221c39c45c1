/**
 * The match and target extensions real rule sets use, as data: every option with its
 * number of argument words, whether `!` may precede it, how its value is checked (with
 * iptables' own message), what it excludes, and its documentation (our words). Checked
 * against iptables 1.8.9 (nf_tables) and the kernel by test/kernel/extensions-differential.
 * The mark options (MARK, CONNMARK, TPROXY --tproxy-mark, -m mark, -m connmark) are
 * interpreted by marks.ts; their entries here carry arity and documentation only.
 */

import { protocolProblem } from './protocols';
import { ValueCheck, num, checkPortRange, checkUdpPortRange, checkPortList, uint, uintRange, oneOf, checkMac, checkIpRange, hmarkFields, hmarkBadField, checkU32, checkOwnerRange, checkHashlimitRate, checkNatPorts, checkRate, checkTcpFlags, icmpType, natRange } from './valueChecks';
import { ICMP_TYPES, ICMP6_TYPES, CT_STATES, STATES, CT_STATUS, PKT_TYPES, LOG_LEVELS, REJECT4, REJECT6 } from './valueSets';
import { ADDR_TYPES } from '../../common/kernelNames';

export interface ExtOption {
  /** Long name without dashes; aliases share the option (first name is canonical). */
  names: string[];
  /** Argument words: 0, 1 or 2 (`--tcp-flags mask comp`, `--match-set name flags`). */
  args: 0 | 1 | 2;
  invertible?: boolean;
  /** Argument syntax shown in hovers, e.g. `port[:port]`. */
  syntax?: string;
  doc: string;
  check?: ValueCheck;
  /** Canonical names of options that cannot be used with this one. */
  excl?: string[];
  /** iptables' message when the option is given twice (default: xtables' generic one). */
  twice?: string;
  /** Option may be given more than once. */
  repeatable?: boolean;
  mandatory?: boolean;
}

export interface ExtSpec {
  name: string;
  kind: 'match' | 'target';
  doc: string;
  /** Only in ip6tables (6) or only in iptables (4). */
  family?: 4 | 6;
  options: ExtOption[];
  /** The rule must have `-p` one of these (names or numbers), else `message`. */
  proto?: { names: string[]; message: string };
  /** After all options: iptables' final check (mandatory options, combinations). */
  final?: (seen: ReadonlyMap<string, string[]>) => string | null;
  /** Where the kernel accepts it: tables and/or built-in chains (hooks). */
  tables?: string[];
  hooks?: string[];
  /** Messages use this name (`DNAT:`, `conntrack:`); default the extension name. */
  label?: string;
}

// ---------------------------------------------------------------------------------------
// value checks, each with iptables' wording

// ---------------------------------------------------------------------------------------
// the extensions

const o = (names: string | string[], args: 0 | 1 | 2, doc: string, extra: Partial<ExtOption> = {}): ExtOption => ({
  names: Array.isArray(names) ? names : [names],
  args,
  doc,
  ...extra,
});

const PORT_PROTOS = ['tcp', 'udp', 'udplite', 'sctp', 'dccp', '6', '17', '136', '132', '33'];
/** Whether a NAT `--to-destination`/`--to-source` value names ports (`addr:port`, `[v6]:port`). */
export const natHasPorts = (arg: string): boolean => {
  if (arg.charCodeAt(0) === 91 /* [ */) return arg.indexOf(']:') >= 0;
  const k = arg.indexOf(':');
  return k >= 0 && arg.indexOf(':', k + 1) < 0; // exactly one colon
};

export const EXTENSIONS: ExtSpec[] = [
  {
    name: 'tcp', kind: 'match', doc: 'TCP header fields: ports, flags, options. Loaded by `-p tcp` on the first option it owns.',
    proto: { names: ['tcp', '6'], message: "TCP match requires '-p tcp'" },
    options: [
      o(['source-port', 'sport'], 1, 'Source port or range `a:b` (either end may be left out).', { invertible: true, syntax: 'port[:port]', check: checkPortRange, twice: "Only one `--source-port' allowed" }),
      o(['destination-port', 'dport'], 1, 'Destination port or range `a:b`.', { invertible: true, syntax: 'port[:port]', check: checkPortRange, twice: "Only one `--destination-port' allowed" }),
      o('syn', 0, 'Only connection openings: SYN set, ACK, RST and FIN clear (same as `--tcp-flags SYN,RST,ACK,FIN SYN`).', { invertible: true, excl: ['tcp-flags'] }),
      o('tcp-flags', 2, 'Of the flags in the first list, exactly those in the second are set (SYN ACK FIN RST URG PSH ALL NONE).', { invertible: true, syntax: 'mask comp', check: checkTcpFlags, excl: ['syn'] }),
      o('tcp-option', 1, 'The packet carries this TCP option number (1-255).', { invertible: true, syntax: 'number', check: (a) => (num(a, 255) ?? 0) < 1 ? `Bad TCP option "${a}"` : null }),
    ],
  },
  {
    name: 'udp', kind: 'match', doc: 'UDP ports. Loaded by `-p udp` on the first option it owns.',
    proto: { names: ['udp', '17'], message: "UDP match requires '-p udp'" },
    options: [
      o(['source-port', 'sport'], 1, 'Source port or range `a:b`.', { invertible: true, syntax: 'port[:port]', check: checkUdpPortRange, twice: "Only one `--source-port' allowed" }),
      o(['destination-port', 'dport'], 1, 'Destination port or range `a:b`.', { invertible: true, syntax: 'port[:port]', check: checkUdpPortRange, twice: "Only one `--destination-port' allowed" }),
    ],
  },
  {
    name: 'icmp', kind: 'match', family: 4, doc: 'ICMP type and code. Loaded by `-p icmp`.',
    options: [o('icmp-type', 1, 'ICMP type by name (`echo-request`), number, or `type/code`; `any` matches all.', { invertible: true, syntax: 'type[/code]', check: icmpType(ICMP_TYPES, 'ICMP'), mandatory: true })],
  },
  {
    name: 'icmp6', kind: 'match', family: 6, doc: 'ICMPv6 type and code (ip6tables). Loaded by `-p icmpv6`.',
    options: [o('icmpv6-type', 1, 'ICMPv6 type by name, number, or `type/code`.', { invertible: true, syntax: 'type[/code]', check: icmpType(ICMP6_TYPES, 'ICMPv6'), mandatory: true })],
  },
  {
    name: 'multiport', kind: 'match', doc: 'Up to 15 ports at once (a range counts as two).',
    proto: { names: PORT_PROTOS, message: "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'" },
    options: [
      o(['source-ports', 'sports'], 1, 'Source port is one of the list.', { invertible: true, syntax: 'port[,port|,port:port]...', check: checkPortList, excl: ['destination-ports', 'ports'] }),
      o(['destination-ports', 'dports'], 1, 'Destination port is one of the list.', { invertible: true, syntax: 'port[,port|,port:port]...', check: checkPortList, excl: ['source-ports', 'ports'] }),
      o('ports', 1, 'Source or destination port is one of the list.', { invertible: true, syntax: 'port[,port|,port:port]...', check: checkPortList, excl: ['source-ports', 'destination-ports'] }),
    ],
    final: (s) => (s.size ? null : 'multiport expection an option'),
  },
  {
    name: 'comment', kind: 'match', doc: 'A note kept with the rule (up to 255 characters); matches every packet.',
    options: [o('comment', 1, 'The comment text.', { syntax: 'text', mandatory: true })],
  },
  {
    name: 'conntrack', kind: 'match', doc: 'Connection tracking state, status, original and reply tuples.',
    options: [
      o('ctstate', 1, 'Comma list of INVALID NEW ESTABLISHED RELATED UNTRACKED SNAT DNAT.', { invertible: true, syntax: 'state[,state]...', check: oneOf(CT_STATES, (v) => `Bad ctstate "${v}"`, { list: true, caseless: true }) }),
      o('ctproto', 1, 'Layer-4 protocol of the connection, name or number.', { invertible: true, syntax: 'proto', check: (v) => protocolProblem(v) }),
      o('ctorigsrc', 1, 'Original source address[/mask].', { invertible: true, syntax: 'address[/mask]' }),
      o('ctorigdst', 1, 'Original destination address[/mask].', { invertible: true, syntax: 'address[/mask]' }),
      o('ctreplsrc', 1, 'Reply source address[/mask].', { invertible: true, syntax: 'address[/mask]' }),
      o('ctrepldst', 1, 'Reply destination address[/mask].', { invertible: true, syntax: 'address[/mask]' }),
      o('ctorigsrcport', 1, 'Original source port or range.', { invertible: true, syntax: 'port[:port]' }),
      o('ctorigdstport', 1, 'Original destination port or range.', { invertible: true, syntax: 'port[:port]' }),
      o('ctreplsrcport', 1, 'Reply source port or range.', { invertible: true, syntax: 'port[:port]' }),
      o('ctrepldstport', 1, 'Reply destination port or range.', { invertible: true, syntax: 'port[:port]' }),
      o('ctstatus', 1, 'Comma list of NONE EXPECTED SEEN_REPLY ASSURED CONFIRMED.', { invertible: true, syntax: 'status[,status]...', check: oneOf(CT_STATUS, (v) => `Bad ctstatus "${v}"`, { list: true, caseless: true }) }),
      o('ctexpire', 1, 'Remaining lifetime in seconds, or a range `a:b`.', { invertible: true, syntax: 'seconds[:seconds]', check: uintRange(0xffffffff) }),
      o('ctdir', 1, 'Only packets of the ORIGINAL or the REPLY direction.', { syntax: 'ORIGINAL|REPLY', check: oneOf(['ORIGINAL', 'REPLY'], (v) => `conntrack: Bad value for "--ctdir" option: "${v}"`, { caseless: true }) }),
    ],
    final: (s) => (s.size ? null : 'conntrack: At least one option is required'),
  },
  {
    name: 'state', kind: 'match', doc: 'Connection tracking state (the older form of `-m conntrack --ctstate`).',
    options: [o('state', 1, 'Comma list of INVALID NEW ESTABLISHED RELATED UNTRACKED.', { invertible: true, syntax: 'state[,state]...', check: oneOf(STATES, (v) => `Bad state "${v}"`, { list: true, caseless: true }), mandatory: true })],
  },
  {
    name: 'mark', kind: 'match', doc: 'Tests the packet mark (nfmark): `(nfmark & mask) == value`.',
    options: [o('mark', 1, 'The value and optional mask to compare with.', { invertible: true, syntax: 'value[/mask]' })],
  },
  {
    name: 'connmark', kind: 'match', doc: 'Tests the connection mark (ctmark): `(ctmark & mask) == value`.',
    options: [o('mark', 1, 'The value and optional mask to compare with.', { invertible: true, syntax: 'value[/mask]' })],
  },
  {
    name: 'addrtype', kind: 'match', doc: 'The routing type of the source or destination address (LOCAL, UNICAST, BROADCAST, ...).',
    options: [
      o('src-type', 1, 'Comma list of address types of the source.', { invertible: true, syntax: 'type[,type]...', check: oneOf(ADDR_TYPES, (v) => `addrtype: bad type "${v}"`, { list: true, caseless: true }) }),
      o('dst-type', 1, 'Comma list of address types of the destination.', { invertible: true, syntax: 'type[,type]...', check: oneOf(ADDR_TYPES, (v) => `addrtype: bad type "${v}"`, { list: true, caseless: true }) }),
      o('limit-iface-in', 0, 'Look the type up for the incoming interface only (not in OUTPUT/POSTROUTING).', { excl: ['limit-iface-out'] }),
      o('limit-iface-out', 0, 'Look the type up for the outgoing interface only (not in PREROUTING/INPUT).', { excl: ['limit-iface-in'] }),
    ],
    final: (s) => (s.has('src-type') || s.has('dst-type') ? null : 'addrtype: you must specify --src-type or --dst-type'),
  },
  {
    name: 'statistic', kind: 'match', doc: 'Matches a random share of packets, or every nth.',
    options: [
      o('mode', 1, '`random` or `nth`.', { syntax: 'random|nth', check: oneOf(['random', 'nth'], (v) => `Bad mode "${v}"`) }),
      o('probability', 1, 'Random mode: chance between 0 and 1.', { invertible: true, syntax: 'p', excl: ['every', 'packet'], check: (a, e, n) => (/^\s*[+]?(\d+\.?\d*|\.\d+)$/.test(a) && Number(a) <= 1 ? null : `${e}: bad value for option "--${n}", or out of range (0-1).`) }),
      o('every', 1, 'Nth mode: match one packet in n.', { invertible: true, syntax: 'n', check: uint(1, 0xffffffff), excl: ['probability'] }),
      o('packet', 1, 'Nth mode: which of the n (0 to n-1), starting count.', { syntax: 'p', check: uint(0, 0xffffffff), excl: ['probability'] }),
    ],
    final: (s) => {
      const mode = s.get('mode')?.[0] ?? 'random';
      if (mode === 'random' && !s.has('probability')) return '--probability must be specified when using random mode';
      if (mode === 'nth' && !s.has('every')) return '--every must be specified when using nth mode';
      const every = num(s.get('every')?.[0] ?? '');
      const packet = num(s.get('packet')?.[0] ?? '0');
      if (every !== null && packet !== null && packet > every - 1) return 'the --packet p must be 0 <= p <= n-1';
      return null;
    },
  },
  {
    name: 'limit', kind: 'match', doc: 'Token bucket: matches at most the given rate, with bursts.',
    options: [
      o('limit', 1, 'Average rate, `N/second|minute|hour|day` (default 3/hour).', { syntax: 'rate[/unit]', check: checkRate }),
      o('limit-burst', 1, 'Bucket size: packets matched at once before the rate applies (default 5).', { syntax: 'number', check: uint(0, 10000) }),
    ],
  },
  {
    name: 'recent', kind: 'match', doc: 'A list of recently seen addresses: add to it, test it, update it, remove from it.',
    options: [
      o('name', 1, 'The list (default DEFAULT).', { syntax: 'name' }),
      o('set', 0, 'Add the address to the list; always matches.', { invertible: true, excl: ['rcheck', 'update', 'remove'] }),
      o('rcheck', 0, 'Is the address in the list?', { invertible: true, excl: ['set', 'update', 'remove'] }),
      o('update', 0, 'Like --rcheck, and refresh the last-seen time.', { invertible: true, excl: ['set', 'rcheck', 'remove'] }),
      o('remove', 0, 'Remove the address if present; matches if it was.', { invertible: true, excl: ['set', 'rcheck', 'update'] }),
      o('seconds', 1, 'With --rcheck/--update: seen within this many seconds.', { syntax: 'seconds', check: uint(0, 0xffffffff) }),
      o('reap', 0, 'With --seconds: drop older entries.'),
      o('hitcount', 1, 'With --rcheck/--update: seen at least this many times.', { syntax: 'hits', check: uint(0, 0xffffffff) }),
      o('rttl', 0, 'Also compare the TTL with the one recorded.'),
      o('rsource', 0, 'Record the source address (default).'),
      o('rdest', 0, 'Record the destination address.'),
      o('mask', 1, 'Netmask applied to the address.', { syntax: 'netmask' }),
    ],
    final: (s) => (['set', 'rcheck', 'update', 'remove'].some((k) => s.has(k)) ? null : "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'"),
  },
  {
    name: 'set', kind: 'match', doc: 'Membership in an ipset (the set must exist when the rule is loaded).',
    options: [
      o('match-set', 2, 'Set name and comma list of src/dst for each dimension.', { invertible: true, syntax: 'name src|dst[,...]', repeatable: true }),
      o('return-nomatch', 0, 'Match when the set says nomatch.'),
      o(['update-counters'], 0, 'Update the set element counters (default).'),
      o('update-subcounters', 0, 'Update counters of sub-set elements.'),
      o('no-update-counters', 0, 'Leave the counters alone.'),
      o('no-update-subcounters', 0, 'Leave sub-set counters alone.'),
      o('packets-eq', 1, 'Element packet counter equals.', { invertible: true }),
      o('packets-lt', 1, 'Element packet counter below.'),
      o('packets-gt', 1, 'Element packet counter above.'),
      o('bytes-eq', 1, 'Element byte counter equals.', { invertible: true }),
      o('bytes-lt', 1, 'Element byte counter below.'),
      o('bytes-gt', 1, 'Element byte counter above.'),
      o('set', 2, 'Old name of --match-set.', { invertible: true, repeatable: true }),
    ],
    final: (s) => (s.has('match-set') || s.has('set') ? null : "You must specify `--match-set' with proper arguments"),
  },
  {
    name: 'iprange', kind: 'match', doc: 'Address in a range `from-to` (numeric addresses only).',
    options: [
      o('src-range', 1, 'Source address in the range.', { invertible: true, syntax: 'from[-to]', check: checkIpRange }),
      o('dst-range', 1, 'Destination address in the range.', { invertible: true, syntax: 'from[-to]', check: checkIpRange }),
    ],
    final: (s) => (s.size ? null : "iprange match: You must specify `--src-range' or `--dst-range'"),
  },
  {
    name: 'mac', kind: 'match', doc: 'Source MAC address (PREROUTING, INPUT and FORWARD only).',
    hooks: ['PREROUTING', 'INPUT', 'FORWARD'],
    options: [o('mac-source', 1, 'Six hex bytes, colon-separated: `XX:XX:XX:XX:XX:XX`.', { invertible: true, syntax: 'xx:xx:xx:xx:xx:xx', check: checkMac, mandatory: true })],
  },
  {
    name: 'owner', kind: 'match', doc: 'The local socket that sent the packet: user, group (OUTPUT and POSTROUTING only).',
    hooks: ['OUTPUT', 'POSTROUTING'],
    options: [
      o('uid-owner', 1, 'User name, uid or uid range.', { invertible: true, syntax: 'user|uid[-uid]', check: checkOwnerRange }),
      o('gid-owner', 1, 'Group name, gid or gid range.', { invertible: true, syntax: 'group|gid[-gid]', check: checkOwnerRange }),
      o('suppl-groups', 0, 'With --gid-owner: also the supplementary groups.'),
      o('socket-exists', 0, 'The packet has a socket.', { invertible: true }),
    ],
    final: (s) => (s.has('uid-owner') || s.has('gid-owner') || s.has('socket-exists') ? null : 'owner: At least one of --uid-owner, --gid-owner or --socket-exists is required'),
  },
  {
    name: 'physdev', kind: 'match', doc: 'Bridge ports a bridged packet came in or goes out on.',
    options: [
      o('physdev-in', 1, 'Bridge port it came in on (`+` wildcard).', { invertible: true, syntax: 'name' }),
      o('physdev-out', 1, 'Bridge port it goes out on.', { invertible: true, syntax: 'name' }),
      o('physdev-is-in', 0, 'Came in on a bridge port.', { invertible: true }),
      o('physdev-is-out', 0, 'Goes out on a bridge port.', { invertible: true }),
      o('physdev-is-bridged', 0, 'Is being bridged.', { invertible: true }),
    ],
    final: (s) => (s.size ? null : 'PHYSDEV: no physdev option specified'),
  },
  {
    name: 'string', kind: 'match', doc: 'A byte string in the packet, searched with Boyer-Moore (bm) or Knuth-Pratt-Morris (kmp).',
    options: [
      o('algo', 1, 'Search algorithm: bm or kmp.', { syntax: 'bm|kmp' }),
      o('from', 1, 'Offset to start searching at.', { syntax: 'offset', check: uint(0, 65535) }),
      o('to', 1, 'Offset to stop searching at.', { syntax: 'offset', check: uint(0, 65535) }),
      o('string', 1, 'The text to find (up to 128 bytes).', { invertible: true, syntax: 'text', check: (a) => (new TextEncoder().encode(a).length > 128 ? `STRING too long "${a}"` : null) }),
      o('hex-string', 1, 'Bytes to find, hex between pipes: `|0d 0a|`.', { invertible: true, syntax: 'text|hex|' }),
      o('icase', 0, 'Ignore case.'),
    ],
    final: (s) => (!s.has('string') && !s.has('hex-string') ? "STRING match: You must specify `--string' or `--hex-string'" : !s.has('algo') ? 'string: option "--algo" must be specified' : null),
  },
  {
    name: 'length', kind: 'match', doc: 'Layer-3 packet length, or a range `a:b`.',
    options: [o('length', 1, 'Length or range in bytes.', { invertible: true, syntax: 'length[:length]', check: uintRange(65535), mandatory: true })],
  },
  {
    name: 'pkttype', kind: 'match', doc: 'Link-layer packet type: unicast, broadcast, multicast.',
    options: [o('pkt-type', 1, 'unicast, broadcast, multicast (also host, otherhost, outgoing, loopback).', { invertible: true, syntax: 'type', check: oneOf(PKT_TYPES, (v) => `Bad packet type '${v}'`, { caseless: true }), mandatory: true })],
  },
  {
    name: 'socket', kind: 'match', doc: 'An open socket exists for the packet (PREROUTING and INPUT only).',
    hooks: ['PREROUTING', 'INPUT'],
    options: [
      o('transparent', 0, 'Only transparent sockets.'),
      o('nowildcard', 0, 'Do not match sockets bound to 0.0.0.0.'),
      o('restore-skmark', 0, 'Set the packet mark from the socket mark.'),
    ],
  },
  {
    name: 'u32', kind: 'match', doc: 'Tests on 32-bit words fetched from the packet (a small expression language).',
    options: [o('u32', 1, 'Tests such as `0>>22&0x3C@12>>26&0x3C@0=0x47455420`.', { invertible: true, syntax: 'tests', mandatory: true, check: checkU32 })],
  },
  {
    name: 'hashlimit', kind: 'match', doc: 'Per-address (or per-port) rate limits, one bucket per hash entry.',
    options: [
      o('hashlimit-upto', 1, 'Match while the rate is at most this.', { invertible: true, syntax: 'rate[/unit]', excl: ['hashlimit-above'], check: checkHashlimitRate }),
      o('hashlimit-above', 1, 'Match once the rate exceeds this.', { invertible: true, syntax: 'rate[/unit]', excl: ['hashlimit-upto'], check: checkHashlimitRate }),
      o('hashlimit', 1, 'Old name of --hashlimit-upto.', { syntax: 'rate[/unit]', check: checkHashlimitRate }),
      o('hashlimit-burst', 1, 'Bucket size.', { syntax: 'number' }),
      o('hashlimit-mode', 1, 'What a bucket is per: comma list of srcip srcport dstip dstport.', { syntax: 'mode[,mode]...', check: (a, e, n) => (a.split(',').every((m) => ['srcip', 'srcport', 'dstip', 'dstport'].includes(m)) ? null : `${e}: Bad value for "--${n}" option: "${a}"`) }),
      o('hashlimit-srcmask', 1, 'Prefix length applied to source addresses.', { syntax: 'prefix' }),
      o('hashlimit-dstmask', 1, 'Prefix length applied to destination addresses.', { syntax: 'prefix' }),
      o('hashlimit-name', 1, 'Name of the hash table (/proc/net/ipt_hashlimit/NAME).', { syntax: 'name' }),
      o('hashlimit-htable-size', 1, 'Buckets of the hash table.', { syntax: 'number' }),
      o('hashlimit-htable-max', 1, 'Most entries.', { syntax: 'number' }),
      o('hashlimit-htable-expire', 1, 'Milliseconds an idle entry lives.', { syntax: 'ms' }),
      o('hashlimit-htable-gcinterval', 1, 'Milliseconds between garbage collections.', { syntax: 'ms' }),
      o('hashlimit-rate-match', 0, 'Match on the measured rate instead of limiting.'),
      o('hashlimit-rate-interval', 1, 'Seconds between rate samples.', { syntax: 'seconds' }),
    ],
    final: (s) => (!s.has('hashlimit-upto') && !s.has('hashlimit-above') && !s.has('hashlimit') ? 'You have to specify --hashlimit' : !s.has('hashlimit-name') ? 'hashlimit: option "--hashlimit-name" must be specified' : null),
  },
  {
    name: 'connlimit', kind: 'match', doc: 'Number of connections per address or network.',
    options: [
      o('connlimit-upto', 1, 'Match while there are at most n connections.', { syntax: 'n', check: uint(0, 0xffffffff), excl: ['connlimit-above'] }),
      o('connlimit-above', 1, 'Match once there are more than n.', { invertible: true, syntax: 'n', check: uint(0, 0xffffffff), excl: ['connlimit-upto'] }),
      o('connlimit-mask', 1, 'Group addresses by this prefix length.', { syntax: 'prefix' }),
      o('connlimit-saddr', 0, 'Count per source address (default).'),
      o('connlimit-daddr', 0, 'Count per destination address.'),
    ],
    final: (s) => (s.has('connlimit-upto') || s.has('connlimit-above') ? null : 'You must specify "--connlimit-above" or "--connlimit-upto".'),
  },
  {
    name: 'rt', kind: 'match', family: 6, doc: 'IPv6 routing header: type, segments left, length, addresses (ip6tables).',
    options: [
      o('rt-type', 1, 'Routing header type.', { invertible: true, syntax: 'type' }),
      o('rt-segsleft', 1, 'Segments left, or a range.', { invertible: true, syntax: 'num[:num]' }),
      o('rt-len', 1, 'Header length.', { invertible: true, syntax: 'length' }),
      o('rt-0-res', 0, 'Type 0: reserved field.'),
      o('rt-0-addrs', 1, 'Type 0: comma list of addresses.', { syntax: 'addr[,addr]...' }),
      o('rt-0-not-strict', 0, 'Type 0: the list need not be complete.'),
    ],
  },
  // ---- targets
  { name: 'ACCEPT', kind: 'target', doc: 'Let the packet through this hook (built-in verdict).', options: [] },
  { name: 'DROP', kind: 'target', doc: 'Discard the packet silently (built-in verdict; not in the nat table).', tables: ['filter', 'mangle', 'raw', 'security'], options: [] },
  { name: 'RETURN', kind: 'target', doc: 'Leave this chain: back to the calling chain, or the policy in a built-in chain.', options: [] },
  {
    name: 'REJECT', kind: 'target', doc: 'Discard the packet and answer with an ICMP error or a TCP reset (filter table, INPUT, FORWARD, OUTPUT only).',
    tables: ['filter', 'security'], hooks: ['INPUT', 'FORWARD', 'OUTPUT'],
    options: [o('reject-with', 1, 'The answer: icmp-port-unreachable (default), icmp-host-prohibited, tcp-reset (needs -p tcp), ...', { syntax: 'type', check: oneOf([...REJECT4, ...REJECT6], (v) => `unknown reject type "${v}"`) })],
  },
  {
    name: 'LOG', kind: 'target', doc: 'Log the packet to the kernel log and continue with the next rule.',
    options: [
      o('log-level', 1, 'Syslog level, name or 0-7 (default warning).', { syntax: 'level', check: oneOf(LOG_LEVELS, (v) => `log level "${v}" unknown`) }),
      o('log-prefix', 1, 'Text before the message (up to 29 characters).', { syntax: 'prefix' }),
      o('log-tcp-sequence', 0, 'Log TCP sequence numbers.'),
      o('log-tcp-options', 0, 'Log TCP options.'),
      o('log-ip-options', 0, 'Log IP options.'),
      o('log-uid', 0, 'Log the user id of the sending process.'),
      o('log-macdecode', 0, 'Decode the MAC header.'),
    ],
  },
  {
    name: 'NFLOG', kind: 'target', doc: 'Send the packet to a userspace logger (ulogd) over netlink; continues with the next rule.',
    options: [
      o('nflog-group', 1, 'Netlink group 0-65535.', { syntax: 'group', check: uint(0, 65535) }),
      o('nflog-prefix', 1, 'Prefix (up to 63 characters).', { syntax: 'prefix' }),
      o('nflog-range', 1, 'Bytes to copy (deprecated; use --nflog-size).', { syntax: 'size' }),
      o('nflog-size', 1, 'Bytes of the packet to copy.', { syntax: 'size' }),
      o('nflog-threshold', 1, 'Packets to queue before sending.', { syntax: 'n' }),
    ],
  },
  {
    name: 'MARK', kind: 'target', doc: 'Set the packet mark (nfmark): `nfmark = (nfmark & ~mask) ^ value`.',
    options: ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'].map((n) => o(n, 1, `Mark operation --${n}.`, { syntax: n.endsWith('x') || n.startsWith('set') ? 'value[/mask]' : 'bits' })),
  },
  {
    name: 'CONNMARK', kind: 'target', doc: 'Set the connection mark (ctmark), or copy between nfmark and ctmark.',
    options: [
      ...['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'].map((n) => o(n, 1, `ctmark operation --${n}.`, { syntax: 'value[/mask]' })),
      o('save-mark', 0, 'Copy nfmark to ctmark (with --nfmask/--ctmask).'),
      o('restore-mark', 0, 'Copy ctmark to nfmark (with --nfmask/--ctmask).'),
      o('nfmask', 1, 'Bits of nfmark taking part.', { syntax: 'mask' }),
      o('ctmask', 1, 'Bits of ctmark taking part.', { syntax: 'mask' }),
      o('mask', 1, 'Sets both --nfmask and --ctmask.', { syntax: 'mask' }),
      o('left-shift-mark', 1, 'Shift left by this many bits.', { syntax: 'bits' }),
      o('right-shift-mark', 1, 'Shift right by this many bits.', { syntax: 'bits' }),
    ],
  },
  {
    name: 'DNAT', kind: 'target', doc: 'Rewrite the destination address (and port) of a new connection (nat PREROUTING and OUTPUT only).',
    tables: ['nat'], hooks: ['PREROUTING', 'OUTPUT'],
    options: [
      o('to-destination', 1, 'New destination: `addr[-addr][:port[-port]]` (ports need -p tcp/udp/sctp/dccp).', { syntax: '[addr[-addr]][:port[-port]]', check: natRange(false) }),
      o('random', 0, 'Randomize the port mapping.'),
      o('persistent', 0, 'Same address for a client across connections.'),
      o('random-fully', 0, 'Fully randomize the port mapping.'),
    ],
    final: (s) => (!s.has('to-destination') ? 'DNAT: option "--to-destination" must be specified' : null),
  },
  {
    name: 'SNAT', kind: 'target', doc: 'Rewrite the source address (and port) of a new connection (nat POSTROUTING and INPUT only).',
    tables: ['nat'], hooks: ['POSTROUTING', 'INPUT'],
    options: [
      o('to-source', 1, 'New source: `addr[-addr][:port[-port]]`.', { syntax: '[addr[-addr]][:port[-port]]', check: natRange(false) }),
      o('random', 0, 'Randomize the port mapping.'),
      o('random-fully', 0, 'Fully randomize the port mapping.'),
      o('persistent', 0, 'Same address for a client across connections.'),
    ],
    final: (s) => (!s.has('to-source') ? 'SNAT: option "--to-source" must be specified' : null),
  },
  {
    name: 'MASQUERADE', kind: 'target', doc: "SNAT to the outgoing interface's address, forgotten when the interface goes down (nat POSTROUTING only).",
    tables: ['nat'], hooks: ['POSTROUTING'],
    options: [
      o('to-ports', 1, 'Source port or range (needs -p tcp/udp/sctp/dccp).', { syntax: 'port[-port]', check: checkNatPorts }),
      o('random', 0, 'Randomize the port mapping.'),
      o('random-fully', 0, 'Fully randomize the port mapping.'),
    ],
  },
  {
    name: 'REDIRECT', kind: 'target', doc: 'DNAT to the local machine (nat PREROUTING and OUTPUT only).',
    tables: ['nat'], hooks: ['PREROUTING', 'OUTPUT'],
    options: [o('to-ports', 1, 'Local port or range (needs -p tcp/udp/sctp/dccp).', { syntax: 'port[-port]', check: checkNatPorts }), o('random', 0, 'Randomize the port mapping.')],
  },
  {
    name: 'TPROXY', kind: 'target', doc: 'Hand the packet to a local transparent socket without rewriting it (mangle PREROUTING, -p tcp or udp).',
    tables: ['mangle'], hooks: ['PREROUTING'],
    options: [
      o('on-port', 1, 'Local port of the proxy.', { syntax: 'port' }),
      o('on-ip', 1, 'Local address of the proxy.', { syntax: 'address' }),
      o('tproxy-mark', 1, 'Mark to set: `nfmark = (nfmark & ~mask) ^ value`.', { syntax: 'value[/mask]' }),
    ],
  },
  {
    name: 'CT', kind: 'target', doc: 'Connection tracking settings for the packet: no tracking, helper, zone, timeout policy (raw table only).',
    tables: ['raw'],
    options: [
      o('notrack', 0, 'Do not track the packet.'),
      o('helper', 1, 'Helper to attach (ftp, sip, ...).', { syntax: 'name' }),
      o('ctevents', 1, 'Comma list of conntrack events to generate.', { syntax: 'event[,event]...' }),
      o('expevents', 1, 'Expectation events to generate.', { syntax: 'event[,event]...' }),
      o('zone', 1, 'Conntrack zone 0-65535 (or `mark`).', { syntax: 'id|mark', check: (a) => (/^(mark)$/.test(a) || num(a, 65535) !== null ? null : `Cannot parse ${a} as a zone ID`) }),
      o('zone-orig', 1, 'Zone for the original direction.', { syntax: 'id|mark' }),
      o('zone-reply', 1, 'Zone for the reply direction.', { syntax: 'id|mark' }),
      o('timeout', 1, 'Timeout policy name (made with nfct).', { syntax: 'name' }),
    ],
  },
  { name: 'NOTRACK', kind: 'target', doc: 'Do not track the packet (raw table only; same as `-j CT --notrack`).', tables: ['raw'], options: [] },
  {
    name: 'TCPMSS', kind: 'target', doc: 'Change the MSS option of TCP SYN packets (needs -p tcp and a SYN flag test).',
    options: [
      o('set-mss', 1, 'Set the MSS to this value.', { syntax: 'value', excl: ['clamp-mss-to-pmtu'] }),
      o('clamp-mss-to-pmtu', 0, 'Clamp the MSS to the path MTU minus 40 (FORWARD, OUTPUT, POSTROUTING only).', { excl: ['set-mss'] }),
    ],
  },
  {
    name: 'CLASSIFY', kind: 'target', doc: 'Put the packet in a traffic-control class (OUTPUT, FORWARD, POSTROUTING).',
    hooks: ['OUTPUT', 'FORWARD', 'POSTROUTING'],
    options: [o('set-class', 1, 'Class `major:minor` in hex.', { syntax: 'major:minor', mandatory: true, check: (a) => {
      const m = /^([0-9A-Fa-f]{1,8}):([0-9A-Fa-f]{1,8})/.exec(a);
      return m && parseInt(m[1], 16) <= 0xffff && parseInt(m[2], 16) <= 0xffff ? null : `Bad class value "${a}"`;
    } })],
  },
  { name: 'CHECKSUM', kind: 'target', doc: 'Fill in a missing checksum (mangle table; for old DHCP clients).', tables: ['mangle'], options: [o('checksum-fill', 0, 'Compute the checksum now.')] },
  {
    name: 'SECMARK', kind: 'target', doc: 'Set the SELinux security mark of the packet (mangle or security table).',
    tables: ['mangle', 'security'],
    options: [o('selctx', 1, 'Security context.', { syntax: 'context' })],
  },
  {
    name: 'CONNSECMARK', kind: 'target', doc: 'Copy the security mark between packet and connection (mangle or security table).',
    tables: ['mangle', 'security'],
    options: [o('save', 0, 'Packet to connection.', { excl: ['restore'] }), o('restore', 0, 'Connection to packet.', { excl: ['save'] })],
  },
  { name: 'TRACE', kind: 'target', doc: 'Trace the packet through the rules (see `xtables-monitor --trace`).', options: [] },
  {
    name: 'AUDIT', kind: 'target', doc: 'Write an audit record for the packet.',
    options: [o('type', 1, 'accept, drop or reject.', { syntax: 'accept|drop|reject', check: oneOf(['accept', 'drop', 'reject'], (v) => `Bad action type value "${v}"`), mandatory: true })],
  },
  {
    name: 'HMARK', kind: 'target', doc: 'Set the packet mark from a hash of addresses, ports and protocol (load balancing).',
    options: [
      o('hmark-tuple', 1, 'Comma list of src dst sport dport spi proto, or ct.', { syntax: 'field[,field]...', check: (a) => {
        const bad = hmarkBadField(a);
        return bad === null ? null : `Bad type "${bad}"`;
      } }),
      o('hmark-src-prefix', 1, 'Source prefix length hashed.', { syntax: 'length' }),
      o('hmark-dst-prefix', 1, 'Destination prefix length hashed.', { syntax: 'length' }),
      o('hmark-sport-mask', 1, 'Source port mask.', { syntax: 'mask', check: uint(0, 65535) }),
      o('hmark-dport-mask', 1, 'Destination port mask.', { syntax: 'mask', check: uint(0, 65535) }),
      o('hmark-spi-mask', 1, 'SPI mask.', { syntax: 'mask', check: uint(0, 0xffffffff) }),
      o('hmark-proto-mask', 1, 'Protocol mask.', { syntax: 'mask' }),
      o('hmark-rnd', 1, 'Random seed (mandatory).', { syntax: 'value', check: uint(0, 0xffffffff) }),
      o('hmark-mod', 1, 'Modulus (mandatory).', { syntax: 'value', check: uint(1, 0xffffffff) }),
      o('hmark-offset', 1, 'Offset added to the result.', { syntax: 'value', check: uint(0, 0xffffffff) }),
    ],
    final: (s) => {
      if (!s.has('hmark-mod')) return '--hmark-mod is mandatory';
      if (!s.has('hmark-rnd')) return '--hmark-rnd is mandatory';
      // a field counts when the tuple names it or its prefix/mask option is given
      const tuple = hmarkFields((s.get('hmark-tuple') ?? []).join(',')) ?? [];
      const has = (f: string) => tuple.includes(f) || s.has(`hmark-${f}-mask`) || s.has(`hmark-${f}-prefix`);
      if (!['src', 'dst', 'sport', 'dport', 'spi', 'proto', 'ct'].some(has)) return 'you have to specify --hmark-tuple at least';
      if (has('spi') && (has('sport') || has('dport'))) return 'you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time';
      return null;
    },
  },
  {
    name: 'NETMAP', kind: 'target', doc: 'Map a whole network onto another, one to one (nat table).',
    tables: ['nat'],
    options: [o('to', 1, 'The network to map to: `address/prefix`.', { syntax: 'address[/mask]', mandatory: true })],
  },
];

const MATCHES = new Map<string, ExtSpec>();
const TARGETS = new Map<string, ExtSpec>();
const OPTION_INDEX = new Map<ExtSpec, Map<string, ExtOption>>();
for (const e of EXTENSIONS) {
  (e.kind === 'match' ? MATCHES : TARGETS).set(e.name, e);
  const m = new Map<string, ExtOption>();
  for (const x of e.options) for (const n of x.names) m.set(n, x);
  OPTION_INDEX.set(e, m);
}
// -p icmpv6 and -p ipv6-icmp load icmp6
const PROTO_MATCH: Record<string, string> = { tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', icmp: 'icmp', '1': 'icmp', icmpv6: 'icmp6', 'ipv6-icmp': 'icmp6', '58': 'icmp6' };

/** The spec of a match (`-m name`) or target (`-j NAME`), if this project models it. */
export function extensionSpec(kind: 'match' | 'target', name: string): ExtSpec | undefined {
  return (kind === 'match' ? MATCHES : TARGETS).get(name);
}

/** The match `-p proto` loads implicitly, if modelled (`tcp` for `-p 6`). */
export function protocolMatch(proto: string): string | undefined {
  return PROTO_MATCH[proto.toLowerCase()];
}

/** The option of a spec that has this exact long name. */
export function findExtOption(spec: ExtSpec, name: string): ExtOption | undefined {
  // the parser asks the same question two or three times in a row for one option
  if (spec === lastSpec && name === lastName) return lastOption;
  lastSpec = spec;
  lastName = name;
  return (lastOption = OPTION_INDEX.get(spec)!.get(name));
}
let lastSpec: ExtSpec | undefined;
let lastName = '';
let lastOption: ExtOption | undefined;

/**
 * What the final checks of a spec need, worked out once: the options that exclude others,
 * each with the options it excludes in the spec's order, and the mandatory options in order.
 */
export interface SpecPlan {
  excl: { name: string; others: ExtOption[] }[];
  mandatory: ExtOption[];
}
const PLANS = new Map<ExtSpec, SpecPlan>();
for (const e of EXTENSIONS) {
  PLANS.set(e, {
    excl: e.options.filter((x) => x.excl).map((x) => ({ name: x.names[0], others: e.options.filter((y) => x.excl!.includes(y.names[0])) })),
    mandatory: e.options.filter((x) => x.mandatory),
  });
}
/** The plan of a modelled spec (computed on demand for a spec built elsewhere). */
export function specPlan(spec: ExtSpec): SpecPlan {
  let p = PLANS.get(spec);
  if (!p) {
    p = {
      excl: spec.options.filter((x) => x.excl).map((x) => ({ name: x.names[0], others: spec.options.filter((y) => x.excl!.includes(y.names[0])) })),
      mandatory: spec.options.filter((x) => x.mandatory),
    };
    PLANS.set(spec, p);
  }
  return p;
}

/** Every long option name of a spec. */
export const extOptionNames = (spec: ExtSpec): string[] => spec.options.flatMap((x) => x.names);

export const NAT_PORT_PROTOS = PORT_PROTOS;
