// Runs the grammar assertion files in test/grammar/cases/ with the
// vscode-tmgrammar-test CLI (the same command as `npm run grammar:test`), so
// that `npm test` checks every scope the grammars promise:
//   *.iptables       source.iptables (rule files), grammars from package.json
//   *.iptables-list  source.iptables-listing (iptables -L output)
//   *.sh             source.shell with the iptables injection; needs VS Code's
//                    shell grammar (devDependency tm-grammars; skipped when
//                    it is absent, except under CI)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, shellGrammarOrSkip } from './textmate';

const casesDir = join(repoRoot, 'test', 'grammar', 'cases');
const cli = join(repoRoot, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'unit.js');

function runCli(args: string[]): { status: number | null; output: string } {
  // --config defaults to ./package.json: its contributes.grammars (with the
  // injection's injectTo) is exactly what VS Code loads.
  const r = spawnSync(process.execPath, [cli, '--compact', ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function cases(ext: string): string[] {
  return readdirSync(casesDir).filter((n) => n.endsWith(ext)).map((n) => join('test', 'grammar', 'cases', n));
}

for (const ext of ['.iptables', '.iptables-list']) {
  test(`grammar assertions: ${ext} cases`, () => {
    const files = cases(ext);
    assert.ok(files.length > 0, `no ${ext} case files in ${casesDir}`);
    const r = runCli(files);
    assert.equal(r.status, 0, `vscode-tmgrammar-test failed:\n${r.output}`);
    for (const f of files) assert.match(r.output, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} run successfuly`));
  });
}

test('grammar assertions: .sh cases (iptables injected into the shell grammar)', (t) => {
  const shell = shellGrammarOrSkip(t);
  if (!shell) return;
  const files = cases('.sh');
  assert.ok(files.length > 0);
  const r = runCli(['-g', shell, ...files]);
  assert.equal(r.status, 0, `vscode-tmgrammar-test failed:\n${r.output}`);
});
