/**
 * The mark-bit map's claims against the running kernel (seeded, bounded; skips loudly
 * without root, fails under CI):
 *
 * (a) for random MARK and CONNMARK rules of every kind (all five spellings, set / save /
 *     restore, masks, shifts), the bits the map says a rule can change are exactly the bits
 *     that change across random inputs in a namespace, and each changed bit has the value
 *     the map's effect (set, cleared, flipped, copied from which bit) predicts;
 * (b) for random `-m mark` / `-m connmark` matches, the bits the map says a match tests are
 *     exactly those whose flip changes the kernel's verdict, probed at a matching input and
 *     its 32 one-bit neighbours, and every input the kernel accepts has the bits the map
 *     says are required.
 *
 * TPROXY is the same kernel form as MARK ((mark & ~m) ^ v), but it marks only packets it
 * hands to a transparent socket in PREROUTING: it is not probed here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateMarkArgs } from '../../server/src/core/iptables/syntax/markOptions';
import { accessEffects } from '../../server/src/core/iptables/checks/marksMap';
import { kernelEvalMatches, kernelEvalTargets, type MarkCase } from './oracle';
import { Rng, genMatch, genTarget } from './generate';
import { hex, needKernel, seedFor } from './gate';

const RULES = 240;
const INPUTS = 32;
const MATCHES = 160;
const SHOW = 6;

test(`(a) ${RULES} random MARK/CONNMARK rules: the map's changed bits are exactly the kernel's`, async (t) => {
  if (!needKernel(t)) return;
  const seed = seedFor('bitmap-a', 0xb17_0a01);
  const r = new Rng(seed);
  const rules: { args: string[]; effects: ReturnType<typeof accessEffects> }[] = [];
  while (rules.length < RULES) {
    const args = genTarget(r, { space: false });
    const m = evaluateMarkArgs(args, { nfmark: 0, ctmark: 0 });
    if (!m.ok) continue;
    rules.push({ args, effects: accessEffects(m.op) });
  }
  const cases: MarkCase[] = [];
  for (const rule of rules) for (let i = 0; i < INPUTS; i++) cases.push({ args: rule.args, nfmark: r.u32(), ctmark: r.u32() });
  const t0 = Date.now();
  const kernel = await kernelEvalTargets(cases);
  console.log(`[bitmap-a] kernel: ${cases.length} cases in ${Date.now() - t0} ms`);
  const bad: string[] = [];
  let refused = 0;
  const kinds = new Map<string, number>();
  rules.forEach((rule, ri) => {
    const seen = { nfmark: 0, ctmark: 0 };
    const claimed = { nfmark: 0, ctmark: 0 };
    for (const w of rule.effects.writes) claimed[w.mark] = w.changed;
    const kind = `${rule.args[1]} ${rule.args.find((a) => a.startsWith('--') && a.endsWith('mark') && !a.includes('shift')) ?? ''}${rule.args.some((a) => a.includes('shift')) ? ' shift' : ''}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    for (let i = 0; i < INPUTS; i++) {
      const c = cases[ri * INPUTS + i];
      const k = kernel[ri * INPUTS + i];
      if ('error' in k) {
        refused++;
        bad.push(`${JSON.stringify(rule.args)}: kernel refused: ${k.error}`);
        return;
      }
      seen.nfmark = (seen.nfmark | (k.nfmark ^ c.nfmark)) >>> 0;
      seen.ctmark = (seen.ctmark | (k.ctmark ^ c.ctmark)) >>> 0;
      // bit by bit, the map's account of each written bit
      for (const w of rule.effects.writes) {
        const before = c[w.mark];
        const after = k[w.mark];
        if ((after & w.set) >>> 0 !== w.set || (after & w.cleared) >>> 0 !== 0 || ((after ^ before) & w.flipped) >>> 0 !== w.flipped) {
          bad.push(
            `${JSON.stringify(rule.args)} in nf ${hex(c.nfmark)} ct ${hex(c.ctmark)}: ${w.mark} ${hex(after)} breaks set ${hex(w.set)} cleared ${hex(w.cleared)} flipped ${hex(w.flipped)}`,
          );
          return;
        }
        for (const s of w.sources) {
          const sv = (c[s.from] >>> s.fromBit) & 1;
          const own = (before >>> s.bit) & 1;
          const want = (s.xor ? own ^ sv : sv) ^ (s.invert ? 1 : 0);
          if (((after >>> s.bit) & 1) !== want) {
            bad.push(
              `${JSON.stringify(rule.args)} in nf ${hex(c.nfmark)} ct ${hex(c.ctmark)}: ${w.mark} bit ${s.bit} is not ${s.xor ? 'own ^ ' : ''}${s.invert ? '~' : ''}${s.from}[${s.fromBit}]`,
            );
            return;
          }
        }
      }
    }
    if (seen.nfmark !== claimed.nfmark || seen.ctmark !== claimed.ctmark) {
      bad.push(
        `${JSON.stringify(rule.args)}: kernel changed nf ${hex(seen.nfmark)} ct ${hex(seen.ctmark)}, map says nf ${hex(claimed.nfmark)} ct ${hex(claimed.ctmark)}`,
      );
    }
  });
  console.log(
    `[bitmap-a] rule kinds: ${[...kinds]
      .sort()
      .map(([k, n]) => `${k} x${n}`)
      .join(', ')}`,
  );
  console.log(`[bitmap-a] ${rules.length} rules x ${INPUTS} inputs, ${bad.length} mismatches${refused ? `, ${refused} refused` : ''}`);
  for (const b of bad.slice(0, SHOW)) console.log(`[bitmap-a] MISMATCH ${b}`);
  assert.equal(bad.length, 0, `seed ${seed}: ${bad[0]}`);
});

test(`(b) ${MATCHES} random -m mark/-m connmark matches: the tested bits are exactly the verdict-changing flips`, async (t) => {
  if (!needKernel(t)) return;
  const seed = seedFor('bitmap-b', 0xb17_0b02);
  const r = new Rng(seed);
  const matches: { args: string[]; ext: 'mark' | 'connmark'; tested: number; requiresOne: number; base: number }[] = [];
  while (matches.length < MATCHES) {
    const g = genMatch(r, { space: false });
    // mostly values inside their mask (a value bit outside it makes a match that never changes)
    if (r.chance(0.75)) {
      g.value = (g.value & g.mask) >>> 0;
      g.args = [g.args[0], g.args[1], ...(g.args.includes('!') ? ['!'] : []), '--mark', `${hex(g.value)}/${hex(g.mask)}`];
    }
    const m = evaluateMarkArgs(g.args, { nfmark: 0, ctmark: 0 });
    if (!m.ok) continue;
    const e = accessEffects(m.op);
    // a matching input where one exists: the value inside the mask, anything outside
    const base = ((g.value & g.mask) | (r.u32() & ~g.mask)) >>> 0;
    matches.push({ args: g.args, ext: g.ext, tested: e.test!.tested, requiresOne: e.test!.requiresOne, base });
  }
  const cases: MarkCase[] = [];
  const at = (ext: 'mark' | 'connmark', x: number): { nfmark: number; ctmark: number } => {
    const other = r.u32();
    return ext === 'mark' ? { nfmark: x, ctmark: other } : { nfmark: other, ctmark: x };
  };
  const EXTRA = 4;
  for (const m of matches) {
    cases.push({ args: m.args, ...at(m.ext, m.base) });
    for (let b = 0; b < 32; b++) cases.push({ args: m.args, ...at(m.ext, (m.base ^ (2 ** b)) >>> 0) });
    for (let i = 0; i < EXTRA; i++) cases.push({ args: m.args, ...at(m.ext, r.u32()) });
  }
  const t0 = Date.now();
  const kernel = await kernelEvalMatches(cases);
  console.log(`[bitmap-b] kernel: ${cases.length} cases in ${Date.now() - t0} ms`);
  const per = 33 + EXTRA;
  const bad: string[] = [];
  let constant = 0;
  matches.forEach((m, mi) => {
    const v = kernel.slice(mi * per, (mi + 1) * per);
    if (v.some((x) => typeof x !== 'boolean')) {
      bad.push(`${JSON.stringify(m.args)}: kernel refused`);
      return;
    }
    let flips = 0;
    for (let b = 0; b < 32; b++) if (v[0] !== v[1 + b]) flips = (flips | (2 ** b)) >>> 0;
    if (flips === 0) constant++;
    if (flips !== m.tested) bad.push(`${JSON.stringify(m.args)} at ${hex(m.base)}: kernel verdict flips with ${hex(flips)}, map says tested ${hex(m.tested)}`);
    v.forEach((hit, k) => {
      if (hit !== true) return;
      const c = cases[mi * per + k];
      const x = m.ext === 'mark' ? c.nfmark : c.ctmark;
      if ((x & m.requiresOne) >>> 0 !== m.requiresOne) bad.push(`${JSON.stringify(m.args)}: kernel accepts ${hex(x)} without required ${hex(m.requiresOne)}`);
    });
  });
  console.log(`[bitmap-b] ${matches.length} matches x ${per} inputs, ${constant} whose verdict no bit changes, ${bad.length} mismatches`);
  for (const b of bad.slice(0, SHOW)) console.log(`[bitmap-b] MISMATCH ${b}`);
  assert.equal(bad.length, 0, `seed ${seed}: ${bad[0]}`);
});
