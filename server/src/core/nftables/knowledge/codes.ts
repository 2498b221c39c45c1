/**
 * The finding codes of nftables files: stable strings (each is also the key of its severity
 * setting), their default severity and what each means, in one line.
 */
import type { Severity } from '../../common/finding';

export interface NftCodeInfo {
  code: NftCode;
  severity: Severity;
  meaning: string;
}

export const NFT_CODES = [
  { code: 'nft-syntax', severity: 'error', meaning: "nft's parser refuses the text here (`syntax error, unexpected ...`)." },
  { code: 'nft-symbol-type', severity: 'error', meaning: 'A word nft cannot read as a statement or selector: it has no type (`No symbol type information`).' },
  { code: 'nft-undefined-variable', severity: 'error', meaning: 'A `$variable` used where no `define` of it is visible (`unknown identifier`).' },
  { code: 'nft-undefined-chain', severity: 'error', meaning: 'A jump/goto (or verdict map) to a chain the table does not have (the kernel says `No such file or directory`).' },
  { code: 'nft-undefined-set', severity: 'error', meaning: 'An `@set` or `@map` the table does not have (the kernel says `No such file or directory`).' },
  { code: 'nft-undefined-table', severity: 'warning', meaning: 'A command adds to a table this file does not create: nft refuses it unless the table already exists.' },
  { code: 'nft-chain-type', severity: 'error', meaning: 'A base chain type other than filter, nat or route (`unknown chain type`).' },
  { code: 'nft-chain-hook', severity: 'error', meaning: 'A hook nft does not know, or one the table family does not have (`The X family does not support this hook`).' },
  { code: 'nft-type-hook', severity: 'error', meaning: 'A chain type the kernel does not offer in this family or hook (nat in forward, route outside output...).' },
  { code: 'nft-device', severity: 'error', meaning: 'A netdev (or inet ingress) base chain without `device` (`Missing `device\' in this chain definition`).' },
  { code: 'nft-priority', severity: 'error', meaning: 'A priority name not valid for this family and hook (`invalid priority expression value in this context.`).' },
  { code: 'nft-policy-regular', severity: 'error', meaning: 'A policy on a regular chain (one without type/hook): the kernel refuses it (`Operation not supported`).' },
  { code: 'nft-after-terminal', severity: 'error', meaning: 'A statement after a verdict, reject, nat or queue statement (`Statement after terminal statement has no effect`).' },
  { code: 'nft-family-mismatch', severity: 'error', meaning: 'A match of another family than the table (`conflicting protocols specified`, `meta nfproto is only useful in the inet family`).' },
  { code: 'nft-value-range', severity: 'error', meaning: 'A value nft refuses for its selector: a port above 65535, a prefix longer than the address, a reversed range.' },
  { code: 'nft-include-unresolved', severity: 'warning', meaning: 'An include the editor cannot find (`File not found`): names it defines are not judged.' },
] as const satisfies readonly { code: string; severity: Severity; meaning: string }[];

export type NftCode = (typeof NFT_CODES)[number]['code'];

export const NFT_CODE_SEVERITY: Readonly<Record<NftCode, Severity>> = Object.fromEntries(NFT_CODES.map((c) => [c.code, c.severity])) as Record<
  NftCode,
  Severity
>;
