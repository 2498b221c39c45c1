/**
 * The chain index scans save-file lines on their raw text; here the scanners are held to
 * the real parser on every rule line of the benchmark generator, the examples, the corpus
 * (read in place, when present) and lines written to break them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ChainIndex, LineRef, allChains, buildChainIndex, chainRefs, parsedRefs, scanSaveRuleLine } from '../../server/src/core/iptables/syntax/chainIndex';
import { RuleDocument } from '../../server/src/core/iptables/syntax/document';
import { openDoc } from './fixture';
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
    // getopt's spellings: clusters, attached values, long-name prefixes
    '-AINPUT -j X',
    '-A INPUT -gX',
    '-A INPUT -jX',
    '--app INPUT --ju X',
    '--append=INPUT --goto=Y',
    '-I INPUT -p tcp --dp 22 --ju A',
    '-NNEW',
    '--new NEW2',
    '-A INPUT -vj X',
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

/** The index in plain data, for comparing a patched index with a fresh one. */
function plain(index: ChainIndex) {
  return {
    tables: index.tables.map((t) => ({ ...t, chains: t.chains.map((c) => c.name) })),
    chains: [...allChains(index)].map((c) => ({ ...c, refsMemo: undefined, refs: chainRefs(c) })),
  };
}

test('typing inside a line patches the index; the result equals a fresh build', () => {
  const text = generateKubeDump(20);
  const { svc, uri } = openDoc(text);
  const lines = text.split('\n');
  const rule = lines.findIndex((l) => l.includes(' -j KUBE-MARK-MASQ'));
  // [line, start, end, text, whether the index is patched rather than rebuilt]
  const edits: [number, number, number, string, boolean][] = [
    [rule, 3, 3, 'X', false], // the chain of the rule changes
    [rule, 3, 4, '', false],
    [rule, 2, 2, '  ', true], // columns move
    [rule, 2, 4, '', true],
    [rule, lines[rule].length, lines[rule].length, ' -m comment --comment "-j NOPE"', true],
    [0, 0, 0, '# a comment ', true],
    [rule, lines[rule].indexOf('-j') + 3, lines[rule].indexOf('-j') + 4, 'Q', false], // the jump target changes
  ];
  let version = 1;
  for (const [line, s, e, t, patched] of edits) {
    const was = svc.chains(uri); // current before the edit, so the patch path is taken where it can be
    svc.change(uri, [{ range: { start: { line, character: s }, end: { line, character: e } }, text: t }], ++version);
    const doc = svc.get(uri)!;
    assert.equal(svc.chains(uri) === was, patched, JSON.stringify([line, s, e, t]));
    assert.deepEqual(plain(svc.chains(uri)!), plain(buildChainIndex(new RuleDocument(doc.getText(), 'save'))), JSON.stringify([line, s, e, t]));
  }
});
