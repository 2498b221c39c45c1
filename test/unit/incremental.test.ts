import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Entry, RuleDocument } from '../../server/src/core/document';
import { analyze } from '../../server/src/core/analysis';

const plain = (e: Entry) =>
  e.k === 'rule' ? { k: e.k, line: e.line, endLine: e.endLine, findings: e.findings, words: e.words, rule: e.rule, counters: e.prefixCounters } : e;
const snapshot = (d: RuleDocument) => JSON.stringify({ entries: d.entries.map(plain), findings: analyze(d).findings });

test('incremental edits give the same parse as parsing the new text from scratch', () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  const pieces = ['-A X -j MARK --set-mark 0x1\n', '*mangle\n', 'COMMIT\n', ':X - [0:0]\n', '# sample: nfmark=0x3\n', '"', '\n', 'x', '--or-mark 08', '\r\n', ''];
  for (const format of ['save', 'listing', 'shell'] as const) {
    const doc = new RuleDocument('*mangle\n:X - [0:0]\n-A X -j MARK --or-mark 0x4000\nCOMMIT\n', format);
    for (let step = 0; step < 400; step++) {
      const lines = doc.lines;
      const sl = rnd(lines.length);
      const el = Math.min(lines.length - 1, sl + rnd(3));
      const sc = rnd(lines[sl].length + 1);
      const ec = sl === el ? sc + rnd(lines[el].length - sc + 1) : rnd(lines[el].length + 1);
      const text = pieces[rnd(pieces.length)];
      doc.applyEdit({ start: { line: sl, character: sc }, end: { line: el, character: ec } }, text);
      const fresh = new RuleDocument(doc.getText(), format);
      assert.equal(snapshot(doc), snapshot(fresh), `${format} step ${step}`);
    }
  }
});
