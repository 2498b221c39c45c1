// Builds the committed TextMate grammars (*.tmLanguage.json) from their YAML
// sources (*.tmLanguage.yaml) in this folder.
//
//   node --import tsx syntaxes/build.ts          write the JSON files
//   node --import tsx syntaxes/build.ts --check  exit 1 if a JSON file is stale
//
// The YAML may carry a top-level `variables:` map; every `{{name}}` in a
// string (including inside other variables) is replaced by the variable's
// value, so long regexes such as the IPv6 address are written once. The map
// itself is not written out. `comment:` keys are kept (vscode-textmate ignores
// them) so the JSON stays readable on its own.
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { load } from 'js-yaml';
import { BUILTIN_TARGETS } from '../server/src/core/iptables/knowledge/commands';

/** Variables every grammar gets from the core's knowledge, so the names are written once. */
const KNOWLEDGE: Record<string, string> = {
  builtin_target_names: [...BUILTIN_TARGETS].sort((a, b) => b.length - a.length || (a < b ? -1 : 1)).join('|'),
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const here = __dirname;

function expand(value: string, vars: Record<string, string>, seen: string[] = []): string {
  return value.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    if (!(name in vars)) throw new Error(`unknown grammar variable {{${name}}}`);
    if (seen.includes(name)) throw new Error(`recursive grammar variable {{${name}}}`);
    return expand(vars[name], vars, [...seen, name]);
  });
}

function walk(node: Json, vars: Record<string, string>): Json {
  if (typeof node === 'string') return expand(node, vars);
  if (Array.isArray(node)) return node.map((n) => walk(n, vars));
  if (node && typeof node === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v, vars);
    return out;
  }
  return node;
}

/** Compiles one YAML grammar source to the JSON text that is committed. */
export function compileGrammar(yamlText: string, sourceName: string): string {
  const doc = load(yamlText) as { [k: string]: Json };
  const vars = { ...KNOWLEDGE, ...((doc.variables ?? {}) as Record<string, string>) };
  delete doc.variables;
  const body = walk(doc, vars) as { [k: string]: Json };
  const out = {
    $comment: `Generated from ${sourceName} by syntaxes/build.ts; edit the YAML, then run npm run grammar:build.`,
    ...body,
  };
  return JSON.stringify(out, null, 2) + '\n';
}

export function grammarSources(): { yaml: string; json: string }[] {
  return readdirSync(here)
    .filter((n) => n.endsWith('.tmLanguage.yaml'))
    .sort()
    .map((n) => ({ yaml: join(here, n), json: join(here, n.replace(/\.yaml$/, '.json')) }));
}

function main(): void {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const { yaml, json } of grammarSources()) {
    const text = compileGrammar(readFileSync(yaml, 'utf8'), basename(yaml));
    if (check) {
      if (!existsSync(json) || readFileSync(json, 'utf8') !== text) {
        console.error(`stale: ${basename(json)} (run npm run grammar:build)`);
        stale++;
      }
    } else {
      writeFileSync(json, text);
      console.log(`wrote ${basename(json)}`);
    }
  }
  if (stale) process.exit(1);
}

if (process.argv[1] && /build\.ts$/.test(process.argv[1])) main();
