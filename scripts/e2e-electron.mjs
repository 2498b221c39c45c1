// npm run test:electron — the extension-host suite (test/e2e/exthost/suite.ts)
// in a desktop VS Code downloaded by @vscode/test-electron. Needs the network to
// download VS Code (set VSCODE_EXECUTABLE to use one already installed);
// machines without it run the same suite inside code-server (npm run test:e2e).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const [what, args] of [
  ['build', ['scripts/build.mjs']],
  ['bundle suite', ['scripts/e2e-bundle-suite.mjs']],
]) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`test:electron: ${what} failed`);
    process.exit(r.status ?? 1);
  }
}

const workspace = path.join(mkdtempSync(path.join(tmpdir(), 'nfrules-electron-')), 'firewall');
cpSync(path.join(root, 'test/e2e/fixtures/workspace'), workspace, { recursive: true });
const userDataDir = mkdtempSync(path.join(tmpdir(), 'nfrules-electron-user-'));

try {
  await runTests({
    version: process.env.VSCODE_VERSION ?? 'stable',
    vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || undefined,
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'test-results/exthost/suite.js'),
    launchArgs: [
      workspace,
      '--disable-extensions',
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      `--user-data-dir=${userDataDir}`,
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ],
  });
  console.log('test:electron: the extension-host suite passed');
} catch (e) {
  console.error(`test:electron: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
