/**
 * Differential test of the nftables core against `nft -c -f` (nftables 1.0.6, Debian 12) in a
 * private network namespace: every file of the nftables corpora, and seeded mutations of the
 * files nft accepts (a dropped brace or separator, a misspelt keyword, a renamed jump target,
 * set or variable, a swapped family, hook or priority, a corrupted number, a statement moved
 * after the verdict, a dropped token...), bounded by time and count.
 *
 * It fails on any error of ours where nft accepts, and on any refusal of a class we model
 * (syntax errors, unknown identifiers, chain type/hook/priority/device, statements after a
 * verdict, family mismatches, values out of range) where we are silent on the line nft names.
 * Refusals of other classes (kernel errors: missing chains and sets, absent modules,
 * interfaces, host names...) are counted, and our agreement with them printed.
 *
 * NFT_DIFF_SECONDS (default 90) and NFT_DIFF_MAX (default 6000) bound the run; NFRULES_SEED
 * varies the mutations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { needNft, seedFor } from './gate';
import { Netns } from './oracle';
import { mulberry32 } from './generate';
import { checkNft } from '../../server/src/core/nftables/check';
import { lex, Token } from '../../server/src/core/nftables/syntax/lexer';
import { FAMILIES, HOOKS, isKeyword } from '../../server/src/core/nftables/knowledge/knowledge';
import { parseNft } from '../../server/src/core/nftables/syntax/parser';

const repoRoot = resolve(__dirname, '../..');
const corpus = resolve(repoRoot, '../shared/corpus');
const SECONDS = Number(process.env.NFT_DIFF_SECONDS ?? 90);
const MAX = Number(process.env.NFT_DIFF_MAX ?? 6000);
const CONCURRENCY = 6;

interface NftError {
  line: number; // 0-based
  col: number;
  message: string;
}

/** The classes of nft refusals the core models, by nft's message. */
const MODELED: [string, RegExp][] = [
  ['syntax', /^syntax error/],
  ['symbol-type', /^No symbol type information/],
  ['undefined-variable', /^unknown identifier/],
  ['after-terminal', /^Statement after terminal statement/],
  ['chain-type-hook', /^(unknown chain type|unknown chain hook|The \w+ family does not support this hook)/],
  ['priority', /^invalid priority expression value/],
  ['device', /^Missing `device'/],
  ['family', /^(conflicting protocols specified|meta nfproto is only useful)/],
  ['value', /^(Service out of range|Prefix length \d+ is invalid|Range has zero or negative size)/],
];

function classOf(message: string): string | undefined {
  for (const [c, re] of MODELED) if (re.test(message)) return c;
  return undefined;
}

function nftErrors(stderr: string): NftError[] {
  const out: NftError[] = [];
  for (const line of stderr.split('\n')) {
    const m = /:(\d+):(\d+)-\d+: Error: (.*)$/.exec(line);
    if (m) out.push({ line: Number(m[1]) - 1, col: Number(m[2]) - 1, message: m[3] });
  }
  return out;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', () => res({ code: 127, stderr: 'spawn failed' }));
    child.on('close', (code) => res({ code: code ?? 1, stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function corpusFiles(): string[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/^(README|COPYING|SOURCES)/.test(n)) files.push(p);
    }
  };
  walk(join(corpus, 'nftables-world'));
  walk(join(corpus, 'nftables-upstream'));
  return files;
}

// ------------------------------------------------------------------------------ mutations

type Rng = () => number;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

function splice(text: string, s: number, e: number, by: string): string {
  return text.slice(0, s) + by + text.slice(e);
}

function misspell(r: Rng, w: string): string {
  if (w.length < 2) return w + 'x';
  const i = Math.floor(r() * w.length);
  switch (Math.floor(r() * 3)) {
    case 0:
      return w.slice(0, i) + w.slice(i + 1) || w + 'x';
    case 1: {
      const j = Math.min(i + 1, w.length - 1);
      const a = w.split('');
      [a[i], a[j]] = [a[j], a[i]];
      const s = a.join('');
      return s === w ? w + 'e' : s;
    }
    default:
      return w.slice(0, i) + w[i] + w.slice(i);
  }
}

const MUTATIONS = [
  'drop-brace',
  'drop-semicolon',
  'join-lines',
  'misspell-keyword',
  'rename-jump',
  'rename-set',
  'rename-var',
  'swap-family',
  'swap-hook',
  'swap-priority',
  'swap-type',
  'corrupt-number',
  'after-verdict',
  'drop-token',
  'policy-regular',
] as const;

function mutate(r: Rng, text: string, kind: (typeof MUTATIONS)[number]): string | undefined {
  const toks = lex(text).tokens.filter((t) => t.kind !== 'eof');
  const where = (f: (t: Token, i: number) => boolean): Token[] => toks.filter(f);
  const one = (xs: Token[]): Token | undefined => (xs.length ? pick(r, xs) : undefined);
  switch (kind) {
    case 'drop-brace': {
      const t = one(where((t) => t.kind === 'punct' && (t.text === '{' || t.text === '}')));
      return t && splice(text, t.s, t.e, '');
    }
    case 'drop-semicolon': {
      const t = one(where((t) => t.kind === 'punct' && t.text === ';'));
      return t && splice(text, t.s, t.e, ' ');
    }
    case 'join-lines': {
      const t = one(where((t, i) => t.kind === 'newline' && i > 0 && toks[i - 1].kind !== 'newline'));
      return t && splice(text, t.s, t.e, ' ');
    }
    case 'misspell-keyword': {
      const t = one(where((t) => t.kind === 'string' && isKeyword(t.text) && t.text.length > 2));
      return t && splice(text, t.s, t.e, misspell(r, t.text));
    }
    case 'rename-jump': {
      const f = parseNft(text);
      const refs = f.refs.filter((x) => x.kind === 'chain');
      const x = refs.length ? pick(r, refs) : undefined;
      return x && splice(text, x.name.s, x.name.e, x.name.name + '_x');
    }
    case 'rename-set': {
      const f = parseNft(text);
      const refs = f.refs.filter((x) => x.kind === 'set' && x.via === '@');
      const x = refs.length ? pick(r, refs) : undefined;
      return x && splice(text, x.name.s, x.name.e, x.name.name + 'x');
    }
    case 'rename-var': {
      const f = parseNft(text);
      const refs = f.refs.filter((x) => x.kind === 'var');
      const x = refs.length ? pick(r, refs) : undefined;
      return x && splice(text, x.name.s, x.name.e, x.name.name + 'x');
    }
    case 'swap-family': {
      const f = parseNft(text);
      const ts = f.tables.filter((t) => t.familySpan);
      const t = ts.length ? pick(r, ts) : undefined;
      return t && splice(text, t.familySpan!.s, t.familySpan!.e, pick(r, FAMILIES));
    }
    case 'swap-hook':
    case 'swap-type':
    case 'swap-priority': {
      const f = parseNft(text);
      const cs = f.chains.filter((c) => c.hook && c.type && c.priority);
      const c = cs.length ? pick(r, cs) : undefined;
      if (!c) return undefined;
      if (kind === 'swap-hook') return splice(text, c.hook!.s, c.hook!.e, pick(r, [...HOOKS, 'inptu']));
      if (kind === 'swap-type') return splice(text, c.type!.s, c.type!.e, pick(r, ['filter', 'nat', 'route', 'filtr']));
      return splice(text, c.priority!.s, c.priority!.e, pick(r, ['raw', 'mangle', 'dstnat', 'filter', 'security', 'srcnat', 'out', '-150', 'filter + 5', 'foo']));
    }
    case 'corrupt-number': {
      const t = one(where((t) => t.kind === 'number'));
      return t && splice(text, t.s, t.e, pick(r, ['70000', '99999999999999999999', '0x', '1.5', '08', '-1', '65536', '4294967296', '33']));
    }
    case 'after-verdict': {
      const f = parseNft(text);
      const rules = f.rules.filter((x) => x.statements.length >= 2 && x.statements[x.statements.length - 1].kind === 'verdict');
      const x = rules.length ? pick(r, rules) : undefined;
      if (!x) return undefined;
      const st = x.statements[0];
      const last = x.statements[x.statements.length - 1];
      const moved = text.slice(st.s, st.e);
      return text.slice(0, st.s) + text.slice(x.statements[1].s, last.e) + ' ' + moved + text.slice(last.e);
    }
    case 'drop-token': {
      const t = one(where((t) => t.kind !== 'newline'));
      return t && splice(text, t.s, t.e, ' ');
    }
    case 'policy-regular': {
      const f = parseNft(text);
      const cs = f.chains.filter((c) => !c.typeLine && c.block);
      const c = cs.length ? pick(r, cs) : undefined;
      return c && splice(text, c.block!.s + 1, c.block!.s + 1, '\n\t\tpolicy drop;\n');
    }
  }
}

// ------------------------------------------------------------------------------ the test

interface Outcome {
  name: string;
  text: string;
  ok: boolean;
  errors: NftError[];
}

test('nftables core agrees with nft -c -f on the corpora and their mutations', { timeout: (SECONDS + 120) * 1000 }, async (t) => {
  if (!needNft(t)) return;
  const files = corpusFiles();
  if (files.length === 0) {
    console.error(`SKIPPED: no nftables corpus at ${corpus}`);
    if (process.env.CI) assert.fail('no corpus under CI');
    t.skip('no corpus');
    return;
  }
  const seed = seedFor('nft-differential', 15);
  const rng = mulberry32(seed);
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-nftdiff-'));
  const ns = await Netns.create();
  const deadline = Date.now() + SECONDS * 1000;
  let n = 0;
  const nft = async (name: string, text: string): Promise<Outcome> => {
    const p = join(dir, `case${n++}.nft`);
    writeFileSync(p, text);
    const r = await ns.exec('nft', ['-c', '-f', p]);
    rmSync(p, { force: true });
    return { name, text, ok: r.code === 0, errors: nftErrors(r.stderr) };
  };
  void run;

  const figures = {
    files: 0,
    mutations: 0,
    accepted: 0,
    refused: 0,
    agreeAccept: 0,
    modeled: 0,
    modeledAgree: 0,
    otherRefused: 0,
    otherAgree: 0,
    byClass: new Map<string, { n: number; agree: number }>(),
    byMutation: new Map<string, { n: number; refused: number }>(),
  };
  const failures: string[] = [];

  const judge = (o: Outcome, mutation?: string): void => {
    const mine = checkNft(o.text).filter((f) => f.severity === 'error');
    if (mutation) {
      const m = figures.byMutation.get(mutation) ?? { n: 0, refused: 0 };
      m.n++;
      if (!o.ok) m.refused++;
      figures.byMutation.set(mutation, m);
    }
    if (o.ok) {
      figures.accepted++;
      if (mine.length === 0) figures.agreeAccept++;
      else failures.push(`${o.name}: nft accepts, we say ${mine[0].line + 1}:${mine[0].s + 1} [${mine[0].code}] ${mine[0].message}\n${excerpt(o.text, mine[0].line)}`);
      return;
    }
    figures.refused++;
    const first = o.errors[0];
    if (!first) {
      figures.otherRefused++;
      return;
    }
    const cls = classOf(first.message);
    const agree = mine.some((f) => f.line === first.line);
    const c = figures.byClass.get(cls ?? 'other: ' + first.message.replace(/[:'].*$/, '').slice(0, 40)) ?? { n: 0, agree: 0 };
    c.n++;
    if (agree) c.agree++;
    figures.byClass.set(cls ?? 'other: ' + first.message.replace(/[:'].*$/, '').slice(0, 40), c);
    if (cls) {
      figures.modeled++;
      if (agree) figures.modeledAgree++;
      else {
        const ours = mine.length ? `we say ${mine[0].line + 1}:${mine[0].s + 1} ${mine[0].message}` : 'we are silent';
        failures.push(
          `${o.name}: nft ${first.line + 1}:${first.col + 1} ${first.message}; ${ours}\n${excerpt(o.text, first.line)}` +
            (mine.length && mine[0].line !== first.line ? `\n${excerpt(o.text, mine[0].line)}` : ''),
        );
      }
    } else {
      figures.otherRefused++;
      if (agree) figures.otherAgree++;
    }
  };

  try {
    const accepted: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const o = await nft(f.slice(corpus.length + 1), text);
      figures.files++;
      judge(o);
      if (o.ok) accepted.push(text);
    }
    // mutations of the accepted files, a few nft processes at a time (nft mostly waits on
    // the kernel, so they cost little CPU); the mutations are drawn in order, so a seed
    // always gives the same cases
    const next = (): { name: string; text: string; kind: string } | undefined => {
      for (let tries = 0; tries < 100; tries++) {
        if (Date.now() >= deadline || figures.mutations >= MAX || !accepted.length) return undefined;
        const base = pick(rng, accepted);
        const kind = pick(rng, MUTATIONS);
        const m = mutate(rng, base, kind);
        if (m === undefined || m === base) continue;
        figures.mutations++;
        return { name: `mutation #${figures.mutations} (${kind})`, text: m, kind };
      }
      return undefined;
    };
    const worker = async (): Promise<void> => {
      for (let c = next(); c; c = next()) judge(await nft(c.name, c.text), c.kind);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    await ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`[nft-differential] seed ${seed}: ${figures.files} corpus files and ${figures.mutations} mutations`);
  console.log(`  nft accepts ${figures.accepted} (we agree on ${figures.agreeAccept}), refuses ${figures.refused}`);
  console.log(`  refusals of classes we model: ${figures.modeled}, we name nft's first error line in ${figures.modeledAgree}`);
  console.log(`  other refusals (kernel, environment): ${figures.otherRefused}, we also report that line in ${figures.otherAgree}`);
  for (const [c, v] of [...figures.byClass].sort((a, b) => b[1].n - a[1].n)) console.log(`    ${c}: ${v.n} (${v.agree} same line)`);
  for (const [m, v] of figures.byMutation) console.log(`    mutation ${m}: ${v.n} cases, nft refuses ${v.refused}`);
  if (failures.length) {
    console.log(`  ${failures.length} disagreements; the first ones:`);
    for (const f of failures.slice(0, 25)) console.log('  - ' + f.replace(/\n/g, '\n    '));
  }
  assert.equal(failures.length, 0, `${failures.length} disagreements with nft (see above)`);
});

function excerpt(text: string, line: number): string {
  const lines = text.split('\n');
  return `${line + 1}| ${lines[line] ?? ''}`;
}
