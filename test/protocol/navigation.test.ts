import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LspClient } from './lsp';
import { applyEdits } from '../unit/fixture';

const URI = 'file:///work/kube.rules';
const TEXT = `*nat
:PREROUTING ACCEPT [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -j KUBE-SERVICES
-A KUBE-SERVICES -j KUBE-MARK-MASQ
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
COMMIT
`;

test('dist/server.js --stdio: outline, definition, references, highlights, rename, folding', async () => {
  const c = new LspClient();
  try {
    const init = await c.initialize();
    const caps = init.capabilities;
    assert.equal(caps.documentSymbolProvider, true);
    assert.equal(caps.definitionProvider, true);
    assert.equal(caps.referencesProvider, true);
    assert.deepEqual(caps.renameProvider, { prepareProvider: true });
    c.notify('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'iptables', version: 1, text: TEXT } });
    const td = { uri: URI };

    const syms = await c.request('textDocument/documentSymbol', { textDocument: td });
    assert.deepEqual(
      syms.map((s: any) => [s.name, s.children.map((x: any) => `${x.name}: ${x.detail}`)]),
      [['nat', ['PREROUTING: ACCEPT · 1 rule', 'KUBE-MARK-MASQ: user chain · 1 rule', 'KUBE-SERVICES: user chain · 1 rule']]],
    );

    const onJump = { line: 5, character: 22 };
    const def = await c.request('textDocument/definition', { textDocument: td, position: onJump });
    assert.deepEqual(def, { uri: URI, range: { start: { line: 2, character: 1 }, end: { line: 2, character: 15 } } });

    const refs = await c.request('textDocument/references', { textDocument: td, position: onJump, context: { includeDeclaration: true } });
    assert.deepEqual(
      refs.map((r: any) => `${r.range.start.line}:${r.range.start.character}`),
      ['2:1', '5:20', '6:3'],
    );

    const hl = await c.request('textDocument/documentHighlight', { textDocument: td, position: onJump });
    assert.equal(hl.length, 3);

    const prep = await c.request('textDocument/prepareRename', { textDocument: td, position: onJump });
    assert.equal(prep.placeholder, 'KUBE-MARK-MASQ');
    const edit = await c.request('textDocument/rename', { textDocument: td, position: onJump, newName: 'MASQ' });
    assert.equal(applyEdits(TEXT, edit.changes[URI]), TEXT.replaceAll('KUBE-MARK-MASQ', 'MASQ'));
    await assert.rejects(c.request('textDocument/rename', { textDocument: td, position: onJump, newName: 'DROP' }), /target's name/);
    await assert.rejects(c.request('textDocument/prepareRename', { textDocument: td, position: { line: 4, character: 5 } }), /built-in chain/);

    const folds = await c.request('textDocument/foldingRange', { textDocument: td });
    assert.deepEqual(
      folds.map((f: any) => `${f.startLine}-${f.endLine}`),
      ['0-7'],
    );

    const comp = await c.request('textDocument/completion', { textDocument: td, position: { line: 4, character: 17 } });
    const labels = comp.items.map((i: any) => i.label);
    assert.ok(labels.includes('KUBE-MARK-MASQ') && labels.includes('MARK'));
    assert.deepEqual(comp.items.find((i: any) => i.label === 'KUBE-MARK-MASQ').textEdit.range, {
      start: { line: 4, character: 17 },
      end: { line: 4, character: 30 },
    });

    const ws = await c.request('workspace/symbol', { query: 'mark' });
    assert.deepEqual(
      ws.map((s: any) => s.name),
      ['KUBE-MARK-MASQ'],
    );
  } finally {
    await c.shutdown();
  }
});

test('dist/server.js --stdio: inlay hints follow the sample and the setting', async () => {
  const c = new LspClient();
  c.config = { sample: { nfmark: '0x1' } };
  try {
    const init = await c.initialize();
    assert.equal(init.capabilities.inlayHintProvider, true);
    c.notify('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'iptables', version: 1, text: TEXT } });
    const range = { start: { line: 0, character: 0 }, end: { line: 8, character: 0 } };
    const hs = await c.request('textDocument/inlayHint', { textDocument: { uri: URI }, range });
    assert.deepEqual(
      hs.map((h: any) => [h.position.line, h.position.character, h.label]),
      [[6, 51, '=> 0x00004001']],
    );
    c.config = { inlayHints: { marks: false } };
    c.notify('workspace/didChangeConfiguration', { settings: null });
    const none = await c.request('textDocument/inlayHint', { textDocument: { uri: URI }, range });
    assert.deepEqual(none, []);
  } finally {
    await c.shutdown();
  }
});
