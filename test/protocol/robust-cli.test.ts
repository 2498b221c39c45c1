/**
 * Issue 14, the CLI side (dist/cli.js): unreadable and hostile input. Every file's findings
 * are printed even when another cannot be read; what the CLI echoes from a file cannot drive
 * the terminal; input is bounded; `--json` is JSON whatever happens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, truncateSync, writeFileSync, closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 512 * 1024 * 1024 });
const dir = mkdtempSync(join(tmpdir(), 'nfrules-robust-'));
const BAD = '*mangle\n-A OUTPUT -j MARK --set-mark 08\nCOMMIT\n';
/** Terminal control: C0 (but \n), DEL, C1 (U+009B is a one-character CSI). */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** A loop-free chain of jumps `depth` deep, from INPUT. */
function deepChain(depth: number): string {
  const out = ['*filter'];
  for (let i = 0; i < depth; i++) out.push(`:C${i} - [0:0]`);
  out.push('-A INPUT -j C0');
  for (let i = 0; i + 1 < depth; i++) out.push(`-A C${i} -j C${i + 1}`);
  out.push(`-A C${depth - 1} -j DROP`, 'COMMIT', '');
  return out.join('\n');
}

test('nfrules trace on a 25,000-deep chain of jumps: the whole path, indentation bounded, and valid --json', () => {
  const f = join(dir, 'deep.rules');
  writeFileSync(f, deepChain(25_000));
  const r = cli('trace', f, '--hook', 'INPUT', '--packet', 'src=10.0.0.1 proto=tcp dport=22');
  assert.equal(r.status, 0, r.stderr.slice(0, 500));
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[lines.length - 3], `verdict: DROP (line ${2 * 25_000 + 2})`);
  assert.equal(lines.filter((l) => / filter\/C\d+ /.test(l)).length, 25_000);
  const longest = Math.max(...lines.map((l) => l.length));
  assert.ok(longest < 300, `longest output line ${longest} characters`);
  // the depth still shows where the indentation stops growing
  assert.match(
    lines.find((l) => / filter\/C24999 /.test(l))!,
    /\[depth 25000\]/,
  );
  const j = cli('trace', f, '--hook', 'INPUT', '--packet', 'src=10.0.0.1', '--json');
  assert.equal(j.status, 0);
  const parsed = JSON.parse(j.stdout);
  assert.equal(parsed.verdict, 'DROP');
  assert.equal(parsed.path[parsed.path.length - 1].depth, 25_000);
});

test('nfrules check a b /nonexistent: the findings of a and b, an error line for the missing one, exit 2', () => {
  const a = join(dir, 'a.rules');
  const b = join(dir, 'b.rules');
  writeFileSync(a, BAD);
  writeFileSync(b, BAD);
  const missing = join(dir, 'nonexistent.rules');
  const r = cli('check', a, missing, b);
  assert.equal(r.status, 2);
  assert.deepEqual(
    r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(':')[0]),
    [a, b],
  );
  assert.match(r.stderr, new RegExp(`nfrules: cannot read ${missing}: .*ENOENT|no such file`, 'i'));
  const j = cli('check', '--json', a, missing, b);
  assert.equal(j.status, 2);
  const recs = JSON.parse(j.stdout);
  assert.deepEqual(
    recs.map((x: any) => [x.file, x.code ?? null, !!x.error]),
    [
      [a, 'mark-invalid', false],
      [missing, null, true],
      [b, 'mark-invalid', false],
    ],
  );
  // errors in the rules alone: exit 1, as before
  assert.equal(cli('check', a, b).status, 1);
});

test('nfrules check: control characters of a rules file never reach the terminal raw (text and --json)', () => {
  const f = join(dir, 'esc.rules');
  // an unknown option and an undeclared chain name both come back in messages
  writeFileSync(f, '*filter\n-A INPUT --bogus\u001b]0;owned\u0007 -j ACCEPT\n-A INPUT -j X\u009b31m\nCOMMIT\n');
  const r = cli('check', f);
  assert.ok(r.stdout.length > 0);
  assert.ok(!CONTROL.test(r.stdout), JSON.stringify(r.stdout));
  assert.match(r.stdout, /\\x1b\]0;owned\\x07/);
  const j = cli('check', '--json', f);
  assert.ok(!CONTROL.test(j.stdout.replace(/\n/g, '')), JSON.stringify(j.stdout));
  const recs = JSON.parse(j.stdout);
  assert.ok(
    recs.some((x: any) => x.message.includes('\u001b]0;owned\u0007')),
    'JSON keeps the text itself, escaped as JSON',
  );
  // a file name with control characters is escaped too
  const g = join(dir, 'name\u001b[2J.rules');
  writeFileSync(g, BAD);
  assert.ok(!CONTROL.test(cli('check', g).stdout.replace(/\n/g, '')));
});

test('nfrules check and trace refuse what is not a regular file, and files past the size bound, at once', () => {
  const cases = [dir];
  if (existsSync('/dev/zero')) cases.push('/dev/zero');
  const fifo = join(dir, 'fifo');
  if (spawnSync('mkfifo', [fifo]).status === 0) cases.push(fifo);
  else console.log('SKIPPED the FIFO case: mkfifo not available');
  for (const f of cases) {
    const t0 = Date.now();
    const r = cli('check', f);
    assert.equal(r.status, 2, f);
    assert.match(r.stderr, /not a regular file/, f);
    assert.ok(Date.now() - t0 < 20_000, `${f} took ${Date.now() - t0} ms`);
    const t = cli('trace', f, '--hook', 'INPUT');
    assert.equal(t.status, 2);
    assert.match(t.stderr, /not a regular file/);
  }
  const big = join(dir, 'big.rules');
  closeSync(openSync(big, 'w'));
  truncateSync(big, 65 * 1024 * 1024);
  const r = cli('check', '--json', big);
  assert.equal(r.status, 2);
  const recs = JSON.parse(r.stdout);
  assert.match(recs[0].error, /larger than the limit of 64 MiB/);
});

test('nfrules check --json stays valid JSON with only unreadable input and with no finding', () => {
  const r = cli('check', '--json', join(dir, 'nope'));
  assert.equal(r.status, 2);
  assert.equal(JSON.parse(r.stdout).length, 1);
  const ok = join(dir, 'ok.rules');
  writeFileSync(ok, '*filter\nCOMMIT\n');
  assert.deepEqual(JSON.parse(cli('check', '--json', ok).stdout), []);
  // bytes that are not UTF-8 are read as replacement characters, findings still JSON
  const bin = join(dir, 'bin.rules');
  writeFileSync(bin, Buffer.from([0x2a, 0x66, 0x69, 0x6c, 0x74, 0x65, 0x72, 0x0a, 0x2d, 0x41, 0x20, 0xff, 0xfe, 0x00, 0x1b, 0x0a]));
  const b = cli('check', '--json', bin);
  assert.ok(b.status === 0 || b.status === 1);
  assert.ok(Array.isArray(JSON.parse(b.stdout)));
});
