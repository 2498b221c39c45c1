/**
 * The registry of diagnostic codes of every language, each once with its default severity
 * and meaning. Settings (`iptables.diagnostics.<code>`), package.json and the README's table
 * are generated from it (`npm run gen`; test/unit/settings.test.ts holds them to it).
 */
import { IPTABLES_CODES, type CodeInfo } from '../iptables/knowledge/codes';
import { NFTABLES_CODES } from '../nftables/knowledge/codes';
import { MARK_MAP_CODES } from '../marks/bitmap';

export type { CodeInfo };

export const DIAGNOSTIC_CODES = { ...IPTABLES_CODES, ...NFTABLES_CODES, ...MARK_MAP_CODES } as const satisfies Record<string, CodeInfo>;

/** A diagnostic code of any language. */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export const isDiagnosticCode = (s: string): s is DiagnosticCode => Object.prototype.hasOwnProperty.call(DIAGNOSTIC_CODES, s);
