/**
 * The VS Code client (desktop and remote extension hosts): starts the language server, a Node
 * process, for rule files and shell scripts. The walk and everything else it shows are in
 * common.ts, shared with the browser client (browser.ts).
 */
import * as path from 'node:path';
import { ExtensionContext } from 'vscode';
import { LanguageClient, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { clientOptions, startClient, stopClient } from './common';

export async function activate(context: ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  await startClient(context, new LanguageClient('nfrules', 'nfrules (iptables)', serverOptions, clientOptions));
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
