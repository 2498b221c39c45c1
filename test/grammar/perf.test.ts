// No line may take more than 20 ms to tokenize: Oniguruma has no timeout, so a
// regex that backtracks catastrophically freezes VS Code's tokenizer. Every
// file of the shared real-world corpus (../shared/corpus) and the 150,000-line
// benchmark dump (bench/gen-kube-dump.ts) go through the rule-file grammar,
// the corpus also through the listing grammar, and, when VS Code's shell
// grammar is installed, through the shell grammar with the iptables injection
// (there the injection may add at most 20 ms to a line over the shell grammar
// alone, or a quarter of the shell grammar's own time on lines where that is
// already long: the shell grammar's own slow lines are not ours to fix).
//
// A line over the limit is timed again in isolation (best of 3, same state)
// before it counts, so a garbage-collection pause does not fail the test;
// catastrophic backtracking is deterministic and fails every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { INITIAL, type IGrammar, type StateStack } from 'vscode-textmate';
import { generateKubeDump } from '../../bench/gen-kube-dump';
import { corpusDir, createRegistry, loadGrammar, splitLines, tokenizeWatch, shellGrammarOrSkip, SCOPES } from './textmate';

const LIMIT_MS = 20;

function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(corpusDir);
  return out;
}

function corpusOrSkip(t: { skip: (msg: string) => void }): string[] | undefined {
  if (existsSync(corpusDir)) return corpusFiles();
  const msg = `corpus not found at ${corpusDir} (expected beside the repo as ../shared/corpus)`;
  if (process.env.CI) assert.fail(`${msg}; CI must have it`);
  console.log(`# SKIPPED: ${msg}`);
  t.skip(msg);
  return undefined;
}

function bestOf3(grammar: IGrammar, line: string, before: StateStack): number {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const s = performance.now();
    grammar.tokenizeLine(line, before);
    best = Math.min(best, performance.now() - s);
  }
  return best;
}

interface Slow {
  where: string;
  ms: number;
  text: string;
}

/**
 * Tokenizes every line; returns the lines that stay over the limit when timed
 * again. With a baseline grammar, what counts is the time over the baseline's
 * time for the same line in the baseline's own state.
 */
function slowLines(
  grammar: IGrammar,
  name: string,
  text: string,
  limit = LIMIT_MS,
  baseline?: IGrammar,
): { slow: Slow[]; worstMs: number; confirmedMs: number; lines: number } {
  const lines = splitLines(text);
  let baseStates: StateStack[] | undefined;
  if (baseline) {
    baseStates = [];
    let st = INITIAL;
    for (const l of lines) {
      baseStates.push(st);
      st = baseline.tokenizeLine(l, st).ruleStack;
    }
  }
  const slow: Slow[] = [];
  let confirmedMs = 0;
  // lines over 2 ms are timed again, so that the worst line can be reported
  // without the pauses; only lines over the limit can fail
  const stats = tokenizeWatch(grammar, lines, Math.min(2, limit), (i, _ms, before) => {
    let ms = bestOf3(grammar, lines[i], before);
    confirmedMs = Math.max(confirmedMs, ms);
    let allowed = limit;
    if (baseline && baseStates) {
      // Lines the baseline itself is slow on (VS Code's shell grammar takes
      // half a second on a line of 4,000 dashes) time with a jitter of their
      // own size: allow a quarter of the baseline's time on top of the limit.
      const base = bestOf3(baseline, lines[i], baseStates[i]);
      ms -= base;
      allowed = Math.max(limit, base / 4);
    }
    if (ms > allowed) slow.push({ where: `${name}:${i + 1}`, ms, text: lines[i].slice(0, 160) });
  });
  return { slow, worstMs: stats.worstMs, confirmedMs, lines: stats.lines };
}

function report(slow: Slow[]): string {
  return slow.map((s) => `${s.where} took ${s.ms.toFixed(1)} ms: ${s.text}`).join('\n');
}

const registry = createRegistry();

/** Compiles the grammar's scanners first, so that the first timed line does not pay for it. */
const warmed = new Set<IGrammar>();
function warm(g: IGrammar): IGrammar {
  if (!warmed.has(g)) {
    warmed.add(g);
    tokenizeWatch(g, splitLines(generateKubeDump(50)), Infinity, () => undefined);
    tokenizeWatch(
      g,
      ['Chain INPUT (policy ACCEPT 0 packets, 0 bytes)', ' 0 0 ACCEPT all -- * * 0.0.0.0/0 ::/0 tcp dpt:22 MARK set 0x1'],
      Infinity,
      () => undefined,
    );
  }
  return g;
}

test('rule-file grammar: no corpus line takes more than 20 ms', async (t) => {
  const files = corpusOrSkip(t);
  if (!files) return;
  const g = warm(await loadGrammar(registry, SCOPES.iptables));
  const slow: Slow[] = [];
  let worst = 0;
  let confirmed = 0;
  let lines = 0;
  for (const f of files) {
    const r = slowLines(g, relative(corpusDir, f), readFileSync(f, 'utf8'));
    slow.push(...r.slow);
    worst = Math.max(worst, r.worstMs);
    confirmed = Math.max(confirmed, r.confirmedMs);
    lines += r.lines;
  }
  console.log(`# source.iptables: ${files.length} corpus files, ${lines} lines, worst line ${worst.toFixed(2)} ms raw, ${confirmed.toFixed(2)} ms timed again`);
  assert.equal(slow.length, 0, report(slow));
});

test('listing grammar: no corpus line takes more than 20 ms', async (t) => {
  const files = corpusOrSkip(t);
  if (!files) return;
  const g = warm(await loadGrammar(registry, SCOPES.listing));
  const slow: Slow[] = [];
  let worst = 0;
  let confirmed = 0;
  for (const f of files) {
    const r = slowLines(g, relative(corpusDir, f), readFileSync(f, 'utf8'));
    slow.push(...r.slow);
    worst = Math.max(worst, r.worstMs);
    confirmed = Math.max(confirmed, r.confirmedMs);
  }
  console.log(`# source.iptables-listing: ${files.length} corpus files, worst line ${worst.toFixed(2)} ms raw, ${confirmed.toFixed(2)} ms timed again`);
  assert.equal(slow.length, 0, report(slow));
});

test('rule-file grammar: no line of the 150,000-line benchmark dump takes more than 20 ms', async () => {
  const g = warm(await loadGrammar(registry, SCOPES.iptables));
  const text = generateKubeDump(10000);
  const r = slowLines(g, 'kube-dump', text);
  console.log(`# source.iptables: benchmark dump, ${r.lines} lines, worst line ${r.worstMs.toFixed(2)} ms raw, ${r.confirmedMs.toFixed(2)} ms timed again`);
  assert.ok(r.lines > 140000, `dump has ${r.lines} lines`);
  assert.equal(r.slow.length, 0, report(r.slow));
});

// Lines made to hurt a regex engine: long runs of the characters the value
// patterns look for (dots, colons, hex digits, slashes, dashes, quotes,
// backslashes), 4,000 characters each.
const HOSTILE = [
  '1.'.repeat(2000),
  ':'.repeat(4000),
  'a:'.repeat(2000),
  '1:2::'.repeat(800),
  '0x'.repeat(2000),
  '1/'.repeat(2000),
  '-'.repeat(4000),
  '- '.repeat(2000),
  '! '.repeat(2000),
  '"' + '\\'.repeat(3999),
  '-A ' + 'X'.repeat(3997),
  '-A X ' + '-j '.repeat(1300),
  '-A X ' + '-s 10.0.0.0/8 '.repeat(280),
  '-A X -m comment --comment "' + 'x'.repeat(3970),
  '[' + '1:'.repeat(2000),
  ':' + 'C'.repeat(3000) + ' ACCEPT [' + '9'.repeat(900),
  '1'.repeat(4000),
  'ff:'.repeat(1333),
  '10.0.0.1-'.repeat(440),
  '--hex-string "|' + '0a '.repeat(1300),
  'Chain ' + 'X'.repeat(3000) + ' (policy ACCEPT',
  ' '.repeat(10) + '1 '.repeat(2000),
  '1        0     0 ' + 'ACCEPT '.repeat(560),
  'iptables ' + '\\'.repeat(3990),
  'sudo ' + '-x '.repeat(1330),
  '/' + 'a/'.repeat(2000) + 'iptables',
];

test('no grammar takes more than 20 ms on hostile 4,000-character lines', async () => {
  const slow: Slow[] = [];
  let worst = 0;
  for (const scope of [SCOPES.iptables, SCOPES.listing]) {
    const g = warm(await loadGrammar(registry, scope));
    const r = slowLines(g, scope, HOSTILE.join('\n'));
    slow.push(...r.slow);
    worst = Math.max(worst, r.worstMs);
  }
  console.log(`# hostile lines: worst ${worst.toFixed(2)} ms`);
  assert.equal(slow.length, 0, report(slow));
});

test('shell injection: adds at most 20 ms to any line of the corpus, the dump and hostile lines', async (t) => {
  const shellFile = shellGrammarOrSkip(t);
  if (!shellFile) return;
  const withInjection = warm(await loadGrammar(createRegistry({ shellGrammar: shellFile, injection: true }), SCOPES.shell));
  const shellAlone = warm(await loadGrammar(createRegistry({ shellGrammar: shellFile, injection: false }), SCOPES.shell));
  const inputs: [string, string][] = [];
  if (existsSync(corpusDir)) for (const f of corpusFiles()) inputs.push([relative(corpusDir, f), readFileSync(f, 'utf8')]);
  inputs.push(['hostile', HOSTILE.join('\n')]);
  // The dump as shell text is a worst case for the shell grammar itself;
  // a tenth of it is enough to see what the injection adds.
  inputs.push(['kube-dump (1,000 services)', generateKubeDump(1000)]);
  const slow: Slow[] = [];
  for (const [name, text] of inputs) slow.push(...slowLines(withInjection, name, text, LIMIT_MS, shellAlone).slow);
  assert.equal(slow.length, 0, report(slow));
});
