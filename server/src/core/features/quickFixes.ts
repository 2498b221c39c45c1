/**
 * Quick fixes (CodeActionKind.QuickFix) for the analysis' findings, computed from the
 * findings in the requested range (the client need not send its diagnostics back; those it
 * sends are attached where they match). `isPreferred` marks a fix only where it is certain:
 * it keeps what the rule means and makes iptables accept it (checked against the kernel by
 * test/kernel/quickfix-kernel.test.ts).
 *
 * Per code:
 * - old-negation (and the bad-value / bad-argument an extension option's `--dport ! 22` gets):
 *   `-d ! x` -> `! -d x`, `--dport ! 22` -> `! --dport 22` (preferred: the old syntax meant exactly that).
 * - protocol-required: `-m tcp`/`-m udp` without `-p` -> insert `-p tcp` before the `-m`
 *   (preferred: the match only ever matched that protocol). multiport, TPROXY, NAT ports:
 *   `-p tcp` and `-p udp`, neither preferred (it narrows the rule). REJECT tcp-reset: `-p tcp`,
 *   not preferred. Nothing when the rule already has a `-p` (which one is meant is not known).
 * - unknown-option: the option belongs to a modelled match not loaded before it: insert
 *   `-m name` before it (or `-p tcp`/`-p udp`/`-p icmp` for the protocol matches); preferred
 *   only when exactly one match has that option and nothing else is then missing.
 * - mark-noop, unreachable-rule: remove the rule (preferred: it changes nothing; for a no-op
 *   mark write only when none of its matches keeps state, such as `recent` or an unmodelled
 *   match); in a script the whole command with its continuation lines, offered only when it
 *   stands alone on them.
 * - undeclared-chain: `:NAME - [0:0]` after the table's last chain declaration (save), or
 *   `iptables [-t table] -N NAME` before the first use (script). Not preferred: with
 *   `--noflush` or a chain made elsewhere the chain may exist, and then the declaration
 *   flushes it (restore) or fails (`-N`: "Chain already exists").
 * - target-hook: only in a script, and only where certain: the rule's table (`-t filter` or
 *   none) becomes the one table the target is allowed in, when the rule's chain is a built-in
 *   chain of that table whose hook the target allows (`-A PREROUTING -j DNAT` -> `-t nat`).
 *   In a save file nothing: moving a line into another `*table` block (that may not exist,
 *   whose chain order matters) is not a certain edit.
 * - chain-redeclared: remove the second declaration; preferred only when it is the same
 *   declaration and no rule of the chain lies between the two (iptables-nft-restore flushes the
 *   chain at the second one, so removing it otherwise changes the result).
 * - user-chain-policy: the policy becomes `-` (preferred: iptables-nft-restore ignores a user
 *   chain's policy; `-` says so).
 * - attached-argument: a space between the option and its value (`-ptcp` -> `-p tcp`,
 *   `--protocol=tcp` -> `--protocol tcp`; preferred: every iptables reads that the same).
 * - builtin-chain-table: nothing. A built-in chain name the table lacks (`:PREROUTING` in
 *   `*filter`) is either meant as a user chain or written in the wrong table; which is not
 *   known.
 *
 * New text that holds a line break uses `\n`; VS Code writes it with the document's own line
 * ending (the service does not keep the original line endings).
 */
import { CodeAction, CodeActionKind, Diagnostic, DiagnosticSeverity, TextEdit } from 'vscode-languageserver-types';
import type { Analysis, Finding } from '../iptables/checks/analysis';
import { hookProblem } from '../iptables/checks/analysis';
import { Entry, RuleDocument, RuleEntry } from '../iptables/syntax/document';
import { extensionSpec, findExtOption } from '../iptables/knowledge/extensions';
import { CORE_OPTIONS, TABLES } from '../iptables/knowledge/commands';
import { Position } from './cursor';
import { Ext, Opt, Rule } from '../iptables/syntax/ruleTypes';
import { Word } from '../iptables/syntax/lexer';
import { PROTO_OF_MATCH, matchesOwning } from '../iptables/knowledge/docs';

interface Fix {
  title: string;
  edits: TextEdit[];
  preferred?: boolean;
}

type Range = { start: Position; end: Position };

const SEVERITY: Record<string, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const before = (a: Position, b: Position) => a.line < b.line || (a.line === b.line && a.character < b.character);
const overlaps = (f: Finding, r: Range) => !before({ line: f.endLine, character: f.e }, r.start) && !before(r.end, { line: f.line, character: f.s });

const pos = (line: number, character: number): Position => ({ line, character });
const at = (e: Entry, w: Word): Position => pos(e.line + w.l, w.s);
const insert = (p: Position, newText: string): TextEdit => ({ range: { start: p, end: p }, newText });

/** The rule entry a finding lies in. */
function ruleAt(doc: RuleDocument, f: Finding): RuleEntry | undefined {
  const e = doc.entryAt(f.line);
  return e && e.k === 'rule' ? (e as RuleEntry) : undefined;
}

/** The word of an entry at a finding's start. */
function wordAt(e: RuleEntry, f: Finding): Word | undefined {
  return e.words.find((w) => e.line + w.l === f.line && w.s <= f.s && f.s < Math.max(w.e, w.s + 1));
}

const hasProtocol = (r: Rule) => r.core.some((o) => o.key === '--protocol');
const isOptionWord = (w: Word | undefined) => !!w && !w.quoted && w.text.length > 1 && w.text[0] === '-' && !/^-\d/.test(w.text);

// ---------------------------------------------------------------------------------------
// old-style negation

/** `-d ! x` / `--dport ! 22` around the finding's word: move the `!` before the option. */
function oldNegation(doc: RuleDocument, e: RuleEntry, f: Finding): Fix[] {
  const words = e.words;
  const w = wordAt(e, f);
  if (!w) return [];
  const k = words.indexOf(w);
  // the `!` is the word itself, or the one before it (the finding on the value after it)
  const bang = [k, k - 1].find((i) => i > 0 && words[i] && words[i].text === '!' && !words[i].quoted);
  if (bang === undefined) return [];
  const name = words[bang - 1];
  const value = words[bang + 1];
  if (!isOptionWord(name) || !value || isOptionWord(value) || (value.text === '!' && !value.quoted)) return [];
  if (bang >= 2 && words[bang - 2].text === '!' && !words[bang - 2].quoted) return []; // already negated: `! -d ! x`
  const key = name.text.split('=')[0];
  const core = CORE_OPTIONS[key];
  let invertible = !!core?.invertible;
  if (!core) {
    const owner = e.rule.exts.find((x) => x.opts.some((o) => o.name === name));
    const opt = owner?.opts.find((o) => o.name === name);
    const spec = owner && !owner.name.unknown ? extensionSpec(owner.kind, owner.name.text) : undefined;
    const x = spec && opt?.canon ? findExtOption(spec, opt.canon) : undefined;
    invertible = !!x?.invertible;
  }
  if (!invertible) return [];
  const b = words[bang];
  const line = doc.lines[e.line + b.l] ?? '';
  let end = b.e;
  while (end < line.length && (line[end] === ' ' || line[end] === '\t')) end++;
  return [
    {
      title: `Write the negation before the option: ! ${name.text} ${value.text}`,
      edits: [insert(at(e, name), '! '), { range: { start: at(e, b), end: pos(e.line + b.l, end) }, newText: '' }],
      preferred: true,
    },
  ];
}

// ---------------------------------------------------------------------------------------
// a missing -p / -m

function protocolRequired(e: RuleEntry, f: Finding): Fix[] {
  const r = e.rule;
  if (hasProtocol(r)) return [];
  const w = wordAt(e, f);
  if (!w) return [];
  const ext: Ext | undefined = r.exts.find((x) => x.name === w) ?? r.exts.find((x) => x.opts.some((o) => o.name === w || o.args.includes(w)));
  if (!ext || ext.name.unknown) return [];
  const where = at(e, ext.via);
  const offer = (protos: string[], preferred: boolean): Fix[] =>
    protos.map((p) => ({ title: `Add -p ${p}`, edits: [insert(where, `-p ${p} `)], preferred: preferred && protos.length === 1 }));
  const n = ext.name.text;
  if (ext.kind === 'match') {
    const spec = extensionSpec('match', n);
    if (!spec?.proto) return [];
    const names = spec.proto.names.filter((x) => /^[a-z]/.test(x));
    return names.length === 1 ? offer(names, true) : offer(['tcp', 'udp'], false);
  }
  if (n === 'REJECT') return offer(['tcp'], false);
  if (n === 'TPROXY' || n === 'DNAT' || n === 'SNAT' || n === 'MASQUERADE' || n === 'REDIRECT') return offer(['tcp', 'udp'], false);
  return []; // TCPMSS wants a SYN test as well
}

function unknownOption(e: RuleEntry, f: Finding): Fix[] {
  const r = e.rule;
  const w = wordAt(e, f);
  if (!w) return [];
  const opt: Opt | undefined = r.core.find((o) => o.name === w);
  if (!opt) return [];
  const name = opt.key.replace(/^--?/, '');
  const owners = matchesOwning(name, e.family);
  if (!owners.length) return [];
  const where = at(e, opt.neg ?? opt.name);
  const proto = r.core.find((o) => o.key === '--protocol');
  const protoText = proto && !proto.neg && proto.args[0] && !proto.args[0].unknown ? proto.args[0].text.toLowerCase() : undefined;
  const fixes: Fix[] = [];
  for (const spec of owners) {
    const p = PROTO_OF_MATCH[spec.name];
    if (p) {
      // a protocol match comes with `-p`; with another -p already there it cannot
      if (!proto)
        fixes.push({ title: `Add -p ${p} (the ${spec.name} match has ${opt.key})`, edits: [insert(where, `-p ${p} `)], preferred: owners.length === 1 });
      continue;
    }
    const satisfied = !spec.proto || (!!protoText && spec.proto.names.includes(protoText));
    fixes.push({ title: `Add -m ${spec.name} before ${opt.key}`, edits: [insert(where, `-m ${spec.name} `)], preferred: owners.length === 1 && satisfied });
  }
  if (fixes.filter((x) => x.preferred).length > 1) fixes.forEach((x) => (x.preferred = false));
  return fixes;
}

// ---------------------------------------------------------------------------------------
// whole lines

const WRAPPER = /^\s*(?:(?:sudo|command|exec|nice|time|doas)(?:\s+-\S+)*\s+)*$/;

/** The edit that removes an entry's lines, or null where it does not stand alone on them. */
function removeLines(doc: RuleDocument, e: Entry): TextEdit | null {
  if (doc.format === 'shell') {
    if (e.k !== 'rule' || !e.program) return null;
    const first = doc.lines[e.line + e.program.l] ?? '';
    if (e.program.l !== 0 || !WRAPPER.test(first.slice(0, e.program.s))) return null;
    const last = e.words[e.words.length - 1] ?? e.program;
    const tail = (doc.lines[e.line + last.el] ?? '').slice(last.e);
    if (e.line + last.el !== e.endLine || !/^\s*(?:#.*)?$/.test(tail)) return null;
  }
  // the lines and the break after them; a last line without a break takes the one before it
  if (e.endLine + 1 < doc.lines.length) return { range: { start: pos(e.line, 0), end: pos(e.endLine + 1, 0) }, newText: '' };
  const end = pos(e.endLine, doc.lines[e.endLine].length);
  return { range: { start: e.line > 0 ? pos(e.line - 1, doc.lines[e.line - 1].length) : pos(0, 0), end }, newText: '' };
}

/** Matches whose evaluation changes state other rules see (lists, shared buckets, counters). */
const STATEFUL = new Set(['recent', 'hashlimit', 'connlimit', 'limit', 'statistic']);

/**
 * Remove a rule. Certain where nothing it does survives it: always for a rule no packet
 * reaches; for a no-op mark write only when none of its matches keeps state (a `recent`
 * list, a hashlimit bucket shared by name, an unmodelled match such as nfacct or quota).
 */
function removeRule(doc: RuleDocument, f: Finding, title: string, reached: boolean): Fix[] {
  const e = doc.entryAt(f.line);
  if (!e || e.k !== 'rule') return [];
  const edit = removeLines(doc, e);
  if (!edit) return [];
  const stateful = (e as RuleEntry).rule.exts.some(
    (x) => x.kind === 'match' && (x.name.unknown || STATEFUL.has(x.name.text) || !extensionSpec('match', x.name.text)),
  );
  return [{ title, edits: [edit], preferred: !reached || !stateful }];
}

/** The text of a finding's range, when it lies on one line. */
function findingText(doc: RuleDocument, f: Finding): string | undefined {
  return f.line === f.endLine ? doc.lines[f.line]?.slice(f.s, f.e) : undefined;
}

/** Does a rule name the chain: its own chain, or a jump/goto to it? */
const namesChain = (r: Rule, name: string) => r.command?.chain?.text === name || r.exts.some((x) => x.kind === 'target' && x.name.text === name);

function undeclaredChain(doc: RuleDocument, f: Finding): Fix[] {
  const name = findingText(doc, f);
  if (!name || !/^[^\s"'!-][^\s"']*$/.test(name)) return [];
  const e = doc.entryAt(f.line);
  if (doc.format === 'save') {
    // the table block around the finding; after its last chain declaration, else its header
    const entries = doc.entries;
    let header: Entry | undefined;
    let lastDecl: Entry | undefined;
    for (const x of entries) {
      if (x.line > f.line && (x.k === 'table' || x.k === 'commit')) break;
      if (x.k === 'table') {
        header = x;
        lastDecl = undefined;
      } else if (x.k === 'chain' && header) lastDecl = x;
    }
    if (!header) return [];
    const after = lastDecl ?? header;
    const line = doc.lines[after.line];
    return [{ title: `Declare chain ${name}: :${name} - [0:0]`, edits: [insert(pos(after.line, line.length), `\n:${name} - [0:0]`)] }];
  }
  if (doc.format !== 'shell' || !e || e.k !== 'rule') return [];
  const table = e.rule.table?.text ?? 'filter';
  const first = doc.entries.find((x): x is RuleEntry => x.k === 'rule' && (x.rule.table?.text ?? 'filter') === table && namesChain(x.rule, name)) ?? e;
  if (!first.program || first.program.l !== 0) return [];
  const text = doc.lines[first.line];
  const indent = /^\s*/.exec(text)![0];
  const prefix = text.slice(indent.length, first.program.s);
  const wrap = WRAPPER.test(prefix) ? prefix : '';
  const prog = text.slice(first.program.s, first.program.e);
  // created only later in the script: a second -N would fail ("Chain already exists"), so
  // the fix moves that -N up, where it stands alone on its lines
  const later = doc.entries.find(
    (x): x is RuleEntry =>
      x.k === 'rule' &&
      x.line > first.line &&
      x.rule.command?.spec.kind === 'new' &&
      x.rule.command.chain?.text === name &&
      (x.rule.table?.text ?? 'filter') === table,
  );
  if (later) {
    const remove = removeLines(doc, later);
    if (!remove) return [];
    const moved = doc.lines
      .slice(later.line, later.endLine + 1)
      .map((l) => l.replace(/^\s*/, indent))
      .join('\n');
    return [{ title: `Move the -N ${name} of line ${later.line + 1} before its first use`, edits: [insert(pos(first.line, 0), `${moved}\n`), remove] }];
  }
  const t = first.rule.table ? `-t ${table} ` : '';
  return [{ title: `Create chain ${name} first: ${prog} ${t}-N ${name}`, edits: [insert(pos(first.line, 0), `${indent}${wrap}${prog} ${t}-N ${name}\n`)] }];
}

function targetHook(doc: RuleDocument, e: RuleEntry): Fix[] {
  if (doc.format !== 'shell') return [];
  const r = e.rule;
  const chain = r.command?.chain;
  if (!chain || chain.unknown || !r.needs?.length) return [];
  const tableWord = r.table;
  if (tableWord?.unknown) return [];
  const now = tableWord?.text ?? 'filter';
  const tables = new Set<string>();
  for (const n of r.needs) if (n.tables?.length === 1) tables.add(n.tables[0]);
  if (tables.size !== 1) return [];
  const to = [...tables][0];
  if (to === now || !TABLES[to]?.includes(chain.text)) return [];
  // every restriction of the rule must hold in the new table
  if (r.needs.some((n) => hookProblem({ chain: chain.text, ext: n.ext, tables: n.tables, hooks: n.hooks }, to))) return [];
  const edits: TextEdit[] = tableWord
    ? [{ range: { start: at(e, tableWord), end: pos(e.line + tableWord.el, tableWord.e) }, newText: to }]
    : [insert(at(e, e.words[0]), `-t ${to} `)];
  return [{ title: `Use table ${to}: ${tableWord ? `-t ${now} -> ` : ''}-t ${to}`, edits, preferred: true }];
}

function chainRedeclared(doc: RuleDocument, f: Finding): Fix[] {
  const e = doc.entryAt(f.line);
  if (!e) return [];
  if (e.k === 'chain') {
    const edit = removeLines(doc, e);
    if (!edit) return [];
    // the first declaration of the same name in the same block, and what lies between
    let first: Extract<Entry, { k: 'chain' }> | undefined;
    let between = false;
    for (const x of doc.entries) {
      if (x.line >= e.line) break;
      if (x.k === 'table') {
        first = undefined;
        between = false;
      } else if (x.k === 'chain' && x.name.text === e.name.text && !first) first = x;
      else if (first && x.k === 'rule' && x.rule.command?.chain?.text === e.name.text) between = true;
    }
    const same = !!first && first.policy?.text === e.policy?.text;
    return [{ title: `Remove the second declaration of ${e.name.text}`, edits: [edit], preferred: same && !between }];
  }
  if (e.k === 'rule' && e.rule.command?.spec.kind === 'new') {
    const edit = removeLines(doc, e);
    // `-N` of an existing chain only fails: removing it changes nothing else
    return edit ? [{ title: `Remove the second -N ${e.rule.command.chain?.text ?? ''}`.trimEnd(), edits: [edit], preferred: true }] : [];
  }
  return [];
}

function userChainPolicy(doc: RuleDocument, f: Finding): Fix[] {
  const e = doc.entryAt(f.line);
  if (!e || e.k !== 'chain' || !e.policy || e.policy.text === '-') return [];
  return [
    {
      title: `A user chain has no policy: write -`,
      edits: [{ range: { start: at(e, e.policy), end: pos(e.line, e.policy.e) }, newText: '-' }],
      preferred: true,
    },
  ];
}

/** `-ptcp` -> `-p tcp`, `--protocol=tcp` -> `--protocol tcp`: the value as its own word. */
function attachedArgument(doc: RuleDocument, f: Finding): Fix[] {
  const line = doc.lines[f.line] ?? '';
  if (f.s < 2 || f.endLine !== f.line) return [];
  const eq = line[f.s - 1] === '=';
  const edit: TextEdit = eq ? { range: { start: pos(f.line, f.s - 1), end: pos(f.line, f.s) }, newText: ' ' } : insert(pos(f.line, f.s), ' ');
  const value = line.slice(f.s, f.e);
  return [{ title: `Write ${value} as its own word`, edits: [edit], preferred: true }];
}

function fixesFor(doc: RuleDocument, f: Finding): Fix[] {
  switch (f.code) {
    case 'old-negation':
    case 'bad-value':
    case 'bad-argument': {
      const e = ruleAt(doc, f);
      return e ? oldNegation(doc, e, f) : [];
    }
    case 'protocol-required': {
      const e = ruleAt(doc, f);
      return e ? protocolRequired(e, f) : [];
    }
    case 'unknown-option': {
      const e = ruleAt(doc, f);
      return e ? unknownOption(e, f) : [];
    }
    case 'target-hook': {
      const e = ruleAt(doc, f);
      return e ? targetHook(doc, e) : [];
    }
    case 'mark-noop':
      return removeRule(doc, f, 'Remove the rule: it changes no mark', true);
    case 'unreachable-rule':
      return removeRule(doc, f, 'Remove the rule: no packet reaches it', false);
    case 'undeclared-chain':
      return undeclaredChain(doc, f);
    case 'chain-redeclared':
      return chainRedeclared(doc, f);
    case 'user-chain-policy':
      return userChainPolicy(doc, f);
    case 'attached-argument':
      return attachedArgument(doc, f);
    default:
      return [];
  }
}

function diagnosticOf(f: Finding, sent?: Diagnostic[]): Diagnostic {
  const match = sent?.find(
    (d) =>
      d.code === f.code && d.range.start.line === f.line && d.range.start.character === f.s && d.range.end.line === f.endLine && d.range.end.character === f.e,
  );
  if (match) return match;
  return {
    range: { start: pos(f.line, f.s), end: pos(f.endLine, f.e) },
    severity: SEVERITY[f.severity],
    code: f.code,
    source: 'nfrules',
    message: f.message,
  };
}

/** The quick fixes for the findings that touch the range. Never throws. */
export function quickFixes(doc: RuleDocument, analysis: Analysis, uri: string, range: Range, diagnostics?: Diagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  const seen = new Map<string, CodeAction>();
  for (const f of analysis.findings) {
    if (!overlaps(f, range)) continue;
    let fixes: Fix[];
    try {
      fixes = fixesFor(doc, f);
    } catch {
      fixes = [];
    }
    for (const fix of fixes) {
      const key = fix.title + JSON.stringify(fix.edits);
      const known = seen.get(key);
      if (known) {
        known.diagnostics!.push(diagnosticOf(f, diagnostics));
        continue;
      }
      const action: CodeAction = {
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnosticOf(f, diagnostics)],
        edit: { changes: { [uri]: fix.edits } },
      };
      if (fix.preferred) action.isPreferred = true;
      seen.set(key, action);
      out.push(action);
    }
  }
  return out;
}
