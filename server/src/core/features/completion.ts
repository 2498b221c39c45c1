/**
 * Completion that reads the words before the cursor: table names after `*` and `-t`,
 * commands, the current table's chains after `-A`/`-I`/`-j`/`-g`, match modules after `-m`,
 * the options of the loaded modules and of the target, closed value sets, and snippets.
 * Only the cursor's line (and the lines it continues, in scripts) is read.
 */
import { CompletionItem, CompletionItemKind, CompletionList, InsertTextFormat, MarkupKind, Range } from 'vscode-languageserver-types';
import { BUILTIN_TARGETS, COMMANDS, CORE_OPTIONS, POLICIES, TABLES } from '../iptables/knowledge/commands';
import { COMMAND_DOCS, CORE_DOCS, RULE_SPEC_OPTIONS } from '../iptables/knowledge/docs';
import { ChainIndex, blockAt } from '../iptables/syntax/chainIndex';
import { PROTOCOLS, VALUE_SETS } from '../iptables/knowledge/valueSets';
import { EXTENSIONS, extensionSpec, protocolMatch } from '../iptables/knowledge/extensions';
import { ExtOption, ExtSpec } from '../iptables/knowledge/extensions';
import { RuleDocument } from '../iptables/syntax/document';
import { Position } from './cursor';
import { chainDetail } from './symbols';

/** Chains offered at most; the list is marked incomplete beyond, so the client asks again as you type. */
export const MAX_CHAIN_ITEMS = 500;

const PROGRAM_RE = /^(?:\S*\/)?(?:ip6?tables(?:-legacy|-nft)?|\$\{?(?:IP6?T(?:ABLES)?[0-9_]*|ip6?t(?:ables)?[0-9_]*)\}?|ip6?t[0-9]?)$/;

interface Context {
  /** The words before the cursor's word, after the program name in scripts. */
  args: string[];
  /** The word being typed, up to the cursor. */
  cur: string;
  range: Range;
  /** Save files: nothing precedes on the line. Scripts: no iptables program found. */
  lineStart: boolean;
  noProgram: boolean;
}

function context(doc: RuleDocument, p: Position): Context {
  const line = doc.lines[p.line] ?? '';
  const ch = Math.min(p.character, line.length);
  let ws = ch;
  while (ws > 0 && !/\s/.test(line[ws - 1])) ws--;
  let we = ch;
  while (we < line.length && !/\s/.test(line[we])) we++;
  let before = line.slice(0, ws);
  if (doc.format === 'shell') {
    for (let l = p.line - 1; l >= 0 && /\\\s*$/.test(doc.lines[l]); l--) before = doc.lines[l].replace(/\\\s*$/, ' ') + before;
  }
  let words = before.split(/\s+/).filter(Boolean);
  let noProgram = false;
  if (doc.format === 'shell') {
    let k = -1;
    for (let i = words.length - 1; i >= 0; i--) if (PROGRAM_RE.test(words[i])) k = i;
    // the last command on the line: after `;`, `&&`, `|`
    for (let i = words.length - 1; i >= 0; i--) {
      if (/[;&|]$/.test(words[i])) {
        if (k <= i) k = -1;
        break;
      }
      if (PROGRAM_RE.test(words[i])) k = i;
    }
    noProgram = k < 0;
    words = k < 0 ? [] : words.slice(k + 1);
  }
  return {
    args: words.map((w) => w.replace(/^["']|["']$/g, '')),
    cur: line.slice(ws, ch),
    range: { start: { line: p.line, character: ws }, end: { line: p.line, character: we } },
    lineStart: before.trim() === '',
    noProgram,
  };
}

const md = (value: string) => ({ kind: MarkupKind.Markdown, value });

function item(label: string, kind: CompletionItemKind, range: Range, detail?: string, doc?: string, newText = label): CompletionItem {
  const it: CompletionItem = { label, kind, textEdit: { range, newText } };
  if (detail) it.detail = detail;
  if (doc) it.documentation = md(doc);
  return it;
}

/** Long option name of a core option or command, with its short form, e.g. `--append` for `-A`. */
const longOf = (table: Record<string, unknown>, short: string) => Object.keys(table).find((k) => k.startsWith('--') && table[k] === table[short]);

function tableOf(doc: RuleDocument, index: ChainIndex, ctx: Context, line: number): string {
  if (doc.format === 'save') return blockAt(index, line)?.name ?? 'filter';
  const k = ctx.args.findIndex((a) => a === '-t' || a === '--table');
  return k >= 0 && ctx.args[k + 1] ? ctx.args[k + 1] : 'filter';
}

function chainItems(index: ChainIndex, table: string, range: Range, cur: string, userOnly: boolean, out: CompletionItem[]): boolean {
  const seen = new Set<string>();
  if (!userOnly) {
    for (const b of TABLES[table] ?? []) {
      seen.add(b);
      const c = index.byTable.get(table)?.get(b);
      out.push(item(b, CompletionItemKind.Module, range, c ? chainDetail(c) : `built-in chain of ${table}`));
    }
  }
  const chains = index.byTable.get(table);
  if (!chains) return false;
  let n = 0;
  for (const c of chains.values()) {
    if (seen.has(c.name) || c.builtin || !(c.decl || c.rules)) continue;
    if (cur && !c.name.startsWith(cur)) continue;
    if (++n > MAX_CHAIN_ITEMS) return true;
    out.push(item(c.name, CompletionItemKind.Function, range, chainDetail(c)));
  }
  return false;
}

function optionItems(spec: ExtSpec, o: ExtOption, range: Range, out: CompletionItem[]): void {
  const set = VALUE_SETS[`${spec.name}/${o.names[0]}`];
  for (const name of o.names) {
    const label = `--${name}`;
    const syntax = `${label}${o.invertible ? ' [!]' : ''}${o.args ? ' ' + (o.syntax ?? 'value') : ''}`;
    const alias =
      o.names.length > 1
        ? `\n\nAlso spelled ${o.names
            .filter((n) => n !== name)
            .map((n) => '`--' + n + '`')
            .join(', ')}.`
        : '';
    const values = set ? `\n\nValues: ${set.values.map((v) => '`' + v + '`').join(', ')}${set.list ? ' (comma-separated)' : ''}` : '';
    out.push(item(label, CompletionItemKind.Property, range, `${spec.name}: ${syntax}`, `\`${syntax}\`\n\n${o.doc}${alias}${values}`));
  }
}

/** The extensions whose options are in scope: `-m X`, the `-p` protocol's, and the target's. */
function loadedExtensions(args: string[]): ExtSpec[] {
  const out: ExtSpec[] = [];
  for (let i = 0; i < args.length - 1; i++) {
    const a = args[i];
    const v = args[i + 1];
    let m: ExtSpec | undefined;
    if (a === '-m' || a === '--match') m = extensionSpec('match', v);
    else if (a === '-p' || a === '--protocol') {
      const pm = protocolMatch(v);
      m = pm ? extensionSpec('match', pm) : undefined;
    } else if (a === '-j' || a === '--jump') m = extensionSpec('target', v);
    if (m && !out.includes(m)) out.push(m);
  }
  return out;
}

/** Is a target allowed in this table (where the extension table says where)? */
const targetFits = (spec: ExtSpec, table: string) => !spec.tables || spec.tables.includes(table);

const SNIPPETS = {
  save: [
    [
      'MARK rule',
      '-A ${1:PREROUTING} -j MARK --set-xmark ${2:0x4000}/${3:0x4000}',
      'A rule that sets bits of the packet mark (kube-proxy style OR when value = mask).',
    ],
    ['chain declaration', ':${1:NAME} - [0:0]', 'Declare a user chain in this table.'],
  ],
  shell: [
    [
      'MARK rule',
      'iptables -t mangle -A ${1:PREROUTING} -j MARK --set-xmark ${2:0x4000}/${3:0x4000}',
      'A rule that sets bits of the packet mark (kube-proxy style OR when value = mask).',
    ],
    ['chain declaration', 'iptables -N ${1:NAME}', 'Create a user chain (table filter; add -t for another).'],
  ],
} as const;

function snippets(format: 'save' | 'shell', range: Range): CompletionItem[] {
  return SNIPPETS[format].map(([label, body, doc]) => ({
    label,
    kind: CompletionItemKind.Snippet,
    insertTextFormat: InsertTextFormat.Snippet,
    textEdit: { range, newText: body },
    detail: body.replace(/\$\{\d+:([^}]*)\}/g, '$1'),
    documentation: md(doc),
  }));
}

export function completion(doc: RuleDocument, index: ChainIndex, p: Position): CompletionList {
  const out: CompletionItem[] = [];
  const list = (isIncomplete = false): CompletionList => ({ isIncomplete, items: out });
  if (doc.format === 'listing') return list();
  const ctx = context(doc, p);
  const { args, cur, range } = ctx;
  const save = doc.format === 'save';

  if (save && ctx.lineStart) {
    if (cur.startsWith('*') || cur === '') {
      const r = { start: range.start, end: range.end };
      for (const t of Object.keys(TABLES)) out.push(item('*' + t, CompletionItemKind.Module, r, `table ${t}`, `Built-in chains: ${TABLES[t].join(', ')}`));
    }
    if (cur.startsWith('*')) return list();
    if (!cur.startsWith(':')) {
      out.push(item('COMMIT', CompletionItemKind.Keyword, range, 'end of the table', 'Commit the table: iptables-restore applies it atomically.'));
      commandItems(range, out);
    }
    out.push(...snippets('save', range));
    return list();
  }
  if (save && args.length === 1 && args[0].startsWith(':')) {
    const table = blockAt(index, p.line)?.name ?? 'filter';
    const builtin = TABLES[table]?.includes(args[0].slice(1));
    for (const pol of builtin ? POLICIES : ['-']) out.push(item(pol, CompletionItemKind.EnumMember, range, builtin ? 'policy' : 'user chains have no policy'));
    return list();
  }
  if (!save && ctx.noProgram) {
    if (ctx.lineStart) out.push(...snippets('shell', range));
    return list();
  }

  const table = tableOf(doc, index, ctx, p.line);
  const prev = args[args.length - 1];
  const prev2 = args[args.length - 2];
  const negPrev = prev === '!' ? prev2 : prev;

  if (prev === '-t' || prev === '--table') {
    for (const t of Object.keys(TABLES)) out.push(item(t, CompletionItemKind.Module, range, `table ${t}`, `Built-in chains: ${TABLES[t].join(', ')}`));
    return list();
  }
  if (prev2 && (prev2 === '-P' || prev2 === '--policy')) {
    for (const pol of POLICIES) out.push(item(pol, CompletionItemKind.EnumMember, range, 'policy'));
    return list();
  }
  const cmd = prev !== undefined ? COMMANDS[prev] : undefined;
  if (cmd && cmd.chainArg !== 'none') {
    if (cmd.kind === 'new') return list(); // a new name
    return list(chainItems(index, table, range, cur, cmd.kind === 'delete-chain' || cmd.kind === 'rename', out));
  }
  if (prev === '-j' || prev === '--jump' || prev === '-g' || prev === '--goto') {
    const goto = prev === '-g' || prev === '--goto';
    const incomplete = chainItems(index, table, range, cur, true, out);
    if (!goto) {
      for (const t of EXTENSIONS) {
        if (t.kind === 'target' && targetFits(t, table))
          out.push(item(t.name, t.options.length ? CompletionItemKind.Class : CompletionItemKind.Keyword, range, 'target', t.doc));
      }
      for (const t of BUILTIN_TARGETS) if (!extensionSpec('target', t)) out.push(item(t, CompletionItemKind.Class, range, 'target'));
    }
    return list(incomplete);
  }
  if (prev === '-m' || prev === '--match') {
    for (const m of EXTENSIONS)
      if (m.kind === 'match') out.push(item(m.name, CompletionItemKind.Module, range, m.family ? `match (IPv${m.family} only)` : 'match', m.doc));
    return list();
  }
  if (negPrev === '-p' || negPrev === '--protocol') {
    for (const v of PROTOCOLS) out.push(item(v, CompletionItemKind.EnumMember, range, 'protocol'));
    return list();
  }
  if (negPrev && negPrev.startsWith('--')) {
    for (const spec of loadedExtensions(args)) {
      const opt = spec.options.find((o) => o.names.some((n) => '--' + n === negPrev));
      if (!opt) continue;
      const set = VALUE_SETS[`${spec.name}/${opt.names[0]}`];
      if (set) {
        // a comma-separated list: complete the part after the last comma
        const comma = set.list ? cur.lastIndexOf(',') : -1;
        const r = comma >= 0 ? { start: { line: range.start.line, character: range.start.character + comma + 1 }, end: range.end } : range;
        for (const v of set.values) out.push(item(v, CompletionItemKind.EnumMember, r, `--${opt.names[0]}`, opt.doc));
        return list();
      }
      if (opt.args) return list(); // a free-form argument
    }
  }

  const hasCommand = args.some((a) => COMMANDS[a]);
  if (!hasCommand) {
    commandItems(range, out);
    if (!save) out.push(coreItem('-t', range));
    return list();
  }
  for (const short of RULE_SPEC_OPTIONS) {
    if (save && short === '-t') continue;
    out.push(coreItem(short, range));
  }
  for (const m of loadedExtensions(args)) for (const o of m.options) optionItems(m, o, range, out);
  return list();
}

function commandItems(range: Range, out: CompletionItem[]): void {
  for (const [kind, d] of Object.entries(COMMAND_DOCS)) {
    const short = Object.keys(COMMANDS).find((k) => !k.startsWith('--') && COMMANDS[k].kind === kind)!;
    const long = longOf(COMMANDS, short);
    out.push(item(short, CompletionItemKind.Keyword, range, `${short}${long ? ', ' + long : ''} ${d.syntax}`, d.doc));
  }
}

/** A core option of a rule specification, with its syntax and doc from the knowledge. */
function coreItem(short: string, range: Range): CompletionItem {
  const spec = CORE_OPTIONS[short];
  const d = CORE_DOCS[spec.canonical];
  const syntax = `${spec.invertible ? '[!] ' : ''}${d?.syntax ?? ''}`;
  return item(short, CompletionItemKind.Property, range, `${short}, ${spec.canonical} ${syntax}`.trim(), d?.doc);
}
