// The nftables grammar's keyword lists (the `words_*` variables of
// syntaxes/nftables.tmLanguage.yaml) are held to the keyword documentation in
// server/src/core/nftables/docs.ts: every word the grammar colours has a hover
// text there, the value lists are the same on both sides, and the hooks,
// chain types and priority names of the docs' tables are words the grammar
// colours as such.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from './textmate';
import {
  NFT_KEYWORD_DOCS,
  NFT_VALUE_WORDS,
  NFT_CHAIN_HOOKS,
  NFT_PRIORITIES,
  NFT_FAMILIES,
  NFT_HOOKS,
  NFT_CHAIN_TYPES,
} from '../../server/src/core/nftables/docs';

const grammar = load(readFileSync(join(repoRoot, 'syntaxes', 'nftables.tmLanguage.yaml'), 'utf8')) as { variables: Record<string, string> };
const lists: Record<string, string[]> = Object.fromEntries(
  Object.entries(grammar.variables)
    .filter(([k]) => k.startsWith('words_'))
    .map(([k, v]) => [k, v.split('|')]),
);

/** Words the grammar colours without a doc of their own, and why. Empty today: keep it short. */
const NO_DOC_REASONS: Record<string, string> = {};

test('every word the nftables grammar colours has a doc in core/nftables/docs.ts', () => {
  const words = new Set(Object.values(lists).flat());
  assert.ok(words.size > 400, `only ${words.size} words in the grammar lists`);
  const missing = [...words].filter((w) => !NFT_KEYWORD_DOCS.has(w) && !(w in NO_DOC_REASONS)).sort();
  assert.deepEqual(missing, [], 'words the grammar colours with no doc');
  for (const [w, docs] of NFT_KEYWORD_DOCS) {
    for (const d of docs) assert.ok(d.doc.length >= 8 && /[.)]$/.test(d.doc), `${w} (${d.kind}): doc too short or unfinished: ${d.doc}`);
  }
});

test('the value lists of the grammar and of the docs are the same lists', () => {
  for (const [name, words] of Object.entries(NFT_VALUE_WORDS)) {
    assert.deepEqual(words, lists[name], `${name} differs between the grammar and docs.ts`);
  }
});

test('families, hooks, chain types and priority names of the docs tables are coloured as such', () => {
  assert.deepEqual([...NFT_FAMILIES].sort(), [...lists.words_family].sort());
  assert.deepEqual([...NFT_HOOKS].sort(), [...lists.words_hook].sort());
  assert.deepEqual([...NFT_CHAIN_TYPES].sort(), [...lists.words_chain_type].sort());
  const names = new Set(
    Object.values(NFT_PRIORITIES)
      .flat()
      .map((p) => p.name),
  );
  assert.deepEqual([...names].sort(), [...lists.words_priority].sort());
  for (const f of NFT_FAMILIES) for (const hooks of Object.values(NFT_CHAIN_HOOKS[f])) for (const h of hooks ?? []) assert.ok(lists.words_hook.includes(h), h);
  for (const w of [...lists.words_hook, ...lists.words_chain_type, ...lists.words_priority]) {
    const kinds = NFT_KEYWORD_DOCS.get(w)?.map((d) => d.kind) ?? [];
    assert.ok(
      kinds.some((k) => k === 'hook' || k === 'chain-type' || k === 'priority'),
      `${w}: ${kinds.join(', ')}`,
    );
  }
});
