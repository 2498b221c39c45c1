// npm run test:e2e — end-to-end tests in a real VS Code:
//   1. build and package nfrules.vsix (npm run package);
//   2. set up code-server and Chromium (test/e2e/setup.sh, cached outside the repo);
//   3. bundle the extension-host suite (test/e2e/exthost) for code-server's extension host;
//   4. run test/e2e/*.test.ts with node's test runner.
// Screenshots and logs land in test-results/e2e/.
//
//   NFRULES_E2E_SKIP_PACKAGE=1   reuse the existing nfrules.vsix and dist/
//   node scripts/e2e-run.mjs FILE...   run only these test files
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// `npm test` ends with this suite. It needs Debian's chromium (setup.sh apt-installs it and
// code-server's build packages when run as root); elsewhere it says so loudly and skips,
// except under CI, which must run it.
{
  const chromium = process.env.NFRULES_CHROMIUM ?? '/usr/bin/chromium';
  const root_ = process.getuid?.() === 0;
  if (!existsSync(chromium) && !root_ && !process.env.CI) {
    console.error(`SKIPPED: end-to-end tests need ${chromium} (sudo apt-get install -y chromium), or root to install it`);
    process.exit(0);
  }
}
const started = Date.now();
const secs = (t) => `${((Date.now() - t) / 1000).toFixed(1)}s`;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}
function must(step, cmd, args, opts) {
  const t = Date.now();
  const status = run(cmd, args, opts);
  if (status !== 0) {
    console.error(`e2e: ${step} failed (exit ${status})`);
    process.exit(status);
  }
  console.log(`e2e: ${step} done in ${secs(t)}`);
}

if (process.env.NFRULES_E2E_SKIP_PACKAGE !== '1') {
  must('package', 'npm', ['run', '--silent', 'package']);
}

// setup.sh prints the launcher on its last stdout line.
{
  const t = Date.now();
  const r = spawnSync('bash', [path.join(root, 'test/e2e/setup.sh'), '--with-chromium'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.error(`e2e: setup failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  const launcher = r.stdout.trim().split('\n').pop();
  process.env.NFRULES_CODE_SERVER = launcher;
  console.log(`e2e: code-server ready in ${secs(t)}: ${launcher}`);
}

const exthostEntry = path.join(root, 'test/e2e/exthost/suite.ts');
if (existsSync(exthostEntry)) {
  must('bundle extension-host suite', process.execPath, [path.join(root, 'scripts/e2e-bundle-suite.mjs')]);
}

const results = path.join(root, 'test-results/e2e');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(path.join(root, 'test/e2e'))
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => path.join('test/e2e', f));
const t = Date.now();
const status = run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files]);
console.log(`e2e: suite ${status === 0 ? 'passed' : 'FAILED'} in ${secs(t)} (total ${secs(started)}); screenshots in ${path.relative(root, results)}/`);
process.exit(status);
