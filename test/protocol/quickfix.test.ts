import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LspClient } from './lsp';
import { applyEdits } from '../unit/fixture';

const URI = 'file:///work/rules.v4';
const TEXT = `*filter\r\n:INPUT ACCEPT [0:0]\r\n-A INPUT -d ! 192.0.2.1 -j DROP\r\n-A INPUT -m tcp --dport 22 -j ACCEPT\r\nCOMMIT\r\n`;

test('dist/server.js --stdio: quick fixes for only [quickfix], applied to the text; docs hover', async () => {
  const c = new LspClient();
  try {
    const init = await c.initialize();
    assert.ok(init.capabilities.codeActionProvider.codeActionKinds.includes('quickfix'));
    c.notify('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'iptables', version: 1, text: TEXT } });
    const diag = await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === URI);
    const neg = diag.params.diagnostics.find((d: any) => d.code === 'old-negation');
    assert.ok(neg, 'the old-negation diagnostic is published');

    const acts = await c.request('textDocument/codeAction', {
      textDocument: { uri: URI },
      range: neg.range,
      context: { diagnostics: [neg], only: ['quickfix'] },
    });
    assert.deepEqual(
      acts.map((a: any) => [a.kind, a.title, !!a.isPreferred]),
      [['quickfix', 'Write the negation before the option: ! -d 192.0.2.1', true]],
    );
    assert.deepEqual(
      acts[0].diagnostics.map((d: any) => d.code),
      ['old-negation'],
    );
    const fixed = applyEdits(TEXT, acts[0].edit.changes[URI]);
    assert.equal(fixed, TEXT.replace('-d ! 192.0.2.1', '! -d 192.0.2.1'));

    const pos = { line: 3, character: 13 };
    const tcp = await c.request('textDocument/codeAction', {
      textDocument: { uri: URI },
      range: { start: pos, end: pos },
      context: { diagnostics: [], only: ['quickfix'] },
    });
    assert.equal(tcp.length, 1);
    assert.equal(applyEdits(TEXT, tcp[0].edit.changes[URI]).split('\r\n')[3], '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT');
    // a refactor request gets no quick fix
    const other = await c.request('textDocument/codeAction', {
      textDocument: { uri: URI },
      range: { start: pos, end: pos },
      context: { diagnostics: [], only: ['refactor.rewrite'] },
    });
    assert.deepEqual(other, []);

    // the edit sent back clears the diagnostic
    // content changes apply one after another: the later edit first keeps the earlier positions
    const changes = [...acts[0].edit.changes[URI]].sort(
      (a: any, b: any) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character,
    );
    c.notify('textDocument/didChange', {
      textDocument: { uri: URI, version: 2 },
      contentChanges: changes.map((e: any) => ({ range: e.range, text: e.newText })),
    });
    const d2 = await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === 2);
    assert.ok(!d2.params.diagnostics.some((d: any) => d.code === 'old-negation'));

    const hover = await c.request('textDocument/hover', { textDocument: { uri: URI }, position: { line: 3, character: 19 } });
    assert.match(hover.contents.value, /option of `-m tcp`/);
  } finally {
    await c.shutdown();
  }
});
