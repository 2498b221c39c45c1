/**
 * `nfrules marks FILE... [--json] [--svg OUT]` through the built CLI (dist/cli.js; build
 * with `node scripts/build.mjs`): the map of several files together as a table, as JSON
 * and as an SVG picture, and its exit status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8' });

// kube-proxy's and kubelet's rules, and a host script that marks with a whole value
const KUBE = `*nat
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
COMMIT
*filter
:KUBE-FIREWALL - [0:0]
:KUBE-MARK-DROP - [0:0]
-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000
-A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP
COMMIT
`;
const HOST = `#!/bin/sh
# route the backup link's traffic by mark
iptables -t mangle -A PREROUTING -i eth1 -j MARK --set-mark 0x2
iptables -t mangle -A OUTPUT -m mark --mark 0x2 -j ACCEPT
`;

function files(): { dir: string; kube: string; host: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-marks-'));
  const kube = join(dir, 'kube.rules');
  const host = join(dir, 'host.sh');
  writeFileSync(kube, KUBE);
  writeFileSync(host, HOST);
  return { dir, kube, host };
}

test('nfrules marks --json: rows per owner, accesses with their bits, the clobber warning with related rules', () => {
  assert.ok(existsSync('dist/cli.js'), 'build first: node scripts/build.mjs');
  const f = files();
  const r = cli('marks', '--json', f.kube, f.host);
  assert.equal(r.status, 1, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(
    j.owners.map((o: { id: string }) => o.id),
    ['kube-proxy', 'kubelet'],
  );
  const rows = Object.fromEntries(
    j.rows.map((x: { row: string; mark: string; read: string; written: string; collided: string }) => [`${x.row} ${x.mark}`, [x.read, x.written, x.collided]]),
  );
  assert.deepEqual(rows['kube-proxy nfmark'], ['0x4000', '0x4000', '0x4000']);
  assert.deepEqual(rows['kubelet (drop bit) nfmark'], ['0x8000', '0x8000', '0x8000']);
  assert.deepEqual(rows['mangle/PREROUTING nfmark'], ['0x0', '0xffffffff', '0xc000']);
  // a whole-value test misreads marks carrying kube's bits: a read collision
  assert.deepEqual(rows['mangle/OUTPUT nfmark'], ['0xffffffff', '0x0', '0xc000']);
  const set = j.accesses.find((a: { text: string }) => a.text === '-j MARK --set-mark 0x2');
  assert.deepEqual([set.file, set.line, set.column, set.table, set.chain], [f.host, 3, 42, 'mangle', 'PREROUTING']);
  assert.deepEqual(set.writes, [{ mark: 'nfmark', set: '0x2', cleared: '0xfffffffd', flipped: '0x0', copied: '0x0', changed: '0xffffffff' }]);
  assert.equal(j.warnings.length, 1);
  const w = j.warnings[0];
  assert.deepEqual([w.code, w.severity, w.file, w.line, w.bits], ['mark-clobber', 'warning', f.host, 3, '0xc000']);
  assert.deepEqual(
    w.related.map((x: { file: string; line: number }) => x.line),
    [4, 5, 6, 11, 12],
  );
});

test('nfrules marks: the terminal table and the SVG picture', () => {
  const f = files();
  const out = join(f.dir, 'map.svg');
  const r = cli('marks', f.kube, f.host, '--svg', out);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'nfmark              31    24 23    16 15     8 7      0');
  assert.equal(
    lines.find((l) => l.startsWith('kube-proxy')),
    'kube-proxy          ........ ........ .B...... ........  collides: 0x4000',
  );
  assert.equal(
    lines.find((l) => l.startsWith('mangle/PREROUTING')),
    'mangle/PREROUTING   wwwwwwww wwwwwwww WWwwwwww wwwwwwww  collides: 0xc000',
  );
  assert.equal(
    lines.find((l) => l.startsWith('mangle/OUTPUT')),
    'mangle/OUTPUT       rrrrrrrr rrrrrrrr RRrrrrrr rrrrrrrr  collides: 0xc000',
  );
  assert.ok(
    lines.includes(`${f.host}:3:42: warning: this clears bits 14-15 (0xc000) of nfmark, used by kube-proxy, kubelet (drop bit) [mark-clobber]`),
    r.stdout,
  );
  const svg = readFileSync(out, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/);
  // 32 cells a row, 4 rows
  assert.equal((svg.match(/<rect x="\d+" y="\d+" width="16" height="18"/g) ?? []).length, 32 * 4);
  // the collided cells are framed red and say so in their tooltip
  assert.equal((svg.match(/COLLIDES/g) ?? []).length, 6);
  assert.ok(svg.includes(`${f.host}:3 mangle/PREROUTING: -j MARK --set-mark 0x2`));
});

test('nfrules marks: exit 0 without warnings; usage errors exit 2', () => {
  const f = files();
  const r = cli('marks', f.kube);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /warnings:/);
  assert.equal(cli('marks').status, 2);
  assert.equal(cli('marks', '--bogus', f.kube).status, 2);
  assert.equal(cli('marks', join(f.dir, 'missing.rules')).status, 2);
  assert.equal(cli('marks', f.kube, '--svg').status, 2);
});

test('nfrules marks reads nftables files too, together with iptables files', () => {
  const f = files();
  const nft = join(f.dir, 'mine.nft');
  writeFileSync(nft, 'table inet mine {\n  chain pre {\n    type filter hook prerouting priority mangle; policy accept;\n    meta mark set 0x2\n  }\n}\n');
  const r = cli('marks', '--json', f.kube, nft);
  assert.equal(r.status, 1, r.stderr);
  const j = JSON.parse(r.stdout);
  const w = j.warnings.find((x: { file: string }) => x.file === nft);
  assert.deepEqual([w.code, w.line, w.column, w.bits], ['mark-clobber', 4, 5, '0xc000']);
  assert.ok(j.rows.some((x: { row: string }) => x.row === 'inet mine/pre'));
});
