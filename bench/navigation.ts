/**
 * Navigation timings on the benchmark dump, through the language server (issue 5):
 * document symbols (the first request builds the chain index), references to
 * KUBE-MARK-MASQ (about 20,000 uses) and completion after `-j `. Called by bench/run.ts
 * with the dump open; `node --import tsx bench/navigation.ts` runs it alone.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LspClient } from '../test/protocol/lsp';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await f();
  return [performance.now() - t0, r];
}

export async function navigationBench(c: LspClient, uri: string, lines: string[]): Promise<void> {
  const td = { uri };
  const [cold, syms] = await time(() => c.request('textDocument/documentSymbol', { textDocument: td }));
  const chains = syms.reduce((n: number, t: any) => n + t.children.length, 0);
  const warm: number[] = [];
  for (let k = 0; k < 5; k++) warm.push((await time(() => c.request('textDocument/documentSymbol', { textDocument: td })))[0]);
  // typing in a rule line: the index is patched, not rebuilt
  const edited: number[] = [];
  const ruleLine = lines.findIndex((l) => l.startsWith('-A KUBE-SEP-'));
  for (let k = 0; k < 6; k++) {
    const at = { line: ruleLine, character: lines[ruleLine].length };
    const change =
      k % 2 === 0 ? { range: { start: at, end: at }, text: ' ' } : { range: { start: at, end: { line: ruleLine, character: at.character + 1 } }, text: '' };
    c.notify('textDocument/didChange', { textDocument: { uri, version: 1_000_000 + k }, contentChanges: [change] });
    edited.push((await time(() => c.request('textDocument/documentSymbol', { textDocument: td })))[0]);
  }
  console.log(
    `navigation: document symbols ${ms(cold)} on the first request (chain index built), ${ms(median(warm))} after, ${ms(median(edited))} after typing in a line (${chains} chains; target < 200 ms)`,
  );

  const decl = lines.findIndex((l) => l.startsWith(':KUBE-MARK-MASQ '));
  const refTimes: number[] = [];
  let count = 0;
  for (let k = 0; k < 10; k++) {
    const [t, refs] = await time(() =>
      c.request('textDocument/references', { textDocument: td, position: { line: decl, character: 3 }, context: { includeDeclaration: true } }),
    );
    refTimes.push(t);
    count = refs.length;
  }
  console.log(
    `navigation: references to KUBE-MARK-MASQ ${ms(refTimes[0])} on the first request, median ${ms(median(refTimes))} (${count} places; target < 50 ms)`,
  );

  const jumps = lines.map((l, i) => (l.startsWith('-A KUBE-SERVICES ') && l.includes(' -j KUBE-SVC-') ? i : -1)).filter((i) => i >= 0);
  const compTimes: number[] = [];
  let items = 0;
  for (let k = 0; k < 50; k++) {
    const line = jumps[(k * 7919) % jumps.length];
    const character = lines[line].indexOf(' -j KUBE-SVC-') + 4;
    const [t, list] = await time(() => c.request('textDocument/completion', { textDocument: td, position: { line, character } }));
    compTimes.push(t);
    items = list.items.length;
  }
  console.log(
    `navigation: completion after -j median ${ms(median(compTimes))}, max ${ms(Math.max(...compTimes))} (${items} items, list capped; target < 20 ms)`,
  );
}

async function alone(): Promise<void> {
  const text = readFileSync(process.argv[2] ?? 'bench/out/kube-10000.rules', 'utf8');
  const c = new LspClient();
  await c.initialize(false);
  const uri = 'file:///bench/kube.rules';
  c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'iptables', version: 1, text } });
  await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics', 60000);
  await navigationBench(c, uri, text.split('\n'));
  await c.shutdown();
}

if (process.argv[1]?.endsWith('navigation.ts'))
  alone().catch((e) => {
    console.error(e);
    process.exit(1);
  });
