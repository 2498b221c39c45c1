/**
 * Differential tests: the mark model (server/src/core/marks.ts) against the running kernel
 * and iptables, on thousands of seeded random rules. Every test prints its seed; set
 * NFRULES_SEED to vary or reproduce a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateMarkArgs } from '../../server/src/core/iptables/syntax/markOptions';
import {
  iptablesVerdicts,
  kernelEvalMatches,
  kernelEvalNft,
  kernelEvalNftMatches,
  kernelEvalTargets,
  kernelListed,
  kernelSaved,
  type Marks,
  type OracleError,
} from './oracle';
import { Rng, genAbbreviated, genMalformed, genMatchCase, genSample, genTarget } from './generate';
import { hex, needKernel, needNft, seedFor } from './gate';

type Model = ReturnType<typeof evaluateMarkArgs>;

const TARGETS = 10_000;
const MATCHES = 3_000;
const VERDICTS = 3_000;
const ABBREVIATED = 300;
const EQUIV_SAMPLE = 1_200;
const NFT_SAMPLE = 1_500;
const SHOW = Number(process.env.NFRULES_SHOW ?? 8);

const q = (args: string[]) => JSON.stringify(args);
const showKernel = (r: Marks | OracleError | boolean | string) =>
  typeof r === 'boolean' || typeof r === 'string'
    ? JSON.stringify(r)
    : 'error' in r
      ? `error ${JSON.stringify(r.error)}`
      : `nf ${hex(r.nfmark)} ct ${hex(r.ctmark)}`;
const showModel = (m: Model) =>
  m.ok ? `nf ${hex(m.nfmark)} ct ${hex(m.ctmark)}${m.matches === undefined ? '' : ` matches ${m.matches}`}` : `error ${JSON.stringify(m.error)}`;

function report(name: string, total: number, bad: string[]): void {
  console.log(`[${name}] ${total} cases, ${bad.length} mismatches`);
  for (const b of bad.slice(0, SHOW)) console.log(`[${name}] MISMATCH ${b}`);
  if (bad.length > SHOW) console.log(`[${name}] ... and ${bad.length - SHOW} more`);
}

/** Valid random target cases (also used by the equivalence and nft tests). */
function targetCases(seed: number, n: number) {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => ({ args: genTarget(r), ...genSample(r) }));
}

function matchCases(seed: number, n: number) {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => genMatchCase(r));
}

test(`(a) ${TARGETS} random MARK/CONNMARK targets: model nfmark/ctmark == kernel`, async (t) => {
  if (!needKernel(t)) return;
  const seed = seedFor('a', 0x5eed_a001);
  const cases = targetCases(seed, TARGETS);
  const t0 = Date.now();
  const kernel = await kernelEvalTargets(cases);
  const ms = Date.now() - t0;
  console.log(`[a] kernel: ${cases.length} cases in ${ms} ms (${Math.round((cases.length * 1000) / ms)} cases/s)`);
  const bad: string[] = [];
  let kernelRefused = 0;
  cases.forEach((c, i) => {
    const k = kernel[i];
    const m = evaluateMarkArgs(c.args, { nfmark: c.nfmark, ctmark: c.ctmark });
    if ('error' in k) kernelRefused++;
    const same = 'error' in k ? !m.ok && m.error === k.error : m.ok && m.kind === 'target' && m.nfmark === k.nfmark && m.ctmark === k.ctmark;
    if (!same) bad.push(`#${i} ${q(c.args)} in nf ${hex(c.nfmark)} ct ${hex(c.ctmark)}: kernel ${showKernel(k)}, model ${showModel(m)}`);
  });
  if (kernelRefused) console.log(`[a] note: the kernel refused ${kernelRefused} generated rules (compared as errors)`);
  report('a', cases.length, bad);
  assert.equal(bad.length, 0, `${bad.length} of ${cases.length} target cases differ from the kernel (seed ${seed}); first: ${bad[0]}`);
});

test(`(b) ${MATCHES} random -m mark / -m connmark matches: model matches == kernel`, async (t) => {
  if (!needKernel(t)) return;
  const seed = seedFor('b', 0x5eed_b002);
  const cases = matchCases(seed, MATCHES);
  const t0 = Date.now();
  const kernel = await kernelEvalMatches(cases);
  console.log(`[b] kernel: ${cases.length} cases in ${Date.now() - t0} ms, ${kernel.filter((x) => x === true).length} matched`);
  const bad: string[] = [];
  cases.forEach((c, i) => {
    const k = kernel[i];
    const m = evaluateMarkArgs(c.args, { nfmark: c.nfmark, ctmark: c.ctmark });
    const same =
      typeof k === 'boolean' ? m.ok && m.kind === 'match' && m.matches === k && m.nfmark === c.nfmark && m.ctmark === c.ctmark : !m.ok && m.error === k.error;
    if (!same) bad.push(`#${i} ${q(c.args)} on nf ${hex(c.nfmark)} ct ${hex(c.ctmark)}: kernel ${showKernel(k)}, model ${showModel(m)}`);
  });
  report('b', cases.length, bad);
  assert.equal(bad.length, 0, `${bad.length} of ${cases.length} match cases differ from the kernel (seed ${seed}); first: ${bad[0]}`);
});

/** Compares the model's accept/reject and message with iptables' for these rules. */
async function compareVerdicts(name: string, rules: string[][]) {
  const t0 = Date.now();
  const verdicts = await iptablesVerdicts(rules.map((args) => ({ table: 'mangle', chain: 'OUTPUT', args })));
  console.log(`[${name}] iptables: ${rules.length} verdicts in ${Date.now() - t0} ms`);
  // The kernel's own refusals name the chain the rule was appended to, which the model
  // cannot know: there the model must give the same reason, `RULE_APPEND failed (Invalid argument)`.
  const KERNEL = 'RULE_APPEND failed (Invalid argument)';
  const sameMessage = (model: string, iptables: string) => model === iptables || (iptables.startsWith(KERNEL) && model.startsWith(KERNEL));
  const tally = { bothAccept: 0, bothRejectSameMessage: 0, bothRejectOtherMessage: 0, modelAcceptsIptablesRejects: 0, modelRejectsIptablesAccepts: 0 };
  const bad: string[] = [];
  const seenMsg = new Set<string>();
  rules.forEach((args, i) => {
    const v = verdicts[i];
    const m = evaluateMarkArgs(args, { nfmark: 0, ctmark: 0 });
    let kind: keyof typeof tally;
    if (v.ok && m.ok) kind = 'bothAccept';
    else if (!v.ok && !m.ok) kind = sameMessage(m.error, v.message) ? 'bothRejectSameMessage' : 'bothRejectOtherMessage';
    else kind = m.ok ? 'modelAcceptsIptablesRejects' : 'modelRejectsIptablesAccepts';
    tally[kind]++;
    if (kind === 'bothAccept' || kind === 'bothRejectSameMessage') return;
    // one line per distinct disagreement, so the report stays readable
    const key = `${kind}|${v.message}|${m.ok ? '' : m.error}`;
    if (seenMsg.has(key)) return;
    seenMsg.add(key);
    bad.push(
      `${kind}: ${q(args)}: iptables ${v.ok ? 'accepts' : `rejects ${JSON.stringify(v.message)}`}; model ${m.ok ? 'accepts' : `rejects ${JSON.stringify(m.error)}`}`,
    );
  });
  const agree = tally.bothAccept + tally.bothRejectSameMessage;
  console.log(`[${name}] agreement ${agree}/${rules.length} (${((100 * agree) / rules.length).toFixed(2)}%): ${JSON.stringify(tally)}`);
  report(name, rules.length, bad);
  return { agree, bad };
}

test(`(c) ${VERDICTS} random and malformed rules: model accepts/rejects as iptables does, with iptables' message`, async (t) => {
  if (!needKernel(t)) return;
  const seed = seedFor('c', 0x5eed_c003);
  const r = new Rng(seed);
  const rules = Array.from({ length: VERDICTS }, () => genMalformed(r));
  const { agree, bad } = await compareVerdicts('c', rules);
  assert.equal(agree, rules.length, `${rules.length - agree} of ${rules.length} verdicts differ (seed ${seed}); first: ${bad[0]}`);
});

test(`(c2) ${ABBREVIATED} rules with abbreviated option names (getopt_long prefixes, e.g. --or for --or-mark)`, async (t) => {
  if (!needKernel(t)) return;
  const seed = seedFor('c2', 0x5eed_c2c2);
  const r = new Rng(seed);
  const rules = Array.from({ length: ABBREVIATED }, () => genAbbreviated(r));
  const { agree, bad } = await compareVerdicts('c2', rules);
  assert.equal(agree, rules.length, `${rules.length - agree} of ${rules.length} verdicts differ (seed ${seed}); first: ${bad[0]}`);
});

test(`(d) equivalents give the kernel result of the rule; saved == iptables-save; listed == iptables -L`, async (t) => {
  if (!needKernel(t)) return;
  const seed = seedFor('d', 0x5eed_d004);
  const rules = [
    ...targetCases(seed, EQUIV_SAMPLE).map((c) => ({ ...c, kind: 'target' as const })),
    ...matchCases(seed ^ 0xffff, EQUIV_SAMPLE / 3).map((c) => ({ ...c, kind: 'match' as const })),
  ];
  const models = rules.map((c) => evaluateMarkArgs(c.args, { nfmark: c.nfmark, ctmark: c.ctmark }));
  const bad: string[] = [];
  rules.forEach((c, i) => {
    const m = models[i];
    if (!m.ok) bad.push(`model refuses the valid ${q(c.args)}: ${m.error}`);
  });

  // every listed equivalent, evaluated by the kernel on the same sample, next to the rule itself
  const tEquiv: { args: string[]; nfmark: number; ctmark: number; of: number; spelling: string }[] = [];
  const mEquiv: typeof tEquiv = [];
  let spellings = 0;
  rules.forEach((c, i) => {
    const m = models[i];
    if (!m.ok) return;
    const list = c.kind === 'target' ? tEquiv : mEquiv;
    list.push({ args: c.args, nfmark: c.nfmark, ctmark: c.ctmark, of: i, spelling: '(the rule)' });
    for (const e of m.equivalents) {
      spellings++;
      list.push({ args: e.split(' '), nfmark: c.nfmark, ctmark: c.ctmark, of: i, spelling: e });
    }
  });
  const [kt, km] = await Promise.all([kernelEvalTargets(tEquiv), kernelEvalMatches(mEquiv)]);
  const check = (list: typeof tEquiv, got: (Marks | boolean | OracleError)[]) => {
    let base: Marks | boolean | OracleError | undefined;
    list.forEach((e, k) => {
      if (e.spelling === '(the rule)') {
        base = got[k];
        return;
      }
      if (JSON.stringify(got[k]) !== JSON.stringify(base)) {
        bad.push(
          `equivalent ${JSON.stringify(e.spelling)} of ${q(rules[e.of].args)} on nf ${hex(e.nfmark)} ct ${hex(e.ctmark)}: kernel gives ${showKernel(got[k])}, the rule ${showKernel(base as Marks)}`,
        );
      }
    });
  };
  check(tEquiv, kt);
  check(mEquiv, km);

  // saved and listed forms read back from the kernel
  const [saved, listed] = await Promise.all([kernelSaved(rules.map((c) => c.args)), kernelListed(rules.map((c) => c.args))]);
  rules.forEach((c, i) => {
    const m = models[i];
    if (!m.ok) return;
    if (saved[i] !== m.saved) bad.push(`saved of ${q(c.args)}: iptables-save prints ${showKernel(saved[i])}, model ${JSON.stringify(m.saved)}`);
    if (listed[i] !== m.listed) bad.push(`listed of ${q(c.args)}: iptables -L prints ${showKernel(listed[i])}, model ${JSON.stringify(m.listed)}`);
  });
  console.log(`[d] ${rules.length} rules, ${spellings} equivalent spellings checked in the kernel`);
  report('d', rules.length, bad);
  assert.equal(bad.length, 0, `${bad.length} problems (seed ${seed}); first: ${bad[0]}`);
});

test(`(e) the model's nft statement computes in the kernel what the rule does`, async (t) => {
  if (!needNft(t)) return;
  const seed = seedFor('e', 0x5eed_e005);
  const targets = targetCases(seed, NFT_SAMPLE);
  const matches = matchCases(seed ^ 0xabcd, NFT_SAMPLE / 3);
  const bad: string[] = [];
  let withoutNft = 0;
  const tWith: { c: (typeof targets)[number]; nft: string }[] = [];
  for (const c of targets) {
    const m = evaluateMarkArgs(c.args, { nfmark: c.nfmark, ctmark: c.ctmark });
    if (!m.ok) bad.push(`model refuses the valid ${q(c.args)}: ${m.error}`);
    else if (m.nft === null) withoutNft++;
    else tWith.push({ c, nft: m.nft });
  }
  const mWith: { c: (typeof matches)[number]; nft: string }[] = [];
  for (const c of matches) {
    const m = evaluateMarkArgs(c.args, { nfmark: c.nfmark, ctmark: c.ctmark });
    if (!m.ok) bad.push(`model refuses the valid ${q(c.args)}: ${m.error}`);
    else if (m.nft === null) withoutNft++;
    else mWith.push({ c, nft: m.nft });
  }
  const [ipt, nft, iptM, nftM] = await Promise.all([
    kernelEvalTargets(tWith.map((x) => x.c)),
    kernelEvalNft(tWith.map((x) => ({ stmt: x.nft, nfmark: x.c.nfmark, ctmark: x.c.ctmark }))),
    kernelEvalMatches(mWith.map((x) => x.c)),
    kernelEvalNftMatches(mWith.map((x) => ({ expr: x.nft, nfmark: x.c.nfmark, ctmark: x.c.ctmark }))),
  ]);
  tWith.forEach((x, i) => {
    if (JSON.stringify(ipt[i]) !== JSON.stringify(nft[i])) {
      bad.push(
        `${q(x.c.args)} as nft ${JSON.stringify(x.nft)} on nf ${hex(x.c.nfmark)} ct ${hex(x.c.ctmark)}: iptables ${showKernel(ipt[i])}, nft ${showKernel(nft[i])}`,
      );
    }
  });
  mWith.forEach((x, i) => {
    if (JSON.stringify(iptM[i]) !== JSON.stringify(nftM[i])) {
      bad.push(
        `${q(x.c.args)} as nft ${JSON.stringify(x.nft)} on nf ${hex(x.c.nfmark)} ct ${hex(x.c.ctmark)}: iptables ${showKernel(iptM[i])}, nft ${showKernel(nftM[i])}`,
      );
    }
  });
  console.log(`[e] ${tWith.length + mWith.length} nft forms checked in the kernel; ${withoutNft} rules have no one-statement nft form (model says so)`);
  report('e', tWith.length + mWith.length, bad);
  assert.equal(bad.length, 0, `${bad.length} problems (seed ${seed}); first: ${bad[0]}`);
});
