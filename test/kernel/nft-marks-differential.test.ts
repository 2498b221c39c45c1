/**
 * The nft mark model (server/src/core/marks/nftMarks.ts) against nft 1.0.6 and the kernel:
 * seeded random mark statements and matches (every operator, precedence shapes with and
 * without parentheses, shifts, meta and ct sources, masks at the edges) loaded with `nft -f`
 * into a private namespace, one UDP datagram each, marks read back; the model's marks, match
 * results, refusals and `nft list` text must agree with the kernel's for every case. Then
 * every equivalent spelling the model offers is loaded and must give the same marks, and
 * every iptables <-> nft translation is loaded in both frameworks.
 * NFRULES_SEED reproduces or varies a run; NFRULES_NFT_MARKS_CASES changes the count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateNftMark, nftFromIptables, type NftMarkResult } from '../../server/src/core/marks/nftMarks';
import { nftForm, applyMarkOp } from '../../server/src/core/marks/marks';
import { evaluateMarkArgs } from '../../server/src/core/iptables/syntax/markOptions';
import { withNetns } from './oracle';
import { INVERT, nftRefusals, runIptablesBatch, runNftBatch, type KCase, type KResult } from './nftMarkOracle';
import { Rng, genSample, genTarget, genMatchCase, interestingU32 } from './generate';
import { hex, needNft, seedFor } from './gate';

const CASES = Number(process.env.NFRULES_NFT_MARKS_CASES ?? 10_000);
const BATCH = 2500;
const TIME_LIMIT_MS = 150_000;
const SHOW = Number(process.env.NFRULES_SHOW ?? 8);

// ---------------------------------------------------------------------------------------
// generation

function num(r: Rng, v: number): string {
  const k = r.int(10);
  if (k < 7) return hex(v);
  if (k < 9) return String(v >>> 0);
  return v === 0 ? '0' : '0' + (v >>> 0).toString(8);
}

const BOOL_WORDS = ['and', 'or', 'xor', '&', '|', '^'];
const SHIFT_WORDS = ['<<', '>>', 'lshift', 'rshift'];
const SOURCES = ['meta mark', 'mark', 'ct mark'];

/** A constant operand: a number, sometimes a small constant expression in or out of parentheses. */
function constOperand(r: Rng): string {
  const k = r.int(10);
  if (k < 8) return num(r, interestingU32(r));
  const inner = `${num(r, interestingU32(r))} ${r.pick(BOOL_WORDS)} ${num(r, interestingU32(r))}`;
  return k === 8 ? `(${inner})` : inner; // unparenthesised: precedence decides
}

/** A mark expression: a source, then operations, with random parentheses around prefixes. */
function genExpr(r: Rng, shifts: boolean): string {
  let s = r.pick(SOURCES);
  const n = r.range(0, 5);
  for (let i = 0; i < n; i++) {
    if (shifts && r.chance(0.18)) {
      // a shift of an operation needs parentheses, else it would shift a constant
      const needParen = s.includes(' and ') || /[&|^]| or | xor /.test(s.replace(/^\S+ mark|^mark/, ''));
      if (needParen && !r.chance(0.03)) s = `(${s})`;
      const bits = r.chance(0.02) ? r.pick([0, 32]) : r.range(1, 31);
      s = `${s} ${r.pick(SHIFT_WORDS)} ${bits}`;
      continue;
    }
    if (r.chance(0.15) && s.includes(' ')) s = `(${s})`;
    const operand = r.chance(0.02) ? r.pick(SOURCES) : constOperand(r);
    s = `${s} ${r.pick(BOOL_WORDS)} ${operand}`;
  }
  if (r.chance(0.05)) s = num(r, interestingU32(r));
  return s;
}

function genStatement(r: Rng): string {
  const target = r.pick(['meta mark set', 'mark set', 'ct mark set']);
  return `${target} ${genExpr(r, true)}`;
}

/** A match; `y` helps choose right-hand sides that sometimes match. */
function genMatch(r: Rng, sample: { nfmark: number; ctmark: number }): string {
  const lhs = r.chance(0.03) ? `${r.pick(SOURCES)} << 4` : genExpr(r, false).replace(/^0x[0-9a-f]+$|^\d+$/, 'meta mark');
  // what the left side reads for the sample, to make some right sides match
  const probe = evaluateNftMark(`${lhs} 0`, sample);
  let y = r.u32();
  if (probe.ok && probe.lhs) {
    const p = probe.lhs;
    let v = (p.src === 'meta' ? sample.nfmark : sample.ctmark) >>> 0;
    for (const o of p.ops) if (o.k === 'bool') v = ((v & o.mask) ^ o.xor) >>> 0;
    y = v;
    // the transfer of a top-level xor was applied to `0`; undo it for y
    if (probe.rhs?.k === 'value' && probe.rhs.value !== 0) y = (y ^ probe.rhs.value) >>> 0;
  }
  const near = () => (r.chance(0.5) ? y : r.chance(0.5) ? interestingU32(r) : (y + r.range(-3, 3)) >>> 0);
  const k = r.int(12);
  if (k < 4) {
    const op = r.pick(['', '== ', '!= ', 'eq ', 'ne ']);
    return `${lhs} ${op}${num(r, near())}`;
  }
  if (k < 6) {
    const op = r.pick(['< ', '> ', '<= ', '>= ', 'lt ', 'ge ']);
    return `${lhs} ${op}${num(r, near())}`;
  }
  if (k < 7) {
    const a = near();
    const b = r.chance(0.5) ? Math.min(a + r.range(1, 1000), 0xffffffff) : r.u32();
    const [lo, hi] = a < b ? [a, b] : [b, a];
    return `${lhs} ${r.pick(['', '!= '])}${num(r, lo)}-${num(r, hi)}`;
  }
  if (k < 9) {
    const len = r.chance(0.05) ? 33 : r.range(0, 32);
    return `${lhs} ${r.pick(['', '== ', '!= '])}${num(r, near())}/${len}`;
  }
  const n = r.range(1, r.chance(0.1) ? 24 : 5);
  const interval = r.chance(0.4);
  const items: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = near();
    if (interval && r.chance(0.5)) {
      if (r.chance(0.5)) items.push(`${num(r, v)}/${r.range(8, 32)}`);
      else items.push(`${num(r, v)}-${num(r, Math.min(v + r.range(1, 300), 0xffffffff))}`);
    } else items.push(num(r, v));
  }
  return `${lhs} ${r.pick(['', '!= '])}{ ${items.join(', ')} }`;
}

// ---------------------------------------------------------------------------------------
// running

interface Planned {
  text: string;
  sample: { nfmark: number; ctmark: number };
  model: NftMarkResult;
}

const ruleOf = (p: { text: string; kind: 'set' | 'match' }) => (p.kind === 'match' ? `${p.text} ${INVERT}` : p.text);

function kernelOutcome(p: Planned, k: KResult): { nfmark: number; ctmark: number; matches?: boolean } | undefined {
  if (!k.marks || !p.model.ok) return undefined;
  if (p.model.kind === 'set') return k.marks;
  const inv = k.marks.nfmark === ~p.sample.nfmark >>> 0;
  return { nfmark: p.sample.nfmark, ctmark: k.marks.ctmark, matches: inv };
}

/** Runs nft cases in batches; returns results in order. */
async function runAll(cases: KCase[], deadline: number): Promise<(KResult | undefined)[]> {
  const out: (KResult | undefined)[] = [];
  await withNetns(async (ns) => {
    for (let s = 0; s < cases.length; s += BATCH) {
      if (Date.now() > deadline) break;
      out.push(...(await runNftBatch(ns, cases.slice(s, s + BATCH))));
    }
  });
  return out;
}

function report(name: string, total: number, bad: string[]): void {
  console.log(`[${name}] ${total} cases, ${bad.length} mismatches`);
  for (const b of bad.slice(0, SHOW)) console.log(`[${name}] MISMATCH ${b}`);
  if (bad.length > SHOW) console.log(`[${name}] ... and ${bad.length - SHOW} more`);
}

test(`nft marks: ${CASES} random statements and matches, model == kernel, listed == nft list; equivalents; iptables <-> nft`, async (t) => {
  if (!needNft(t)) return;
  const seed = seedFor('nft-marks', 0x6e66_7461);
  const r = new Rng(seed);
  const t0 = Date.now();
  const deadline = t0 + TIME_LIMIT_MS;
  const planned: Planned[] = [];
  for (let i = 0; i < CASES; i++) {
    const sample = genSample(r);
    const text = r.chance(0.55) ? genStatement(r) : genMatch(r, sample);
    planned.push({ text, sample, model: evaluateNftMark(text, sample) });
  }
  const valid = planned.filter((p) => p.model.ok);
  const refused = planned.filter((p) => !p.model.ok);
  const bad: string[] = [];
  const badListed: string[] = [];

  // 1. valid cases: marks, match results and listed text
  const vCases = valid.map((p) => ({ ...p.sample, rule: ruleOf({ text: p.text, kind: (p.model as { kind: 'set' | 'match' }).kind }) }));
  const vRes = await runAll(vCases, deadline);
  let checked = 0;
  valid.forEach((p, i) => {
    const k = vRes[i];
    if (!k) return;
    checked++;
    const m = p.model as Extract<NftMarkResult, { ok: true }>;
    const where = `${JSON.stringify(p.text)} nf ${hex(p.sample.nfmark)} ct ${hex(p.sample.ctmark)}`;
    if (k.error) return void bad.push(`${where}: model accepts, nft refuses: ${k.error}`);
    const got = kernelOutcome(p, k);
    if (!got) return void bad.push(`${where}: no marks read back`);
    if (got.nfmark !== m.nfmark || got.ctmark !== m.ctmark || got.matches !== m.matches) {
      bad.push(
        `${where}: kernel nf ${hex(got.nfmark)} ct ${hex(got.ctmark)} matches ${got.matches}, model nf ${hex(m.nfmark)} ct ${hex(m.ctmark)} matches ${m.matches}`,
      );
    }
    const listed = m.kind === 'match' ? k.listed?.replace(` ${INVERT.replace('0xffffffff', '0xffffffff')}`, '') : k.listed;
    const want = m.kind === 'match' ? `${m.listed} meta mark set meta mark ^ 0xffffffff` : m.listed;
    if (k.listed !== want) badListed.push(`${where}: nft lists ${JSON.stringify(listed)}, model ${JSON.stringify(m.listed)}`);
  });
  const tKernel = Date.now() - t0;

  // 2. refusals: nft must refuse them with the model's message
  const badRefused: string[] = [];
  let refusedChecked = 0;
  await withNetns(async (ns) => {
    const sel = refused.slice(0, 2000);
    const got = await nftRefusals(
      ns,
      sel.map((p) => p.text),
      (i) => (sel[i].model as { error: string }).error.startsWith('BUG'),
    );
    sel.forEach((p, i) => {
      refusedChecked++;
      const want = (p.model as { error: string }).error;
      if (got[i] !== want) badRefused.push(`${JSON.stringify(p.text)}: nft ${JSON.stringify(got[i])}, model ${JSON.stringify(want)}`);
    });
  });

  // 3. every equivalent spelling gives the same marks
  const eqPlanned: { text: string; of: Planned }[] = [];
  for (const p of valid) {
    if (!p.model.ok) continue;
    for (const e of p.model.equivalents) if (e !== p.text) eqPlanned.push({ text: e, of: p });
  }
  const eqSel = eqPlanned.slice(0, 5_000);
  const eqRes = await runAll(
    eqSel.map((e) => ({ ...e.of.sample, rule: ruleOf({ text: e.text, kind: (e.of.model as { kind: 'set' | 'match' }).kind }) })),
    deadline,
  );
  const badEq: string[] = [];
  let eqChecked = 0;
  eqSel.forEach((e, i) => {
    const k = eqRes[i];
    if (!k) return;
    eqChecked++;
    const m = e.of.model as Extract<NftMarkResult, { ok: true }>;
    const got = k.error ? undefined : kernelOutcome({ ...e.of }, k);
    if (!got || got.nfmark !== m.nfmark || got.ctmark !== m.ctmark || got.matches !== m.matches) {
      badEq.push(
        `${JSON.stringify(e.of.text)} -> ${JSON.stringify(e.text)}: ${k.error ?? (got ? `nf ${hex(got.nfmark)} ct ${hex(got.ctmark)} matches ${got.matches}` : 'no marks')}, want nf ${hex(m.nfmark)} ct ${hex(m.ctmark)} matches ${m.matches}`,
      );
    }
  });

  // 4. nft -> iptables: the iptables spelling in iptables gives the model's marks
  const toIpt = valid.filter((p) => p.model.ok && p.model.iptables).slice(0, 2500);
  const iptCases: KCase[] = toIpt.map((p) => {
    const m = p.model as Extract<NftMarkResult, { ok: true }>;
    return { ...p.sample, rule: m.kind === 'match' ? `${m.iptables} -j MARK --xor-mark 0xffffffff` : m.iptables! };
  });
  // 5. iptables -> nft: random MARK/CONNMARK rules and mark matches, their nft statement in nft
  const rr = new Rng(seed ^ 0x1234567);
  const fromIpt: {
    args: string[];
    sample: { nfmark: number; ctmark: number };
    nft: string;
    nftForm: string | null;
    want: { nfmark: number; ctmark: number; matches?: boolean };
  }[] = [];
  for (let i = 0; i < 2000; i++) {
    const c = rr.chance(0.7) ? { args: genTarget(rr), ...genSample(rr) } : genMatchCase(rr);
    const ev = evaluateMarkArgs(c.args, c);
    if (!ev.ok || (ev.op.kind === 'xset' && ev.op.ext === 'TPROXY')) continue;
    const n = nftFromIptables(ev.op);
    if (n.nft === null) continue;
    const old = nftForm(ev.op);
    const a = applyMarkOp(ev.op, c);
    fromIpt.push({ args: ev.saved.split(' '), sample: { nfmark: c.nfmark, ctmark: c.ctmark }, nft: n.nft, nftForm: old.nft, want: a });
  }
  const badIpt: string[] = [];
  let iptChecked = 0;
  let fromChecked = 0;
  if (Date.now() < deadline) {
    const both = [
      ...iptCases,
      ...fromIpt.map((f) => ({ ...f.sample, rule: f.want.matches === undefined ? f.args.join(' ') : `${f.args.join(' ')} -j MARK --xor-mark 0xffffffff` })),
    ];
    const iptRes = await withNetns(async (ns) => {
      const out: KResult[] = [];
      for (let s = 0; s < both.length; s += BATCH) out.push(...(await runIptablesBatch(ns, both.slice(s, s + BATCH))));
      return out;
    });
    toIpt.forEach((p, i) => {
      const m = p.model as Extract<NftMarkResult, { ok: true }>;
      const got = kernelOutcome(p, iptRes[i]);
      iptChecked++;
      if (!got || got.nfmark !== m.nfmark || got.ctmark !== m.ctmark || got.matches !== m.matches) {
        badIpt.push(
          `${JSON.stringify(p.text)} as iptables ${JSON.stringify(m.iptables)}: ${got ? `nf ${hex(got.nfmark)} ct ${hex(got.ctmark)} matches ${got.matches}` : 'no marks'}, nft model nf ${hex(m.nfmark)} ct ${hex(m.ctmark)} matches ${m.matches}`,
        );
      }
    });
    // the same iptables rule in nft, both from nftFromIptables and from marks.ts's nftForm
    const nftSide: KCase[] = [];
    for (const f of fromIpt) {
      const kind = f.want.matches === undefined ? 'set' : 'match';
      nftSide.push({ ...f.sample, rule: ruleOf({ text: f.nft, kind }) });
      nftSide.push({ ...f.sample, rule: ruleOf({ text: f.nftForm ?? f.nft, kind }) });
    }
    const nRes = await runAll(nftSide, Number.MAX_SAFE_INTEGER);
    fromIpt.forEach((f, i) => {
      fromChecked++;
      const ipt = iptRes[toIpt.length + i];
      const iptGot = ipt?.marks;
      for (const [which, k] of [
        ['nftFromIptables', nRes[2 * i]],
        ['nftForm', nRes[2 * i + 1]],
      ] as const) {
        const plannedLike: Planned = { text: '', sample: f.sample, model: { ok: true, kind: f.want.matches === undefined ? 'set' : 'match' } as never };
        const got = k && !k.error ? kernelOutcome(plannedLike, k) : undefined;
        const iptOutcome = iptGot ? kernelOutcome(plannedLike, { marks: iptGot }) : undefined;
        const same = (a?: { nfmark: number; ctmark: number; matches?: boolean }) =>
          a && a.nfmark === f.want.nfmark && a.ctmark === f.want.ctmark && a.matches === f.want.matches;
        if (!same(got) || !same(iptOutcome)) {
          badIpt.push(
            `${JSON.stringify(f.args.join(' '))} -> ${which} ${JSON.stringify(which === 'nftForm' ? f.nftForm : f.nft)}: nft ${k?.error ?? JSON.stringify(got)}, iptables ${JSON.stringify(iptOutcome)}, model ${JSON.stringify(f.want)}`,
          );
        }
      }
    });
  }

  const elapsed = Date.now() - t0;
  const stmts = valid.filter((p) => p.model.ok && p.model.kind === 'set').length;
  console.log(
    `[nft-marks] generated ${planned.length}: ${valid.length} accepted by the model (${stmts} statements, ${valid.length - stmts} matches), ${refused.length} refused`,
  );
  console.log(
    `[nft-marks] kernel-checked ${checked} in ${tKernel} ms; refusals checked ${refusedChecked}; equivalents checked ${eqChecked}; nft->iptables ${iptChecked}; iptables->nft ${fromChecked} (x2: nftFromIptables and nftForm); total ${elapsed} ms`,
  );
  report('nft-marks marks', checked, bad);
  report('nft-marks listed', checked, badListed);
  report('nft-marks refusals', refusedChecked, badRefused);
  report('nft-marks equivalents', eqChecked, badEq);
  report('nft-marks iptables<->nft', iptChecked + fromChecked, badIpt);
  assert.ok(checked >= Math.min(CASES, 10_000) * 0.8, `only ${checked} cases reached the kernel before the time limit`);
  assert.equal(bad.length, 0, 'model marks differ from the kernel');
  assert.equal(badListed.length, 0, 'listed form differs from nft list');
  assert.equal(badRefused.length, 0, 'refusals differ');
  assert.equal(badEq.length, 0, 'an equivalent spelling gives other marks');
  assert.equal(badIpt.length, 0, 'an iptables<->nft translation gives other marks');
});
