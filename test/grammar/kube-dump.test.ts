// The benchmark dump generator (bench/gen-kube-dump.ts), shared with the
// language server's benchmark: size and shape as promised, deterministic,
// and accepted by the real iptables-restore when it can be run here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKubeDump } from '../../bench/gen-kube-dump';

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

test('kube dump: 10,000 services give about 150,000 lines and 16 MiB in kube-proxy shape', () => {
  const text = generateKubeDump();
  const lines = text.split('\n').length - 1;
  assert.ok(lines >= 140000 && lines <= 160000, `${lines} lines`);
  assert.ok(text.length >= 15e6 && text.length <= 18.5e6, `${text.length} bytes`);
  assert.equal(count(text, /^:KUBE-SVC-[A-Z2-7]{16} - \[0:0\]$/gm), 10000);
  assert.equal(count(text, /^:KUBE-SEP-[A-Z2-7]{16} - \[0:0\]$/gm), 30000);
  const masq = count(text, / -j KUBE-MARK-MASQ$/gm);
  assert.ok(masq >= 18000 && masq <= 22000, `${masq} jumps to KUBE-MARK-MASQ`);
  for (const chain of ['KUBE-SERVICES', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING', 'KUBE-NODEPORTS', 'KUBE-FORWARD']) {
    assert.match(text, new RegExp(`^:${chain} - \\[0:0\\]$`, 'm'));
  }
  for (const line of [
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ])
    assert.ok(text.includes(`\n${line}\n`), line);
  // the sample comment stands right before the KUBE-MARK-MASQ rule
  assert.ok(text.includes('\n# sample: nfmark=0x00000001\n-A KUBE-MARK-MASQ -j MARK'));
  assert.match(text, /-m comment --comment "[a-z-]+\/[a-z]+-\d+:[a-z-]+ cluster IP"/);
  assert.match(text, /-m statistic --mode random --probability 0\.33333333349 -j KUBE-SEP-/);
  assert.match(text, /-j DNAT --to-destination 10\.\d+\.\d+\.\d+:\d+$/m);
  assert.equal(count(text, /^\*nat$/gm), 1);
  assert.equal(count(text, /^\*filter$/gm), 1);
  assert.equal(count(text, /^COMMIT$/gm), 2);
});

test('kube dump: deterministic', () => {
  assert.equal(generateKubeDump(500), generateKubeDump(500));
  assert.notEqual(generateKubeDump(500), generateKubeDump(501));
});

test('kube dump: iptables-restore --test accepts it', (t) => {
  // Needs root and util-linux unshare (a private network namespace keeps the
  // host's rules out of it); skipped where either is missing.
  const probe = spawnSync('unshare', ['-n', 'iptables-restore', '--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const msg = `cannot run iptables-restore in a network namespace here: ${(probe.stderr || String(probe.error)).trim()}`;
    console.log(`# SKIPPED: ${msg}`);
    t.skip(msg);
    return;
  }
  const r = spawnSync('unshare', ['-n', 'iptables-restore', '--test'], { input: generateKubeDump(2000), encoding: 'utf8' });
  assert.equal(r.status, 0, `iptables-restore --test: ${r.stderr}`);
});
