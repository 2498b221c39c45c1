/**
 * The packet walk: a sample packet goes through the rules of one hook, table after table in
 * the kernel's order, rule by rule, following jumps, gotos, RETURN and policies, with MARK,
 * CONNMARK and TPROXY changing the marks as the kernel would.
 *
 * CONTRACT (pinned before the implementation; the kernel differential test, the LSP adapter
 * and the CLI code against these types).
 */
import type { RuleDocument } from './document';

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** The sample packet: every field optional but the marks; an absent field is "unknown". */
export interface Packet {
  /** IPv4 or IPv6 address as written (validated by parsePacket). */
  src?: string;
  dst?: string;
  /** Protocol name or number as written (`tcp`, `udp`, `icmp`, `6`...). */
  proto?: string;
  sport?: number;
  dport?: number;
  /** Interface names (`in` for PREROUTING/INPUT/FORWARD, `out` for FORWARD/OUTPUT/POSTROUTING). */
  in?: string;
  out?: string;
  /** Conntrack state: NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED. */
  state?: string;
  nfmark: number;
  ctmark: number;
  /** Other keys of the sample (e.g. `srctype=LOCAL` for -m addrtype), kept as written. */
  extra?: Record<string, string>;
}

/** What the walk does where a match cannot be decided on the sample. */
export type Assume = 'match' | 'nomatch';

export interface WalkOptions {
  hook: Hook;
  /** Only this table's chain for the hook (CLI `--table`). */
  table?: string;
  packet: Packet;
  /** Default 'nomatch'. */
  assume?: Assume;
  /** Guard against runaway walks (default 100,000 rule evaluations). */
  maxSteps?: number;
}

export interface MarkPair {
  nfmark: number;
  ctmark: number;
}

/** One rule the packet reached (evaluated), in evaluation order. */
export interface WalkStep {
  /** 0-based line of the rule's first line in the document. */
  line: number;
  table: string;
  chain: string;
  /**
   * Whether the rule matched: decided from the sample, or assumed because some match could
   * not be decided (then `undecided` says which).
   */
  matched: boolean;
  decided: boolean;
  /** Matches that could not be decided, e.g. ["-m statistic", "-m recent"]. */
  undecided?: string[];
  /** What the rule did when it matched: the target's name or the chain jumped/gone to. */
  target?: string;
  /** 'jump' | 'goto' | 'return' | 'verdict' (ACCEPT/DROP/REJECT/QUEUE...) | 'continue' (non-terminal target or no target). */
  action?: 'jump' | 'goto' | 'return' | 'verdict' | 'continue';
  before: MarkPair;
  after: MarkPair;
  /** Nesting depth in user chains (0 in the built-in chain). */
  depth: number;
}

/** A built-in chain's policy applied, or the end of a table's walk. */
export interface TableOutcome {
  table: string;
  chain: string;
  /** ACCEPT, DROP, REJECT, QUEUE, ... as the table ended; 'ACCEPT' also when the table is absent from the file. */
  verdict: string;
  /** The rule line that gave the verdict, or undefined when the policy did. */
  line?: number;
  /** The policy line (`:INPUT DROP [0:0]` or `-P INPUT DROP`) when the policy decided. */
  policyLine?: number;
}

export interface WalkResult {
  hook: Hook;
  path: WalkStep[];
  tables: TableOutcome[];
  /** The verdict of the hook: the first non-ACCEPT table verdict, else ACCEPT. */
  verdict: string;
  /** The rule that gave the verdict (undefined for a policy or the default). */
  verdictLine?: number;
  nfmark: number;
  ctmark: number;
  /** Set when the walk re-entered a chain already on its stack, or hit maxSteps. */
  loop?: { line: number; chain: string; message: string };
  /** Plain-language notes: assumptions taken, tables skipped (nat for non-NEW packets), ... */
  notes: string[];
}

export declare function walk(doc: RuleDocument, opts: WalkOptions): WalkResult;
