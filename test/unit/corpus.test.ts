/**
 * The real-world files of ../shared/corpus (never copied here): every iptables dump parses
 * with no error, except on the lines its README names, where iptables itself fails.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { NfRulesService, DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from '../../server/src/core/service/service';
import type { Diagnostic } from 'vscode-languageserver-types';

export const CORPUS = resolve(process.cwd(), '..', 'shared', 'corpus');

/** Where the corpus README says iptables-restore rejects the file: the first line and its message. */
const REJECTED: Record<string, { line: number; message: string }> = {
  'net-network/configs_chair_for_Network_Architectures_and_Services/iptables-save-2016-06-27_16-29-01': {
    line: 1826,
    message: 'Invalid MAC address specified.',
  },
  'net-network/configs_chair_for_Network_Architectures_and_Services/ip6tables-save-2016-06-27_16-29-01': {
    line: 2486,
    message: 'Invalid MAC address specified.',
  },
  'net-network/configs_ugent/iptables-save': { line: 71, message: "Bad argument `192.168.122.0/255.255.255.0'" },
  'Iptables_Semantics/Parser_Test/data/iptables-save': { line: 12, message: 'unknown option "--something-else"' },
};

/**
 * The files their projects load with `iptables-restore --noflush` on top of others (the
 * corpus README): ufw's rule files, and the kubernetes file that jumps to chains another
 * file declares. They are judged as `nfrules check --noflush` judges them.
 */
export const NOFLUSH = (rel: string): boolean => /^ufw\//.test(rel) || rel === 'kubernetes/proxier_test.TestSortIPTablesRules-output.rules';
const NOFLUSH_SETTINGS: ServiceSettings = { ...DEFAULT_SERVICE_SETTINGS, noflush: true };

/**
 * Refusals after the first one (iptables stops at the first, so a load never shows them;
 * each was checked by loading the line alone): Parser_Test's IPv4 dump uses ip6tables'
 * icmp6 match on lines 40 and 41.
 */
const LATER: Record<string, { line: number; message: RegExp }[]> = {
  'Iptables_Semantics/Parser_Test/data/iptables-save': [
    { line: 40, message: /^Couldn't load match `icmp6'/ },
    { line: 41, message: /^Couldn't load match `icmp6'/ },
  ],
};

export function corpusDumps(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/\.(md|t|txlate|nft|ferm\.txt)$|^(LICENSE|COPYING)/.test(n)) {
        const text = readFileSync(p, 'utf8');
        if (/^\*(filter|nat|mangle|raw|security)\s*$/m.test(text) && /^COMMIT\s*$/m.test(text)) out.push(p);
      }
    }
  };
  walk(CORPUS);
  return out;
}

/** The corpus is beside the project: else the test skips, loudly (and fails under CI). */
function haveCorpus(t: TestContext): boolean {
  if (existsSync(CORPUS)) return true;
  const why = `SKIPPED: corpus not found at ${CORPUS}`;
  console.error(why);
  if (process.env.CI) assert.fail(why);
  t.skip(why);
  return false;
}

test('corpus: no error except where iptables rejects the file, and there on that line with its message', (t) => {
  if (!haveCorpus(t)) return;
  const files = corpusDumps();
  assert.ok(files.length >= 30, `found only ${files.length} dumps`);
  const svc = new NfRulesService();
  for (const f of files) {
    const rel = relative(CORPUS, f);
    svc.open(f, readFileSync(f, 'utf8'), 'iptables');
    const errors = svc.diagnostics(f, NOFLUSH(rel) ? NOFLUSH_SETTINGS : DEFAULT_SERVICE_SETTINGS).filter((d) => d.severity === 1);
    svc.close(f);
    const expected = REJECTED[rel];
    if (expected === undefined) {
      assert.deepEqual(
        errors.map((e) => `${rel}:${e.range.start.line + 1}: ${e.message}`),
        [],
        rel,
      );
    } else {
      // iptables stops at the first bad line: that one must agree, line and message; the
      // file's later errors may only be more of the same (the same anonymised MACs, ...)
      assert.ok(errors.length > 0, `${rel}: iptables rejects line ${expected.line}, the project reports nothing`);
      assert.equal(errors[0].range.start.line + 1, expected.line, rel);
      assert.equal(errors[0].message, expected.message, rel);
      for (const e of errors) {
        const also = LATER[rel]?.find((l) => l.line === e.range.start.line + 1);
        if (also) assert.match(String(e.message), also.message, `${rel}:${e.range.start.line + 1}`);
        else assert.equal(e.message, expected.message, `${rel}:${e.range.start.line + 1}`);
      }
    }
  }
});

test("corpus: a dump fed to iptables-restore in a script's here-document gets the findings the dump gets, on the same text", (t) => {
  if (!haveCorpus(t)) return;
  const svc = new NfRulesService();
  const show = (ds: Diagnostic[], shift: number) =>
    ds.map((d) => `${d.range.start.line - shift}:${d.range.start.character} ${d.code} ${String(d.message)}`).sort();
  let files = 0;
  for (const f of corpusDumps()) {
    const text = readFileSync(f, 'utf8').replace(/\r/g, '');
    // a dump of ip6tables goes to ip6tables-restore (the family its header or name gives)
    const six = /ip6tables/.test(text.slice(0, 200)) || /ip6tables|\.v6$|rules6/.test(f);
    const uri = six ? 'file:///t/rules.v6' : 'file:///t/rules.v4';
    svc.open(uri, text, 'iptables');
    // the script below loads it with --noflush: alone, it is judged so too
    const alone = show(svc.diagnostics(uri, NOFLUSH_SETTINGS), 0);
    svc.close(uri);
    const script = `#!/bin/sh\n${six ? 'ip6tables' : 'iptables'}-restore --noflush <<'EOF'\n${text.replace(/\n$/, '')}\nEOF\necho loaded\n`;
    svc.open('file:///t/fw.sh', script, 'shellscript', 0, 'shell');
    const embedded = show(svc.diagnostics('file:///t/fw.sh'), 2);
    svc.close('file:///t/fw.sh');
    assert.deepEqual(embedded, alone, relative(CORPUS, f));
    files++;
  }
  console.log(`[corpus] ${files} dumps judged the same inside a script's here-document`);
});
