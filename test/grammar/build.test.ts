// The committed grammar JSON is what syntaxes/build.ts makes from the YAML,
// every rule says what it is for, and package.json wires the grammars in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { compileGrammar, grammarSources } from '../../syntaxes/build';
import { repoRoot, createRegistry, loadGrammar, SCOPES } from './textmate';

type Rule = { [k: string]: unknown };

test('grammar JSON files are up to date with their YAML sources', () => {
  const sources = grammarSources();
  assert.equal(sources.length, 5, 'five grammars: iptables rules, listing, shell injection; nftables, its shell injection');
  for (const { yaml, json } of sources) {
    assert.ok(existsSync(json), `${basename(json)} missing: run npm run grammar:build`);
    const expected = compileGrammar(readFileSync(yaml, 'utf8'), basename(yaml));
    assert.equal(readFileSync(json, 'utf8'), expected, `${basename(json)} is stale: run npm run grammar:build`);
  }
});

test('every repository rule of every grammar carries a comment', () => {
  for (const { json } of grammarSources()) {
    const g = JSON.parse(readFileSync(json, 'utf8')) as { repository?: Record<string, Rule> };
    for (const [name, rule] of Object.entries(g.repository ?? {})) {
      const patterns = (rule.patterns as Rule[] | undefined) ?? [];
      const hasComment =
        typeof rule.comment === 'string' || (patterns.length > 0 && patterns.every((p) => typeof p.comment === 'string' || typeof p.include === 'string'));
      assert.ok(hasComment, `${basename(json)}: rule ${name} has no comment`);
    }
  }
});

test('package.json contributes the five grammars with the right scopes', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    contributes: { grammars: { language?: string; scopeName: string; path: string; injectTo?: string[] }[]; languages: { id: string }[] };
  };
  const grammars = pkg.contributes.grammars;
  const byScope = new Map(grammars.map((g) => [g.scopeName, g]));
  assert.equal(byScope.get(SCOPES.iptables)?.language, 'iptables');
  assert.equal(byScope.get(SCOPES.listing)?.language, 'iptables-listing');
  assert.deepEqual(byScope.get(SCOPES.injection)?.injectTo, ['source.shell']);
  assert.equal(byScope.get(SCOPES.nftables)?.language, 'nftables');
  assert.deepEqual(byScope.get(SCOPES.nftInjection)?.injectTo, ['source.shell']);
  const languages = new Set(pkg.contributes.languages.map((l) => l.id));
  for (const g of grammars) {
    const file = join(repoRoot, g.path);
    assert.ok(existsSync(file), `${g.path} missing`);
    const content = JSON.parse(readFileSync(file, 'utf8')) as { scopeName: string };
    assert.equal(content.scopeName, g.scopeName, `${g.path} declares ${content.scopeName}`);
    if (g.language) assert.ok(languages.has(g.language), `language ${g.language} not declared`);
  }
});

test('the grammars load and compile in vscode-textmate', async () => {
  const registry = createRegistry();
  for (const scope of [SCOPES.iptables, SCOPES.listing, SCOPES.nftables]) {
    const g = await loadGrammar(registry, scope);
    // Tokenizing a line compiles every regex reachable from the top level.
    const line = scope === SCOPES.nftables ? 'ip saddr 10.0.0.0/8 meta mark & 0xff == 0x1 accept' : '-A INPUT -s 10.0.0.0/8 -m mark --mark 0x1/0xff -j ACCEPT';
    const r = g.tokenizeLine(line, null);
    assert.ok(r.tokens.length > 5);
  }
});
