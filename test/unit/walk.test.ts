import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuleDocument } from '../../server/src/core/iptables/syntax/document';
import { Hook } from '../../server/src/core/iptables/knowledge/hooks';
import { WalkOptions, WalkResult, walk } from '../../server/src/core/iptables/walk/walk';
import { Packet } from '../../server/src/core/common/samplePacket';

const save = (text: string) => new RuleDocument(text, 'save');
const pk = (p: Partial<Packet> = {}): Packet => ({ nfmark: 0, ctmark: 0, ...p });
const run = (text: string, hook: Hook, p: Partial<Packet> = {}, o: Partial<WalkOptions> = {}): WalkResult => walk(save(text), { hook, packet: pk(p), ...o });

/** One rule `-A INPUT <match> -j DROP` in filter: how the walk judged it. */
function judge(match: string, p: Partial<Packet>, opts: Partial<WalkOptions> & { hook?: Hook; table?: string } = {}) {
  const hook = opts.hook ?? 'INPUT';
  const table = opts.table ?? 'filter';
  const text = `*${table}\n:${hook} ACCEPT [0:0]\n-A ${hook} ${match} -j DROP\nCOMMIT\n`;
  const r = walk(save(text), { hook, packet: pk(p), ...opts, table });
  // an address list is one kernel rule per address: the line matches when one of them does
  const steps = r.path.filter((x) => x.line === 2);
  assert.ok(steps.length, `rule reached: ${JSON.stringify(r)}`);
  const s = steps.find((x) => x.matched) ?? steps[steps.length - 1];
  // the verdict follows the match
  assert.equal(r.verdict, s.matched ? 'DROP' : 'ACCEPT');
  return { matched: s.matched, decided: steps.every((x) => x.decided), undecided: s.undecided, r };
}
const yes = (m: string, p: Partial<Packet>, o = {}) => assert.deepEqual(pick(judge(m, p, o)), { matched: true, decided: true }, m);
const no = (m: string, p: Partial<Packet>, o = {}) => assert.deepEqual(pick(judge(m, p, o)), { matched: false, decided: true }, m);
const unsure = (m: string, p: Partial<Packet>, o = {}) => {
  const j = judge(m, p, o);
  assert.equal(j.decided, false, m);
  assert.equal(j.matched, false, `${m}: assume nomatch is the default`);
  return j;
};
const pick = (j: { matched: boolean; decided: boolean }) => ({ matched: j.matched, decided: j.decided });

test('addresses: CIDR, dotted mask, !, comma lists, IPv6, family, unknown', () => {
  yes('-s 10.0.0.0/8', { src: '10.1.2.3' });
  no('-s 10.0.0.0/8', { src: '11.1.2.3' });
  no('! -s 10.0.0.0/8', { src: '10.1.2.3' });
  yes('! -s 10.0.0.0/8', { src: '11.1.2.3' });
  yes('-s 192.168.0.0/255.255.0.0', { src: '192.168.44.1' });
  no('-s 192.168.0.0/255.255.0.0', { src: '192.169.0.1' });
  yes('-d 10.96.0.10/32', { dst: '10.96.0.10' });
  no('-d 10.96.0.10', { dst: '10.96.0.11' });
  yes('-s 0.0.0.0/0', { src: '1.2.3.4' });
  yes('-s 1.1.1.1,10.0.0.0/8', { src: '10.9.9.9' });
  no('-s 1.1.1.1,10.0.0.0/8', { src: '11.9.9.9' });
  yes('-s 2001:db8::/32', { src: '2001:db8::1' });
  no('-s 2001:db8::/32', { src: '2001:db9::1' });
  no('-s 2001:db8::/32', { src: '10.0.0.1' });
  unsure('-s 10.0.0.0/8', {});
  unsure('-s some.host.example', { src: '10.0.0.1' });
});

test('protocol: names, numbers, all, !, unknown', () => {
  yes('-p tcp', { proto: 'tcp' });
  yes('-p 6', { proto: 'tcp' });
  yes('-p tcp', { proto: '6' });
  no('-p udp', { proto: 'tcp' });
  yes('! -p udp', { proto: 'tcp' });
  no('! -p tcp', { proto: 'tcp' });
  yes('-p all', {});
  yes('-p icmp', { proto: 'icmp' });
  unsure('-p tcp', {});
});

test('interfaces: exact, + wildcard, !, and the hook without that direction', () => {
  yes('-i eth0', { in: 'eth0' });
  no('-i eth0', { in: 'eth1' });
  yes('-i eth+', { in: 'eth1' });
  no('-i eth+', { in: 'wlan0' });
  yes('! -i lo', { in: 'eth0' });
  no('! -i lo', { in: 'lo' });
  unsure('-i eth0', {});
  yes('-o veth+', { out: 'veth12' }, { hook: 'FORWARD' });
  // INPUT has no outgoing interface: `-o x` (from a user chain) sees '' and fails, `! -o x` matches
  const text = '*filter\n:INPUT ACCEPT [0:0]\n:U - [0:0]\n-A INPUT -j U\n-A U -o eth0 -j DROP\n-A U ! -o eth0 -j REJECT\nCOMMIT\n';
  const r = run(text, 'INPUT', { out: 'eth0' });
  assert.equal(r.verdict, 'REJECT');
  assert.equal(r.verdictLine, 5);
});

test('ports: single, ranges a:b, :b, a:, !, --sport, names, unknown', () => {
  yes('-p tcp --dport 80', { proto: 'tcp', dport: 80 });
  no('-p tcp --dport 80', { proto: 'tcp', dport: 81 });
  yes('-p tcp -m tcp --dport 1000:2000', { proto: 'tcp', dport: 2000 });
  no('-p tcp -m tcp --dport 1000:2000', { proto: 'tcp', dport: 2001 });
  yes('-p udp --dport :1023', { proto: 'udp', dport: 53 });
  no('-p udp --dport 1024:', { proto: 'udp', dport: 53 });
  yes('-p tcp ! --dport 22', { proto: 'tcp', dport: 80 });
  no('-p tcp ! --dport 22', { proto: 'tcp', dport: 22 });
  yes('-p tcp --sport 40000:', { proto: 'tcp', sport: 40000 });
  yes('-p tcp --dport https', { proto: 'tcp', dport: 443 });
  unsure('-p tcp --dport 80', { proto: 'tcp' });
  // the protocol decides first: a udp packet does not reach the port test
  no('-p tcp --dport 80', { proto: 'udp' });
});

test('multiport: --dports, --sports, --ports, ranges, !', () => {
  yes('-p tcp -m multiport --dports 80,443,8000:8100', { proto: 'tcp', dport: 8050 });
  no('-p tcp -m multiport --dports 80,443,8000:8100', { proto: 'tcp', dport: 8101 });
  yes('-p tcp -m multiport --sports 1,2,3', { proto: 'tcp', sport: 2 });
  yes('-p tcp -m multiport --ports 53', { proto: 'tcp', sport: 53, dport: 9 });
  yes('-p tcp -m multiport --ports 53', { proto: 'tcp', sport: 9, dport: 53 });
  no('-p tcp -m multiport --ports 53', { proto: 'tcp', sport: 9, dport: 9 });
  no('-p tcp -m multiport ! --dports 80,443', { proto: 'tcp', dport: 443 });
  yes('-p tcp -m multiport ! --dports 80,443', { proto: 'tcp', dport: 22 });
  unsure('-p tcp -m multiport --dports 80', { proto: 'tcp' });
});

test('mark and connmark matches: (mark & mask) == value, !', () => {
  yes('-m mark --mark 0x4000/0x4000', { nfmark: 0x4001 });
  no('-m mark --mark 0x4000/0x4000', { nfmark: 0x0001 });
  yes('-m mark ! --mark 0x4000/0x4000', { nfmark: 0x0001 });
  yes('-m mark --mark 0x1', { nfmark: 0x1 });
  no('-m mark --mark 0x1', { nfmark: 0x3 });
  yes('-m connmark --mark 0xab/0xff', { ctmark: 0x12ab, state: 'ESTABLISHED' });
  no('-m connmark --mark 0xab/0xff', { ctmark: 0x12ac, state: 'ESTABLISHED' });
  // an INVALID packet has no conntrack entry: connmark fails, with ! too (kernel: no ct, false)
  no('-m connmark ! --mark 0x1', { ctmark: 0, state: 'INVALID' });
});

test('conntrack --ctstate and state --state', () => {
  yes('-m conntrack --ctstate NEW,ESTABLISHED', { state: 'NEW' });
  no('-m conntrack --ctstate NEW,ESTABLISHED', { state: 'RELATED' });
  yes('-m conntrack ! --ctstate NEW', { state: 'ESTABLISHED' });
  yes('-m state --state RELATED,ESTABLISHED', { state: 'RELATED' });
  no('-m state --state INVALID', { state: 'NEW' });
  yes('-m state --state INVALID', { state: 'INVALID' });
  unsure('-m conntrack --ctstate NEW', {});
  // other conntrack options need the entry's tuple: undecided
  unsure('-m conntrack --ctorigdst 10.0.0.1', { state: 'NEW' });
});

test('comment, addrtype, iprange, fragment, tcp flags', () => {
  yes('-m comment --comment "hello world"', {});
  yes('-m addrtype --dst-type LOCAL', { extra: { dsttype: 'LOCAL' } });
  no('-m addrtype --dst-type LOCAL', { extra: { dsttype: 'UNICAST' } });
  yes('-m addrtype ! --src-type LOCAL,BROADCAST', { extra: { srctype: 'UNICAST' } });
  unsure('-m addrtype --dst-type LOCAL', {});
  yes('-m iprange --src-range 10.0.0.1-10.0.0.9', { src: '10.0.0.9' });
  no('-m iprange --src-range 10.0.0.1-10.0.0.9', { src: '10.0.0.10' });
  yes('-m iprange ! --dst-range 10.0.0.1-10.0.0.9', { dst: '10.0.1.1' });
  no('-f', {});
  yes('! -f', {});
  yes('-p tcp --syn', { proto: 'tcp', extra: { flags: 'SYN' } });
  no('-p tcp --syn', { proto: 'tcp', extra: { flags: 'SYN,ACK' } });
  yes('-p tcp --tcp-flags SYN,ACK ACK', { proto: 'tcp', extra: { flags: 'ACK,PSH' } });
  unsure('-p tcp --syn', { proto: 'tcp' });
  yes('-p icmp --icmp-type echo-request', { proto: 'icmp', extra: { 'icmp-type': '8' } });
  no('-p icmp --icmp-type 8', { proto: 'icmp', extra: { 'icmp-type': 'echo-reply' } });
  yes('-p icmp ! --icmp-type 8', { proto: 'icmp', extra: { 'icmp-type': '0' } });
  yes('-p icmp --icmp-type port-unreachable', { proto: 'icmp', extra: { 'icmp-type': '3/3' } });
  no('-p icmp --icmp-type 3/1', { proto: 'icmp', extra: { 'icmp-type': '3/3' } });
  yes('-p icmp --icmp-type any', { proto: 'icmp' });
  unsure('-p icmp --icmp-type 3/1', { proto: 'icmp', extra: { 'icmp-type': '3' } });
  unsure('-p icmp --icmp-type 8', { proto: 'icmp' });
});

test('undecidable matches: named, assume nomatch/match, a decided false wins', () => {
  for (const m of ['-m statistic --mode random --probability 0.5', '-m recent --name x --rcheck', '-m set --match-set S src', '-m limit --limit 1/s']) {
    const j = unsure(m, {});
    assert.equal(j.undecided?.length, 1, m);
    const k = judge(m, {}, { assume: 'match' });
    assert.deepEqual(pick(k), { matched: true, decided: false }, m);
    assert.ok(k.r.notes.some((n) => /assumes it matches/.test(n)));
  }
  assert.deepEqual(pick(judge('-m statistic --mode random --probability 0.5 -s 1.1.1.1', { src: '2.2.2.2' }, { assume: 'match' })), {
    matched: false,
    decided: true,
  });
  // -m recent --set adds the source and always matches (kube-proxy's session affinity before its DNAT)
  yes('-m recent --name KUBE-SEP-X --set --mask 255.255.255.255 --rsource', {});
  no('-m recent --name x ! --set', {});
  assert.deepEqual(judge('-m statistic --mode nth --every 2 -m recent --name x --rcheck', {}).undecided, ['-m statistic', '-m recent']);
});

const JUMPS = `*mangle
:PREROUTING ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
-A PREROUTING -j A
-A PREROUTING -j MARK --or-mark 0x100
-A A -j MARK --or-mark 0x1
-A A -g B
-A A -j MARK --or-mark 0x2
-A B -j MARK --or-mark 0x10
-A B -j RETURN
-A B -j MARK --or-mark 0x20
COMMIT
`;

test('jump, goto and RETURN: a RETURN after a goto goes back to the caller of the chain that did the goto', () => {
  const r = run(JUMPS, 'PREROUTING');
  assert.deepEqual(
    r.path.map((s) => [s.line + 1, s.chain, s.action, s.depth]),
    [
      [5, 'PREROUTING', 'jump', 0],
      [7, 'A', 'continue', 1],
      [8, 'A', 'goto', 1],
      [10, 'B', 'continue', 1],
      [11, 'B', 'return', 1],
      [6, 'PREROUTING', 'continue', 0],
    ],
  );
  assert.equal(r.nfmark, 0x111); // 0x1 | 0x10 | 0x100; 0x2 and 0x20 never run
  assert.equal(r.verdict, 'ACCEPT');
});

test('a goto from the built-in chain: the end of the chain gone to applies the policy', () => {
  const text = '*filter\n:INPUT DROP [0:0]\n:U - [0:0]\n-A INPUT -g U\n-A INPUT -j ACCEPT\n-A U -j MARK --set-mark 0x7\nCOMMIT\n';
  const r = run(text, 'INPUT');
  assert.equal(r.verdict, 'DROP');
  assert.equal(r.tables.find((t) => t.table === 'filter')?.policyLine, 1);
  assert.equal(r.verdictLine, undefined);
  assert.equal(r.nfmark, 7);
  assert.ok(!r.path.some((s) => s.line === 4), 'the rule after the goto is not reached');
});

test('policies: end of the built-in chain, RETURN in it, user-chain end returns', () => {
  const text =
    '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:U - [0:0]\n-A INPUT -j U\n-A INPUT -p tcp -j RETURN\n-A INPUT -j ACCEPT\n-A U -p udp -j ACCEPT\nCOMMIT\n';
  assert.equal(run(text, 'INPUT', { proto: 'udp' }).verdict, 'ACCEPT');
  const tcp = run(text, 'INPUT', { proto: 'tcp' });
  assert.equal(tcp.verdict, 'DROP');
  assert.equal(tcp.tables.find((t) => t.table === 'filter')?.policyLine, 1);
  assert.equal(run(text, 'INPUT', { proto: 'icmp' }).verdict, 'ACCEPT');
  assert.equal(run(text, 'INPUT', { proto: 'icmp' }).verdictLine, undefined); // ACCEPT of a table is not the hook's verdict line
  assert.equal(run(text, 'FORWARD', {}).verdict, 'ACCEPT');
});

test('ACCEPT ends the table, the next table runs; DROP ends the hook', () => {
  const text =
    '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\n-A PREROUTING -j MARK --set-mark 0x1\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-mark 0x2\n-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4\n-A PREROUTING -j MARK --set-mark 0x3\nCOMMIT\n*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -s 9.9.9.9 -j DROP\nCOMMIT\n';
  const r = run(text, 'PREROUTING', { proto: 'tcp', state: 'NEW', src: '1.1.1.1' });
  assert.deepEqual(
    r.path.map((s) => s.line + 1),
    [14, 3, 8, 9],
  );
  assert.equal(r.nfmark, 2);
  const nat = r.tables.find((t) => t.table === 'nat')!;
  assert.equal(nat.line, 8); // DNAT ends nat
  assert.equal(r.verdict, 'ACCEPT');
  const d = run(text, 'PREROUTING', { proto: 'tcp', state: 'NEW', src: '9.9.9.9' });
  assert.equal(d.verdict, 'DROP');
  assert.equal(d.verdictLine, 13);
  assert.deepEqual(
    d.tables.map((t) => t.table),
    ['raw'],
  );
});

test('tables per hook in the kernel order', () => {
  const tables: Record<string, string[]> = {
    raw: ['PREROUTING', 'OUTPUT'],
    mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
    nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
    filter: ['INPUT', 'FORWARD', 'OUTPUT'],
    security: ['INPUT', 'FORWARD', 'OUTPUT'],
  };
  let text = '';
  for (const [t, chains] of Object.entries(tables)) {
    text += `*${t}\n` + chains.map((c) => `:${c} ACCEPT [0:0]\n`).join('') + chains.map((c) => `-A ${c} -m comment --comment ${t}\n`).join('') + 'COMMIT\n';
  }
  const expected: Record<Hook, string[]> = {
    PREROUTING: ['raw', 'mangle', 'nat'],
    // iptables-nft: security INPUT at priority 150, after nat INPUT (100)
    INPUT: ['mangle', 'filter', 'nat', 'security'],
    FORWARD: ['mangle', 'filter', 'security'],
    OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
    POSTROUTING: ['mangle', 'nat'],
  };
  for (const [hook, order] of Object.entries(expected) as [Hook, string[]][]) {
    const r = run(text, hook, { state: 'NEW' });
    assert.deepEqual(
      r.path.map((s) => s.table),
      order,
      hook,
    );
    assert.deepEqual(
      r.tables.map((t) => t.table),
      order,
      hook,
    );
    // --table limits the walk to one table
    assert.deepEqual(
      run(text, hook, { state: 'NEW' }, { table: 'mangle' }).path.map((s) => s.table),
      ['mangle'],
    );
  }
});

test('nat sees only NEW packets: skipped for ESTABLISHED (with a note), assumed NEW when unknown', () => {
  const text = '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DNAT --to-destination 1.2.3.4\nCOMMIT\n';
  const est = run(text, 'PREROUTING', { state: 'ESTABLISHED' });
  assert.equal(est.path.length, 0);
  assert.ok(est.notes.some((n) => /nat\/PREROUTING skipped.*ESTABLISHED/.test(n)));
  assert.equal(run(text, 'PREROUTING', { state: 'NEW' }).path.length, 1);
  const unk = run(text, 'PREROUTING', {});
  assert.equal(unk.path.length, 1);
  assert.ok(unk.notes.some((n) => /assumption.*first of its connection/.test(n)));
});

test('marks along the path: MARK, CONNMARK save/restore, values computed by hand from the kernel formulas', () => {
  const text = `*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xff00
-A PREROUTING -j MARK --set-xmark 0x4000/0x4000
-A PREROUTING -j MARK --xor-mark 0x1
-A PREROUTING -j CONNMARK --save-mark --nfmask 0xffff --ctmask 0xffff
-A PREROUTING -m mark --mark 0x4a01 -j MARK --and-mark 0xf0f0
COMMIT
`;
  const r = run(text, 'PREROUTING', { nfmark: 0x10000001, ctmark: 0x12345a78, state: 'ESTABLISHED' });
  // restore: nf = (nf & ~0xff00) ^ (ct & 0xff00) = 0x10000001 ^ 0x5a00 = 0x10005a01
  // or 0x4000: 0x10005a01 (bit already set); xor 1: 0x10005a00
  // save: ct = (ct & ~0xffff) ^ (nf & 0xffff) = 0x12340000 ^ 0x5a00 = 0x12345a00
  // -m mark 0x4a01 (full mask) fails on 0x10005a00
  assert.deepEqual(
    r.path.map((s) => [s.after.nfmark, s.after.ctmark]),
    [
      [0x10005a01, 0x12345a78],
      [0x10005a01, 0x12345a78],
      [0x10005a00, 0x12345a78],
      [0x10005a00, 0x12345a00],
      [0x10005a00, 0x12345a00],
    ],
  );
  assert.equal(r.path[4].matched, false);
  assert.equal(r.nfmark, 0x10005a00);
  assert.equal(r.ctmark, 0x12345a00);
});

test('raw runs before conntrack: no entry (ctstate INVALID, connmark fails, CONNMARK does nothing); NOTRACK makes it UNTRACKED; a NEW entry starts with ctmark 0', () => {
  // the facts checked in a network namespace with iptables 1.8.9 (nf_tables) on an OUTPUT udp packet
  const text = `*raw
:OUTPUT ACCEPT [0:0]
-A OUTPUT -m conntrack --ctstate INVALID -j MARK --or-mark 0x1
-A OUTPUT -m state --state UNTRACKED -j MARK --or-mark 0x2
-A OUTPUT -m connmark ! --mark 0x1 -j MARK --or-mark 0x4
-A OUTPUT -m conntrack --ctstate INVALID --ctproto tcp -j MARK --or-mark 0x8
-A OUTPUT -j CONNMARK --set-mark 0x99
-A OUTPUT -j CT --notrack
-A OUTPUT -m state --state UNTRACKED -j MARK --or-mark 0x10
-A OUTPUT -m conntrack --ctstate INVALID -j MARK --or-mark 0x20
COMMIT
*mangle
:OUTPUT ACCEPT [0:0]
-A OUTPUT -m state --state UNTRACKED -j MARK --or-mark 0x100
COMMIT
*nat
:OUTPUT ACCEPT [0:0]
-A OUTPUT -j MARK --or-mark 0x1000
COMMIT
`;
  const r = run(text, 'OUTPUT', { state: 'NEW', ctmark: 0x55 });
  assert.equal(r.nfmark, 0x1 | 0x8 | 0x10 | 0x100);
  assert.equal(r.ctmark, 0x55, 'after NOTRACK there is no entry: the ctmark is not reset nor set');
  assert.ok(r.notes.some((n) => /CONNMARK does nothing/.test(n)));
  assert.ok(r.notes.some((n) => /nat\/OUTPUT skipped.*UNTRACKED/.test(n)));
  const tracked = `*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m connmark --mark 0x0 -j MARK --or-mark 0x1\nCOMMIT\n*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m connmark --mark 0x0 -j MARK --or-mark 0x2\nCOMMIT\n`;
  const n = run(tracked, 'PREROUTING', { state: 'NEW', ctmark: 0x7 });
  assert.equal(n.nfmark, 0x2);
  assert.equal(n.ctmark, 0);
  const e = run(tracked, 'PREROUTING', { state: 'ESTABLISHED', ctmark: 0x7 });
  assert.equal(e.nfmark, 0);
  assert.equal(e.ctmark, 7);
});

test('TPROXY: undecidable socket lookup, follows assume', () => {
  const text = '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 3128 --tproxy-mark 0x1/0x1\nCOMMIT\n';
  const no = run(text, 'PREROUTING', { proto: 'tcp', dport: 80, nfmark: 0x10 });
  assert.equal(no.verdict, 'DROP');
  assert.equal(no.nfmark, 0x10);
  assert.equal(no.path[0].decided, false);
  const yes = run(text, 'PREROUTING', { proto: 'tcp', dport: 80, nfmark: 0x10 }, { assume: 'match' });
  assert.equal(yes.verdict, 'ACCEPT');
  assert.equal(yes.nfmark, 0x11);
});

test('loops: a jump or goto to a chain on the stack stops the walk; maxSteps guards', () => {
  const j = run('*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n', 'INPUT');
  assert.equal(j.loop?.line, 6);
  assert.equal(j.loop?.chain, 'A');
  const g = run('*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -g B\n-A B -g A\nCOMMIT\n', 'INPUT');
  assert.equal(g.loop?.line, 6);
  const self = run('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j INPUT\nCOMMIT\n', 'INPUT');
  assert.equal(self.loop, undefined, 'a built-in chain is not a jump target: unknown target, goes on');
  // no loop: the same chain called twice in sequence
  const twice = run('*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n-A INPUT -j A\n-A INPUT -j A\n-A A -j MARK --xor-mark 0x1\nCOMMIT\n', 'INPUT');
  assert.equal(twice.loop, undefined);
  assert.equal(twice.nfmark, 0);
  const many = run('*filter\n:INPUT ACCEPT [0:0]\n' + '-A INPUT -j MARK --xor-mark 0x1\n'.repeat(50) + 'COMMIT\n', 'INPUT', {}, { maxSteps: 10 });
  assert.ok(many.loop && /10 rule evaluations/.test(many.loop.message));
  assert.equal(many.path.length, 10);
});

test('unknown targets go on with a note; -s a,b is one kernel rule per address, each evaluated', () => {
  const text = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOSUCH\n-A INPUT -s 10.0.0.0/8,10.1.0.0/16 -d 1.1.1.1,2.2.2.2 -j MARK --xor-mark 0x3\nCOMMIT\n';
  const r = run(text, 'INPUT', { src: '10.1.0.1', dst: '2.2.2.2' });
  assert.ok(r.notes.some((n) => /unknown target NOSUCH/.test(n)));
  assert.ok(r.notes.some((n) => /4 kernel rules/.test(n)));
  // sources outer, destinations inner: (10/8,1.1.1.1) (10/8,2.2.2.2) (10.1/16,1.1.1.1) (10.1/16,2.2.2.2)
  assert.deepEqual(
    r.path.map((s) => [s.line, s.matched]),
    [
      [2, true],
      [3, false],
      [3, true],
      [3, false],
      [3, true],
    ],
  );
  assert.equal(r.nfmark, 0, 'xor 0x3 twice');
  assert.equal(run(text, 'INPUT', { src: '10.2.0.1', dst: '2.2.2.2' }).nfmark, 3);
});

test('shell scripts: -t, -N, -A, -I [n], -D, -F, -P, -X and skipped expansions', () => {
  const script = `#!/bin/sh
iptables -P INPUT DROP
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
iptables -I INPUT -s 10.0.0.0/8 -j DROP
iptables -I INPUT 2 -p tcp --dport 23 -j REJECT
iptables -N LOGD
iptables -A LOGD -j LOG
iptables -A LOGD -j DROP
iptables -A INPUT -p udp -j LOGD
iptables -t mangle -A PREROUTING -j MARK --set-mark 0x5
iptables -t mangle -A PREROUTING -j MARK --set-mark 0x6
iptables -t mangle -D PREROUTING 2
iptables -A INPUT -p icmp -j ACCEPT
iptables -D INPUT -p icmp -j ACCEPT
iptables -A INPUT -j $CHAIN
$IPT -A $WHERE -j ACCEPT
iptables -t raw -A PREROUTING -j MARK --set-mark 0x9
iptables -t raw -F
ip6tables -A INPUT -p tcp -j ACCEPT
`;
  const doc = new RuleDocument(script, 'shell');
  const w = (p: Partial<Packet>, hook: Hook = 'INPUT') => walk(doc, { hook, packet: pk(p) });
  assert.deepEqual(
    w({ src: '10.1.1.1' })
      .path.map((s) => s.line + 1)
      .slice(0, 1),
    [4],
  );
  assert.equal(w({ src: '10.1.1.1' }).verdict, 'DROP');
  assert.equal(w({ src: '1.1.1.1', proto: 'tcp', dport: 23 }).verdict, 'REJECT');
  assert.equal(w({ src: '1.1.1.1', proto: 'tcp', dport: 23 }).verdictLine, 4);
  const ssh = w({ src: '1.1.1.1', proto: 'tcp', dport: 22 });
  assert.equal(ssh.verdict, 'ACCEPT');
  assert.equal(ssh.verdictLine, undefined);
  assert.equal(ssh.tables.find((t) => t.table === 'filter')?.line, 2);
  const udp = w({ src: '1.1.1.1', proto: 'udp' });
  assert.equal(udp.verdict, 'DROP');
  assert.equal(udp.verdictLine, 7);
  // icmp: the -A then -D leaves no rule; `-j $CHAIN` is not known; the policy DROP (line 2) decides
  const icmp = w({ src: '1.1.1.1', proto: 'icmp' });
  assert.equal(icmp.verdict, 'DROP');
  assert.equal(icmp.tables.find((t) => t.table === 'filter')?.policyLine, 1);
  assert.ok(
    icmp.notes.some((n) => /line 16: skipped/.test(n)),
    icmp.notes.join('\n'),
  );
  const pre = w({ state: 'NEW' }, 'PREROUTING');
  assert.equal(pre.nfmark, 5, '-D PREROUTING 2 removed the second MARK; -t raw -F flushed raw');
  // ip6tables rules are their own rule set
  assert.equal(w({ src: '2001:db8::1', proto: 'tcp', dport: 23 }).verdict, 'ACCEPT');
});

test('listings are not walked (a note, no throw); unknown hook gives a note', () => {
  const l = walk(new RuleDocument('Chain INPUT (policy DROP)\ntarget prot opt source destination\nACCEPT all -- 0.0.0.0/0 0.0.0.0/0\n', 'listing'), {
    hook: 'INPUT',
    packet: pk(),
  });
  assert.equal(l.path.length, 0);
  assert.ok(/listings are not walked/.test(l.notes[0]));
  const h = walk(save('*filter\nCOMMIT\n'), { hook: 'NOPE' as Hook, packet: pk() });
  assert.ok(/unknown hook/.test(h.notes[0]));
});

test('the walk is cached per revision and sees edits', () => {
  const doc = save('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -j DROP\nCOMMIT\n');
  const o: WalkOptions = { hook: 'INPUT', packet: pk({ proto: 'tcp' }) };
  assert.equal(walk(doc, o).verdict, 'DROP');
  doc.applyEdit({ start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, '-A INPUT -p tcp -j ACCEPT\n');
  assert.equal(walk(doc, o).verdict, 'ACCEPT');
  doc.applyEdit({ start: { line: 2, character: 0 }, end: { line: 3, character: 0 } }, '');
  assert.equal(walk(doc, o).verdict, 'DROP');
});

function mulberry32(a: number) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('never throws: 500 random documents and packets', () => {
  const rand = mulberry32(7);
  const pickOne = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const words = [
    '-A',
    '-I',
    '-D',
    '-N',
    '-F',
    '-X',
    '-P',
    '-j',
    '-g',
    '-m',
    '-s',
    '-d',
    '-p',
    '!',
    '-i',
    '-o',
    '--dport',
    '--sport',
    'INPUT',
    'PREROUTING',
    'OUTPUT',
    'A',
    'B',
    'C',
    'RETURN',
    'ACCEPT',
    'DROP',
    'MARK',
    '--set-mark',
    '0x1/0x3',
    'mark',
    '--mark',
    'tcp',
    'udp',
    '10.0.0.0/8',
    '::1/128',
    '1:2',
    ':',
    'multiport',
    '--dports',
    '1,2:3',
    'conntrack',
    '--ctstate',
    'NEW',
    'CONNMARK',
    '--save-mark',
    'TPROXY',
    'DNAT',
    '"x',
    '*filter',
    '*nat',
    ':A - [0:0]',
    'COMMIT',
    '$X',
    '-t',
    'raw',
    '1',
    '0',
    'statistic',
    'comment',
    'addrtype',
    '--src-type',
    'iprange',
    '--src-range',
    '1.1.1.1-2.2.2.2',
  ];
  const hooks: Hook[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];
  for (let k = 0; k < 500; k++) {
    const lines: string[] = [];
    const n = 1 + Math.floor(rand() * 25);
    for (let i = 0; i < n; i++) {
      const len = Math.floor(rand() * 9);
      const ws: string[] = [];
      for (let j = 0; j < len; j++) ws.push(pickOne(words));
      lines.push(
        (rand() < 0.3
          ? pickOne(['*filter', '*mangle', '*nat', '*raw', 'COMMIT', ':INPUT DROP [0:0]', ':A - [0:0]', '-A A -j A', '-A INPUT -j A']) + ' '
          : k % 2
            ? 'iptables '
            : '') + ws.join(' '),
      );
    }
    const doc = new RuleDocument(lines.join('\n'), k % 2 ? 'shell' : 'save');
    const packet: Packet = pk({
      src: pickOne([undefined, '10.1.2.3', '2001:db8::1', 'garbage']),
      proto: pickOne([undefined, 'tcp', 'udp', '300']),
      dport: pickOne([undefined, 80, 70000]),
      state: pickOne([undefined, 'NEW', 'ESTABLISHED', 'BOGUS']),
      nfmark: Math.floor(rand() * 0x100000000),
    });
    const r = walk(doc, { hook: pickOne(hooks), packet, assume: pickOne(['match', 'nomatch'] as const), maxSteps: 1000 });
    assert.equal(typeof r.verdict, 'string');
    assert.ok(r.path.every((s) => s.line >= 0 && s.line < doc.lines.length));
    assert.ok(r.nfmark >= 0 && r.nfmark <= 0xffffffff);
    assert.ok(!r.notes.some((x) => /internal error/.test(x)), r.notes.join('\n') + '\n' + lines.join('\n'));
  }
});

test('`! --sport a ! --dport b`: decided where iptables-nft and iptables-legacy agree, undecided where they part', async () => {
  const { walk } = await import('../../server/src/core/iptables/walk/walk');
  const { RuleDocument } = await import('../../server/src/core/iptables/syntax/document');
  const text = '*mangle\n-A OUTPUT -p udp ! --sport 5000 ! --dport 53 -j MARK --or-mark 0x1\nCOMMIT\n';
  const run = (sport: number, dport: number) =>
    walk(new RuleDocument(text, 'save'), { hook: 'OUTPUT', packet: { nfmark: 0, ctmark: 0, proto: 'udp', sport, dport } }).path[0];
  assert.deepEqual([run(1, 2).matched, run(1, 2).decided], [true, true], 'both differ: both readings match');
  assert.deepEqual([run(5000, 53).matched, run(5000, 53).decided], [false, true], 'both equal: neither matches');
  const split = run(5000, 2);
  assert.equal(split.decided, false);
  assert.match(split.undecided!.join(' '), /either port differs/);
});

test("INPUT: nat before security (iptables-nft priorities 100 < 150), with a note naming iptables-legacy's other order", () => {
  // the minimal case the kernel differential found: security INPUT drops, nat INPUT still counts
  const text = '*security\n:INPUT DROP [0:0]\nCOMMIT\n*nat\n:INPUT ACCEPT [0:0]\n-A INPUT -j MARK --or-mark 0x2\nCOMMIT\n';
  const r = run(text, 'INPUT', { state: 'NEW', nfmark: 0x1 });
  assert.deepEqual(
    r.path.map((s) => [s.table, s.line + 1, s.matched]),
    [['nat', 6, true]],
  );
  assert.deepEqual(
    r.tables.map((t) => [t.table, t.verdict]),
    [
      ['mangle', 'ACCEPT'],
      ['filter', 'ACCEPT'],
      ['nat', 'ACCEPT'],
      ['security', 'DROP'],
    ],
  );
  assert.equal(r.verdict, 'DROP');
  assert.equal(r.nfmark, 0x3);
  assert.ok(
    r.notes.some((n) => /nat \(priority 100\) is walked before security \(150\).*iptables-legacy/.test(n)),
    r.notes.join(' | '),
  );
  // no note when only one of the two is used
  const only = run('*security\n:INPUT DROP [0:0]\nCOMMIT\n', 'INPUT', { state: 'NEW' });
  assert.ok(!only.notes.some((n) => /iptables-legacy/.test(n)));
});

test("POSTROUTING: -i (in a user chain) is the forwarded packet's input interface, undecided without one; a lone + always matches", () => {
  // as the kernel differential shows: ip_output passes the input device to POSTROUTING
  const text =
    '*mangle\n:POSTROUTING ACCEPT [0:0]\n:IF - [0:0]\n-A POSTROUTING -j IF\n-A IF -i vth0 -j MARK --or-mark 0x1\n-A IF -i + -j MARK --or-mark 0x2\n-A IF ! -i + -j MARK --or-mark 0x4\nCOMMIT\n';
  const fwd = run(text, 'POSTROUTING', { in: 'vth0', out: 'dum0', state: 'NEW' });
  assert.deepEqual(
    fwd.path.map((s) => [s.line + 1, s.matched, s.decided]),
    [
      [4, true, true],
      [5, true, true],
      [6, true, true],
      [7, false, true],
    ],
  );
  assert.equal(fwd.nfmark, 0x3);
  const local = run(text, 'POSTROUTING', { out: 'dum0', state: 'NEW' });
  assert.deepEqual(
    local.path.map((s) => [s.line + 1, s.matched, s.decided]),
    [
      [4, true, true],
      [5, false, false],
      [6, true, true],
      [7, false, true],
    ],
  );
  assert.equal(local.nfmark, 0x2);
  // the same lone + in INPUT's -o (no output interface there)
  const inp = run(
    '*filter\n:INPUT ACCEPT [0:0]\n:U - [0:0]\n-A INPUT -j U\n-A U -o + -j MARK --or-mark 0x8\n-A U -o dum0 -j MARK --or-mark 0x10\nCOMMIT\n',
    'INPUT',
    { in: 'vth0', out: 'dum0' },
  );
  assert.equal(inp.nfmark, 0x8);
});
