/**
 * Documentation hovers: what a command, a core option, a match or target extension, or an
 * extension's option means, with its argument syntax, where the kernel allows it and, for
 * an option, the extension that owns it (as rule.ts assigns options, the way iptables does).
 * Extension texts come from extensions.ts; the texts iptables itself has no data for
 * (commands, core options, tables, policies) are written here. Mark and chain hovers come
 * first (service.ts asks this one last), so this never shadows them.
 */
import { COMMAND_DOCS, CORE_DOCS, PROTO_OF_MATCH, TABLE_DOCS, matchesOwning } from '../iptables/knowledge/docs';
import { MarkupKind } from 'vscode-languageserver-types';
import { COMMANDS, CORE_OPTIONS, TABLES, CommandKind } from '../iptables/knowledge/commands';
import { ExtOption, ExtSpec } from '../iptables/knowledge/extensions';
import { extensionSpec, findExtOption, protocolMatch } from '../iptables/knowledge/extensions';
import { Entry, RuleDocument, RuleEntry } from '../iptables/syntax/document';
import { Position, wordContains } from './cursor';
import { Ext, Opt } from '../iptables/syntax/ruleTypes';
import { Word } from '../iptables/syntax/lexer';
import type { HoverResult } from './hover';

const md = (value: string) => ({ kind: MarkupKind.Markdown, value });
const code = (s: string) => '`' + s + '`';

/** Where the kernel allows an extension: tables and built-in chains. */
function whereAllowed(spec: ExtSpec): string {
  const parts: string[] = [];
  if (spec.tables) parts.push(`table${spec.tables.length > 1 ? 's' : ''} ${spec.tables.map(code).join(', ')}`);
  if (spec.hooks) parts.push(`built-in chain${spec.hooks.length > 1 ? 's' : ''} ${spec.hooks.map(code).join(', ')} (and user chains reached only from them)`);
  return parts.length ? `Only in ${parts.join('; ')}.` : 'Any table and chain.';
}

function optionSpelling(x: ExtOption): string {
  return `--${x.names[0]}${x.syntax ? ' ' + x.syntax : x.args ? ' value' : ''}`;
}

/** The markdown for an extension (match or target). */
export function extensionMarkdown(spec: ExtSpec, implicitFrom?: string): string {
  const head = spec.kind === 'match' ? `-m ${spec.name}` : `-j ${spec.name}`;
  const lines = [`**${head}** — ${spec.kind} extension${implicitFrom ? ` (loaded implicitly by ${code(implicitFrom)})` : ''}`, '', spec.doc, ''];
  const notes: string[] = [];
  if (spec.proto)
    notes.push(
      `Needs ${spec.proto.names
        .filter((n) => !/^\d/.test(n))
        .map((n) => code('-p ' + n))
        .join(' or ')}.`,
    );
  if (spec.family) notes.push(spec.family === 6 ? 'ip6tables only.' : 'iptables (IPv4) only.');
  notes.push(whereAllowed(spec));
  lines.push(notes.join(' '));
  if (spec.options.length) {
    lines.push('', 'Options:', '');
    for (const x of spec.options) lines.push(`- ${code((x.invertible ? '[!] ' : '') + optionSpelling(x))}${x.mandatory ? ' (required)' : ''}: ${x.doc}`);
  }
  return lines.join('\n');
}

/** The markdown for an option of an extension, with its owner. */
export function extOptionMarkdown(spec: ExtSpec, x: ExtOption, owner: Ext): string {
  const via = owner.implicit ? `, loaded by ${code(owner.via.text + ' ' + owner.name.text)}` : '';
  const ownerText = spec.kind === 'match' ? `-m ${spec.name}` : `-j ${spec.name}`;
  const lines = [`**${code((x.invertible ? '[!] ' : '') + optionSpelling(x))}** — option of ${code(ownerText)}${via}`, '', x.doc];
  const notes: string[] = [];
  if (x.names.length > 1)
    notes.push(
      `Also spelled ${x.names
        .slice(1)
        .map((n) => code('--' + n))
        .join(', ')}.`,
    );
  if (x.mandatory) notes.push(`${code(ownerText)} requires it.`);
  if (x.excl?.length) notes.push(`Not together with ${x.excl.map((n) => code('--' + n)).join(', ')}.`);
  if (!x.invertible) notes.push('Cannot be negated with `!`.');
  if (notes.length) lines.push('', notes.join(' '));
  return lines.join('\n');
}

function coreMarkdown(o: Opt): string | null {
  const d = CORE_DOCS[o.key];
  if (!d) return null;
  const spec = CORE_OPTIONS[o.key];
  const names = Object.keys(CORE_OPTIONS).filter((k) => CORE_OPTIONS[k].canonical === o.key);
  const head = `${spec?.invertible ? '[!] ' : ''}${names.join(', ')}${d.syntax ? ' ' + d.syntax : ''}`;
  return [`**${code(head)}**`, '', d.doc].join('\n');
}

function commandMarkdown(kind: CommandKind): string {
  const names = Object.keys(COMMANDS).filter((k) => COMMANDS[k].kind === kind);
  const d = COMMAND_DOCS[kind];
  return [`**${code(names.join(', ') + ' ' + d.syntax)}** — command`, '', d.doc].join('\n');
}

function tableMarkdown(name: string): string | null {
  if (!(name in TABLES)) return null;
  return [`**table ${name}**`, '', TABLE_DOCS[name] ?? '', '', `Built-in chains: ${TABLES[name].map(code).join(', ')}.`].join('\n');
}

function targetMarkdown(name: string): string | null {
  const spec = extensionSpec('target', name);
  return spec ? extensionMarkdown(spec) : null;
}

const inRange = (base: number, w: Word | undefined, p: Position) => !!w && wordContains(base, w, p);
const rangeOf = (base: number, w: Word) => ({ start: { line: base + w.l, character: w.s }, end: { line: base + w.el, character: w.e } });

function ruleHover(e: RuleEntry, p: Position): HoverResult | null {
  const r = e.rule;
  const base = e.line;
  const at = (w: Word, value: string | null): HoverResult | null => (value ? { contents: md(value), range: rangeOf(base, w) } : null);
  const c = r.command;
  if (c && inRange(base, c.word, p)) return at(c.word, commandMarkdown(c.spec.kind));
  if (c && inRange(base, c.chain, p)) return null; // the chain hover's
  // extension options first: their inline `--opt=value` words are inside the name's span
  for (const ext of r.exts) {
    const spec = ext.name.unknown ? undefined : extensionSpec(ext.kind, ext.name.text);
    for (const o of ext.opts) {
      const x = spec && o.canon ? findExtOption(spec, o.canon) : undefined;
      const hit = [o.neg, ...o.args, o.name].find((w) => inRange(base, w, p));
      if (!hit) continue;
      if (!spec || !x) return null;
      if (hit === o.neg) return at(hit, `**!** — negates ${code(o.key)}: the rule matches where the test fails.\n\n` + extOptionMarkdown(spec, x, ext));
      return at(hit, extOptionMarkdown(spec, x, ext));
    }
  }
  for (const o of r.core) {
    const hit = [...o.args, o.neg, o.name].find((w) => inRange(base, w, p));
    if (!hit) continue;
    if (hit === o.neg) return at(hit, `**!** — negates ${code(o.name.text)}: the rule matches packets for which the test fails.`);
    if (r.problems.some((x) => x.code === 'unknown-option' && x.word === o.name)) {
      // an option nobody loaded owns: say which match has it
      const owners = matchesOwning(o.key.replace(/^--?/, ''), e.family);
      if (!owners.length || hit !== o.name) return null;
      const how = owners.map((s) => code(PROTO_OF_MATCH[s.name] ? `-p ${PROTO_OF_MATCH[s.name]}` : `-m ${s.name}`)).join(' or ');
      return at(
        hit,
        `**${code(o.key)}** is not an option of anything loaded before it: it belongs to ${owners.map((s) => code(s.name)).join(', ')}; put ${how} before it.`,
      );
    }
    if (hit === o.name) return at(hit, coreMarkdown(o));
    const arg = hit.unknown ? undefined : hit.text;
    switch (o.key) {
      case '--protocol': {
        const pm = arg ? protocolMatch(arg) : undefined;
        const spec = pm ? extensionSpec('match', pm) : undefined;
        if (spec)
          return at(
            hit,
            `**protocol ${arg}** — loads the ${code(pm!)} match on the first option of its that follows.\n\n` + extensionMarkdown(spec, `-p ${arg}`),
          );
        return at(hit, coreMarkdown(o));
      }
      case '--match': {
        const spec = arg ? extensionSpec('match', arg) : undefined;
        return at(hit, spec ? extensionMarkdown(spec) : arg ? `**-m ${arg}** — a match extension nfrules does not model: its options are not checked.` : null);
      }
      case '--jump':
      case '--goto':
        return arg ? at(hit, targetMarkdown(arg)) : null; // a user chain: the chain hover's
      case '--table':
        return arg ? at(hit, tableMarkdown(arg)) : null;
      default:
        return at(hit, coreMarkdown(o));
    }
  }
  return null;
}

/** Documentation for the word under the cursor, or null. */
export function docsHover(doc: RuleDocument, p: Position): HoverResult | null {
  try {
    const e: Entry | undefined = doc.entryAt(p.line);
    if (!e) return null;
    switch (e.k) {
      case 'rule':
        return ruleHover(e, p);
      case 'table': {
        if (!wordContains(e.line, { ...e.name, s: e.name.s - 1 }, p)) return null;
        const value = tableMarkdown(e.name.text);
        return value ? { contents: md(value), range: rangeOf(e.line, e.name) } : null;
      }
      case 'chain': {
        if (!e.policy || !wordContains(e.line, e.policy, p)) return null;
        const value =
          e.policy.text === '-'
            ? '**-** — no policy: a user chain; packets that reach its end return to the calling chain.'
            : `**policy ${e.policy.text}** — what happens to packets that reach the end of the built-in chain ${code(e.name.text)} (ACCEPT or DROP).`;
        return { contents: md(value), range: rangeOf(e.line, e.policy) };
      }
      default:
        return null;
    }
  } catch {
    return null;
  }
}
