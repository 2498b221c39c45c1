import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDoc, EOLS, withEol } from './fixture';
import { TOKEN_MODIFIERS, TOKEN_TYPES } from '../../server/src/core/features/semanticTokens';

/** Decode LSP tokens into `text type[+modifiers]` strings. */
function decode(text: string, data: number[]): string[] {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  let line = 0;
  let ch = 0;
  for (let i = 0; i < data.length; i += 5) {
    const [dl, ds, len, type, mods] = data.slice(i, i + 5);
    line += dl;
    ch = dl ? ds : ch + ds;
    const m = TOKEN_MODIFIERS.filter((_, k) => mods & (1 << k));
    out.push(`${lines[line].slice(ch, ch + len)} ${TOKEN_TYPES[type]}${m.length ? '+' + m.join('+') : ''}`);
  }
  return out;
}

for (const eol of EOLS) {
  test(`a user chain is one colour everywhere; a target is told apart from a chain of the same spelling (${JSON.stringify(eol)})`, () => {
    // iptables-nft takes `-j LOG` for the target above `:LOG`, for the chain below it (kernel-checked)
    const text = withEol(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LOG\n:LOG - [0:0]\n-A LOG -j ACCEPT\n-A INPUT -g LOG\n-A INPUT -j LOG\nCOMMIT\n`, eol);
    const { svc, uri } = openDoc(text);
    assert.deepEqual(decode(text, svc.semanticTokens(uri).data), [
      'filter namespace+declaration',
      'INPUT function+declaration+defaultLibrary',
      'INPUT function+defaultLibrary',
      'LOG enumMember+defaultLibrary',
      'LOG function+declaration',
      'LOG function',
      'ACCEPT enumMember+defaultLibrary',
      'INPUT function+defaultLibrary',
      'LOG function',
      'INPUT function+defaultLibrary',
      'LOG function',
    ]);
    // a range gives the tokens of its lines only, positions still absolute
    const r = svc.semanticTokens(uri, { start: { line: 4, character: 0 }, end: { line: 4, character: 99 } }).data;
    assert.deepEqual(r, [4, 3, 3, 1, 0, 0, 7, 6, 2, 2]);
  });
}

test('shell scripts and listings', () => {
  const sh = `iptables -N WEB\niptables -A INPUT -j WEB\n`;
  const a = openDoc(sh, 'shell');
  assert.deepEqual(decode(sh, a.svc.semanticTokens(a.uri).data), ['WEB function+declaration', 'INPUT function+defaultLibrary', 'WEB function']);
  const ls = `Chain INPUT (policy DROP)\ntarget     prot opt source               destination\nWEB        all  --  0.0.0.0/0            0.0.0.0/0\nACCEPT     all  --  0.0.0.0/0            0.0.0.0/0\n\nChain WEB (1 references)\n`;
  const b = openDoc(ls, 'listing');
  assert.deepEqual(decode(ls, b.svc.semanticTokens(b.uri).data), [
    'INPUT function+declaration+defaultLibrary',
    'WEB function',
    'ACCEPT enumMember+defaultLibrary',
    'WEB function+declaration',
  ]);
});

test("a restore here-document's chains get their tokens on the script's lines, merged in order; workspace symbols find them", () => {
  const text = `#!/bin/sh\niptables -N OUT\niptables-restore --noflush <<-'EOF'\n\t*filter\n\t:WEB - [0:0]\n\t-A INPUT -j WEB\n\tCOMMIT\n\tEOF\niptables -A OUTPUT -j OUT\n`;
  const { svc, uri } = openDoc(text, 'shell', 'file:///t/fw.sh');
  const data = svc.semanticTokens(uri).data;
  // decode: every token's text is what it claims, and they come in document order
  const lines = text.split('\n');
  let line = 0;
  let start = 0;
  const seen: string[] = [];
  for (let i = 0; i < data.length; i += 5) {
    line += data[i];
    start = data[i] === 0 ? start + data[i + 1] : data[i + 1];
    seen.push(`${line}:${lines[line].slice(start, start + data[i + 2])}`);
  }
  assert.ok(seen.includes('4:WEB') && seen.includes('5:WEB'), seen.join(' '));
  assert.ok(seen.includes('1:OUT') && seen.includes('8:OUT'), seen.join(' '));
  const pos = seen.map((x) => Number(x.split(':')[0]));
  assert.deepEqual(
    pos,
    [...pos].sort((a, b) => a - b),
  );
  const ws = svc.workspaceSymbols('WEB');
  assert.ok(
    ws.some((x) => x.location.uri === uri && x.location.range.start.line === 4),
    JSON.stringify(ws),
  );
});
