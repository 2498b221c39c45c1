/**
 * The file-level findings off the keystroke path: `quick` diagnostics reuse the last graph
 * pass, moved along with the edits, until `now` runs it again (the server does, once typing
 * pauses); `shiftFindings` moves findings across an edit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDoc } from './fixture';
import { DEFAULT_SERVICE_SETTINGS, shiftFindings } from '../../server/src/core/service/service';
import type { Finding } from '../../server/src/core/iptables/checks/analysis';

const TEXT = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -j MISSING
COMMIT
`;
const undeclared = (d: { code?: unknown; range: { start: { line: number } } }[]) =>
  d.filter((x) => x.code === 'undeclared-chain').map((x) => x.range.start.line);

test('a line added above: quick diagnostics move the last file-level findings down; now recomputes the same', () => {
  const { svc, uri } = openDoc(TEXT);
  // just opened: the per-line checks at once, the file-level pass right after (the server runs `now`)
  assert.deepEqual(undeclared(svc.diagnostics(uri, DEFAULT_SERVICE_SETTINGS, 'quick')), []);
  assert.deepEqual([svc.flowStale(uri), svc.flowDone(uri)], [true, false]);
  assert.deepEqual(undeclared(svc.diagnostics(uri, DEFAULT_SERVICE_SETTINGS, 'now')), [2]);
  assert.deepEqual([svc.flowStale(uri), svc.flowDone(uri)], [false, true]);
  svc.change(uri, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: ':OTHER - [0:0]\n' }], 2);
  assert.deepEqual(undeclared(svc.diagnostics(uri, DEFAULT_SERVICE_SETTINGS, 'quick')), [3]);
  assert.equal(svc.flowStale(uri), true, 'a declaration changes the graph: the pass is due');
  assert.deepEqual(undeclared(svc.diagnostics(uri, DEFAULT_SERVICE_SETTINGS, 'now')), [3]);
  assert.equal(svc.flowStale(uri), false);
});

test('a new jump to a missing chain shows once the pass runs, not on the keystroke', () => {
  const { svc, uri } = openDoc(TEXT);
  svc.diagnostics(uri);
  svc.change(uri, [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '-A INPUT -j ALSO\n' }], 2);
  assert.deepEqual(undeclared(svc.diagnostics(uri, DEFAULT_SERVICE_SETTINGS, 'quick')), [2]);
  assert.equal(svc.flowStale(uri), true);
  assert.deepEqual(undeclared(svc.diagnostics(uri, DEFAULT_SERVICE_SETTINGS, 'now')), [2, 3]);
  // the CLI and code actions ask for `now`, the default
  assert.deepEqual(undeclared(svc.diagnostics(uri)), [2, 3]);
});

test('typing inside a rule that keeps its chains: quick is the whole answer', () => {
  const { svc, uri } = openDoc(TEXT);
  svc.diagnostics(uri);
  svc.change(uri, [{ range: { start: { line: 2, character: 8 }, end: { line: 2, character: 8 } }, text: ' -p tcp' }], 2);
  assert.deepEqual(undeclared(svc.diagnostics(uri, DEFAULT_SERVICE_SETTINGS, 'quick')), [2]);
  assert.equal(svc.flowStale(uri), false);
  // the column of the chain name moved with the text
  const d = svc.diagnostics(uri, DEFAULT_SERVICE_SETTINGS, 'quick').find((x) => x.code === 'undeclared-chain')!;
  assert.equal(d.range.start.character, '-A INPUT -p tcp -j '.length);
});

const f = (line: number, endLine = line): Finding => ({ code: 'mark-noop', severity: 'warning', message: '', line, s: 0, endLine, e: 1 });
const at = (l: number, c = 0) => ({ line: l, character: c });

test('shiftFindings: below the edit moves, inside a multi-line edit is dropped, inside one line stays', () => {
  const fs = [f(1), f(5), f(9, 10)];
  // two lines added at line 3
  assert.deepEqual(
    shiftFindings(fs, { range: { start: at(3), end: at(3) }, text: 'a\nb\n' }).map((x) => [x.line, x.endLine]),
    [
      [1, 1],
      [7, 7],
      [11, 12],
    ],
  );
  // lines 4-6 replaced by one line: the finding on 5 goes, 9-10 moves up by 2
  assert.deepEqual(
    shiftFindings(fs, { range: { start: at(4), end: at(6, 3) }, text: 'x' }).map((x) => [x.line, x.endLine]),
    [
      [1, 1],
      [7, 8],
    ],
  );
  // an edit inside line 5 keeps everything as it is
  assert.equal(shiftFindings(fs, { range: { start: at(5, 2), end: at(5, 4) }, text: 'yy' }), fs);
  // a whole-text change leaves nothing to move
  assert.deepEqual(shiftFindings(fs, { text: 'new' }), []);
});
