import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cursor, openDoc, applyEdits, EOLS, withEol } from './fixture';

function complete(src: string, format: 'save' | 'shell' | 'listing' = 'save') {
  const { text, pos } = cursor(src);
  const { svc, uri } = openDoc(text, format);
  const list = svc.completion(uri, pos);
  return { list, labels: list.items.map((i) => i.label), text, pos };
}

const NAT = `*nat
:PREROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SERVICES - [0:0]
-A KUBE-SERVICES -j RETURN
COMMIT
*filter
:INPUT ACCEPT [0:0]
:ONLY-FILTER - [0:0]
COMMIT
`;

test('table names after * at the start of a line, and after -t in scripts', () => {
  assert.deepEqual(complete(`*$0\n`).labels, ['*filter', '*nat', '*mangle', '*raw', '*security']);
  assert.deepEqual(complete(`iptables -t $0`, 'shell').labels, ['filter', 'nat', 'mangle', 'raw', 'security']);
});

test('chains of the current table after -A and -j; built-in targets after -j, not after -g', () => {
  const a = complete(NAT.replace('-A KUBE-SERVICES -j RETURN', '-A $0'));
  assert.deepEqual(a.labels, ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'KUBE-MARK-MASQ', 'KUBE-SERVICES']);
  const j = complete(NAT.replace('-j RETURN', '-j $0'));
  assert.ok(j.labels.includes('KUBE-MARK-MASQ') && j.labels.includes('ACCEPT') && j.labels.includes('MARK') && j.labels.includes('DNAT'));
  assert.ok(!j.labels.includes('ONLY-FILTER'), 'a filter chain is not offered in nat');
  assert.ok(!j.labels.includes('PREROUTING'), 'no jumps to a built-in chain');
  assert.ok(!complete(`*filter\n-A INPUT -j $0\nCOMMIT\n`).labels.includes('DNAT'), 'DNAT only in nat');
  const g = complete(NAT.replace('-j RETURN', '-g KUBE-M$0'));
  assert.deepEqual(g.labels, ['KUBE-MARK-MASQ']);
  assert.equal(g.list.items[0].detail, 'user chain · 0 rules');
});

test('commands at the start of a rule; snippets for a MARK rule and a chain declaration', () => {
  const { list, labels } = complete(`*mangle\n$0\nCOMMIT\n`);
  for (const l of ['*filter', 'COMMIT', '-A', '-I', '-N', 'MARK rule', 'chain declaration']) assert.ok(labels.includes(l), l);
  const snip = list.items.find((i) => i.label === 'MARK rule')!;
  assert.equal(snip.insertTextFormat, 2);
  assert.equal((snip.textEdit as any).newText, '-A ${1:PREROUTING} -j MARK --set-xmark ${2:0x4000}/${3:0x4000}');
  const sh = complete(`#!/bin/sh\n$0\n`, 'shell');
  assert.ok(sh.labels.includes('chain declaration'));
  assert.equal((sh.list.items.find((i) => i.label === 'chain declaration')!.textEdit as any).newText, 'iptables -N ${1:NAME}');
  assert.deepEqual(complete(`iptables $0`, 'shell').labels.slice(0, 3), ['-A', '-I', '-D']);
});

test('match modules after -m; the options of loaded modules and of the target, with their syntax', () => {
  assert.ok(complete(`*filter\n-A INPUT -m $0\nCOMMIT\n`).labels.includes('conntrack'));
  const { list } = complete(`*filter\n-A INPUT -p tcp -m conntrack --$0 -j REJECT\nCOMMIT\n`);
  const labels = list.items.map((i) => i.label);
  assert.ok(labels.includes('--dport'), 'the -p protocol loads tcp');
  assert.ok(labels.includes('--ctstate'));
  assert.ok(!labels.includes('--reject-with'), 'the target after the cursor is not loaded yet');
  const ct = list.items.find((i) => i.label === '--ctstate')!;
  assert.equal(ct.detail, 'conntrack: --ctstate [!] state[,state]...');
  assert.ok(labels.includes('--sport') && labels.includes('--source-port'), 'both spellings');
  assert.match((ct.documentation as any).value, /`ESTABLISHED`/);
  const rej = complete(`*filter\n-A INPUT -j REJECT --$0\nCOMMIT\n`).labels;
  assert.ok(rej.includes('--reject-with'));
  assert.ok(!rej.includes('--ctstate'));
});

for (const eol of EOLS) {
  test(`completion inside a half-written option replaces the whole word (${JSON.stringify(eol)})`, () => {
    const src = withEol(`*filter\n-A INPUT -m conntrack --ctst$0at NEW -j ACCEPT\nCOMMIT\n`, eol);
    const { list, text } = complete(src);
    const it = list.items.find((i) => i.label === '--ctstate')!;
    const te = it.textEdit as any;
    assert.equal(
      applyEdits(text, [{ range: te.range, newText: te.newText }]),
      withEol(`*filter\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n`, eol),
    );
  });
}

test('closed value sets: policies, states after a comma, reject types, protocols, statistic modes', () => {
  assert.deepEqual(complete(`*filter\n:INPUT $0\nCOMMIT\n`).labels, ['ACCEPT', 'DROP']);
  assert.deepEqual(complete(`*filter\n:MINE $0\nCOMMIT\n`).labels, ['-']);
  assert.deepEqual(complete(`iptables -P INPUT $0`, 'shell').labels, ['ACCEPT', 'DROP']);
  const st = complete(`*filter\n-A INPUT -m conntrack --ctstate NEW,EST$0\nCOMMIT\n`);
  assert.ok(st.labels.includes('ESTABLISHED'));
  assert.deepEqual((st.list.items[0].textEdit as any).range.start, { line: 1, character: 36 });
  assert.ok(complete(`*filter\n-A INPUT -j REJECT --reject-with $0\nCOMMIT\n`).labels.includes('tcp-reset'));
  assert.ok(complete(`*filter\n-A INPUT ! -p $0\nCOMMIT\n`).labels.includes('udp'));
  assert.deepEqual(complete(`*nat\n-A X -m statistic --mode $0\nCOMMIT\n`).labels, ['random', 'nth']);
  assert.deepEqual(complete(`*filter\n-A INPUT -m comment --comment $0\nCOMMIT\n`).labels, []);
});

test('scripts: the table comes from -t; continuation lines count; nothing off an iptables line', () => {
  const src = `iptables -t nat -N SVC\niptables -N WEB\niptables -t nat -A PREROUTING \\\n  -j $0\n`;
  const { labels } = complete(src, 'shell');
  assert.ok(labels.includes('SVC'));
  assert.ok(!labels.includes('WEB'));
  assert.deepEqual(complete(`echo -$0`, 'shell').labels, []);
});

test('a long chain list is capped and marked incomplete', () => {
  const chains = Array.from({ length: 600 }, (_, i) => `:C${i} - [0:0]`).join('\n');
  const { list } = complete(`*filter\n${chains}\n-A INPUT -j $0\nCOMMIT\n`);
  assert.equal(list.isIncomplete, true);
  assert.equal(list.items.filter((i) => /^C\d/.test(i.label)).length, 500);
  assert.equal(complete(`*filter\n${chains}\n-A INPUT -j C59$0\nCOMMIT\n`).list.isIncomplete, false);
});
