/**
 * The packet walk against the kernel on the hooks walk-differential.test.ts leaves out: INPUT
 * (a packet from S to one of T's addresses), FORWARD (from S, routed by T out of vth0, dum0 or
 * dum1) and POSTROUTING (sent from T, or from S and forwarded). The harness (packets.ts) sets
 * the starting nfmark and ctmark with nft at priority -300 of the walked hook and reads the
 * verdict and final marks with nft after the hook's last iptables table (INPUT/FORWARD 200,
 * POSTROUTING 300); the comparison is the one of walk-differential.test.ts (rulesets.ts):
 * counters of every rule line only the walked hook reaches, verdict, final marks, on what the
 * walk says it decided. Each case walks one hook: the generated file has rules in that hook's
 * chains only.
 *
 * The sample's state is NEW; its ctmark is the connection's at the hook (random), which the
 * walk keeps (conntrack made the entry in PREROUTING/OUTPUT, before these hooks).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RuleDocument } from '../../server/src/core/iptables/syntax/document';
import { HOOK_TABLES, SECURITY_NAT_NOTE } from '../../server/src/core/iptables/knowledge/hooks';
import { walk } from '../../server/src/core/iptables/walk/walk';
import { needKernel, needNft, seedFor } from './gate';
import { withPacketLab, type KHook } from './packets';
import { countOf, file, generatedCases, pkt, walkAgrees, walkPacket } from './rulesets';

const hex = (n: number): string => '0x' + (n >>> 0).toString(16);

// ---------------------------------------------------------------------------------------
// generated rule sets

const CASES = { INPUT: 100, FORWARD: 100, POSTROUTING: 100 } as const;
const HOOK_SEED = { INPUT: 0x1a1b, FORWARD: 0xf0f0, POSTROUTING: 0x9057 } as const;

test('walk vs kernel: generated rule sets, INPUT, FORWARD and POSTROUTING', async (t) => {
  if (!needKernel(t) || !needNft(t)) return;
  const seed = seedFor('walk-hooks', 0x77a1c);
  const started = Date.now();
  await withPacketLab(async (lab) => {
    const failures: string[] = [];
    for (const hook of ['INPUT', 'FORWARD', 'POSTROUTING'] as const) {
      const f = await generatedCases(lab, hook, CASES[hook], seed, HOOK_SEED[hook]);
      failures.push(...f.failures);
      console.log(`[walk-hooks] ${f.figure}`);
    }
    console.log(`[walk-hooks] ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(failures.length, 0, `the walk disagrees with the kernel:\n\n${failures.join('\n\n')}`);
  });
});

// ---------------------------------------------------------------------------------------
// focused kernel facts of these hooks (each also compared with the walk)

/** One rule per table of the hook, each adding a bit when it sees the bits of the ones before. */
function orderFile(hook: KHook, order: readonly string[]): string {
  const tables: Record<string, string[]> = {};
  let seen = 0;
  order.forEach((tb, i) => {
    const bit = 1 << i;
    tables[tb] = [`-A ${hook} -m mark --mark ${hex(seen)}/${hex(seen | bit)} -j MARK --or-mark ${hex(bit)}`];
    seen |= bit;
  });
  return file(tables);
}

test('kernel facts: table order per hook (iptables-nft: security INPUT at 150, after nat INPUT at 100)', async (t) => {
  if (!needKernel(t) || !needNft(t)) return;
  await withPacketLab(async (lab) => {
    const [ld, sec, nat] = await lab.runInT(
      { argv: ['iptables-restore'], input: file({ security: [], nat: [] }) },
      { argv: ['nft', 'list', 'chain', 'ip', 'security', 'INPUT'] },
      { argv: ['nft', 'list', 'chain', 'ip', 'nat', 'INPUT'] },
    );
    assert.equal(ld.rc, 0, ld.err);
    console.log(`[walk-hooks] security: ${/type [^;]*;/.exec(sec.out)?.[0]} | nat: ${/type [^;]*;/.exec(nat.out)?.[0]}`);
    assert.match(sec.out, /hook input priority 150;/, 'iptables-nft registers security INPUT at 150');
    assert.match(nat.out, /type nat hook input priority 100;/);
    for (const [hook, over] of [
      ['INPUT', {}],
      ['FORWARD', {}],
      ['POSTROUTING', { via: 'local' }],
      ['POSTROUTING', {}],
    ] as const) {
      const order = HOOK_TABLES[hook];
      const text = orderFile(hook, order);
      const p = pkt(lab, hook, { nfmark: 0, ...over });
      const k = await lab.runCase(hook, text, p);
      assert.equal(k.loadError, undefined);
      // every table saw the bits of the ones the walk puts before it: the walk's order is the kernel's
      assert.equal(k.marks?.nfmark, (1 << order.length) - 1, `${hook}: kernel marks ${k.marks && hex(k.marks.nfmark)} for the order ${order.join(', ')}`);
      console.log(`[walk-hooks] ${hook}${p.via ? ` (${p.via})` : ''}: tables in the order ${order.join(' -> ')} (nfmark ${hex(k.marks!.nfmark)})`);
      walkAgrees(t, hook, text, p, k);
    }
    // the minimal case the generated INPUT cases found: security drops, nat INPUT has run
    const text = file({ security: [], nat: ['-A INPUT -j MARK --or-mark 0x2 -m comment --comment nat-input'] }).replace(
      '*security\n:INPUT ACCEPT',
      '*security\n:INPUT DROP',
    );
    assert.match(text, /\*security\n:INPUT DROP/);
    const p = pkt(lab, 'INPUT');
    const k = await lab.runCase('INPUT', text, p);
    assert.equal(countOf(text, k, 'nat-input'), 1);
    assert.equal(k.passed, false);
    walkAgrees(t, 'INPUT', text, p, k);
    const w = walk(new RuleDocument(text, 'save'), { hook: 'INPUT', packet: walkPacket('INPUT', p, 0) });
    assert.ok(w.notes.includes(SECURITY_NAT_NOTE));
  });
});

test('kernel facts: nat INPUT and nat POSTROUTING see only the first packet of a connection (the second is still --ctstate NEW)', async (t) => {
  if (!needKernel(t) || !needNft(t)) return;
  await withPacketLab(async (lab) => {
    for (const [hook, over] of [
      ['INPUT', {}],
      ['POSTROUTING', { via: 'local' }],
      ['POSTROUTING', {}],
    ] as const) {
      const text = file({
        mangle: [`-A ${hook} -m conntrack --ctstate NEW -m comment --comment mangle-new`],
        nat: [`-A ${hook} -m comment --comment nat-count -j MARK --or-mark 0x100`],
      });
      const p = pkt(lab, hook, over);
      const k1 = await lab.runCase(hook, text, p);
      assert.equal(countOf(text, k1, 'mangle-new'), 1);
      assert.equal(countOf(text, k1, 'nat-count'), 1);
      assert.equal(k1.marks?.nfmark, 0x112);
      walkAgrees(t, hook, text, p, k1);
      assert.equal(await lab.send(hook, p), undefined);
      const again = (await lab.save()).split('\n');
      const mangle = again.find((l) => l.includes('mangle-new'));
      const nat = again.find((l) => l.includes('nat-count'));
      console.log(`[walk-hooks] ${hook}${p.via ? ` (${p.via})` : ''}, same packet twice: ${mangle} | ${nat}`);
      // no reply came: conntrack still says NEW, but the nat table is not asked again
      assert.match(mangle ?? '', /^\[2:/);
      assert.match(nat ?? '', /^\[1:/);
    }
  });
});

test("kernel facts: FORWARD has no nat: iptables-nft takes nat's `:FORWARD DROP` for a user chain (policy dropped), which a forwarded packet never passes", async (t) => {
  if (!needKernel(t) || !needNft(t)) return;
  await withPacketLab(async (lab) => {
    const text =
      '*nat\n:FORWARD DROP [0:0]\n-A FORWARD -j MARK --or-mark 0x100 -m comment --comment nat-forward\nCOMMIT\n*mangle\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m comment --comment mangle-forward\nCOMMIT\n';
    const p = pkt(lab, 'FORWARD');
    const k = await lab.runCase('FORWARD', text, p);
    assert.equal(k.loadError, undefined, 'iptables-restore refused nat :FORWARD');
    assert.match(k.save, /\*nat\n(:\S+ \S+ \[\d+:\d+\]\n)*:FORWARD - \[/, 'saved back as a user chain');
    assert.equal(countOf(text, k, 'mangle-forward'), 1);
    assert.equal(countOf(text, k, 'nat-forward'), 0);
    assert.equal(k.passed, true, 'the "DROP policy" of nat FORWARD dropped nothing');
    assert.equal(k.marks?.nfmark, 0x12);
    console.log('[walk-hooks] nat `:FORWARD DROP` loads as a user chain; a forwarded packet passes mangle FORWARD only');
    walkAgrees(t, 'FORWARD', text, p, k);
    assert.equal(HOOK_TABLES.FORWARD.includes('nat'), false);
  });
});

test("kernel facts: -i/-o per hook: -o refused in built-in INPUT, -i in built-in POSTROUTING; in a user chain INPUT has no output interface, POSTROUTING a forwarded packet's input one (none when sent from T)", async (t) => {
  if (!needKernel(t) || !needNft(t)) return;
  await withPacketLab(async (lab) => {
    const noO = await lab.load(file({ filter: ['-A INPUT -o dum0 -j ACCEPT'] }));
    const noI = await lab.load(file({ mangle: ['-A POSTROUTING -i vth0 -j ACCEPT'] }));
    console.log(`[walk-hooks] ${noO?.split('\n')[0]} | ${noI?.split('\n')[0]}`);
    assert.match(noO ?? '', /Can't use -o with INPUT/);
    assert.match(noI ?? '', /Can't use -i with POSTROUTING/);
    const probes = (opt: '-i' | '-o', name: string): string[] => [
      `-A IF -m comment --comment "${opt} ${name}" ${opt} ${name}`,
      `-A IF -m comment --comment "! ${opt} ${name}" ! ${opt} ${name}`,
      `-A IF -m comment --comment "${opt} +" ${opt} +`,
      `-A IF -m comment --comment "! ${opt} +" ! ${opt} +`,
    ];
    const cases: [KHook, '-i' | '-o', string, object][] = [
      ['INPUT', '-o', 'dum0', {}],
      ['INPUT', '-i', 'vth0', {}],
      ['FORWARD', '-i', 'vth0', {}],
      ['FORWARD', '-o', 'dum0', {}],
      ['POSTROUTING', '-i', 'vth0', {}],
      ['POSTROUTING', '-i', 'vth0', { via: 'local' }],
      ['POSTROUTING', '-o', 'dum0', { via: 'local' }],
    ];
    for (const [hook, opt, name, over] of cases) {
      const text = file({ mangle: [`-A ${hook} -j IF`, ...probes(opt, name)] });
      const p = pkt(lab, hook, { ...over, dst: hook === 'INPUT' ? '10.77.0.1' : '198.51.100.7' });
      const k = await lab.runCase(hook, text, p);
      assert.equal(k.loadError, undefined);
      const got = [`"${opt} ${name}"`, `"! ${opt} ${name}"`, `"${opt} +"`, `"! ${opt} +"`].map((c) => countOf(text, k, c));
      console.log(
        `[walk-hooks] ${hook}${p.via ? ` (${p.via})` : ''}, user chain: ${opt} ${name}, ! ${opt} ${name}, ${opt} +, ! ${opt} + counted ${got.join(' ')}`,
      );
      // the packet's interfaces: in vth0 (from S), out dum0 (198.51.100.0/24 is routed
      // there); INPUT has no output interface and a packet sent from T no input interface,
      // but a forwarded packet keeps its input interface in POSTROUTING
      const has = opt === '-o' ? hook !== 'INPUT' : !(hook === 'POSTROUTING' && p.via === 'local');
      assert.deepEqual(got, has ? [1, 0, 1, 0] : [0, 1, 1, 0], `${hook} ${opt}`);
      if (hook === 'POSTROUTING' && p.via === 'local' && opt === '-i') {
        // the sample cannot say "no input interface": `-i` stays undecided (assumed either way)
        const w = walk(new RuleDocument(text, 'save'), { hook, packet: walkPacket(hook, p, 0) });
        assert.equal(w.path.filter((s) => s.chain === 'IF' && s.decided).length, 2, 'only -i + / ! -i + are decided');
      } else walkAgrees(t, hook, text, p, k);
    }
  });
});

test('kernel facts: nft after POSTROUTING sees the marks MARK and CONNMARK set in mangle and nat POSTROUTING', async (t) => {
  if (!needKernel(t) || !needNft(t)) return;
  await withPacketLab(async (lab) => {
    for (const over of [{ via: 'local' as const }, {}]) {
      const text = file({
        mangle: ['-A POSTROUTING -j MARK --set-xmark 0x100/0xf00', '-A POSTROUTING -j CONNMARK --save-mark --mask 0xf'],
        nat: ['-A POSTROUTING -m mark --mark 0x100/0xf00 -j CONNMARK --or-mark 0x30000', '-A POSTROUTING -j MARK --xor-mark 0x1'],
      });
      const p = pkt(lab, 'POSTROUTING', { ...over, nfmark: 0xabc5, ctmark: 0x12340000 });
      const k = await lab.runCase('POSTROUTING', text, p);
      // nfmark (0xabc5 & ~0xf00) | 0x100 = 0xa1c5, then ^1; ctmark: low nibble 0x5 saved, | 0x30000
      assert.deepEqual(k.marks, { nfmark: 0xa1c4, ctmark: 0x12370005 });
      console.log(`[walk-hooks] POSTROUTING (${p.via ?? 'forward'}): nft at 300 read nfmark ${hex(k.marks!.nfmark)} ctmark ${hex(k.marks!.ctmark)}`);
      walkAgrees(t, 'POSTROUTING', text, p, k, p.ctmark);
    }
  });
});
