/**
 * What iptables-restore 1.8.9 really accepts, class by class (issue 13): how it splits each
 * kind of line, its line buffer and `\r`, user chains named like targets, chain names, REJECT
 * types per family, the kernel's jump depth, --noflush, and files of command lines. Each
 * expectation was checked against iptables-restore loading the same text for real in a
 * network namespace; test/kernel/corpus-mutations.test.ts keeps checking the classes on
 * mutations of the corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NfRulesService, DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from '../../server/src/core/service/service';
import { detectFormat } from '../../server/src/core/iptables/syntax/document';

const NOFLUSH: ServiceSettings = { ...DEFAULT_SERVICE_SETTINGS, noflush: true };

/** Errors as `line: message` (1-based), in line order. */
function errors(text: string, opts: { uri?: string; family?: 4 | 6; settings?: ServiceSettings; language?: string } = {}): string[] {
  const svc = new NfRulesService();
  const uri = opts.uri ?? 'file:///t/rules';
  svc.open(uri, text, opts.language ?? 'iptables', 0, undefined, opts.family);
  return svc
    .diagnostics(uri, opts.settings ?? DEFAULT_SERVICE_SETTINGS)
    .filter((d) => d.severity === 1)
    .sort((a, b) => a.range.start.line - b.range.start.line)
    .map((d) => `${d.range.start.line + 1}: ${String(d.message)}`);
}
const first = (text: string, opts?: Parameters<typeof errors>[1]) => errors(text, opts)[0];

test('table headers: blanks and tabs after the star, words after the name are what iptables reads', () => {
  assert.deepEqual(errors('* filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n'), []);
  assert.deepEqual(errors('*\tmangle\nCOMMIT\n'), []);
  assert.deepEqual(errors('*filter x y\nCOMMIT\n'), []);
  assert.match(first('*\n')!, /^1: .*table name/);
  // a blank before the star: not a header (outside a table, iptables-restore: line 1 failed)
  assert.match(first(' *filter\nCOMMIT\n')!, /^1: /);
});

test('chain lines: split at blanks and tabs, the policy required, counters and further words ignored', () => {
  assert.deepEqual(errors('*filter\n: INPUT ACCEPT [0:0]\n:X\t-\t[0:0]\n:Y -\n:Z - [a:b] more\nCOMMIT\n'), []);
  assert.equal(first('*filter\n:\nCOMMIT\n'), '2: chain name invalid');
  assert.match(first('*filter\n:X\nCOMMIT\n')!, /^2: policy invalid/);
  assert.match(first('*filter\n:INPUT FOO [0:0]\nCOMMIT\n')!, /^2: Bad policy name/);
  // a user chain's policy is not read
  assert.deepEqual(errors('*filter\n:X FOO [0:0]\nCOMMIT\n'), []);
});

test('chain names: under 29 characters, no leading - or !, not a verdict', () => {
  const n28 = 'A'.repeat(28);
  const n29 = 'A'.repeat(29);
  assert.deepEqual(errors(`*filter\n:${n28} - [0:0]\nCOMMIT\n`), []);
  assert.equal(first(`*filter\n:${n29} - [0:0]\nCOMMIT\n`), `2: chain name \`${n29}' too long (must be under 29 chars)`);
  assert.equal(first('*filter\n:-X - [0:0]\nCOMMIT\n'), "2: chain name not allowed to start with `-'");
  assert.equal(first('*filter\n:!X - [0:0]\nCOMMIT\n'), "2: chain name not allowed to start with `!'");
  assert.equal(first('*filter\n:QUEUE - [0:0]\nCOMMIT\n'), '2: chain name may not clash with target name');
  // other targets' names are fine as chain names in a restore file
  assert.deepEqual(errors('*filter\n:LOG - [0:0]\n:NFQUEUE - [0:0]\nCOMMIT\n'), []);
});

test('COMMIT exactly, comments only at column 0, a line of blanks is a rule without a command', () => {
  assert.equal(first('*filter\nCOMMIT \n'), "2: Bad argument `COMMIT'");
  assert.equal(first('*filter\nCOMMIT x\n'), "2: Bad argument `COMMIT'");
  assert.equal(first('*filter\n # note\nCOMMIT\n'), "2: Bad argument `#'");
  assert.equal(first('*filter\n-A INPUT -j ACCEPT #c\nCOMMIT\n'), "2: Bad argument `#c'");
  assert.equal(first('*filter\n \t\nCOMMIT\n'), '2: no command specified');
  assert.deepEqual(errors('*filter\n#x\n\nCOMMIT\n'), []);
});

test('rule counters: up to the first ], read only with --counters; the rule starts right after', () => {
  assert.deepEqual(errors('*filter\n[1:2] -A INPUT -j ACCEPT\n[a:b] -A INPUT -j ACCEPT\n[1:2]-A INPUT -j ACCEPT\nCOMMIT\n'), []);
  assert.equal(first('*filter\n[1:2 -A INPUT -j ACCEPT\nCOMMIT\n'), '2: Bad line 2: need ]');
  assert.equal(first('*filter\n[1:2]x -A INPUT -j ACCEPT\nCOMMIT\n'), "2: Bad argument `x'");
  assert.equal(first('*filter\n[1:2]\nCOMMIT\n'), '2: no command specified');
  // with a blank before it, `[1:2]` is a word
  assert.equal(first('*filter\n [1:2] -A INPUT -j ACCEPT\nCOMMIT\n'), "2: Bad argument `[1:2]'");
});

test('a missing COMMIT is reported where iptables-restore names it: after the last line', () => {
  assert.deepEqual(errors('*filter\n-A INPUT -j ACCEPT\n'), ['3: COMMIT expected at line 3: table filter (line 1) is never committed']);
});

test('the line buffer: 10239 bytes a piece; the rest of a longer line is read as a line of its own', () => {
  const comment = (n: number) => '#' + 'x'.repeat(n - 1);
  assert.deepEqual(errors(`*filter\n${comment(10239)}\n-A INPUT -j ACCEPT\nCOMMIT\n`), []);
  // 10240: the 10240th byte is a line of its own (`x`): a rule without a command
  const e = errors(`*filter\n${'#' + ' y'.repeat(5119) + 'z'}\n-A INPUT -j ACCEPT\nCOMMIT\n`);
  assert.equal(e.length, 1);
  assert.match(e[0], /^2: Bad argument `z' \(iptables-restore reads at most 10239 bytes of a line: the rest of this line, from column 10240, is its line 3\)$/);
  // a rule padded past the buffer: the piece after the cut has no command
  const rule = `-A INPUT${' '.repeat(10240)}-j ACCEPT`;
  assert.match(first(`*filter\n${rule}\nCOMMIT\n`)!, /^2: no command specified \(/);
  // a word of 1024 bytes
  assert.match(first(`*filter\n-A INPUT -m comment --comment ${'c'.repeat(1024)}\nCOMMIT\n`)!, /^2: Parameter too long!/);
});

test("CRLF: the \\r stays in the line's last word, as iptables-restore reads it", () => {
  assert.match(first('*filter\r\n:INPUT ACCEPT [0:0]\r\nCOMMIT\r\n')!, /^1: table name 'filter\r' invalid \(.*carriage return/);
  assert.match(first('*filter\n-A INPUT -j ACCEPT\r\nCOMMIT\n')!, /^2: Invalid target name `ACCEPT\r'/);
  assert.match(first('*filter\n\r\nCOMMIT\n')!, /^2: Bad argument `\r'/);
  assert.match(first('*filter\n:X\r\nCOMMIT\n')!, /^2: Invalid chain name `X\r'/);
  // comments and a chain line's counters take the \r without harm
  assert.deepEqual(errors('# x\r\n*filter\n:INPUT ACCEPT [0:0]\r\n-A INPUT -m comment --comment ok\r\nCOMMIT\n'), []);
  // CR-only line ends: one line for iptables-restore, three for the editor (LSP's line ends);
  // the file is refused, and nfrules warns on each lone \r (lone-carriage-return). Reading the
  // joined line as iptables does is open (issue 13).
  const svc = new NfRulesService();
  svc.open('file:///t/cr', '*filter\r:INPUT ACCEPT [0:0]\rCOMMIT\r', 'iptables');
  assert.deepEqual(
    svc.diagnostics('file:///t/cr').map((d) => `${d.range.start.line}: ${d.code}`),
    ['0: lone-carriage-return', '1: lone-carriage-return', '2: lone-carriage-return'],
  );
});

test('a user chain named like a target: -j jumps to the chain, whose "options" are unknown', () => {
  assert.deepEqual(errors('*filter\n:LOG - [0:0]\n-A LOG -j ACCEPT\n-A INPUT -j LOG\nCOMMIT\n'), []);
  assert.deepEqual(errors('*filter\n:CLASSIFY - [0:0]\n-A INPUT -j CLASSIFY\nCOMMIT\n'), []);
  assert.deepEqual(errors('*nat\n:DNAT - [0:0]\n-A POSTROUTING -j DNAT\nCOMMIT\n'), []);
  // declared after the jump: iptables took it for the target already
  assert.match(first('*filter\n-A INPUT -j MARK\n:MARK - [0:0]\nCOMMIT\n')!, /^2: MARK: /);
  // declared above in another table: a jump, to a chain this table lacks
  assert.match(first('*raw\n:LOG - [0:0]\nCOMMIT\n*filter\n-A INPUT -j LOG\nCOMMIT\n')!, /^5: Chain 'LOG' does not exist/);
  assert.equal(first('*filter\n:CLASSIFY - [0:0]\nCOMMIT\n*nat\n-A POSTROUTING -j CLASSIFY --set-class 1:1\nCOMMIT\n'), '5: unknown option "--set-class"');
  // declared below in another table: the target
  assert.deepEqual(errors('*filter\n-A INPUT -j LOG --log-prefix x\nCOMMIT\n*raw\n:LOG - [0:0]\nCOMMIT\n'), []);
  assert.equal(first('*filter\n:LOG - [0:0]\n-A INPUT -j LOG --log-prefix x\nCOMMIT\n'), '3: unknown option "--log-prefix"');
  // without the chain, the target's own checks
  assert.match(first('*filter\n-A INPUT -j CLASSIFY\nCOMMIT\n')!, /--set-class/);
});

test("--reject-with: the types of the file's family only", () => {
  assert.match(
    first('*filter\n-A INPUT -j REJECT --reject-with icmp6-port-unreachable\nCOMMIT\n', { uri: 'file:///t/rules.v4' })!,
    /^2: unknown reject type "icmp6-port-unreachable"/,
  );
  assert.match(
    first('*filter\n-A INPUT -j REJECT --reject-with icmp-host-prohibited\nCOMMIT\n', { uri: 'file:///t/rules.v6' })!,
    /^2: unknown reject type "icmp-host-prohibited"/,
  );
  assert.deepEqual(errors('*filter\n-A INPUT -p tcp -j REJECT --reject-with tcp-reset\nCOMMIT\n', { uri: 'file:///t/rules.v6' }), []);
  assert.deepEqual(errors('*filter\n-A INPUT -j REJECT --reject-with port-unreach\nCOMMIT\n', { uri: 'file:///t/rules.v6' }), []);
});

test('jump depth: a chain 16 jumps below a built-in chain is refused, on the rule that makes it', () => {
  const nest = (n: number, hookFirst: boolean) => {
    const l = ['*filter'];
    for (let k = 0; k < n; k++) l.push(`:C${k} - [0:0]`);
    if (hookFirst) l.push('-A INPUT -j C0');
    for (let k = 0; k + 1 < n; k++) l.push(`-A C${k} -j C${k + 1}`);
    if (!hookFirst) l.push('-A INPUT -j C0');
    l.push('COMMIT', '');
    return l.join('\n');
  };
  assert.deepEqual(errors(nest(15, true)), []);
  assert.deepEqual(errors(nest(15, false)), []);
  // as the kernel: line 33 in both orders for 16 chains (the C14 -> C15 jump, or the hook's)
  assert.match(first(nest(16, true))!, /^33: RULE_APPEND failed \(Too many links\)/);
  assert.match(first(nest(16, false))!, /^33: RULE_APPEND failed \(Too many links\)/);
  assert.match(first(nest(17, false))!, /^35: RULE_APPEND failed \(Too many links\)/);
  // not reached from a built-in chain: nothing to refuse
  const unhooked = nest(20, true).replace('-A INPUT -j C0\n', '');
  assert.deepEqual(errors(unhooked), []);
});

test('--noflush: a jump to an undeclared chain is an error, a warning when loaded on top of others', () => {
  const text = '*filter\n:X - [0:0]\n-A X -j NOPE\nCOMMIT\n';
  assert.match(first(text)!, /^3: Chain 'NOPE' does not exist/);
  assert.deepEqual(errors(text, { settings: NOFLUSH }), []);
  // a here-document fed to iptables-restore --noflush (or -n) is judged so
  assert.deepEqual(errors(`#!/bin/sh\niptables-restore --noflush <<'EOF'\n${text}EOF\n`, { language: 'shellscript' }), []);
  assert.deepEqual(errors(`#!/bin/sh\niptables-restore -n <<'EOF'\n${text}EOF\n`, { language: 'shellscript' }), []);
  assert.match(first(`#!/bin/sh\niptables-restore <<'EOF'\n${text}EOF\n`, { language: 'shellscript' })!, /^5: Chain 'NOPE' does not exist/);
});

test('format by content: command lines without a *table header are commands', () => {
  const cmds = '# generated\niptables -N X\niptables -A INPUT -j X\n';
  assert.equal(detectFormat('file:///etc/firewall.user', cmds), 'shell');
  assert.equal(detectFormat('file:///etc/firewall.user', cmds, 'iptables'), 'shell');
  assert.deepEqual(errors(cmds, { uri: 'file:///etc/firewall.user', language: undefined as unknown as string }), []);
  assert.equal(detectFormat('file:///t/rules', '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n# iptables -A INPUT\n'), 'save');
});

test('a user chain named like a target: definition, references and semantic tokens follow the jump', () => {
  const svc = new NfRulesService();
  const uri = 'file:///t/rules.v4';
  svc.open(uri, '*filter\n:LOG - [0:0]\n-A LOG -j ACCEPT\n-A INPUT -j LOG\n-A OUTPUT -j MARK --set-mark 1\nCOMMIT\n', 'iptables');
  assert.deepEqual(svc.definition(uri, { line: 3, character: 13 })?.range.start, { line: 1, character: 1 });
  const refs = svc.references(uri, { line: 1, character: 2 }, true)?.map((l) => `${l.range.start.line}:${l.range.start.character}`);
  assert.deepEqual(refs, ['1:1', '2:3', '3:12']);
  // tokens: [dl, ds, len, type, mods]; `LOG` of line 3 is a function (a chain), `MARK` of line 4 an enumMember (a target)
  const data = svc.semanticTokens(uri).data;
  const toks: string[] = [];
  for (let i = 0, line = 0, ch = 0; i < data.length; i += 5) {
    line += data[i];
    ch = data[i] === 0 ? ch + data[i + 1] : data[i + 1];
    toks.push(`${line}:${ch}:${data[i + 3]}`);
  }
  assert.ok(toks.includes('3:12:1'), toks.join(' '));
  assert.ok(toks.includes('4:13:2'), toks.join(' '));
});
