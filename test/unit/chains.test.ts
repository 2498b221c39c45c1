/**
 * The chain index scans save-file lines on their raw text; here the scanners are held to
 * the real parser on every rule line of the benchmark generator, the examples, the corpus
 * (read in place, when present) and lines written to break them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LineRef, parsedRefs, scanSaveRuleLine } from '../../server/src/core/chains';
import { generateKubeDump } from '../../bench/gen-kube-dump';

const CORPUS = resolve(process.cwd(), '..', 'shared', 'corpus');

/** Files of the corpus that hold a save-file table. */
function saveFiles(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) saveFiles(p, out);
    else if (statSync(p).size < 5e6) {
      const text = readFileSync(p, 'utf8');
      if (/^\*(filter|nat|mangle|raw|security)\s*$/m.test(text)) out.push(p);
    }
  }
  return out;
}

const show = (rs: LineRef[]) => rs.map((r) => `${r.kind} ${r.name} ${r.s}-${r.e}${r.policy ? ' ' + r.policy : ''}`);

function agree(lines: string[]): number {
  let n = 0;
  for (const line of lines) {
    if (!/^\s*(\[|-)/.test(line)) continue;
    const fast: LineRef[] = [];
    const slow: LineRef[] = [];
    scanSaveRuleLine(line, fast);
    parsedRefs(line, slow);
    assert.deepEqual(show(fast), show(slow), line);
    n++;
  }
  return n;
}

test('the raw scanners agree with the parser on tricky lines', () => {
  agree([
    '-A INPUT -m comment --comment "-j NOPE" -j YES',
    '-A INPUT -m comment --comment "say \\" -j NOPE" -g YES',
    '-A INPUT --jump=A',
    '-A INPUT --goto B',
    '-A INPUT  -j  DOUBLE',
    '-A INPUT\t-j TAB',
    '-A "QUOTED CHAIN" -j X',
    '-A X -j "Q"',
    '-I X 2 -j gfoo',
    '-N NEW',
    '-P INPUT DROP',
    '-E OLD NEW',
    '-F',
    '-X -j',
    '[1:2] -A X -j Y',
    '-A X -j',
    '-A X -m comment --comment "unterminated -j Z',
    '-D X -j ACCEPT',
  ]);
});

test('the raw scanners agree with the parser on a generated kube-proxy dump and the examples', () => {
  const n = agree(generateKubeDump(200).split('\n'));
  assert.ok(n > 1000, `${n} rule lines`);
  for (const f of ['examples/kube-node.rules.v4', 'examples/mangle-marks.rules.v4']) agree(readFileSync(f, 'utf8').split(/\r?\n/));
});

test('the raw scanners agree with the parser on the corpus', { skip: !existsSync(CORPUS) && 'no corpus' }, () => {
  let n = 0;
  for (const f of saveFiles(CORPUS)) n += agree(readFileSync(f, 'utf8').split(/\r?\n/));
  assert.ok(n > 100, `${n} rule lines`);
});
