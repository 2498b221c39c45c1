// The end-to-end scenarios through the `vscode` API, run inside an extension
// host: by @vscode/test-electron in a downloaded VS Code (npm run test:electron,
// needs the network), and inside code-server through the workbench's `payload`
// URL parameter (test/e2e/exthost.test.ts, no network). The workspace is a copy
// of test/e2e/fixtures/workspace. Bundled to CommonJS by scripts/e2e-bundle-suite.mjs.
import * as vscode from 'vscode';
import * as assert from 'node:assert/strict';

const EXTENSION_ID = 'nfrules.nfrules';
const MASQ_LINE = '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000';

type Scenario = [name: string, fn: () => Promise<void>];

function fileUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, name);
}

async function open(name: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(fileUri(name));
  await vscode.window.showTextDocument(doc);
  return doc;
}

function positionOf(doc: vscode.TextDocument, lineText: string, needle: string): vscode.Position {
  for (let i = 0; i < doc.lineCount; i++) {
    const text = doc.lineAt(i).text;
    if (text.includes(lineText)) {
      const col = text.indexOf(needle, text.indexOf(lineText));
      assert.ok(col >= 0, `"${needle}" not on line ${i + 1}`);
      return new vscode.Position(i, col + 1);
    }
  }
  throw new Error(`no line with "${lineText}" in ${doc.uri.path}`);
}

/** Asks again until `get` gives something `ok` accepts: the language server may still be starting. */
async function eventually<T>(what: string, get: () => Thenable<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await get();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: gave up after ${ms} ms; last answer: ${render(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function render(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (x instanceof vscode.MarkdownString ? x.value : x)).slice(0, 2000);
  } catch {
    return String(v);
  }
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

async function markHover(name: string, lineText: string): Promise<string> {
  const doc = await open(name);
  const pos = positionOf(doc, lineText, '--set-xmark');
  const hovers = await eventually(
    `hover on --set-xmark in ${name}`,
    () => vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos),
    (hs) => /0x00004001/.test(hoverText(hs ?? [])),
  );
  const text = hoverText(hovers);
  assert.ok(/\bOR\b/.test(text) || /\bsets bits\b|\bbitwise or\b/i.test(text), `the hover does not say OR: ${text}`);
  assert.match(text, /0x00004001/);
  return text;
}

const scenarios: Scenario[] = [
  [
    'rules.v4 is iptables',
    async () => {
      const doc = await open('rules.v4');
      assert.equal(doc.languageId, 'iptables');
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, `${EXTENSION_ID} is not installed`);
      await eventually(
        'activation',
        async () => ext.isActive,
        (x) => x,
      );
    },
  ],
  ['hover on --set-xmark says OR and 0x00004001', async () => void (await markHover('rules.v4', MASQ_LINE))],
  [
    'code action rewrites to --or-mark 0x4000',
    async () => {
      const doc = await open('rules.v4');
      const pos = positionOf(doc, MASQ_LINE, '--set-xmark');
      const range = new vscode.Range(pos, pos);
      const wanted = /^Rewrite as --or-mark 0x4000\b/;
      const actions = await eventually(
        'code actions on --set-xmark',
        () => vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', doc.uri, range),
        (as) => (as ?? []).some((a) => wanted.test(a.title)),
      );
      const action = actions.find((a) => wanted.test(a.title)) as vscode.CodeAction;
      assert.ok(action.kind && vscode.CodeActionKind.RefactorRewrite.contains(action.kind), `kind ${action.kind?.value}`);
      if (action.edit) assert.ok(await vscode.workspace.applyEdit(action.edit), 'the edit did not apply');
      if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
      assert.equal(doc.lineAt(pos.line).text, '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000');
      assert.ok(await doc.save(), 'save failed');
      const onDisk = new TextDecoder().decode(await vscode.workspace.fs.readFile(doc.uri));
      assert.ok(onDisk.includes('-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n'), onDisk);
      assert.ok(!onDisk.includes(MASQ_LINE), onDisk);
    },
  ],
  [
    'a bad value is an error diagnostic',
    async () => {
      const doc = await open('broken.rules.v4');
      const diags = await eventually(
        'diagnostics of broken.rules.v4',
        async () => vscode.languages.getDiagnostics(doc.uri),
        (ds) => ds.some((d) => d.severity === vscode.DiagnosticSeverity.Error && /--set-mark/.test(d.message)),
      );
      const error = diags.find((d) => d.severity === vscode.DiagnosticSeverity.Error && /--set-mark/.test(d.message))!;
      assert.equal(error.range.start.line, 4, `the error is on line ${error.range.start.line + 1}`);
    },
  ],
  [
    'hover works on an iptables line of a .sh file',
    async () => {
      const doc = await open('firewall.sh');
      assert.equal(doc.languageId, 'shellscript');
      await markHover('firewall.sh', 'iptables -t mangle -A PREROUTING -i wg0 -j MARK --set-xmark 0x4000/0x4000');
    },
  ],
  [
    'the outline lists the nat table and its chains',
    async () => {
      const doc = await open('rules.v4');
      const symbols = await eventually(
        'document symbols of rules.v4',
        () => vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[]>('vscode.executeDocumentSymbolProvider', doc.uri),
        (ss) => (ss ?? []).length > 0,
      );
      const names: string[] = [];
      const walk = (ss: (vscode.DocumentSymbol | vscode.SymbolInformation)[]) => {
        for (const s of ss) {
          names.push(s.name);
          if ('children' in s) walk(s.children);
        }
      };
      walk(symbols);
      assert.ok(
        names.some((n) => /\bnat\b/.test(n)),
        `no nat table: ${names.join(', ')}`,
      );
      for (const chain of ['KUBE-MARK-MASQ', 'KUBE-POSTROUTING', 'KUBE-SERVICES']) {
        assert.ok(names.includes(chain), `no ${chain}: ${names.join(', ')}`);
      }
    },
  ],
  [
    'go to definition of -j KUBE-SERVICES is its chain declaration',
    async () => {
      const doc = await open('rules.v4');
      const pos = positionOf(doc, '-A PREROUTING -m comment', 'KUBE-SERVICES');
      const defs = await eventually(
        'definition of KUBE-SERVICES',
        () => vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', doc.uri, pos),
        (ds) => (ds ?? []).length > 0,
      );
      const d = defs[0];
      const range = 'targetRange' in d ? (d.targetSelectionRange ?? d.targetRange) : d.range;
      assert.equal(range.start.line, 8, `the definition is on line ${range.start.line + 1}`);
      assert.match(doc.lineAt(range.start.line).text, /^:KUBE-SERVICES /);
    },
  ],
  [
    'an inlay hint gives the mark the KUBE-MARK-MASQ rule leaves',
    async () => {
      const doc = await open('rules.v4');
      const line = positionOf(doc, '-A KUBE-MARK-MASQ -j MARK', '-A').line;
      const range = new vscode.Range(0, 0, doc.lineCount, 0);
      const label = (h: vscode.InlayHint) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''));
      const hints = await eventually(
        'inlay hints of rules.v4',
        () => vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, range),
        (hs) => (hs ?? []).some((h) => h.position.line === line),
      );
      const text = hints
        .filter((h) => h.position.line === line)
        .map(label)
        .join(' ');
      assert.match(text, /0x00004001/, `hint on line ${line + 1}: ${text}`);
    },
  ],
  [
    'completion after -j offers the chains of the table',
    async () => {
      const doc = await open('rules.v4');
      const commit = positionOf(doc, 'COMMIT', 'COMMIT').line;
      const editor = vscode.window.activeTextEditor!;
      await editor.edit((e) => e.insert(new vscode.Position(commit, 0), '-A KUBE-POSTROUTING -j \n'));
      try {
        const at = new vscode.Position(commit, '-A KUBE-POSTROUTING -j '.length);
        const list = await eventually(
          'completions after -j',
          () => vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, at),
          (l) => (l?.items ?? []).some((i) => (typeof i.label === 'string' ? i.label : i.label.label) === 'KUBE-MARK-MASQ'),
        );
        assert.ok(list.items.length > 0);
      } finally {
        await vscode.commands.executeCommand('workbench.action.files.revert');
      }
    },
  ],
  [
    'the walk lens runs the sample packet through PREROUTING; its hints then show the marks on the path',
    async () => {
      const doc = await open('walk.rules.v4');
      const lenses = await eventually(
        'walk lenses',
        () => vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri),
        (ls) => (ls ?? []).some((l) => l.command?.command === 'nfrules.walkSamplePacket'),
      );
      const lens = lenses.find((l) => l.command?.title.includes('Walk sample packet through PREROUTING'))!;
      assert.ok(lens, `no PREROUTING lens: ${render(lenses.map((l) => l.command?.title))}`);
      await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
      const markLine = positionOf(doc, '-A POD-MARKS -p tcp --dport 80', '-A').line;
      const range = new vscode.Range(0, 0, doc.lineCount, 0);
      const hints = await eventually(
        'walk inlay hints',
        () => vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, range),
        (hs) => (hs ?? []).some((h) => h.position.line === markLine && String(h.label).includes('✓ PREROUTING')),
      );
      const label = String(hints.find((h) => h.position.line === markLine)!.label);
      assert.equal(label, '✓ PREROUTING => nfmark 0x00004001');
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await vscode.commands.executeCommand('nfrules.clearWalk');
    },
  ],
];

/** Entry point called by the extension host (extensionTestsPath). */
export async function run(): Promise<void> {
  const failed: string[] = [];
  for (const [name, fn] of scenarios) {
    const t = Date.now();
    try {
      await fn();
      console.log(`exthost ok - ${name} (${Date.now() - t} ms)`);
    } catch (e) {
      failed.push(name);
      console.error(`exthost not ok - ${name}\n${e instanceof Error ? e.stack : String(e)}`);
    }
  }
  console.log(`exthost suite: ${scenarios.length - failed.length} of ${scenarios.length} scenarios passed`);
  if (failed.length) throw new Error(`extension-host scenarios failed: ${failed.join('; ')}`);
}
