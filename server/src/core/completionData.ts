/**
 * What completion offers for match and target extensions: each module's options with their
 * argument syntax, a line of documentation, and the closed set of values where there is
 * one. Kept apart from knowledge.ts (which another change extends with the same
 * extensions) so the two can be folded into one table later.
 */

export interface OptionDoc {
  /** Without the dashes. */
  name: string;
  /** Argument syntax as `iptables -m X --help` prints it; '' for a flag. */
  arg: string;
  doc: string;
  /** A closed set of values (comma-separated lists take several). */
  values?: readonly string[];
  list?: boolean;
  invertible?: boolean;
}

export interface ModuleDoc {
  name: string;
  doc: string;
  options: OptionDoc[];
}

const o = (name: string, arg: string, doc: string, extra: Partial<OptionDoc> = {}): OptionDoc => ({ name, arg, doc, ...extra });

export const CT_STATES = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT'] as const;
export const PROTOCOLS = ['tcp', 'udp', 'udplite', 'icmp', 'icmpv6', 'esp', 'ah', 'sctp', 'gre', 'mh', 'all'] as const;
export const REJECT_TYPES = [
  'icmp-net-unreachable', 'icmp-host-unreachable', 'icmp-port-unreachable', 'icmp-proto-unreachable',
  'icmp-net-prohibited', 'icmp-host-prohibited', 'icmp-admin-prohibited', 'tcp-reset',
  'icmp6-no-route', 'icmp6-adm-prohibited', 'icmp6-addr-unreachable', 'icmp6-port-unreachable',
] as const;
const TCP_FLAGS = ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH', 'ALL', 'NONE'] as const;
const ADDR_TYPES = ['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'] as const;
const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'] as const;

const ports = (p: string) => [
  o('source-port', '[!] port[:port]', `${p} source port or port range.`, { invertible: true }),
  o('sport', '[!] port[:port]', `${p} source port or port range (short for --source-port).`, { invertible: true }),
  o('destination-port', '[!] port[:port]', `${p} destination port or port range.`, { invertible: true }),
  o('dport', '[!] port[:port]', `${p} destination port or port range (short for --destination-port).`, { invertible: true }),
];

export const MATCH_MODULES: ModuleDoc[] = [
  { name: 'tcp', doc: 'TCP header fields; loaded by -p tcp.', options: [...ports('TCP'), o('tcp-flags', '[!] mask comp', 'Match when the flags in mask that are set are exactly comp, e.g. SYN,ACK,FIN,RST SYN.', { values: TCP_FLAGS, list: true, invertible: true }), o('syn', '', 'Only SYN set, ACK, RST and FIN clear: a connection request.', { invertible: true }), o('tcp-option', '[!] number', 'TCP option number is present.', { invertible: true })] },
  { name: 'udp', doc: 'UDP ports; loaded by -p udp.', options: ports('UDP') },
  { name: 'icmp', doc: 'ICMP type; loaded by -p icmp.', options: [o('icmp-type', '[!] typename|type[/code]', 'ICMP type by name or number, e.g. echo-request or 8.', { values: ['any', 'echo-reply', 'destination-unreachable', 'echo-request', 'time-exceeded', 'parameter-problem', 'redirect', 'timestamp-request', 'timestamp-reply'], invertible: true })] },
  { name: 'multiport', doc: 'Up to 15 ports or port ranges at once.', options: [o('sports', '[!] port[,port:port...]', 'Source ports.', { invertible: true }), o('dports', '[!] port[,port:port...]', 'Destination ports.', { invertible: true }), o('ports', '[!] port[,port:port...]', 'Source or destination ports.', { invertible: true })] },
  { name: 'comment', doc: 'A comment kept with the rule (up to 256 characters).', options: [o('comment', 'text', 'The comment; quote it when it holds spaces.')] },
  { name: 'conntrack', doc: 'Connection tracking state and tuple.', options: [o('ctstate', '[!] state[,state...]', 'Conntrack state.', { values: CT_STATES, list: true, invertible: true }), o('ctproto', '[!] proto', 'Layer-4 protocol of the connection.', { values: PROTOCOLS, invertible: true }), o('ctorigsrc', '[!] address[/mask]', 'Original source address.', { invertible: true }), o('ctorigdst', '[!] address[/mask]', 'Original destination address.', { invertible: true }), o('ctreplsrc', '[!] address[/mask]', 'Reply source address.', { invertible: true }), o('ctrepldst', '[!] address[/mask]', 'Reply destination address.', { invertible: true }), o('ctorigsrcport', '[!] port[:port]', 'Original source port.', { invertible: true }), o('ctorigdstport', '[!] port[:port]', 'Original destination port.', { invertible: true }), o('ctstatus', '[!] status[,status...]', 'Conntrack status bits.', { values: ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'], list: true, invertible: true }), o('ctexpire', '[!] time[:time]', 'Remaining lifetime in seconds.', { invertible: true }), o('ctdir', 'ORIGINAL|REPLY', 'Direction of the packet.', { values: ['ORIGINAL', 'REPLY'] })] },
  { name: 'state', doc: 'Connection tracking state (older spelling of -m conntrack --ctstate).', options: [o('state', '[!] state[,state...]', 'Conntrack state.', { values: CT_STATES.slice(0, 5), list: true, invertible: true })] },
  { name: 'mark', doc: 'Match the packet mark (nfmark).', options: [o('mark', '[!] value[/mask]', 'Matches when (nfmark & mask) == value; mask defaults to 0xffffffff.', { invertible: true })] },
  { name: 'connmark', doc: 'Match the connection mark (ctmark).', options: [o('mark', '[!] value[/mask]', 'Matches when (ctmark & mask) == value; mask defaults to 0xffffffff.', { invertible: true })] },
  { name: 'addrtype', doc: 'Address type of the source or destination, as routing sees it.', options: [o('src-type', '[!] type[,type...]', 'Source address type.', { values: ADDR_TYPES, list: true, invertible: true }), o('dst-type', '[!] type[,type...]', 'Destination address type.', { values: ADDR_TYPES, list: true, invertible: true }), o('limit-iface-in', '', 'Only the incoming interface.'), o('limit-iface-out', '', 'Only the outgoing interface.')] },
  { name: 'statistic', doc: 'Match a share of packets, at random or every nth.', options: [o('mode', 'random|nth', 'How packets are picked.', { values: ['random', 'nth'] }), o('probability', 'p', 'random mode: probability between 0 and 1.'), o('every', 'n', 'nth mode: match one packet in n.'), o('packet', 'p', 'nth mode: the counter value that matches (0 to n-1).')] },
  { name: 'limit', doc: 'Rate limit with a token bucket.', options: [o('limit', 'avg[/second|/minute|/hour|/day]', 'Average rate, default 3/hour.'), o('limit-burst', 'number', 'Bucket size, default 5.')] },
  { name: 'recent', doc: 'Lists of recently seen addresses.', options: [o('name', 'name', 'List name (default DEFAULT).'), o('set', '', 'Add the source address to the list.', { invertible: true }), o('rcheck', '', 'Is the address in the list?', { invertible: true }), o('update', '', 'Like --rcheck, and refresh the last-seen time.', { invertible: true }), o('remove', '', 'Remove the address from the list.', { invertible: true }), o('seconds', 'seconds', 'Only if seen within this many seconds.'), o('hitcount', 'hits', 'Only if seen at least this many times.'), o('rttl', '', 'Also require the same TTL.'), o('rsource', '', 'Use the source address (default).'), o('rdest', '', 'Use the destination address.'), o('reap', '', 'Purge entries older than --seconds.'), o('mask', 'netmask', 'Mask applied to the address.')] },
  { name: 'set', doc: 'Match against an ipset.', options: [o('match-set', '[!] setname flag[,flag...]', 'The set and which addresses to look up (src, dst).', { invertible: true }), o('return-nomatch', '', 'Also match on nomatch elements.'), o('update-counters', '', 'Update the set counters.')] },
  { name: 'iprange', doc: 'An arbitrary range of addresses.', options: [o('src-range', '[!] from[-to]', 'Source address range.', { invertible: true }), o('dst-range', '[!] from[-to]', 'Destination address range.', { invertible: true })] },
  { name: 'mac', doc: 'Source MAC address.', options: [o('mac-source', '[!] XX:XX:XX:XX:XX:XX', 'Source MAC address.', { invertible: true })] },
  { name: 'owner', doc: 'Creator of locally generated packets (OUTPUT, POSTROUTING).', options: [o('uid-owner', '[!] user[-user]', 'User id or name.', { invertible: true }), o('gid-owner', '[!] group[-group]', 'Group id or name.', { invertible: true }), o('socket-exists', '', 'The packet has a socket.', { invertible: true })] },
  { name: 'physdev', doc: 'Bridge ports.', options: [o('physdev-in', '[!] name', 'Bridge port the packet entered.', { invertible: true }), o('physdev-out', '[!] name', 'Bridge port the packet leaves by.', { invertible: true }), o('physdev-is-in', '', 'Entered through a bridge port.', { invertible: true }), o('physdev-is-out', '', 'Leaves through a bridge port.', { invertible: true }), o('physdev-is-bridged', '', 'Is being bridged.', { invertible: true })] },
  { name: 'length', doc: 'Layer-3 length of the packet.', options: [o('length', '[!] length[:length]', 'Length or range.', { invertible: true })] },
  { name: 'string', doc: 'A string in the payload.', options: [o('algo', 'bm|kmp', 'Search algorithm.', { values: ['bm', 'kmp'] }), o('string', '[!] pattern', 'The string.', { invertible: true }), o('hex-string', '[!] |hex|', 'The string in hex, e.g. "|0d 0a|".', { invertible: true }), o('from', 'offset', 'Start offset.'), o('to', 'offset', 'End offset.')] },
  { name: 'hashlimit', doc: 'Rate limit per address or port group.', options: [o('hashlimit-upto', 'amount[/second|/minute|/hour|/day]', 'Match while under the rate.'), o('hashlimit-above', 'amount[/second|/minute|/hour|/day]', 'Match while over the rate.'), o('hashlimit-burst', 'amount', 'Bucket size.'), o('hashlimit-mode', 'srcip,srcport,dstip,dstport', 'What makes a group.', { values: ['srcip', 'srcport', 'dstip', 'dstport'], list: true }), o('hashlimit-name', 'name', 'Name of the table in /proc/net/ipt_hashlimit.')] },
  { name: 'ttl', doc: 'IPv4 TTL.', options: [o('ttl-eq', 'ttl', 'TTL equals.'), o('ttl-gt', 'ttl', 'TTL greater than.'), o('ttl-lt', 'ttl', 'TTL less than.')] },
  { name: 'pkttype', doc: 'Link-layer packet type.', options: [o('pkt-type', '[!] unicast|broadcast|multicast', 'Packet type.', { values: ['unicast', 'broadcast', 'multicast'], invertible: true })] },
];

export const TARGET_MODULES: ModuleDoc[] = [
  { name: 'MARK', doc: 'Set the packet mark (nfmark): nfmark = (nfmark & ~mask) ^ value.', options: [o('set-xmark', 'value[/mask]', 'Clear the bits in mask, then XOR value (iptables-save form).'), o('set-mark', 'value[/mask]', 'Clear the bits in mask, then OR value.'), o('and-mark', 'bits', 'nfmark &= bits.'), o('or-mark', 'bits', 'nfmark |= bits.'), o('xor-mark', 'bits', 'nfmark ^= bits.')] },
  { name: 'CONNMARK', doc: 'Set the connection mark (ctmark), or copy between nfmark and ctmark.', options: [o('set-xmark', 'value[/mask]', 'ctmark = (ctmark & ~mask) ^ value.'), o('set-mark', 'value[/mask]', 'ctmark = (ctmark & ~mask) | value.'), o('and-mark', 'bits', 'ctmark &= bits.'), o('or-mark', 'bits', 'ctmark |= bits.'), o('xor-mark', 'bits', 'ctmark ^= bits.'), o('save-mark', '', 'Copy nfmark into ctmark (under --nfmask/--ctmask).'), o('restore-mark', '', 'Copy ctmark into nfmark (under --nfmask/--ctmask).'), o('nfmask', 'mask', 'Bits of nfmark taken or written.'), o('ctmask', 'mask', 'Bits of ctmark taken or written.'), o('mask', 'mask', 'Both --nfmask and --ctmask.')] },
  { name: 'REJECT', doc: 'Drop the packet and send an error back.', options: [o('reject-with', 'type', 'The error sent back (default icmp-port-unreachable).', { values: REJECT_TYPES })] },
  { name: 'LOG', doc: 'Log the packet to the kernel log.', options: [o('log-level', 'level', 'Syslog level.', { values: LOG_LEVELS }), o('log-prefix', 'prefix', 'Prefix of up to 29 characters.'), o('log-tcp-sequence', '', 'Log TCP sequence numbers.'), o('log-tcp-options', '', 'Log TCP options.'), o('log-ip-options', '', 'Log IP options.'), o('log-uid', '', 'Log the socket owner.')] },
  { name: 'NFLOG', doc: 'Log through nfnetlink_log.', options: [o('nflog-group', 'group', 'Netlink group (0-65535).'), o('nflog-prefix', 'prefix', 'Prefix of up to 64 characters.'), o('nflog-threshold', 'n', 'Packets to queue before sending.')] },
  { name: 'DNAT', doc: 'Rewrite the destination address (nat PREROUTING, OUTPUT).', options: [o('to-destination', '[ipaddr[-ipaddr]][:port[-port]]', 'New destination address and port.'), o('random', '', 'Randomise the port mapping.'), o('persistent', '', 'Same mapping for the same client.')] },
  { name: 'SNAT', doc: 'Rewrite the source address (nat POSTROUTING, INPUT).', options: [o('to-source', '[ipaddr[-ipaddr]][:port[-port]]', 'New source address and port.'), o('random', '', 'Randomise the port mapping.'), o('random-fully', '', 'Fully randomise the port mapping.'), o('persistent', '', 'Same mapping for the same client.')] },
  { name: 'MASQUERADE', doc: 'SNAT to the address of the outgoing interface.', options: [o('to-ports', 'port[-port]', 'Source port range.'), o('random', '', 'Randomise the port mapping.'), o('random-fully', '', 'Fully randomise the port mapping.')] },
  { name: 'REDIRECT', doc: 'DNAT to the local machine.', options: [o('to-ports', 'port[-port]', 'Destination port range.'), o('random', '', 'Randomise the port mapping.')] },
  { name: 'CT', doc: 'Conntrack settings for the connection (raw table).', options: [o('notrack', '', 'Do not track the connection.'), o('zone', 'id', 'Conntrack zone.'), o('helper', 'name', 'Helper to use.'), o('ctevents', 'event[,event...]', 'Events to generate.', { values: ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'], list: true })] },
  { name: 'NFQUEUE', doc: 'Pass the packet to userspace.', options: [o('queue-num', 'value', 'Queue number.'), o('queue-balance', 'first:last', 'Spread over a range of queues.'), o('queue-bypass', '', 'Accept when no program listens.'), o('queue-cpu-fanout', '', 'Pick the queue by CPU.')] },
  { name: 'TCPMSS', doc: 'Change the MSS of TCP SYN packets.', options: [o('set-mss', 'value', 'Set the MSS.'), o('clamp-mss-to-pmtu', '', 'Clamp to the path MTU minus 40.')] },
  { name: 'TPROXY', doc: 'Transparent proxy (mangle PREROUTING).', options: [o('on-port', 'port', 'Port to redirect to.'), o('on-ip', 'address', 'Address to redirect to.'), o('tproxy-mark', 'value[/mask]', 'nfmark = (nfmark & ~mask) ^ value.')] },
];

/** Targets that are verdicts, with what they do. */
export const VERDICTS: Record<string, string> = {
  ACCEPT: 'Let the packet through (stop traversing this table).',
  DROP: 'Drop the packet silently.',
  RETURN: 'Go back to the calling chain (or apply the policy of a built-in chain).',
  QUEUE: 'Pass the packet to userspace (queue 0).',
};
