import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateMarkArgs } from '../../server/src/core/iptables/syntax/markOptions';
import { MarkEval } from '../../server/src/core/marks/marks';

const ok = (args: string, nfmark = 0, ctmark = 0): Extract<MarkEval, { ok: true }> => {
  const r = evaluateMarkArgs(args.split(' '), { nfmark, ctmark });
  if (!r.ok) throw new Error(`${args}: ${r.error}`);
  return r;
};
const err = (args: string) => {
  const r = evaluateMarkArgs(args.split(' '), { nfmark: 0, ctmark: 0 });
  assert.equal(r.ok, false, args);
  return (r as { error: string }).error;
};

test('five MARK spellings become the kernel pair iptables-save prints (marks.md table)', () => {
  assert.equal(ok('-j MARK --set-mark 0x1').saved, '-j MARK --set-xmark 0x1/0xffffffff');
  assert.equal(ok('-j MARK --or-mark 0x4000').saved, '-j MARK --set-xmark 0x4000/0x4000');
  assert.equal(ok('-j MARK --and-mark 0xff').saved, '-j MARK --set-xmark 0x0/0xffffff00');
  assert.equal(ok('-j MARK --xor-mark 0x3').saved, '-j MARK --set-xmark 0x3/0x0');
  assert.equal(ok('-j MARK --set-mark 0x10/0xf0').saved, '-j MARK --set-xmark 0x10/0xf0');
});

test('iptables -L display rule, first that applies', () => {
  assert.equal(ok('-j MARK --set-xmark 0/0').listed, 'MARK and 0xffffffff');
  assert.equal(ok('-j MARK --set-xmark 0xffffffff/0xffffffff').listed, 'MARK or 0xffffffff');
  assert.equal(ok('-j MARK --xor-mark 5').listed, 'MARK xor 0x5');
  assert.equal(ok('-j MARK --set-mark 5').listed, 'MARK set 0x5');
  assert.equal(ok('-j MARK --set-mark 0x10/0xf0').listed, 'MARK xset 0x10/0xf0');
  assert.equal(ok('-m mark ! --mark 0x4000/0x4000').listed, 'mark match ! 0x4000/0x4000');
  assert.equal(ok('-m connmark --mark 1').listed, 'connmark match  0x1');
});

test('kube-proxy --set-xmark 0x4000/0x4000 is an OR: bit 14 set, others kept', () => {
  const r = ok('-j MARK --set-xmark 0x4000/0x4000', 0x12345678);
  assert.equal(r.nfmark, 0x12345678 | 0x4000);
  assert.ok(r.equivalents.includes('-j MARK --or-mark 0x4000'));
  assert.equal(r.equivalents[0], '-j MARK --or-mark 0x4000');
});

test('equivalents are offered only where exact', () => {
  const r = ok('-j MARK --set-xmark 0x5/0x1');
  assert.deepEqual(r.equivalents, ['-j MARK --set-xmark 0x5/0x1']); // bit 2 outside the mask: no --set-mark
  assert.ok(ok('-j MARK --set-mark 0x1').equivalents.includes('-j MARK --set-mark 0x1'));
  assert.ok(!ok('-j MARK --set-mark 0x1').equivalents.some((e) => e.includes('/0xffffffff') && e.includes('set-mark ')));
  assert.ok(ok('-j MARK --set-xmark 0x0/0xffffff00').equivalents.includes('-j MARK --and-mark 0xff'));
  assert.ok(ok('-j MARK --set-xmark 0x3/0x0').equivalents.includes('-j MARK --xor-mark 0x3'));
});

test('CONNMARK observations of marks.md', () => {
  const cases: [string, number, number, number, number][] = [
    ['-j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xf0f0', 0x12345678, 0xabcdef00, 0x12345678, 0xabcd5900],
    ['-j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xf0f0', 0x12345678, 0xabcdef00, 0x1234e078, 0xabcdef00],
    ['-j CONNMARK --save-mark --left-shift-mark 8', 0x12345678, 0, 0x12345678, 0x34567800],
    ['-j CONNMARK --restore-mark --right-shift-mark 4 --nfmask 0xff', 0, 0x12345678, 0x01234567, 0x12345678],
    ['-j CONNMARK --set-xmark 0x5/0xf --left-shift-mark 4', 0, 0x12345678, 0, 0x23456750],
  ];
  for (const [args, nf, ct, nf2, ct2] of cases) {
    const r = ok(args, nf, ct);
    assert.equal(r.nfmark, nf2, args);
    assert.equal(r.ctmark, ct2, args);
  }
});

test('nft text is right where iptables-translate is wrong (CONNMARK --set-xmark 0x5/0xf)', () => {
  assert.equal(ok('-j CONNMARK --set-xmark 0x5/0xf').nft, 'ct mark set ct mark and 0xfffffff0 xor 0x5');
  assert.equal(ok('-j MARK --set-mark 0x64').nft, 'meta mark set 0x64');
  assert.equal(ok('-j MARK --or-mark 0x4000').nft, 'meta mark set meta mark or 0x4000');
  assert.equal(ok('-j MARK --set-mark 0x10/0xf0').nft, 'meta mark set meta mark and 0xffffff0f xor 0x10');
  assert.equal(ok('-j CONNMARK --save-mark').nft, 'ct mark set meta mark');
  assert.equal(ok('-j CONNMARK --restore-mark').nft, 'meta mark set ct mark');
  const partial = ok('-j CONNMARK --save-mark --mask 0xff');
  assert.equal(partial.nft, null);
  assert.match(partial.nftNote!, /non-constant/);
});

test('iptables own messages for rejected rules', () => {
  assert.equal(err('-j MARK --set-mark 0x'), 'MARK: trailing garbage after value for option "--set-mark".');
  assert.equal(err('-j MARK --set-mark 4294967296'), 'MARK: bad integer value for option "--set-mark", or out of range.');
  assert.equal(err('-j MARK --and-mark 0xff/0xff'), 'MARK: bad value for option "--and-mark", or out of range (0-4294967295).');
  assert.equal(err('-j MARK --set-xmark 1 --or-mark 2'), 'MARK: option "--set-xmark" cannot be used together with "--or-mark".');
  assert.equal(err('-j MARK --or-mark 3 --set-mark 1'), 'MARK: option "--set-mark" cannot be used together with "--or-mark".');
  assert.equal(err('-j MARK --set-mark 1 --set-mark 2'), 'MARK: option "--set-mark" can only be used once.');
  assert.equal(err('-j MARK'), 'MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required');
  assert.equal(err('-j MARK ! --set-mark 1'), 'MARK: option "--set-mark" cannot be inverted.');
  assert.equal(err('-j CONNMARK'), 'CONNMARK target: No operation specified');
  assert.equal(err('-j CONNMARK --save-mark --mask 1 --nfmask 2'), 'CONNMARK: option "--nfmask" cannot be used together with "--mask".');
  assert.equal(err('-j CONNMARK --save-mark --left-shift-mark 33'), 'CONNMARK: bad value for option "--left-shift-mark", or out of range (0-32).');
  assert.equal(err('-m mark'), 'mark: option "--mark" must be specified');
  assert.equal(err('-m connmark --mark 08'), 'connmark: trailing garbage after value for option "--mark".');
  assert.equal(err('-j MARK --set-mark'), 'option "--set-mark" requires an argument');
  // TPROXY's own options, as iptables 1.8.9 words them (test/kernel/extensions-differential)
  assert.equal(err('-p tcp -j TPROXY --tproxy-mark 0x1/0x1'), 'TPROXY: option "--on-port" must be specified');
  assert.equal(err('-p tcp -j TPROXY ! --on-port 3129'), 'TPROXY: option "--on-port" cannot be inverted.');
  assert.equal(err('-p tcp -j TPROXY --on-port 1 --on-port 1'), 'TPROXY: option "--on-port" can only be used once.');
  assert.equal(err('-p tcp -j TPROXY --on-port 1 --on-ip 10.0.0.1 --on-ip 10.0.0.1'), 'TPROXY: option "--on-ip" can only be used once.');
  for (const bad of ['1:0', '0x10', '-1', '80x', '1-2']) assert.equal(err(`-p tcp -j TPROXY --on-port ${bad}`), `Port "${bad}" does not resolve to anything.`);
  for (const good of ['0', '080', '+80', '65536', 'http']) assert.equal(ok(`-p tcp -j TPROXY --on-port ${good} --tproxy-mark 0x1/0x1`).nfmark, 1, good);
});

test('the later of two shift options wins, as iptables does', () => {
  assert.equal(
    ok('-j CONNMARK --left-shift-mark 3 --right-shift-mark 2 --save-mark').saved,
    '-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff --right-shift-mark 2',
  );
});

test('matches', () => {
  assert.equal(ok('-m mark --mark 0x1/0x1', 3).matches, true);
  assert.equal(ok('-m mark ! --mark 0x4000/0x4000', 0x4000).matches, false);
  assert.equal(ok('-m connmark --mark 5', 0, 5).matches, true);
});

test('CONNMARK: a later --ctmask/--mask replaces the mask a set spelling wrote (seen in the kernel)', () => {
  // kernel: in ct 0xffffff80 -> 0xffffbf80 (found by the differential test, seed 1592631297)
  assert.equal(ok('-j CONNMARK --set-mark 16384 --ctmask 0x0', 0, 0xffffff80).ctmark, 0xffffbf80);
  assert.equal(ok('-j CONNMARK --or-mark 0xffffffff --ctmask 0xffffff', 0, 0xa140bc6d).ctmark, 0x5effffff);
  // and a later set spelling replaces an earlier --ctmask
  assert.equal(ok('-j CONNMARK --ctmask 0x0 --set-mark 0x4000', 0, 0xffffff80).ctmark, 0x4000);
});

test('getopt_long abbreviations are accepted as iptables accepts them', () => {
  assert.equal(ok('-j MARK --or 0x4000').saved, '-j MARK --set-xmark 0x4000/0x4000');
  assert.equal(ok('-j CONNMARK --sa').saved, '-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff');
  assert.equal(ok('-m mark --mar 1').saved, '-m mark --mark 0x1');
  assert.equal(err('-j MARK --set 1'), 'unknown option "--set"'); // ambiguous: --set-xmark, --set-mark, --set-counters
});

test('negation errors and stray words, in iptables order', () => {
  assert.equal(err('-m mark --mark 1 !'), 'nothing appropriate following !');
  assert.equal(err('-m mark ! ! --mark 1'), 'multiple consecutive ! not allowed');
  assert.equal(err('-m mark --mark ! 1'), 'mark: bad integer value for option "--mark", or out of range.');
});
