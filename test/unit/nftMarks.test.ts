/**
 * The nft mark model against shared/reference/nft-marks.md (observed with nft 1.0.6 and the
 * kernel) and the edge cases the kernel test found; test/kernel/nft-marks-differential
 * checks the same model on thousands of random statements.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateNftMark, nftFromIptables, type NftMarkReport } from '../../server/src/core/marks/nftMarks';
import { parseNftMark, groupedText, isNftSyntaxError } from '../../server/src/core/marks/nftExpr';
import { evaluateMarkArgs } from '../../server/src/core/iptables/syntax/markOptions';

function ok(text: string, nfmark = 0, ctmark = 0): NftMarkReport {
  const r = evaluateNftMark(text, { nfmark, ctmark });
  if (!r.ok) assert.fail(`${text}: refused: ${r.error}`);
  return r;
}
function refused(text: string): string {
  const r = evaluateNftMark(text);
  if (r.ok) assert.fail(`${text}: accepted, listed ${r.listed}`);
  return r.error;
}

// The spec's table: statement or match, sample, listed, result.
const ROWS: { text: string; nf: number; ct: number; listed: string; nfAfter?: number; ctAfter?: number; matches?: boolean }[] = [
  { text: 'meta mark set 0x4000', nf: 0x1, ct: 0, listed: 'meta mark set 0x00004000', nfAfter: 0x4000 },
  { text: 'mark set mark or 0x4000', nf: 0x1, ct: 0, listed: 'meta mark set meta mark | 0x00004000', nfAfter: 0x4001 },
  { text: 'meta mark set meta mark and 0xffffbfff', nf: 0x4001, ct: 0, listed: 'meta mark set meta mark & 0xffffbfff', nfAfter: 0x1 },
  { text: 'meta mark set meta mark xor 0x4000', nf: 0x4001, ct: 0, listed: 'meta mark set meta mark ^ 0x00004000', nfAfter: 0x1 },
  { text: 'meta mark set meta mark and 0xffffff0f or 0x10', nf: 0xabcd, ct: 0, listed: 'meta mark set meta mark & 0xffffff1f | 0x00000010', nfAfter: 0xab1d },
  { text: 'meta mark set meta mark and 0xffffff0f xor 0x10', nf: 0xabcd, ct: 0, listed: 'meta mark set meta mark & 0xffffff1f | 0x00000010', nfAfter: 0xab1d },
  { text: 'meta mark set meta mark or 0x4000 and 0xff', nf: 0x1, ct: 0, listed: 'meta mark set meta mark', nfAfter: 0x1 },
  { text: 'meta mark set (meta mark or 0x4000) and 0xff', nf: 0x4001, ct: 0, listed: 'meta mark set meta mark & 0x000000ff', nfAfter: 0x1 },
  { text: 'meta mark set meta mark xor 0x10 and 0xf0', nf: 0x1, ct: 0, listed: 'meta mark set meta mark ^ 0x00000010', nfAfter: 0x11 },
  { text: 'ct mark set ct mark xor 0x16 and 0xffffffed', nf: 0, ct: 0, listed: 'ct mark set ct mark ^ 0x00000004', ctAfter: 0x4 },
  { text: 'ct mark set ct mark and 0xffffffed xor 0x16', nf: 0, ct: 0, listed: 'ct mark set ct mark ^ 0x00000004 | 0x00000012', ctAfter: 0x16 },
  { text: 'ct mark set mark and 0xff', nf: 0x1234, ct: 0xabcd0000, listed: 'ct mark set meta mark & 0x000000ff', ctAfter: 0x34 },
  { text: 'ct mark set ct mark and 0xffffff00 or 0x5', nf: 0, ct: 0x12345678, listed: 'ct mark set ct mark & 0xffffff05 | 0x00000005', ctAfter: 0x12345605 },
  { text: 'meta mark set ct mark', nf: 0x1, ct: 0x77, listed: 'meta mark set ct mark', nfAfter: 0x77 },
  { text: 'meta mark set ct mark and 0xff00', nf: 0x1, ct: 0x1234, listed: 'meta mark set ct mark & 0x0000ff00', nfAfter: 0x1200 },
  { text: 'ct mark set meta mark', nf: 0x99, ct: 0x1, listed: 'ct mark set meta mark', ctAfter: 0x99 },
  { text: 'meta mark set meta mark << 8', nf: 0x12, ct: 0, listed: 'meta mark set meta mark << 8', nfAfter: 0x1200 },
  { text: 'meta mark set meta mark >> 4 or 0x1', nf: 0x120, ct: 0, listed: 'meta mark set meta mark >> 4 | 0x00000001', nfAfter: 0x13 },
  { text: 'meta mark & 0xff == 0x1', nf: 0x101, ct: 0, listed: 'meta mark & 0x000000ff == 0x00000001', matches: true },
  { text: 'meta mark and 0x4000 != 0', nf: 0x4000, ct: 0, listed: 'meta mark & 0x00004000 != 0x00000000', matches: true },
  { text: 'ct mark 0x10', nf: 0, ct: 0x10, listed: 'ct mark 0x00000010', matches: true },
  { text: 'meta mark { 0x1, 0x2 }', nf: 0x2, ct: 0, listed: 'meta mark { 0x00000001, 0x00000002 }', matches: true },
  { text: 'meta mark 0xffffff00/24', nf: 0xffffff12, ct: 0, listed: 'meta mark 0xffffff00/24', matches: true },
];

test('the rows of nft-marks.md: listed form and result', () => {
  for (const row of ROWS) {
    const r = ok(row.text, row.nf, row.ct);
    assert.equal(r.listed, row.listed, row.text);
    assert.equal(r.nfmark, row.nfAfter ?? row.nf, `${row.text}: nfmark`);
    assert.equal(r.ctmark, row.ctAfter ?? row.ct, `${row.text}: ctmark`);
    assert.equal(r.matches, row.matches, `${row.text}: matches`);
    assert.equal(r.changed.nfmark, (r.nfmark ^ row.nf) >>> 0);
  }
});

test('refusals carry nft 1.0.6 wording', () => {
  assert.equal(refused('ct mark set ct mark and 0xffff or meta mark'), 'Right hand side of binary operation (|) must be constant');
  assert.equal(refused('meta mark set 0x1 or meta mark'), 'Right hand side of binary operation (|) must be constant');
  assert.equal(refused('meta mark 0x4000/0x4000'), 'Prefix length 16384 is invalid for type of 32 bits width');
  assert.equal(refused('meta mark set 4294967296'), 'Value 4294967296 exceeds valid range 0-4294967295');
  assert.equal(refused('meta mark set meta mark << 32'), 'Left shift of 32 bits is undefined for type of 32 bits width');
  assert.equal(refused('meta mark set meta mark >> 0'), 'Could not process rule: Invalid argument');
  assert.equal(refused('mark set 08'), 'Could not parse packet mark');
  assert.equal(refused('meta mark set meta mark and 0xff << 8'), 'BUG: invalid basetype invalid');
  assert.equal(refused('meta mark << 4 == 0x10'), 'datatype mismatch, expected packet mark, expression has type integer');
  assert.equal(refused('meta mark 0x20-0x10'), 'Range has zero or negative size');
  assert.equal(refused('meta mark < { 1, 2 }'), 'Relational expression (<) is undefined for set expressions');
  assert.equal(refused('meta mark xor ct mark == 0x1'), 'syntax error, unexpected ct');
});

test('numbers: hex, decimal and octal as nft reads them', () => {
  assert.equal(ok('mark set 010').nfmark, 8);
  assert.equal(ok('mark set 0X1F').nfmark, 0x1f);
  assert.equal(ok('mark set 4294967295').listed, 'meta mark set 0xffffffff');
});

test('grouping: the implicit parentheses spelled out; nft prints what it needs', () => {
  const ast = parseNftMark('meta mark set meta mark and 0xffffff0f xor 0x10 or 0x1');
  assert.ok(!isNftSyntaxError(ast) && ast.kind === 'set');
  assert.equal(groupedText(ast.expr), '((meta mark and 0xffffff0f) xor 0x10) or 0x1');
  assert.equal(ok('meta mark set meta mark or 0x4000 and 0xff').grouped, 'meta mark set meta mark or (0x4000 and 0xff)');
  assert.equal(ok('meta mark set (meta mark and 0xff) << 8').listed, 'meta mark set (meta mark & 0x000000ff) << 8');
  assert.equal(ok('meta mark set ct mark << 4 and 0xff0').listed, 'meta mark set ct mark << 4 & 0x00000ff0');
  assert.equal(ok('meta mark set (meta mark or 0x1) << 4 or 0x2').listed, 'meta mark set (meta mark | 0x00000001) << 4 | 0x00000002');
});

test('kernel forms: constants folded, and/or/xor merged into (x & m) ^ v', () => {
  assert.equal(ok('meta mark set 0x1 or 0x2').listed, 'meta mark set 0x00000003');
  assert.equal(ok('meta mark set meta mark and 0').listed, 'meta mark set meta mark & 0x00000000');
  assert.equal(ok('meta mark set meta mark or 0xffffffff').listed, 'meta mark set meta mark | 0xffffffff');
  assert.equal(ok('meta mark set ct mark and 0xff00 or 0x1 and 0x3').listed, 'meta mark set ct mark & 0x0000ff01 | 0x00000001');
  assert.equal(ok('ct mark set ct mark and 0xffffffed xor 0x16').kernel, 'ctmark = (ctmark & 0xffffffed) ^ 0x00000016');
  assert.equal(ok('meta mark set meta mark & 0xff ^ 0x1 | 0x100').listed, 'meta mark set meta mark & 0x000001ff ^ 0x00000001 | 0x00000100');
});

test('matches: xor moves to the constant side; prefix masks print as prefixes; sets sorted and merged', () => {
  assert.equal(ok('meta mark ^ 0x1 == 0x3').listed, 'meta mark 0x00000002');
  assert.equal(ok('meta mark & 0xff ^ 0x1 != 0x3').listed, 'meta mark & 0x000000ff != 0x00000002');
  assert.equal(ok('meta mark ^ 0x1 { 1, 2 }').listed, 'meta mark { 0x00000000, 0x00000003 }');
  assert.equal(ok('meta mark ^ 0x1 1-4').listed, 'meta mark ^ 0x00000001 0x00000001-0x00000004');
  assert.equal(ok('meta mark ^ 0x1 < 3').listed, 'meta mark ^ 0x00000001 < 0x00000003');
  assert.equal(ok('meta mark & 0xffff0000 == 0x12340000').listed, 'meta mark 0x12340000/16');
  assert.equal(ok('meta mark & 0x80000000 != 0').listed, 'meta mark != 0x00000000/1');
  assert.equal(ok('meta mark & 0xffffffff == 0x5').listed, 'meta mark 0x00000005');
  assert.equal(ok('meta mark 0x12345678/16').listed, 'meta mark 0x12340000/16');
  assert.equal(ok('meta mark 0x1/32').listed, 'meta mark 0x00000001');
  assert.equal(ok('meta mark ^ 1 0x5/32').listed, 'meta mark ^ 0x00000001 == 0x00000005');
  assert.equal(ok('meta mark & 0xff 0x0/24').listed, 'meta mark & 0x000000ff == 0x00000000/24');
  assert.equal(ok('meta mark { 5 }').listed, 'meta mark 0x00000005');
  assert.equal(ok('meta mark { 0x0-0xff, 0x100-0x1ff }').listed, 'meta mark { 0x00000000/23 }');
  assert.equal(ok('meta mark { 0x10-0x1f, 0x30, 0x40-0x40 }').listed, 'meta mark { 0x00000010/28, 0x00000030, 0x00000040 }');
  assert.equal(ok('meta mark & 0xff != { 1-2 }').listed, 'meta mark & 0x000000ff != 0x00000001-0x00000002');
  assert.equal(ok('meta mark { 9, 3, 0xff, 1 }').listed, 'meta mark { 0x00000001, 0x00000003, 0x00000009, 0x000000ff }');
  assert.equal(ok('meta mark 0x4000', 0x4001).matches, false);
  assert.equal(ok('meta mark >= 0x10', 0x10).matches, true);
  assert.equal(ok('meta mark != 0x10-0x20', 0x15).matches, false);
});

test('pitfalls: no-op, precedence against the left-to-right reading, iptables-translate shapes', () => {
  const noop = ok('meta mark set meta mark or 0x4000 and 0xff', 0x1);
  assert.equal(noop.noop, true);
  assert.ok(noop.precedence);
  assert.equal(noop.precedence.leftToRight, 'meta mark set (meta mark or 0x4000) and 0xff');
  assert.equal(noop.precedence.intended, 'meta mark set meta mark and 0xff');
  assert.equal(noop.precedence.nft.nfmark, 0x1);
  assert.equal(noop.precedence.leftToRightResult.nfmark, 0x1);
  assert.equal(ok('meta mark set meta mark and 0xffffff0f or 0x10').precedence, null, 'left to right reads the same');
  assert.equal(ok('meta mark set (meta mark or 0x4000) and 0xff').precedence, null, 'parenthesised');
  assert.equal(ok('ct mark set ct mark').noop, true);
  assert.equal(ok('meta mark set ct mark').noop, false);

  const x = ok('ct mark set ct mark xor 0x16 and 0xffffffed');
  assert.equal(x.translateShape?.kind, 'connmark-set-xmark');
  assert.equal(x.translateShape?.iptables, '-j CONNMARK --set-xmark 0x16/0x12');
  assert.equal(x.translateShape?.intended, 'ct mark set ct mark and 0xffffffed xor 0x16');
  assert.equal(x.translateShape?.iptablesResult.ctmark, 0x16);
  assert.equal(ok(x.translateShape!.intended!).ctmark, 0x16, 'the intended form computes what iptables does');

  assert.deepEqual(ok('meta mark 0x4000').exactMatch, { src: 'meta', value: 0x4000, negated: false });
  assert.deepEqual(ok('ct mark != 0x1').exactMatch, { src: 'ct', value: 1, negated: true });
  assert.equal(ok('meta mark & 0x4000 == 0x4000').exactMatch, null);
  const s = ok('ct mark set mark and 0xff', 0x1234, 0xabcd0000);
  assert.equal(s.translateShape?.kind, 'save-mark-mask');
  assert.equal(s.translateShape?.iptablesResult.ctmark, 0xabcd0034);
  assert.equal(s.ctmark, 0x34);
});

test('iptables spellings of nft statements, exact or null', () => {
  assert.equal(ok('mark set mark or 0x4000').iptables, '-j MARK --or-mark 0x4000');
  assert.equal(ok('meta mark set meta mark and 0xffffff0f xor 0x10').iptables, '-j MARK --set-mark 0x10/0xf0');
  assert.equal(ok('ct mark set ct mark and 0xffffffed xor 0x16').iptables, '-j CONNMARK --set-xmark 0x16/0x12');
  assert.equal(ok('meta mark set ct mark').iptables, '-j CONNMARK --restore-mark');
  assert.equal(ok('ct mark set meta mark and 0xff').iptables, '-j CONNMARK --save-mark --nfmask 0xff');
  assert.equal(ok('ct mark set (meta mark and 0xff) << 8').iptables, '-j CONNMARK --save-mark --nfmask 0xff --left-shift-mark 8');
  assert.equal(ok('meta mark set meta mark >> 4 or 0x1').iptables, null);
  assert.equal(ok('meta mark set ct mark xor 0x1').iptables, null);
  assert.equal(ok('meta mark & 0xff == 0x1').iptables, '-m mark --mark 0x1/0xff');
  assert.equal(ok('ct mark != 0x10').iptables, '-m connmark ! --mark 0x10');
  assert.equal(ok('meta mark & 0xff ^ 0x1 0x0/28').iptables, '-m mark --mark 0x0/0xf0', '((x & 0xff) ^ 1) & 0xfffffff0 == 0 is x & 0xf0 == 0');
  assert.equal(ok('meta mark 0x1-0x5').iptables, null);
});

test('equivalent spellings: shortest, as listed, explicit parentheses; only exact ones', () => {
  assert.deepEqual(ok('meta mark set meta mark and 0xffffff0f xor 0x10').equivalents, [
    'meta mark set meta mark and 0xffffff0f or 0x10',
    'meta mark set meta mark & 0xffffff1f | 0x00000010',
    'meta mark set (meta mark & 0xffffff1f) | 0x00000010',
  ]);
  assert.deepEqual(ok('meta mark set meta mark and 0').equivalents, ['meta mark set 0x0', 'meta mark set meta mark & 0x00000000']);
  // nft lists `meta mark & 0x0 != 0x3` as `meta mark != 0x00000003/0`, which reads back as another match
  const lossy = ok('meta mark & 0x0 != 0x3');
  assert.equal(lossy.listed, 'meta mark != 0x00000003/0');
  assert.ok(!lossy.equivalents.includes(lossy.listed));
});

test('iptables kernel forms as exact nft statements', () => {
  const nft = (...args: string[]) => {
    const r = evaluateMarkArgs(args, { nfmark: 0, ctmark: 0 });
    assert.ok(r.ok);
    return nftFromIptables(r.op).nft;
  };
  assert.equal(nft('-j', 'MARK', '--or-mark', '0x4000'), 'meta mark set meta mark or 0x4000');
  assert.equal(nft('-j', 'MARK', '--set-mark', '0x10/0xf0'), 'meta mark set meta mark and 0xffffff0f or 0x10');
  assert.equal(nft('-j', 'CONNMARK', '--set-xmark', '0x16/0x12'), 'ct mark set ct mark and 0xffffffed xor 0x16');
  assert.equal(nft('-j', 'CONNMARK', '--save-mark'), 'ct mark set meta mark');
  assert.equal(nft('-j', 'CONNMARK', '--restore-mark', '--ctmask', '0xff'), 'meta mark set ct mark and 0xff');
  assert.equal(nft('-j', 'CONNMARK', '--save-mark', '--nfmask', '0', '--ctmask', '0xff'), 'ct mark set ct mark and 0xffffff00');
  assert.equal(nft('-j', 'CONNMARK', '--save-mark', '--mask', '0xff'), null);
  assert.equal(nft('-j', 'CONNMARK', '--set-xmark', '0x5/0xf', '--left-shift-mark', '4'), 'ct mark set (ct mark and 0xfffffff0 or 0x5) << 4');
  assert.equal(nft('-m', 'mark', '!', '--mark', '0x4000/0x4000'), 'meta mark and 0x4000 != 0x4000');
  // each statement means, in nft, what the iptables rule means in iptables
  for (const args of [
    ['-j', 'MARK', '--set-xmark', '0x5/0xf'],
    ['-j', 'CONNMARK', '--set-xmark', '0x5/0xf', '--left-shift-mark', '4'],
    ['-j', 'CONNMARK', '--restore-mark', '--ctmask', '0xf0f0', '--right-shift-mark', '4'],
  ]) {
    const s = { nfmark: 0x12345678, ctmark: 0xabcdef00 };
    const r = evaluateMarkArgs(args, s);
    assert.ok(r.ok);
    const n = evaluateNftMark(nftFromIptables(r.op).nft!, s);
    assert.ok(n.ok);
    assert.deepEqual([n.nfmark, n.ctmark], [r.nfmark, r.ctmark], args.join(' '));
  }
});

test('what the model does not evaluate is marked unsupported, not called a refusal', () => {
  for (const t of [
    'meta mark set tcp dport map { 80 : 0x1 }',
    'ct original mark 1',
    'mark set foo',
    'meta mark set $m',
    'meta mark @s',
    'meta mark set numgen inc mod 2',
  ]) {
    const r = evaluateNftMark(t);
    assert.ok(!r.ok && r.unsupported, t);
  }
  const r = evaluateNftMark('mark set 08');
  assert.ok(!r.ok && !r.unsupported, "a number nft cannot read is nft's refusal");
});

test('any bytes: an answer, never a throw', () => {
  for (const t of [
    '',
    'meta',
    'meta mark set',
    'meta mark set (',
    '((((',
    'ct mark {',
    'ct mark { }',
    '}',
    'meta mark set 0x',
    '\u0000',
    'mark set mark or',
    'meta mark 1 - ',
  ]) {
    const r = evaluateNftMark(t);
    assert.equal(r.ok, false, JSON.stringify(t));
  }
  assert.equal(ok('meta mark set meta mark' + ' or 0x1'.repeat(1500)).nfmark, 1);
  assert.equal(ok('meta mark set ' + '('.repeat(400) + 'meta mark' + ')'.repeat(400)).listed, 'meta mark set meta mark');
  assert.match(refused('meta mark set meta mark' + ' or 0x1'.repeat(20000)), /^too long for nfrules/);
  assert.match(refused('meta mark set ' + '('.repeat(1000)), /^too deeply parenthesised/);
  assert.match(refused('meta mark set ' + '('.repeat(100000)), /^too long for nfrules/);
});
