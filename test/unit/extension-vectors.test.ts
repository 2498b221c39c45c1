/**
 * iptables' own extension test vectors (../shared/corpus/iptables-upstream/extensions/*.t,
 * `rule;saved-form;OK|FAIL`, never copied here): for every vector of a modelled extension
 * the project must agree with OK/FAIL. A FAIL vector may only pass unreported when it is a
 * documented exception below; an OK vector must never get an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from './corpus.test';
import { RuleDocument } from '../../server/src/core/iptables/syntax/document';
import { analyze } from '../../server/src/core/iptables/checks/analysis';

const DIR = join(CORPUS, 'iptables-upstream', 'extensions');

/**
 * FAIL vectors the project deliberately does not report, each with the reason.
 */
const EXCEPTIONS: Record<string, string> = {
  '-p tcp -j DNAT --to-destination 1.1.1.1:echo-ssh': 'service names depend on /etc/services; the project never judges a name',
  '-p tcp -j DNAT --to-destination [dead::beef]:echo-ssh': 'service names depend on /etc/services; the project never judges a name',
  '-m conntrack --ctexpire 4:3': 'a vector of a later iptables: 1.8.9, the oracle here, accepts it',
  '-m conntrack --ctproto 0': 'a vector of a later iptables: 1.8.9 accepts it',
  '-m conntrack ! --ctproto 0': 'a vector of a later iptables: 1.8.9 accepts it',
  '-m conntrack --ctorigsrcport 4:3': 'a vector of a later iptables: 1.8.9 accepts it',
  '-m conntrack --ctreplsrcport 4:3': 'a vector of a later iptables: 1.8.9 accepts it',
  '-m conntrack --ctorigdstport 4:3': 'a vector of a later iptables: 1.8.9 accepts it',
  '-m conntrack --ctrepldstport 4:3': 'a vector of a later iptables: 1.8.9 accepts it',
  '-p udp -m udp --sport 4:3': 'a vector of a later iptables: 1.8.9 accepts reversed udp ranges (checked against it)',
  '-p udp -m udp --dport 4:3': 'a vector of a later iptables: 1.8.9 accepts reversed udp ranges (checked against it)',
  '-j HMARK --hmark-src-prefix 32': 'HMARK: --hmark-spi-mask with --hmark-tuple ct is not modelled',
};

interface Vector {
  file: string;
  line: number;
  table: string;
  chains: string[];
  rule: string;
  ok: boolean;
}

function vectors(): Vector[] {
  const out: Vector[] = [];
  for (const f of readdirSync(DIR)
    .filter((n) => n.endsWith('.t'))
    .sort()) {
    let table = 'filter';
    let chains: string[] = ['INPUT'];
    readFileSync(join(DIR, f), 'utf8')
      .split('\n')
      .forEach((l, i) => {
        if (!l || l.startsWith('#') || l.startsWith('@')) return;
        if (l.startsWith(':')) chains = l.slice(1).split(',');
        else if (l.startsWith('*')) table = l.slice(1);
        else {
          const parts = l.split(';');
          const verdict = parts[parts.length - 1];
          const rule = parts.slice(0, -2).join(';');
          out.push({ file: f, line: i + 1, table, chains: [...chains], rule, ok: verdict === 'OK' });
        }
      });
  }
  return out;
}

test('iptables extension test vectors: OK/FAIL agree on every vector', (t) => {
  if (!existsSync(DIR)) {
    const why = `SKIPPED: ${DIR} not found`;
    if (process.env.CI) assert.fail(why);
    t.skip(why);
    return;
  }
  const all = vectors();
  let agree = 0;
  const bad: string[] = [];
  const excepted: string[] = [];
  for (const v of all) {
    for (const chain of v.chains) {
      const text = `*${v.table}\n-A ${chain} ${v.rule}\nCOMMIT\n`;
      const doc = new RuleDocument(text, 'save');
      const errors = analyze(doc).findings.filter((f) => f.severity === 'error');
      const projectOk = errors.length === 0;
      if (projectOk === v.ok) {
        agree++;
        continue;
      }
      const reason = Object.entries(EXCEPTIONS).find(([k]) => v.rule.startsWith(k))?.[1];
      if (!v.ok && reason) {
        excepted.push(`${v.file}:${v.line} ${v.rule} (${reason})`);
        continue;
      }
      bad.push(
        `${v.file}:${v.line} [${chain}] ${v.rule}: iptables ${v.ok ? 'OK' : 'FAIL'}, project ${projectOk ? 'no error' : errors.map((e) => e.message).join(' / ')}`,
      );
    }
  }
  console.log(`[vectors] ${agree} agree, ${excepted.length} documented exceptions, ${bad.length} disagree`);
  for (const e of excepted) console.log(`[vectors] exception ${e}`);
  assert.deepEqual(bad, []);
});
