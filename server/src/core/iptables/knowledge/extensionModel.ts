/** The shape of an extension as data (extensions.ts): options with arity, `!`, syntax, value check, doc. */
import { ValueCheck } from './valueChecks';

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

export const o = (names: string | string[], args: 0 | 1 | 2, doc: string, extra: Partial<ExtOption> = {}): ExtOption => ({
  names: Array.isArray(names) ? names : [names],
  args,
  doc,
  ...extra,
});

export const PORT_PROTOS = ['tcp', 'udp', 'udplite', 'sctp', 'dccp', '6', '17', '136', '132', '33'];
/** Whether a NAT `--to-destination`/`--to-source` value names ports (`addr:port`, `[v6]:port`). */
export const natHasPorts = (arg: string): boolean => {
  if (arg.charCodeAt(0) === 91 /* [ */) return arg.indexOf(']:') >= 0;
  const k = arg.indexOf(':');
  return k >= 0 && arg.indexOf(':', k + 1) < 0; // exactly one colon
};
