/**
 * The Node language server: the shared adapter (adapter.ts) on an IPC or stdio connection.
 * Under --stdio, stdout is the protocol: logs go to connection.console.
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { serve } from './adapter';

serve(createConnection(ProposedFeatures.all));
