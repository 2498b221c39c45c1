// Drives a real VS Code workbench: code-server (VS Code served to a browser,
// with the real extension host) and Debian's Chromium through playwright-core.
// Every wait is on something the page or the process shows, never a sleep.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, cp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page, type Locator } from 'playwright-core';

const execFileP = promisify(execFile);

export const ROOT = path.resolve(__dirname, '..', '..');
export const RESULTS = path.join(ROOT, 'test-results', 'e2e');
export const VSIX = process.env.NFRULES_VSIX ?? path.join(ROOT, 'nfrules.vsix');
export const CHROMIUM = process.env.NFRULES_CHROMIUM ?? '/usr/bin/chromium';

/** Runs test/e2e/setup.sh (idempotent, cached) and returns code-server's entry.js. */
export async function setupCodeServer(): Promise<string> {
  if (process.env.NFRULES_CODE_SERVER && existsSync(process.env.NFRULES_CODE_SERVER)) {
    return process.env.NFRULES_CODE_SERVER;
  }
  const { stdout } = await execFileP('bash', [path.join(ROOT, 'test', 'e2e', 'setup.sh')], {
    maxBuffer: 16 << 20,
  });
  const lines = stdout.trim().split('\n');
  const launcher = lines[lines.length - 1];
  if (!launcher || !existsSync(launcher)) throw new Error(`setup.sh printed no launcher: ${stdout}`);
  return launcher;
}

/** User settings that keep the workbench quiet and deterministic. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'github.gitAuthentication': false,
  'npm.autoDetect': 'off',
  'typescript.tsserver.experimental.enableProjectDiagnostics': false,
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  'editor.minimap.enabled': false,
  'editor.hover.delay': 300,
  'editor.lightbulb.enabled': 'off',
  'editor.fontFamily': "'DejaVu Sans Mono', monospace",
  'editor.fontSize': 14,
  'files.autoSave': 'off',
  'window.commandCenter': false,
  'workbench.layoutControl.enabled': false,
  'problems.decorations.enabled': true,
  'workbench.reduceMotion': 'on',
  'editor.wordBasedSuggestions': 'off',
  'editor.cursorBlinking': 'solid',
};

export interface CodeServerOptions {
  launcher: string;
  /** Folder opened as the workspace. */
  folder: string;
  /** .vsix installed with --install-extension before start; omit for none. */
  vsix?: string;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** Bind address; default 127.0.0.1:0 (a free port, read back from the log). */
  bindAddr?: string;
  /** Where the throwaway user-data and extensions dirs go. */
  stateDir?: string;
  /** Print code-server's log as it comes. */
  echo?: boolean;
}

export interface CodeServer {
  url: string;
  folder: string;
  userDataDir: string;
  extensionsDir: string;
  process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

function runLauncher(launcher: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileP(process.execPath, [launcher, ...args], { maxBuffer: 16 << 20, timeout: 120_000 });
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const state = opts.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'nfrules-cs-')));
  const userDataDir = path.join(state, 'user-data');
  const extensionsDir = path.join(state, 'extensions');
  const configFile = path.join(state, 'config.yaml');
  await mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await mkdir(extensionsDir, { recursive: true });
  await writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...opts.settings }, null, 2));
  await writeFile(configFile, `bind-addr: ${opts.bindAddr ?? '127.0.0.1:0'}\nauth: none\ncert: false\ndisable-telemetry: true\ndisable-update-check: true\n`);
  const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  if (opts.vsix) {
    const { stdout, stderr } = await runLauncher(opts.launcher, [...common, '--force', '--install-extension', opts.vsix]);
    if (!/successfully installed/i.test(stdout + stderr)) {
      throw new Error(`--install-extension ${opts.vsix} failed:\n${stdout}\n${stderr}`);
    }
  }
  const child = spawn(
    process.execPath,
    [
      opts.launcher,
      ...common,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      opts.folder,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VSCODE_PROXY_URI: '' } },
  );
  let output = '';
  const onData = (b: Buffer) => {
    output += b.toString();
    if (opts.echo) process.stderr.write(b);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start in 60s:\n${output}`)), 60_000);
    const check = () => {
      const m = /HTTP server listening on (http:\/\/[^\s]+?)\/?\s/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited with ${code}:\n${output}`));
    });
    check();
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (!opts.stateDir && !process.env.NFRULES_E2E_KEEP) await rm(state, { recursive: true, force: true });
  };
  process.once('exit', () => {
    if (!stopped && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
  return { url, folder: opts.folder, userDataDir, extensionsDir, process: child, log: () => output, stop };
}

/** Copies a fixture folder to a throwaway place so tests may edit and save files. */
export async function copyWorkspace(src: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nfrules-ws-'));
  await cp(src, dir, { recursive: true });
  return dir;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--disable-features=Translate,MediaRouter,OptimizationHints',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

/** Opens the workbench on the server's folder and waits until the editor area is ready. */
export async function openWorkbench(browser: Browser, server: CodeServer): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const url = `${server.url}/?folder=${encodeURIComponent(server.folder)}`;
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  // The explorer shows the folder's files once the remote file system answers.
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
  return page;
}

/** Runs a command from the command palette by its label. */
export async function runCommand(page: Page, label: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${label}`);
  const row = page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
    .first();
  await row.waitFor({ state: 'visible' });
  await row.click();
  await input.waitFor({ state: 'hidden' });
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The editor (Monaco) showing a file, by the end of its URI. */
export function editorFor(page: Page, fileName: string): Locator {
  return page.locator(`.editor-instance .monaco-editor[data-uri$="/${fileName}"]`);
}

/**
 * Opens a workspace file through Quick Open and waits for its editor to show.
 * Quick Open fills its list in several passes (history, then file search), so
 * a click could land on a row that has just moved: walk the keyboard focus to
 * the row with exactly that name, press Enter, and check the active tab.
 */
export async function openFile(page: Page, fileName: string): Promise<Locator> {
  const activeTab = page.locator(`.tabs-container .tab.active[data-resource-name="${fileName}"]`);
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const list = page.locator('.quick-input-widget .quick-input-list');
  const exact = new RegExp(`^${escapeRegExp(fileName)}$`);
  const focusedName = list.locator('.monaco-list-row.focused .label-name');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+P');
    await input.waitFor({ state: 'visible' });
    await input.fill(fileName);
    await list.locator('.monaco-list-row .label-name', { hasText: exact }).first().waitFor();
    const rows = await list.locator('.monaco-list-row').count();
    for (let i = 0; i < rows + 1; i++) {
      const name = await focusedName
        .first()
        .innerText({ timeout: 2_000 })
        .catch(() => '');
      if (name.trim() === fileName) break;
      await page.keyboard.press('ArrowDown');
    }
    const chosen = await focusedName
      .first()
      .innerText({ timeout: 2_000 })
      .catch(() => '');
    if (chosen.trim() === fileName) {
      await page.keyboard.press('Enter');
      await input.waitFor({ state: 'hidden' });
      try {
        await activeTab.waitFor({ timeout: attempt < 3 ? 10_000 : 30_000 });
        break;
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    } else {
      if (attempt >= 3) throw new Error(`Quick Open never focused ${fileName} (last focused: ${chosen})`);
      await page.keyboard.press('Escape');
      await input.waitFor({ state: 'hidden' });
    }
  }
  const editor = editorFor(page, fileName);
  await editor.locator('.view-lines .view-line').first().waitFor({ state: 'visible' });
  return editor;
}

/** The rendered line of an editor whose text contains `text` (it must be on screen). */
export function viewLine(editor: Locator, text: string): Locator {
  return editor.locator('.view-lines .view-line', { hasText: text }).first();
}

/**
 * Screen box of the first occurrence of `needle` in a rendered editor line,
 * measured with a DOM Range over the line's text nodes.
 */
export async function textBox(line: Locator, needle: string, timeoutMs = 10_000): Promise<{ x: number; y: number; width: number; height: number }> {
  // Monaco re-renders a line when its tokens arrive: measure until it holds still.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const box = await measureText(line, needle);
    if (box && box.width > 0) {
      const again = await measureText(line, needle);
      if (again && again.x === box.x && again.y === box.y && again.width === box.width) return again;
    }
    if (Date.now() > deadline) throw new Error(`"${needle}" is not on screen in that line`);
    await nextFrame(line.page());
  }
}

/** Resolves after the page has painted its next frame. */
export async function nextFrame(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((r) => (globalThis as any).requestAnimationFrame(() => r())));
}

async function measureText(line: Locator, needle: string): Promise<{ x: number; y: number; width: number; height: number } | null> {
  return line.evaluate((el, needle) => {
    // Runs in the page: DOM types come from the page, not from this file's lib.
    // No nested named functions here: tsx would wrap them in a helper the page lacks.
    const doc = (el as any).ownerDocument;
    const walker = doc.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
    const nodes: any[] = [];
    const starts: number[] = [];
    let text = '';
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      nodes.push(n);
      starts.push(text.length);
      text += String(n.nodeValue).replace(/\u00a0/g, ' ');
    }
    const at = text.indexOf(needle);
    if (at < 0 || nodes.length === 0) return null;
    const ends = [at, at + needle.length - 1];
    const found: { node: any; offset: number }[] = [];
    for (const offset of ends) {
      let i = nodes.length - 1;
      while (i > 0 && starts[i] > offset) i--;
      found.push({ node: nodes[i], offset: offset - starts[i] });
    }
    const range = doc.createRange();
    range.setStart(found[0].node, found[0].offset);
    range.setEnd(found[1].node, found[1].offset + 1);
    const r = range.getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  }, needle);
}

/** Text of the whole document in an editor, read from the workbench's model. */
export async function lineTexts(editor: Locator): Promise<string[]> {
  return editor.locator('.view-lines .view-line').allInnerTexts();
}

export async function screenshot(page: Page, name: string, clip?: Locator): Promise<string> {
  await mkdir(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.png`);
  if (clip) await clip.screenshot({ path: file });
  else await page.screenshot({ path: file });
  return file;
}

/**
 * A picture for the README: the editor area, cut below the lowest of `focus`
 * (a hover, a menu) and of the file's last rendered line. Saved as
 * test-results/e2e/readme-NAME.png and, with NFRULES_E2E_UPDATE_IMAGES=1,
 * as images/NAME.png too.
 */
export async function readmeShot(page: Page, name: string, area: Locator, focus: Locator[]): Promise<string> {
  const box = await area.boundingBox();
  if (!box) throw new Error('the area to picture is not on screen');
  let bottom = 0;
  for (const l of [...focus, area.locator('.view-lines .view-line').last()]) {
    const b = await l.boundingBox();
    if (b) bottom = Math.max(bottom, b.y + b.height);
  }
  const height = Math.min(box.height, Math.max(120, bottom - box.y + 16));
  await mkdir(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `readme-${name}.png`);
  await page.screenshot({ path: file, clip: { x: box.x, y: box.y, width: box.width, height } });
  if (process.env.NFRULES_E2E_UPDATE_IMAGES === '1') {
    // A 256-colour palette keeps the committed picture at a third of the size;
    // without ImageMagick, the picture is copied as it is.
    const dest = path.join(ROOT, 'images', `${name}.png`);
    await execFileP('convert', [file, '-dither', 'None', '-colors', '256', `PNG8:${dest}`]).catch(() => cp(file, dest));
  }
  return file;
}

/**
 * Hovers `needle` in the rendered line holding `lineText` and returns the
 * hover's text once it has content matching `expect`. The language server may
 * still be starting when the mouse first arrives, so the pointer leaves and
 * comes back until the hover has that content or the deadline passes.
 */
export async function hoverText(page: Page, editor: Locator, lineText: string, needle: string, expect: RegExp): Promise<string> {
  const line = viewLine(editor, lineText);
  await line.waitFor();
  const hover = page.locator('.monaco-hover:not(.hidden)').filter({ has: page.locator('.hover-contents') });
  const deadline = Date.now() + 45_000;
  let last = '';
  while (Date.now() < deadline) {
    const box = await textBox(line, needle);
    // Park the pointer on the line numbers, then onto the word.
    await page.mouse.move(box.x - 200 < 0 ? 1 : box.x - 200, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
    try {
      await hover.first().waitFor({ state: 'visible', timeout: 5_000 });
      await page.waitForFunction(
        ([re, flags]) => {
          const el = (globalThis as any).document.querySelector('.monaco-hover:not(.hidden) .hover-contents');
          return !!el && new RegExp(re, flags).test(el.innerText);
        },
        [expect.source, expect.flags] as const,
        { timeout: 5_000 },
      );
      return await hover.first().innerText();
    } catch {
      last =
        (await hover
          .first()
          .innerText()
          .catch(() => '')) || last;
    }
  }
  throw new Error(`no hover matching ${expect} on "${needle}"; last hover text: ${JSON.stringify(last)}`);
}
