/**
 * File-level diagnostics (flow.ts) and the per-rule mark warnings (findings.ts): each code
 * on its exact range, written in the text as «...», with its severity; and the cases each
 * must stay silent on. Messages that quote iptables were checked against iptables 1.8.9
 * (nf_tables) loading the same text for real in a network namespace (test/kernel).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { marked } from './ranges';
import { NfRulesService, DEFAULT_SERVICE_SETTINGS, ServiceSettings } from '../../server/src/core/service';
import { Format } from '../../server/src/core/document';
import { flowFindings } from '../../server/src/core/flow';
import { RuleDocument } from '../../server/src/core/document';

const SEV = ['', 'error', 'warning', 'information', 'hint'];

function diagnose(text: string, format: Format = 'save', settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS) {
  const svc = new NfRulesService();
  svc.open('file:///t/rules', text, undefined, 1, format);
  return svc.diagnostics('file:///t/rules', settings);
}

/** `code severity line:start-end` for the codes asked about, in text order. */
function found(src: string, codes: string[], format: Format = 'save', settings?: ServiceSettings): { got: string[]; want: (c: string[]) => string[]; messages: string[] } {
  const m = marked(src);
  const ds = diagnose(m.text, format, settings).filter((d) => codes.includes(String(d.code)));
  ds.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  const at = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
  return {
    got: ds.map((d) => `${d.code} ${SEV[d.severity!]} ${at(d.range)}`),
    want: (labels) => m.ranges.map((r, i) => `${labels[i]} ${at(r)}`),
    messages: ds.map((d) => String(d.message)),
  };
}

test('target-hook: DNAT in a user chain reached from INPUT (through -j and -g) is refused, with the path', () => {
  const r = found(
    `*nat
:INPUT ACCEPT [0:0]
:PREROUTING ACCEPT [0:0]
:X - [0:0]
:Y - [0:0]
:OK - [0:0]
:ALONE - [0:0]
-A INPUT -j X
-A X -g Y
-A Y -p tcp -j «DNAT» --to-destination 10.0.0.1
-A PREROUTING -j OK
-A OK -p tcp -j DNAT --to-destination 10.0.0.1
-A ALONE -p tcp -j DNAT --to-destination 10.0.0.1
COMMIT
`,
    ['target-hook'],
  );
  assert.deepEqual(r.got, r.want(['target-hook error']));
  assert.equal(r.messages[0], 'RULE_APPEND failed (Invalid argument): DNAT is only valid in PREROUTING, OUTPUT, not in INPUT: chain Y is reached from INPUT via X -> Y');
});

test('target-hook: MASQUERADE reached from OUTPUT, TPROXY from mangle INPUT, owner from INPUT', () => {
  const r = found(
    `*nat
:X - [0:0]
-A OUTPUT -j X
-A POSTROUTING -j X
-A X -j «MASQUERADE»
COMMIT
*mangle
:T - [0:0]
-A INPUT -j T
-A T -p tcp -j «TPROXY» --on-port 1 --tproxy-mark 0x1
COMMIT
*filter
:O - [0:0]
-A OUTPUT -j O
-A O -m «owner» --uid-owner 0 -j ACCEPT
-A INPUT -j O
COMMIT
`,
    ['target-hook'],
  );
  assert.deepEqual(r.got, r.want(['target-hook error', 'target-hook error', 'target-hook error']));
  assert.match(r.messages[0], /not in OUTPUT: chain X is reached from OUTPUT via X$/);
});

test('jump-loop: an error where a built-in chain reaches the loop, a warning where none does', () => {
  const r = found(
    `*filter
:A - [0:0]
:B - [0:0]
:C - [0:0]
:D - [0:0]
-A INPUT -j A
-A A -j B
-A B -g «A»
-A C -j D
-A D -j C
-A D -j «D»
COMMIT
`,
    ['jump-loop'],
  );
  // C and D form one component: the jump inside it that comes last in the file closes it
  assert.deepEqual(r.got, r.want(['jump-loop error', 'jump-loop warning']));
  assert.equal(r.messages[0], 'RULE_APPEND failed (Too many links): this jump closes the loop A -> B -> A, which INPUT reaches');
});

test('jump-loop: a chain that jumps to itself', () => {
  const r = found(`*filter\n:S - [0:0]\n-A OUTPUT -j S\n-A S -p tcp -j «S»\nCOMMIT\n`, ['jump-loop']);
  assert.deepEqual(r.got, r.want(['jump-loop error']));
});

test('builtin-jump: a jump or goto to a built-in chain of the table is refused; one of another table is a user chain', () => {
  const r = found(`*filter\n-A INPUT -j «OUTPUT»\n-A FORWARD -g «FORWARD»\nCOMMIT\n*nat\n:FORWARD - [0:0]\n-A PREROUTING -j FORWARD\nCOMMIT\n`, ['builtin-jump']);
  assert.deepEqual(r.got, r.want(['builtin-jump error', 'builtin-jump error']));
  assert.match(r.messages[0], /^RULE_APPEND failed \(Operation not supported\)/);
});

test('undeclared-chain: a jump to, and a rule in, a chain the table never declares (a warning: --noflush)', () => {
  const r = found(
    `*filter
:X - [0:0]
-A INPUT -j «NOPE»
-A «NOPE2» -j ACCEPT
-A INPUT -j X
-A INPUT -j ACCEPT
COMMIT
*nat
-A PREROUTING -j «X»
COMMIT
`,
    ['undeclared-chain'],
  );
  assert.deepEqual(r.got, r.want(['undeclared-chain warning', 'undeclared-chain warning', 'undeclared-chain warning']));
  assert.match(r.messages[0], /^Chain 'NOPE' does not exist/);
  assert.match(r.messages[1], /^No chain\/target\/match by that name/);
});

test('builtin-chain-table, chain-redeclared, user-chain-policy: warnings (iptables-nft accepts each)', () => {
  const r = found(
    `*nat
:«FORWARD» ACCEPT [0:0]
:«U» DROP [0:0]
:«U» - [0:0]
:PREROUTING ACCEPT [0:0]
-A PREROUTING -j FORWARD
-A PREROUTING -j U
COMMIT
`,
    ['builtin-chain-table', 'chain-redeclared', 'user-chain-policy'],
  );
  assert.deepEqual(r.got, r.want(['builtin-chain-table warning', 'user-chain-policy warning', 'chain-redeclared warning']));
});

test('user-chain-policy and chain-redeclared in a shell script, in iptables wording', () => {
  const r = found(`iptables -N X\niptables -N «X»\niptables -P «X» DROP\niptables -P INPUT DROP\n`, ['chain-redeclared', 'user-chain-policy'], 'shell');
  assert.deepEqual(r.got, r.want(['chain-redeclared warning', 'user-chain-policy warning']));
  assert.match(r.messages[0], /^iptables: Chain already exists\./);
  assert.match(r.messages[1], /^iptables: Bad built-in chain name\./);
});

test('address-family: IPv4 in an ip6tables-save dump, IPv6 in an iptables script; iptables wording', () => {
  const r = found(
    `# Generated by ip6tables-save v1.8.9 (nf_tables)
*filter
-A INPUT -s 2001:db8::1 -m comment --comment "-s 10.9.9.9" -j ACCEPT
-A INPUT ! -d «10.0.0.0/8» -j DROP
-A INPUT -s ::1,«192.168.1.1» -j ACCEPT
COMMIT
`,
    ['address-family'],
  );
  assert.deepEqual(r.got, r.want(['address-family error', 'address-family error']));
  assert.deepEqual(r.messages, ["host/network `10.0.0.0' not found", "host/network `192.168.1.1' not found"]);
  const s = found(`iptables -A INPUT -s «2001:db8::/32» -j DROP\nip6tables -A INPUT -s 2001:db8::/32 -j DROP\nip6tables -A INPUT -d «10.1.1.1» -j DROP\n`, ['address-family'], 'shell');
  assert.deepEqual(s.got, s.want(['address-family error', 'address-family error']));
});

test('address-family: without a header only a file mixing both families is judged (the minority)', () => {
  const one = found(`*filter\n-A INPUT -s 2001:db8::1 -j ACCEPT\nCOMMIT\n`, ['address-family']);
  assert.deepEqual(one.got, []);
  const mixed = found(`*filter\n-A INPUT -s 10.0.0.1 -j ACCEPT\n-A INPUT -s 10.0.0.2 -j ACCEPT\n-A INPUT -s «fe80::1» -j ACCEPT\nCOMMIT\n`, ['address-family']);
  assert.deepEqual(mixed.got, mixed.want(['address-family error']));
});

test('mark-noop: every spelling of a write that changes nothing, MARK and CONNMARK', () => {
  const r = found(
    `*mangle
-A PREROUTING -j «MARK --and-mark 0xffffffff»
-A PREROUTING -j «MARK --or-mark 0»
-A PREROUTING -j «MARK --xor-mark 0x0»
-A PREROUTING -j «MARK --set-xmark 0x0/0x0»
-A PREROUTING -j «CONNMARK --set-xmark 0/0»
-A PREROUTING -j «CONNMARK --save-mark --nfmask 0x0 --ctmask 0x0»
-A PREROUTING -j «CONNMARK --restore-mark --nfmask 0x0 --ctmask 0x0»
-A PREROUTING -j CONNMARK --restore-mark --nfmask 0x0 --ctmask 0xffffffff
-A PREROUTING -j MARK --or-mark 0x1
-A PREROUTING -j MARK --set-mark 0x0
-A PREROUTING -j CONNMARK --save-mark --ctmask 0x0
COMMIT
`,
    ['mark-noop'],
  );
  assert.deepEqual(r.got, r.want(Array(7).fill('mark-noop warning')));
});

test('mark-unsatisfiable: a value with bits outside the mask never matches; inverted or inside the mask is fine', () => {
  const r = found(
    `*mangle
-A PREROUTING -m «mark --mark 0x5/0x4» -j ACCEPT
-A PREROUTING -m «connmark --mark 0x10/0x0» -j ACCEPT
-A PREROUTING -m mark ! --mark 0x5/0x4 -j ACCEPT
-A PREROUTING -m mark --mark 0x4/0x4 -j ACCEPT
COMMIT
`,
    ['mark-unsatisfiable'],
  );
  assert.deepEqual(r.got, r.want(['mark-unsatisfiable warning', 'mark-unsatisfiable warning']));
});

test('mark-overwritten: a later unconditional write covering every bit, with nothing reading in between', () => {
  const r = found(
    `*mangle
:C - [0:0]
-A PREROUTING -j C
-A C -j «MARK» --set-xmark 0x1/0x3
-A C -p tcp -j «MARK» --set-mark 0x7
-A C -m comment --comment "all of it" -j MARK --set-xmark 0x2/0xffffffff
-A C -j MARK --set-xmark 0x10/0x10
-A C -p tcp -j ACCEPT
-A C -j MARK --set-mark 0x20
-A C -j MARK --set-xmark 0x100/0x100
-A C -m mark --mark 0x100 -j LOG
-A C -j MARK --set-mark 0x200
-A C -j CONNMARK --set-xmark 0x1/0xff
-A C -j CONNMARK --save-mark
-A C -j CONNMARK --set-xmark 0x2/0xff
-A C -j MARK --set-xmark 0x1000/0x1000
-A C -p udp -j MARK --set-mark 0x3000
COMMIT
`,
    ['mark-overwritten'],
  );
  // 0x10: a conditional ACCEPT lets packets out with it; 0x100: a -m mark reads it; the
  // CONNMARK write: --save-mark in between writes ctmark from nfmark (a reader, conservatively);
  // 0x1000: the later write is conditional
  assert.deepEqual(r.got, r.want(['mark-overwritten warning', 'mark-overwritten warning']));
});

test('unreachable-rule: after an unconditional verdict or goto in the same chain; not in chains built with -I', () => {
  const r = found(
    `*filter
:G - [0:0]
:I - [0:0]
-A INPUT -p tcp -j ACCEPT
-A INPUT -m comment --comment "the rest" -j DROP
«-A INPUT -p udp -j ACCEPT»
-A OUTPUT -j ACCEPT
-A FORWARD -g G
«-A FORWARD -j ACCEPT»
-A G -j REJECT --reject-with icmp-host-prohibited
«-A G -j LOG»
-I I -j DROP
-A I -j RETURN
-A I -j ACCEPT
«-A INPUT -j G»
COMMIT
`,
    ['unreachable-rule'],
  );
  assert.deepEqual(r.got, r.want(Array(4).fill('unreachable-rule warning')));
  assert.match(r.messages[0], /every packet leaves chain INPUT at the earlier `-j DROP`/);
});

test('unused-chain: off by default; with a severity, chains nothing jumps to in a complete dump', () => {
  const src = `# Generated by iptables-save v1.8.9 (nf_tables)
*filter
:USED - [0:0]
:«LONELY» - [0:0]
-A INPUT -j USED
-A LONELY -j ACCEPT
COMMIT
`;
  assert.deepEqual(found(src, ['unused-chain']).got, []);
  const on: ServiceSettings = { ...DEFAULT_SERVICE_SETTINGS, diagnostics: { 'unused-chain': 'warning' } };
  const r = found(src, ['unused-chain'], 'save', on);
  assert.deepEqual(r.got, r.want(['unused-chain warning']));
  // a fragment without the iptables-save header may be loaded with --noflush: not judged
  assert.deepEqual(found(src.split('\n').slice(1).join('\n'), ['unused-chain'], 'save', on).got, []);
});

test('severity settings apply per code', () => {
  const text = `*mangle\n-A PREROUTING -j MARK --or-mark 0\nCOMMIT\n`;
  const svc = new NfRulesService();
  svc.open('u', text, undefined, 1, 'save');
  assert.equal(svc.diagnostics('u').find((d) => d.code === 'mark-noop')?.severity, 2);
  assert.equal(svc.diagnostics('u', { ...DEFAULT_SERVICE_SETTINGS, diagnostics: { 'mark-noop': 'error' } }).find((d) => d.code === 'mark-noop')?.severity, 1);
  assert.equal(svc.diagnostics('u', { ...DEFAULT_SERVICE_SETTINGS, diagnostics: { 'mark-noop': 'off' } }).find((d) => d.code === 'mark-noop'), undefined);
});

test('the cached file-level pass after edits equals a fresh one (typing inside a line, adding and removing lines)', () => {
  const text = `# Generated by ip6tables-save
*filter
:A - [0:0]
:B - [0:0]
-A INPUT -j A
-A A -j B
-A B -j A
-A INPUT -j DROP
-A INPUT -s 10.0.0.1 -j ACCEPT
-A INPUT -j NOPE
COMMIT
*nat
:X - [0:0]
-A INPUT -j X
-A X -j DNAT --to-destination 1.2.3.4
COMMIT
`;
  const doc = new RuleDocument(text, 'save');
  flowFindings(doc);
  const edits: [number, number, number, number, string][] = [
    [5, 0, 5, 0, ' '], // indentation: columns move
    [5, 3, 5, 3, 'A'], // a chain name changes: -A AA
    [5, 3, 5, 4, ''],
    [8, 9, 8, 9, '  '],
    [14, 0, 14, 0, '-A X -j ACCEPT\n'],
    [9, 0, 10, 0, ''],
    [0, 2, 0, 11, 'Generated by iptables-save'],
    [7, 12, 7, 12, 'x'],
    [0, 0, 0, 0, Array.from({ length: 5000 }, (_, i) => `-A INPUT -s 10.0.${i % 250}.1 -j ACCEPT\n`).join('')], // a big paste
    [0, 0, 5000, 0, ''],
  ];
  for (const [sl, sc, el, ec, t] of edits) {
    doc.applyEdit({ start: { line: sl, character: sc }, end: { line: el, character: ec } }, t);
    const fresh = flowFindings(new RuleDocument(doc.getText(), 'save'));
    assert.deepEqual(flowFindings(doc), fresh, `after ${JSON.stringify([sl, sc, el, ec, t])}`);
  }
});
