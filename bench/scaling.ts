/**
 * Scaling (issue 14): every request the server answers, timed on inputs of size n, 2n and 4n
 * of each shape that once made some of them quadratic: a kube-proxy dump (lines), one line of
 * many mark options, a long backslash continuation, a script of many here-documents, a deep
 * chain of jumps. Printed: the times and the slope per doubling, t(2n)/t(n) and t(4n)/t(2n),
 * which stays about 2 for linear work (below 2 where a fixed cost dominates); a slope above
 * 3 is flagged.
 *
 * Each figure is the CPU time (user + system, of this process: what other processes on the
 * shared machine do hardly counts) the service takes for the request on a document just
 * opened (its analysis, chain index... built by that first request, as a user meets them),
 * the best of BENCH_SCALING_RUNS (default 3) fresh services.
 *
 *   node --import tsx bench/scaling.ts [factor]   (factor scales every n, default 1)
 */
import { NfRulesService } from '../server/src/core/service/service';
import { generateKubeDump } from './gen-kube-dump';

interface Shape {
  name: string;
  /** n for the first size; 2n and 4n follow. */
  n: number;
  uri: string;
  languageId: string;
  make: (n: number) => string;
  /** A line to point requests at. */
  line: (text: string) => number;
}

const firstLine = (re: RegExp) => (text: string) =>
  Math.max(
    0,
    text.split('\n').findIndex((l) => re.test(l)),
  );

const SHAPES: Shape[] = [
  { name: 'kube dump (services)', n: 1000, uri: 'file:///bench/kube.rules', languageId: 'iptables', make: generateKubeDump, line: firstLine(/^-A KUBE-SVC/) },
  {
    name: 'one line of mark options',
    n: 5000,
    uri: 'file:///bench/wide.rules',
    languageId: 'iptables',
    make: (n) => `*mangle\n-A OUTPUT${' -m mark --mark 0x1/0xffffffff "q"'.repeat(n)} -j MARK --or-mark 0x4000\nCOMMIT\n`,
    line: () => 1,
  },
  {
    name: 'backslash continuation (lines)',
    n: 4000,
    uri: 'file:///bench/cont.sh',
    languageId: 'shellscript',
    make: (n) => `#!/bin/sh\niptables -t mangle -A OUTPUT \\\n${'  -m mark --mark 0x1/0xffffffff \\\n'.repeat(n)}  -j MARK --or-mark 0x4000\n`,
    line: () => 3,
  },
  {
    name: 'here-documents',
    n: 1000,
    uri: 'file:///bench/docs.sh',
    languageId: 'shellscript',
    make: (n) => '#!/bin/sh\n' + 'iptables-restore <<EOF\n*mangle\n:X - [0:0]\n-A OUTPUT -j X\n-A X -j MARK --or-mark 0x4000\nCOMMIT\nEOF\n'.repeat(n),
    line: () => 5,
  },
  {
    name: 'deep chain of jumps (chains)',
    n: 2000,
    uri: 'file:///bench/deep.rules',
    languageId: 'iptables',
    make: (n) => {
      const out = ['*mangle'];
      for (let i = 0; i < n; i++) out.push(`:C${i} - [0:0]`);
      out.push('-A OUTPUT -j C0');
      for (let i = 0; i + 1 < n; i++) out.push(`-A C${i} -j MARK --or-mark 0x${(i % 255).toString(16)}`, `-A C${i} -j C${i + 1}`);
      out.push('COMMIT', '');
      return out.join('\n');
    },
    line: (text) => text.split('\n').length - 4,
  },
];

type Request = [string, (s: NfRulesService, uri: string, line: number, text: string) => unknown];
const at = (line: number) => ({ line, character: 12 });
const whole = (text: string) => ({ start: { line: 0, character: 0 }, end: { line: text.split('\n').length, character: 0 } });

const REQUESTS: Request[] = [
  ['diagnostics', (s, u) => s.diagnostics(u)],
  ['hover', (s, u, l) => s.hover(u, at(l))],
  ['codeAction (cursor)', (s, u, l) => s.codeActions(u, { start: at(l), end: at(l) })],
  [
    'codeAction resolve (whole file)',
    (s, u, l) => {
      const offered = s.codeActions(u, { start: at(l), end: at(l) }).find((a) => a.data);
      return offered && s.resolveCodeAction(offered);
    },
  ],
  ['documentSymbol', (s, u) => s.documentSymbols(u)],
  ['semanticTokens', (s, u) => s.semanticTokens(u)],
  ['foldingRange', (s, u) => s.foldingRanges(u)],
  ['completion', (s, u, l) => s.completion(u, at(l))],
  ['references', (s, u, l) => s.references(u, at(l))],
  ['inlayHint (whole)', (s, u, _l, t) => s.inlayHints(u, whole(t))],
  ['codeLens', (s, u) => s.codeLenses(u)],
  ['walk', (s, u, l) => s.walk({ uri: u, hook: 'OUTPUT', line: l })],
];

const RUNS = Number(process.env.BENCH_SCALING_RUNS ?? 3);

/** CPU milliseconds of this process since `from` (process.cpuUsage()). */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

function timeRequest(shape: Shape, text: string, line: number, req: Request): number {
  let best = Infinity;
  for (let k = 0; k < RUNS; k++) {
    const s = new NfRulesService();
    s.open(shape.uri, text, shape.languageId, 1);
    const t0 = process.cpuUsage();
    req[1](s, shape.uri, line, text);
    best = Math.min(best, cpuMs(t0));
  }
  return best;
}

function timeOpen(shape: Shape, text: string): number {
  let best = Infinity;
  for (let k = 0; k < RUNS; k++) {
    const t0 = process.cpuUsage();
    new NfRulesService().open(shape.uri, text, shape.languageId, 1);
    best = Math.min(best, cpuMs(t0));
  }
  return best;
}

const fmt = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0)).padStart(8);
/** Times under this many ms are too small to tell a slope from (timer and collector noise). */
const FLOOR = 5;
const slope = (a: number, b: number) => (b < FLOOR ? '    (<5ms)' : (b / Math.max(a, 0.01)).toFixed(2).padStart(9));

export function scalingBench(factor = 1): { worst: number } {
  let worst = 0;
  console.log('scaling: CPU ms per request on a document just opened, sizes n, 2n, 4n; slope = time ratio per doubling (linear: ~2)');
  for (const shape of SHAPES) {
    const ns = [1, 2, 4].map((k) => Math.max(1, Math.round(shape.n * factor * k)));
    const texts = ns.map((n) => shape.make(n));
    const lines = texts.map((t) => shape.line(t));
    console.log(`\n${shape.name}: n = ${ns.join(', ')} (${texts.map((t) => (t.length / 1e6).toFixed(1) + ' MB').join(', ')})`);
    console.log(`  ${'request'.padEnd(34)}${'n'.padStart(8)}${'2n'.padStart(8)}${'4n'.padStart(8)}${'slope 1'.padStart(9)}${'slope 2'.padStart(9)}`);
    const rows: [string, number[]][] = [['open (parse)', texts.map((t) => timeOpen(shape, t))]];
    for (const req of REQUESTS) rows.push([req[0], texts.map((t, i) => timeRequest(shape, t, lines[i], req))]);
    for (const [name, ts] of rows) {
      const s1 = ts[1] / Math.max(ts[0], 0.01);
      const s2 = ts[2] / Math.max(ts[1], 0.01);
      const flagged = (ts[1] >= FLOOR && s1 > 3) || (ts[2] >= FLOOR && s2 > 3);
      if (ts[2] >= FLOOR) worst = Math.max(worst, s2);
      console.log(`  ${name.padEnd(34)}${ts.map(fmt).join('')}${slope(ts[0], ts[1])}${slope(ts[1], ts[2])}${flagged ? '  SUPERLINEAR?' : ''}`);
    }
  }
  return { worst };
}

if (process.argv[1]?.endsWith('scaling.ts')) {
  const { worst } = scalingBench(Number(process.argv[2] ?? 1));
  console.log(`\nscaling: worst slope (2n to 4n, requests over 5 ms) ${worst.toFixed(2)}`);
}
