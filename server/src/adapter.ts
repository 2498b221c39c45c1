/**
 * The LSP adapter: capabilities, document sync (incremental, so a save file re-parses only
 * the edited lines), settings per document, and one block wiring each request to the core.
 * Shared by the Node server (server.ts: IPC or stdio, where stdout is the protocol, so logs go
 * to connection.console) and the web worker (browserServer.ts); nothing here may need Node.
 */
import {
  CancellationToken,
  CodeAction,
  CodeActionKind,
  DidChangeConfigurationNotification,
  ErrorCodes,
  LSPErrorCodes,
  Position,
  Range,
  ResponseError,
  TextDocumentSyncKind,
} from 'vscode-languageserver';
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
  let canPullConfig = false;
  let canRefresh = { codeLens: false, inlayHint: false };

  /**
   * Settings per document, pulled with workspace/configuration. A client that does not answer
   * within CONFIG_TIMEOUT_MS gets the defaults meanwhile (diagnostics and hovers never wait on
   * it); when its answer comes, the document is published again with it.
   */
  const CONFIG_TIMEOUT_MS = 1000;
  interface SettingsEntry {
    value?: ServiceSettings;
    pending: Promise<ServiceSettings>;
    late?: boolean;
  }
  const settingsCache = new Map<string, SettingsEntry>();

  function settingsFor(uri: string): Promise<ServiceSettings> {
    if (!canPullConfig) return Promise.resolve(DEFAULT_SERVICE_SETTINGS);
    let entry = settingsCache.get(uri);
    if (!entry) {
      const e: SettingsEntry = {
        pending: connection.workspace.getConfiguration({ scopeUri: uri, section: 'iptables' }).then(readSettings, () => DEFAULT_SERVICE_SETTINGS),
      };
      void e.pending.then((v) => {
        e.value = v;
        if (e.late && settingsCache.get(uri) === e && openUris.has(uri)) schedulePublish(uri);
      });
      settingsCache.set(uri, (entry = e));
    }
    if (entry.value) return Promise.resolve(entry.value);
    if (entry.late) return Promise.resolve(DEFAULT_SERVICE_SETTINGS);
    const e = entry;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        e.late = true;
        resolve(DEFAULT_SERVICE_SETTINGS);
      }, CONFIG_TIMEOUT_MS);
      void e.pending.then((v) => {
        clearTimeout(timer);
        resolve(v);
      });
    });
  }

  /** After an await: a request the client cancelled meanwhile answers RequestCancelled. */
  function checkCancelled(token: CancellationToken): void {
    if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
  }

  function isPosition(p: unknown): p is Position {
    return !!p && typeof p === 'object' && Number.isFinite((p as Position).line) && Number.isFinite((p as Position).character);
  }
  function isRange(r: unknown): r is Range {
    return !!r && typeof r === 'object' && isPosition((r as Range).start) && isPosition((r as Range).end);
  }

  /**
   * A position of a request, clamped as LSP says: a line before the first is the document's
   * start, a line past the last its end, a character past the line's end the line's end.
   */
  function clampPosition(uri: string, p: Position): Position {
    const lines = service.lines(uri);
    if (!lines || !isPosition(p)) return { line: 0, character: 0 };
    const line = Math.floor(p.line);
    if (line < 0) return { line: 0, character: 0 };
    if (line >= lines.length) return { line: lines.length - 1, character: lines[lines.length - 1].length };
    return { line, character: Math.min(Math.max(0, Math.floor(p.character)), lines[line].length) };
  }
  function clampRange(uri: string, r: Range): Range {
    if (!isRange(r)) return { start: clampPosition(uri, r as unknown as Position), end: clampPosition(uri, r as unknown as Position) };
    const a = clampPosition(uri, r.start);
    const b = clampPosition(uri, r.end);
    return a.line < b.line || (a.line === b.line && a.character <= b.character) ? { start: a, end: b } : { start: b, end: a };
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
          // the whole-file rewrites are offered on each cursor move and computed when chosen
          resolveProvider: true,
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
    if (!textDocument || typeof textDocument.uri !== 'string' || !Array.isArray(contentChanges)) return;
    // a change that is not text (or a range that is not one) is dropped; the document then
    // differs from the client's, as it would with any lost message, but stays consistent
    const valid = contentChanges.filter((c) => c && typeof c.text === 'string' && (!('range' in c) || c.range === undefined || isRange(c.range)));
    service.change(textDocument.uri, valid as { range?: Range; text: string }[], typeof textDocument.version === 'number' ? textDocument.version : 0);
    schedulePublish(textDocument.uri);
  });
  connection.onDidCloseTextDocument(({ textDocument }) => {
    service.close(textDocument.uri);
    openUris.delete(textDocument.uri);
    settingsCache.delete(textDocument.uri);
    connection.sendDiagnostics({ uri: textDocument.uri, diagnostics: [] });
  });

  connection.onHover(async ({ textDocument, position }, token) => {
    const settings = await settingsFor(textDocument.uri);
    checkCancelled(token);
    return service.hover(textDocument.uri, clampPosition(textDocument.uri, position), settings);
  });
  connection.onCodeAction(({ textDocument, range, context }) => {
    const only = Array.isArray(context?.only) ? context.only.filter((k): k is string => typeof k === 'string') : undefined;
    return service.codeActions(textDocument.uri, clampRange(textDocument.uri, range), only);
  });
  connection.onCodeActionResolve((action: CodeAction) => service.resolveCodeAction(action));

  connection.onDocumentSymbol(({ textDocument }) => service.documentSymbols(textDocument.uri));
  connection.onWorkspaceSymbol(({ query }) => service.workspaceSymbols(typeof query === 'string' ? query : ''));
  connection.onFoldingRanges(({ textDocument }) => service.foldingRanges(textDocument.uri));
  connection.languages.inlayHint.on(async ({ textDocument, range }, token) => {
    const settings = await settingsFor(textDocument.uri);
    checkCancelled(token);
    return service.inlayHints(textDocument.uri, clampRange(textDocument.uri, range), settings);
  });
  connection.languages.semanticTokens.on(({ textDocument }) => service.semanticTokens(textDocument.uri));
  connection.languages.semanticTokens.onRange(({ textDocument, range }) => service.semanticTokens(textDocument.uri, clampRange(textDocument.uri, range)));
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
    const settings = await settingsFor(req.uri);
    const view = service.walk({ ...req, line: clampPosition(req.uri, { line: req.line, character: 0 }).line }, settings);
    refreshWalkViews();
    return view;
  });
  connection.onRequest(CLEAR_WALK_REQUEST, (p: ClearWalkParams | null) => {
    if (typeof p?.uri === 'string') service.clearWalk(p.uri);
    refreshWalkViews();
    return null;
  });

  /** Lenses and hints show the pinned walk: ask the client to fetch them again (where it can be asked). */
  function refreshWalkViews(): void {
    if (canRefresh.inlayHint) connection.languages.inlayHint.refresh().catch(() => undefined);
    if (canRefresh.codeLens) connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  }

  connection.onCompletion(({ textDocument, position }) => service.completion(textDocument.uri, clampPosition(textDocument.uri, position)));
  connection.onDefinition(({ textDocument, position }) => service.definition(textDocument.uri, clampPosition(textDocument.uri, position)));
  connection.onReferences(({ textDocument, position, context }) =>
    service.references(textDocument.uri, clampPosition(textDocument.uri, position), context?.includeDeclaration !== false),
  );
  connection.onDocumentHighlight(({ textDocument, position }) => service.documentHighlights(textDocument.uri, clampPosition(textDocument.uri, position)));
  connection.onPrepareRename(({ textDocument, position }) => orError(service.prepareRename(textDocument.uri, clampPosition(textDocument.uri, position))));
  connection.onRenameRequest(({ textDocument, position, newName }) => {
    if (typeof newName !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'rename needs a newName');
    const r = orError(service.rename(textDocument.uri, clampPosition(textDocument.uri, position), newName));
    return r && r.edit;
  });

  /** A core answer that refuses (`{ error }`) becomes a ResponseError the client shows. */
  function orError<T extends object>(r: T | { error: string } | null): T | null {
    if (r && 'error' in r) throw new ResponseError(-32803 /* RequestFailed */, r.error);
    return r as T | null;
  }

  connection.listen();
}
