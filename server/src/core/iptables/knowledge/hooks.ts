/** The netfilter hooks of iptables, and which tables have a chain at each, in the order the kernel runs them. */
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/**
 * Tables of each hook, in the kernel's priority order. INPUT: iptables-nft (1.8.x, the default
 * iptables of current distributions) registers the security chains at priority 150, after
 * nat INPUT (100), as the kernel differential test shows; iptables-legacy's security table
 * runs at 50, before nat (the walk notes it when both have rules: SECURITY_NAT_NOTE).
 */
export const HOOK_TABLES: Readonly<Record<Hook, readonly string[]>> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'nat', 'security'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

export const HOOKS = Object.keys(HOOK_TABLES) as Hook[];

/** Said when nat INPUT and security INPUT both have rules or a non-ACCEPT policy. */
export const SECURITY_NAT_NOTE =
  'INPUT: nat (priority 100) is walked before security (150), the order iptables-nft registers them in; with iptables-legacy the security table runs at 50, before nat';
export const isHook = (s: string): s is Hook => Object.prototype.hasOwnProperty.call(HOOK_TABLES, s);
