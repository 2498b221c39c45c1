/**
 * Documentation hovers: what a command, a core option, a match or target extension, or an
 * extension's option means, with its argument syntax, where the kernel allows it and, for
 * an option, the extension that owns it (as rule.ts assigns options, the way iptables does).
 * Extension texts come from extensions.ts; the texts iptables itself has no data for
 * (commands, core options, tables, policies) are written here. Mark and chain hovers come
 * first (service.ts asks this one last), so this never shadows them.
 */
import { MarkupKind } from 'vscode-languageserver-types';
import { COMMANDS, CORE_OPTIONS, TABLES, CommandKind } from '../iptables/knowledge/commands';
import { ExtOption, ExtSpec } from '../iptables/knowledge/extensions';
import { extensionSpec, findExtOption, protocolMatch, EXTENSIONS } from '../iptables/knowledge/extensions';
import { Entry, RuleDocument, RuleEntry } from '../iptables/syntax/document';
import { Position, wordContains } from './cursor';
import { Ext, Opt } from '../iptables/syntax/rule';
import { Word } from '../iptables/syntax/lexer';
import type { HoverResult } from './hover';

/** The commands, in our words: syntax after the command word, and what it does. */
export const COMMAND_DOCS: Record<CommandKind, { syntax: string; doc: string }> = {
  append: { syntax: 'chain rule-spec', doc: 'Add the rule at the end of the chain.' },
  check: { syntax: 'chain rule-spec', doc: 'Exit 0 if the chain has a rule exactly like this one, 1 otherwise; changes nothing.' },
  insert: { syntax: 'chain [rulenum] rule-spec', doc: 'Put the rule at position rulenum of the chain (1, the top, by default).' },
  replace: { syntax: 'chain rulenum rule-spec', doc: 'Replace the rule at position rulenum.' },
  delete: { syntax: 'chain rulenum | chain rule-spec', doc: 'Remove a rule, by its position or by its exact specification.' },
  new: { syntax: 'chain', doc: 'Create a user chain (empty; no policy). It fails if the chain exists.' },
  'delete-chain': { syntax: '[chain]', doc: 'Delete an empty user chain that nothing jumps to; without a name, every such chain of the table.' },
  policy: { syntax: 'chain ACCEPT|DROP', doc: 'Set the policy of a built-in chain: what happens to packets that reach its end.' },
  flush: { syntax: '[chain]', doc: 'Remove every rule of the chain (of every chain of the table without a name).' },
  zero: { syntax: '[chain [rulenum]]', doc: 'Reset packet and byte counters.' },
  rename: { syntax: 'old-chain new-chain', doc: 'Rename a user chain; rules that jump to it follow.' },
  list: { syntax: '[chain]', doc: 'Print the rules in the `iptables -L` table form.' },
  'list-rules': { syntax: '[chain [rulenum]]', doc: 'Print the rules as the commands that make them (`iptables-save` form).' },
};

/** Core options, keyed by canonical name, in our words. */
export const CORE_DOCS: Record<string, { syntax?: string; doc: string }> = {
  '--table': { syntax: 'table', doc: 'The table the command works on: filter (the default), nat, mangle, raw or security. Not allowed inside an iptables-restore file, where the `*table` line says it.' },
  '--protocol': { syntax: 'protocol', doc: 'Layer-4 protocol: a name from /etc/protocols (tcp, udp, icmp, ...), a number, or `all`. `-p tcp`, `-p udp`, `-p icmp` also make their match\'s options (`--dport`, `--syn`, `--icmp-type`, ...) usable without `-m`.' },
  '--source': { syntax: 'address[/mask][,...]', doc: 'Source address or network (`10.0.0.0/8`, `10.0.0.0/255.0.0.0`); a host name is resolved once, when the rule is added; a comma list makes one rule per address.' },
  '--destination': { syntax: 'address[/mask][,...]', doc: 'Destination address or network; a comma list makes one rule per address.' },
  '--in-interface': { syntax: 'name[+]', doc: 'Interface the packet came in on; a trailing `+` matches every name with that prefix. Only where there is an input interface: PREROUTING, INPUT, FORWARD.' },
  '--out-interface': { syntax: 'name[+]', doc: 'Interface the packet goes out on; a trailing `+` matches every name with that prefix. Only where it is known: FORWARD, OUTPUT, POSTROUTING.' },
  '--jump': { syntax: 'target', doc: 'What to do with a packet the rule matches: a verdict (ACCEPT, DROP, RETURN), a target extension (LOG, MARK, DNAT, ...), or a user chain, which is run and then returned from.' },
  '--goto': { syntax: 'chain', doc: 'Continue in the user chain without coming back: a RETURN there returns to the chain that called this one.' },
  '--match': { syntax: 'module', doc: 'Load a match extension; its options follow it.' },
  '--set-counters': { syntax: 'packets bytes', doc: 'Start the rule\'s packet and byte counters at these values.' },
  '--fragment': { doc: 'Only second and later fragments of a fragmented IPv4 packet; `! -f` only first fragments and unfragmented packets.' },
  '--ipv4': { doc: 'Use this line with iptables only: ip6tables skips it.' },
  '--ipv6': { doc: 'Use this line with ip6tables only: iptables skips it.' },
  '--verbose': { doc: 'More output (with -L: interfaces, counters, options).' },
  '--numeric': { doc: 'Print addresses and ports as numbers (with -L): no name lookups.' },
  '--exact': { doc: 'Print exact counters instead of K/M/G rounding (with -L -v).' },
  '--line-numbers': { doc: 'Number the rules (with -L).' },
  '--wait': { syntax: '[seconds]', doc: 'Wait for the xtables lock (for ever, or this many seconds) instead of failing when another iptables holds it.' },
  '--wait-interval': { syntax: 'microseconds', doc: 'How often to retry the lock while waiting (with -w).' },
  '--modprobe': { syntax: 'command', doc: 'The program that loads kernel modules.' },
};

export const TABLE_DOCS: Record<string, string> = {
  filter: 'The default table: accept or drop packets.',
  nat: 'Address and port translation; only the first packet of a connection goes through it, the rest follow its answer.',
  mangle: 'Change packets and their metadata: marks, TOS/DSCP, TTL, MSS.',
  raw: 'Runs before connection tracking: exempt packets from it (NOTRACK / CT) or attach helpers.',
  security: 'SELinux security marks (SECMARK, CONNSECMARK), after filter.',
};

const md = (value: string) => ({ kind: MarkupKind.Markdown, value });
const code = (s: string) => '`' + s + '`';

/** The spelling of a protocol to write after `-p` for a match that `-p` loads. */
export const PROTO_OF_MATCH: Record<string, string> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmp6: 'icmpv6' };

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
  if (spec.proto) notes.push(`Needs ${spec.proto.names.filter((n) => !/^\d/.test(n)).map((n) => code('-p ' + n)).join(' or ')}.`);
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
  if (x.names.length > 1) notes.push(`Also spelled ${x.names.slice(1).map((n) => code('--' + n)).join(', ')}.`);
  if (x.mandatory) notes.push(`${code(ownerText)} requires it.`);
  if (x.excl?.length) notes.push(`Not together with ${x.excl.map((n) => code('--' + n)).join(', ')}.`);
  if (!x.invertible) notes.push('Cannot be negated with `!`.');
  if (notes.length) lines.push('', notes.join(' '));
  return lines.join('\n');
}

/** Every modelled match extension that has an option of this long name (family-aware). */
export function matchesOwning(name: string, family: 4 | 6 = 4): ExtSpec[] {
  return EXTENSIONS.filter((s) => s.kind === 'match' && (!s.family || s.family === family) && !!findExtOption(s, name));
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
      return at(hit, `**${code(o.key)}** is not an option of anything loaded before it: it belongs to ${owners.map((s) => code(s.name)).join(', ')}; put ${how} before it.`);
    }
    if (hit === o.name) return at(hit, coreMarkdown(o));
    const arg = hit.unknown ? undefined : hit.text;
    switch (o.key) {
      case '--protocol': {
        const pm = arg ? protocolMatch(arg) : undefined;
        const spec = pm ? extensionSpec('match', pm) : undefined;
        if (spec) return at(hit, `**protocol ${arg}** — loads the ${code(pm!)} match on the first option of its that follows.\n\n` + extensionMarkdown(spec, `-p ${arg}`));
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
