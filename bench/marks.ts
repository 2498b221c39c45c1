/**
 * The mark-bit map of the kube-proxy dump (issue 17) against `iptables-restore --test` on
 * the same file (target: the map in under 0.2x its time). Reported: the map in process
 * (scan + accesses + owners + warnings; median wall and CPU time of repeated runs), the
 * whole `nfrules marks FILE` process (node start-up included), and the reference.
 *
 *   node --import tsx bench/marks.ts [DUMP]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { iptablesTextMarkAccesses } from '../server/src/core/iptables/checks/marksMap';
import { buildMarkMap } from '../server/src/core/marks/bitmap';
import { generateKubeDump } from './gen-kube-dump';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(1)} ms`;

function wall(cmd: string, args: string[], runs: number): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    t.push(performance.now() - t0);
    if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return median(t);
}

export function marksBench(dumpPath: string, text: string): void {
  const walls: number[] = [];
  const cpus: number[] = [];
  let summary = '';
  for (let k = 0; k < 7; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const map = buildMarkMap(iptablesTextMarkAccesses(dumpPath, text, 'save'));
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
    summary = `${map.accesses.length} mark rules, ${map.parties.length} rows, ${map.warnings.length} warnings`;
  }
  const inProc = median(walls);
  console.log(`marks: map of ${text.split('\n').length} lines in process ${ms(inProc)} median wall, ${ms(median(cpus))} CPU (${summary})`);
  const cli = existsSync('dist/cli.js') ? wall(process.execPath, ['dist/cli.js', 'marks', dumpPath], 3) : NaN;
  if (!Number.isNaN(cli)) console.log(`marks: \`nfrules marks\` process ${ms(cli)} (node start-up and reading the file included)`);
  if (process.getuid?.() !== 0) {
    console.log('marks: reference iptables-restore --test SKIPPED: not root');
    return;
  }
  const ns = `nfrules-marks-bench-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const ref = wall('ip', ['netns', 'exec', ns, 'iptables-restore', '--test', dumpPath], 3);
    console.log(
      `marks: iptables-restore --test ${ms(ref)}; the map in process ${(inProc / ref).toFixed(3)}x, the nfrules marks process ${(cli / ref).toFixed(3)}x (target < 0.2x)`,
    );
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

if (process.argv[1]?.endsWith('marks.ts')) {
  let path = process.argv[2];
  if (!path) {
    mkdirSync('bench/out', { recursive: true });
    path = 'bench/out/kube-10000.rules';
    if (!existsSync(path)) writeFileSync(path, generateKubeDump(10000));
  }
  marksBench(path, readFileSync(path, 'utf8'));
}
