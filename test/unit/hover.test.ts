import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, cursor, openDoc, EOLS, withEol } from './fixture';
import { DEFAULT_SERVICE_SETTINGS } from '../../server/src/core/service/service';

function hoverAt(src: string, format: 'save' | 'shell' | 'listing' = 'save', settings = DEFAULT_SERVICE_SETTINGS) {
  const { text, pos } = cursor(src);
  const { svc, uri } = openDoc(text, format);
  const h = svc.hover(uri, pos, settings);
  return h ? (h.contents as { value: string }).value : null;
}

for (const eol of EOLS) {
  test(`hover on --set-xmark: an OR, the forms, and the sample result (${JSON.stringify(eol)})`, () => {
    const v = hoverAt(withEol(`*mangle\n# sample: nfmark=0x00000001\n-A KUBE-MARK-MASQ -j MARK --set$0-xmark 0x4000/0x4000\nCOMMIT\n`, eol))!;
    assert.match(v, /An OR: sets bits 0x00004000 \(bit 14\)/);
    assert.match(v, /`MARK or 0x4000`/);
    assert.match(v, /`-j MARK --set-xmark 0x4000\/0x4000`/);
    assert.match(v, /`meta mark set meta mark or 0x4000`/);
    assert.match(v, /`-j MARK --or-mark 0x4000`/);
    assert.match(v, /nfmark 0x00000001 -> \*\*0x00004001\*\*/);
    assert.match(v, /sample:` on line 2/);
  });
}

test('hover works on the value and on the target name too', () => {
  assert.match(hoverAt(`*mangle\n-A X -j MARK --or-mark 0x40$000\nCOMMIT\n`)!, /An OR/);
  assert.match(hoverAt(`*mangle\n-A X -j MA$0RK --and-mark 0xff\nCOMMIT\n`)!, /An AND: clears bits/);
});

test('the settings give the sample where no comment does; a later comment overrides one key only', () => {
  const settings = { ...DEFAULT_SERVICE_SETTINGS, sample: { nfmark: 0xf0, ctmark: 0x7 } };
  assert.match(hoverAt(`*mangle\n-A X -j MARK --xor-ma$0rk 0xff\nCOMMIT\n`, 'save', settings)!, /nfmark 0x000000f0 -> \*\*0x0000000f\*\*/);
  const v = hoverAt(`*mangle\n# sample: nfmark=0x1 ctmark=0x2\n# sample: ctmark=0x30\n-A X -j CONNMARK --resto$0re-mark\nCOMMIT\n`)!;
  assert.match(v, /nfmark 0x00000001 -> \*\*0x00000030\*\*/);
  assert.match(v, /ctmark 0x00000030 -> \*\*0x00000030\*\* \(unchanged\)/);
});

test('CONNMARK hover shows both marks after', () => {
  const v = hoverAt(`*mangle\n# sample: nfmark=0x12345678 ctmark=0xabcdef00\n-A X -j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xf0$0f0\nCOMMIT\n`)!;
  assert.match(v, /ctmark 0xabcdef00 -> \*\*0xabcd5900\*\*/);
  assert.match(v, /nfmark 0x12345678 -> \*\*0x12345678\*\* \(unchanged\)/);
  assert.match(v, /nft has no one-statement form/);
});

test('match hover says whether the sample matches', () => {
  assert.match(hoverAt(`*nat\n# sample: nfmark=0x4000\n-A P -m mark ! --ma$0rk 0x4000/0x4000 -j RETURN\nCOMMIT\n`)!, /does not match/);
  assert.match(hoverAt(`*nat\n-A P -m connmark --ma$0rk 0x0 -j RETURN\nCOMMIT\n`)!, /\*\*matches\*\*/);
});

test('hover in shell scripts; a shell variable gives no result', () => {
  const v = hoverAt(`# sample: nfmark=0x1\nsudo iptables -t mangle -A OUTPUT -j MARK --set-xmark 0x4000/0x4000$0\n`, 'shell')!;
  assert.match(v, /0x00004001/);
  const u = hoverAt(`iptables -t mangle -A OUTPUT -j MARK --set-mark $M$0ARK\n`, 'shell')!;
  assert.match(u, /cannot be known/);
  assert.doesNotMatch(u, /->/);
});

test('hover on an invalid value repeats iptables message', () => {
  assert.match(hoverAt(`*mangle\n-A X -j MARK --set-mark 0x1/0x1$0/0x1\nCOMMIT\n`)!, /trailing garbage/);
});

test('listing hover maps `MARK or 0x4000` back to its kernel pair', () => {
  const v = hoverAt(`# sample: nfmark=0x1\nChain X (1 references)\nMARK       all  --  0.0.0.0/0   0.0.0.0/0   MARK o$0r 0x4000\n`, 'listing')!;
  assert.match(v, /`-j MARK --set-xmark 0x4000\/0x4000`/);
  assert.match(v, /0x00004001/);
});

test('hover on the sample comment explains it', () => {
  assert.match(hoverAt(`# sample: nfmark=0x1$0\n*filter\nCOMMIT\n`)!, /Sample input/);
});

test('no mark hover away from marks (the target documentation and the walk instead)', () => {
  const v = hoverAt(`*filter\n-A INPUT -j ACC$0EPT\nCOMMIT\n`)!;
  assert.doesNotMatch(v, /Kernel|iptables-save|nftables/);
  assert.match(v, /ACCEPT/);
  assert.match(v, /\*\*INPUT\*\*: reached in filter\/INPUT, matches/);
});

test("inside a here-document fed to iptables-restore: the mark hover, its rewrite and its inlay hint, on the script's lines (<<- tabs too)", () => {
  const src = `#!/bin/sh\niptables-restore --noflush <<-'EOF'\n\t*mangle\n\t-A OUTPUT -j MARK --set$0-xmark 0x4000/0x4000\n\tCOMMIT\n\tEOF\n`;
  const { text, pos } = cursor(src);
  const { svc, uri } = openDoc(text, 'shell', 'file:///t/fw.sh');
  const h = svc.hover(uri, pos)!;
  assert.match((h.contents as { value: string }).value, /An OR: sets bits 0x00004000/);
  // the range is the option's, on the script's line, after the tab
  assert.deepEqual(h.range!.start, { line: 3, character: text.split('\n')[3].indexOf('--set-xmark') });
  const acts = svc.codeActions(uri, { start: pos, end: pos }, ['refactor.rewrite']);
  const or = acts.find((a) => /--or-mark 0x4000/.test(a.title))!;
  assert.ok(or, acts.map((a) => a.title).join(' | '));
  assert.equal(applyEdits(text, or.edit!.changes![uri]), text.replace('--set-xmark 0x4000/0x4000', '--or-mark 0x4000'));
  const hints = svc.inlayHints(uri, { start: { line: 0, character: 0 }, end: { line: 10, character: 0 } });
  assert.deepEqual(
    hints.map((x) => [x.position.line, String(x.label)]),
    [[3, '=> 0x00004000']],
  );
  // outside the here-document: the script's own hovers
  assert.equal(svc.hover(uri, { line: 0, character: 3 }), null);
});
