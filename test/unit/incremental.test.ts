import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Entry, RuleDocument } from '../../server/src/core/iptables/syntax/document';
import { analyze } from '../../server/src/core/iptables/checks/analysis';

const plain = (e: Entry) =>
  e.k === 'rule' ? { k: e.k, line: e.line, endLine: e.endLine, findings: e.findings, words: e.words, rule: e.rule, counters: e.prefixCounters } : e;
const snapshot = (d: RuleDocument) => JSON.stringify({ entries: d.entries.map(plain), findings: analyze(d).findings });

test('incremental edits give the same parse as parsing the new text from scratch', () => {
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const pieces = [
    '-A X -j MARK --set-mark 0x1\n',
    '*mangle\n',
    'COMMIT\n',
    ':X - [0:0]\n',
    '# sample: nfmark=0x3\n',
    '"',
    '\n',
    'x',
    '--or-mark 08',
    '\r\n',
    '',
  ];
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

test('the service brings its analysis up to date from an in-line edit alone, and it equals a fresh one', async () => {
  const { NfRulesService } = await import('../../server/src/core/service/service');
  let seed = 11;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  // in-line pieces: some keep a rule a rule, some make it junk, a table or a chain line
  const pieces = ['x', ' ', '-', '*', ':', '#', '"', '!', '0x', '--dport 22', '-p tcp', '-j DNAT --to-destination 1.2.3.4', '-j MARK --or-mark 08', ''];
  const start = `# sample: nfmark=0x1
*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 99999 -j ACCEPT
-A INPUT -j DNAT --to-destination 10.0.0.1
-A INPUT -d ! 10.0.0.1 -j DROP
junk here
-A INPUT -m mark --mark 0x1/0x1/0x1 -j ACCEPT
COMMIT
-A OUTSIDE -j ACCEPT
*nat
-A PREROUTING -j DNAT --to-destination 10.0.0.1
`;
  for (const format of ['save', 'listing'] as const) {
    const svc = new NfRulesService();
    svc.open('file:///t/a', start, undefined, 1, format);
    let swaps = 0;
    for (let step = 0; step < 600; step++) {
      const doc = svc.get('file:///t/a')!;
      const l = rnd(doc.lines.length);
      const c = rnd(doc.lines[l].length + 1);
      const del = rnd(3) === 0 ? Math.min(doc.lines[l].length - c, 1 + rnd(4)) : 0;
      svc.change(
        'file:///t/a',
        [{ range: { start: { line: l, character: c }, end: { line: l, character: c + del } }, text: pieces[rnd(pieces.length)] }],
        step + 2,
      );
      if (doc.lastSwap?.revision === doc.revision) swaps++;
      const fresh = new NfRulesService();
      fresh.open('file:///t/b', doc.getText(), undefined, 1, format);
      const key = (f: { line: number; s: number; code: string; message: string }) => `${f.line}:${f.s}:${f.code}:${f.message}`;
      assert.deepEqual(
        svc.analysis('file:///t/a')!.findings.map(key).sort(),
        fresh.analysis('file:///t/b')!.findings.map(key).sort(),
        `${format} step ${step}`,
      );
    }
    assert.ok(swaps > 300, `${format}: only ${swaps} edits took the in-place path`);
  }
});
