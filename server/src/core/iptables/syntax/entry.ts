/** The entries a rule document is made of: one per line (a shell command may span several). */
import type { IptablesFinding as Finding } from '../knowledge/codes';
import type { ListedMark, ListingChain } from './listing';
import type { Rule } from './ruleTypes';
import type { SampleComment } from './sampleComment';
import type { LexProblem, Word } from './lexer';

export type Format = 'save' | 'shell' | 'listing';

export interface EntryBase {
  /** First line of the entry (0-based). */
  line: number;
  /** Last line (differs only for shell continuations). */
  endLine: number;
  problems?: LexProblem[];
  /** What the entry says about itself (lines relative to `line`), computed when parsed. */
  findings?: Finding[];
  /** The table a rule belongs to, set by the analysis. */
  table?: string;
}
export type Entry =
  | (EntryBase & { k: 'sample'; sample: SampleComment })
  | (EntryBase & { k: 'table'; name: Word; extra: Word[] })
  | (EntryBase & { k: 'chain'; name: Word; policy?: Word; counters?: Word; extra: Word[] })
  | (EntryBase & { k: 'commit'; word: Word; extra: Word[] })
  | (EntryBase & { k: 'rule'; words: Word[]; rule: Rule; program?: Word; family: 4 | 6; prefixCounters?: Word })
  | (EntryBase & { k: 'listing-chain'; chain: ListingChain })
  | (EntryBase & { k: 'listing-rule'; marks: ListedMark[]; target?: Word })
  | (EntryBase & { k: 'junk'; word: Word });

export type RuleEntry = Extract<Entry, { k: 'rule' }>;
