/**
 * The packet walk (server/src/core/walk.ts) against the kernel: a rule file is loaded into a
 * private network namespace, the sample packet is sent for real (packets.ts), and the rules
 * the kernel counted, the verdict and the final nfmark/ctmark are compared with the walk's.
 *
 * What is compared, per case (only what the walk says it decided):
 * - per rule line of the file: how many times the walk's path has it matched vs. the
 *   kernel's packet counter (summed over the kernel rules an address list expands to);
 *   lines where the walk has an undecided step are left out, and a case is compared in full
 *   only when the kernel took the branch the walk assumed there (else: every step the walk
 *   decided before its first undecided step must have been counted by the kernel);
 * - the verdict: the walk's ACCEPT vs. the packet seen after the hook (mangle POSTROUTING
 *   after OUTPUT, mangle INPUT or FORWARD after PREROUTING);
 * - the final marks, when the packet got past the hook (the probes cannot see a dropped one).
 *
 * The sample's state is NEW (every packet starts a new connection); its ctmark is random:
 * the kernel gives a new connection ctmark 0, whatever the sample says.
 *
 * Known disagreements the walk has not fixed are `t.todo` with their minimal case.
 *
 * The comparison, the shrinking of a disagreeing case and the generated-case loop live in
 * rulesets.ts, shared with walk-hooks.test.ts (INPUT, FORWARD, POSTROUTING).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RuleDocument } from '../../server/src/core/iptables/syntax/document';
import { walk } from '../../server/src/core/iptables/walk/walk';
import { generateKubeDump } from '../../bench/gen-kube-dump';
import { needKernel, seedFor } from './gate';
import { withPacketLab, type KPacket } from './packets';
import { countOf, describe, file, generatedCases, pkt, runOne, walkAgrees, walkPacket } from './rulesets';

const hex = (n: number): string => '0x' + (n >>> 0).toString(16);

// ---------------------------------------------------------------------------------------
// generated rule sets

const CASES = { OUTPUT: 200, PREROUTING: 200 } as const;

test('walk vs kernel: generated rule sets, OUTPUT and PREROUTING', async (t) => {
  if (!needKernel(t)) return;
  const seed = seedFor('walk-differential', 0x77a1c);
  const started = Date.now();
  await withPacketLab(async (lab) => {
    const failures: string[] = [];
    for (const hook of ['OUTPUT', 'PREROUTING'] as const) {
      const f = await generatedCases(lab, hook, CASES[hook], seed, hook === 'OUTPUT' ? 0x0 : 0x5eed);
      failures.push(...f.failures);
      console.log(`[walk-differential] ${f.figure}`);
    }
    console.log(`[walk-differential] ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(failures.length, 0, `the walk disagrees with the kernel:\n\n${failures.join('\n\n')}`);
  });
});

// ---------------------------------------------------------------------------------------
// focused kernel facts the walk's semantics rest on (each also compared with the walk)

test('kernel facts: the raw table runs before conntrack (-200); a NEW connection has ctmark 0', async (t) => {
  if (!needKernel(t)) return;
  await withPacketLab(async (lab) => {
    for (const hook of ['PREROUTING', 'OUTPUT'] as const) {
      const text = file({
        raw: [
          `-A ${hook} -m conntrack --ctstate INVALID -m comment --comment raw-ct-invalid`,
          `-A ${hook} -m conntrack --ctstate NEW -m comment --comment raw-ct-new`,
          `-A ${hook} -m state --state INVALID -m comment --comment raw-state-invalid`,
          `-A ${hook} -m connmark --mark 0x0/0x0 -m comment --comment raw-connmark-any`,
          `-A ${hook} -m connmark ! --mark 0x1 -m comment --comment raw-connmark-not1`,
          `-A ${hook} -j CONNMARK --set-mark 0x5 -m comment --comment raw-connmark-set`,
        ],
        mangle: [
          `-A ${hook} -m conntrack --ctstate NEW -m comment --comment mangle-ct-new`,
          `-A ${hook} -m connmark --mark 0x0 -m comment --comment mangle-ctmark-0`,
        ],
      });
      const p = pkt(lab, hook);
      const k = await lab.runCase(hook, text, p);
      assert.equal(k.loadError, undefined);
      const got = Object.fromEntries(
        [
          'raw-ct-invalid',
          'raw-ct-new',
          'raw-state-invalid',
          'raw-connmark-any',
          'raw-connmark-not1',
          'raw-connmark-set',
          'mangle-ct-new',
          'mangle-ctmark-0',
        ].map((n) => [n, countOf(text, k, n)]),
      );
      console.log(`[walk-differential] ${hook} raw/mangle counters: ${JSON.stringify(got)}; final ctmark ${k.marks && hex(k.marks.ctmark)}`);
      // in raw there is no conntrack entry: --ctstate/--state see INVALID, -m connmark never
      // matches (not even negated), CONNMARK runs (counted) but changes nothing
      assert.deepEqual(got, {
        'raw-ct-invalid': 1,
        'raw-ct-new': 0,
        'raw-state-invalid': 1,
        'raw-connmark-any': 0,
        'raw-connmark-not1': 0,
        'raw-connmark-set': 1,
        'mangle-ct-new': 1,
        'mangle-ctmark-0': 1,
      });
      assert.equal(k.passed, true);
      assert.equal(k.marks?.ctmark, 0, 'a NEW connection starts with ctmark 0 (CONNMARK in raw did nothing)');
      walkAgrees(t, hook, text, p, k, 0xabc);
    }
  });
});

test('kernel facts: nat sees only the first packet of a connection', async (t) => {
  if (!needKernel(t)) return;
  await withPacketLab(async (lab) => {
    const text = file({ mangle: ['-A OUTPUT -m comment --comment mangle-count'], nat: ['-A OUTPUT -m comment --comment nat-count -j MARK --or-mark 0x100'] });
    const p = pkt(lab, 'OUTPUT');
    const k1 = await lab.runCase('OUTPUT', text, p);
    walkAgrees(t, 'OUTPUT', text, p, k1);
    assert.equal(await lab.send('OUTPUT', p), undefined);
    const again = (await lab.save()).split('\n');
    const mangle = again.find((l) => l.includes('mangle-count'));
    const nat = again.find((l) => l.includes('nat-count'));
    console.log(`[walk-differential] same packet twice: ${mangle} | ${nat}`);
    assert.match(mangle ?? '', /^\[2:/);
    assert.match(nat ?? '', /^\[1:/);
    // and the walk skips nat for a packet that is not NEW
    const w = walk(new RuleDocument(text, 'save'), { hook: 'OUTPUT', packet: { ...walkPacket('OUTPUT', p, 0), state: 'ESTABLISHED' } });
    assert.equal(w.path.filter((s) => s.table === 'nat').length, 0, 'the walk walked nat for an ESTABLISHED packet');
  });
});

test('kernel facts: REJECT is counted and ends the hook; a drop in raw PREROUTING leaves later tables uncounted', async (t) => {
  if (!needKernel(t)) return;
  await withPacketLab(async (lab) => {
    const rej = file({ filter: ['-A OUTPUT -p udp -j REJECT', '-A OUTPUT -m comment --comment after-reject'], mangle: [] });
    const p = pkt(lab, 'OUTPUT');
    const k = await lab.runCase('OUTPUT', rej, p);
    assert.equal(countOf(rej, k, 'REJECT'), 1);
    assert.equal(countOf(rej, k, 'after-reject'), 0);
    assert.equal(k.passed, false);
    console.log(`[walk-differential] REJECT in filter OUTPUT: counted, next rule not, packet not past the hook (sendto: ${k.sendError})`);
    walkAgrees(t, 'OUTPUT', rej, p, k);

    const drop = file({
      raw: ['-A PREROUTING -j DROP'],
      mangle: ['-A PREROUTING -m comment --comment mangle-after-drop'],
      nat: ['-A PREROUTING -m comment --comment nat-after-drop'],
    });
    const q = pkt(lab, 'PREROUTING');
    const k2 = await lab.runCase('PREROUTING', drop, q);
    assert.equal(countOf(drop, k2, '-j DROP'), 1);
    assert.equal(countOf(drop, k2, 'mangle-after-drop'), 0);
    assert.equal(countOf(drop, k2, 'nat-after-drop'), 0);
    assert.equal(k2.passed, false);
    walkAgrees(t, 'PREROUTING', drop, q, k2);
  });
});

test('kernel facts: an address list with overlapping entries runs the rule once per matching entry', async (t) => {
  if (!needKernel(t)) return;
  await withPacketLab(async (lab) => {
    const text = file({
      mangle: ['-A PREROUTING -s 192.168.7.7,192.168.0.0/16 -j MARK --xor-mark 0x1', '-A PREROUTING -s 192.168.7.7,10.0.0.0/8 -j MARK --or-mark 0x100'],
    });
    const p = pkt(lab, 'PREROUTING', { nfmark: 0x10 });
    const k = await lab.runCase('PREROUTING', text, p);
    assert.equal(countOf(text, k, '--xor-mark'), 2, 'both kernel rules of the list match');
    assert.equal(k.marks?.nfmark, 0x110, 'the xor ran twice (undone), the or once');
    walkAgrees(t, 'PREROUTING', text, p, k, 0, 'the walk counts an address list as one rule (it notes the expansion)');
  });
});

test('kernel facts: iptables-nft 1.8.9 reads `! --sport a ! --dport b` as "either port differs"', async (t) => {
  if (!needKernel(t)) return;
  await withPacketLab(async (lab) => {
    const text = file({ mangle: ['-A OUTPUT -p udp ! --sport 5000 ! --dport 20212 -j MARK --or-mark 0x1'] });
    const p = pkt(lab, 'OUTPUT', { sport: 5000, dport: 20210 });
    const k = await lab.runCase('OUTPUT', text, p);
    // one 4-byte compare of both ports, negated: matches unless sport == 5000 AND dport == 20212
    assert.equal(countOf(text, k, '--or-mark'), 1, 'the kernel counted the rule although sport is 5000');
    // the walk cannot know the backend: where the readings part it says so and leaves the
    // match undecided; assumed to match, it agrees with this kernel in full
    const w = walk(new RuleDocument(text, 'save'), { hook: 'OUTPUT', packet: walkPacket('OUTPUT', p, 0) });
    assert.equal(w.path[0].decided, false);
    assert.match(w.path[0].undecided!.join(' '), /iptables-nft 1\.8\.9 matches when either port differs/);
    walkAgrees(t, 'OUTPUT', text, p, k);
    const assumed = walk(new RuleDocument(text, 'save'), { hook: 'OUTPUT', packet: walkPacket('OUTPUT', p, 0), assume: 'match' });
    assert.equal(assumed.nfmark, k.marks!.nfmark);
  });
});

// ---------------------------------------------------------------------------------------
// the kube-proxy-style dump

test('walk vs kernel: kube-proxy-style dump (200 services), pod/outside -> ClusterIP through PREROUTING', async (t) => {
  if (!needKernel(t)) return;
  const text = generateKubeDump(200);
  // services without session affinity (-m recent cannot be decided); each has three endpoints
  // chosen by `-m statistic --mode random`, which the walk leaves undecided and assumes does
  // not match (so it takes the third endpoint): the packet is sent again (a new connection
  // each time) until the kernel's random choice is the same, then everything the walk decided
  // is compared: counters of every other rule, DNAT verdict (packet forwarded), marks
  // (KUBE-MARK-MASQ's 0x4000 for a source outside 10.0.0.0/8)
  const svcs: { ip: string; proto: 'tcp' | 'udp'; port: number }[] = [];
  for (const l of text.split('\n')) {
    const m = /^-A KUBE-SERVICES -d (\S+)\/32 -p (tcp|udp) .* --dport (\d+) -j (KUBE-SVC-\S+)$/.exec(l);
    if (m && !new RegExp(`-A ${m[4]} .*-m recent`).test(text)) svcs.push({ ip: m[1], proto: m[2] as 'tcp' | 'udp', port: Number(m[3]) });
    if (svcs.length >= 6) break;
  }
  assert.ok(svcs.length >= 3, 'services without affinity found');
  await withPacketLab(async (lab) => {
    let compared = 0;
    let tries = 0;
    let steps = 0;
    let lines = 0;
    const fails: string[] = [];
    for (const [i, s] of svcs.entries()) {
      const src = i % 2 ? '192.168.5.5' : `10.64.9.${10 + i}`;
      for (let k = 0; k < 25; k++) {
        tries++;
        const id = lab.nextId();
        const p: KPacket = {
          proto: s.proto,
          src,
          dst: s.ip,
          sport: 1024 + ((id * 7919) % 60000),
          dport: s.port,
          id,
          nfmark: 0,
          len: s.proto === 'tcp' ? 40 : 60,
        };
        const r = await runOne(lab, 'PREROUTING', text, p, 0);
        if (!r.c.full) continue;
        compared++;
        steps += r.c.steps;
        lines += r.c.lines;
        if (r.c.diffs.length) fails.push(describe('PREROUTING', '', p, 0, r.w, r.k, r.c));
        assert.equal(r.k.seenIn, 'FORWARD', 'DNAT to a pod IP: forwarded');
        break;
      }
    }
    console.log(
      `[walk-differential] kube dump: ${svcs.length} services, ${compared} compared in full after ${tries} packets, ${lines} rule lines and ${steps} walk steps compared, ${fails.length} disagreements`,
    );
    assert.equal(compared, svcs.length, 'the kernel never took the endpoint the walk assumed');
    assert.equal(fails.length, 0, fails.join('\n\n'));
  });
});
