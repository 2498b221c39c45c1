/** nftables documents through the service: the language is told by name, content or id, and each feature answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SERVICE_SETTINGS, NfRulesService } from '../../server/src/core/service/service';
import { isNftables } from '../../server/src/core/service/languages';

const RULESET = `#!/usr/sbin/nft -f
define lan = 10.0.0.0/8
table inet filter {
  set blocked { type ipv4_addr; }
  chain input {
    type filter hook input priority 0; policy drop;
    ip saddr @blocked drop
    ip saddr $lan jump from_lan
  }
  chain from_lan {
    accept
  }
}
`;

test('nftables: told by the name, the shebang or the language id, never for iptables files', () => {
  assert.ok(isNftables('file:///etc/nftables.conf', ''));
  assert.ok(isNftables('file:///x/rules.nft', ''));
  assert.ok(isNftables('file:///etc/nftables.d/10-base.conf', ''));
  assert.ok(isNftables('file:///x/fw', '#!/usr/sbin/nft -f\nflush ruleset\n'));
  assert.ok(isNftables('file:///x/a.txt', '', 'nftables'));
  assert.ok(!isNftables('file:///x/rules.v4', '*filter\nCOMMIT\n'));
  assert.ok(!isNftables('file:///x/a.nft', '', 'iptables'));
});

test('nftables: diagnostics, outline, definition, references and rename through the service', () => {
  const svc = new NfRulesService();
  const uri = 'file:///w/fw.nft';
  svc.open(uri, RULESET, 'nftables');
  assert.deepEqual(svc.diagnostics(uri), []);
  const syms = svc.documentSymbols(uri);
  const table = syms.find((s) => s.name === 'inet filter')!;
  assert.deepEqual(
    table.children!.map((c) => c.name),
    ['blocked', 'input', 'from_lan'],
  );
  const jumpLine = 7;
  const col = RULESET.split('\n')[jumpLine].indexOf('from_lan') + 2;
  const def = svc.definition(uri, { line: jumpLine, character: col })!;
  assert.equal(def.range.start.line, 9);
  assert.equal(svc.references(uri, { line: jumpLine, character: col }, true).length, 2);
  const edit = svc.rename(uri, { line: jumpLine, character: col }, 'lan_in')!;
  assert.ok('edit' in edit && edit.edit.changes![uri].length === 2);
  // an edit that breaks the jump target: nft's refusal comes back as a diagnostic
  svc.change(uri, [{ range: { start: { line: 9, character: 8 }, end: { line: 9, character: 16 } }, text: 'other' }], 2);
  const diags = svc.diagnostics(uri);
  assert.ok(
    diags.some((d) => d.code === 'nft-undefined-chain' && d.range.start.line === jumpLine),
    JSON.stringify(diags),
  );
  assert.ok(svc.foldingRanges(uri).length >= 2);
});

test('nft marks in the editor: hover with the sample, the precedence pitfall warned with both fixes, translate shapes, rewrites', () => {
  const svc = new NfRulesService();
  const uri = 'file:///w/marks.nft';
  const text = `table inet m {
  chain out {
    type filter hook output priority 0;
    meta mark set meta mark or 0x4000 and 0xff
    meta mark set (meta mark or 0x4000) and 0xff
    ct mark set ct mark xor 0x16 and 0xffffffed
    meta mark set meta mark or 0x4000
  }
}
`;
  svc.open(uri, text, 'nftables');
  const diags = svc.diagnostics(uri).map((d) => `${d.code} ${d.range.start.line}`);
  // `or 0x4000 and 0xff` is `or (0x4000 & 0xff)`: a no-op; line 6 is iptables-translate's CONNMARK shape
  assert.deepEqual(diags, ['nft-mark-noop 3', 'nft-mark-translated 5']);
  const settings = { ...DEFAULT_SERVICE_SETTINGS, sample: { nfmark: 0x1, ctmark: 0 } };
  const h = svc.hover(uri, { line: 6, character: 8 }, settings)!;
  const md = (h.contents as { value: string }).value;
  assert.match(md, /sample: nfmark 0x00000001, ctmark 0x00000000 → nfmark 0x00004001/);
  assert.match(md, /--or-mark 0x4000/);
  const fixes = svc.codeActions(uri, { start: { line: 5, character: 6 }, end: { line: 5, character: 6 } }, ['quickfix']);
  assert.ok(
    fixes.some((f) => f.edit!.changes![uri][0].newText === 'ct mark set ct mark and 0xffffffed xor 0x16'),
    JSON.stringify(fixes.map((f) => f.title)),
  );
  const rewrites = svc.codeActions(uri, { start: { line: 6, character: 6 }, end: { line: 6, character: 6 } }, ['refactor.rewrite']);
  assert.ok(
    rewrites.some((f) => f.edit!.changes![uri][0].newText === 'meta mark set meta mark | 0x00004000'),
    JSON.stringify(rewrites.map((f) => f.title)),
  );
});

test('nftables completion by context: chains after jump, @sets, $variables, hooks and priorities of the family', () => {
  const svc = new NfRulesService();
  const uri = 'file:///w/c.nft';
  const lines = RULESET.split('\n');
  const labels = (line: number, insert: string) => {
    const text = [...lines.slice(0, line), insert, ...lines.slice(line)].join('\n');
    svc.open(uri, text, 'nftables');
    return svc.completion(uri, { line, character: insert.length }).items.map((i) => i.label);
  };
  assert.deepEqual(labels(8, '    jump '), ['from_lan']);
  assert.deepEqual(labels(8, '    ip saddr @'), ['blocked']);
  assert.deepEqual(labels(8, '    ip saddr $'), ['lan']);
  assert.ok(labels(8, '    ').includes('counter'));
  const hooks = labels(5, '    type filter hook ');
  assert.ok(hooks.includes('input') && hooks.includes('ingress') && !hooks.includes('egress'), hooks.join());
  assert.deepEqual(labels(5, '    type filter hook input priority '), ['raw', 'mangle', 'filter', 'security']);
});

test('nftables hover: keyword documentation where no mark statement is under the cursor', () => {
  const svc = new NfRulesService();
  const uri = 'file:///w/h.nft';
  svc.open(uri, RULESET, 'nftables');
  const h = svc.hover(uri, { line: 5, character: 20 })!;
  assert.ok(h, 'a hover on `hook`');
  assert.ok((h.contents as { value: string }).value.length > 20);
});
