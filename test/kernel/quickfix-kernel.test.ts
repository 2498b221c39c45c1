/**
 * The kernel says whether a quick fix works: each broken file is loaded into a fresh network
 * namespace (iptables-restore, or the script run by sh -e) and must be refused; every fix
 * offered for it is applied and the result must load. Where iptables already accepts the
 * file (a user chain's policy, a second declaration), the fix must leave the same ruleset
 * behind (iptables-save compared).
 */
import type { IptablesCode } from '../../server/src/core/iptables/knowledge/codes';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needKernel } from './gate';
import { Netns, withNetns } from './oracle';
import { applyEdits, openDoc } from '../unit/fixture';
import { quickFixes } from '../../server/src/core/features/quickFixes';
import { RuleDocument, Format } from '../../server/src/core/iptables/syntax/document';
import type { CodeAction } from 'vscode-languageserver-types';

interface Case {
  name: string;
  text: string;
  format: Format;
  /** For codes the analysis may not report yet: the finding's line, word and code. */
  finding?: { line: number; word: string; code: IptablesCode };
  /** iptables accepts the broken file already: compare the saved rulesets instead. */
  accepted?: boolean;
}

const CASES: Case[] = [
  { name: 'old negation of -d', text: `*filter\n-A INPUT -d ! 192.0.2.1 -j DROP\nCOMMIT\n`, format: 'save' },
  { name: 'old negation of --dport', text: `*filter\n-A INPUT -p tcp --dport ! 22 -j ACCEPT\nCOMMIT\n`, format: 'save' },
  { name: '-m tcp without -p', text: `*filter\n-A INPUT -m tcp --dport 22 -j ACCEPT\nCOMMIT\n`, format: 'save' },
  { name: 'multiport without -p', text: `*filter\n-A INPUT -m multiport --dports 80,443 -j ACCEPT\nCOMMIT\n`, format: 'save' },
  { name: 'TPROXY without -p', text: `*mangle\n-A PREROUTING -j TPROXY --on-port 1234 --tproxy-mark 0x1/0x1\nCOMMIT\n`, format: 'save' },
  { name: 'DNAT with a port without -p', text: `*nat\n-A PREROUTING -j DNAT --to-destination 192.0.2.1:8080\nCOMMIT\n`, format: 'save' },
  { name: '--ctstate without -m conntrack', text: `*filter\n-A INPUT ! --ctstate NEW -j DROP\nCOMMIT\n`, format: 'save' },
  { name: '--syn without -p tcp', text: `*filter\n-A INPUT --syn -j DROP\nCOMMIT\n`, format: 'save' },
  { name: '--dport without -p', text: `*filter\n-A INPUT --dport 53 -j ACCEPT\nCOMMIT\n`, format: 'save' },
  { name: '--dports with -p tcp, without -m multiport', text: `*filter\n-A INPUT -p tcp --dports 80,443 -j ACCEPT\nCOMMIT\n`, format: 'save' },
  {
    name: 'undeclared chain (save)',
    text: `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j MISSING\nCOMMIT\n`,
    format: 'save',
    finding: { line: 2, word: 'MISSING', code: 'undeclared-chain' },
  },
  {
    name: 'user chain with a policy',
    text: `*filter\n:MINE DROP [0:0]\n-A MINE -j ACCEPT\n-A INPUT -j MINE\nCOMMIT\n`,
    format: 'save',
    finding: { line: 1, word: 'MINE', code: 'user-chain-policy' },
    accepted: true,
  },
  {
    name: 'chain declared twice',
    text: `*filter\n:X - [0:0]\n:X - [0:0]\n-A X -j ACCEPT\n-A INPUT -j X\nCOMMIT\n`,
    format: 'save',
    finding: { line: 2, word: 'X', code: 'chain-redeclared' },
    accepted: true,
  },
  { name: 'old negation in a script', text: `iptables -A INPUT -s ! 10.0.0.0/8 -j DROP\n`, format: 'shell' },
  { name: 'DNAT in filter (script)', text: `iptables -t filter -A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1:80\n`, format: 'shell' },
  { name: 'MASQUERADE without -t (script)', text: `iptables -A POSTROUTING -o lo -j MASQUERADE\n`, format: 'shell' },
  {
    name: 'undeclared chain (script)',
    text: `iptables -t nat -A PREROUTING -j WEB\niptables -t nat -A WEB -j RETURN\n`,
    format: 'shell',
    finding: { line: 0, word: 'WEB', code: 'undeclared-chain' },
  },
  // a value glued to -p/-s/-j: iptables 1.8.9 reads the whole word (later versions take it)
  { name: '-ptcp', text: `*filter\n-A INPUT -ptcp --dport 22 -j ACCEPT\nCOMMIT\n`, format: 'save' },
  { name: '-s10.0.0.1', text: `*filter\n-A INPUT -s10.0.0.1 -j ACCEPT\nCOMMIT\n`, format: 'save' },
  { name: '-jACCEPT', text: `*filter\n-A INPUT -p udp -jACCEPT\nCOMMIT\n`, format: 'save' },
  { name: '--protocol=tcp (script)', text: `iptables -A INPUT --protocol=tcp --dport 22 -j ACCEPT\n`, format: 'shell' },
  {
    name: 'chain created only later (script)',
    text: `iptables -t nat -A PREROUTING -j WEB\niptables -t nat -A WEB -j RETURN\niptables -t nat -N WEB\n`,
    format: 'shell',
  },
];

function fixesOf(c: Case): CodeAction[] {
  const lines = c.text.split('\n');
  if (c.finding) {
    const { line, word, code } = c.finding;
    const s = lines[line].lastIndexOf(word);
    const doc = new RuleDocument(c.text, c.format);
    const f = { code, severity: 'warning' as const, message: code, line, s, endLine: line, e: s + word.length };
    return quickFixes(doc, { findings: [f], samples: [] }, 'file:///k', { start: { line, character: s }, end: { line, character: s } });
  }
  const { svc, uri } = openDoc(c.text, c.format, 'file:///k');
  const all: CodeAction[] = [];
  for (let l = 0; l < lines.length; l++)
    all.push(...svc.codeActions(uri, { start: { line: l, character: 0 }, end: { line: l, character: lines[l].length } }, ['quickfix']));
  return all;
}

async function load(ns: Netns, c: Case, text: string, dir: string): Promise<{ ok: boolean; message: string; saved: string }> {
  // a clean slate: flush every table this test touches
  for (const t of ['filter', 'nat', 'mangle']) {
    await ns.exec('iptables', ['-t', t, '-F']);
    await ns.exec('iptables', ['-t', t, '-X']);
  }
  let r;
  if (c.format === 'save') r = await ns.exec('iptables-restore', [], text);
  else {
    const file = join(dir, 'fw.sh');
    writeFileSync(file, text);
    r = await ns.exec('sh', ['-e', file]);
  }
  const saved = (await ns.exec('iptables-save', [])).stdout
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
  return { ok: r.code === 0, message: r.stderr.trim(), saved };
}

test('each quick fix makes iptables accept what it refused', async (t) => {
  if (!needKernel(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-qf-'));
  try {
    await withNetns(async (ns) => {
      let fixed = 0;
      for (const c of CASES) {
        const acts = fixesOf(c);
        assert.ok(acts.length, `${c.name}: no fix offered`);
        const before = await load(ns, c, c.text, dir);
        if (c.accepted) assert.ok(before.ok, `${c.name}: iptables refused it: ${before.message}`);
        else assert.ok(!before.ok, `${c.name}: iptables accepted the broken text`);
        for (const a of acts) {
          const uri = Object.keys(a.edit!.changes!)[0];
          const text = applyEdits(c.text, a.edit!.changes![uri]);
          const after = await load(ns, c, text, dir);
          assert.ok(after.ok, `${c.name}: "${a.title}" gives\n${text}\nwhich iptables refuses: ${after.message}`);
          if (c.accepted && a.isPreferred) assert.equal(after.saved, before.saved, `${c.name}: "${a.title}" changes the ruleset`);
          fixed++;
        }
      }
      console.log(`[quickfix-kernel] ${CASES.length} broken inputs, ${fixed} fixes applied, each accepted by iptables 1.8.9 (nf_tables)`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
