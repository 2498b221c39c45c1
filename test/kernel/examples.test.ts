/**
 * The bundled examples (what `npm start` opens) are real: each save file loads with
 * iptables-restore (ip6tables-restore for a .v6) in a fresh namespace, the shell script runs
 * under `sh -e` there (its here-document included), and the project reports no error in any
 * of them. A regression in either the examples or the checks shows up here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { needKernel, needNft } from './gate';
import { withNetns } from './oracle';
import { NfRulesService } from '../../server/src/core/service/service';

const DIR = resolve(process.cwd(), 'examples');

test('the bundled examples load in the kernel and the project reports no error in them', async (t) => {
  if (!needKernel(t)) return;
  const files = readdirSync(DIR).filter((f) => /\.(rules\.v[46]|sh)$/.test(f));
  assert.ok(files.length >= 3, files.join(', '));
  const svc = new NfRulesService();
  await withNetns(async (ns) => {
    for (const f of files) {
      const path = join(DIR, f);
      const text = readFileSync(path, 'utf8');
      for (const tb of ['filter', 'nat', 'mangle', 'raw']) {
        await ns.exec('iptables', ['-t', tb, '-F']);
        await ns.exec('iptables', ['-t', tb, '-X']);
      }
      const r = f.endsWith('.sh') ? await ns.exec('sh', ['-e', path]) : await ns.exec(f.endsWith('.v6') ? 'ip6tables-restore' : 'iptables-restore', [], text);
      assert.equal(r.code, 0, `${f}: the kernel refused it: ${r.stderr}`);
      const uri = `file:///examples/${f}`;
      svc.open(uri, text, f.endsWith('.sh') ? 'shellscript' : 'iptables');
      const errors = svc.diagnostics(uri).filter((d) => d.severity === 1);
      svc.close(uri);
      assert.deepEqual(
        errors.map((d) => `${f}:${d.range.start.line + 1}: ${d.message}`),
        [],
        f,
      );
      console.log(`[examples] ${f}: loaded by the kernel, no error from the project`);
    }
  });
});

test('the bundled nftables examples load with nft -f in a fresh namespace', async (t) => {
  if (!needNft(t)) return;
  const files = readdirSync(DIR).filter((f) => f.endsWith('.nft'));
  assert.ok(files.length >= 1, 'no .nft example');
  for (const f of files) {
    await withNetns(async (ns) => {
      const r = await ns.exec('nft', ['-f', join(DIR, f)]);
      assert.equal(r.code, 0, `${f}: nft refused it: ${r.stderr}`);
      const listed = await ns.exec('nft', ['list', 'ruleset']);
      assert.match(listed.stdout, /meta mark set meta mark \| 0x00004000/, `${f}: no masquerade marking in what the kernel holds`);
      assert.match(listed.stdout, /meta mark & 0x00004000 == 0x00004000/, `${f}: no test of the masquerade bit in what the kernel holds`);
      console.log(`[examples] ${f}: loaded by nft -f in a namespace`);
    });
  }
});
