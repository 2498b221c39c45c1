/**
 * npm run bench: speed and memory on a kube-proxy-style dump of 10,000 services
 * (~150,000 lines). Every figure comes with a reference measured in the same run, since
 * these machines are shared and noisy:
 *   - `nfrules check` against `iptables-restore --test` on the same file (in a network
 *     namespace, when iptables and root are there);
 *   - through the language server: didOpen to diagnostics, one-character edit to fresh
 *     diagnostics, hover latency (median, p99 over 1,000 positions), peak memory;
 *   - the grammar's tokenization throughput against VS Code's shell grammar (bench/grammar.ts);
 *   - scaling: every request at sizes n, 2n, 4n, with the slope per doubling (bench/scaling.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateKubeDump } from './gen-kube-dump';
import { LspClient } from '../test/protocol/lsp';
import { navigationBench } from './navigation';
import { walkBench } from './walk';
import { marksBench } from './marks';
import { scalingBench } from './scaling';

const OUT = 'bench/out';
mkdirSync(OUT, { recursive: true });
const dumpPath = join(OUT, 'kube-10000.rules');
const services = Number(process.env.BENCH_SERVICES ?? 10000);
if (!existsSync(dumpPath) || services !== 10000) writeFileSync(dumpPath, generateKubeDump(services));
const text = readFileSync(dumpPath, 'utf8');
const lines = text.split('\n');
console.log(`dump: ${dumpPath}, ${lines.length} lines, ${(text.length / 1e6).toFixed(1)} MB`);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

function timeCmd(cmd: string, args: string[], runs = 3): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    t.push(performance.now() - t0);
    if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return pct(t, 50);
}

function hasKernelTools(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  for (const b of ['ip', 'iptables-restore']) {
    try {
      execFileSync('sh', ['-c', `command -v ${b}`]);
    } catch {
      return `${b} not installed`;
    }
  }
  return null;
}

/** The server's peak resident memory (VmHWM), in MB. */
const hwmOf = (pid: number) => (Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024).toFixed(0);

async function main(): Promise<void> {
  // 1. check vs iptables-restore --test
  const check = timeCmd(process.execPath, ['dist/cli.js', 'check', dumpPath]);
  const why = hasKernelTools();
  if (why) {
    console.log(`check: ${ms(check)} (reference iptables-restore --test SKIPPED: ${why})`);
  } else {
    const ns = `nfrules-bench-${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const ref = timeCmd('ip', ['netns', 'exec', ns, 'iptables-restore', '--test', dumpPath]);
      console.log(`check: nfrules ${ms(check)}, iptables-restore --test ${ms(ref)}: ${(ref / check).toFixed(1)}x faster (target >= 5x)`);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  }

  // 1b. the mark-bit map (issue 17) vs iptables-restore --test (bench/marks.ts)
  marksBench(dumpPath, text);

  // 2. the language server
  const c = new LspClient();
  await c.initialize(false);
  const uri = 'file:///bench/kube.rules';
  let t0 = performance.now();
  c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'iptables', version: 1, text } });
  await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === 1, 60000);
  const firstPublish = performance.now() - t0;
  // the file-level pass (chain graph) follows at once in a second publish
  await c.waitFor(
    (m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === 1 && c.notifications.filter((n) => n.params?.version === 1).length >= 2,
    60000,
  );
  console.log(
    `server: didOpen to diagnostics ${ms(firstPublish)} (per-line checks), ${ms(performance.now() - t0)} with the file-level pass; peak memory so far ${hwmOf(c.pid)} MB`,
  );
  c.notifications.length = 0;

  const editTimes: number[] = [];
  const ruleLines = lines.map((l, i) => (l.startsWith('-A ') ? i : -1)).filter((i) => i >= 0);
  let version = 1;
  for (let k = 0; k < 200; k++) {
    const line = ruleLines[(k * 7919) % ruleLines.length];
    version++;
    const v = version;
    t0 = performance.now();
    // type one character at the end of a rule line, then delete it on the next round
    const ch =
      k % 2 === 0
        ? { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: ' ' }
        : { range: { start: { line, character: 0 }, end: { line, character: 1 } }, text: '' };
    c.notify('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [ch] });
    await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === v, 60000);
    editTimes.push(performance.now() - t0);
    c.notifications.length = 0;
    if (k % 2 === 1) continue;
    // undo immediately so every edit starts from the same text
    version++;
    const u = version;
    c.notify('textDocument/didChange', {
      textDocument: { uri, version: u },
      contentChanges: [{ range: { start: { line, character: 0 }, end: { line, character: 1 } }, text: '' }],
    });
    await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === u, 60000);
    c.notifications.length = 0;
  }
  console.log(
    `server: edit to fresh diagnostics median ${ms(pct(editTimes, 50))}, p99 ${ms(pct(editTimes, 99))} (target p99 < 20 ms); peak memory so far ${hwmOf(c.pid)} MB`,
  );

  // an edit that changes the chain graph: the keystroke's publish moves the last file-level
  // findings; the whole pass follows once typing pauses (the server waits 300 ms)
  const passTimes: number[] = [];
  const decl = lines.findIndex((l) => l.startsWith(':KUBE-MARK-MASQ '));
  for (let k = 0; k < 4; k++) {
    version++;
    const v = version;
    const text = k % 2 === 0 ? ':NFRULES-BENCH - [0:0]\n' : '';
    const range =
      k % 2 === 0
        ? { start: { line: decl, character: 0 }, end: { line: decl, character: 0 } }
        : { start: { line: decl, character: 0 }, end: { line: decl + 1, character: 0 } };
    c.notifications.length = 0;
    t0 = performance.now();
    c.notify('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [{ range, text }] });
    await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === v, 60000);
    const quick = performance.now() - t0;
    await c.waitFor(
      (m) => m.method === 'textDocument/publishDiagnostics' && m.params.version === v && c.notifications.filter((n) => n.params?.version === v).length >= 2,
      60000,
    );
    passTimes.push(performance.now() - t0 - 300);
    if (k === 0)
      console.log(
        `server: a declaration added: diagnostics ${ms(quick)} on the keystroke, then the file-level pass ${ms(passTimes[0])} after the 300 ms pause`,
      );
  }
  console.log(`server: file-level pass (chain graph) after a structural edit: median ${ms(pct(passTimes, 50))}; peak memory so far ${hwmOf(c.pid)} MB`);

  const markLines = lines.map((l, i) => (/MARK|--mark/.test(l) ? i : -1)).filter((i) => i >= 0);
  const hoverTimes: number[] = [];
  for (let k = 0; k < 1000; k++) {
    const line = k % 2 ? markLines[(k * 31) % markLines.length] : ruleLines[(k * 7919) % ruleLines.length];
    const character = Math.floor((((k * 37) % 100) / 100) * lines[line].length);
    t0 = performance.now();
    await c.request('textDocument/hover', { textDocument: { uri }, position: { line, character } });
    hoverTimes.push(performance.now() - t0);
  }
  console.log(`server: hover median ${ms(pct(hoverTimes, 50))}, p99 ${ms(pct(hoverTimes, 99))} (target p99 < 5 ms; round trip over stdio included)`);
  const pid = c.pid;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  console.log(`server: peak memory (VmHWM) ${hwm.toFixed(0)} MB (target < 300 MB)`);

  // 2b. navigation (issue 5): document symbols, references, completion (bench/navigation.ts)
  await navigationBench(c, uri, lines);
  // truly cold: a second copy just opened, its chain index built by the symbols request
  const copy = 'file:///bench/kube-copy.rules';
  c.notify('textDocument/didOpen', { textDocument: { uri: copy, languageId: 'iptables', version: 1, text } });
  await c.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === copy, 60000);
  t0 = performance.now();
  await c.request('textDocument/documentSymbol', { textDocument: { uri: copy } });
  console.log(`navigation: document symbols of a document just opened (the request builds its chain index) ${ms(performance.now() - t0)} (target < 200 ms)`);
  c.notify('textDocument/didClose', { textDocument: { uri: copy } });
  const hwm2 = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  console.log(`navigation: peak memory (VmHWM) after ${hwm2.toFixed(0)} MB`);
  await c.shutdown();

  // 2c. the packet walk (issue 7): one walk through the dump, after parse and compile (bench/walk.ts)
  walkBench(text);

  // 3. grammar throughput, when the grammar bench is there
  if (existsSync('bench/grammar.ts')) {
    spawnSync(process.execPath, ['--import', 'tsx', 'bench/grammar.ts', dumpPath], { stdio: 'inherit' });
  }

  // 4. scaling (issue 14): every request at sizes n, 2n, 4n of each shape that was once quadratic (bench/scaling.ts)
  const { worst } = scalingBench(Number(process.env.BENCH_SCALING_FACTOR ?? 1));
  console.log(`scaling: worst slope (2n to 4n) ${worst.toFixed(2)} (linear: ~2; above 3 is flagged)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
