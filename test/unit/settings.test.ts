import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DIAGNOSTIC_CODES } from '../../server/src/core/service/codes';
import { generatedManifest, generatedReadme } from '../../scripts/gen';
import { SETTINGS, readSettings } from '../../server/src/core/service/settings';

test('package.json contributes exactly the settings the server reads, with the same defaults', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const props = pkg.contributes.configuration.properties;
  assert.deepEqual(Object.keys(props).sort(), SETTINGS.map((s) => s.key).sort());
  for (const s of SETTINGS) {
    assert.deepEqual(props[s.key].default, s.default, s.key);
    assert.equal(props[s.key].type, s.type, s.key);
  }
});

test('settings are read leniently: numbers in any iptables form, bad values fall back', () => {
  const s = readSettings({ sample: { nfmark: '0x4000', ctmark: 'nope' }, diagnostics: { 'mark-invalid': 'warning', x: 'loud' } });
  assert.deepEqual(s, {
    sample: { nfmark: 0x4000, ctmark: 0 },
    diagnostics: { 'mark-invalid': 'warning' },
    inlayHints: { marks: true },
    packet: {},
    walk: { assume: 'nomatch' },
  });
  // the sample packet: strings (numbers accepted), blanks are unknown; assume is match or nomatch
  const p = readSettings({ sample: { src: '10.0.0.1', dport: 80, in: ' ', proto: 'tcp' }, walk: { assume: 'match' } });
  assert.deepEqual(p.packet, { src: '10.0.0.1', dport: '80', proto: 'tcp' });
  assert.equal(p.walk.assume, 'match');
  assert.equal(readSettings({ walk: { assume: 'maybe' } }).walk.assume, 'nomatch');
  assert.equal(readSettings({ inlayHints: { marks: false } }).inlayHints.marks, false);
  assert.equal(readSettings({ inlayHints: { marks: 'no' } }).inlayHints.marks, true);
});

test('package.json settings and the README codes table are what npm run gen makes from the registries', () => {
  const pkg = readFileSync('package.json', 'utf8');
  assert.equal(pkg, generatedManifest(pkg), 'package.json is stale: run npm run gen');
  const readme = readFileSync('README.md', 'utf8');
  assert.equal(readme, generatedReadme(readme), 'README.md codes table is stale: run npm run gen');
});

test('every diagnostic code has its own setting, and every code a finding carries is registered', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const props = pkg.contributes.configuration.properties;
  for (const code of Object.keys(DIAGNOSTIC_CODES)) assert.ok(props[`iptables.diagnostics.${code}`], code);
});
