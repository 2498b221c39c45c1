// Loads the project's TextMate grammars (and, when it is installed, VS Code's
// shell grammar) into a vscode-textmate registry backed by vscode-oniguruma,
// the same engine VS Code runs. Shared by the grammar tests and
// bench/grammar.ts.
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import * as vsctm from 'vscode-textmate';
import * as oniguruma from 'vscode-oniguruma';

export const repoRoot = resolve(__dirname, '..', '..');
export const syntaxesDir = join(repoRoot, 'syntaxes');
export const corpusDir = resolve(repoRoot, '..', 'shared', 'corpus');

export const SCOPES = {
  iptables: 'source.iptables',
  listing: 'source.iptables-listing',
  injection: 'injection.iptables.shell',
  shell: 'source.shell',
  nftables: 'source.nftables',
  nftInjection: 'injection.nftables.shell',
} as const;

export const grammarFiles: Record<string, string> = {
  [SCOPES.iptables]: join(syntaxesDir, 'iptables.tmLanguage.json'),
  [SCOPES.listing]: join(syntaxesDir, 'iptables-listing.tmLanguage.json'),
  [SCOPES.injection]: join(syntaxesDir, 'iptables-shell.injection.tmLanguage.json'),
  [SCOPES.nftables]: join(syntaxesDir, 'nftables.tmLanguage.json'),
  [SCOPES.nftInjection]: join(syntaxesDir, 'nftables-shell.injection.tmLanguage.json'),
};

/** The npm package that ships VS Code's shell grammar (shell-unix-bash.tmLanguage.json). */
export const SHELL_GRAMMAR_PACKAGE = 'tm-grammars';
export const SHELL_GRAMMAR_SPEC = 'tm-grammars@1.32.22';

/**
 * Finds VS Code's shell grammar: from the project's node_modules (devDependency
 * tm-grammars), else from the prefix in NFRULES_SHELL_GRAMMAR_PREFIX
 * (a folder made with `npm install --prefix DIR tm-grammars@1.32.22`), else
 * the file named by NFRULES_SHELL_GRAMMAR. Returns undefined when none is there.
 */
export function findShellGrammar(): string | undefined {
  const direct = process.env.NFRULES_SHELL_GRAMMAR;
  if (direct && existsSync(direct)) return direct;
  const paths = [repoRoot];
  const prefix = process.env.NFRULES_SHELL_GRAMMAR_PREFIX;
  if (prefix) paths.push(prefix, join(prefix, 'node_modules'));
  for (const p of paths) {
    // The package is ESM with an exports map ("./grammars/*"), so resolve the
    // grammar file itself; fall back to a plain node_modules lookup.
    try {
      return require.resolve(`${SHELL_GRAMMAR_PACKAGE}/grammars/shellscript.json`, { paths: [p] });
    } catch {
      const file = join(p, 'node_modules', SHELL_GRAMMAR_PACKAGE, 'grammars', 'shellscript.json');
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

export const SHELL_GRAMMAR_MISSING =
  `VS Code's shell grammar is not installed (devDependency ${SHELL_GRAMMAR_SPEC}): run npm ci, ` +
  `or install it outside the repo (npm install --prefix /tmp/shellgrammar ${SHELL_GRAMMAR_SPEC}) ` +
  'and set NFRULES_SHELL_GRAMMAR_PREFIX=/tmp/shellgrammar';

/** Skips the calling test when the shell grammar is missing; fails instead under CI, where npm ci installs it. */
export function shellGrammarOrSkip(t: { skip: (msg: string) => void }): string | undefined {
  const file = findShellGrammar();
  if (file) return file;
  if (process.env.CI) throw new Error(SHELL_GRAMMAR_MISSING);
  console.log(`# SKIPPED: ${SHELL_GRAMMAR_MISSING}`);
  t.skip(SHELL_GRAMMAR_MISSING);
  return undefined;
}

let onigReady: Promise<vsctm.IOnigLib> | undefined;
function onigLib(): Promise<vsctm.IOnigLib> {
  if (!onigReady) {
    const wasmPath = join(dirname(require.resolve('vscode-oniguruma')), 'onig.wasm');
    const wasm = readFileSync(wasmPath);
    onigReady = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).then(() => ({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }));
  }
  return onigReady;
}

export interface RegistryOptions {
  /** Load VS Code's shell grammar from this file (source.shell). */
  shellGrammar?: string;
  /** Register the iptables injection into source.shell (default true). */
  injection?: boolean;
  /** Register the nftables injection into source.shell too (default false: the iptables perf bounds are measured without it). */
  nftInjection?: boolean;
}

export function createRegistry(opts: RegistryOptions = {}): vsctm.Registry {
  const files: Record<string, string> = { ...grammarFiles };
  if (opts.shellGrammar) files[SCOPES.shell] = opts.shellGrammar;
  const inject = opts.injection !== false;
  return new vsctm.Registry({
    onigLib: onigLib(),
    loadGrammar: async (scopeName) => {
      const file = files[scopeName];
      if (!file) return null;
      return vsctm.parseRawGrammar(readFileSync(file, 'utf8'), file);
    },
    getInjections: (scopeName) =>
      inject && scopeName === SCOPES.shell ? (opts.nftInjection ? [SCOPES.injection, SCOPES.nftInjection] : [SCOPES.injection]) : undefined,
  });
}

export async function loadGrammar(registry: vsctm.Registry, scope: string): Promise<vsctm.IGrammar> {
  const g = await registry.loadGrammar(scope);
  if (!g) throw new Error(`grammar ${scope} did not load`);
  return g;
}

/** Splits text into lines the way VS Code does (\r\n, \n or \r). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface TokenizeStats {
  lines: number;
  ms: number;
  worstMs: number;
  worstLine: number;
}

/** Tokenizes lines in order; calls slow(i, ms, stack) for each line slower than limitMs. */
export function tokenizeWatch(
  grammar: vsctm.IGrammar,
  lines: string[],
  limitMs: number,
  slow: (index: number, ms: number, before: vsctm.StateStack) => void,
): TokenizeStats {
  let stack = vsctm.INITIAL;
  let worstMs = 0;
  let worstLine = -1;
  const t0 = performance.now();
  for (let i = 0; i < lines.length; i++) {
    const before = stack;
    const s = performance.now();
    stack = grammar.tokenizeLine(lines[i], stack).ruleStack;
    const d = performance.now() - s;
    if (d > worstMs) {
      worstMs = d;
      worstLine = i;
    }
    if (d > limitMs) slow(i, d, before);
  }
  return { lines: lines.length, ms: performance.now() - t0, worstMs, worstLine };
}
