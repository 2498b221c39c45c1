// Runs every test file under test/ (but the e2e suites, which have their own
// command) with node's test runner, TypeScript loaded through tsx.
// Node 20's --test takes no glob, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test/unit', 'test/grammar', 'test/protocol', 'test/kernel'];
const files = [];
function walk(dir) {
  if (/\.test\.(ts|mjs|js)$/.test(dir)) return void files.push(dir);
  let names;
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.(ts|mjs|js)$/.test(n)) files.push(p);
  }
}
roots.forEach(walk);
if (files.length === 0) {
  console.error('no test files found under', roots.join(', '));
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
