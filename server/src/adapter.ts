/**
 * The LSP adapter: capabilities, document sync (incremental, so a save file re-parses only
 * the edited lines), settings per document, and one block wiring each request to the core.
 * Shared by the Node server (server.ts: IPC or stdio, where stdout is the protocol, so logs go
 * to connection.console) and the web worker (browserServer.ts); nothing here may need Node.
 */
import { CodeActionKind, DidChangeConfigurationNotification, Range, ResponseError, TextDocumentSyncKind } from 'vscode-languageserver';
import type { Connection } from 'vscode-languageserver';
import { SOURCE_SAVED, SOURCE_SHORTEST } from './core/features/codeActions';
import { LEGEND } from './core/features/semanticTokens';
import { DEFAULT_SERVICE_SETTINGS, NfRulesService, ServiceSettings } from './core/service/service';
import { readSettings } from './core/service/settings';
import { CLEAR_WALK_REQUEST, ClearWalkParams, WALK_REQUEST, WalkRequest } from './protocol';

/**
 * Runs `f` after the messages already received: setImmediate under Node, a zero timeout in a
 * web worker (which has no setImmediate), so a burst of edits is analysed once.
 */
const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
const soon: (f: () => void) => void = immediate ? (f) => void immediate(f) : (f) => void setTimeout(f, 0);

/**
 * Wires one connection to a fresh service and starts listening. The connection is the only
 * thing that differs between Node (IPC or stdio) and a web worker (postMessage).
 */
export function serve(connection: Connection): void {
  const service = new NfRulesService();
  const settingsCache = new Map<string, Promise<ServiceSettings>>();
  let canPullConfig = false;
  let canRefresh = { codeLens: false, inlayHint: false };

  function settingsFor(uri: string): Promise<ServiceSettings> {
    if (!canPullConfig) return Promise.resolve(DEFAULT_SERVICE_SETTINGS);
    let s = settingsCache.get(uri);
    if (!s) {
      s = connection.workspace.getConfiguration({ scopeUri: uri, section: 'iptables' }).then(readSettings, () => DEFAULT_SERVICE_SETTINGS);
      settingsCache.set(uri, s);
    }
    return s;
  }

  const pending = new Set<string>();
  function schedulePublish(uri: string): void {
    if (pending.has(uri)) return;
    pending.add(uri);
    // coalesce a burst of changes into one analysis
    soon(async () => {
      pending.delete(uri);
      const version = service.version(uri);
      if (version === undefined) return;
      const settings = await settingsFor(uri);
      if (service.version(uri) !== version) return schedulePublish(uri);
      // on a keystroke: the file-level pass only if its cached graph still holds; else its
      // last findings, moved with the edits, and the whole pass once typing pauses
      const opened = !service.flowDone(uri);
      connection.sendDiagnostics({ uri, version, diagnostics: service.diagnostics(uri, settings, 'quick') });
      // a document just opened gets the file-level pass right after its first publish, behind
      // the requests an editor sends on opening (outline, lenses, tokens: answered first)
      if (service.flowStale(uri)) scheduleFlow(uri, opened ? OPEN_FLOW_DELAY_MS : FLOW_DELAY_MS);
    });
  }

  /** Quiet time after the last edit before the file-level pass runs again. */
  const FLOW_DELAY_MS = 300;
  const OPEN_FLOW_DELAY_MS = 50;
  const flowTimers = new Map<string, ReturnType<typeof setTimeout>>();
  function scheduleFlow(uri: string, delay: number): void {
    clearTimeout(flowTimers.get(uri));
    flowTimers.set(
      uri,
      setTimeout(async () => {
        flowTimers.delete(uri);
        const version = service.version(uri);
        if (version === undefined || pending.has(uri)) return;
        const settings = await settingsFor(uri);
        if (service.version(uri) !== version) return;
        connection.sendDiagnostics({ uri, version, diagnostics: service.diagnostics(uri, settings, 'now') });
      }, delay),
    );
  }

  connection.onInitialize((params) => {
    canPullConfig = !!params.capabilities.workspace?.configuration;
    const ws = params.capabilities.workspace;
    canRefresh = { codeLens: !!ws?.codeLens?.refreshSupport, inlayHint: !!ws?.inlayHint?.refreshSupport };
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        renameProvider: { prepareProvider: true },
        foldingRangeProvider: true,
        inlayHintProvider: true,
        codeLensProvider: { resolveProvider: false },
        semanticTokensProvider: { legend: LEGEND, full: true, range: true },
        completionProvider: { triggerCharacters: ['-', ' ', '*', ','] },
        codeActionProvider: {
          codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite, SOURCE_SHORTEST, SOURCE_SAVED],
        },
      },
      serverInfo: { name: 'nfrules' },
    };
  });

  connection.onInitialized(() => {
    if (canPullConfig) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'iptables' });
  });

  connection.onDidChangeConfiguration(() => {
    settingsCache.clear();
    for (const uri of openUris) schedulePublish(uri);
  });

  const openUris = new Set<string>();
  connection.onDidOpenTextDocument(({ textDocument: d }) => {
    service.open(d.uri, d.text, d.languageId, d.version);
    openUris.add(d.uri);
    schedulePublish(d.uri);
  });
  connection.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
    service.change(textDocument.uri, contentChanges as { range?: Range; text: string }[], textDocument.version);
    schedulePublish(textDocument.uri);
  });
  connection.onDidCloseTextDocument(({ textDocument }) => {
    service.close(textDocument.uri);
    openUris.delete(textDocument.uri);
    settingsCache.delete(textDocument.uri);
    connection.sendDiagnostics({ uri: textDocument.uri, diagnostics: [] });
  });

  connection.onHover(async ({ textDocument, position }) => service.hover(textDocument.uri, position, await settingsFor(textDocument.uri)));
  connection.onCodeAction(({ textDocument, range, context }) => service.codeActions(textDocument.uri, range, context.only));

  connection.onDocumentSymbol(({ textDocument }) => service.documentSymbols(textDocument.uri));
  connection.onWorkspaceSymbol(({ query }) => service.workspaceSymbols(query));
  connection.onFoldingRanges(({ textDocument }) => service.foldingRanges(textDocument.uri));
  connection.languages.inlayHint.on(async ({ textDocument, range }) => service.inlayHints(textDocument.uri, range, await settingsFor(textDocument.uri)));
  connection.languages.semanticTokens.on(({ textDocument }) => service.semanticTokens(textDocument.uri));
  connection.languages.semanticTokens.onRange(({ textDocument, range }) => service.semanticTokens(textDocument.uri, range));
  connection.onCodeLens(({ textDocument }) => service.codeLenses(textDocument.uri));

  /**
   * `nfrules/walk` (params: WalkRequest): walk the sample packet through a hook and pin the
   * walk to the document; the lenses and inlay hints then show it. `nfrules/clearWalk`
   * ({ uri }) unpins it.
   */
  connection.onRequest(WALK_REQUEST, async (req: WalkRequest) => {
    if (!req || typeof req.uri !== 'string' || typeof req.hook !== 'string' || typeof req.line !== 'number') {
      throw new ResponseError(-32602 /* InvalidParams */, 'nfrules/walk needs { uri, hook, line, table? }');
    }
    const view = service.walk(req, await settingsFor(req.uri));
    refreshWalkViews();
    return view;
  });
  connection.onRequest(CLEAR_WALK_REQUEST, ({ uri }: ClearWalkParams) => {
    service.clearWalk(uri);
    refreshWalkViews();
    return null;
  });

  /** Lenses and hints show the pinned walk: ask the client to fetch them again (where it can be asked). */
  function refreshWalkViews(): void {
    if (canRefresh.inlayHint) connection.languages.inlayHint.refresh().catch(() => undefined);
    if (canRefresh.codeLens) connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  }

  connection.onCompletion(({ textDocument, position }) => service.completion(textDocument.uri, position));
  connection.onDefinition(({ textDocument, position }) => service.definition(textDocument.uri, position));
  connection.onReferences(({ textDocument, position, context }) => service.references(textDocument.uri, position, context.includeDeclaration));
  connection.onDocumentHighlight(({ textDocument, position }) => service.documentHighlights(textDocument.uri, position));
  connection.onPrepareRename(({ textDocument, position }) => orError(service.prepareRename(textDocument.uri, position)));
  connection.onRenameRequest(({ textDocument, position, newName }) => {
    const r = orError(service.rename(textDocument.uri, position, newName));
    return r && r.edit;
  });

  /** A core answer that refuses (`{ error }`) becomes a ResponseError the client shows. */
  function orError<T extends object>(r: T | { error: string } | null): T | null {
    if (r && 'error' in r) throw new ResponseError(-32803 /* RequestFailed */, r.error);
    return r as T | null;
  }

  connection.listen();
}
