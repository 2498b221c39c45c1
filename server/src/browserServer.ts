/**
 * The language server in a web worker (VS Code for the Web: vscode.dev, github.dev): the
 * shared adapter (adapter.ts) on a postMessage connection to the extension's browser client.
 * Everything the Node server answers is answered here too; nothing in the server reads files
 * or runs processes, so nothing is missing.
 */
import { BrowserMessageReader, BrowserMessageWriter, ProposedFeatures, createConnection } from 'vscode-languageserver/browser';
import { serve } from './adapter';

// The worker's global scope; the project's TypeScript lib has no WebWorker types.
declare const self: ConstructorParameters<typeof BrowserMessageReader>[0];

serve(createConnection(ProposedFeatures.all, new BrowserMessageReader(self), new BrowserMessageWriter(self)));
