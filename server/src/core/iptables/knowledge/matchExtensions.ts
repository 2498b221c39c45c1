/** The match extensions as data (see extensions.ts). */
import { protocolProblem } from './protocols';
import {
  num,
  checkPortRange,
  checkUdpPortRange,
  checkPortList,
  uint,
  uintRange,
  oneOf,
  checkMac,
  checkIpRange,
  checkU32,
  checkOwnerRange,
  checkHashlimitRate,
  checkRate,
  checkTcpFlags,
  icmpType,
} from './valueChecks';
import { ICMP_TYPES, ICMP6_TYPES, CT_STATES, STATES, CT_STATUS, PKT_TYPES } from './valueSets';
import { ADDR_TYPES } from '../../common/kernelNames';
import { ExtSpec, o, PORT_PROTOS } from './extensionModel';

export const MATCH_EXTENSIONS: ExtSpec[] = [
  {
    name: 'tcp',
    kind: 'match',
    doc: 'TCP header fields: ports, flags, options. Loaded by `-p tcp` on the first option it owns.',
    proto: { names: ['tcp', '6'], message: "TCP match requires '-p tcp'" },
    options: [
      o(['source-port', 'sport'], 1, 'Source port or range `a:b` (either end may be left out).', {
        invertible: true,
        syntax: 'port[:port]',
        check: checkPortRange,
        twice: "Only one `--source-port' allowed",
      }),
      o(['destination-port', 'dport'], 1, 'Destination port or range `a:b`.', {
        invertible: true,
        syntax: 'port[:port]',
        check: checkPortRange,
        twice: "Only one `--destination-port' allowed",
      }),
      o('syn', 0, 'Only connection openings: SYN set, ACK, RST and FIN clear (same as `--tcp-flags SYN,RST,ACK,FIN SYN`).', {
        invertible: true,
        excl: ['tcp-flags'],
      }),
      o('tcp-flags', 2, 'Of the flags in the first list, exactly those in the second are set (SYN ACK FIN RST URG PSH ALL NONE).', {
        invertible: true,
        syntax: 'mask comp',
        check: checkTcpFlags,
        excl: ['syn'],
      }),
      o('tcp-option', 1, 'The packet carries this TCP option number (1-255).', {
        invertible: true,
        syntax: 'number',
        check: (a) => ((num(a, 255) ?? 0) < 1 ? `Bad TCP option "${a}"` : null),
      }),
    ],
  },
  {
    name: 'udp',
    kind: 'match',
    doc: 'UDP ports. Loaded by `-p udp` on the first option it owns.',
    proto: { names: ['udp', '17'], message: "UDP match requires '-p udp'" },
    options: [
      o(['source-port', 'sport'], 1, 'Source port or range `a:b`.', {
        invertible: true,
        syntax: 'port[:port]',
        check: checkUdpPortRange,
        twice: "Only one `--source-port' allowed",
      }),
      o(['destination-port', 'dport'], 1, 'Destination port or range `a:b`.', {
        invertible: true,
        syntax: 'port[:port]',
        check: checkUdpPortRange,
        twice: "Only one `--destination-port' allowed",
      }),
    ],
  },
  {
    name: 'icmp',
    kind: 'match',
    family: 4,
    doc: 'ICMP type and code. Loaded by `-p icmp`.',
    options: [
      o('icmp-type', 1, 'ICMP type by name (`echo-request`), number, or `type/code`; `any` matches all.', {
        invertible: true,
        syntax: 'type[/code]',
        check: icmpType(ICMP_TYPES, 'ICMP'),
        mandatory: true,
      }),
    ],
  },
  {
    name: 'icmp6',
    kind: 'match',
    family: 6,
    doc: 'ICMPv6 type and code (ip6tables). Loaded by `-p icmpv6`.',
    options: [
      o('icmpv6-type', 1, 'ICMPv6 type by name, number, or `type/code`.', {
        invertible: true,
        syntax: 'type[/code]',
        check: icmpType(ICMP6_TYPES, 'ICMPv6'),
        mandatory: true,
      }),
    ],
  },
  {
    name: 'multiport',
    kind: 'match',
    doc: 'Up to 15 ports at once (a range counts as two).',
    proto: { names: PORT_PROTOS, message: "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'" },
    options: [
      o(['source-ports', 'sports'], 1, 'Source port is one of the list.', {
        invertible: true,
        syntax: 'port[,port|,port:port]...',
        check: checkPortList,
        excl: ['destination-ports', 'ports'],
      }),
      o(['destination-ports', 'dports'], 1, 'Destination port is one of the list.', {
        invertible: true,
        syntax: 'port[,port|,port:port]...',
        check: checkPortList,
        excl: ['source-ports', 'ports'],
      }),
      o('ports', 1, 'Source or destination port is one of the list.', {
        invertible: true,
        syntax: 'port[,port|,port:port]...',
        check: checkPortList,
        excl: ['source-ports', 'destination-ports'],
      }),
    ],
    final: (s) => (s.size ? null : 'multiport expection an option'),
  },
  {
    name: 'comment',
    kind: 'match',
    doc: 'A note kept with the rule (up to 255 characters); matches every packet.',
    options: [o('comment', 1, 'The comment text.', { syntax: 'text', mandatory: true })],
  },
  {
    name: 'conntrack',
    kind: 'match',
    doc: 'Connection tracking state, status, original and reply tuples.',
    options: [
      o('ctstate', 1, 'Comma list of INVALID NEW ESTABLISHED RELATED UNTRACKED SNAT DNAT.', {
        invertible: true,
        syntax: 'state[,state]...',
        check: oneOf(CT_STATES, (v) => `Bad ctstate "${v}"`, { list: true, caseless: true }),
      }),
      o('ctproto', 1, 'Layer-4 protocol of the connection, name or number.', { invertible: true, syntax: 'proto', check: (v) => protocolProblem(v) }),
      o('ctorigsrc', 1, 'Original source address[/mask].', { invertible: true, syntax: 'address[/mask]' }),
      o('ctorigdst', 1, 'Original destination address[/mask].', { invertible: true, syntax: 'address[/mask]' }),
      o('ctreplsrc', 1, 'Reply source address[/mask].', { invertible: true, syntax: 'address[/mask]' }),
      o('ctrepldst', 1, 'Reply destination address[/mask].', { invertible: true, syntax: 'address[/mask]' }),
      o('ctorigsrcport', 1, 'Original source port or range.', { invertible: true, syntax: 'port[:port]' }),
      o('ctorigdstport', 1, 'Original destination port or range.', { invertible: true, syntax: 'port[:port]' }),
      o('ctreplsrcport', 1, 'Reply source port or range.', { invertible: true, syntax: 'port[:port]' }),
      o('ctrepldstport', 1, 'Reply destination port or range.', { invertible: true, syntax: 'port[:port]' }),
      o('ctstatus', 1, 'Comma list of NONE EXPECTED SEEN_REPLY ASSURED CONFIRMED.', {
        invertible: true,
        syntax: 'status[,status]...',
        check: oneOf(CT_STATUS, (v) => `Bad ctstatus "${v}"`, { list: true, caseless: true }),
      }),
      o('ctexpire', 1, 'Remaining lifetime in seconds, or a range `a:b`.', { invertible: true, syntax: 'seconds[:seconds]', check: uintRange(0xffffffff) }),
      o('ctdir', 1, 'Only packets of the ORIGINAL or the REPLY direction.', {
        syntax: 'ORIGINAL|REPLY',
        check: oneOf(['ORIGINAL', 'REPLY'], (v) => `conntrack: Bad value for "--ctdir" option: "${v}"`, { caseless: true }),
      }),
    ],
    final: (s) => (s.size ? null : 'conntrack: At least one option is required'),
  },
  {
    name: 'state',
    kind: 'match',
    doc: 'Connection tracking state (the older form of `-m conntrack --ctstate`).',
    options: [
      o('state', 1, 'Comma list of INVALID NEW ESTABLISHED RELATED UNTRACKED.', {
        invertible: true,
        syntax: 'state[,state]...',
        check: oneOf(STATES, (v) => `Bad state "${v}"`, { list: true, caseless: true }),
        mandatory: true,
      }),
    ],
  },
  {
    name: 'mark',
    kind: 'match',
    doc: 'Tests the packet mark (nfmark): `(nfmark & mask) == value`.',
    options: [o('mark', 1, 'The value and optional mask to compare with.', { invertible: true, syntax: 'value[/mask]' })],
  },
  {
    name: 'connmark',
    kind: 'match',
    doc: 'Tests the connection mark (ctmark): `(ctmark & mask) == value`.',
    options: [o('mark', 1, 'The value and optional mask to compare with.', { invertible: true, syntax: 'value[/mask]' })],
  },
  {
    name: 'addrtype',
    kind: 'match',
    doc: 'The routing type of the source or destination address (LOCAL, UNICAST, BROADCAST, ...).',
    options: [
      o('src-type', 1, 'Comma list of address types of the source.', {
        invertible: true,
        syntax: 'type[,type]...',
        check: oneOf(ADDR_TYPES, (v) => `addrtype: bad type "${v}"`, { list: true, caseless: true }),
      }),
      o('dst-type', 1, 'Comma list of address types of the destination.', {
        invertible: true,
        syntax: 'type[,type]...',
        check: oneOf(ADDR_TYPES, (v) => `addrtype: bad type "${v}"`, { list: true, caseless: true }),
      }),
      o('limit-iface-in', 0, 'Look the type up for the incoming interface only (not in OUTPUT/POSTROUTING).', { excl: ['limit-iface-out'] }),
      o('limit-iface-out', 0, 'Look the type up for the outgoing interface only (not in PREROUTING/INPUT).', { excl: ['limit-iface-in'] }),
    ],
    final: (s) => (s.has('src-type') || s.has('dst-type') ? null : 'addrtype: you must specify --src-type or --dst-type'),
  },
  {
    name: 'statistic',
    kind: 'match',
    doc: 'Matches a random share of packets, or every nth.',
    options: [
      o('mode', 1, '`random` or `nth`.', { syntax: 'random|nth', check: oneOf(['random', 'nth'], (v) => `Bad mode "${v}"`) }),
      o('probability', 1, 'Random mode: chance between 0 and 1.', {
        invertible: true,
        syntax: 'p',
        excl: ['every', 'packet'],
        check: (a, e, n) => (/^\s*[+]?(\d+\.?\d*|\.\d+)$/.test(a) && Number(a) <= 1 ? null : `${e}: bad value for option "--${n}", or out of range (0-1).`),
      }),
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
    name: 'limit',
    kind: 'match',
    doc: 'Token bucket: matches at most the given rate, with bursts.',
    options: [
      o('limit', 1, 'Average rate, `N/second|minute|hour|day` (default 3/hour).', { syntax: 'rate[/unit]', check: checkRate }),
      o('limit-burst', 1, 'Bucket size: packets matched at once before the rate applies (default 5).', { syntax: 'number', check: uint(0, 10000) }),
    ],
  },
  {
    name: 'recent',
    kind: 'match',
    doc: 'A list of recently seen addresses: add to it, test it, update it, remove from it.',
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
    final: (s) =>
      ['set', 'rcheck', 'update', 'remove'].some((k) => s.has(k)) ? null : "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'",
  },
  {
    name: 'set',
    kind: 'match',
    doc: 'Membership in an ipset (the set must exist when the rule is loaded).',
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
    name: 'iprange',
    kind: 'match',
    doc: 'Address in a range `from-to` (numeric addresses only).',
    options: [
      o('src-range', 1, 'Source address in the range.', { invertible: true, syntax: 'from[-to]', check: checkIpRange }),
      o('dst-range', 1, 'Destination address in the range.', { invertible: true, syntax: 'from[-to]', check: checkIpRange }),
    ],
    final: (s) => (s.size ? null : "iprange match: You must specify `--src-range' or `--dst-range'"),
  },
  {
    name: 'mac',
    kind: 'match',
    doc: 'Source MAC address (PREROUTING, INPUT and FORWARD only).',
    hooks: ['PREROUTING', 'INPUT', 'FORWARD'],
    options: [
      o('mac-source', 1, 'Six hex bytes, colon-separated: `XX:XX:XX:XX:XX:XX`.', {
        invertible: true,
        syntax: 'xx:xx:xx:xx:xx:xx',
        check: checkMac,
        mandatory: true,
      }),
    ],
  },
  {
    name: 'owner',
    kind: 'match',
    doc: 'The local socket that sent the packet: user, group (OUTPUT and POSTROUTING only).',
    hooks: ['OUTPUT', 'POSTROUTING'],
    options: [
      o('uid-owner', 1, 'User name, uid or uid range.', { invertible: true, syntax: 'user|uid[-uid]', check: checkOwnerRange }),
      o('gid-owner', 1, 'Group name, gid or gid range.', { invertible: true, syntax: 'group|gid[-gid]', check: checkOwnerRange }),
      o('suppl-groups', 0, 'With --gid-owner: also the supplementary groups.'),
      o('socket-exists', 0, 'The packet has a socket.', { invertible: true }),
    ],
    final: (s) =>
      s.has('uid-owner') || s.has('gid-owner') || s.has('socket-exists')
        ? null
        : 'owner: At least one of --uid-owner, --gid-owner or --socket-exists is required',
  },
  {
    name: 'physdev',
    kind: 'match',
    doc: 'Bridge ports a bridged packet came in or goes out on.',
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
    name: 'string',
    kind: 'match',
    doc: 'A byte string in the packet, searched with Boyer-Moore (bm) or Knuth-Pratt-Morris (kmp).',
    options: [
      o('algo', 1, 'Search algorithm: bm or kmp.', { syntax: 'bm|kmp' }),
      o('from', 1, 'Offset to start searching at.', { syntax: 'offset', check: uint(0, 65535) }),
      o('to', 1, 'Offset to stop searching at.', { syntax: 'offset', check: uint(0, 65535) }),
      o('string', 1, 'The text to find (up to 128 bytes).', {
        invertible: true,
        syntax: 'text',
        check: (a) => (new TextEncoder().encode(a).length > 128 ? `STRING too long "${a}"` : null),
      }),
      o('hex-string', 1, 'Bytes to find, hex between pipes: `|0d 0a|`.', { invertible: true, syntax: 'text|hex|' }),
      o('icase', 0, 'Ignore case.'),
    ],
    final: (s) =>
      !s.has('string') && !s.has('hex-string')
        ? "STRING match: You must specify `--string' or `--hex-string'"
        : !s.has('algo')
          ? 'string: option "--algo" must be specified'
          : null,
  },
  {
    name: 'length',
    kind: 'match',
    doc: 'Layer-3 packet length, or a range `a:b`.',
    options: [o('length', 1, 'Length or range in bytes.', { invertible: true, syntax: 'length[:length]', check: uintRange(65535), mandatory: true })],
  },
  {
    name: 'pkttype',
    kind: 'match',
    doc: 'Link-layer packet type: unicast, broadcast, multicast.',
    options: [
      o('pkt-type', 1, 'unicast, broadcast, multicast (also host, otherhost, outgoing, loopback).', {
        invertible: true,
        syntax: 'type',
        check: oneOf(PKT_TYPES, (v) => `Bad packet type '${v}'`, { caseless: true }),
        mandatory: true,
      }),
    ],
  },
  {
    name: 'socket',
    kind: 'match',
    doc: 'An open socket exists for the packet (PREROUTING and INPUT only).',
    hooks: ['PREROUTING', 'INPUT'],
    options: [
      o('transparent', 0, 'Only transparent sockets.'),
      o('nowildcard', 0, 'Do not match sockets bound to 0.0.0.0.'),
      o('restore-skmark', 0, 'Set the packet mark from the socket mark.'),
    ],
  },
  {
    name: 'u32',
    kind: 'match',
    doc: 'Tests on 32-bit words fetched from the packet (a small expression language).',
    options: [o('u32', 1, 'Tests such as `0>>22&0x3C@12>>26&0x3C@0=0x47455420`.', { invertible: true, syntax: 'tests', mandatory: true, check: checkU32 })],
  },
  {
    name: 'hashlimit',
    kind: 'match',
    doc: 'Per-address (or per-port) rate limits, one bucket per hash entry.',
    options: [
      o('hashlimit-upto', 1, 'Match while the rate is at most this.', {
        invertible: true,
        syntax: 'rate[/unit]',
        excl: ['hashlimit-above'],
        check: checkHashlimitRate,
      }),
      o('hashlimit-above', 1, 'Match once the rate exceeds this.', {
        invertible: true,
        syntax: 'rate[/unit]',
        excl: ['hashlimit-upto'],
        check: checkHashlimitRate,
      }),
      o('hashlimit', 1, 'Old name of --hashlimit-upto.', { syntax: 'rate[/unit]', check: checkHashlimitRate }),
      o('hashlimit-burst', 1, 'Bucket size.', { syntax: 'number' }),
      o('hashlimit-mode', 1, 'What a bucket is per: comma list of srcip srcport dstip dstport.', {
        syntax: 'mode[,mode]...',
        check: (a, e, n) =>
          a.split(',').every((m) => ['srcip', 'srcport', 'dstip', 'dstport'].includes(m)) ? null : `${e}: Bad value for "--${n}" option: "${a}"`,
      }),
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
    final: (s) =>
      !s.has('hashlimit-upto') && !s.has('hashlimit-above') && !s.has('hashlimit')
        ? 'You have to specify --hashlimit'
        : !s.has('hashlimit-name')
          ? 'hashlimit: option "--hashlimit-name" must be specified'
          : null,
  },
  {
    name: 'connlimit',
    kind: 'match',
    doc: 'Number of connections per address or network.',
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
    name: 'rt',
    kind: 'match',
    family: 6,
    doc: 'IPv6 routing header: type, segments left, length, addresses (ip6tables).',
    options: [
      o('rt-type', 1, 'Routing header type.', { invertible: true, syntax: 'type' }),
      o('rt-segsleft', 1, 'Segments left, or a range.', { invertible: true, syntax: 'num[:num]' }),
      o('rt-len', 1, 'Header length.', { invertible: true, syntax: 'length' }),
      o('rt-0-res', 0, 'Type 0: reserved field.'),
      o('rt-0-addrs', 1, 'Type 0: comma list of addresses.', { syntax: 'addr[,addr]...' }),
      o('rt-0-not-strict', 0, 'Type 0: the list need not be complete.'),
    ],
  },
];
