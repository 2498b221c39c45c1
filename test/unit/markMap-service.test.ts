/** The mark-bit map's warnings through the service: on the document that writes, with the other owner's rules as related information. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SERVICE_SETTINGS, NfRulesService } from '../../server/src/core/service/service';

test('mark map: a --set-mark 0x1 that wipes kube-proxy masquerade bit is a mark-clobber warning, across open documents', () => {
  const svc = new NfRulesService();
  const kube = 'file:///w/kube.rules.v4';
  svc.open(
    kube,
    `*nat\n:KUBE-MARK-MASQ - [0:0]\n:KUBE-POSTROUTING - [0:0]\n-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n-A KUBE-POSTROUTING -j MASQUERADE\nCOMMIT\n`,
  );
  const vpn = 'file:///w/vpn.rules.v4';
  svc.open(vpn, `*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i wg0 -j MARK --set-mark 0x1\nCOMMIT\n`);
  const d = svc.diagnostics(vpn).filter((x) => x.code === 'mark-clobber');
  assert.equal(d.length, 1, JSON.stringify(svc.diagnostics(vpn)));
  assert.equal(d[0].range.start.line, 2);
  assert.ok(
    d[0].relatedInformation!.some((r) => r.location.uri === kube),
    JSON.stringify(d[0]),
  );
  // with the setting off, nothing
  const off = svc.diagnostics(vpn, { ...DEFAULT_SERVICE_SETTINGS, diagnostics: { 'mark-clobber': 'off' } });
  assert.ok(!off.some((x) => x.code === 'mark-clobber'));
  // a narrowed write clobbers nothing
  svc.change(vpn, [{ text: `*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i wg0 -j MARK --set-mark 0x1/0xff\nCOMMIT\n` }], 2);
  assert.ok(!svc.diagnostics(vpn).some((x) => x.code === 'mark-clobber'));
});

test('mark map: the hover on a mark rule names the bits and the known software that uses them', () => {
  const svc = new NfRulesService();
  const uri = 'file:///w/kube.rules.v4';
  svc.open(uri, `*nat\n:KUBE-MARK-MASQ - [0:0]\n-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\nCOMMIT\n`);
  const h = svc.hover(uri, { line: 2, character: 30 })!;
  const md = (h.contents as { value: string }).value;
  assert.match(md, /mark bits/);
  assert.match(md, /kube-proxy/i);
  assert.match(md, /0x4000/);
});
