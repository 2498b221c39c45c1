// npm run test:web — nfrules in VS Code for the Web, offline:
//   1. build and package nfrules.vsix (npm run package), unless --skip-package;
//   2. set up VS Code for the Web and Chromium (test/web/setup.sh, cached outside the repo);
//   3. run test/web/*.test.ts with node's test runner.
// Screenshots and logs land in test-results/web/. `npm test` runs it after the e2e suite,
// with --skip-package (the e2e runner has just packaged).
//
//   NFRULES_E2E_UPDATE_IMAGES=1   also write the README picture images/web.png
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const skipPackage = args.includes('--skip-package');
const files = args.filter((a) => !a.startsWith('--'));

// Like the e2e suite: without Debian's chromium (and not root to install it) it says so loudly
// and skips, except under CI, which must run it.
{
  const chromium = process.env.NFRULES_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium) && process.getuid?.() !== 0 && !process.env.CI) {
    console.error(`SKIPPED: the web tests need ${chromium} (sudo apt-get install -y chromium), or root to install it`);
    process.exit(0);
  }
}
const started = Date.now();
const secs = (t) => `${((Date.now() - t) / 1000).toFixed(1)}s`;
function must(step, cmd, argv, opts = {}) {
  const t = Date.now();
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`web: ${step} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
  console.log(`web: ${step} done in ${secs(t)}`);
  return r;
}

if (!skipPackage || !existsSync(path.join(root, 'nfrules.vsix'))) must('package', 'npm', ['run', '--silent', 'package']);
const setup = must('set up VS Code for the Web', 'bash', [path.join(root, 'test/web/setup.sh'), '--with-chromium'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
process.env.NFRULES_WEB_CACHE_DIR = setup.stdout.trim().split('\n').pop();

const results = path.join(root, 'test-results/web');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
const tests = files.length
  ? files
  : readdirSync(path.join(root, 'test/web'))
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => path.join('test/web', f));
const t = Date.now();
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...tests], { cwd: root, stdio: 'inherit' });
const status = r.status ?? 1;
console.log(`web: suite ${status === 0 ? 'passed' : 'FAILED'} in ${secs(t)} (total ${secs(started)}); screenshots in ${path.relative(root, results)}/`);
process.exit(status);
