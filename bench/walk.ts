/**
 * The packet walk on the kube-proxy dump (issue 7): one walk of a packet to the last
 * ClusterIP service (nat PREROUTING -> KUBE-SERVICES, ~10,000 rules scanned -> KUBE-SVC-* ->
 * KUBE-SEP-* DNAT). Reported apart: parsing the document (the same-run reference), building
 * the walk's chain model and compiling the chains the walk reaches (first walk), and the
 * walk itself once compiled (median and p99 of repeated walks; target < 1 ms).
 *
 *   node --import tsx bench/walk.ts [DUMP]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { RuleDocument } from '../server/src/core/iptables/syntax/document';
import { walk, WalkOptions } from '../server/src/core/iptables/walk/walk';
import { generateKubeDump } from './gen-kube-dump';

const ms = (x: number) => `${x.toFixed(3)} ms`;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export function walkBench(text: string): void {
  let t0 = performance.now();
  const doc = new RuleDocument(text, 'save');
  const parse = performance.now() - t0;

  // the last service of KUBE-SERVICES: the walk reads every ClusterIP rule before it
  const lines = doc.lines;
  let last = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^-A KUBE-SERVICES -d \S+ -p tcp .*--dport \d+ -j KUBE-SVC-/.test(lines[i])) {
      last = i;
      break;
    }
  }
  if (last < 0) throw new Error('no KUBE-SERVICES ClusterIP rule in the dump');
  const m = /-d (\S+)\/32 -p tcp .*--dport (\d+)/.exec(lines[last])!;
  const opts: WalkOptions = {
    hook: 'PREROUTING',
    packet: { src: '192.168.7.7', dst: m[1], proto: 'tcp', sport: 40000, dport: Number(m[2]), in: 'eth0', state: 'NEW', nfmark: 0, ctmark: 0 },
  };

  t0 = performance.now();
  const first = walk(doc, opts);
  const firstWalk = performance.now() - t0;
  const scanned = first.path.filter((s) => s.chain === 'KUBE-SERVICES').length;
  const dnat = first.tables.find((t) => t.table === 'nat');
  if (!dnat?.line || !/-j DNAT/.test(lines[dnat.line])) throw new Error(`the walk did not end in a DNAT rule: ${JSON.stringify(first.tables)}`);

  const times: number[] = [];
  for (let k = 0; k < 300; k++) {
    t0 = performance.now();
    walk(doc, opts);
    times.push(performance.now() - t0);
  }
  console.log(
    `walk: ${lines.length} lines, path of ${first.path.length} rules (${scanned} in KUBE-SERVICES), ends at line ${dnat.line + 1} (DNAT), nfmark 0x${first.nfmark.toString(16)}`,
  );
  console.log(`walk: parse the document ${ms(parse)} (reference); chain model + compile of the reached chains (first walk) ${ms(firstWalk)}`);
  const med = pct(times, 50);
  console.log(
    `walk: ${ms(med)} median, p99 ${ms(pct(times, 99))} over ${times.length} walks after the file is parsed and compiled (target < 1 ms); the parse takes ${(parse / med).toFixed(0)}x one walk in this run`,
  );
}

if (process.argv[1]?.endsWith('walk.ts')) {
  let path = process.argv[2];
  if (!path) {
    mkdirSync('bench/out', { recursive: true });
    path = 'bench/out/kube-10000.rules';
    if (!existsSync(path)) writeFileSync(path, generateKubeDump(10000));
  }
  walkBench(readFileSync(path, 'utf8'));
}
