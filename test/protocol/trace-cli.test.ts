import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8' });

const RULES = `*mangle
:PREROUTING ACCEPT [0:0]
:MARKS - [0:0]
-A PREROUTING -p tcp --dport 80 -j MARKS
-A PREROUTING -m statistic --mode random --probability 0.5 -j DROP
-A MARKS -j MARK --set-xmark 0x4000/0x4000
-A MARKS -j CONNMARK --save-mark
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
-A PREROUTING -d 10.96.0.10/32 -p tcp -j DNAT --to-destination 10.244.1.5:8080
COMMIT
`;

function file(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-trace-'));
  const f = join(dir, 'rules.v4');
  writeFileSync(f, RULES);
  return f;
}

test('nfrules trace --json: path with file lines and chains, verdict, marks as numbers', () => {
  const f = file();
  const r = cli('trace', f, '--hook', 'PREROUTING', '--packet', 'src=10.244.2.2 dst=10.96.0.10 proto=tcp dport=80 nfmark=0x1 ctmark=0x0 state=NEW', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.hook, 'PREROUTING');
  assert.deepEqual(
    j.path.map((s: { line: number; table: string; chain: string; matched: boolean }) => [s.line, s.table, s.chain, s.matched]),
    [
      [4, 'mangle', 'PREROUTING', true],
      [6, 'mangle', 'MARKS', true],
      [7, 'mangle', 'MARKS', true],
      [5, 'mangle', 'PREROUTING', false],
      [11, 'nat', 'PREROUTING', true],
    ],
  );
  assert.equal(j.path[3].decided, false);
  assert.deepEqual(j.path[3].undecided, ['-m statistic']);
  assert.equal(j.verdict, 'ACCEPT');
  assert.equal(j.nfmark, 0x4001);
  assert.equal(j.ctmark, 0x4001);
  assert.equal(j.path[1].nfmark, 0x4001);
  assert.equal(j.tables.find((t: { table: string }) => t.table === 'nat').line, 11);
  // assume match: the statistic rule drops
  const m = JSON.parse(cli('trace', f, '--hook', 'PREROUTING', '--assume', 'match', '--json', '--packet', 'proto=tcp dport=80').stdout);
  assert.equal(m.verdict, 'DROP');
  assert.equal(m.verdictLine, 5);
  // --table limits the walk to one table
  const n = JSON.parse(cli('trace', f, '--hook', 'PREROUTING', '--table', 'nat', '--json', '--packet', 'dst=10.96.0.10 proto=tcp').stdout);
  assert.deepEqual(
    n.path.map((s: { line: number }) => s.line),
    [11],
  );
});

test('nfrules trace: text lines per rule, undecided flagged, verdict and marks in hex', () => {
  const r = cli('trace', file(), '--hook', 'PREROUTING', '--packet', 'proto=tcp dport=80 nfmark=0x1 state=ESTABLISHED');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes(' 6    mangle/MARKS  match  -j MARK --set-xmark 0x4000/0x4000  nfmark 0x00004001 ctmark 0x00000000'), r.stdout);
  assert.ok(
    lines.some((l) => /^ 5 {2}mangle\/PREROUTING {2}no\?.*\[undecided: -m statistic; assumed no match\]$/.test(l)),
    r.stdout,
  );
  assert.ok(
    lines.some((l) => /^note: nat\/PREROUTING skipped/.test(l)),
    r.stdout,
  );
  assert.ok(lines.includes('verdict: ACCEPT'));
  assert.ok(lines.includes('nfmark:  0x00004001'));
  assert.ok(lines.includes('ctmark:  0x00004001'));
});

test('nfrules trace: usage errors exit 2 and say what is wrong', () => {
  const f = file();
  const bad = cli('trace', f, '--hook', 'SIDEWAYS', '--packet', 'proto=tcp');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--hook must be one of PREROUTING, INPUT, FORWARD, OUTPUT, POSTROUTING/);
  const missing = cli('trace', join(tmpdir(), 'no-such-dir-nfrules', 'x'), '--hook', 'INPUT');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read/);
  const pkt = cli('trace', f, '--hook', 'INPUT', '--packet', 'proto=tcp dport=99999');
  assert.equal(pkt.status, 2);
  assert.match(pkt.stderr, /bad --packet key dport/);
  const table = cli('trace', f, '--hook', 'INPUT', '--table', 'raw');
  assert.equal(table.status, 2);
  // mark and check still work
  assert.equal(cli('mark', '--json', '--', '-j', 'MARK', '--or-mark', '0x1').status, 0);
  assert.equal(cli('check', f).status, 0);
});
