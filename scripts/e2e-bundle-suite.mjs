// Bundles the extension-host suite (test/e2e/exthost/suite.ts) to CommonJS for
// an extension host's extensionTestsPath: test-results/exthost/suite.js.
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SUITE_JS = path.join(root, 'test-results', 'exthost', 'suite.js');

await esbuild.build({
  entryPoints: [path.join(root, 'test/e2e/exthost/suite.ts')],
  outfile: SUITE_JS,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  external: ['vscode'],
  sourcemap: 'inline',
  logLevel: 'warning',
});
