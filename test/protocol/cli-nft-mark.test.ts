/**
 * `nfrules mark --nft` through the built CLI (dist/cli.js, from `node scripts/build.mjs`):
 * the rows of shared/reference/nft-marks.md, as observed with nft 1.0.6 and the kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8' });
const json = (...args: string[]) => {
  const r = cli('mark', '--nft', '--json', ...args);
  return { status: r.status, j: JSON.parse(r.stdout) };
};

test('mark --nft --json: the masked set of the spec, listed as nft prints it, with its iptables spelling', () => {
  const { status, j } = json('--nfmark', '0xabcd', '--', 'meta mark set meta mark and 0xffffff0f or 0x10');
  assert.equal(status, 0);
  assert.equal(j.nfmark, 0xab1d);
  assert.equal(j.ctmark, 0);
  assert.equal(j.listed, 'meta mark set meta mark & 0xffffff1f | 0x00000010');
  assert.equal(j.iptables, '-j MARK --set-mark 0x10/0xf0');
  assert.deepEqual(j.equivalents, [
    'meta mark set meta mark and 0xffffff0f or 0x10',
    'meta mark set meta mark & 0xffffff1f | 0x00000010',
    'meta mark set (meta mark & 0xffffff1f) | 0x00000010',
  ]);
});

test('mark --nft: the precedence no-op is a no-op, with both readings', () => {
  const { j } = json('--nfmark', '0x1', '--', 'meta mark set meta mark or 0x4000 and 0xff');
  assert.equal(j.nfmark, 1);
  assert.equal(j.listed, 'meta mark set meta mark');
  assert.equal(j.noop, true);
  assert.equal(j.grouped, 'meta mark set meta mark or (0x4000 and 0xff)');
  assert.equal(j.precedence.leftToRight, 'meta mark set (meta mark or 0x4000) and 0xff');
  assert.equal(j.precedence.intended, 'meta mark set meta mark and 0xff');
  const text = cli('mark', '--nft', '--nfmark', '0x1', '--', 'meta mark set meta mark or 0x4000 and 0xff');
  assert.match(text.stdout, /warning: +a no-op/);
});

test('mark --nft: the iptables-translate CONNMARK shape and the --save-mark --mask shape', () => {
  const a = json('--', 'ct mark set ct mark xor 0x16 and 0xffffffed').j;
  assert.equal(a.ctmark, 4);
  assert.equal(a.listed, 'ct mark set ct mark ^ 0x00000004');
  assert.equal(a.translateShape.kind, 'connmark-set-xmark');
  assert.equal(a.translateShape.iptablesResult.ctmark, 0x16);
  assert.equal(a.translateShape.intended, 'ct mark set ct mark and 0xffffffed xor 0x16');
  const b = json('--nfmark', '0x1234', '--ctmark', '0xabcd0000', '--', 'ct mark set mark and 0xff').j;
  assert.equal(b.ctmark, 0x34);
  assert.equal(b.translateShape.kind, 'save-mark-mask');
  assert.equal(b.translateShape.iptablesResult.ctmark, 0xabcd0034);
});

test('mark --nft: matches say whether they match', () => {
  assert.equal(json('--nfmark', '0x101', '--', 'meta mark & 0xff == 0x1').j.matches, true);
  const s = json('--nfmark', '0x2', '--', 'meta mark { 0x1, 0x2 }').j;
  assert.equal(s.matches, true);
  assert.equal(s.listed, 'meta mark { 0x00000001, 0x00000002 }');
  assert.equal(s.iptables, null);
  const c = json('--ctmark', '0x10', '--', 'ct mark 0x10').j;
  assert.equal(c.matches, true);
  assert.equal(c.iptables, '-m connmark --mark 0x10');
});

test("mark --nft: what nft refuses exits 2 with nft's message", () => {
  const a = json('--', 'ct mark set ct mark and 0xffff or meta mark');
  assert.equal(a.status, 2);
  assert.deepEqual(a.j, { error: 'Right hand side of binary operation (|) must be constant' });
  const b = json('--', 'meta mark 0x4000/0x4000');
  assert.equal(b.status, 2);
  assert.equal(b.j.error, 'Prefix length 16384 is invalid for type of 32 bits width');
  const c = cli('mark', '--nft', '--', 'mark set 08');
  assert.equal(c.status, 2);
  assert.equal(c.stderr, 'nfrules: Could not parse packet mark\n');
  const d = json('--', 'meta mark set tcp dport map { 80 : 0x1 }');
  assert.equal(d.status, 3, 'outside the model: no verdict');
  assert.equal(d.j.unsupported, true);
});
