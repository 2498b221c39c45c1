// Runs the extension-host suite (test/e2e/exthost/suite.ts, the same one
// @vscode/test-electron runs) inside code-server: the workbench takes
// extensionDevelopmentPath and extensionTestsPath through its `payload` URL
// parameter, runs the suite in the real extension host, and reports the exit
// code through window.codeAutomationExit, which the page exposes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile, mkdir, mkdtemp, cp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as h from './harness';

const SUITE_JS = path.join(h.ROOT, 'test-results', 'exthost', 'suite.js');
const DEV_PATH = process.env.NFRULES_EXTENSION_PATH ?? h.ROOT;

test('the extension-host suite passes inside code-server', { timeout: 180_000 }, async () => {
  assert.ok(existsSync(SUITE_JS), `${SUITE_JS} is missing: run node scripts/e2e-bundle-suite.mjs`);
  const main = JSON.parse(readFileSync(path.join(DEV_PATH, 'package.json'), 'utf8')).main as string;
  assert.ok(existsSync(path.join(DEV_PATH, main)), `${main} is missing: run npm run build`);
  const launcher = await h.setupCodeServer();
  const workspace = path.join(await mkdtemp(path.join(tmpdir(), 'nfrules-exthost-')), 'firewall');
  await cp(path.join(__dirname, 'fixtures', 'workspace'), workspace, { recursive: true });
  // No .vsix here: the extension under development is loaded from the tree.
  const server = await h.startCodeServer({ launcher, folder: workspace });
  const browser = await h.launchBrowser();
  const logs: string[] = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    const page = await context.newPage();
    page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
    const exit = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (level: string, args: unknown[]) => {
      logs.push(`[exthost ${level}] ${Array.isArray(args) ? args.join(' ') : String(args)}`);
    });
    const authority = new URL(server.url).host;
    const remote = (p: string) => `vscode-remote://${authority}${p}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(DEV_PATH)],
      ['extensionTestsPath', remote(SUITE_JS)],
    ]);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exit,
      new Promise<number>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the suite did not finish in 150 s')), 150_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const report = logs.filter((l) => /exthost (not )?ok|exthost suite:|Error/.test(l));
    assert.equal(code, 0, `the extension-host suite failed:\n${report.join('\n')}`);
    assert.ok(
      logs.some((l) => /exthost suite: (\d+) of \1 scenarios passed/.test(l)),
      `the suite reported no result:\n${logs.slice(-40).join('\n')}`,
    );
  } finally {
    await mkdir(h.RESULTS, { recursive: true });
    await writeFile(path.join(h.RESULTS, 'exthost-console.log'), logs.join('\n'));
    await writeFile(path.join(h.RESULTS, 'exthost-code-server.log'), server.log());
    await browser.close();
    await server.stop();
    if (!process.env.NFRULES_E2E_KEEP) await rm(path.dirname(workspace), { recursive: true, force: true });
  }
});
