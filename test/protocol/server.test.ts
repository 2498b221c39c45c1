import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LspClient } from './lsp';
import { applyEdits } from '../unit/fixture';

const URI = 'file:///work/rules.v4';
const TEXT = `*mangle\n:KUBE-MARK-MASQ - [0:0]\n# sample: nfmark=0x00000001\n-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n-A OUTPUT -j MARK --set-mark 0x1/0x1/0x1\nCOMMIT\n`;

test('dist/server.js --stdio: capabilities, diagnostics, hover, code action round trip', async () => {
  const c = new LspClient();
  try {
    const init = await c.initialize();
    assert.equal(init.capabilities.textDocumentSync.change, 2);
    assert.equal(init.capabilities.hoverProvider, true);
    assert.ok(init.capabilities.codeActionProvider.codeActionKinds.includes('refactor.rewrite'));

    c.notify('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'iptables', version: 1, text: TEXT } });
    const diag = await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === URI);
    assert.deepEqual(
      diag.params.diagnostics.map((d: any) => [d.range.start.line, d.range.start.character, d.range.end.character, d.code, d.message]),
      [[4, 29, 40, 'mark-invalid', 'MARK: trailing garbage after value for option "--set-mark".']],
    );

    const hover = await c.request('textDocument/hover', { textDocument: { uri: URI }, position: { line: 3, character: 30 } });
    assert.match(hover.contents.value, /An OR/);
    assert.match(hover.contents.value, /0x00004001/);

    const pos = { line: 3, character: 30 };
    const acts = await c.request('textDocument/codeAction', { textDocument: { uri: URI }, range: { start: pos, end: pos }, context: { diagnostics: [] } });
    const or = acts.find((a: any) => a.title === 'Rewrite as --or-mark 0x4000');
    assert.ok(or);
    const after = applyEdits(TEXT, or.edit.changes[URI]);
    assert.equal(after.split('\n')[3], '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000');

    // an incremental edit fixes the bad value: its error goes away; `--set-mark 0x1` (mask
    // 0xffffffff) now clears kube-proxy's masquerade bit 0x4000, which the mark-bit map warns of
    c.notify('textDocument/didChange', {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [{ range: { start: { line: 4, character: 32 }, end: { line: 4, character: 40 } }, text: '' }],
    });
    const d2 = await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === 2);
    assert.deepEqual(
      d2.params.diagnostics.map((d: any) => [d.range.start.line, d.code]),
      [[4, 'mark-clobber']],
    );
  } finally {
    await c.shutdown();
  }
});

test('settings pulled from the client set the sample and the severities', async () => {
  const c = new LspClient();
  c.config = { sample: { nfmark: '0x10' }, diagnostics: { 'mark-invalid': 'warning' } };
  try {
    await c.initialize();
    c.notify('textDocument/didOpen', {
      textDocument: { uri: URI, languageId: 'iptables', version: 1, text: TEXT.replace('# sample: nfmark=0x00000001\n', '\n') },
    });
    const diag = await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics');
    assert.equal(diag.params.diagnostics[0].severity, 2);
    const hover = await c.request('textDocument/hover', { textDocument: { uri: URI }, position: { line: 3, character: 30 } });
    assert.match(hover.contents.value, /nfmark 0x00000010 -> \*\*0x00004010\*\*/);
  } finally {
    await c.shutdown();
  }
});

test('shell scripts and listings are served too', async () => {
  const c = new LspClient();
  try {
    await c.initialize(false);
    const sh = 'file:///work/fw.sh';
    c.notify('textDocument/didOpen', {
      textDocument: { uri: sh, languageId: 'shellscript', version: 1, text: '#!/bin/sh\nsudo iptables -t mangle -A OUTPUT -j MARK --or-mark 0x4000\n' },
    });
    const h = await c.request('textDocument/hover', { textDocument: { uri: sh }, position: { line: 1, character: 50 } });
    assert.match(h.contents.value, /An OR/);
    const ls = 'file:///work/x.iptables-list';
    c.notify('textDocument/didOpen', {
      textDocument: { uri: ls, languageId: 'iptables-listing', version: 1, text: 'Chain X (1 references)\nMARK all -- 0.0.0.0/0 0.0.0.0/0 MARK xor 0x3\n' },
    });
    const h2 = await c.request('textDocument/hover', { textDocument: { uri: ls }, position: { line: 1, character: 35 } });
    assert.match(h2.contents.value, /An XOR/);
  } finally {
    await c.shutdown();
  }
});
