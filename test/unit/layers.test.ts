/**
 * The house rules, read from the imports of every source file:
 *   - each folder of server/src imports only itself and the folders below it
 *     (common < marks < iptables|nftables (knowledge < syntax < checks < walk) < features
 *      < service < the entry points server.ts, cli.ts ...);
 *   - no import circle anywhere in server/src (type-only imports count too);
 *   - core imports no Node module, no `vscode`, no language-server runtime: what it may take
 *     from npm is listed in CORE_PACKAGES;
 *   - the client imports nothing of the server but the typed protocol.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = process.cwd();
const SRC = join(ROOT, 'server', 'src');
const CORE_PACKAGES = new Set(['vscode-languageserver-types']);

/** Rank of a file by its folder: a file may import its own folder and lower ranks. */
const RANKS: [RegExp, number][] = [
  [/^core\/common\//, 0],
  [/^core\/marks\//, 1],
  [/^core\/(iptables|nftables)\/knowledge\//, 2],
  [/^core\/(iptables|nftables)\/syntax\//, 3],
  [/^core\/(iptables|nftables)\/checks\//, 4],
  [/^core\/(iptables|nftables)\/walk\//, 5],
  [/^core\/(iptables|nftables)\/[^/]+\.ts$/, 5],
  [/^core\/features\//, 6],
  [/^core\/service\//, 7],
  [/^protocol\.ts$/, 8],
  [/^[^/]+\.ts$/, 9],
];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

const SPEC =
  /(?:^|[\s;])(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of text.matchAll(SPEC)) out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return out;
}

const resolveTs = (from: string, spec: string): string => {
  const p = resolve(dirname(from), spec);
  return p.endsWith('.ts') ? p : `${p}.ts`;
};

const rel = (p: string) => relative(SRC, p).split('\\').join('/');
const rankOf = (p: string): number | undefined => RANKS.find(([re]) => re.test(rel(p)))?.[1];
const languageOf = (p: string): string | undefined => /^core\/(iptables|nftables)\//.exec(rel(p))?.[1];

test('layers: every file of server/src has a place, and imports only its own folder and the ones below', () => {
  const problems: string[] = [];
  for (const f of sources(SRC)) {
    const r = rankOf(f);
    if (r === undefined) {
      problems.push(`${rel(f)}: in no layer (add its folder to RANKS)`);
      continue;
    }
    for (const spec of importsOf(f)) {
      if (!spec.startsWith('.')) {
        if (rel(f).startsWith('core/') && !CORE_PACKAGES.has(spec)) problems.push(`${rel(f)}: core imports '${spec}'`);
        continue;
      }
      const t = resolveTs(f, spec);
      const tr = rankOf(t);
      const sameFolder = dirname(t) === dirname(f);
      if (tr === undefined) problems.push(`${rel(f)}: imports ${spec}, outside every layer`);
      else if (!sameFolder && tr >= r && !(tr === r && dirname(rel(t)) === dirname(rel(f))))
        problems.push(`${rel(f)} (layer ${r}) imports ${rel(t)} (layer ${tr})`);
      const lf = languageOf(f);
      const lt = languageOf(t);
      if (lf && lt && lf !== lt) problems.push(`${rel(f)}: one language imports the other (${rel(t)})`);
    }
  }
  assert.deepEqual(problems, []);
});

test('layers: no import circle in server/src', () => {
  const files = sources(SRC);
  const edges = new Map(
    files.map((f) => [
      f,
      importsOf(f)
        .filter((s) => s.startsWith('.'))
        .map((s) => resolveTs(f, s)),
    ]),
  );
  // Tarjan's strongly connected components, iteratively
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const circles: string[][] = [];
  for (const root of files) {
    if (idx.has(root)) continue;
    const work: [string, number][] = [[root, 0]];
    while (work.length) {
      const top = work[work.length - 1];
      const [v, i] = top;
      if (i === 0) {
        idx.set(v, index);
        low.set(v, index++);
        stack.push(v);
        on.add(v);
      }
      const next = edges.get(v) ?? [];
      if (i < next.length) {
        top[1]++;
        const w = next[i];
        if (!edges.has(w)) continue;
        if (!idx.has(w)) work.push([w, 0]);
        else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1][0];
        low.set(u, Math.min(low.get(u)!, low.get(v)!));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          comp.push(rel(w));
        } while (w !== v);
        if (comp.length > 1 || (edges.get(v) ?? []).includes(v)) circles.push(comp.sort());
      }
    }
  }
  assert.deepEqual(circles, []);
});

test('layers: the client imports nothing of the server but the typed protocol', () => {
  const problems: string[] = [];
  for (const f of sources(join(ROOT, 'client', 'src'))) {
    for (const spec of importsOf(f)) {
      if (!spec.startsWith('.')) continue;
      const t = resolveTs(f, spec);
      if (t.startsWith(SRC) && rel(t) !== 'protocol.ts') problems.push(`${relative(ROOT, f)} imports ${relative(ROOT, t)}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('layers: no source file over 700 lines', () => {
  const long = [...sources(SRC), ...sources(join(ROOT, 'client', 'src'))]
    .map((f) => [relative(ROOT, f), readFileSync(f, 'utf8').split('\n').length] as const)
    .filter(([, n]) => n > 700);
  assert.deepEqual(long, []);
});
