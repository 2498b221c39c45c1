/**
 * The parse path alone, on the kube-proxy dump (issue 2): what `nfrules check` and the
 * server's didOpen pay before the file-level analysis. Every figure is a ratio to a
 * reference measured in the same run (these machines are shared and noisy): a plain
 * split of the text into lines plus a split of every line at spaces (`line.split(' ')`),
 * the least any parser of this text must do.
 *
 *   node --import tsx bench/parse.ts [DUMP] [RUNS]
 *
 * It first bundles itself with esbuild as scripts/build.mjs bundles the CLI (bench/out/parse.js)
 * and runs that: under tsx every closure pays a `__name` call and every import a getter,
 * which would hide what the shipped code costs.
 *
 * Reported, median of RUNS (default 7), each run in this order:
 *   - reference: splitLines + line.split(' ') of every line;
 *   - words: splitRestoreLine of every line;
 *   - lines: parseSaveLine of every line (words and the full Rule);
 *   - open: new RuleDocument(text, 'save') (slim rules with their own findings).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { RuleDocument, parseSaveLine, splitLines } from '../server/src/core/iptables/syntax/document';
import { splitRestoreLine } from '../server/src/core/iptables/syntax/lexer';
import { generateKubeDump } from './gen-kube-dump';

if (!process.env.NFRULES_PARSE_BENCH_BUNDLE) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({
    entryPoints: [__filename],
    outfile: 'bench/out/parse.js',
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    logLevel: 'warning',
    external: ['esbuild'],
  });
  const r = spawnSync(process.execPath, ['bench/out/parse.js', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NFRULES_PARSE_BENCH_BUNDLE: '1' },
  });
  process.exit(r.status ?? 1);
}

const path = process.argv[2] ?? 'bench/out/kube-10000.rules';
const runs = Number(process.argv[3] ?? 7);
const text = existsSync(path) ? readFileSync(path, 'utf8') : generateKubeDump(10000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let sink = 0;
const time = (f: () => void): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
const results: Record<string, number[]> = { reference: [], words: [], lines: [], open: [] };
for (let r = 0; r < runs; r++) {
  results.reference.push(
    time(() => {
      for (const l of splitLines(text)) sink += l.split(' ').length;
    }),
  );
  results.words.push(
    time(() => {
      for (const l of splitLines(text)) sink += splitRestoreLine(l).words.length;
    }),
  );
  results.lines.push(
    time(() => {
      const ls = splitLines(text);
      for (let i = 0; i < ls.length; i++) if (parseSaveLine(ls[i], i)) sink++;
    }),
  );
  results.open.push(
    time(() => {
      sink += new RuleDocument(text, 'save').entries.length;
    }),
  );
}
const ref = median(results.reference);
console.log(`parse bench: ${path}, ${splitLines(text).length} lines, median of ${runs} runs (sink ${sink % 7})`);
for (const [k, xs] of Object.entries(results)) {
  const m = median(xs);
  console.log(`  ${k.padEnd(9)} ${m.toFixed(1).padStart(8)} ms  ${(m / ref).toFixed(2)}x reference`);
}
