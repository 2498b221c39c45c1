import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuleDocument } from '../../server/src/core/iptables/syntax/document';
import { analyze } from '../../server/src/core/iptables/checks/analysis';
import { basePacket, packetFieldProblem, parsePacketString } from '../../server/src/core/common/samplePacket';
import { packetAt } from '../../server/src/core/iptables/walk/packet';
import { parseIPv4, parseIPv6, protoNumber } from '../../server/src/core/common/net';
import { parseSampleComment } from '../../server/src/core/iptables/syntax/sampleComment';

test('parsePacketString: every key, marks in any iptables form, the offending key named', () => {
  const r = parsePacketString(
    'src=10.244.1.5 dst=10.96.0.10 proto=TCP sport=40000 dport=80 nfmark=0x4000 ctmark=010 in=eth0 out=cni0 state=new srctype=local x=y',
  );
  assert.ok('packet' in r);
  assert.deepEqual(r.packet, {
    src: '10.244.1.5',
    dst: '10.96.0.10',
    proto: 'tcp',
    sport: 40000,
    dport: 80,
    nfmark: 0x4000,
    ctmark: 8,
    in: 'eth0',
    out: 'cni0',
    state: 'NEW',
    extra: { srctype: 'LOCAL', x: 'y' },
  });
  for (const [text, key] of [
    ['src=10.1.2.300', 'src'],
    ['dport=65536', 'dport'],
    ['proto=nosuch', 'proto'],
    ['state=OPEN', 'state'],
    ['nfmark=0x100000000', 'nfmark'],
    ['in=averyveryverylongname0', 'in'],
  ]) {
    const e = parsePacketString(text);
    assert.ok('error' in e, text);
    assert.equal(e.key, key, text);
  }
  assert.ok('error' in parsePacketString('src'));
  const f = parsePacketString('proto=tcp flags=SYN,ACK');
  assert.ok('packet' in f);
  assert.deepEqual(f.packet.extra, { flags: 'SYN,ACK' });
  assert.deepEqual(parsePacketString(''), { packet: { nfmark: 0, ctmark: 0 } });
});

test('addresses and protocols', () => {
  assert.equal(parseIPv4('10.0.0.1'), 0x0a000001);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIPv4('1.2.3'), null);
  assert.equal(parseIPv4('1.2.3.256'), null);
  assert.deepEqual(parseIPv6('2001:db8::1'), [0x20010db8, 0, 0, 1]);
  assert.deepEqual(parseIPv6('::'), [0, 0, 0, 0]);
  assert.deepEqual(parseIPv6('::ffff:10.0.0.1'), [0, 0, 0xffff, 0x0a000001]);
  assert.deepEqual(parseIPv6('1:2:3:4:5:6:7:8'), [0x10002, 0x30004, 0x50006, 0x70008]);
  assert.equal(parseIPv6('1::2::3'), null);
  assert.equal(parseIPv6('1:2:3:4:5:6:7:8:9'), null);
  assert.equal(protoNumber('tcp'), 6);
  assert.equal(protoNumber('UDP'), 17);
  assert.equal(protoNumber('ipv6-icmp'), 58);
  assert.equal(protoNumber('132'), 132);
  assert.equal(protoNumber('256'), null);
  assert.equal(packetFieldProblem('unknownkey', 'anything'), null);
});

test('the packet in force at a line: settings, then each # sample: above, key by key', () => {
  const text =
    '*filter\n# sample: src=10.0.0.1 proto=tcp nfmark=0x1\n-A INPUT -j ACCEPT\n# sample: dport=22 ctmark=0x5\n-A INPUT -j ACCEPT\n# sample: src=10.0.0.2 bogus=1\n-A INPUT -j ACCEPT\nCOMMIT\n';
  for (const format of ['save', 'shell'] as const) {
    const doc = new RuleDocument(format === 'shell' ? text.replace(/^-A/gm, 'iptables -A') : text, format);
    const a = analyze(doc);
    const base = basePacket({ nfmark: 0x10, ctmark: 0x20 }, { dst: '10.96.0.10', proto: 'udp', sport: 'x' });
    assert.deepEqual(base, { nfmark: 0x10, ctmark: 0x20, dst: '10.96.0.10', proto: 'udp' });
    assert.deepEqual(packetAt(doc, 0, base, a), base);
    assert.deepEqual(packetAt(doc, 2, base, a), { nfmark: 1, ctmark: 0x20, dst: '10.96.0.10', proto: 'tcp', src: '10.0.0.1' });
    assert.deepEqual(packetAt(doc, 4, base, a), { nfmark: 1, ctmark: 5, dst: '10.96.0.10', proto: 'tcp', src: '10.0.0.1', dport: 22 });
    const last = packetAt(doc, 6, base, a);
    assert.deepEqual(last, { nfmark: 1, ctmark: 5, dst: '10.96.0.10', proto: 'tcp', src: '10.0.0.2', dport: 22, extra: { bogus: '1' } });
    // without the analysis, the same answer from the entries
    assert.deepEqual(packetAt(doc, 6, base), last);
  }
});

test('# sample: comments: a bad packet value is a problem at its word and left out; unknown keys pass', () => {
  const s = parseSampleComment('# sample: src=10.1.2.300 dport=80 color=blue state=bogus');
  assert.ok(s);
  assert.deepEqual(s.fields, { dport: '80', color: 'blue' });
  assert.deepEqual(
    s.problems.map((p) => [p.word.s, p.word.e]),
    [
      [10, 24],
      [45, 56],
    ],
  );
  assert.match(s.problems[0].message, /src must be an IPv4 or IPv6 address/);
  const doc = new RuleDocument('*filter\n# sample: src=10.1.2.300\nCOMMIT\n', 'save');
  const f = analyze(doc).findings.filter((x) => x.code === 'sample-invalid');
  assert.deepEqual(
    f.map((x) => [x.line, x.s, x.e, x.severity]),
    [[1, 10, 24, 'warning']],
  );
});
