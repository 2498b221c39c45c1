/**
 * The mark-bit map (core/marks/bitmap.ts, core/iptables/marksMap.ts, core/marks/owners.ts)
 * on rule sets modelled on the collisions people reported (written here from the reports'
 * descriptions), plus exactness properties of the bit effects against brute force.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuleDocument, Format } from '../../server/src/core/iptables/syntax/document';
import { iptablesMarkAccesses, iptablesMarkMap, iptablesTextMarkAccesses, narrowIptablesWrite } from '../../server/src/core/iptables/checks/marksMap';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MarkMap, MarkWarningCode, buildMarkMap, describeBits, opWrites, testEffects, writeEffects } from '../../server/src/core/marks/bitmap';
import { markMapJson, markMapSvg, markMapTable } from '../../server/src/core/marks/bitmapRender';
import { markAccessHover } from '../../server/src/core/marks/bitmapHover';
import { MARK_OWNERS, markValueHover, ownerOfChain } from '../../server/src/core/marks/owners';
import { MarkOp, applyMarkOp } from '../../server/src/core/marks/marks';
import { evaluateMarkArgs } from '../../server/src/core/iptables/syntax/markOptions';

const mapOf = (...files: [string, string, Format?][]): MarkMap =>
  iptablesMarkMap(files.map(([uri, text, format]) => ({ uri, doc: new RuleDocument(text, format ?? 'save') })));

const warns = (m: MarkMap, code?: MarkWarningCode) => m.warnings.filter((w) => !code || w.code === code);
const lineOf = (m: MarkMap, i: number) => m.accesses[i].line + 1;

const KUBE = `*nat
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -j MASQUERADE
COMMIT
*filter
:KUBE-FIREWALL - [0:0]
:KUBE-MARK-DROP - [0:0]
-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000
-A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP
COMMIT
`;

test("a whole --set-mark in a user chain clobbers kube-proxy's bit 14 and the drop bit 15; narrowing spares them", () => {
  const user = `*mangle\n:PREROUTING ACCEPT [0:0]\n:MYMARK - [0:0]\n-A PREROUTING -i eth1 -j MYMARK\n-A MYMARK -j MARK --set-mark 0x1\nCOMMIT\n`;
  const m = mapOf(['kube.rules', KUBE], ['user.rules', user]);
  const c = warns(m, 'mark-clobber');
  assert.equal(c.length, 1, JSON.stringify(m.warnings.map((w) => w.message)));
  assert.equal(m.accesses[c[0].access].uri, 'user.rules');
  assert.equal(lineOf(m, c[0].access), 5);
  assert.equal(c[0].bits, 0xc000);
  assert.match(c[0].message, /clears bits 14-15 \(0xc000\)/);
  assert.ok(c[0].related.some((r) => m.accesses[r.access].chain === 'KUBE-FIREWALL'));
  assert.ok(c[0].related.some((r) => m.accesses[r.access].chain === 'KUBE-MARK-MASQ'));
  // kube-proxy's own writes to its own bit are not warnings
  assert.ok(!m.warnings.some((w) => m.accesses[w.access].chain.startsWith('KUBE-')));
  const edit = narrowIptablesWrite(m, c[0].access);
  assert.ok(!('refused' in edit), JSON.stringify(edit));
  assert.equal(edit.newText, '--set-mark 0x1/0xffff3fff');
  assert.equal(edit.spared, 0xc000);
  // the narrowed rule keeps bit 14 and 15 of any packet and still sets the user's 0x1
  const r = evaluateMarkArgs(['-j', 'MARK', ...edit.newText.split(' ')], { nfmark: 0xc0f0, ctmark: 0 });
  assert.ok(r.ok);
  assert.equal(r.nfmark, 0xc001);
  // the edit replaces exactly the option words
  const line = user.split('\n')[4];
  assert.equal(line.slice(edit.s, edit.e), '--set-mark 0x1');
});

test("kubernetes#113659: wg-quick's whole fwmark 0xca6c carries bit 15, which KUBE-FIREWALL drops on", () => {
  const wg = `*mangle
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -m mark --mark 0xca6c -p udp -m comment --comment "wg-quick(8) rule for wg0" -j CONNMARK --save-mark
-A PREROUTING -p udp -m comment --comment "wg-quick(8) rule for wg0" -j CONNMARK --restore-mark
COMMIT
`;
  const m = mapOf(['kube.rules', KUBE], ['wg.rules', wg]);
  const v = warns(m, 'mark-value-owner-bit');
  assert.equal(v.length, 1);
  assert.equal(m.accesses[v[0].access].kind, 'mark');
  assert.equal(m.parties[m.partyOf[v[0].access]].owner?.id, 'wg-quick');
  assert.equal(v[0].bits & 0x8000, 0x8000, describeBits(v[0].bits));
  assert.equal(v[0].bits & 0x4000, 0x4000);
  assert.ok(v[0].related.some((r) => m.accesses[r.access].chain === 'KUBE-FIREWALL'));
  // the unmasked restore overwrites every nfmark bit the others use
  const u = warns(m, 'connmark-unmasked');
  assert.equal(u.length, 1);
  assert.equal(lineOf(m, u[0].access), 5);
  assert.equal(u[0].bits, 0xc000);
  // wg-quick sets its fwmark through the socket: its test is not "never written"
  assert.equal(warns(m, 'mark-test-never-written').length, 0);
  // narrowing wg-quick's restore is refused: its own whole-value test reads the bits
  const n = narrowIptablesWrite(m, u[0].access);
  assert.ok('refused' in n);
});

test("tailscale#591: Tailscale's 0xff0000 field against Calico's bits: clobber and overlap on both sides", () => {
  const rules = `*filter
:FORWARD ACCEPT [0:0]
:ts-forward - [0:0]
:cali-FORWARD - [0:0]
-A ts-forward -i tailscale0 -j MARK --set-xmark 0x40000/0xff0000
-A ts-forward -m mark --mark 0x40000/0xff0000 -j ACCEPT
-A cali-FORWARD -j MARK --set-xmark 0x0/0x10000
-A cali-FORWARD -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-FORWARD -j MARK --set-xmark 0x40000/0x40000
COMMIT
`;
  const m = mapOf(['r', rules]);
  const ts = m.parties.find((p) => p.owner?.id === 'tailscale')!;
  const cali = m.parties.find((p) => p.owner?.id === 'calico')!;
  assert.ok(ts && cali);
  const onTs = m.warnings.filter((w) => ts.accesses.includes(w.access));
  const clob = onTs.find((w) => w.code === 'mark-clobber')!;
  assert.ok(clob, JSON.stringify(onTs));
  // Tailscale clears 0xb0000 of the field; 0x10000 is Calico's accept bit
  assert.equal(clob.bits & 0x10000, 0x10000);
  const over = onTs.find((w) => w.code === 'mark-owner-overlap')!;
  assert.ok(over);
  assert.equal(over.bits, 0x40000);
  // Calico setting its drop bit 0x40000 overlaps Tailscale's subnet-route value
  assert.ok(m.warnings.some((w) => cali.accesses.includes(w.access) && w.code === 'mark-owner-overlap' && w.bits === 0x40000));
  const row = m.rows.find((r) => m.parties[r.party].owner?.id === 'calico' && r.mark === 'nfmark')!;
  assert.equal(row.collided & 0x50000, 0x50000);
});

test("GoogleCloudPlatform/netd#105: an unmasked --restore-mark clobbers Calico's bits; narrowed to the low half", () => {
  const rules = `*mangle
:PREROUTING ACCEPT [0:0]
:cali-PREROUTING - [0:0]
-A PREROUTING -j CONNMARK --restore-mark
-A cali-PREROUTING -m mark --mark 0x10000/0x10000 -j ACCEPT
COMMIT
`;
  const m = mapOf(['r', rules]);
  const u = warns(m, 'connmark-unmasked');
  assert.equal(u.length, 1);
  assert.equal(u[0].bits, 0xffff0000);
  const e = narrowIptablesWrite(m, u[0].access);
  assert.ok(!('refused' in e), JSON.stringify(e));
  assert.equal(e.newText, '--restore-mark --mask 0xffff');
  // narrowed: Calico's nfmark bits survive a restore from any ctmark
  const r = evaluateMarkArgs(['-j', 'CONNMARK', '--restore-mark', '--mask', '0xffff'], { nfmark: 0x10000, ctmark: 0xabcd1234 });
  assert.ok(r.ok);
  assert.equal(r.nfmark, 0x11234);
});

test("cilium#36104: Tailscale's field falls in Cilium's identity bits", () => {
  const rules = `*mangle
:PREROUTING ACCEPT [0:0]
:CILIUM_PRE_mangle - [0:0]
:ts-prerouting - [0:0]
-A CILIUM_PRE_mangle -m mark --mark 0xa00/0xe00 -j ACCEPT
-A ts-prerouting -j MARK --set-xmark 0x80000/0xff0000
COMMIT
`;
  const m = mapOf(['r', rules]);
  const ts = m.warnings.filter((w) => m.parties[m.partyOf[w.access]].owner?.id === 'tailscale');
  assert.ok(
    ts.some((w) => w.code === 'mark-clobber' && (w.bits & 0x770000) === 0x770000),
    JSON.stringify(ts),
  );
  assert.ok(ts.some((w) => w.code === 'mark-owner-overlap' && w.bits === 0x80000));
});

test("netbird#6022: NetBird's whole value 0x1bd10 carries kube-router's bit 0x10000", () => {
  const rules = `*filter
:FORWARD ACCEPT [0:0]
:NETBIRD-RT-FWD - [0:0]
:KUBE-ROUTER-FORWARD - [0:0]
-A NETBIRD-RT-FWD -m mark --mark 0x1bd10 -j ACCEPT
-A KUBE-ROUTER-FORWARD -m mark --mark 0x10000/0x10000 -j ACCEPT
COMMIT
`;
  const m = mapOf(['r', rules]);
  assert.deepEqual(
    m.parties.map((p) => p.owner?.id),
    ['netbird', 'kube-router'],
  );
  const v = warns(m, 'mark-value-owner-bit');
  assert.equal(v.length, 1);
  assert.equal(v[0].bits & 0x10000, 0x10000);
});

test('a test for a bit no rule sets is information; a writer anywhere silences it', () => {
  const lone = `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m mark --mark 0x100/0x100 -j ACCEPT\n-A INPUT -m mark ! --mark 0x0/0x200 -j ACCEPT\n-A INPUT -m mark ! --mark 0x200/0x200 -j ACCEPT\nCOMMIT\n`;
  const m = mapOf(['r', lone]);
  const t = warns(m, 'mark-test-never-written');
  assert.deepEqual(
    t.map((w) => [lineOf(m, w.access), w.bits, w.severity]),
    [
      [3, 0x100, 'information'],
      [4, 0x200, 'information'],
    ],
  );
  const writer = `*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --or-mark 0x300\nCOMMIT\n`;
  assert.equal(warns(mapOf(['r', lone], ['w', writer]), 'mark-test-never-written').length, 0);
  // a restore copying from ctmark can set it too
  const restore = `*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j CONNMARK --restore-mark --mask 0x100\nCOMMIT\n`;
  assert.deepEqual(
    warns(mapOf(['r', lone], ['w', restore]), 'mark-test-never-written').map((w) => w.bits),
    [0x200],
  );
});

test('no warnings between rules of one owner, nor between unrecognised chains', () => {
  const local = `*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i eth1 -j MARK --set-mark 0x1\n-A PREROUTING -i eth2 -j MARK --set-mark 0x2\nCOMMIT\n*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m mark --mark 0x1 -j ACCEPT\nCOMMIT\n`;
  assert.deepEqual(mapOf(['r', local]).warnings, []);
  assert.deepEqual(mapOf(['k', KUBE]).warnings, []);
  // without KUBE-MARK-DROP (kubelet 1.28+), nothing sets the bit KUBE-FIREWALL drops on
  const noDrop = mapOf(['k', KUBE.replace('-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000\n', '')]);
  assert.deepEqual(
    noDrop.warnings.map((w) => [w.code, noDrop.accesses[w.access].chain, w.bits]),
    [['mark-test-never-written', 'KUBE-FIREWALL', 0x8000]],
  );
});

test('owners: chain patterns (longest prefix), comments, distinctive values, else table/chain', () => {
  assert.equal(ownerOfChain('KUBE-ROUTER-FORWARD')?.id, 'kube-router');
  assert.equal(ownerOfChain('KUBE-SVC-ABCDEF')?.id, 'kube-proxy');
  assert.equal(ownerOfChain('KUBE-FIREWALL')?.id, 'kubelet');
  assert.equal(ownerOfChain('cali-fw-cali1234')?.id, 'calico');
  assert.equal(ownerOfChain('ISTIO_PRERT')?.id, 'istio-ambient');
  assert.equal(ownerOfChain('ISTIO_INBOUND')?.id, 'istio');
  assert.equal(ownerOfChain('MYCHAIN'), undefined);
  const m = mapOf([
    'r',
    `*mangle\n:OUTPUT ACCEPT [0:0]\n:SVC - [0:0]\n-A OUTPUT -d 10.96.0.1 -j MARK --set-xmark 0x1745ec\n-A OUTPUT -j MARK --set-mark 0x539\n-A SVC -j MARK --or-mark 0x10\nCOMMIT\n`,
  ]);
  assert.deepEqual(
    m.parties.map((p) => p.label),
    ['OVN-Kubernetes', 'Istio sidecar (istio-iptables)', 'mangle/SVC'],
  );
  for (const o of MARK_OWNERS) {
    assert.ok(o.source.startsWith('https://'), o.id);
    assert.ok(o.checked.length > 20, o.id);
  }
});

test('shell scripts, their iptables-restore here-documents and listings feed the map with exact positions', () => {
  const sh = `#!/bin/sh
iptables -t mangle -A PREROUTING -j MARK --set-mark 0x1
iptables-restore -n <<-EOF
\t*nat
\t:KUBE-MARK-MASQ - [0:0]
\t-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
\tCOMMIT
\tEOF
`;
  const m = mapOf(['s.sh', sh, 'shell']);
  assert.deepEqual(
    m.accesses.map((a) => [a.line, a.s, a.table, a.chain, a.text]),
    [
      [1, 33, 'mangle', 'PREROUTING', '-j MARK --set-mark 0x1'],
      [5, 19, 'nat', 'KUBE-MARK-MASQ', '-j MARK --or-mark 0x4000'],
    ],
  );
  const lines = sh.split('\n');
  assert.equal(lines[5].slice(m.accesses[1].s, m.accesses[1].e), '-j MARK --or-mark 0x4000');
  assert.equal(warns(m, 'mark-clobber').length, 1);
  const listing = `Chain KUBE-MARK-MASQ (1 references)
target     prot opt source               destination
MARK       all  --  0.0.0.0/0            0.0.0.0/0            MARK or 0x4000
`;
  const l = mapOf(['l.list', listing, 'listing']);
  assert.equal(l.accesses.length, 1);
  assert.equal(l.parties[0].owner?.id, 'kube-proxy');
  assert.equal(l.accesses[0].writes[0].set, 0x4000);
});

/** Deterministic generator for the property tests. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('write effects are exact: the changed bits are exactly those that change over many inputs', () => {
  const r = rng(17);
  const word = () => {
    const k = r();
    const x = Math.floor(r() * 4294967296) >>> 0;
    return k < 0.2 ? 0 : k < 0.3 ? 0xffffffff : k < 0.6 ? (2 ** Math.floor(r() * 32)) >>> 0 : x;
  };
  const shift = () => (r() < 0.6 ? null : { dir: r() < 0.5 ? ('left' as const) : ('right' as const), bits: 1 + Math.floor(r() * 31) });
  for (let n = 0; n < 300; n++) {
    const k = Math.floor(r() * 4);
    const op: MarkOp =
      k === 0
        ? { kind: 'xset', ext: 'MARK', value: word(), mask: word() }
        : k === 1
          ? { kind: 'ct-set', ext: 'CONNMARK', value: word(), mask: word(), shift: shift() }
          : { kind: k === 2 ? 'ct-save' : 'ct-restore', ext: 'CONNMARK', nfmask: word(), ctmask: word(), shift: shift() };
    const ws = writeEffects((s) => applyMarkOp(op, s));
    const claimed = { nfmark: 0, ctmark: 0 };
    for (const w of ws) claimed[w.mark] = w.changed;
    const seen = { nfmark: 0, ctmark: 0 };
    for (let i = 0; i < 64; i++) {
      const s = { nfmark: Math.floor(r() * 4294967296) >>> 0, ctmark: Math.floor(r() * 4294967296) >>> 0 };
      const o = applyMarkOp(op, s);
      seen.nfmark = (seen.nfmark | (o.nfmark ^ s.nfmark)) >>> 0;
      seen.ctmark = (seen.ctmark | (o.ctmark ^ s.ctmark)) >>> 0;
      // and the effects predict the output bit by bit
      for (const w of ws) {
        const before = s[w.mark];
        const after = o[w.mark];
        assert.equal((after & w.set) >>> 0, w.set);
        assert.equal((after & w.cleared) >>> 0, 0);
        assert.equal(((after ^ before) & w.flipped) >>> 0, w.flipped);
        for (const src of w.sources) {
          const sv = (s[src.from] >>> src.fromBit) & 1;
          const own = (before >>> src.bit) & 1;
          const want = (src.xor ? own ^ sv : sv) ^ (src.invert ? 1 : 0);
          assert.equal((after >>> src.bit) & 1, want, `${JSON.stringify(op)} bit ${src.bit}`);
        }
      }
    }
    assert.deepEqual(seen, claimed, JSON.stringify(op));
  }
});

test('test effects: the tested bits are exactly those whose flip can change the verdict', () => {
  const r = rng(5);
  for (let n = 0; n < 300; n++) {
    const mask = r() < 0.3 ? 0xffffffff : Math.floor(r() * 4294967296) >>> 0;
    const value = r() < 0.8 ? (Math.floor(r() * 4294967296) & mask) >>> 0 : Math.floor(r() * 4294967296) >>> 0;
    const invert = r() < 0.5;
    const t = testEffects('nfmark', value, mask, invert);
    const verdict = (x: number) => ((x & mask) >>> 0 === value) !== invert;
    let flips = 0;
    for (let i = 0; i < 40; i++) {
      // near the boundary: inputs that match the value in the mask, and random ones
      const base = i % 2 ? ((Math.floor(r() * 4294967296) & ~mask) | (value & mask)) >>> 0 : Math.floor(r() * 4294967296) >>> 0;
      for (let b = 0; b < 32; b++) if (verdict(base) !== verdict((base ^ (2 ** b)) >>> 0)) flips = (flips | (2 ** b)) >>> 0;
      if (verdict(base)) assert.equal((base & t.requiresOne) >>> 0, t.requiresOne);
    }
    assert.equal(flips, t.tested, `${value.toString(16)}/${mask.toString(16)} ${invert}`);
  }
});

test('hover text names the known owners of each bit', () => {
  assert.match(markValueHover(0x4000), /bit 14 \(0x4000\): kube-proxy masquerade/);
  const wg = markValueHover(0xca6c);
  assert.match(wg, /whole value 0xca6c \(51820\): wg-quick/);
  assert.match(wg, /bit 15 \(0x8000\): kubelet drop/);
  assert.match(markValueHover(0x40000, 0xff0000), /0x40000\/0xff0000: Tailscale subnet route/);
});

test('renderings: table, JSON and SVG agree with the map; any bytes give an answer', () => {
  const m = mapOf(['kube.rules', KUBE], ['u', `*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-mark 0x1\nCOMMIT\n`]);
  const t = markMapTable(m);
  assert.match(t, /^nfmark\s+31 {4}24 23 {4}16 15 {5}8 7 {6}0$/m);
  assert.match(t, /^kube-proxy\s+\.{8} \.{8} \.B\.{6} \.{8}/m);
  assert.match(t, /^mangle\/PREROUTING\s+w{8} w{8} WWw{6} w{8}/m);
  assert.match(t, /\[mark-clobber\]/);
  const j = markMapJson(m) as { rows: { row: string; written: string }[]; warnings: { code: string; line: number }[] };
  assert.ok(j.rows.some((r) => r.row === 'kube-proxy' && r.written === '0x4000'));
  assert.deepEqual(
    j.warnings.map((w) => [w.code, w.line]),
    [['mark-clobber', 3]],
  );
  const svg = markMapSvg(m);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<rect x="\d+" y="\d+" width="16"/g) ?? []).length, 32 * m.rows.length);
  assert.ok(svg.includes('stroke="#d00000"'));
  const r = rng(3);
  for (let n = 0; n < 200; n++) {
    const text = Array.from({ length: Math.floor(r() * 200) }, () => String.fromCharCode(Math.floor(r() * 128))).join('');
    for (const f of ['save', 'shell', 'listing'] as Format[]) {
      const mm = mapOf(['x', '*mangle\n-A X -j MARK --set-mark ' + text + '\n' + text, f]);
      markMapTable(mm);
      markMapSvg(mm);
    }
  }
});

test('corpus: the text scan finds exactly the accesses the full parse finds, in every real dump', (t) => {
  const corpus = resolve(process.cwd(), '..', 'shared', 'corpus');
  if (!existsSync(corpus)) {
    const why = `SKIPPED: corpus not found at ${corpus}`;
    console.error(why);
    if (process.env.CI) assert.fail(why);
    t.skip(why);
    return;
  }
  const files: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/\.(md|t|txlate|nft|ferm\.txt)$|^(LICENSE|COPYING)/.test(n)) {
        const text = readFileSync(p, 'utf8');
        if (/^\*(filter|nat|mangle|raw|security)\s*$/m.test(text) && /^COMMIT\s*$/m.test(text)) files.push(p);
      }
    }
  };
  walk(corpus);
  assert.ok(files.length > 20, `${files.length} dumps`);
  let total = 0;
  const owners = new Set<string>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const fast = iptablesTextMarkAccesses(f, text, 'save');
    const full = iptablesMarkAccesses(f, new RuleDocument(text, 'save'));
    assert.deepEqual(JSON.parse(JSON.stringify(fast)), JSON.parse(JSON.stringify(full)), f);
    // and the line prefilter drops no rule that has a mark extension
    const doc = new RuleDocument(text, 'save');
    let every = 0;
    for (const e of doc.entries)
      if (e.k === 'rule' && e.rule.command?.chain) every += e.rule.marks.filter((m) => typeof m.result !== 'string' && !('message' in m.result)).length;
    assert.equal(fast.length, every, f);
    total += fast.length;
    for (const o of buildMarkMap(fast).present) owners.add(o.id);
  }
  console.log(`[bitmap corpus] ${files.length} dumps, ${total} mark accesses, owners seen: ${[...owners].sort().join(', ')}`);
  assert.ok(total > 50);
});

test("Submariner's Globalnet mark is 0xC0000/0xC0000 (bits 18-19): it overlaps Tailscale's field", () => {
  const rules = `*nat
:POSTROUTING ACCEPT [0:0]
:SUBMARINER-GN-MARK - [0:0]
:ts-postrouting - [0:0]
-A SUBMARINER-GN-MARK -d 10.2.0.0/16 -j MARK --set-mark 0xC0000/0xC0000
-A ts-postrouting -m mark --mark 0x40000/0xff0000 -j MASQUERADE
COMMIT
`;
  const m = mapOf(['r', rules]);
  assert.deepEqual(
    m.parties.map((p) => p.owner?.id),
    ['submariner', 'tailscale'],
  );
  const w = m.warnings.filter((x) => m.parties[m.partyOf[x.access]].owner?.id === 'submariner');
  assert.deepEqual(
    w.map((x) => [x.code, x.bits]),
    [['mark-owner-overlap', 0xc0000]],
  );
  assert.match(markValueHover(0xc0000, 0xc0000), /Submariner Globalnet mark/);
});

test("added owners: netavark shares CNI portmap's bit 13; Kube-OVN's TPROXY marks overlap Calico's bits", () => {
  assert.equal(ownerOfChain('NETAVARK-HOSTPORT-SETMARK')?.id, 'netavark');
  assert.equal(ownerOfChain('OVN-KUBE-ITP')?.id, 'ovn-kubernetes');
  assert.equal(ownerOfChain('OVN-PREROUTING')?.id, 'kube-ovn');
  const rules = `*mangle
:OUTPUT ACCEPT [0:0]
:OVN-OUTPUT - [0:0]
:cali-OUTPUT - [0:0]
-A OVN-OUTPUT -p tcp -j MARK --set-xmark 0x90003/0x90003
-A cali-OUTPUT -m mark --mark 0x10000/0x10000 -j ACCEPT
COMMIT
`;
  const m = mapOf(['r', rules]);
  const w = m.warnings.filter((x) => m.parties[m.partyOf[x.access]].owner?.id === 'kube-ovn');
  // its value 0x90003 contains Calico's accept bit 0x10000 and scratch0 bit 0x80000
  assert.deepEqual(
    w.map((x) => [x.code, x.bits]),
    [['mark-value-owner-bit', 0x90000]],
  );
});

test('hover on a rule of the map: its bits, their known owners, its warnings', () => {
  const m = mapOf(['k', KUBE], ['u', `*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-xmark 0x0/0xc000\nCOMMIT\n`]);
  const i = m.accesses.findIndex((a) => a.uri === 'u');
  const h = markAccessHover(m, i);
  assert.match(h, /nfmark: clears bits 14-15 \(0xc000\)/);
  assert.match(h, /bit 14 \(0x4000\): kube-proxy masquerade/);
  assert.match(h, /\*\*mark-clobber\*\*/);
  const k = markAccessHover(
    m,
    m.accesses.findIndex((a) => a.chain === 'KUBE-MARK-MASQ'),
  );
  assert.match(k, /owner: kube-proxy/);
  assert.match(k, /sets bit 14 \(0x4000\)/);
  assert.doesNotMatch(k, /\*\*mark-/);
});

test('the closed forms of opWrites equal the probed effects of the kernel form', () => {
  const r = rng(11);
  const word = () => (r() < 0.3 ? [0, 0xffffffff, 0x4000, 0xff0000][Math.floor(r() * 4)] : Math.floor(r() * 4294967296) >>> 0);
  for (let n = 0; n < 400; n++) {
    const k = Math.floor(r() * 5);
    const op: MarkOp =
      k === 0
        ? { kind: 'xset', ext: 'MARK', value: word(), mask: word() }
        : k === 1
          ? { kind: 'xset', ext: 'TPROXY', value: word(), mask: word() }
          : k === 2
            ? { kind: 'ct-set', ext: 'CONNMARK', value: word(), mask: word(), shift: null }
            : { kind: k === 3 ? 'ct-save' : 'ct-restore', ext: 'CONNMARK', nfmask: word(), ctmask: word(), shift: null };
    const norm = (ws: ReturnType<typeof writeEffects>) => ws.map((w) => ({ ...w, sources: [...w.sources].sort((a, b) => a.bit - b.bit) }));
    assert.deepEqual(norm(opWrites(op)), norm(writeEffects((s) => applyMarkOp(op, s))), JSON.stringify(op));
  }
});

test('the map stays linear: eight times the mark rules cost about eight times the CPU, not sixty-four', () => {
  const rules = (n: number) => {
    let t = '*mangle\n:PREROUTING ACCEPT [0:0]\n';
    for (let i = 0; i < n; i++)
      t += `-A PREROUTING -s 10.${(i >> 8) & 255}.${i & 255}.0/24 -j MARK --set-mark ${i + 1}\n-A PREROUTING -m mark --mark 0x4000/0x4000 -m comment --comment "kubernetes x" -j RETURN\n`;
    return t + 'COMMIT\n';
  };
  // CPU time (less noisy than wall time on a shared machine), the best of three runs
  const cpu = (text: string) => {
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const c0 = process.cpuUsage();
      const m = buildMarkMap(iptablesTextMarkAccesses('x', text, 'save'));
      const c = process.cpuUsage(c0);
      best = Math.min(best, c.user + c.system);
      assert.equal(m.warnings.filter((w) => w.code === 'mark-clobber').length, text.split('--set-mark').length - 1);
    }
    return best;
  };
  const small = rules(500);
  const big = rules(4000);
  cpu(big); // warm up (the JIT)
  const ratio = cpu(big) / cpu(small);
  console.log(`[bitmap linear] 8,000 vs 1,000 mark rules: ${ratio.toFixed(1)}x the CPU`);
  assert.ok(ratio < 24, `${ratio.toFixed(1)}x: not linear`);
});
