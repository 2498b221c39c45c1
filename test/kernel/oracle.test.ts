/**
 * The oracle against the kernel observations written down in shared/reference/marks.md:
 * if these pass, the oracle measures what the reference describes (and where they would
 * not, the kernel is right and the reference needs fixing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  iptablesVerdicts,
  kernelEvalMatches,
  kernelEvalNft,
  kernelEvalNftMatches,
  kernelEvalTargets,
  kernelListed,
  kernelSaved,
  nftListBack,
  normalizeIptablesMessage,
  type Marks,
  type OracleError,
} from './oracle';
import { hex, needKernel, needNft } from './gate';

const FULL = 0xffffffff;
const u32 = (x: number) => x >>> 0;
const split = (s: string) => s.split(' ');
const show = (r: Marks | OracleError | boolean) =>
  typeof r === 'boolean' ? String(r) : 'error' in r ? `error: ${r.error}` : `nf ${hex(r.nfmark)} ct ${hex(r.ctmark)}`;

const INPUTS = [0, 1, 0x4000, 0xffffffff, 0x12345678, 0xabcdef00, 0x80000000, 0x0000ff00];

test("MARK: each of the five spellings is the kernel pair of marks.md, nfmark' = (nfmark & ~m) ^ v", async (t) => {
  if (!needKernel(t)) return;
  const rules: { args: string; v: number; m: number }[] = [
    { args: '--set-xmark 0x5', v: 5, m: FULL },
    { args: '--set-xmark 0x5/0xf', v: 5, m: 0xf },
    { args: '--set-xmark 0x30/0xf', v: 0x30, m: 0xf }, // bits of v outside m flip every time
    { args: '--set-xmark 0x4000/0x0', v: 0x4000, m: 0 },
    { args: '--set-mark 0x1', v: 1, m: FULL },
    { args: '--set-mark 0x10/0xf0', v: 0x10, m: 0xf0 },
    { args: '--set-mark 0x10/0xf', v: 0x10, m: 0x1f }, // (v, v | m)
    { args: '--and-mark 0xff', v: 0, m: u32(~0xff) },
    { args: '--or-mark 0x4000', v: 0x4000, m: 0x4000 },
    { args: '--xor-mark 0x4000', v: 0x4000, m: 0 },
    { args: '--and-mark 0x0', v: 0, m: FULL },
    { args: '--or-mark 0xffffffff', v: FULL, m: FULL },
  ];
  const cases = rules.flatMap((r) =>
    INPUTS.map((nf, k) => ({ args: ['-j', 'MARK', ...split(r.args)], nfmark: nf, ctmark: INPUTS[(k + 3) % INPUTS.length], r })),
  );
  const got = await kernelEvalTargets(cases);
  cases.forEach((c, i) => {
    const want = { nfmark: u32((c.nfmark & ~c.r.m) ^ c.r.v), ctmark: c.ctmark };
    assert.deepEqual(got[i], want, `${c.args.join(' ')} on nf ${hex(c.nfmark)}: ${show(got[i])}`);
  });
});

test('kube-proxy: --set-xmark 0x4000/0x4000 behaves as OR, 0x4000/0x0 as XOR, ! --mark 0x4000/0x4000 tests the bit', async (t) => {
  if (!needKernel(t)) return;
  const targets = INPUTS.flatMap((nf) => [
    { args: split('-j MARK --set-xmark 0x4000/0x4000'), nfmark: nf, ctmark: 0, want: u32(nf | 0x4000) },
    { args: split('-j MARK --set-xmark 0x4000/0x0'), nfmark: nf, ctmark: 0, want: u32(nf ^ 0x4000) },
  ]);
  const got = await kernelEvalTargets(targets);
  targets.forEach((c, i) => assert.deepEqual(got[i], { nfmark: c.want, ctmark: 0 }, `${c.args.join(' ')} on ${hex(c.nfmark)}`));
  const matches = INPUTS.map((nf) => ({ args: split('-m mark ! --mark 0x4000/0x4000'), nfmark: nf, ctmark: 0 }));
  const m = await kernelEvalMatches(matches);
  matches.forEach((c, i) => assert.equal(m[i], (c.nfmark & 0x4000) === 0, `! --mark 0x4000/0x4000 on ${hex(c.nfmark)}`));
});

test('CONNMARK: the five kernel observations of marks.md', async (t) => {
  if (!needKernel(t)) return;
  const obs: [string, number, number, number, number][] = [
    ['--save-mark --nfmask 0xff00 --ctmask 0xf0f0', 0x12345678, 0xabcdef00, 0x12345678, 0xabcd5900],
    ['--restore-mark --nfmask 0xff00 --ctmask 0xf0f0', 0x12345678, 0xabcdef00, 0x1234e078, 0xabcdef00],
    ['--save-mark --left-shift-mark 8', 0x12345678, 0, 0x12345678, 0x34567800],
    ['--restore-mark --right-shift-mark 4 --nfmask 0xff', 0, 0x12345678, 0x01234567, 0x12345678],
    ['--set-xmark 0x5/0xf --left-shift-mark 4', 0, 0x12345678, 0, 0x23456750],
  ];
  const cases = obs.map(([a, nf, ct]) => ({ args: ['-j', 'CONNMARK', ...split(a)], nfmark: nf, ctmark: ct }));
  const got = await kernelEvalTargets(cases);
  obs.forEach(([a, , , nf2, ct2], i) => assert.deepEqual(got[i], { nfmark: nf2, ctmark: ct2 }, `CONNMARK ${a}: ${show(got[i])}`));
});

test('CONNMARK: set spellings, save and restore follow the kernel forms of marks.md', async (t) => {
  if (!needKernel(t)) return;
  type F = (nf: number, ct: number) => [number, number];
  const sh = (x: number, s: number) => (s >= 0 ? u32(x << s) : u32(x) >>> -s);
  const set =
    (v: number, m: number, s = 0): F =>
    (nf, ct) => [nf, sh(u32((ct & ~m) ^ v), s)];
  const save =
    (nfm: number, ctm: number, s = 0): F =>
    (nf, ct) => [nf, u32((ct & ~ctm) ^ sh(nf & nfm, s))];
  const restore =
    (nfm: number, ctm: number, s = 0): F =>
    (nf, ct) => [u32((nf & ~nfm) ^ sh(ct & ctm, s)), ct];
  const rules: [string, F][] = [
    ['--set-xmark 0x5', set(5, FULL)],
    ['--set-xmark 0x5/0xf', set(5, 0xf)],
    ['--set-mark 0x10/0xf', set(0x10, 0x1f)],
    ['--and-mark 0xf', set(0, u32(~0xf))],
    ['--or-mark 0x10', set(0x10, 0x10)],
    ['--xor-mark 0x1', set(1, 0)],
    ['--or-mark 0x10 --right-shift-mark 3', set(0x10, 0x10, -3)],
    ['--save-mark', save(FULL, FULL)],
    ['--save-mark --mask 0xff', save(0xff, 0xff)],
    ['--save-mark --nfmask 0xff --right-shift-mark 31', save(0xff, FULL, -31)],
    ['--restore-mark', restore(FULL, FULL)],
    ['--restore-mark --mask 0xff', restore(0xff, 0xff)],
    ['--restore-mark --ctmask 0xff00 --left-shift-mark 16', restore(FULL, 0xff00, 16)],
  ];
  const cases = rules.flatMap(([a, f]) =>
    INPUTS.map((nf, k) => ({ args: ['-j', 'CONNMARK', ...split(a)], nfmark: nf, ctmark: INPUTS[(k + 5) % INPUTS.length], f })),
  );
  const got = await kernelEvalTargets(cases);
  cases.forEach((c, i) => {
    const [nf, ct] = c.f(c.nfmark, c.ctmark);
    assert.deepEqual(got[i], { nfmark: nf, ctmark: ct }, `${c.args.join(' ')} on ${hex(c.nfmark)}, ${hex(c.ctmark)}: ${show(got[i])}`);
  });
});

test('the mark and connmark matches: (mark & m) == v, inverted by !', async (t) => {
  if (!needKernel(t)) return;
  const rules: [string, number, number, boolean][] = [
    ['--mark 0x1', 1, FULL, false],
    ['! --mark 0x1', 1, FULL, true],
    ['--mark 0x1/0x3', 1, 3, false],
    ['! --mark 0x4000/0x4000', 0x4000, 0x4000, true],
    ['--mark 0x3/0x1', 3, 1, false], // bits of v outside m: never matches
    ['--mark 0x0/0x0', 0, 0, false], // always matches
  ];
  const cases = rules.flatMap(([a, v, m, inv]) =>
    (['mark', 'connmark'] as const).flatMap((ext) =>
      INPUTS.map((x) => ({
        args: ['-m', ext, ...split(a)],
        nfmark: ext === 'mark' ? x : 0x77,
        ctmark: ext === 'connmark' ? x : 0x77,
        want: (u32(x & m) === v) !== inv,
      })),
    ),
  );
  const got = await kernelEvalMatches(cases);
  cases.forEach((c, i) => assert.equal(got[i], c.want, `${c.args.join(' ')} on ${hex(c.nfmark)}/${hex(c.ctmark)}`));
});

test('iptables-save forms of marks.md', async (t) => {
  if (!needKernel(t)) return;
  const want: [string, string][] = [
    ['-j MARK --set-mark 0x1', '-j MARK --set-xmark 0x1/0xffffffff'],
    ['-j MARK --or-mark 0x4000', '-j MARK --set-xmark 0x4000/0x4000'],
    ['-j MARK --and-mark 0xff', '-j MARK --set-xmark 0x0/0xffffff00'],
    ['-j MARK --set-mark 0x10/0xf0', '-j MARK --set-xmark 0x10/0xf0'],
    ['-j MARK --xor-mark 0x4000', '-j MARK --set-xmark 0x4000/0x0'],
    ['-m mark --mark 0x1', '-m mark --mark 0x1'],
    ['-m mark ! --mark 0x4000/0x4000', '-m mark ! --mark 0x4000/0x4000'],
    ['-m connmark --mark 5', '-m connmark --mark 0x5'],
    ['-j CONNMARK --set-xmark 0x5/0xf', '-j CONNMARK --set-xmark 0x5/0xf'],
    ['-j CONNMARK --save-mark', '-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff'],
    ['-j CONNMARK --restore-mark --mask 0xff', '-j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff'],
    ['-j CONNMARK --save-mark --left-shift-mark 8', '-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff --left-shift-mark 8'],
  ];
  const got = await kernelSaved(want.map(([a]) => split(a)));
  want.forEach(([a, w], i) => assert.equal(got[i], w, a));
});

test('iptables -L forms of marks.md (display rule: and, or, xor, set, xset)', async (t) => {
  if (!needKernel(t)) return;
  const want: [string, string][] = [
    ['-j MARK --set-xmark 0x0/0x0', 'MARK and 0xffffffff'],
    ['-j MARK --set-xmark 0xffffffff/0xffffffff', 'MARK or 0xffffffff'],
    ['-j MARK --set-xmark 0x5/0x0', 'MARK xor 0x5'],
    ['-j MARK --set-xmark 0x5/0xffffffff', 'MARK set 0x5'],
    ['-j MARK --set-xmark 0x5/0xf', 'MARK xset 0x5/0xf'],
    ['-j MARK --and-mark 0xff', 'MARK and 0xff'],
    ['-j CONNMARK --set-xmark 0x5/0xf', 'CONNMARK xset 0x5/0xf'],
    ['-j CONNMARK --save-mark', 'CONNMARK save'],
    ['-j CONNMARK --restore-mark --mask 0xff', 'CONNMARK restore mask 0xff'],
    ['-j CONNMARK --and-mark 0xf', 'CONNMARK and 0xf'],
    ['-j CONNMARK --or-mark 0x10', 'CONNMARK or 0x10'],
    ['-j CONNMARK --xor-mark 0x1', 'CONNMARK xor 0x1'],
    ['-j CONNMARK --save-mark --left-shift-mark 8', 'CONNMARK save left-shift-mark 8'],
    ['-m mark --mark 0x1', 'mark match 0x1'],
    ['-m mark ! --mark 0x4000/0x4000', 'mark match ! 0x4000/0x4000'],
  ];
  const got = await kernelListed(want.map(([a]) => split(a)));
  want.forEach(([a, w], i) => assert.equal(got[i], w, a));
});

test('numbers as iptables reads them: accepted forms and the rejection messages of marks.md', async (t) => {
  if (!needKernel(t)) return;
  const accepted: [string, number][] = [
    ['010', 8],
    ['+5', 5],
    ['0X10', 16],
    ['0x0001', 1],
    ['00', 0],
    ['4294967295', FULL],
    [' 5', 5],
  ];
  const got = await kernelSaved(accepted.map(([s]) => ['-j', 'MARK', '--set-mark', s]));
  accepted.forEach(([s, v], i) => assert.equal(got[i], `-j MARK --set-xmark ${hex(v)}/0xffffffff`, `--set-mark ${JSON.stringify(s)}`));

  const garbage = 'MARK: trailing garbage after value for option "--set-mark".';
  const badInt = 'MARK: bad integer value for option "--set-mark", or out of range.';
  const rejected: [string[], string][] = [
    ...['0x', '08', '1e3', '1/2/3'].map((s): [string[], string] => [['--set-mark', s], garbage]),
    ...['-1', '4294967296', '5/', '/5'].map((s): [string[], string] => [['--set-mark', s], badInt]),
    [['--and-mark', '0xff/0xff'], 'MARK: bad value for option "--and-mark", or out of range (0-4294967295).'],
    [['--set-xmark', '1', '--or-mark', '2'], 'MARK: option "--set-xmark" cannot be used together with "--or-mark".'],
    [['--set-mark', '1', '--set-mark', '2'], 'MARK: option "--set-mark" can only be used once.'],
    [[], 'MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required'],
  ];
  const v = await iptablesVerdicts(rejected.map(([a]) => ({ table: 'mangle', chain: 'OUTPUT', args: ['-j', 'MARK', ...a] })));
  rejected.forEach(([a, msg], i) => assert.deepEqual(v[i], { ok: false, message: msg }, a.join(' ')));
});

test('nftables forms of marks.md', async (t) => {
  if (!needNft(t)) return;
  const got = await kernelEvalNft([
    { stmt: 'ct mark set ct mark and 0xfffffff0 xor 0x5', nfmark: 0, ctmark: 0x12345678 },
    { stmt: 'meta mark set 0x64', nfmark: 0x12345678, ctmark: 0 },
    { stmt: 'meta mark set mark or 0x4000', nfmark: 0x1, ctmark: 0 },
    { stmt: 'meta mark set mark and 0xffffff0f xor 0x10', nfmark: 0x12345678, ctmark: 0 },
    { stmt: 'ct mark set meta mark', nfmark: 0x12345678, ctmark: 0xabcdef00 },
    { stmt: 'meta mark set ct mark', nfmark: 0x12345678, ctmark: 0xabcdef00 },
    // what iptables-translate prints for CONNMARK --set-xmark 0x5/0xf: a no-op in nft 1.0.6
    { stmt: 'ct mark set ct mark xor 0x5 and 0xfffffff0', nfmark: 0, ctmark: 0x12345678 },
    { stmt: 'ct mark set ct mark and 0xff00 xor meta mark', nfmark: 0, ctmark: 0 },
  ]);
  assert.deepEqual(got.slice(0, 7), [
    { nfmark: 0, ctmark: 0x12345675 },
    { nfmark: 0x64, ctmark: 0 },
    { nfmark: 0x4001, ctmark: 0 },
    { nfmark: 0x12345618, ctmark: 0 },
    { nfmark: 0x12345678, ctmark: 0x12345678 },
    { nfmark: 0xabcdef00, ctmark: 0xabcdef00 },
    { nfmark: 0, ctmark: 0x12345678 },
  ]);
  assert.ok('error' in got[7] && /Right hand side of binary operation \(\^\) must be constant/.test(got[7].error), show(got[7]));
  const listed = await nftListBack(['ct mark set ct mark and 0xfffffff0 xor 0x5', 'ct mark set ct mark xor 0x5 and 0xfffffff0']);
  assert.deepEqual(listed, ['ct mark set ct mark & 0xfffffff5 | 0x00000005', 'ct mark set ct mark']);
  const m = await kernelEvalNftMatches([
    { expr: 'meta mark and 0x3 == 0x1', nfmark: 0x5, ctmark: 0 },
    { expr: 'meta mark and 0x3 == 0x1', nfmark: 0x6, ctmark: 0 },
    { expr: 'ct mark != 0x1', nfmark: 0, ctmark: 1 },
  ]);
  assert.deepEqual(m, [true, false, false]);
});

test("oracle mechanics: refused rules inside a batch are isolated with iptables' own message", async (t) => {
  if (!needKernel(t)) return;
  const cases = [
    { args: split('-j MARK --or-mark 0x1'), nfmark: 0x10, ctmark: 0 },
    { args: split('-j MARK --set-mark 0x'), nfmark: 0, ctmark: 0 },
    { args: split('-j CONNMARK --save-mark --left-shift-mark 32'), nfmark: 0, ctmark: 0 }, // refused by the kernel
    { args: ['-j', 'MARK', '--set-mark', '\n5'], nfmark: 0, ctmark: 0 }, // cannot be written in a restore file
    { args: ['-j', 'MARK', '--set-mark', ''], nfmark: 0, ctmark: 0 },
    { args: ['-j', 'MARK', '--set-mark', ' 7'], nfmark: 0, ctmark: 0 },
    { args: split('-j MARK --xor-mark 0x3'), nfmark: 0x10, ctmark: 0x99 },
  ];
  const got = await kernelEvalTargets(cases);
  assert.deepEqual(got, [
    { nfmark: 0x11, ctmark: 0 },
    { error: 'MARK: trailing garbage after value for option "--set-mark".' },
    { error: 'RULE_APPEND failed (Invalid argument): rule in chain OUTPUT' },
    { error: 'oracle: iptables accepts this rule but iptables-restore cannot express it' },
    { error: 'MARK: bad integer value for option "--set-mark", or out of range.' },
    { nfmark: 7, ctmark: 0 },
    { nfmark: 0x13, ctmark: 0x99 },
  ]);
  const v = await iptablesVerdicts([
    { table: 'mangle', chain: 'OUTPUT', args: ['-j', 'MARK', '--set-mark', '\n5'] },
    { table: 'mangle', chain: 'OUTPUT', args: ['-j', 'MARK', '--set-mark', '1', 'bogus'] },
    { table: 'mangle', chain: 'OUTPUT', args: ['-j', 'CONNMARK', '--save-mark', '--right-shift-mark', '32'] },
    { table: 'mangle', chain: 'PREROUTING', args: split('-p tcp -j TPROXY --on-port 1 --tproxy-mark 0x1/0x1') },
    { table: 'mangle', chain: 'OUTPUT', args: split('-p tcp -j TPROXY --on-port 1 --tproxy-mark 0x1/0x1') },
  ]);
  assert.deepEqual(v, [
    { ok: true, message: '' },
    { ok: false, message: "Bad argument `bogus'" },
    { ok: false, message: 'RULE_APPEND failed (Invalid argument): rule in chain OUTPUT' },
    { ok: true, message: '' },
    { ok: false, message: 'RULE_APPEND failed (Invalid argument): rule in chain OUTPUT' },
  ]);
  assert.equal(normalizeIptablesMessage("iptables v1.8.9 (nf_tables): MARK: x.\n\nTry `iptables -h' or 'iptables --help' for more information.\n"), 'MARK: x.');
});
