/**
 * A fast kernel oracle for nft mark statements and matches, and for iptables mark rules,
 * read back through one dynamic nft set: each case gets a UDP port and a chain that sets the
 * starting nfmark and ctmark, runs the rule under test, and adds `port . meta mark . ct
 * mark` to the set `seen`; one datagram per port, then `nft list` gives every case's marks
 * (and, for nft cases, the rule as nft lists it back). A match is observed through the rule
 * `MATCH meta mark set meta mark ^ 0xffffffff`: it matched when nfmark came back inverted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from './oracle';

export interface KCase {
  nfmark: number;
  ctmark: number;
  /** nft: one rule (statement, or match + inversion); iptables: argv of one rule. */
  rule: string;
}

export interface KResult {
  marks?: { nfmark: number; ctmark: number };
  /** nft: the rule as `nft list table` prints it. */
  listed?: string;
  /** nft's message where it refused the rule. */
  error?: string;
}

const PORT_BASE = 10000;
export const INVERT = 'meta mark set meta mark ^ 0xffffffff';
const hx = (n: number) => '0x' + (n >>> 0).toString(16);

const SENDER = `
const d = require('dgram').createSocket('udp4');
const base = Number(process.argv[1]), n = Number(process.argv[2]);
let left = n, i = 0;
const payload = Buffer.from('m');
if (n === 0) d.close();
function more() {
  // bounded bursts: the loopback queue is not flooded
  for (let k = 0; k < 256 && i < n; k++, i++) {
    d.send(payload, base + i, '127.0.0.1', (e) => { if (e) { console.error(String(e)); process.exitCode = 1; } if (--left === 0) d.close(); });
  }
  if (i < n) setImmediate(more);
}
more();
`;

function nftFile(cases: KCase[], use: (i: number) => boolean): { text: string; lineOf: Map<number, number> } {
  const lines = ['table ip t {', '  set seen { typeof udp dport . meta mark . ct mark; flags dynamic; size 65535; }'];
  const lineOf = new Map<number, number>();
  const vmap: string[] = [];
  cases.forEach((c, i) => {
    if (!use(i)) return;
    lines.push(`  chain c${i} {`, `    meta mark set ${hx(c.nfmark)}`, `    ct mark set ${hx(c.ctmark)}`, `    ${c.rule}`);
    lineOf.set(lines.length, i);
    lines.push('    add @seen { udp dport . meta mark . ct mark }', '  }');
    vmap.push(`${PORT_BASE + i} : jump c${i}`);
  });
  lines.push('  chain out {', '    type filter hook output priority mangle; policy accept;');
  if (vmap.length) lines.push(`    udp dport vmap { ${vmap.join(', ')} }`);
  lines.push('  }', '}', '');
  return { text: lines.join('\n'), lineOf };
}

function errorsByLine(stderr: string, lineOf: Map<number, number>, bad: Map<number, string>): number {
  let found = 0;
  for (const m of stderr.matchAll(/^[^\s:]+:(\d+):\d+(?:-\d+)?: Error: (.*)$/gm)) {
    const i = lineOf.get(Number(m[1]));
    if (i !== undefined && !bad.has(i)) {
      bad.set(i, m[2].trim());
      found++;
    }
  }
  return found;
}

function parseSeen(text: string): Map<number, { nfmark: number; ctmark: number }> {
  const out = new Map<number, { nfmark: number; ctmark: number }>();
  for (const m of text.matchAll(/(\d+) \. 0x([0-9a-f]+) \. 0x([0-9a-f]+)/g)) {
    out.set(Number(m[1]) - PORT_BASE, { nfmark: parseInt(m[2], 16) >>> 0, ctmark: parseInt(m[3], 16) >>> 0 });
  }
  return out;
}

async function send(ns: Netns, n: number): Promise<void> {
  const r = await ns.exec(process.execPath, ['-e', SENDER, String(PORT_BASE), String(n)]);
  if (r.code !== 0) throw new Error(`sending datagrams failed: ${r.stderr.trim()}`);
}

/** nft cases, at most ~3000 per call (one port each). */
export async function runNftBatch(ns: Netns, cases: KCase[]): Promise<KResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-nftm-'));
  try {
    const path = join(dir, 'rules.nft');
    const bad = new Map<number, string>();
    await ns.exec('nft', ['flush', 'ruleset']);
    for (let round = 0; ; round++) {
      const { text, lineOf } = nftFile(cases, (i) => !bad.has(i));
      writeFileSync(path, text);
      const r = await ns.exec('nft', ['-f', path]);
      if (r.code === 0) break;
      const found = errorsByLine(r.stderr, lineOf, bad);
      if (found === 0 || round > 50) throw new Error(`oracle: nft refused the batch: ${r.stderr.trim().slice(0, 2000)}`);
      await ns.exec('nft', ['flush', 'ruleset']);
    }
    await send(ns, cases.length);
    const list = await ns.exec('nft', ['list', 'table', 'ip', 't']);
    const seen = parseSeen(list.stdout);
    const listed = new Map<number, string>();
    let cur = -1;
    let k = 0;
    for (const line of list.stdout.split('\n')) {
      const c = /^\s*chain c(\d+) \{/.exec(line);
      if (c) {
        cur = Number(c[1]);
        k = 0;
        continue;
      }
      if (cur < 0) continue;
      const t = line.trim();
      if (t === '}') {
        cur = -1;
        continue;
      }
      if (t && k++ === 2) listed.set(cur, t);
    }
    return cases.map((_, i) => {
      const e = bad.get(i);
      if (e !== undefined) return { error: e };
      return { marks: seen.get(i), listed: listed.get(i) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A real load of one rule in a chain (`nft -c` does not ask the kernel, which refuses e.g. a
 * shift by 0): nft's message or null when accepted.
 */
export async function nftCheckOne(ns: Netns, rule: string): Promise<string | null> {
  const text = `flush ruleset\ntable ip t {\n  chain c {\n    ${rule}\n  }\n}\n`;
  const r = await ns.exec('nft', ['-f', '-'], text);
  if (r.code === 0) return null;
  const m = /Error: (.*)$/m.exec(r.stderr) ?? /^(BUG: .*)$/m.exec(r.stderr);
  return m ? m[1].trim() : r.stderr.trim() || `exit ${r.code}`;
}

/** iptables rules (argv after `-A CHAIN`), read back with the same dynamic set. */
export async function runIptablesBatch(ns: Netns, cases: KCase[]): Promise<KResult[]> {
  const lines = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]'];
  cases.forEach((_, i) => lines.push(`:C${i} - [0:0]`));
  cases.forEach((c, i) => {
    lines.push(`-A OUTPUT -p udp --dport ${PORT_BASE + i} -j C${i}`);
    lines.push(`-A C${i} -j MARK --set-xmark ${hx(c.nfmark)}/0xffffffff`, `-A C${i} -j CONNMARK --set-xmark ${hx(c.ctmark)}/0xffffffff`, `-A C${i} ${c.rule}`);
  });
  lines.push('COMMIT', '');
  await ns.exec('nft', ['flush', 'ruleset']);
  const r = await ns.exec('iptables-restore', [], lines.join('\n'));
  if (r.code !== 0) throw new Error(`oracle: iptables-restore failed: ${r.stderr.trim().slice(0, 2000)}`);
  const probe = [
    'table ip probe {',
    '  set seen { typeof udp dport . meta mark . ct mark; flags dynamic; size 65535; }',
    '  chain out {',
    '    type filter hook output priority 0; policy accept;',
    `    udp dport ${PORT_BASE}-${PORT_BASE + Math.max(cases.length - 1, 0)} add @seen { udp dport . meta mark . ct mark }`,
    '  }',
    '}',
    '',
  ].join('\n');
  const p = await ns.exec('nft', ['-f', '-'], probe);
  if (p.code !== 0) throw new Error(`oracle: probe table refused: ${p.stderr.trim()}`);
  await send(ns, cases.length);
  const list = await ns.exec('nft', ['list', 'set', 'ip', 'probe', 'seen']);
  const seen = parseSeen(list.stdout);
  return cases.map((_, i) => ({ marks: seen.get(i) }));
}

/**
 * nft's verdict on many rules at once (a real load, one chain per rule): its message for each
 * refused rule, null for an accepted one. A rule nft does not name in a round is checked
 * again without the named ones; a rule it never names is accepted. Rules for which nft
 * 1.0.6 dies with `BUG:` (no line) are checked one by one.
 */
export async function nftRefusals(ns: Netns, rules: string[], oneByOne: (i: number) => boolean): Promise<(string | null)[]> {
  const out: (string | null)[] = rules.map(() => null);
  const single = rules.map((_, i) => i).filter(oneByOne);
  let rest = rules.map((_, i) => i).filter((i) => !oneByOne(i));
  // the kernel stops at its first refusal in a transaction: one round per such rule
  for (let round = 0; rest.length > 0 && round < 300; round++) {
    const lines = ['flush ruleset', 'table ip t {'];
    const lineOf = new Map<number, number>();
    for (const i of rest) {
      lines.push(`  chain c${i} {`, `    ${rules[i]}`);
      lineOf.set(lines.length, i);
      lines.push('  }');
    }
    lines.push('}', '');
    const r = await ns.exec('nft', ['-f', '-'], lines.join('\n'));
    if (r.code === 0) break;
    const bad = new Map<number, string>();
    errorsByLine(r.stderr, lineOf, bad);
    if (bad.size === 0) {
      // no line named (a BUG, or a kernel refusal without a location): ask one by one
      single.push(...rest);
      break;
    }
    for (const [i, m] of bad) out[i] = m;
    rest = rest.filter((i) => !bad.has(i));
  }
  for (const i of single) out[i] = await nftCheckOne(ns, rules[i]);
  return out;
}
