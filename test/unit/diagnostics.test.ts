/**
 * File-level diagnostics (flow.ts) and the per-rule mark warnings (findings.ts): each code
 * on its exact range, written in the text as «...», with its severity; and the cases each
 * must stay silent on. Messages that quote iptables were checked against iptables 1.8.9
 * (nf_tables) loading the same text for real in a network namespace (test/kernel).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { marked } from './ranges';
import { NfRulesService, DEFAULT_SERVICE_SETTINGS, ServiceSettings } from '../../server/src/core/service/service';
import { Format } from '../../server/src/core/iptables/syntax/document';
import { familyOfUri, flowFindings } from '../../server/src/core/iptables/checks/fileChecks';
import { RuleDocument } from '../../server/src/core/iptables/syntax/document';

const SEV = ['', 'error', 'warning', 'information', 'hint'];

function diagnose(text: string, format: Format = 'save', settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS) {
  const svc = new NfRulesService();
  svc.open('file:///t/rules', text, undefined, 1, format);
  return svc.diagnostics('file:///t/rules', settings);
}

/** `code severity line:start-end` for the codes asked about, in text order. */
function found(
  src: string,
  codes: string[],
  format: Format = 'save',
  settings?: ServiceSettings,
): { got: string[]; want: (c: string[]) => string[]; messages: string[] } {
  const m = marked(src);
  const ds = diagnose(m.text, format, settings).filter((d) => codes.includes(String(d.code)));
  ds.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  const at = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
    `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
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
  assert.equal(
    r.messages[0],
    'RULE_APPEND failed (Invalid argument): DNAT is only valid in PREROUTING, OUTPUT, not in INPUT: chain Y is reached from INPUT via X -> Y',
  );
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

test('jump-loop in a script: the command that fails is the later of the closing jump and the jump that lets a hook reach the loop', () => {
  const r = found(
    `iptables -N B\niptables -N C\niptables -N A\niptables -A B -j C\niptables -A C -j B\niptables -A FORWARD -j A\niptables -A A -j «C»\n`,
    ['jump-loop'],
    'shell',
  );
  assert.deepEqual(r.got, r.want(['jump-loop error']));
  assert.equal(r.messages[0], 'RULE_APPEND failed (Too many links): this jump lets FORWARD reach the loop B -> C -> B');
  const closing = found(`iptables -N B\niptables -N C\niptables -A FORWARD -j B\niptables -A B -j C\niptables -A C -j «B»\n`, ['jump-loop'], 'shell');
  assert.deepEqual(closing.got, closing.want(['jump-loop error']));
});

test('jump-loop: a chain that jumps to itself', () => {
  const r = found(`*filter\n:S - [0:0]\n-A OUTPUT -j S\n-A S -p tcp -j «S»\nCOMMIT\n`, ['jump-loop']);
  assert.deepEqual(r.got, r.want(['jump-loop error']));
});

test('builtin-jump: a jump or goto to a built-in chain of the table is refused; one of another table is a user chain', () => {
  const r = found(`*filter\n-A INPUT -j «OUTPUT»\n-A FORWARD -g «FORWARD»\nCOMMIT\n*nat\n:FORWARD - [0:0]\n-A PREROUTING -j FORWARD\nCOMMIT\n`, [
    'builtin-jump',
  ]);
  assert.deepEqual(r.got, r.want(['builtin-jump error', 'builtin-jump error']));
  assert.match(r.messages[0], /^RULE_APPEND failed \(Operation not supported\)/);
});

const TEXT_UNDECLARED = `*filter
:X - [0:0]
-A INPUT -j «NOPE»
-A «NOPE2» -j ACCEPT
-A INPUT -j X
-A INPUT -j ACCEPT
COMMIT
*nat
-A PREROUTING -j «X»
COMMIT
`;

test('undeclared-chain: a jump to, and a rule in, a chain the table never declares (an error, as a plain iptables-restore refuses it; a warning with --noflush)', () => {
  const r = found(TEXT_UNDECLARED, ['undeclared-chain']);
  assert.deepEqual(r.got, r.want(['undeclared-chain error', 'undeclared-chain error', 'undeclared-chain error']));
  assert.match(r.messages[0], /^Chain 'NOPE' does not exist/);
  assert.match(r.messages[1], /^No chain\/target\/match by that name/);
  // loaded with --noflush on top of other rules, the chains may exist
  const w = found(TEXT_UNDECLARED, ['undeclared-chain'], 'save', { ...DEFAULT_SERVICE_SETTINGS, noflush: true });
  assert.deepEqual(w.got, w.want(['undeclared-chain warning', 'undeclared-chain warning', 'undeclared-chain warning']));
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
  const s = found(
    `iptables -A INPUT -s «2001:db8::/32» -j DROP\nip6tables -A INPUT -s 2001:db8::/32 -j DROP\nip6tables -A INPUT -d «10.1.1.1» -j DROP\n`,
    ['address-family'],
    'shell',
  );
  assert.deepEqual(s.got, s.want(['address-family error', 'address-family error']));
});

test('address-family: without a header only a file mixing both families is judged (the minority)', () => {
  const one = found(`*filter\n-A INPUT -s 2001:db8::1 -j ACCEPT\nCOMMIT\n`, ['address-family']);
  assert.deepEqual(one.got, []);
  const mixed = found(`*filter\n-A INPUT -s 10.0.0.1 -j ACCEPT\n-A INPUT -s 10.0.0.2 -j ACCEPT\n-A INPUT -s «fe80::1» -j ACCEPT\nCOMMIT\n`, ['address-family']);
  assert.deepEqual(mixed.got, mixed.want(['address-family error']));
});

test('negated-any-address: `! x/0` (any mask of 0 bits, either family) is refused by iptables-nft; a /1 or a plain /0 is not', () => {
  const r = found(
    `*filter
-A OUTPUT ! -s «0.0.0.0/0» -j ACCEPT
-A OUTPUT -s 1.2.3.4 ! -d «10.1.2.3/00»
-A OUTPUT ! -s «1.2.3.4/0.0.0.0»
-A OUTPUT ! -d «::/0»
-A OUTPUT -s 0.0.0.0/0 ! -d 1.2.3.4/1 ! -s 1.2.3.4/255.0.255.0
COMMIT
`,
    ['negated-any-address'],
  );
  assert.deepEqual(r.got, r.want(Array(4).fill('negated-any-address error')));
  assert.match(r.messages[0], /^RULE_APPEND failed \(Invalid argument\): iptables-nft cannot negate `0\.0\.0\.0\/0'/);
  const sh = found(`iptables -A INPUT ! -s «0/0» -j DROP\n`, ['negated-any-address'], 'shell');
  assert.deepEqual(sh.got, sh.want(['negated-any-address error']));
  // a legacy-only rule set turns it off
  const off = found(`*filter\n-A OUTPUT ! -s 0.0.0.0/0\nCOMMIT\n`, ['negated-any-address'], 'save', {
    ...DEFAULT_SERVICE_SETTINGS,
    diagnostics: { 'negated-any-address': 'off' },
  });
  assert.deepEqual(off.got, []);
});

test('address lists: `!` before a list, and an empty entry, in iptables wording', () => {
  const r = found(
    `*filter\n-A OUTPUT ! -s «1.2.3.4,5.6.7.8» -j ACCEPT\n-A OUTPUT -d «1.2.3.4,»\n-A OUTPUT -d «,1.2.3.4»\n-A OUTPUT -s 1.2.3.4,5.6.7.8\nCOMMIT\n`,
    ['bad-negation', 'bad-value'],
  );
  assert.deepEqual(r.got, r.want(['bad-negation error', 'bad-value error', 'bad-value error']));
  assert.deepEqual(r.messages, ['! not allowed with multiple source or destination IP addresses', "host/network `' not found", "host/network `' not found"]);
});

test('values iptables 1.8.9 reads its own way: NAT --to-ports, udp ports, iprange ends, hashlimit rates (messages as observed)', () => {
  const msg = (table: string, rule: string) => {
    const ds = diagnose(`*${table}\n-A ${table === 'nat' ? 'PREROUTING' : 'INPUT'} ${rule}\nCOMMIT\n`, 'save').filter((d) => d.severity === 1);
    return ds.map((d) => String(d.message)).join(' | ');
  };
  const nat = (v: string) => msg('nat', `-p tcp -j REDIRECT --to-ports ${v}`);
  for (const ok of ['80', '80-90', '0x10', '+80', '1-+2', '00-7', 'http']) assert.equal(nat(ok), '', ok);
  assert.equal(nat('80:90'), 'Invalid port:port syntax - use dash');
  assert.equal(nat('90-80'), "Port range `80' funky");
  assert.equal(nat('70000-80'), "Port `70000-80' not valid");
  assert.equal(nat('80-'), "Port `' not valid");
  assert.equal(nat('080'), "Garbage after port value: `80'");
  assert.equal(nat('1-2-3'), "Garbage after port range: `-3'");
  const udp = (v: string) => msg('filter', `-p udp --dport ${v}`);
  for (const ok of ['080', '+80', '70000', '1:', 'domain']) assert.equal(udp(ok), '', ok);
  assert.equal(udp('0x10'), 'Port "0x10" does not resolve to anything.');
  assert.equal(udp('1:0x5'), 'Port "0x5" does not resolve to anything.');
  const ipr = (v: string) => msg('filter', `-m iprange --src-range ${v}`);
  for (const ok of ['10.1', '0x10', '010.0.0.1', '10.0.0.1-10.0.0.9', '::1-::2']) assert.equal(ipr(ok), '', ok);
  for (const [v, part] of [
    ['65536', '65536'],
    ['10.0.0.1-', ''],
    ['1.2.3.4-x', 'x'],
    ['10..1', '10..1'],
    ['1:0', '1:0'],
  ])
    assert.equal(ipr(v), `iprange: Bad value for "--src-range" option: "${part}"`, v);
  const rate = (v: string) => msg('filter', `-m hashlimit --hashlimit-name h --hashlimit-upto ${v}`);
  for (const ok of ['5', '5/s', '5/seco', '5/S', '5x', '1000000', '60000000/minute']) assert.equal(rate(ok), '', ok);
  for (const bad of ['0', 'x', '0x10', '5/', '5/secs', '5/sec/x']) assert.equal(rate(bad), `hashlimit: Bad value for "--hashlimit-upto" option: "${bad}"`, bad);
  for (const fast of ['-1', '1000001', '60000001/minute']) assert.equal(rate(fast), `Rate too fast "${fast}"`, fast);
  const u32 = (v: string) => msg('filter', `-m u32 --u32 "${v}"`);
  for (const ok of ['0>>22&0x3C@12>>26&0x3C@0=0x47455420', '0=1:2,3:4&&4&0xff=7', '0 =1', '0=+1']) assert.equal(u32(ok), '', ok);
  assert.equal(u32('0=1:2:3'), 'u32: at char 5: expected "," or "&&"');
  assert.equal(u32('0<1'), "u32: at char 2: a second '<' was expected");
  assert.equal(u32('0&1&2&3&4&5&6&7&8&9&10=1'), 'u32: at char 22: too many operators');
  assert.equal(u32('0=1&&'), 'u32: abrupt end of input after location specifier');
  const owner = (v: string) =>
    diagnose(`*filter\n-A OUTPUT -m owner --uid-owner ${v}\nCOMMIT\n`, 'save')
      .filter((d) => d.severity === 1)
      .map((d) => String(d.message))
      .join(' | ');
  for (const ok of ['5', '0-1', '1:2', '4294967294', 'root']) assert.equal(owner(ok), '', ok);
  assert.equal(owner('1:0'), 'RULE_APPEND failed (Invalid argument): the range 1:0 is reversed');
  assert.equal(owner('4294967295'), 'owner: Bad value for "--uid-owner" option: "4294967295"');
  // a reversed iprange loads and never matches: a warning in iptables' words
  const rev = found(
    `*filter\n-A INPUT -m iprange --src-range «10.0.0.9-10.0.0.1» --dst-range «10.1-10.0.0.1»\n-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 --dst-range «::9-::1»\nCOMMIT\n`,
    ['range-reversed'],
  );
  assert.deepEqual(rev.got, rev.want(Array(3).fill('range-reversed warning')));
  assert.equal(rev.messages[0], 'xt_iprange: range 10.0.0.9-10.0.0.1 is reversed and will never match');
});

test('-s/-d masks as iptables reads them; `! -p` with a protocol match the kernel checks (iptables-nft 1.8.9)', () => {
  const errs = (rule: string) =>
    diagnose(`*filter\n-A INPUT ${rule}\nCOMMIT\n`, 'save')
      .filter((d) => d.severity === 1)
      .map((d) => String(d.message));
  for (const ok of ['255.255.0.0', '255.0.255.0', '0x8', '+8', '010', '32']) assert.deepEqual(errs(`-d 10.0.0.0/${ok}`), [], ok);
  for (const bad of ['x', '-1', '08', '', '8x', '255.255.0', '256.0.0.0', '33'])
    assert.deepEqual(errs(`-d 10.0.0.0/${bad}`), [`invalid mask \`${bad}' specified`], bad);
  assert.deepEqual(errs('-s 2001:db8::/64'), []);
  assert.deepEqual(errs('-s 2001:db8::/129'), ["invalid mask `129' specified"]);
  // ports and flags alone become nft expressions and load; a bare match, --tcp-option or icmp go to the kernel
  for (const ok of ['! -p tcp --dport 80', '! -p tcp -m tcp --dport 80', '! -p udp -m udp --dport 53', '! -p tcp --syn', '! -p tcp ! --dport 80', '! -p icmp'])
    assert.deepEqual(errs(ok), [], ok);
  const r = found(
    `*filter\n-A INPUT ! -p tcp -m «tcp»\n-A INPUT ! -p «icmp» --icmp-type echo-request\n-A INPUT ! -p tcp --dport 80 -m «tcp»\n-A INPUT ! -p «tcp» --tcp-option 2\nCOMMIT\n`,
    ['protocol-required'],
  );
  assert.deepEqual(r.got, r.want(Array(4).fill('protocol-required error')));
  assert.match(r.messages[0], /^RULE_APPEND failed \(Invalid argument\): with `! -p` iptables-nft hands this tcp match to the kernel/);
});

test('getopt spellings: option clusters, attached values, long-name prefixes are read as iptables reads them (no false errors)', () => {
  const sh = (src: string) => diagnose(src, 'shell').map((d) => `${d.range.start.line}:${d.code}`);
  // each of these runs fine in iptables 1.8.9 (test/kernel/flow-differential respells its scripts so)
  assert.deepEqual(sh(`iptables -nvL\niptables -nvL INPUT\niptables -vnxL --line-numbers\niptables -t nat -nL\n`), []);
  assert.deepEqual(
    sh(
      `iptables -NX\niptables --new Y\niptables --new-chain=Z\niptables -AINPUT -j X\niptables --app INPUT --ju Y\niptables --append=INPUT -gZ\niptables -tnat -NW\niptables --tab nat -A PREROUTING -j W\n`,
    ),
    [],
  );
  assert.deepEqual(
    sh(`iptables -A INPUT --proto tcp --dp 22 -j ACCEPT\niptables -A INPUT --src 10.0.0.1 --in-i eth0\niptables -A INPUT -mcomment --comment x\n`),
    [],
  );
  // prefixes getopt finds ambiguous: iptables says unknown option
  assert.deepEqual(sh(`iptables -A INPUT --in eth0\niptables -A INPUT -p tcp --sport 1 --so 10.0.0.1\n`), ['0:unknown-option', '1:unknown-option']);
  // the chain index sees the attached and prefixed spellings
  const svc = new NfRulesService();
  svc.open('file:///t/fw.sh', `iptables -NX\niptables --app INPUT --ju X\niptables -AX -j ACCEPT\n`, 'shellscript', 0, 'shell');
  assert.equal(svc.references('file:///t/fw.sh', { line: 0, character: 11 }).length, 3);
  // -p/-s/-d/-i/-o/-j with an attached value: iptables 1.8.9 reads the whole word (a warning with its consequence)
  const r = found(`*filter\n-A INPUT -p«tcp» -s«10.0.0.1» -i«eth0» --jump=«ACCEPT»\nCOMMIT\n`, ['attached-argument']);
  assert.deepEqual(r.got, r.want(Array(4).fill('attached-argument warning')));
  assert.deepEqual(r.messages, [
    'iptables 1.8.9 reads all of `-ptcp\' as the value and refuses the rule: unknown protocol "-ptcp" specified; later versions read `tcp\'. Write the value as its own word.',
    "iptables 1.8.9 reads all of `-s10.0.0.1' as the value and refuses the rule: host/network `-s10.0.0.1' not found; later versions read `10.0.0.1'. Write the value as its own word.",
    "iptables 1.8.9 reads all of `-ieth0' as the value and takes `-ieth0' as the interface name; later versions read `eth0'. Write the value as its own word.",
    "iptables 1.8.9 reads all of `--jump=ACCEPT' as the value and refuses the rule: Chain '--jump=ACCEPT' does not exist; later versions read `ACCEPT'. Write the value as its own word.",
  ]);
  // the rule itself is modelled as later versions read it: the tcp match loads, MARK's options are its own
  assert.deepEqual(
    diagnose(`*mangle\n-A INPUT -ptcp --dport 22 -jMARK --set-mark 1\nCOMMIT\n`, 'save').filter((d) => d.severity === 1),
    [],
  );
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
  assert.equal(
    svc.diagnostics('u', { ...DEFAULT_SERVICE_SETTINGS, diagnostics: { 'mark-noop': 'off' } }).find((d) => d.code === 'mark-noop'),
    undefined,
  );
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

// ---------------------------------------------------------------------------------------
// shell scripts: chains as iptables meets them; address families by file name and option

function foundUri(uri: string, src: string, codes: string[], settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS) {
  const m = marked(src);
  const svc = new NfRulesService();
  svc.open(uri, m.text, undefined, 1);
  const ds = svc.diagnostics(uri, settings).filter((d) => codes.includes(String(d.code)));
  ds.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  const at = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
    `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
  return {
    got: ds.map((d) => `${d.code} ${SEV[d.severity!]} ${at(d.range)}`),
    want: (labels: string[]) => m.ranges.map((r, i) => `${labels[i]} ${at(r)}`),
    messages: ds.map((d) => String(d.message)),
  };
}

test('undeclared-chain in a script: a chain never created, on the jump and on the rule, in iptables wording', () => {
  const r = found(
    `iptables -t nat -A PREROUTING -j «WEB»\niptables -A «MINE» -j ACCEPT\nip6tables -N SIX\niptables -A INPUT -j «SIX»\nip6tables -A INPUT -j SIX\n`,
    ['undeclared-chain'],
    'shell',
  );
  assert.deepEqual(r.got, r.want(['undeclared-chain warning', 'undeclared-chain warning', 'undeclared-chain warning']));
  assert.match(r.messages[0], /^Chain 'WEB' does not exist \(the script does not create WEB in table nat: `iptables -t nat -N WEB`/);
  assert.match(r.messages[1], /^iptables: No chain\/target\/match by that name\. \(/);
  // iptables and ip6tables keep their chains apart
  assert.match(r.messages[2], /^Chain 'SIX' does not exist/);
});

test("a script's -F/-X/-E/-Z of a missing chain, a second -N, an -E onto an existing name, as iptables says them", () => {
  const r = found(
    `iptables -N A
iptables -N «A»
iptables -F «B»
iptables -X «B»
iptables -E «B» C
iptables -N C
iptables -E «A» C
iptables -A INPUT -j A
iptables -F
iptables -X
iptables -N A
iptables -Z «C»
`,
    ['undeclared-chain', 'chain-redeclared'],
    'shell',
  );
  assert.deepEqual(
    r.got,
    r.want([
      'chain-redeclared warning',
      'undeclared-chain warning',
      'undeclared-chain warning',
      'undeclared-chain warning',
      'chain-redeclared warning',
      'undeclared-chain warning',
    ]),
  );
  assert.match(r.messages[0], /^iptables: Chain already exists\./);
  assert.match(r.messages[1], /^iptables: No chain\/target\/match by that name\./);
  assert.match(r.messages[4], /^iptables: File exists\. \(C already exists/);
  // the failed -E left A in place (line 8 jumps to it fine); -F then -X removed every chain, so -N A is new, -Z C is not
  assert.match(r.messages[5], /C was deleted at line 10/);
});

test("chain-busy: a script's -X of a chain that holds rules or is jumped to (its own doing), as the kernel refuses it", () => {
  const r = found(
    `iptables -N A
iptables -N B
iptables -A A -j ACCEPT
iptables -X «A»
iptables -F A
iptables -A A -j B
iptables -X «B»
iptables -A INPUT -j A
iptables «-X»
iptables -F
iptables -X
iptables -N C
iptables -A INPUT -j C
iptables -E C D
iptables -X «D»
iptables -A MISSING -j ACCEPT
iptables -N MISSING
iptables -X MISSING
`,
    ['chain-busy', 'undeclared-chain'],
    'shell',
  );
  // the -A to MISSING fails (a warning of its own), so MISSING is empty when -X comes
  assert.deepEqual(
    r.got.filter((g) => g.startsWith('chain-busy')),
    r.want(Array(4).fill('chain-busy warning')),
  );
  assert.deepEqual(
    r.messages.filter((m) => m.startsWith('CHAIN_DEL')),
    [
      'CHAIN_DEL failed (Device or resource busy): chain A: A still holds a rule (line 3); flush it first (-F A)',
      'CHAIN_DEL failed (Device or resource busy): chain B: A still jumps to B (line 6)',
      'CHAIN_DEL failed (Device or resource busy): chain A: A still holds a rule (line 6); flush it first (-F A); iptables -X deletes no chain of table filter then',
      'CHAIN_DEL failed (Device or resource busy): chain D: INPUT still jumps to D (line 13)',
    ],
  );
  // a failed -X deletes nothing: no "deleted" warning follows it
  assert.ok(!r.messages.some((m) => /was deleted \(-X\) at line 4/.test(m)));
});

test('a here-document fed to iptables-restore is judged as the save file it is; one with expansions, or fed to another program, is not', () => {
  const src =
    [
      'iptables-restore --noflush <<EOF',
      '*filter',
      '-A INPUT -s «10.0.0.0/33» -j DROP',
      '-A INPUT -j «NOPE»',
      'COMMIT',
      'EOF',
      "ip6tables-restore <<-'V6'",
      '\t*filter',
      '\t-A INPUT -s «10.0.0.1» -j DROP',
      '\tCOMMIT',
      '\tV6',
      'iptables-restore <<EOF',
      '*filter',
      '-A INPUT -s $NET/33 -j DROP',
      'COMMIT',
      'EOF',
      'cat <<X',
      '-A INPUT -s 10.0.0.0/33',
      'X',
    ].join('\n') + '\n';
  const r = found(src, ['bad-value', 'undeclared-chain', 'address-family'], 'shell');
  assert.deepEqual(r.got, r.want(['bad-value error', 'undeclared-chain warning', 'address-family error']));
});

test("review fixes: an expansion may hold an extension's options; a here-document goes to its own command; -IINPUT inserts; a function that flushes makes -X unsure", () => {
  const errs = (src: string, format: Format = 'shell') => diagnose(src, format).map((d) => `${d.range.start.line}:${d.code}`);
  // `-j MARK $OPTS`: MARK's options may be in $OPTS
  assert.deepEqual(
    errs(`iptables -t mangle -A PREROUTING -j MARK $OPTS\niptables -t mangle -A PREROUTING -p tcp -j TPROXY $TP\niptables -A INPUT -m hashlimit $HL\n`),
    [],
  );
  // the here-document of `cat`, after an iptables-restore that reads a file
  assert.deepEqual(
    errs(
      `iptables-restore < rules.v4 && cat > /etc/motd <<EOF\nWelcome\nEOF\ncat <<A; iptables-restore <<B\nhello\nA\n*filter\n-A INPUT -s 1.2.3.4/33\nCOMMIT\nB\n`,
    ),
    ['7:bad-value'],
  );
  // an -I rule in getopt's spelling puts its rule first: nothing after the -A DROP is unreachable
  assert.deepEqual(errs(`*filter\n-A INPUT -j DROP\n-IINPUT -j ACCEPT\n--ins INPUT -p tcp -j ACCEPT\nCOMMIT\n`, 'save'), []);
  // a function that flushes, called before -X: the -X is not judged busy
  assert.deepEqual(errs(`f(){ iptables -F FOO; }\niptables -N FOO\niptables -A FOO -j ACCEPT\nf\niptables -X FOO\niptables -N FOO\n`), []);
});

test('undeclared-chain in a script: created only later, deleted (-X, bare -X) or renamed (-E) before the use', () => {
  const r = found(
    `iptables -A INPUT -j «LATE»
iptables -N LATE
iptables -A LATE -j ACCEPT
iptables -N GONE
iptables -A INPUT -j GONE
iptables -F INPUT
iptables -X GONE
iptables -A «GONE» -j DROP
iptables -N OLD
iptables -E OLD NEW
iptables -A NEW -j ACCEPT
iptables -A «OLD» -j ACCEPT
iptables -N A
iptables -F
iptables -X
iptables -I «A» -j ACCEPT
iptables -N A
iptables -A A -j ACCEPT
`,
    ['undeclared-chain'],
    'shell',
  );
  assert.deepEqual(r.got, r.want(['undeclared-chain warning', 'undeclared-chain warning', 'undeclared-chain warning', 'undeclared-chain warning']));
  assert.match(r.messages[0], /only later, at line 2: iptables fails here/);
  assert.match(r.messages[1], /GONE was deleted \(-X\) at line 7/);
  assert.match(r.messages[2], /OLD was renamed \(-E\) at line 10/);
  assert.match(r.messages[3], /deleted at line 15 \(-X without a chain deletes every user chain\)/);
});

test('undeclared-chain in a script: silent where the running order is not the text order, or names are expansions', () => {
  const quiet = [
    // a function body runs when called, after the -N
    `add_rules() {\n  iptables -A WEB -j ACCEPT\n  iptables -A INPUT -j WEB\n}\niptables -N WEB\nadd_rules\n`,
    // a -N in a branch counts as made; the other branch may run on an existing chain
    `if [ "$1" = restart ]; then\n  iptables -F WEB\n  iptables -A WEB -j DROP\nelse\n  iptables -N WEB\n  iptables -A WEB -j DROP\nfi\niptables -A INPUT -j WEB\n`,
    `case "$1" in\n  stop) iptables -D INPUT -j F2B; iptables -F F2B; iptables -X F2B ;;\n  start) iptables -N F2B; iptables -A INPUT -j F2B; iptables -A F2B -j RETURN ;;\nesac\n`,
    // the usual cleanup first, then creation
    `iptables -F\niptables -X\niptables -t nat -F\niptables -N LOGDROP\niptables -A LOGDROP -j LOG\niptables -A LOGDROP -j DROP\niptables -A INPUT -p tcp --dport 23 -j LOGDROP\n`,
    // a deletion under a condition does not count
    `iptables -N X\niptables -A INPUT -j X\n[ -n "$RESET" ] && iptables -X X\niptables -A X -j ACCEPT\n`,
    `for c in A B; do\n  iptables -X $c\ndone\niptables -N A\niptables -A INPUT -j A\n`,
    // chain names from variables: anything may exist
    `CH=web\niptables -N $CH\niptables -A INPUT -j web\n`,
    `iptables -t $T -N web\niptables -A INPUT -j web\n`,
    `IPT=/sbin/iptables\n$IPT -N BLOCK\n$IPT -A INPUT -j BLOCK\n$IPT -A BLOCK -s 10.0.0.0/8 -j DROP\n`,
    // chains made by iptables-restore from the script
    `iptables-restore < /etc/iptables/base.rules\niptables -A INPUT -j BASE\n`,
    `iptables-restore <<EOF\n*filter\n:BASE - [0:0]\nCOMMIT\nEOF\niptables -A INPUT -j BASE\n`,
    // commands the parser does not read, which iptables does (`--new`, `-NX`), or a program it does not know
    `iptables --new WEB\niptables -A INPUT -j WEB\n`,
    `iptables -NWEB\niptables -A INPUT -j WEB\n`,
    `"$IPT" -N WEB\n$IPT -A INPUT -j WEB\n`,
    // a target is not a chain
    `iptables -A INPUT -j LOG --log-prefix x\niptables -t nat -A POSTROUTING -j MASQUERADE\niptables -A INPUT -j RETURN\n`,
  ];
  for (const q of quiet) assert.deepEqual(found(q, ['undeclared-chain'], 'shell').got, [], q);
});

test('unused-chain in a script (when its setting turns it on): -N with no -j/-g to it; silent on an expanded target', () => {
  const on: ServiceSettings = { ...DEFAULT_SERVICE_SETTINGS, diagnostics: { 'unused-chain': 'hint' } };
  const r = found(
    `iptables -N «IDLE»\niptables -N USED\niptables -A INPUT -g USED\niptables -N GONE\niptables -X GONE\nip6tables -N «USED»\n`,
    ['unused-chain'],
    'shell',
    on,
  );
  assert.deepEqual(r.got, r.want(['unused-chain hint', 'unused-chain hint']));
  assert.equal(found(`iptables -N IDLE\niptables -A INPUT -j $TARGET\n`, ['unused-chain'], 'shell', on).got.length, 0);
  assert.equal(found(`iptables -N IDLE\n`, ['unused-chain'], 'shell').got.length, 0);
});

test('address-family: NAT, NETMAP, TPROXY and iprange addresses in the words of iptables 1.8.9 / ip6tables', () => {
  const six = found(
    `# Generated by ip6tables-save v1.8.9 (nf_tables)
*nat
-A PREROUTING -p tcp -j DNAT --to-destination «10.0.0.1»:80
-A PREROUTING -p tcp -j DNAT --to-destination [«10.0.0.2»]:80
-A PREROUTING -p tcp -j DNAT --to-destination fe80::1-«10.0.0.5»
-A PREROUTING -p tcp -j DNAT --to-destination [fe80::1]:80
-A POSTROUTING -j SNAT --to-source «10.0.0.1»-10.0.0.9
-A PREROUTING -j NETMAP --to «10.0.0.0/24»
COMMIT
*mangle
-A PREROUTING -p tcp -j TPROXY --on-port 80 --on-ip «10.0.0.1» --tproxy-mark 0x1/0x1
COMMIT
*filter
-A INPUT -m iprange --src-range «10.0.0.1»-10.0.0.5 -j ACCEPT
-A INPUT -m iprange ! --dst-range fe80::1-«10.0.0.5» -j ACCEPT
-A INPUT -m iprange --src-range fe80::1-fe80::9 -m string --algo bm --string x --to 40 -j ACCEPT
COMMIT
`,
    ['address-family'],
  );
  assert.deepEqual(six.got, six.want(Array(8).fill('address-family error')));
  assert.deepEqual(six.messages, [
    'Bad IP address "10.0.0.1"',
    'Bad IP address "10.0.0.2"',
    'Bad IP address "10.0.0.5"',
    'Bad IP address "10.0.0.1"',
    'getaddrinfo: Address family for hostname not supported',
    'getaddrinfo: Address family for hostname not supported',
    'iprange: Bad value for "--src-range" option: "10.0.0.1"',
    'iprange: Bad value for "--dst-range" option: "10.0.0.5"',
  ]);
  const four = found(
    `iptables -t nat -A PREROUTING -p tcp -j DNAT --to «fe80::1»
iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination [«fe80::1»]:80
iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination «fe80::1:80»
iptables -t nat -A POSTROUTING -j SNAT --to-source 10.0.0.1-«fe80::1»
iptables -t nat -A POSTROUTING -j SNAT --to-source 10.0.0.1-10.0.0.2:1024-2048
iptables -t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip «::1»
iptables -A INPUT -m iprange --src-range «fe80::1»-fe80::2 -j ACCEPT
ip6tables -t nat -A PREROUTING -p tcp -j DNAT --to-destination [fe80::1]:80
`,
    ['address-family'],
    'shell',
  );
  // iprange: iptables stops at the first bad address of a value
  assert.deepEqual(four.got, four.want(Array(6).fill('address-family error')));
  assert.deepEqual(four.messages, [
    'Bad IP address "fe80::1"',
    'Invalid address format',
    'Bad IP address "fe80::1:80"',
    'Bad IP address "fe80::1"',
    'getaddrinfo: Address family for hostname not supported',
    'iprange: Bad value for "--src-range" option: "fe80::1"',
  ]);
});

test('address-family: a save file without a header takes its family from its name', () => {
  const v6 = `*filter\n-A INPUT -s «10.0.0.1» -j ACCEPT\n-A INPUT -s fe80::1 -j ACCEPT\n-A INPUT -s fe80::2 -j ACCEPT\nCOMMIT\n*nat\n-A POSTROUTING -j SNAT --to-source «10.1.1.1»\nCOMMIT\n`;
  for (const uri of ['file:///etc/iptables/rules.v6', 'file:///etc/sysconfig/ip6tables', 'file:///srv/fw/ip6tables.rules', 'file:///srv/edge.v6']) {
    const r = foundUri(uri, v6, ['address-family']);
    assert.deepEqual(r.got, r.want(['address-family error', 'address-family error']), uri);
  }
  // an IPv4 name: the IPv6 addresses are the mistake, though they are the majority
  const r4 = foundUri(
    'file:///etc/iptables/rules.v4',
    `*filter\n-A INPUT -s 10.0.0.1 -j ACCEPT\n-A INPUT -s «fe80::1» -j ACCEPT\n-A INPUT -s «fe80::2» -j ACCEPT\nCOMMIT\n`,
    ['address-family'],
  );
  assert.deepEqual(r4.got, r4.want(['address-family error', 'address-family error']));
  const ipt = foundUri('file:///etc/sysconfig/iptables', `*filter\n-A INPUT -d «2001:db8::1» -j ACCEPT\nCOMMIT\n`, ['address-family']);
  assert.deepEqual(ipt.got, ipt.want(['address-family error']));
  // the header iptables-save wrote wins over the name; a name that says nothing leaves the majority rule
  assert.deepEqual(
    foundUri('file:///x/rules.v4', `# Generated by ip6tables-save v1.8.9 (nf_tables)\n*filter\n-A INPUT -s fe80::1 -j ACCEPT\nCOMMIT\n`, ['address-family'])
      .got,
    [],
  );
  assert.deepEqual(foundUri('file:///x/firewall.rules', `*filter\n-A INPUT -s fe80::1 -j ACCEPT\nCOMMIT\n`, ['address-family']).got, []);
  // a script's commands name their family, whatever the file is called
  assert.deepEqual(foundUri('file:///x/ip6tables-setup.sh', `iptables -A INPUT -s 10.0.0.1 -j ACCEPT\n`, ['address-family']).got, []);
});

test('familyOfUri: the names that tell', () => {
  const cases: [string, 4 | 6 | undefined][] = [
    ['file:///etc/iptables/rules.v6', 6],
    ['file:///etc/iptables/rules.v4', 4],
    ['/etc/sysconfig/ip6tables', 6],
    ['/etc/sysconfig/iptables', 4],
    ['ip6tables-save_jul_2016', 6],
    ['fedora27-iptables', 4],
    ['file:///a/x.v6', 6],
    ['C:\\fw\\ip6tables.rules', 6],
    ['file:///a/rules', undefined],
    ['file:///a/myiptables.txt', undefined],
  ];
  for (const [u, f] of cases) assert.equal(familyOfUri(u), f, u);
});

test('address-family: the cached pass follows a change of the family option', () => {
  const doc = new RuleDocument(`*filter\n-A INPUT -s 10.0.0.1 -j ACCEPT\nCOMMIT\n`, 'save');
  assert.equal(flowFindings(doc, {}).length, 0);
  assert.equal(flowFindings(doc, { family: 6 }).filter((f) => f.code === 'address-family').length, 1);
  assert.equal(flowFindings(doc, { family: 4 }).length, 0);
});

test('address-family: iptables reads no [brackets], even around an IPv4 address; ip6tables reads them', () => {
  const r = found(
    `# Generated by iptables-save v1.8.9 (nf_tables)\n*nat\n-A PREROUTING -p tcp -j DNAT --to-destination [«10.0.0.1»]:80\n-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.1:80\nCOMMIT\n`,
    ['address-family'],
  );
  assert.deepEqual(r.got, r.want(['address-family error']));
  assert.deepEqual(r.messages, ['Invalid address format']);
  assert.deepEqual(found(`ip6tables -t nat -A PREROUTING -p tcp -j DNAT --to-destination [fe80::1-fe80::2]:80\n`, ['address-family'], 'shell').got, []);
});
