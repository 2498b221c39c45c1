/**
 * The nftables side of the mark-bit map (core/nftables/checks/marksMap.ts): nft mark
 * statements and matches as map accesses, owners by nft table name, and the same
 * warnings as iptables rules, alone or mixed with iptables files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nftMarkAccesses } from '../../server/src/core/nftables/checks/marksMap';
import { iptablesTextMarkAccesses } from '../../server/src/core/iptables/checks/marksMap';
import { buildMarkMap } from '../../server/src/core/marks/bitmap';

const KUBE_NFT = `table ip kube-proxy {
  chain mark-for-masquerade {
    meta mark set mark or 0x4000
  }
  chain masquerading {
    meta mark & 0x4000 == 0 return
    meta mark set meta mark xor 0x4000
    masquerade fully-random
  }
}
`;

test('nft statements and matches become accesses with exact bits; the kube-proxy table is kube-proxy', () => {
  const a = nftMarkAccesses('k.nft', KUBE_NFT);
  assert.deepEqual(
    a.map((x) => [x.line, x.s, x.kind, x.text, x.ownerHint]),
    [
      [2, 4, 'meta mark set', 'meta mark set mark or 0x4000', 'kube-proxy'],
      [5, 4, 'meta mark', 'meta mark & 0x4000 == 0', 'kube-proxy'],
      [6, 4, 'meta mark set', 'meta mark set meta mark xor 0x4000', 'kube-proxy'],
    ],
  );
  assert.deepEqual([a[0].writes[0].set, a[0].writes[0].changed], [0x4000, 0x4000]);
  assert.deepEqual([a[1].test!.tested, a[1].test!.requiresOne], [0x4000, 0]);
  assert.deepEqual([a[2].writes[0].flipped, a[2].writes[0].changed], [0x4000, 0x4000]);
  const m = buildMarkMap(a);
  assert.deepEqual(
    m.parties.map((p) => p.owner?.id),
    ['kube-proxy'],
  );
  assert.deepEqual(m.warnings, []);
});

test("an nft whole-mark set clobbers kube-proxy's bit, from nft or from an iptables file; ct mark set meta mark is a whole copy", () => {
  const mine = `table inet mine {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    iif "eth1" meta mark set 0x1 ct mark set meta mark
    ct mark & 0xff00 != 0 accept
    meta mark { 0x1, 0x3 } accept
  }
}
`;
  const a = nftMarkAccesses('mine.nft', mine);
  const m = buildMarkMap([...nftMarkAccesses('k.nft', KUBE_NFT), ...a]);
  const c = m.warnings.filter((w) => w.code === 'mark-clobber');
  assert.equal(c.length, 1);
  assert.equal(m.accesses[c[0].access].text, 'meta mark set 0x1');
  assert.equal(c[0].bits, 0x4000);
  const copy = a.find((x) => x.text === 'ct mark set meta mark')!;
  assert.equal(copy.writes[0].mark, 'ctmark');
  assert.equal(copy.writes[0].copied, 0xffffffff);
  // a set match is not an iptables (value, mask) test: its bits are those the value depends on
  const set = a.find((x) => x.text === 'meta mark { 0x1, 0x3 }')!;
  assert.equal(set.test!.tested, 0xffffffff);
  // the same kube-proxy bit seen by an iptables file's rule
  const ipt = iptablesTextMarkAccesses('r.rules', '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-mark 0x2\nCOMMIT\n', 'save');
  const mixed = buildMarkMap([...nftMarkAccesses('k.nft', KUBE_NFT), ...ipt]);
  assert.deepEqual(
    mixed.warnings.map((w) => [w.code, mixed.accesses[w.access].uri, w.bits]),
    [['mark-clobber', 'r.rules', 0x4000]],
  );
});
