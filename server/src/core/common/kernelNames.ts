/** Names the kernel gives things, shared by every language: conntrack states, address types. */

/** The conntrack states a packet can be in (the sample packet's `state`). */
export const CONNTRACK_STATES = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'] as const;

/** Routing address types (`-m addrtype`, nft's `fib ... type`), in iptables' spelling. */
export const ADDR_TYPES = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
];
