// Scopes checked over whole files rather than hand-picked lines: every
// iptables dump of the shared corpus and the generated benchmark dump.
//  - no token is scoped invalid.* (these files are all accepted by iptables,
//    or rejected for reasons the grammar does not judge, such as anonymised
//    MAC addresses);
//  - the chain after -A/-I/-N/-P is a chain name;
//  - the word after -j/-g is a built-in target or a chain name, never plain;
//  - quotes balance: no string scope leaks past the end of its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { INITIAL, type IGrammar } from 'vscode-textmate';
import { generateKubeDump } from '../../bench/gen-kube-dump';
import { corpusDir, createRegistry, loadGrammar, splitLines, SCOPES } from './textmate';

const CHAIN = 'entity.name.function.chain.iptables';
const TARGET = 'constant.language.target.iptables';

function dumps(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const text = readFileSync(p, 'utf8');
        if (/^\*(filter|nat|mangle|raw|security)\s*$/m.test(text) && /^COMMIT\s*$/m.test(text)) out.push(p);
      }
    }
  };
  walk(corpusDir);
  return out;
}

function check(g: IGrammar, name: string, text: string): string[] {
  const problems: string[] = [];
  let stack = INITIAL;
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const r = g.tokenizeLine(line, stack);
    stack = r.ruleStack;
    const where = `${name}:${i + 1}`;
    const toks = r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
    for (const t of toks) {
      const bad = t.scopes.find((s) => s.startsWith('invalid.'));
      if (bad) problems.push(`${where}: ${JSON.stringify(t.text)} is ${bad}`);
    }
    const words = toks.filter((t) => t.text.trim() !== '');
    for (let k = 0; k + 1 < words.length; k++) {
      const w = words[k].text.trim();
      const next = words[k + 1];
      if (/^-[AINP]$/.test(w) && !next.scopes.includes(CHAIN)) problems.push(`${where}: chain after ${w} is ${next.scopes.join(' ')}`);
      if (/^-[jg]$/.test(w) && !next.scopes.includes(CHAIN) && !next.scopes.includes(TARGET))
        problems.push(`${where}: target after ${w} is ${next.scopes.join(' ')}`);
    }
    if (i + 1 < lines.length) {
      // a rule file has no construct spanning lines: the state must be back at the top
      const probe = g.tokenizeLine('COMMIT', stack).tokens[0];
      if (!probe.scopes.includes('keyword.control.commit.iptables')) problems.push(`${where}: state leaks into the next line (${probe.scopes.join(' ')})`);
    }
  }
  return problems;
}

test('corpus dumps: no invalid scopes, chains and targets scoped', async (t) => {
  if (!existsSync(corpusDir)) {
    const msg = `corpus not found at ${corpusDir} (expected beside the repo as ../shared/corpus)`;
    if (process.env.CI) assert.fail(msg);
    console.log(`# SKIPPED: ${msg}`);
    t.skip(msg);
    return;
  }
  const g = await loadGrammar(createRegistry(), SCOPES.iptables);
  const files = dumps();
  assert.ok(files.length >= 30, `only ${files.length} dumps found in the corpus`);
  const problems = files.flatMap((f) => check(g, relative(corpusDir, f), readFileSync(f, 'utf8')));
  assert.deepEqual(problems.slice(0, 30), []);
});

test('benchmark dump: no invalid scopes, chains and targets scoped', async () => {
  const g = await loadGrammar(createRegistry(), SCOPES.iptables);
  assert.deepEqual(check(g, 'kube-dump', generateKubeDump(300)).slice(0, 30), []);
});
