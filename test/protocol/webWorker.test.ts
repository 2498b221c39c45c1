// The language server as VS Code for the Web runs it: in a web worker. Three checks, each of
// which fails when the server (adapter, core, or a package they pull in) needs Node:
//   1. the web bundles build with every Node builtin refused (scripts/no-node.mjs);
//   2. their sources type-check against TypeScript's WebWorker library with no Node types,
//      so a Node global (`Buffer`, `process`, `setImmediate`, `require`) is an error;
//   3. the server bundle, run in a bare V8 context that has only what a worker has, answers
//      initialize, publishes diagnostics, hovers and offers the rewrite, over postMessage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import ts from 'typescript';
// @ts-expect-error: a plain .mjs helper of the build, without type declarations
import { noNodeBuiltins, isNodeBuiltin } from '../../scripts/no-node.mjs';

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER_ENTRY = path.join(ROOT, 'server/src/browserServer.ts');
const CLIENT_ENTRY = path.join(ROOT, 'client/src/browser.ts');

async function bundle(entry: string, format: 'iife' | 'cjs'): Promise<{ code: string; inputs: string[] }> {
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    target: 'es2022',
    format,
    external: ['vscode'],
    metafile: true,
    logLevel: 'silent',
    plugins: [noNodeBuiltins()],
  });
  return { code: r.outputFiles[0].text, inputs: Object.keys(r.metafile.inputs) };
}

test('the no-node plugin refuses a Node builtin, with or without node:, and names the importer', async () => {
  assert.equal(isNodeBuiltin('fs'), true);
  assert.equal(isNodeBuiltin('node:path'), true);
  assert.equal(isNodeBuiltin('fs/promises'), true);
  assert.equal(isNodeBuiltin('vscode-languageserver/browser'), false);
  await assert.rejects(
    esbuild.build({
      stdin: { contents: "import { readFileSync } from 'node:fs'; console.log(readFileSync);", resolveDir: ROOT, sourcefile: 'probe.ts', loader: 'ts' },
      bundle: true,
      write: false,
      platform: 'browser',
      logLevel: 'silent',
      plugins: [noNodeBuiltins()],
    }),
    (e: Error) => /"node:fs" is a Node builtin.*probe\.ts/s.test(e.message),
  );
});

test('the web server and client bundle with no Node builtin, from the same core as the Node server', async () => {
  const server = await bundle(SERVER_ENTRY, 'iife');
  const client = await bundle(CLIENT_ENTRY, 'cjs');
  // one server source: the worker bundle holds the adapter and the core the Node server uses
  assert.ok(server.inputs.includes('server/src/adapter.ts'), 'the web server does not use adapter.ts');
  assert.ok(
    server.inputs.some((f) => f.startsWith('server/src/core/')),
    'the web server holds no core',
  );
  assert.ok(!server.inputs.some((f) => /vscode-languageserver\/lib\/node\/|vscode-jsonrpc\/lib\/node\//.test(f)), 'the web server pulls the Node transport');
  assert.ok(!client.inputs.some((f) => /vscode-languageclient\/lib\/node\//.test(f)), 'the web client pulls the Node client');
  // an iife bundle that still calls require() would fail in the worker
  assert.doesNotMatch(server.code, /\brequire\(\s*["']/);
  assert.deepEqual([...new Set(client.code.match(/\brequire\(\s*["'][^"']+["']\)/g))], ['require("vscode")']);
});

test('the web entries and everything they import type-check against the WebWorker library without Node types', () => {
  const program = ts.createProgram([SERVER_ENTRY, CLIENT_ENTRY], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.webworker.d.ts'],
    types: [],
    strict: true,
    skipLibCheck: true,
    esModuleInterop: true,
    resolveJsonModule: true,
    noEmit: true,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
  assert.deepEqual(diagnostics, []);
  // the check saw the core, not just the two entries
  const own = program.getSourceFiles().filter((f) => f.fileName.startsWith(path.join(ROOT, 'server/src/core/')));
  assert.ok(own.length > 10, `only ${own.length} core files were checked`);
});

/** A web worker's global scope, and nothing of Node: no process, Buffer, require, setImmediate. */
function workerScope() {
  const posted: any[] = [];
  const self: any = {
    onmessage: null as null | ((ev: { data: unknown }) => void),
    addEventListener() {},
    removeEventListener() {},
    postMessage(msg: unknown) {
      posted.push(JSON.parse(JSON.stringify(msg)));
    },
  };
  const context = vm.createContext({ self, console, setTimeout, clearTimeout, setInterval, clearInterval, queueMicrotask, TextEncoder, TextDecoder, URL });
  return { self, context, posted };
}

test('the server bundle runs in a bare worker scope and answers over postMessage: diagnostics, hover, rewrite', async () => {
  const { code } = await bundle(SERVER_ENTRY, 'iife');
  const { self, context, posted } = workerScope();
  for (const name of ['process', 'Buffer', 'require', 'setImmediate', 'global', 'module']) {
    assert.equal(vm.runInContext(`typeof ${name}`, context), 'undefined', `${name} leaks into the worker scope`);
  }
  vm.runInContext(code, context, { filename: 'browserServer.js' });
  assert.equal(typeof self.onmessage, 'function', 'the server does not listen for messages');
  const send = (msg: object) => self.onmessage({ data: { jsonrpc: '2.0', ...msg } });
  const waitFor = async (pred: (m: any) => boolean, what: string) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const m = posted.find(pred);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(posted).slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  send({ id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
  const init = await waitFor((m) => m.id === 1, 'initialize result');
  assert.equal(init.result.serverInfo.name, 'nfrules');
  assert.ok(init.result.capabilities.hoverProvider);
  send({ method: 'initialized', params: {} });

  const uri = 'vscode-test-web://mount/rules.v4';
  const long = 'x'.repeat(129);
  const text = [
    '*mangle',
    ':PREROUTING ACCEPT [0:0]',
    '# sample: nfmark=0x00000001',
    '-A PREROUTING -j MARK --set-xmark 0x4000/0x4000',
    '-A PREROUTING -i eth1 -j MARK --set-mark 0x1/0x1/0x1',
    `-A PREROUTING -m string --algo bm --string ${long} -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
  send({ method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'iptables', version: 1, text } } });
  const published = await waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === uri, 'diagnostics');
  const messages = published.params.diagnostics.map((d: any) => `${d.range.start.line}: ${d.message}`);
  assert.ok(
    messages.some((m: string) => /^4: .*--set-mark/.test(m)),
    `no --set-mark error on line 5: ${messages.join(' | ')}`,
  );
  // the string match's length check counts bytes (it used Buffer, which a worker lacks)
  assert.ok(
    messages.some((m: string) => /^5: STRING too long/.test(m)),
    `no STRING too long on line 6: ${messages.join(' | ')}`,
  );

  const col = text.split('\n')[3].indexOf('--set-xmark') + 2;
  send({ id: 2, method: 'textDocument/hover', params: { textDocument: { uri }, position: { line: 3, character: col } } });
  const hover = await waitFor((m) => m.id === 2, 'hover');
  assert.match(JSON.stringify(hover.result), /0x00004001/);

  send({
    id: 3,
    method: 'textDocument/codeAction',
    params: { textDocument: { uri }, range: { start: { line: 3, character: col }, end: { line: 3, character: col } }, context: { diagnostics: [] } },
  });
  const actions = await waitFor((m) => m.id === 3, 'code actions');
  const titles = (actions.result ?? []).map((a: any) => a.title);
  assert.ok(
    titles.some((t: string) => /^Rewrite as --or-mark 0x4000\b/.test(t)),
    `offered: ${titles.join(' | ')}`,
  );

  send({ id: 4, method: 'shutdown' });
  await waitFor((m) => m.id === 4, 'shutdown');
});
