import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LspClient } from './lsp';

const URI = 'file:///work/filter.rules';
const TEXT = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -j MISSING
COMMIT
`;

test('dist/server.js --stdio: opening publishes the per-line checks, then the file-level pass; a change to the chain graph is published at once, and again once typing pauses', async () => {
  const c = new LspClient();
  try {
    await c.initialize();
    c.notify('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'iptables', version: 1, text: TEXT } });
    // opened: the per-line checks first, then at once the file-level pass
    const first = await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === 1);
    assert.deepEqual(first.params.diagnostics, []);
    const opened = await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === 1 && m.params.diagnostics.length > 0, 2000);
    assert.deepEqual(
      opened.params.diagnostics.map((d: any) => [d.code, d.range.start.line]),
      [['undeclared-chain', 2]],
    );
    c.notifications.length = 0;
    c.notify('textDocument/didChange', {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '-A INPUT -j ALSO\n' }],
    });
    const quick = await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === 2);
    assert.deepEqual(
      quick.params.diagnostics.map((d: any) => d.range.start.line),
      [2],
      'the keystroke: the last pass, moved',
    );
    c.notifications.length = 0;
    const full = await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === 2, 5000);
    assert.deepEqual(
      full.params.diagnostics.map((d: any) => [d.code, d.range.start.line]),
      [
        ['undeclared-chain', 2],
        ['undeclared-chain', 3],
      ],
    );
  } finally {
    await c.shutdown();
  }
});
