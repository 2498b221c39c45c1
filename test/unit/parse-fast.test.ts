/**
 * The parse path's fast forms agree with the general ones: the tokenizer's search-based
 * path (lines without tab or `\r`) against the character-by-character reference, on every
 * line of ../shared/corpus and of a generated kube-proxy dump, and on seeded mutations of
 * them (quotes, backslashes, spaces cut and added). And words that are names of
 * Object.prototype members are ordinary words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RuleDocument, splitLines } from '../../server/src/core/iptables/syntax/document';
import { analyze } from '../../server/src/core/iptables/checks/analysis';
import { splitRestoreLine, splitRestoreLineReference } from '../../server/src/core/iptables/syntax/lexer';
import { interpretRule } from '../../server/src/core/iptables/syntax/rule';
import { generateKubeDump } from '../../bench/gen-kube-dump';

const CORPUS = resolve(process.cwd(), '..', 'shared', 'corpus');

function corpusLines(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(...splitLines(readFileSync(p, 'utf8')));
    }
  };
  if (existsSync(CORPUS)) walk(CORPUS);
  return out;
}

/** Deterministic mutations: the tokenizer's hard cases spliced into real lines. */
function mutations(pool: string[], count: number): string[] {
  let seed = 20261124;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  const bits = [' ', '  ', '"', '\\', '\\"', '"a b"', '""', '!', '=', '\t', '\r', 'x"y', ' "unterminated'];
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    let t = pool[rnd(pool.length)];
    for (let j = 0, m = 1 + rnd(3); j < m; j++) {
      const at = rnd(t.length + 1);
      t = rnd(2) ? t.slice(0, at) + bits[rnd(bits.length)] + t.slice(at) : t.slice(0, at) + t.slice(at + 1 + rnd(6));
    }
    out.push(t);
  }
  return out;
}

test('tokenizer: the fast path gives the reference words and problems on every corpus and dump line, and on mutations', (t) => {
  const corpus = corpusLines();
  if (!corpus.length) {
    const why = `SKIPPED corpus part: not found at ${CORPUS}`;
    console.error(why);
    if (process.env.CI) assert.fail(why);
    t.diagnostic(why);
  }
  const dump = splitLines(generateKubeDump(300));
  const pool = [...corpus, ...dump].filter((l) => l.trim());
  const lines = [...pool, ...mutations(pool, 20000), 'a"b c"d e', '"', '\\', '"\\', 'x "a\\" b" y', ' "" ', 'a""b', '-A X "a b" -j "ACCEPT'];
  let quoted = 0;
  let unterminated = 0;
  for (const line of lines) {
    for (const from of [0, Math.min(1, line.length)]) {
      const fast = splitRestoreLine(line, from);
      const ref = splitRestoreLineReference(line, from);
      assert.deepEqual(fast, ref, JSON.stringify(line));
      quoted += fast.words.filter((w) => w.quoted).length;
      unterminated += fast.problems.length;
    }
  }
  // the comparison covered the quoted forms, not only plain words
  assert.ok(quoted > 1000, `only ${quoted} quoted words compared`);
  assert.ok(unterminated > 100, `only ${unterminated} unterminated quotes compared`);
});

test('words named like Object.prototype members are ordinary words: a diagnostic, no exception', () => {
  for (const w of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
    const doc = new RuleDocument(`*filter\n-A INPUT ${w}\n-A INPUT -p tcp ${w} -j ACCEPT\nCOMMIT\n`, 'save');
    const f = analyze(doc).findings.map((x) => `${x.line}:${x.code}:${x.message}`);
    assert.deepEqual(f, [`1:bad-argument:Bad argument \`${w}'`, `2:bad-argument:Bad argument \`${w}'`]);
    const r = interpretRule([{ text: w, l: 0, s: 0, el: 0, e: w.length }]);
    assert.equal(r.command, undefined);
  }
});
