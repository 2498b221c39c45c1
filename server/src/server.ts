/**
 * The Node language server: the shared adapter (adapter.ts) on an IPC or stdio connection.
 * Under --stdio, stdout is the protocol: logs go to connection.console.
 *
 * The connection keeps the lifecycle LSP prescribes: before `initialize` a request is refused
 * (ServerNotInitialized) and a notification dropped; after `shutdown` a request is refused
 * (InvalidRequest); `exit` is always heard. A cancelled request still in the queue answers
 * RequestCancelled without being computed. Under --stdio the reader survives broken framing
 * (framing.ts).
 */
import {
  ConnectionOptions,
  ErrorCodes,
  LSPErrorCodes,
  Message,
  ProposedFeatures,
  RequestMessage,
  ResponseMessage,
  StreamMessageWriter,
  createConnection,
} from 'vscode-languageserver/node';
import { serve } from './adapter';
import { TolerantMessageReader } from './framing';

let lifecycle: 'new' | 'running' | 'shutdown' = 'new';
const stdio = process.argv.includes('--stdio');
const writer = stdio ? new StreamMessageWriter(process.stdout) : undefined;
function refuse(req: RequestMessage, code: number, message: string): void {
  const reply: ResponseMessage = { jsonrpc: '2.0', id: req.id, error: { code, message } };
  if (writer) void writer.write(reply).catch(() => undefined);
  else process.send?.(reply);
}
const options: ConnectionOptions = {
  connectionStrategy: {
    cancelUndispatched: (req: Message) =>
      ({ jsonrpc: '2.0', id: (req as RequestMessage).id, error: { code: LSPErrorCodes.RequestCancelled, message: 'cancelled' } }) as ResponseMessage,
  },
  messageStrategy: {
    handleMessage(message, next) {
      const m = message as Partial<RequestMessage>;
      if (typeof m.method !== 'string') return next(message);
      const isRequest = m.id !== undefined && m.id !== null;
      if (m.method === 'exit') return next(message);
      if (m.method === 'initialize' && isRequest) {
        if (lifecycle !== 'new') return refuse(m as RequestMessage, ErrorCodes.InvalidRequest, 'initialize was already received');
        lifecycle = 'running';
        return next(message);
      }
      if (lifecycle === 'new') return isRequest ? refuse(m as RequestMessage, ErrorCodes.ServerNotInitialized, `${m.method} before initialize`) : undefined;
      if (lifecycle === 'shutdown') return isRequest ? refuse(m as RequestMessage, ErrorCodes.InvalidRequest, `${m.method} after shutdown`) : undefined;
      if (m.method === 'shutdown') lifecycle = 'shutdown';
      return next(message);
    },
  },
};

if (stdio) {
  // the library's own stdio watch is bypassed with a reader of our own: exit when the client goes
  const gone = () => process.exit(lifecycle === 'shutdown' ? 0 : 1);
  process.stdin.on('end', gone);
  process.stdin.on('close', gone);
}

serve(
  stdio
    ? createConnection(ProposedFeatures.all, new TolerantMessageReader(process.stdin, (msg) => process.stderr.write(msg + '\n')), writer!, options)
    : createConnection(ProposedFeatures.all, options),
);
