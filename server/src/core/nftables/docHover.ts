/**
 * Hover documentation for the nft keyword under the cursor, from docs.ts.
 * A tiny scanner of its own finds the word (nft's name characters: letters,
 * digits, `_ . / -`), skips comments and quoted strings, and looks one word
 * back to tell the meanings of a word apart (`type filter` is a chain type,
 * `priority filter` a priority, `table ip` a family, `ip saddr` a header).
 * Pure and linear in the line's length.
 */
import {
  NFT_CHAIN_HOOKS,
  NFT_FAMILIES,
  NFT_PRIORITIES,
  NFT_CHAIN_TYPES,
  NFT_NAT_PRIORITY_ABOVE,
  nftKeywordDocs,
  type NftDocKind,
  type NftKeywordDoc,
  type NftHook,
  type NftChainType,
} from './docs';

const WORD = /[A-Za-z0-9_./-]/;

/** The line's text, or undefined past the end. */
function lineAt(text: string, line: number): string | undefined {
  let start = 0;
  for (let i = 0; i < line; i++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const nl = text.indexOf('\n', start);
  const s = text.slice(start, nl < 0 ? text.length : nl);
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

/** Where a comment starts on the line (a `#` outside quotes), or the line length. */
function codeEnd(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted) return i;
  }
  return line.length;
}

/** Whether position i is inside a quoted string. */
function inString(line: string, i: number): boolean {
  let quoted = false;
  for (let k = 0; k < i; k++) if (line[k] === '"') quoted = !quoted;
  return quoted;
}

/** The word just before position `before` on the line, skipping blanks; '' if none. */
function previousWord(line: string, before: number): string {
  let i = before - 1;
  while (i >= 0 && (line[i] === ' ' || line[i] === '\t')) i--;
  const end = i + 1;
  while (i >= 0 && WORD.test(line[i])) i--;
  return line.slice(i + 1, end);
}

const PREFERRED: Readonly<Record<string, readonly NftDocKind[]>> = {
  type: ['chain-type', 'datatype'],
  hook: ['hook'],
  priority: ['priority'],
  policy: ['policy', 'set-policy'],
  table: ['family'],
  chain: [],
  flags: ['set-flag', 'value', 'field'],
  jump: [],
  goto: [],
  with: ['expression', 'value'],
  meta: ['field'],
  ct: ['field'],
  level: ['value'],
};

function pick(prev: string, docs: readonly NftKeywordDoc[]): readonly NftKeywordDoc[] {
  const want = PREFERRED[prev];
  if (want) {
    const chosen = docs.filter((d) => want.includes(d.kind));
    if (chosen.length > 0) return chosen.slice(0, 1);
  }
  // after a header expression a word is its field; after a family word of a command, a name
  if (['ip', 'ip6', 'tcp', 'udp', 'ether', 'arp', 'icmp', 'icmpv6', 'vlan', 'sctp', 'th', 'fib', 'socket'].includes(prev)) {
    const f = docs.filter((d) => d.kind === 'field');
    if (f.length > 0) return f;
  }
  return docs;
}

function hookNote(hook: NftHook): string {
  const rows: string[] = [];
  for (const type of NFT_CHAIN_TYPES) {
    const fams = NFT_FAMILIES.filter((f) => NFT_CHAIN_HOOKS[f][type]?.includes(hook));
    if (fams.length > 0) rows.push(`- \`${type}\` chains: ${fams.join(', ')}`);
  }
  return rows.length ? `\n\nBase chains on this hook (nft 1.0.6):\n${rows.join('\n')}` : '';
}

function chainTypeNote(type: NftChainType): string {
  const rows = NFT_FAMILIES.filter((f) => NFT_CHAIN_HOOKS[f][type]).map((f) => `- ${f}: ${NFT_CHAIN_HOOKS[f][type]!.join(', ')}`);
  const nat = type === 'nat' ? `\n\nIts priority must be above ${NFT_NAT_PRIORITY_ABOVE} (after connection tracking).` : '';
  return `\n\nHooks per family:\n${rows.join('\n')}${nat}`;
}

function priorityNote(name: string): string {
  const rows: string[] = [];
  for (const f of NFT_FAMILIES) {
    const p = NFT_PRIORITIES[f].find((x) => x.name === name);
    if (!p) continue;
    rows.push(`| ${f} | ${p.value} | ${p.hooks ? p.hooks.join(', ') : 'any'} | ${p.iptables ?? ''} |`);
  }
  return rows.length ? `\n\n| family | value | hooks (nft 1.0.6) | runs with |\n|---|---|---|---|\n${rows.join('\n')}` : '';
}

function render(word: string, doc: NftKeywordDoc): string {
  let extra = '';
  if (doc.kind === 'hook') extra = hookNote(word as NftHook);
  else if (doc.kind === 'chain-type') extra = chainTypeNote(word as NftChainType);
  else if (doc.kind === 'priority') extra = priorityNote(word);
  return `**${word}** *(${doc.kind})*\n\n${doc.doc}${extra}`;
}

/**
 * Markdown documentation for the nft keyword at (line, character), both
 * 0-based; undefined where there is no keyword (a name, a number, a comment,
 * a string, `$variable`, `@set`).
 */
export function nftDocHover(text: string, line: number, character: number): string | undefined {
  const l = lineAt(text, line);
  if (l === undefined || character < 0 || character > l.length) return undefined;
  const end0 = codeEnd(l);
  if (character >= end0 && !(character === end0 && end0 > 0 && WORD.test(l[end0 - 1]))) return undefined;
  if (inString(l, character)) return undefined;
  let s = character;
  while (s > 0 && WORD.test(l[s - 1])) s--;
  let e = character;
  while (e < end0 && WORD.test(l[e])) e++;
  if (s === e) return undefined;
  if (s > 0 && (l[s - 1] === '$' || l[s - 1] === '@')) return undefined;
  const word = l.slice(s, e);
  const docs = nftKeywordDocs(word);
  if (docs.length === 0) return undefined;
  const prev = previousWord(l, s);
  const chosen = pick(prev, docs);
  return chosen.map((d) => render(word, d)).join('\n\n---\n\n');
}
