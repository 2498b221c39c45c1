import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseValueMask, parseWhole, hex, hex8 } from '../../server/src/core/common/numbers';

test('accepted number forms read as strtoul base 0 does (marks.md)', () => {
  for (const [s, v] of [
    ['010', 8],
    ['+5', 5],
    ['0X10', 16],
    ['0x0001', 1],
    ['00', 0],
    ['4294967295', 0xffffffff],
    [' 7', 7],
    ['0', 0],
  ] as const) {
    assert.equal(parseWhole(s), v, s);
    assert.deepEqual(parseValueMask(s), { value: v, mask: 0xffffffff, hasMask: false }, s);
  }
});

test('rejected number forms fall in iptables two message classes', () => {
  for (const s of ['0x', '08', '1e3', '1/2/3', '0x1g', '5 ']) assert.equal(parseValueMask(s), 'garbage', s);
  for (const s of ['-1', '4294967296', '5/', '/5', '', 'abc', '99999999999999999999999']) assert.equal(parseValueMask(s), 'bad', s);
  for (const s of ['0x', '-1', '4294967296', '0xff/0xff', '']) assert.equal(parseWhole(s), null, s);
});

test('value/mask pairs', () => {
  assert.deepEqual(parseValueMask('0x10/0xf0'), { value: 0x10, mask: 0xf0, hasMask: true });
  assert.deepEqual(parseValueMask('+0x5/ +3'), { value: 5, mask: 3, hasMask: true });
});

test('hex printing: iptables-save style and 8-digit hover style', () => {
  assert.equal(hex(0x4000), '0x4000');
  assert.equal(hex(-1), '0xffffffff');
  assert.equal(hex8(0x4001), '0x00004001');
});
