/**
 * The packet walk in the editor: lenses on built-in chains, the pinned walk's inlay hints
 * (which replace the straight-read mark hints on its path), and the hover on a rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EOLS, cursor, openDoc, withEol } from './fixture';
import { DEFAULT_SERVICE_SETTINGS } from '../../server/src/core/service/service';
import { WALK_COMMAND, WalkRequest } from '../../server/src/core/iptables/walk/walkView';

const ALL = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } };

const RULES = `# sample: src=10.244.1.5 dst=10.96.0.10 proto=tcp dport=80 in=eth0 state=NEW
*mangle
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:MARKS - [0:0]
-A PREROUTING -s 10.244.0.0/16 -j MARKS
-A PREROUTING -j MARK --or-mark 0x1
-A MARKS -p udp -j MARK --set-xmark 0x8/0xffffffff
-A MARKS -p tcp --dport 80 -j MARK --set-xmark 0x4000/0x4000
-A MARKS -j RETURN
-A MARKS -j MARK --set-mark 0x2
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 10.96.0.10/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.2.7:8080
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
COMMIT
`;
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

test('a lens on each built-in chain that starts a hook, one for the whole hook and one for its table alone', () => {
  const { svc, uri } = openDoc(RULES);
  const lenses = svc.codeLenses(uri);
  const whole = lenses.filter((l) => !(l.command!.arguments![0] as WalkRequest).table);
  assert.deepEqual(
    whole.map((l) => [l.range.start.line, (l.command!.arguments![0] as WalkRequest).hook]),
    [
      [lineOf(RULES, ':PREROUTING'), 'PREROUTING'],
      [lineOf(RULES, ':OUTPUT'), 'OUTPUT'],
      [lineOf(RULES, '*nat') + 1, 'PREROUTING'],
      [lineOf(RULES, '*nat') + 2, 'POSTROUTING'],
      [lineOf(RULES, '*filter') + 1, 'INPUT'],
      [lineOf(RULES, '*filter') + 2, 'FORWARD'],
    ],
  );
  assert.equal(lenses.length, whole.length * 2);
  assert.ok(lenses.every((l) => l.command!.command === WALK_COMMAND));
  assert.match(whole[0].command!.title, /Walk sample packet through PREROUTING \(raw → mangle → nat\)/);
  // no lens on a user chain
  assert.ok(!lenses.some((l) => l.range.start.line === lineOf(RULES, ':MARKS')));
});

for (const eol of EOLS) {
  test(`walking pins the path: the lens shows the verdict, hints sit on the rules hit (${JSON.stringify(eol)})`, () => {
    const text = withEol(RULES, eol);
    const { svc, uri } = openDoc(text);
    const line = lineOf(RULES, ':PREROUTING');
    const view = svc.walk({ uri, hook: 'PREROUTING', line })!;
    // mangle: jump to MARKS, udp rule no, tcp/80 ORs 0x4000, RETURN; then --or-mark 0x1; nat DNAT
    const hits = view.steps.filter((s) => s.matched).map((s) => s.line);
    assert.deepEqual(hits, [
      lineOf(RULES, '-A PREROUTING -s 10.244'),
      lineOf(RULES, '--dport 80 -j MARK'),
      lineOf(RULES, '-A MARKS -j RETURN'),
      lineOf(RULES, '--or-mark 0x1'),
      lineOf(RULES, '-j DNAT'),
    ]);
    assert.equal(view.result.nfmark, 0x4001);
    assert.match(view.summary, /^ACCEPT .*nfmark 0x00004001/);
    // the set-mark after RETURN is never reached
    assert.ok(!view.steps.some((s) => s.line === lineOf(RULES, '--set-mark 0x2')));

    const lens = svc.codeLenses(uri).find((l) => l.range.start.line === line && !(l.command!.arguments![0] as WalkRequest).table)!;
    assert.match(lens.command!.title, /PREROUTING: ACCEPT/);

    const hints = svc.inlayHints(uri, ALL);
    const at = (needle: string) => hints.filter((h) => h.position.line === lineOf(RULES, needle)).map((h) => h.label);
    assert.deepEqual(at('--dport 80 -j MARK'), ['✓ PREROUTING => nfmark 0x00004000']);
    assert.deepEqual(at('--or-mark 0x1'), ['✓ PREROUTING => nfmark 0x00004001']);
    // off the path, the straight-read mark hint stays (udp rule not hit by the walk keeps none: it is on the path)
    assert.deepEqual(at('-p udp -j MARK'), []);
    assert.equal(at('--set-mark 0x2').length, 1);
    assert.match(String(at('--set-mark 0x2')[0]), /^=> /);

    svc.clearWalk(uri);
    assert.ok(!svc.inlayHints(uri, ALL).some((h) => String(h.label).startsWith('✓')));
  });
}

test('the pinned walk follows edits: a changed port stops the mark', () => {
  const { svc, uri } = openDoc(RULES);
  const line = lineOf(RULES, ':PREROUTING');
  assert.equal(svc.walk({ uri, hook: 'PREROUTING', line })!.result.nfmark, 0x4001);
  const l = lineOf(RULES, '--dport 80 -j MARK');
  const c = RULES.split('\n')[l].indexOf('80');
  svc.change(uri, [{ range: { start: { line: l, character: c }, end: { line: l, character: c + 2 } }, text: '81' }], 2);
  const lens = svc.codeLenses(uri).find((x) => x.range.start.line === line)!;
  assert.match(lens.command!.title, /nfmark 0x00000001/);
});

test('hover on a rule: reached or not, matched or not, marks before and after', () => {
  const c = cursor(RULES.replace('-A MARKS -p tcp --dport 80', '-A MARKS -p tcp --dport $080'));
  const { svc, uri } = openDoc(c.text);
  const h = svc.hover(uri, c.pos)!;
  const v = (h.contents as { value: string }).value;
  assert.match(v, /Sample packet\*\* `src=10\.244\.1\.5 dst=10\.96\.0\.10 proto=tcp/);
  assert.match(v, /\*\*PREROUTING\*\*: reached in mangle\/MARKS \(depth 1\), matches; nfmark 0x00000000 ctmark 0x00000000 → nfmark 0x00004000/);

  const u = cursor(RULES.replace('-A MARKS -j MARK --set-mark', '-A MARKS -j MARK --set$0-mark'));
  const o = openDoc(u.text);
  const hv = (o.svc.hover(o.uri, u.pos)!.contents as { value: string }).value;
  assert.match(hv, /Not reached/);
  // the mark hover is still there, above the walk
  assert.ok(hv.indexOf('Not reached') > hv.indexOf('---'));
});

test('a sample packet from the settings when no comment says otherwise', () => {
  const text = RULES.split('\n').slice(1).join('\n');
  const c = cursor(text.replace('-A MARKS -p udp', '-A MARKS -p $0udp'));
  const { svc, uri } = openDoc(c.text);
  const settings = { ...DEFAULT_SERVICE_SETTINGS, packet: { src: '10.244.3.3', proto: 'udp' } };
  const v = (svc.hover(uri, c.pos, settings)!.contents as { value: string }).value;
  assert.match(v, /reached in mangle\/MARKS \(depth 1\), matches/);
  const none = (svc.hover(uri, c.pos)!.contents as { value: string }).value;
  assert.match(none, /Not reached/, 'without a source address the -s test is undecided and assumed not to match');
});

test('shell scripts get a lens on the first line of each built-in chain', () => {
  const sh = `#!/bin/sh
iptables -t mangle -A PREROUTING -j MARK --set-mark 1
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
iptables -N USERS
`;
  const { svc, uri } = openDoc(sh, 'shell', 'file:///t/fw.sh');
  const lenses = svc.codeLenses(uri).filter((l) => !(l.command!.arguments![0] as WalkRequest).table);
  assert.deepEqual(
    lenses.map((l) => [l.range.start.line, (l.command!.arguments![0] as WalkRequest).hook]),
    [
      [1, 'PREROUTING'],
      [2, 'INPUT'],
    ],
  );
});

test('listings get no lens', () => {
  const { svc, uri } = openDoc('Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\n', 'listing', 'file:///t/l.txt');
  assert.deepEqual(svc.codeLenses(uri), []);
});
