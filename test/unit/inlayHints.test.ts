import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDoc, EOLS, withEol } from './fixture';
import { DEFAULT_SERVICE_SETTINGS } from '../../server/src/core/service/service';
import { marked } from './ranges';

const ALL = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } };

function hints(src: string, format: 'save' | 'shell' = 'save', settings = DEFAULT_SERVICE_SETTINGS) {
  const m = marked(src);
  const { svc, uri } = openDoc(m.text, format);
  const hs = svc.inlayHints(uri, ALL, settings);
  return { hs, m, labels: hs.map((h) => h.label) };
}

for (const eol of EOLS) {
  test(`after each mark write, the mark it leaves for the sample, at the end of the extension (${JSON.stringify(eol)})`, () => {
    // «» marks where each hint goes (an empty range)
    const src = withEol(
      `*mangle
# sample: nfmark=0x00000001 ctmark=0x00000f00
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000«» -m comment --comment x
-A X -m mark --mark 0x1 -j RETURN
-A X -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff«»
-A X -j CONNMARK --restore-mark«»
-A X -j MARK --set-mark 0x1/0x1/0x1
COMMIT
`,
      eol,
    );
    const { hs, m, labels } = hints(src);
    assert.deepEqual(labels, ['=> 0x00004001', '=> ctmark 0x00000f01', '=> 0x00000f00']);
    assert.deepEqual(
      hs.map((h) => h.position),
      m.ranges.map((r) => r.start),
    );
    assert.match(String(hs[0].tooltip), /sample nfmark=0x00000001 ctmark=0x00000f00 \(from the `# sample:` on line 2\)/);
  });
}

test('the settings give the sample; the setting turns the hints off; only the requested range', () => {
  const src = `*mangle\n-A X -j MARK --or-mark 0x10\n-A X -j MARK --and-mark 0xf0\nCOMMIT\n`;
  const settings = { ...DEFAULT_SERVICE_SETTINGS, sample: { nfmark: 0xff, ctmark: 0 } };
  assert.deepEqual(hints(src, 'save', settings).labels, ['=> 0x000000ff', '=> 0x000000f0']);
  assert.deepEqual(hints(src, 'save', { ...settings, inlayHints: { marks: false } }).labels, []);
  const { svc, uri } = openDoc(src);
  assert.deepEqual(
    svc.inlayHints(uri, { start: { line: 2, character: 0 }, end: { line: 2, character: 10 } }).map((h) => h.label),
    ['=> 0x00000000'],
  );
});

test('shell scripts: continuation lines; a shell variable gives no hint', () => {
  const { hs, labels } = hints(
    `# sample: nfmark=0x2\niptables -t mangle -A OUTPUT \\\n  -j MARK --xor-mark 0x3\niptables -t mangle -A OUTPUT -j MARK --set-mark $M\n`,
    'shell',
  );
  assert.deepEqual(labels, ['=> 0x00000001']);
  assert.deepEqual(hs[0].position, { line: 2, character: 24 });
});
