// The .vsix holds only what the extension needs at run time, and the manifest
// has what the Marketplace expects. Run after `npm run package` (scripts/e2e-run.mjs does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const VSIX = process.env.NFRULES_VSIX ?? path.join(ROOT, 'nfrules.vsix');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

interface ZipEntry {
  name: string;
  size: number;
}

/** Entries of a zip file, read from its central directory. */
function zipEntries(file: string): ZipEntry[] {
  const buf = readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, `${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, 'corrupt central directory');
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    entries.push({ name: buf.toString('utf8', p + 46, p + 46 + nameLen), size });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Files the manifest points at: each must ship. */
function referencedFiles(): string[] {
  const files = new Set<string>();
  const add = (p: unknown) => {
    if (typeof p === 'string') files.add(path.posix.normalize(p.replace(/^\.\//, '')));
  };
  add(manifest.main);
  add(manifest.browser);
  add(manifest.icon);
  for (const bin of Object.values(manifest.bin ?? {})) add(bin);
  for (const lang of manifest.contributes?.languages ?? []) add(lang.configuration);
  for (const grammar of manifest.contributes?.grammars ?? []) add(grammar.path);
  return [...files];
}

/** The run-time files vsce may package: the allow-list of .vscodeignore. */
const ALLOWED: RegExp[] = [
  /^package\.json$/,
  /^README\.md$/i,
  /^CHANGELOG\.md$/i,
  /^LICENSE(\.txt)?$/i,
  /^dist\/(server|client|cli|browserClient|browserServer)\.js$/,
  /^syntaxes\/[^/]+\.json$/,
  /^language-configuration(-nftables)?\.json$/,
  /^images\/icon\.png$/,
];
const REQUIRED = [
  'package.json',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
  'dist/server.js',
  'dist/client.js',
  'dist/browserClient.js',
  'dist/browserServer.js',
  'images/icon.png',
  'language-configuration.json',
  'language-configuration-nftables.json',
];

test('vsce ls lists only the bundle, grammars, language configuration, manifest, docs and icon', () => {
  const out = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const listed = out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const stray = listed.filter((f) => !ALLOWED.some((re) => re.test(f)));
  assert.deepEqual(stray, [], `vsce ls lists files that should not ship: ${stray.join(', ')}`);
  for (const f of [...REQUIRED, ...referencedFiles()]) {
    assert.ok(listed.includes(f), `vsce ls does not list ${f}; it listed: ${listed.join(', ')}`);
  }
});

test('the packaged .vsix holds no sources, maps, tests or node_modules, and is under 1 MB', () => {
  assert.ok(existsSync(VSIX), `${VSIX} is missing: run npm run package`);
  const size = statSync(VSIX).size;
  assert.ok(size < 1024 * 1024, `${VSIX} is ${size} bytes`);
  const entries = zipEntries(VSIX);
  const names = entries.map((e) => e.name);
  const inExtension = names.filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
  const outside = names.filter((n) => !n.startsWith('extension/'));
  assert.deepEqual(outside.sort(), ['[Content_Types].xml', 'extension.vsixmanifest']);
  const stray = inExtension.filter((f) => !ALLOWED.some((re) => re.test(f)));
  assert.deepEqual(stray, [], `the .vsix holds files that should not ship: ${stray.join(', ')}`);
  for (const f of inExtension) {
    assert.ok(!/\.(ts|map)$|(^|\/)(node_modules|test|src)\//.test(f), f);
  }
  const lower = inExtension.map((f) => f.toLowerCase());
  for (const f of [...REQUIRED, ...referencedFiles()]) {
    const want = f.toLowerCase();
    assert.ok(lower.includes(want) || (want === 'license' && lower.includes('license.txt')), `the .vsix lacks ${f}; it holds: ${inExtension.join(', ')}`);
  }
  const server = entries.find((e) => e.name === 'extension/dist/server.js');
  assert.ok(server && server.size > 1000, 'dist/server.js is empty');
  assert.ok(!readFileSync(VSIX).includes('sourceMappingURL=data:'), 'the bundle carries an inline source map');
});

test('the manifest has what the Marketplace expects', () => {
  for (const field of ['name', 'publisher', 'displayName', 'description', 'version', 'license', 'icon']) {
    assert.equal(typeof manifest[field], 'string', `package.json lacks ${field}`);
    assert.ok(manifest[field].length > 0, `package.json has an empty ${field}`);
  }
  assert.ok(Array.isArray(manifest.categories) && manifest.categories.length > 0, 'categories');
  assert.ok(Array.isArray(manifest.keywords) && manifest.keywords.length > 0, 'keywords');
  assert.ok(manifest.keywords.length <= 30, 'the Marketplace takes at most 30 keywords');
  assert.ok(manifest.repository && (typeof manifest.repository === 'string' || manifest.repository.url), 'repository');
  assert.match(manifest.engines?.vscode ?? '', /^\^?\d+\.\d+\.\d+$/, 'engines.vscode');
  assert.equal(manifest.capabilities?.untrustedWorkspaces?.supported, true, 'capabilities.untrustedWorkspaces.supported');
  assert.ok(manifest.capabilities?.virtualWorkspaces !== undefined, 'capabilities.virtualWorkspaces');
  const icon = readFileSync(path.join(ROOT, manifest.icon));
  assert.equal(icon.toString('latin1', 1, 4), 'PNG', 'the icon is a PNG');
  assert.equal(icon.readUInt32BE(16), 128, 'icon width');
  assert.equal(icon.readUInt32BE(20), 128, 'icon height');
});
