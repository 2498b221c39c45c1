/**
 * Every diagnostic code of nftables files, written once: its default severity and what it
 * means, in the shape of iptables/knowledge/codes.ts (so the service's registry can spread
 * NFTABLES_CODES beside IPTABLES_CODES). Codes are prefixed `nft-`.
 */
import type { Finding, Severity } from '../../common/finding';

export interface NftCodeInfo {
  /** The severity a finding of this code has unless a setting says otherwise. */
  severity: Severity | 'off';
  /** What the code means (the setting's description). */
  meaning: string;
}

export const NFTABLES_CODES = {
  'nft-syntax': {
    severity: 'error',
    meaning: "nft's parser refuses the text here (`syntax error, unexpected ...`), at the token nft names; where a newer nft accepts it the message says so.",
  },
  'nft-symbol-type': { severity: 'error', meaning: 'A word nft cannot read as a statement or selector: it has no type (`No symbol type information`).' },
  'nft-undefined-variable': {
    severity: 'error',
    meaning: 'A `$variable` used where no `define` of it is visible (`unknown identifier`); a warning when an include that could define it is not read.',
  },
  'nft-undefined-chain': {
    severity: 'error',
    meaning: 'A jump/goto (or verdict map) to a chain the table does not have: the kernel refuses it (`No such file or directory`).',
  },
  'nft-undefined-set': { severity: 'error', meaning: 'An `@set` or `@map` the table does not have: the kernel refuses it (`No such file or directory`).' },
  'nft-undefined-table': {
    severity: 'warning',
    meaning: 'A command adds to a table this file does not create: nft refuses it unless the table already exists.',
  },
  'nft-chain-type': { severity: 'error', meaning: 'A base chain type other than filter, nat or route (`unknown chain type`).' },
  'nft-chain-hook': {
    severity: 'error',
    meaning: 'A hook nft does not know (`unknown chain hook`), or one the table family does not have (`The X family does not support this hook`).',
  },
  'nft-type-hook': {
    severity: 'error',
    meaning: 'A chain type the kernel does not offer in this family or hook (nat in forward, route outside output, nat in bridge...).',
  },
  'nft-device': { severity: 'error', meaning: "A netdev (or inet ingress) base chain without `device` (`Missing `device' in this chain definition`)." },
  'nft-priority': {
    severity: 'error',
    meaning:
      'A priority name not valid for this family and hook (`invalid priority expression value in this context.`); the message says when a newer nft takes it.',
  },
  'nft-policy-regular': {
    severity: 'error',
    meaning: 'A policy on a regular chain (one without type/hook): the kernel refuses it (`Operation not supported`).',
  },
  'nft-after-terminal': {
    severity: 'error',
    meaning: 'A statement after a verdict, reject, nat or queue statement (`Statement after terminal statement has no effect`).',
  },
  'nft-family-mismatch': {
    severity: 'error',
    meaning: 'A match of another family than the table (`conflicting protocols specified`, `meta nfproto is only useful in the inet family`, icmpx in ip/ip6).',
  },
  'nft-nat-port': {
    severity: 'error',
    meaning:
      'A nat, redirect or tproxy port with no transport protocol match before it in the rule (`transport protocol mapping is only valid after transport protocol match`).',
  },
  'nft-value-range': {
    severity: 'error',
    meaning: 'A value nft refuses for its place: a port above 65535, a prefix longer than the address, a reversed range.',
  },
  'nft-mark-noop': {
    severity: 'warning',
    meaning: 'A mark write that leaves every mark as it is for any packet (`meta mark set meta mark or 0x4000 and 0xff`: `and` binds first, so it ors 0).',
  },
  'nft-mark-precedence': {
    severity: 'warning',
    meaning:
      'A mark expression whose value differs from its left-to-right reading: nft binds `and` tighter than `xor`, and `xor` tighter than `or`. The quick fixes write either reading with explicit parentheses.',
  },
  'nft-mark-translated': {
    severity: 'warning',
    meaning:
      "One of iptables-translate's two wrong CONNMARK shapes: `ct mark set ct mark xor V and M` (the kernel computes something else than `--set-xmark`) and `ct mark set mark and M` (zeroes the ctmark bits `--save-mark --mask` keeps).",
  },
  'nft-include-unresolved': {
    severity: 'warning',
    meaning: 'An include the editor cannot find (`File not found`): names it could define are not judged as errors.',
  },
} as const satisfies Record<string, NftCodeInfo>;

/** A diagnostic code of nftables files. */
export type NftCode = keyof typeof NFTABLES_CODES;

/** A finding of an nftables file. */
export type NftFinding = Finding<NftCode>;

/** The codes as a list, with their default severity and meaning. */
export const NFT_CODES: readonly ({ code: NftCode } & NftCodeInfo)[] = (Object.keys(NFTABLES_CODES) as NftCode[]).map((code) => ({
  code,
  ...NFTABLES_CODES[code],
}));

export const NFT_CODE_SEVERITY: Readonly<Record<NftCode, Severity>> = Object.fromEntries(
  NFT_CODES.map((c) => [c.code, c.severity === 'off' ? 'hint' : c.severity]),
) as Record<NftCode, Severity>;
