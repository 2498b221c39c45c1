/**
 * The client in VS Code for the Web (vscode.dev, github.dev): the same language server, bundled
 * for a web worker (dist/browserServer.js), and the same views (common.ts). The extension host
 * here is itself a web worker: no Node, no processes, files only through the editor.
 */
import { ExtensionContext, Uri } from 'vscode';
import { LanguageClient, ServerOptions } from 'vscode-languageclient/browser';
import { clientOptions, startClient, stopClient } from './common';

// A web worker's global: the project's TypeScript lib has no DOM types (test/protocol/webWorker.test.ts
// checks this file against the WebWorker library, where it is the real Worker).
declare const Worker: new (scriptURL: string) => Exclude<ServerOptions, () => unknown>;

export async function activate(context: ExtensionContext): Promise<void> {
  const main = Uri.joinPath(context.extensionUri, 'dist', 'browserServer.js');
  const worker = new Worker(main.toString(true));
  await startClient(context, new LanguageClient('nfrules', 'nfrules (iptables)', worker, clientOptions));
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
