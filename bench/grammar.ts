// Tokenization throughput of the iptables grammar on the benchmark dump,
// against VS Code's own shell grammar on the same file as the reference.
//
//   node --import tsx bench/grammar.ts [dumpfile]
//
// Without a file, the dump is generated in memory (bench/gen-kube-dump.ts,
// 10,000 services). Both grammars run through vscode-textmate +
// vscode-oniguruma, as in VS Code. Each is warmed up on the first lines, then
// timed over the whole file; the best of --runs (default 3) counts.
// Target: ours at least as fast as the shell grammar (ratio >= 1).
import { readFileSync } from 'node:fs';
import type { IGrammar } from 'vscode-textmate';
import { generateKubeDump } from './gen-kube-dump';
import { createRegistry, loadGrammar, splitLines, tokenizeWatch, findShellGrammar, SCOPES, SHELL_GRAMMAR_MISSING } from '../test/grammar/textmate';

interface Result {
  name: string;
  linesPerSec: number;
  ms: number;
  worstMs: number;
  worstLine: number;
  confirmedMs: number;
  confirmedLine: number;
}

/**
 * Best of `runs` full passes. The raw worst line of a pass includes garbage
 * collection pauses; lines over 5 ms are timed again in isolation (best of 3,
 * same state), and the worst of those is reported as the confirmed worst line.
 */
function measure(name: string, grammar: IGrammar, lines: string[], runs: number): Result {
  tokenizeWatch(grammar, lines.slice(0, 5000), Infinity, () => undefined); // warm-up
  let best: Result | undefined;
  for (let r = 0; r < runs; r++) {
    let confirmedMs = 0;
    let confirmedLine = -1;
    let retiming = 0;
    const s = tokenizeWatch(grammar, lines, 5, (i, _ms, before) => {
      const start = performance.now();
      let again = Infinity;
      for (let k = 0; k < 3; k++) {
        const t = performance.now();
        grammar.tokenizeLine(lines[i], before);
        again = Math.min(again, performance.now() - t);
      }
      if (again > confirmedMs) {
        confirmedMs = again;
        confirmedLine = i;
      }
      retiming += performance.now() - start;
    });
    // the re-timing ran inside the pass: take it out of the pass's time
    const ms = s.ms - retiming;
    const res = { name, linesPerSec: lines.length / (ms / 1000), ms, worstMs: s.worstMs, worstLine: s.worstLine, confirmedMs, confirmedLine };
    if (!best || res.ms < best.ms) best = res;
  }
  return best!;
}

function fmt(r: Result): string {
  const confirmed = r.confirmedLine < 0 ? 'none over 5 ms when timed again' : `${r.confirmedMs.toFixed(2)} ms (line ${r.confirmedLine + 1})`;
  return (
    `${r.name.padEnd(24)} ${Math.round(r.linesPerSec).toLocaleString('en-US').padStart(10)} lines/s  ` +
    `${(r.ms / 1000).toFixed(2)} s  worst line ${r.worstMs.toFixed(2)} ms raw (line ${r.worstLine + 1}), confirmed worst ${confirmed}`
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runsArg = args.find((a) => a.startsWith('--runs='));
  const runs = runsArg ? Number(runsArg.slice(7)) : 3;
  const file = args.find((a) => !a.startsWith('--'));
  const text = file ? readFileSync(file, 'utf8') : generateKubeDump(10000);
  const lines = splitLines(text);
  console.log(`input: ${file ?? 'generateKubeDump(10000)'}: ${lines.length.toLocaleString('en-US')} lines, ${text.length.toLocaleString('en-US')} bytes`);

  const shellFile = findShellGrammar();
  const registry = createRegistry({ shellGrammar: shellFile, injection: false });
  const ours = measure('source.iptables', await loadGrammar(registry, SCOPES.iptables), lines, runs);
  console.log(fmt(ours));
  if (!shellFile) {
    console.log(`reference skipped: ${SHELL_GRAMMAR_MISSING}`);
    return;
  }
  const shell = measure('source.shell (VS Code)', await loadGrammar(registry, SCOPES.shell), lines, runs);
  console.log(fmt(shell));
  // The shell grammar with our injection loaded, as a shell script user gets it.
  const injected = createRegistry({ shellGrammar: shellFile, injection: true });
  const withInjection = measure('source.shell + injection', await loadGrammar(injected, SCOPES.shell), lines, runs);
  console.log(fmt(withInjection));
  const ratio = ours.linesPerSec / shell.linesPerSec;
  console.log(
    `ratio ours/shell: ${ratio.toFixed(2)}x ${ratio >= 1 ? '(target met: at least as fast as the shell grammar)' : '(TARGET MISSED: slower than the shell grammar)'}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
