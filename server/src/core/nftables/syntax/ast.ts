/**
 * The outline of an nftables file: what the parser (parser.ts) finds, with exact ranges.
 * Offsets are UTF-16 indices into the text; lines and characters are 0-based (LSP style).
 */
import type { Family } from '../knowledge/knowledge';

export interface Span {
  s: number;
  e: number;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

/** A name as written (an identifier token, or a `$variable` standing for one). */
export interface NftName extends Span {
  name: string;
}

export type NftCommand =
  'add' | 'create' | 'insert' | 'replace' | 'delete' | 'destroy' | 'flush' | 'list' | 'reset' | 'rename' | 'get' | 'describe' | 'monitor' | 'export' | 'import';

/** A table as declared by a block or a command; the same table may be declared many times. */
export interface NftTable {
  family: Family;
  /** The family keyword, when written (nft's default is ip). */
  familySpan?: Span;
  name: NftName;
  /** The whole declaration (from `table` or the command word to the closing brace). */
  span: Span;
  /** The command that declares it, absent for a plain `table ... { }` block. */
  command?: NftCommand;
  block?: Span;
  flags: NftName[];
  comment?: NftName;
}

export interface NftPriority extends Span {
  text: string;
  /** A standard name (`filter`, `dstnat`...), when one is used. */
  name?: NftName;
  /** The number, when the priority is one, or the offset added to the name. */
  value?: number;
  variable?: NftName;
}

export interface NftChain {
  family: Family;
  table: NftName;
  name: NftName;
  span: Span;
  command?: NftCommand;
  block?: Span;
  /** The `type ... hook ... priority ...;` line of a base chain. */
  typeLine?: Span;
  type?: NftName;
  hook?: NftName;
  device?: NftName;
  priority?: NftPriority;
  policy?: NftName;
  comment?: NftName;
  rules: NftRule[];
}

export interface NftStatement extends Span {
  /** The word that opens it (`counter`, `accept`, `jump`, `ip`, `meta`, `$var`...). */
  keyword: string;
  kind: 'verdict' | 'match' | 'set' | 'vmap' | 'stmt' | 'unknown';
  /** Whether nft counts it as terminal (a verdict, reject, nat, queue). */
  terminal: boolean;
  /** For a match or set statement: the selector's words (`ip6 saddr`, `meta nfproto`). */
  selector?: string;
  /** For a match or set statement: the value's text and range (for nat statements: the `to` value). */
  value?: Span & { text: string };
  /** Expressions inside it that select like a match (the key of `update @set { ip saddr ... }`). */
  inner?: NftStatement[];
}

export interface NftRule extends Span {
  family: Family;
  table: NftName;
  chain: NftName;
  command?: NftCommand;
  statements: NftStatement[];
  comment?: NftName;
}

export interface NftSet {
  kind: 'set' | 'map';
  family: Family;
  table: NftName;
  name: NftName;
  span: Span;
  command?: NftCommand;
  block?: Span;
  /** `type`/`typeof` key text and, for maps, the value text after `:`. */
  keyType?: NftName;
  valueType?: NftName;
  typeof: boolean;
  flags: NftName[];
  elements?: Span;
}

export interface NftFlowtable {
  family: Family;
  table: NftName;
  name: NftName;
  span: Span;
  command?: NftCommand;
  hook?: NftName;
  priority?: NftPriority;
  devices: NftName[];
}

export type NftObjectType = 'counter' | 'quota' | 'limit' | 'ct helper' | 'ct timeout' | 'ct expectation' | 'synproxy' | 'secmark';

export interface NftObject {
  objType: NftObjectType;
  family: Family;
  table: NftName;
  name: NftName;
  span: Span;
  command?: NftCommand;
}

export interface NftDefine {
  kind: 'define' | 'redefine' | 'undefine';
  name: NftName;
  span: Span;
  /** The value's text and range (absent for undefine). */
  value?: Span & { text: string };
}

export interface NftInclude {
  path: string;
  pathSpan: Span;
  span: Span;
}

/** A use of a name: a jump/goto target, a `@set`, a `$variable`. */
export interface NftRef {
  kind: 'chain' | 'set' | 'var';
  name: NftName;
  /** The whole reference (`@name`, `$name`, `jump name`). */
  span: Span;
  /** Where it is used: the table (family and name) and chain, when inside one. */
  family?: Family;
  table?: string;
  chain?: string;
  /** For a chain ref: `jump` or `goto`; for a set ref: `@`. */
  via: 'jump' | 'goto' | '@' | '$';
}

/** A command that removes or empties something (their targets may come from elsewhere). */
export interface NftOtherCommand {
  command: NftCommand;
  object: string;
  span: Span;
  family?: Family;
  table?: NftName;
  name?: NftName;
}

export interface SyntaxProblem extends Span {
  message: string;
  /** A finer code than nft-syntax, when the problem has its own. */
  code?: string;
  severity?: 'error' | 'warning';
}

export interface NftFile {
  tables: NftTable[];
  chains: NftChain[];
  sets: NftSet[];
  flowtables: NftFlowtable[];
  objects: NftObject[];
  defines: NftDefine[];
  includes: NftInclude[];
  rules: NftRule[];
  refs: NftRef[];
  commands: NftOtherCommand[];
  comments: Span[];
  /** Keys of the elements written into named sets and maps (`elements = {...}`, `add element`). */
  elements: { family: Family; table: string; set?: string; kinds?: string[]; key: Span & { text: string } }[];
  /** Syntax problems, first at nft's position. */
  problems: SyntaxProblem[];
  /** Start offset of each line (for offset/position conversion). */
  lineStarts: number[];
  /** Files read through includes (when the caller resolves them), in include order. */
  included?: { path: string; file: NftFile }[];
}
