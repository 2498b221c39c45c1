import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LspClient } from './lsp';

const URI = 'file:///work/mangle.rules';
const TEXT = `# sample: src=10.0.0.5 dst=192.0.2.1 proto=udp dport=53 nfmark=0x1
*mangle
:OUTPUT ACCEPT [0:0]
-A OUTPUT -p udp --dport 53 -j MARK --or-mark 0x4000
-A OUTPUT -p tcp -j MARK --set-mark 0x2
COMMIT
`;

test('dist/server.js --stdio: lenses, nfrules/walk, then lenses and inlay hints show the walk', async () => {
  const c = new LspClient();
  try {
    const init = await c.initialize();
    assert.deepEqual(init.capabilities.codeLensProvider, { resolveProvider: false });
    c.notify('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'iptables', version: 1, text: TEXT } });
    const td = { uri: URI };
    const lenses = await c.request('textDocument/codeLens', { textDocument: td });
    assert.equal(lenses.length, 2);
    const whole = lenses[0].command;
    assert.equal(whole.command, 'nfrules.walkSamplePacket');
    assert.deepEqual(whole.arguments, [{ uri: URI, hook: 'OUTPUT', line: 2 }]);

    const view = await c.request('nfrules/walk', whole.arguments[0]);
    assert.equal(view.result.verdict, 'ACCEPT');
    assert.equal(view.result.nfmark, 0x4001);
    assert.deepEqual(
      view.steps.map((s: any) => [s.line, s.matched]),
      [
        [3, true],
        [4, false],
      ],
    );
    assert.match(view.packet, /src=10\.0\.0\.5 dst=192\.0\.2\.1 proto=udp dport=53/);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(c.serverRequests.includes('workspace/codeLens/refresh'));
    assert.ok(c.serverRequests.includes('workspace/inlayHint/refresh'));

    const after = await c.request('textDocument/codeLens', { textDocument: td });
    assert.match(after[0].command.title, /OUTPUT: ACCEPT · nfmark 0x00004001/);
    const hints = await c.request('textDocument/inlayHint', { textDocument: td, range: { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } } });
    assert.deepEqual(
      hints.map((h: any) => [h.position.line, h.label]),
      [[3, '✓ OUTPUT => nfmark 0x00004001']],
    );

    await c.request('nfrules/clearWalk', { uri: URI });
    const cleared = await c.request('textDocument/codeLens', { textDocument: td });
    assert.match(cleared[0].command.title, /^\$\(debug-start\) Walk sample packet/);

    await assert.rejects(c.request('nfrules/walk', { uri: URI }), /needs \{ uri, hook, line/);
  } finally {
    await c.shutdown();
  }
});
