/** The target extensions as data (see extensions.ts). */
import { num, uint, oneOf, hmarkFields, hmarkBadField, checkNatPorts, natRange } from './valueChecks';
import { LOG_LEVELS, REJECT4, REJECT6 } from './valueSets';
import { ExtSpec, o } from './extensionModel';

export const TARGET_EXTENSIONS: ExtSpec[] = [
  { name: 'ACCEPT', kind: 'target', doc: 'Let the packet through this hook (built-in verdict).', options: [] },
  {
    name: 'DROP',
    kind: 'target',
    doc: 'Discard the packet silently (built-in verdict; not in the nat table).',
    tables: ['filter', 'mangle', 'raw', 'security'],
    options: [],
  },
  { name: 'RETURN', kind: 'target', doc: 'Leave this chain: back to the calling chain, or the policy in a built-in chain.', options: [] },
  {
    name: 'REJECT',
    kind: 'target',
    doc: 'Discard the packet and answer with an ICMP error or a TCP reset (filter table, INPUT, FORWARD, OUTPUT only).',
    tables: ['filter', 'security'],
    hooks: ['INPUT', 'FORWARD', 'OUTPUT'],
    options: [
      o('reject-with', 1, 'The answer: icmp-port-unreachable (default), icmp-host-prohibited, tcp-reset (needs -p tcp), ...', {
        syntax: 'type',
        check: oneOf([...REJECT4, ...REJECT6], (v) => `unknown reject type "${v}"`),
      }),
    ],
  },
  {
    name: 'LOG',
    kind: 'target',
    doc: 'Log the packet to the kernel log and continue with the next rule.',
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
    name: 'NFLOG',
    kind: 'target',
    doc: 'Send the packet to a userspace logger (ulogd) over netlink; continues with the next rule.',
    options: [
      o('nflog-group', 1, 'Netlink group 0-65535.', { syntax: 'group', check: uint(0, 65535) }),
      o('nflog-prefix', 1, 'Prefix (up to 63 characters).', { syntax: 'prefix' }),
      o('nflog-range', 1, 'Bytes to copy (deprecated; use --nflog-size).', { syntax: 'size' }),
      o('nflog-size', 1, 'Bytes of the packet to copy.', { syntax: 'size' }),
      o('nflog-threshold', 1, 'Packets to queue before sending.', { syntax: 'n' }),
    ],
  },
  {
    name: 'MARK',
    kind: 'target',
    doc: 'Set the packet mark (nfmark): `nfmark = (nfmark & ~mask) ^ value`.',
    options: ['set-xmark', 'set-mark', 'and-mark', 'or-mark', 'xor-mark'].map((n) =>
      o(n, 1, `Mark operation --${n}.`, { syntax: n.endsWith('x') || n.startsWith('set') ? 'value[/mask]' : 'bits' }),
    ),
  },
  {
    name: 'CONNMARK',
    kind: 'target',
    doc: 'Set the connection mark (ctmark), or copy between nfmark and ctmark.',
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
    name: 'DNAT',
    kind: 'target',
    doc: 'Rewrite the destination address (and port) of a new connection (nat PREROUTING and OUTPUT only).',
    tables: ['nat'],
    hooks: ['PREROUTING', 'OUTPUT'],
    options: [
      o('to-destination', 1, 'New destination: `addr[-addr][:port[-port]]` (ports need -p tcp/udp/sctp/dccp).', {
        syntax: '[addr[-addr]][:port[-port]]',
        check: natRange(false),
      }),
      o('random', 0, 'Randomize the port mapping.'),
      o('persistent', 0, 'Same address for a client across connections.'),
      o('random-fully', 0, 'Fully randomize the port mapping.'),
    ],
    final: (s) => (!s.has('to-destination') ? 'DNAT: option "--to-destination" must be specified' : null),
  },
  {
    name: 'SNAT',
    kind: 'target',
    doc: 'Rewrite the source address (and port) of a new connection (nat POSTROUTING and INPUT only).',
    tables: ['nat'],
    hooks: ['POSTROUTING', 'INPUT'],
    options: [
      o('to-source', 1, 'New source: `addr[-addr][:port[-port]]`.', { syntax: '[addr[-addr]][:port[-port]]', check: natRange(false) }),
      o('random', 0, 'Randomize the port mapping.'),
      o('random-fully', 0, 'Fully randomize the port mapping.'),
      o('persistent', 0, 'Same address for a client across connections.'),
    ],
    final: (s) => (!s.has('to-source') ? 'SNAT: option "--to-source" must be specified' : null),
  },
  {
    name: 'MASQUERADE',
    kind: 'target',
    doc: "SNAT to the outgoing interface's address, forgotten when the interface goes down (nat POSTROUTING only).",
    tables: ['nat'],
    hooks: ['POSTROUTING'],
    options: [
      o('to-ports', 1, 'Source port or range (needs -p tcp/udp/sctp/dccp).', { syntax: 'port[-port]', check: checkNatPorts }),
      o('random', 0, 'Randomize the port mapping.'),
      o('random-fully', 0, 'Fully randomize the port mapping.'),
    ],
  },
  {
    name: 'REDIRECT',
    kind: 'target',
    doc: 'DNAT to the local machine (nat PREROUTING and OUTPUT only).',
    tables: ['nat'],
    hooks: ['PREROUTING', 'OUTPUT'],
    options: [
      o('to-ports', 1, 'Local port or range (needs -p tcp/udp/sctp/dccp).', { syntax: 'port[-port]', check: checkNatPorts }),
      o('random', 0, 'Randomize the port mapping.'),
    ],
  },
  {
    name: 'TPROXY',
    kind: 'target',
    doc: 'Hand the packet to a local transparent socket without rewriting it (mangle PREROUTING, -p tcp or udp).',
    tables: ['mangle'],
    hooks: ['PREROUTING'],
    options: [
      o('on-port', 1, 'Local port of the proxy.', { syntax: 'port' }),
      o('on-ip', 1, 'Local address of the proxy.', { syntax: 'address' }),
      o('tproxy-mark', 1, 'Mark to set: `nfmark = (nfmark & ~mask) ^ value`.', { syntax: 'value[/mask]' }),
    ],
  },
  {
    name: 'CT',
    kind: 'target',
    doc: 'Connection tracking settings for the packet: no tracking, helper, zone, timeout policy (raw table only).',
    tables: ['raw'],
    options: [
      o('notrack', 0, 'Do not track the packet.'),
      o('helper', 1, 'Helper to attach (ftp, sip, ...).', { syntax: 'name' }),
      o('ctevents', 1, 'Comma list of conntrack events to generate.', { syntax: 'event[,event]...' }),
      o('expevents', 1, 'Expectation events to generate.', { syntax: 'event[,event]...' }),
      o('zone', 1, 'Conntrack zone 0-65535 (or `mark`).', {
        syntax: 'id|mark',
        check: (a) => (/^(mark)$/.test(a) || num(a, 65535) !== null ? null : `Cannot parse ${a} as a zone ID`),
      }),
      o('zone-orig', 1, 'Zone for the original direction.', { syntax: 'id|mark' }),
      o('zone-reply', 1, 'Zone for the reply direction.', { syntax: 'id|mark' }),
      o('timeout', 1, 'Timeout policy name (made with nfct).', { syntax: 'name' }),
    ],
  },
  { name: 'NOTRACK', kind: 'target', doc: 'Do not track the packet (raw table only; same as `-j CT --notrack`).', tables: ['raw'], options: [] },
  {
    name: 'TCPMSS',
    kind: 'target',
    doc: 'Change the MSS option of TCP SYN packets (needs -p tcp and a SYN flag test).',
    options: [
      o('set-mss', 1, 'Set the MSS to this value.', { syntax: 'value', excl: ['clamp-mss-to-pmtu'] }),
      o('clamp-mss-to-pmtu', 0, 'Clamp the MSS to the path MTU minus 40 (FORWARD, OUTPUT, POSTROUTING only).', { excl: ['set-mss'] }),
    ],
  },
  {
    name: 'CLASSIFY',
    kind: 'target',
    doc: 'Put the packet in a traffic-control class (OUTPUT, FORWARD, POSTROUTING).',
    hooks: ['OUTPUT', 'FORWARD', 'POSTROUTING'],
    options: [
      o('set-class', 1, 'Class `major:minor` in hex.', {
        syntax: 'major:minor',
        mandatory: true,
        check: (a) => {
          const m = /^([0-9A-Fa-f]{1,8}):([0-9A-Fa-f]{1,8})/.exec(a);
          return m && parseInt(m[1], 16) <= 0xffff && parseInt(m[2], 16) <= 0xffff ? null : `Bad class value "${a}"`;
        },
      }),
    ],
  },
  {
    name: 'CHECKSUM',
    kind: 'target',
    doc: 'Fill in a missing checksum (mangle table; for old DHCP clients).',
    tables: ['mangle'],
    options: [o('checksum-fill', 0, 'Compute the checksum now.')],
  },
  {
    name: 'SECMARK',
    kind: 'target',
    doc: 'Set the SELinux security mark of the packet (mangle or security table).',
    tables: ['mangle', 'security'],
    options: [o('selctx', 1, 'Security context.', { syntax: 'context' })],
  },
  {
    name: 'CONNSECMARK',
    kind: 'target',
    doc: 'Copy the security mark between packet and connection (mangle or security table).',
    tables: ['mangle', 'security'],
    options: [o('save', 0, 'Packet to connection.', { excl: ['restore'] }), o('restore', 0, 'Connection to packet.', { excl: ['save'] })],
  },
  { name: 'TRACE', kind: 'target', doc: 'Trace the packet through the rules (see `xtables-monitor --trace`).', options: [] },
  {
    name: 'AUDIT',
    kind: 'target',
    doc: 'Write an audit record for the packet.',
    options: [
      o('type', 1, 'accept, drop or reject.', {
        syntax: 'accept|drop|reject',
        check: oneOf(['accept', 'drop', 'reject'], (v) => `Bad action type value "${v}"`),
        mandatory: true,
      }),
    ],
  },
  {
    name: 'HMARK',
    kind: 'target',
    doc: 'Set the packet mark from a hash of addresses, ports and protocol (load balancing).',
    options: [
      o('hmark-tuple', 1, 'Comma list of src dst sport dport spi proto, or ct.', {
        syntax: 'field[,field]...',
        check: (a) => {
          const bad = hmarkBadField(a);
          return bad === null ? null : `Bad type "${bad}"`;
        },
      }),
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
    name: 'NETMAP',
    kind: 'target',
    doc: 'Map a whole network onto another, one to one (nat table).',
    tables: ['nat'],
    options: [o('to', 1, 'The network to map to: `address/prefix`.', { syntax: 'address[/mask]', mandatory: true })],
  },
];
