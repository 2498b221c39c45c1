import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8' });

test('nfrules mark --json: marks after the rule, forms and equivalents', () => {
  const r = cli('mark', '--nfmark', '0x1', '--json', '--', '-j', 'MARK', '--or-mark', '0x4000');
  assert.equal(r.status, 0);
  const j = JSON.parse(r.stdout);
  assert.equal(j.nfmark, 0x4001);
  assert.equal(j.ctmark, 0);
  assert.equal(j.saved, '-j MARK --set-xmark 0x4000/0x4000');
  assert.equal(j.listed, 'MARK or 0x4000');
  assert.equal(j.nft, 'meta mark set meta mark or 0x4000');
  assert.ok(j.equivalents.includes('-j MARK --set-xmark 0x4000/0x4000'));
});

test('nfrules mark: a match says whether it matches; a rejected rule exits 2 with iptables wording', () => {
  const m = JSON.parse(cli('mark', '--nfmark', '0x4000', '--json', '--', '-m', 'mark', '!', '--mark', '0x4000/0x4000').stdout);
  assert.equal(m.matches, false);
  const bad = cli('mark', '--json', '--', '-j', 'MARK', '--set-mark', '0x1/0x1/0x1');
  assert.equal(bad.status, 2);
  assert.equal(JSON.parse(bad.stdout).error, 'MARK: trailing garbage after value for option "--set-mark".');
});

test('nfrules check: file:line:col lines, --json records, exit 1 on errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-'));
  const bad = join(dir, 'rules.v4');
  writeFileSync(bad, '*mangle\n-A OUTPUT -j MARK --set-mark 08\nCOMMIT\n');
  const good = join(dir, 'good.v4');
  writeFileSync(good, '*mangle\n-A OUTPUT -j MARK --set-mark 010\nCOMMIT\n');
  const r = cli('check', bad, good);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, `${bad}:2:30: error: MARK: trailing garbage after value for option "--set-mark". [mark-invalid]\n`);
  const j = JSON.parse(cli('check', '--json', bad).stdout);
  assert.deepEqual(j, [
    {
      file: bad,
      line: 2,
      column: 30,
      endLine: 2,
      endColumn: 32,
      severity: 'error',
      code: 'mark-invalid',
      message: 'MARK: trailing garbage after value for option "--set-mark".',
    },
  ]);
  assert.equal(cli('check', good).status, 0);
});

test("nfrules check: nftables files (by name or an nft -f first line) get nft's findings", () => {
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-'));
  const bad = join(dir, 'fw.nft');
  writeFileSync(bad, 'table inet f {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t\ttcp dport 22 jump ssh\n\t}\n}\n');
  const r = cli('check', bad);
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    new RegExp(
      `^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:21: error: Could not process rule: No such file or directory: table inet f has no chain 'ssh' \\[nft-undefined-chain\\]\n$`,
    ),
  );
  const script = join(dir, 'rules');
  writeFileSync(script, '#!/usr/sbin/nft -f\ninclude "vars.nft"\ntable ip t {\n\tchain c {\n\t\tip saddr $lan accept\n\t}\n}\n');
  writeFileSync(join(dir, 'vars.nft'), 'define lan = 10.0.0.0/8\n');
  const ok = cli('check', '--json', script);
  assert.equal(ok.status, 0);
  assert.deepEqual(JSON.parse(ok.stdout), []);
  writeFileSync(join(dir, 'vars.nft'), 'define wan = 10.0.0.0/8\n');
  const j = JSON.parse(cli('check', '--json', script).stdout);
  assert.deepEqual(
    j.map((x: { code: string; line: number }) => `${x.line} ${x.code}`),
    ['5 nft-undefined-variable'],
  );
});
