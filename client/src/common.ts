/**
 * What the Node client (extension.ts) and the browser client (browser.ts) share: the documents
 * the server serves, and the packet walk the server computes (a list of the rules hit, each a
 * link, and decorations on them). Everything it shows comes from the server. Nothing here may
 * need Node: the browser client runs in VS Code for the Web's extension host, a web worker.
 */
import { ExtensionContext, OverviewRulerLane, Range, Selection, TextEditor, TextEditorRevealType, ThemeColor, Uri, commands, window, workspace } from 'vscode';
import type { BaseLanguageClient, LanguageClientOptions } from 'vscode-languageclient';
import { CLEAR_WALK_REQUEST, ClearWalkParams, WALK_REQUEST, WalkRequest, WalkResponse, WalkView } from '../../server/src/protocol';

let client: BaseLanguageClient | undefined;

/** The documents the server serves, in both clients. */
export const clientOptions: LanguageClientOptions = {
  documentSelector: [{ language: 'iptables' }, { language: 'iptables-listing' }, { language: 'nftables' }, { language: 'shellscript' }],
};

const HOOKS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

const hitDecoration = window.createTextEditorDecorationType({
  isWholeLine: true,
  backgroundColor: new ThemeColor('diffEditor.insertedLineBackground'),
  overviewRulerColor: new ThemeColor('editorOverviewRuler.addedForeground'),
  overviewRulerLane: OverviewRulerLane.Left,
});
const assumedDecoration = window.createTextEditorDecorationType({
  isWholeLine: true,
  backgroundColor: new ThemeColor('editor.findMatchHighlightBackground'),
  overviewRulerColor: new ThemeColor('editorOverviewRuler.warningForeground'),
  overviewRulerLane: OverviewRulerLane.Left,
});

/** The walk shown per document, so decorations follow edits and editor switches. */
const shown = new Map<string, WalkView>();

function decorate(editor: TextEditor, view: WalkView | undefined): void {
  const hit: Range[] = [];
  const assumed: Range[] = [];
  for (const s of view?.steps ?? []) {
    if (!s.matched) continue;
    (s.decided ? hit : assumed).push(new Range(s.line, 0, s.line, 0));
  }
  editor.setDecorations(hitDecoration, hit);
  editor.setDecorations(assumedDecoration, assumed);
}

async function runWalk(given: WalkRequest | undefined): Promise<void> {
  if (!client) return;
  const editor = window.activeTextEditor;
  let req = given;
  if (!req) {
    // from the command palette: the active document, the cursor's line, a hook to choose
    if (!editor) return;
    const hook = await window.showQuickPick([...HOOKS], { placeHolder: 'Walk the sample packet through which hook?' });
    if (!hook) return;
    req = { uri: editor.document.uri.toString(), hook: hook as WalkRequest['hook'], line: editor.selection.active.line };
  }
  const view = await client.sendRequest<WalkResponse>(WALK_REQUEST, req);
  if (!view) return;
  shown.set(req.uri, view);
  for (const e of window.visibleTextEditors) if (e.document.uri.toString() === req.uri) decorate(e, view);
  await showPath(view);
}

/** The path as a list: choosing a rule moves to it. */
async function showPath(view: WalkView): Promise<void> {
  const uri = Uri.parse(view.request.uri);
  type Item = { label: string; description: string; detail: string; line: number };
  const items: Item[] = view.steps.map((s) => ({
    label: `${s.matched ? (s.decided ? '$(pass-filled)' : '$(question)') : '$(circle-outline)'} line ${s.line + 1}`,
    description: s.label,
    detail: s.detail,
    line: s.line,
  }));
  const pick = window.createQuickPick<Item>();
  pick.title = `${view.request.hook}${view.request.table ? ` (${view.request.table} only)` : ''}: ${view.summary}`;
  pick.placeholder = `Sample packet: ${view.packet}${view.result.notes.length ? ` · ${view.result.notes[0]}` : ''}`;
  pick.items = items;
  pick.matchOnDescription = true;
  const reveal = async (it: Item | undefined, keep: boolean) => {
    if (!it) return;
    const doc = await workspace.openTextDocument(uri);
    const ed = await window.showTextDocument(doc, { preview: !keep, preserveFocus: !keep });
    ed.selection = new Selection(it.line, 0, it.line, 0);
    ed.revealRange(new Range(it.line, 0, it.line, 0), TextEditorRevealType.InCenterIfOutsideViewport);
  };
  pick.onDidChangeActive((a) => void reveal(a[0], false));
  pick.onDidAccept(() => {
    void reveal(pick.selectedItems[0] ?? pick.activeItems[0], true);
    pick.hide();
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
}

/** Registers the walk's commands and views on `started` and starts it. */
export async function startClient(context: ExtensionContext, started: BaseLanguageClient): Promise<void> {
  client = started;
  let timer: ReturnType<typeof setTimeout> | undefined;
  context.subscriptions.push(
    commands.registerCommand('nfrules.walkSamplePacket', (req?: WalkRequest) => runWalk(req)),
    commands.registerCommand('nfrules.clearWalk', async () => {
      const uri = window.activeTextEditor?.document.uri.toString();
      if (!uri || !client) return;
      shown.delete(uri);
      for (const e of window.visibleTextEditors) if (e.document.uri.toString() === uri) decorate(e, undefined);
      await client.sendRequest(CLEAR_WALK_REQUEST, { uri } satisfies ClearWalkParams);
    }),
    window.onDidChangeVisibleTextEditors((eds) => {
      for (const e of eds) decorate(e, shown.get(e.document.uri.toString()));
    }),
    // the server walks again on the new text; fetch it when typing pauses
    workspace.onDidChangeTextDocument((ev) => {
      const uri = ev.document.uri.toString();
      const view = shown.get(uri);
      if (!view || !client) return;
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const next = await client!.sendRequest<WalkResponse>(WALK_REQUEST, view.request);
        if (!next || !shown.has(uri)) return;
        shown.set(uri, next);
        for (const e of window.visibleTextEditors) if (e.document.uri.toString() === uri) decorate(e, next);
      }, 300);
    }),
  );
  await client.start();
}

export async function stopClient(): Promise<void> {
  await client?.stop();
}
