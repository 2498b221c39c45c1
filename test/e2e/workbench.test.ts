// End-to-end scenarios in a real VS Code: the packaged .vsix installed into a
// throwaway code-server, the workbench driven in headless Chromium.
// Run by `npm run test:e2e` (scripts/e2e-run.mjs builds and packages first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir, mkdtemp, cp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import * as h from './harness';

const FIXTURES = path.join(__dirname, 'fixtures', 'workspace');
const STEP_TIMEOUT = 90_000;

let server: h.CodeServer;
let browser: Browser;
let page: Page;
let workspace: string;
const consoleLines: string[] = [];

before(async () => {
  const launcher = await h.setupCodeServer();
  // A stable folder name: it shows in the explorer of every screenshot.
  workspace = path.join(await mkdtemp(path.join(tmpdir(), 'nfrules-e2e-')), 'firewall');
  await cp(FIXTURES, workspace, { recursive: true });
  server = await h.startCodeServer({ launcher, folder: workspace, vsix: h.VSIX });
  browser = await h.launchBrowser();
  page = await h.openWorkbench(browser, server);
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
});

after(async () => {
  await mkdir(h.RESULTS, { recursive: true });
  if (server) await writeFile(path.join(h.RESULTS, 'code-server.log'), server.log());
  await writeFile(path.join(h.RESULTS, 'browser-console.log'), consoleLines.join('\n'));
  await browser?.close();
  await server?.stop();
  if (workspace && !process.env.NFRULES_E2E_KEEP) await rm(path.dirname(workspace), { recursive: true, force: true });
});

/**
 * One scenario: a failure leaves a picture of the screen as it was, and no
 * hover, menu or quick input stays open for the next one.
 */
function scenario(name: string, fn: () => Promise<void>, todo?: string): void {
  test(name, { timeout: STEP_TIMEOUT, todo }, async () => {
    try {
      await fn();
    } catch (e) {
      if (page) {
        const file = `FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
        await h.screenshot(page, file).catch(() => undefined);
      }
      throw e;
    } finally {
      if (page) await page.keyboard.press('Escape').catch(() => undefined);
    }
  });
}

/** The first manifest alias of a language: what the status bar shows for it. */
async function languageLabel(id: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(h.ROOT, 'package.json'), 'utf8'));
  const lang = manifest.contributes.languages.find((l: { id: string }) => l.id === id);
  return lang?.aliases?.[0] ?? id;
}

function assertMarkHover(text: string): void {
  assert.ok(/\bOR\b/.test(text) || /\bsets bits\b|\bbitwise or\b/i.test(text), `the hover does not say the target is an OR: ${JSON.stringify(text)}`);
  assert.match(text, /0x00004001/, 'the hover does not give the result 0x00004001');
}

const MASQ_LINE = '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000';

scenario('1. rules.v4 opens as iptables, with coloured tokens', async () => {
  const editor = await h.openFile(page, 'rules.v4');
  const label = await languageLabel('iptables');
  const mode = page.locator('[id="status.editor.mode"]');
  await mode.filter({ hasText: label }).waitFor();
  assert.equal((await mode.innerText()).trim(), label);
  // Plain text renders every token with the default class mtk1; a grammar gives
  // the rule's parts their own colours. Wait until the tokenizer has run.
  const line = h.viewLine(editor, MASQ_LINE);
  await line.locator('span[class*="mtk"]:not(.mtk1)').first().waitFor();
  const classes = await editor.locator('.view-lines span[class*="mtk"]').evaluateAll((spans) => spans.map((s) => String((s as any).className)));
  const colours = new Set(classes.flatMap((c) => c.split(/\s+/).filter((x) => /^mtk\d+$/.test(x))));
  assert.ok(colours.size >= 3, `only ${colours.size} token colours in rules.v4: ${[...colours].join(' ')}`);
  const commentColour = await h
    .viewLine(editor, '# sample: nfmark=')
    .locator('span[class*="mtk"]')
    .first()
    .evaluate((s) => String((s as any).className));
  assert.doesNotMatch(commentColour, /\bmtk1\b/, 'the comment line is plain text');
  await h.screenshot(page, '1-rules-v4-coloured');
});

scenario('2. hovering --set-xmark shows an OR and the result 0x00004001', async () => {
  const editor = await h.openFile(page, 'rules.v4');
  // Park the cursor on the empty last line, out of the picture's way.
  await page.keyboard.press('Control+End');
  const text = await h.hoverText(page, editor, MASQ_LINE, '--set-xmark', /0x00004001/);
  assertMarkHover(text);
  await h.screenshot(page, '2-hover-set-xmark');
  await h.readmeShot(page, 'hover', page.locator('.part.editor'), [page.locator('.monaco-hover:not(.hidden)').first()]);
});

scenario('3. the code action rewrites the line to --or-mark 0x4000', async () => {
  const editor = await h.openFile(page, 'rules.v4');
  const before = await readFile(path.join(workspace, 'rules.v4'), 'utf8');
  assert.ok(before.includes(MASQ_LINE));
  const line = h.viewLine(editor, MASQ_LINE);
  const box = await h.textBox(line, '--set-xmark');
  await page.mouse.move(1, 1);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const wanted = /^Rewrite as --or-mark 0x4000\b/;
  const widget = page.locator('.action-widget');
  const row = widget.locator('.monaco-list-row.action').filter({ hasText: wanted });
  // Ask for the code actions until the server answers with ours.
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
  await h.screenshot(page, '3a-code-action-menu');
  await h.readmeShot(page, 'code-action', page.locator('.part.editor'), [widget]);
  // The menu is keyboard-driven (a pointer block covers it): walk to the row.
  const focused = widget.locator('.monaco-list-row.action.focused');
  const rows = await widget.locator('.monaco-list-row.action').count();
  for (let i = 0; i <= rows && !wanted.test((await focused.getAttribute('aria-label')) ?? ''); i++) {
    await page.keyboard.press('ArrowDown');
  }
  assert.match((await focused.getAttribute('aria-label')) ?? '', wanted);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
  const rewritten = '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000';
  await h.viewLine(editor, rewritten).waitFor();
  // Save and read the file back: the text on disk changed exactly there.
  await page.keyboard.press('Control+S');
  const expected = before.replace(MASQ_LINE, rewritten);
  await waitForFile(path.join(workspace, 'rules.v4'), expected);
  await page.locator('.tabs-container .tab.active.dirty').waitFor({ state: 'detached' });
  await h.screenshot(page, '3b-code-action-applied');
});

scenario('4. a bad value shows an error in the Problems panel', async () => {
  await h.openFile(page, 'broken.rules.v4');
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
  await h.screenshot(page, '4-problems-panel');
  // Close the panel again for the next steps.
  await page.keyboard.press('Control+Shift+M');
});

scenario('5. the same hover works on an iptables line of a .sh file', async () => {
  const editor = await h.openFile(page, 'firewall.sh');
  await page.locator('[id="status.editor.mode"]').filter({ hasText: 'Shell Script' }).waitFor();
  const text = await h.hoverText(page, editor, 'iptables -t mangle -A PREROUTING -i wg0 -j MARK --set-xmark 0x4000/0x4000', '--set-xmark', /0x00004001/);
  assertMarkHover(text);
  await h.screenshot(page, '5-hover-shell-script');
});

scenario("5b. inside a here-document fed to iptables-restore, the hover is a save file's", async () => {
  const editor = await h.openFile(page, 'firewall.sh');
  const text = await h.hoverText(page, editor, '-A OUTPUT -o wg0 -j MARK --set-xmark 0x200/0x200', '--set-xmark', /0x00000200/);
  assert.match(text, /An OR: sets bits 0x00000200/);
  await h.screenshot(page, '5b-hover-restore-heredoc');
});

// 6. Later features add their scenarios here. One written before its feature
// lands can pass NOT_YET as its todo note: it runs and reports, but does not fail
// the suite (NFRULES_E2E_STRICT=1 makes it count). When the feature lands, drop
// the note.
const NOT_YET = process.env.NFRULES_E2E_STRICT === '1' ? undefined : 'the language server does not offer this yet';
void NOT_YET;
const LATER_WAIT = 30_000;

scenario('6a. the outline lists the tables and their chains', async () => {
  await h.openFile(page, 'rules.v4');
  await h.runCommand(page, 'Explorer: Focus on Outline View');
  const outline = page.locator('.pane-body.outline-pane');
  await outline.waitFor({ state: 'visible' });
  // The outline is a virtual list: give it the side bar's height by folding
  // the file list, so that every symbol is rendered.
  const folders = page.locator('.explorer-folders-view');
  if (await folders.isVisible()) {
    await page
      .locator('.pane-header', { has: page.locator('h3.title', { hasText: path.basename(workspace) }) })
      .first()
      .click();
    await folders.waitFor({ state: 'hidden' });
  }
  const labels = outline.locator('.monaco-list-row .label-name');
  await labels
    .filter({ hasText: /^KUBE-MARK-MASQ$/ })
    .first()
    .waitFor({ timeout: LATER_WAIT });
  const names = await labels.allInnerTexts();
  assert.ok(
    names.some((n) => /\bnat\b/.test(n)),
    `no nat table in the outline: ${names.join(', ')}`,
  );
  for (const chain of ['KUBE-MARK-MASQ', 'KUBE-POSTROUTING', 'KUBE-SERVICES']) {
    assert.ok(names.includes(chain), `no ${chain} in the outline: ${names.join(', ')}`);
  }
  await h.screenshot(page, '6a-outline');
  await h.readmeShot(page, 'outline', page.locator('.monaco-workbench'), [labels.last()]);
});

scenario('6b. go to definition jumps from -j KUBE-SERVICES to its chain', async () => {
  const editor = await h.openFile(page, 'rules.v4');
  const line = h.viewLine(editor, '-A PREROUTING -m comment');
  const box = await h.textBox(line, 'KUBE-SERVICES');
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page
    .locator('[id="status.editor.selection"]')
    .filter({ hasText: /Ln 10,/ })
    .waitFor();
  await page.keyboard.press('F12');
  // The declaration `:KUBE-SERVICES - [0:0]` is line 9.
  await page.locator('[id="status.editor.selection"]').filter({ hasText: /Ln 9,/ }).waitFor({ timeout: LATER_WAIT });
  await h.screenshot(page, '6b-definition');
});

scenario('6c. inlay hints show the mark a MARK rule leaves for the sample', async () => {
  const editor = await h.openFile(page, 'rules.v4');
  const onDisk = (await readFile(path.join(workspace, 'rules.v4'), 'utf8')).split('\n');
  const source = onDisk.find((l) => l.startsWith('-A KUBE-MARK-MASQ -j MARK'));
  assert.ok(source && !source.includes('0x00004001'), `unexpected source line: ${source}`);
  // The hint is text the editor injects after the rule, not text of the file.
  const line = h.viewLine(editor, source);
  await line.locator('span', { hasText: '0x00004001' }).first().waitFor();
  const shown = (await line.innerText()).replace(/\u00a0/g, ' ');
  assert.ok(shown.startsWith(source) && shown.length > source.length, `rendered line: ${JSON.stringify(shown)}`);
  assert.match(shown.slice(source.length), /0x00004001/);
  await h.screenshot(page, '6c-inlay-hints');
});

scenario("6d. completion after -j offers the table's chains", async () => {
  const editor = await h.openFile(page, 'rules.v4');
  // A new rule above COMMIT.
  const commit = h.viewLine(editor, 'COMMIT');
  const box = await h.textBox(commit, 'COMMIT');
  await page.mouse.click(box.x + 1, box.y + box.height / 2);
  await page.keyboard.press('Home');
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.type('-A KUBE-POSTROUTING -j KUBE-MA');
  const widget = page.locator('.editor-widget.suggest-widget');
  const wanted = widget.locator('.monaco-list-row[aria-label^="KUBE-MARK-MASQ"]');
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.keyboard.press('Control+Space');
    try {
      await wanted.first().waitFor({ timeout: 5_000 });
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        const offered = await widget
          .locator('.monaco-list-row')
          .allInnerTexts()
          .catch(() => []);
        throw new Error(`no KUBE-MARK-MASQ completion; offered: ${offered.join(' | ') || '(none)'}`, { cause: e });
      }
      await page.keyboard.press('Escape');
    }
  }
  const focused = widget.locator('.monaco-list-row.focused');
  const rows = await widget.locator('.monaco-list-row').count();
  for (let i = 0; i <= rows && !/^KUBE-MARK-MASQ\b/.test((await focused.getAttribute('aria-label')) ?? ''); i++) {
    await page.keyboard.press('ArrowDown');
  }
  await h.screenshot(page, '6d-completion');
  assert.match((await focused.getAttribute('aria-label')) ?? '', /^KUBE-MARK-MASQ\b/);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
  await h.viewLine(editor, '-A KUBE-POSTROUTING -j KUBE-MARK-MASQ').waitFor();
  // Leave the file as it is on disk for whatever runs next.
  await h.runCommand(page, 'File: Revert File');
  await page.locator('.tabs-container .tab.active.dirty').waitFor({ state: 'detached' });
});

async function waitForFile(file: string, expected: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let actual = '';
  while (Date.now() < deadline) {
    actual = await readFile(file, 'utf8');
    if (actual === expected) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(actual, expected, `${file} on disk`);
}

scenario('7. the packet walk: the lens walks the sample, lists the rules hit, and marks them', async () => {
  const editor = await h.openFile(page, 'walk.rules.v4');
  const lens = editor.locator('.codelens-decoration a', { hasText: 'Walk sample packet through PREROUTING' }).first();
  await lens.waitFor({ timeout: LATER_WAIT });
  await lens.click();
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: /PREROUTING: ACCEPT · nfmark 0x00004001/ }).waitFor({ timeout: LATER_WAIT });
  const rows = widget.locator('.quick-input-list .monaco-list-row');
  const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  // the jump, the udp rule (no match), the tcp/80 MARK, RETURN, then nat's DNAT
  assert.equal(texts.length, 5, texts.join(' | '));
  assert.match(texts[2], /line 8\s*mangle\/POD-MARKS: match → MARK/);
  assert.match(texts[4], /line 13\s*nat\/PREROUTING: match → DNAT/);
  await h.screenshot(page, '7-walk-path');
  // choose the MARK rule: the cursor goes there
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
  await page.locator('[id="status.editor.selection"]').filter({ hasText: /Ln 8,/ }).waitFor({ timeout: LATER_WAIT });
  // the rule hit carries the walk's marks as an inlay hint, and the lens its verdict
  const markLine = h.viewLine(editor, '-A POD-MARKS -p tcp --dport 80');
  await markLine.locator('span', { hasText: '✓ PREROUTING => nfmark 0x00004001' }).first().waitFor({ timeout: LATER_WAIT });
  await editor
    .locator('.codelens-decoration a', { hasText: /PREROUTING: ACCEPT · nfmark 0x00004001/ })
    .first()
    .waitFor({ timeout: LATER_WAIT });
  await h.readmeShot(page, 'walk', page.locator('.monaco-workbench'), [markLine]);
  await h.runCommand(page, 'nfrules: Clear the Packet Walk');
  await editor.locator('.codelens-decoration a', { hasText: 'Walk sample packet through PREROUTING' }).first().waitFor({ timeout: LATER_WAIT });
});

scenario('8. an .nft file: nftables language, coloured, outlined, a mark hover with the sample', async () => {
  const editor = await h.openFile(page, 'ruleset.nft');
  const label = await languageLabel('nftables');
  await page.locator('[id="status.editor.mode"]').filter({ hasText: label }).waitFor();
  const line = h.viewLine(editor, 'meta mark set meta mark or 0x4000');
  await line.locator('span[class*="mtk"]:not(.mtk1)').first().waitFor();
  const text = await h.hoverText(page, editor, 'meta mark set meta mark or 0x4000', 'or', /0x00004001/);
  assert.match(text, /--or-mark 0x4000/);
  await h.screenshot(page, '8a-nft-hover');
  await h.readmeShot(page, 'nft-hover', page.locator('.part.editor'), [page.locator('.monaco-hover:not(.hidden)').first()]);
  await page.keyboard.press('Escape');
  await h.runCommand(page, 'Explorer: Focus on Outline View');
  const labels = page.locator('.pane-body.outline-pane .monaco-list-row .label-name');
  await labels
    .filter({ hasText: /^postrouting$/ })
    .first()
    .waitFor({ timeout: LATER_WAIT });
  const names = await labels.allInnerTexts();
  assert.ok(names.includes('ip kube-proxy') && names.includes('services'), `outline: ${names.join(', ')}`);
  await h.screenshot(page, '8b-nft-outline');
  await h.readmeShot(page, 'nft-outline', page.locator('.monaco-workbench'), [labels.last()]);
});
