/**
 * The nftables keyword documentation, hook table and priority names, for
 * hover and completion. The data lives in knowledge/docs.ts, the lowest
 * layer of core/nftables, so that syntax and checks can read the hook and
 * priority tables too; this module is the name the features import.
 */
export * from './knowledge/docs';
