/** A minimal LSP client over stdio for protocol tests: spawns dist/server.js --stdio. */
import { spawn, ChildProcessWithoutNullStreams } from 'node:child_process';

export class LspClient {
  private proc: ChildProcessWithoutNullStreams;
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private waiting = new Map<number, (msg: any) => void>();
  private listeners: ((msg: any) => void)[] = [];
  readonly notifications: any[] = [];

  /** What the server wrote on stderr (framing errors and the like are reported there). */
  stderr = '';
  /** Resolves with the exit code once the server process ends. */
  readonly exited: Promise<number | null>;

  constructor(serverPath = 'dist/server.js') {
    this.proc = spawn(process.execPath, [serverPath, '--stdio']);
    this.proc.stdout.on('data', (d: Buffer) => this.onData(d));
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc.stdin.on('error', () => undefined);
    this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
  }

  /** Chunks of a large message still arriving, and the size it needs (no quadratic concat). */
  private pendingChunks: Buffer[] = [];
  private pendingSize = 0;
  private need = 0;

  private onData(d: Buffer): void {
    if (this.need && this.pendingSize + d.length < this.need) {
      this.pendingChunks.push(d);
      this.pendingSize += d.length;
      return;
    }
    this.buf = Buffer.concat([this.buf, ...this.pendingChunks, d]);
    this.pendingChunks = [];
    this.pendingSize = 0;
    this.need = 0;
    for (;;) {
      const sep = this.buf.indexOf('\r\n\r\n');
      if (sep < 0) return;
      const m = /Content-Length: (\d+)/i.exec(this.buf.subarray(0, sep).toString());
      const len = Number(m![1]);
      if (this.buf.length < sep + 4 + len) {
        this.need = sep + 4 + len - this.buf.length;
        return;
      }
      const msg = JSON.parse(this.buf.subarray(sep + 4, sep + 4 + len).toString('utf8'));
      this.buf = this.buf.subarray(sep + 4 + len);
      if (msg.id !== undefined && msg.method === undefined) {
        this.waiting.get(msg.id)?.(msg);
        this.waiting.delete(msg.id);
      } else if (msg.id !== undefined && msg.method) {
        // server -> client request (e.g. workspace/configuration, client/registerCapability)
        this.serverRequests.push(msg.method);
        if (msg.method === 'workspace/configuration' && !this.answerConfiguration) continue;
        const result = msg.method === 'workspace/configuration' ? msg.params.items.map(() => this.config) : null;
        this.send({ jsonrpc: '2.0', id: msg.id, result });
      } else {
        this.notifications.push(msg);
        this.listeners.forEach((l) => l(msg));
      }
    }
  }

  config: unknown = {};
  /** false: leave the server's workspace/configuration requests unanswered (a stuck client). */
  answerConfiguration = true;
  /** Methods of the requests the server sent, in order. */
  serverRequests: string[] = [];

  get pid(): number {
    return this.proc.pid!;
  }

  send(msg: object): void {
    const body = Buffer.from(JSON.stringify(msg), 'utf8');
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  request<T = any>(method: string, params: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (msg) => (msg.error ? reject(new Error(msg.error.message)) : resolve(msg.result)));
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  /** Send a request and resolve with the whole response message (result or error, with its code). */
  requestRaw(method: string, params: unknown): { id: number; response: Promise<any> } {
    const id = this.nextId++;
    const response = new Promise<any>((resolve) => {
      this.waiting.set(id, resolve);
      this.send({ jsonrpc: '2.0', id, method, params });
    });
    return { id, response };
  }

  /** Write raw bytes to the server's stdin (malformed framing). */
  writeRaw(data: string | Buffer): void {
    this.proc.stdin.write(data);
  }

  /** End the server process (a test that left it in a state where shutdown cannot work). */
  kill(): void {
    this.proc.kill();
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /** Resolve with the next notification that satisfies the predicate (already received ones count). */
  waitFor(pred: (msg: any) => boolean, timeoutMs = 10000): Promise<any> {
    const found = this.notifications.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a notification')), timeoutMs);
      this.listeners.push((m) => {
        if (pred(m)) {
          clearTimeout(t);
          resolve(m);
        }
      });
    });
  }

  async initialize(configuration = true): Promise<any> {
    const r = await this.request('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {
        workspace: { configuration, codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true } },
        textDocument: { hover: { contentFormat: ['markdown'] } },
      },
    });
    this.notify('initialized', {});
    return r;
  }

  /** Shut the server down; one that does not answer within `timeoutMs` is killed (and the test fails on its own). */
  async shutdown(timeoutMs = 20000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), timeoutMs)));
    const done = (async () => {
      await this.request('shutdown', null);
      this.notify('exit', null);
      await this.exited;
    })();
    const r = await Promise.race([done, late]);
    clearTimeout(timer);
    if (r === 'late') {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}
