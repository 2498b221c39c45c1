/**
 * The findings of `nfrules check --json` on every file of ../shared/corpus and on the bench
 * dump, held to a snapshot of their SHA-256 per file (test/snapshots/findings.json): a
 * reorganisation or a speed-up must leave them byte-identical. A deliberate change of
 * behaviour updates the snapshot with `NFRULES_UPDATE_SNAPSHOT=1 node scripts/test.mjs
 * test/unit/findings-snapshot.test.ts` and says why in its commit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { generateKubeDump } from '../../bench/gen-kube-dump';

const ROOT = process.cwd();
const CORPUS = resolve(ROOT, '..', 'shared', 'corpus');
const SNAPSHOT = join(ROOT, 'test', 'snapshots', 'findings.json');
const CLI = join(ROOT, 'dist', 'cli.js');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (!/^(README|SOURCES)\.md$/.test(n)) out.push(p);
  }
  return out;
}

/** Findings of each file from one CLI run (paths relative, so each hash is of the content's findings). */
function findingsOf(paths: string[], base: string): Record<string, string> {
  const rel = paths.map((p) => relative(base, p));
  const r = spawnSync(process.execPath, [CLI, 'check', '--json', ...rel], { cwd: base, encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.ok(r.status === 0 || r.status === 1, `check exited ${r.status}: ${r.stderr}`);
  const byFile = new Map<string, unknown[]>(rel.map((f) => [f, []]));
  for (const f of JSON.parse(r.stdout) as { file: string }[]) byFile.get(f.file)?.push(f);
  const out: Record<string, string> = {};
  for (const [f, list] of byFile) out[f] = createHash('sha256').update(JSON.stringify(list)).digest('hex');
  return out;
}

test('findings snapshot: the corpus and the bench dump give the same findings as recorded', (t) => {
  if (!existsSync(CORPUS)) {
    const why = `SKIPPED: corpus not found at ${CORPUS}`;
    console.error(why);
    if (process.env.CI) assert.fail(why);
    return t.skip(why);
  }
  assert.ok(existsSync(CLI), 'dist/cli.js is built first (node scripts/build.mjs)');
  const now = findingsOf(files(CORPUS), CORPUS);
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-snap-'));
  try {
    writeFileSync(join(dir, 'kube-10000.rules'), generateKubeDump(10000));
    Object.assign(now, findingsOf([join(dir, 'kube-10000.rules')], dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.NFRULES_UPDATE_SNAPSHOT === '1') {
    writeFileSync(SNAPSHOT, JSON.stringify(now, null, 1) + '\n');
    console.error(`snapshot written: ${Object.keys(now).length} files`);
    return;
  }
  const then = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, string>;
  const changed = [...new Set([...Object.keys(then), ...Object.keys(now)])].filter((k) => then[k] !== now[k]);
  assert.deepEqual(changed, [], `findings changed for ${changed.length} file(s): ${changed.slice(0, 10).join(', ')}`);
  assert.ok(Object.keys(now).length > 100);
});
