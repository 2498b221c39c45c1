/** A rule as interpreted (rule.ts): its command, core options, extensions with their options, problems and mark uses. */
import type { IptablesCode } from '../knowledge/codes';
import { CommandSpec } from '../knowledge/commands';
import { MarkExtension, MarkOp } from '../../marks/marks';
import { MarkError } from './markOptions';
import { Word } from './lexer';
import { ExtSpec } from '../knowledge/extensions';

/** `[!] name args...`; for `--name=value` the name and value are split. */
export interface Opt {
  name: Word;
  /** The option as iptables sees it, e.g. `--set-mark`. */
  key: string;
  neg?: Word;
  args: Word[];
  /** The canonical long name (without dashes) when the owning extension is modelled. */
  canon?: string;
}

export interface Ext {
  kind: 'match' | 'target';
  /** The word naming the extension (`mark` of `-m mark`, `MARK` of `-j MARK`). */
  name: Word;
  /** `-m`, `-j` or `-g`. */
  via: Word;
  opts: Opt[];
  /** Loaded implicitly by `-p` (the `tcp` of `-p tcp --dport 22`). */
  implicit?: boolean;
  /** The modelled spec, looked up once (null: not modelled). */
  spec?: ExtSpec | null;
  /** A shell expansion follows it: its options are not all known. */
  opaque?: boolean;
  /** `-j NAME` where the table has a user chain NAME: a jump to it, not the target (no options). */
  chain?: boolean;
}

/** A table or hook restriction of an extension, judged once the rule's table is known. */
export interface HookNeed {
  word: Word;
  ext: string;
  tables?: string[];
  hooks?: string[];
}

export interface MarkUse {
  ext: MarkExtension;
  /** Index into Rule.exts. */
  extIndex: number;
  /** The kernel form, an error at a word, or 'unknown' when a value is a shell expansion. */
  result: MarkOp | (MarkError & { word?: Word }) | 'unknown';
}

export interface RuleProblem {
  message: string;
  word: Word;
  severity: 'error' | 'warning' | 'hint';
  code: IptablesCode;
}

export interface Rule {
  command?: { word: Word; spec: CommandSpec; chain?: Word; extra: Word[] };
  table?: Word;
  counters?: Word[];
  core: Opt[];
  exts: Ext[];
  marks: MarkUse[];
  problems: RuleProblem[];
  /** Extensions the kernel allows only in some tables or built-in chains. */
  needs?: HookNeed[];
}
