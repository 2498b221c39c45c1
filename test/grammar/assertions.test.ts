// Runs the grammar assertion files in test/grammar/cases/ with the
// vscode-tmgrammar-test CLI (the same command as `npm run grammar:test`), so
// that `npm test` checks every scope the grammars promise:
//   *.iptables       source.iptables (rule files), grammars from package.json
//   *.iptables-list  source.iptables-listing (iptables -L output)
//   *.nft            source.nftables (nft -f files and nft command lines)
//   *.sh             source.shell with the iptables injection; needs VS Code's
//                    shell grammar (devDependency tm-grammars; skipped when
//                    it is absent, except under CI); nft-commands.sh holds
//                    the nftables injection (nft command lines, here-documents)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
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
  return readdirSync(casesDir)
    .filter((n) => n.endsWith(ext))
    .map((n) => join('test', 'grammar', 'cases', n));
}

for (const ext of ['.iptables', '.iptables-list', '.nft']) {
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

// The nftables cases can fail: each assertion line of rules.nft and
// nft-commands.sh, given a wrong scope, makes the CLI report that scope missing.
test('grammar assertions: the nftables cases fail on a wrong scope', (t) => {
  const shell = shellGrammarOrSkip(t);
  if (!shell) return;
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-cases-'));
  try {
    for (const name of ['rules.nft', 'nft-commands.sh']) {
      const lines = readFileSync(join(casesDir, name), 'utf8').split('\n');
      // every 7th positive assertion (about 20 per file), its scope swapped for another
      const picks = lines
        .map((l, i) => (/^#\s*\^+ [a-z]/.test(l) || /^#<-+ [a-z]/.test(l) ? i : -1))
        .filter((i) => i >= 0)
        .filter((_, k) => k % 7 === 0);
      assert.ok(picks.length >= 5, `${name}: ${picks.length} assertions picked`);
      for (const i of picks) {
        const wrong = lines.slice();
        wrong[i] = lines[i].replace(/ ([a-z][\w.-]*)$/, ' $1.wrong').replace(/ ([a-z][\w.-]*) /, ' $1.wrong ');
        const file = join(dir, name);
        writeFileSync(file, wrong.join('\n'));
        const r = runCli(['-g', shell, file]);
        assert.notEqual(r.status, 0, `${name}:${i + 1} with a wrong scope still passes: ${wrong[i]}`);
        assert.match(r.output, /Missing required scopes: \[ [\w.-]+\.wrong/, `${name}:${i + 1}: the failure is not the swapped scope:\n${r.output}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
