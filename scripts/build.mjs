// Bundles every program of the extension with esbuild: one entry per program.
//   node scripts/build.mjs               development build with source maps
//   node scripts/build.mjs --production  minified, no maps (what the .vsix ships)
//   node scripts/build.mjs --watch       rebuild on change
import * as esbuild from 'esbuild';
import { chmodSync } from 'node:fs';
import { noNodeBuiltins } from './no-node.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

// VS Code for the Web (package.json `browser`): the client for the web extension host and the
// same server for a web worker. No Node builtin may get in (no-node.mjs fails the build).
const web = { ...common, platform: 'browser', target: 'es2022', plugins: [noNodeBuiltins()] };

const programs = [
  { ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' },
  { ...common, entryPoints: ['server/src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] },
  { ...web, entryPoints: ['client/src/browser.ts'], outfile: 'dist/browserClient.js', format: 'cjs', external: ['vscode'] },
  { ...web, entryPoints: ['server/src/browserServer.ts'], outfile: 'dist/browserServer.js', format: 'iife' },
];

if (watch) {
  for (const p of programs) await (await esbuild.context(p)).watch();
  console.log('watching server/src and client/src');
} else {
  await Promise.all(programs.map((p) => esbuild.build(p)));
  // the CLI is an npm bin: make it executable
  chmodSync('dist/cli.js', 0o755);
}
