/**
 * Differential test of the file-level checks (server/src/core/flow.ts) against iptables
 * 1.8.9 (nf_tables) and the kernel: small restore files with user chains, and seeded
 * mutations of them (a jump from another hook into a chain holding DNAT/MASQUERADE/TPROXY/
 * owner, a jump that closes a loop, a rule moved to another table, a declaration removed or
 * doubled, a built-in chain of another table, a user-chain policy, an address of the other
 * family), each loaded FOR REAL with iptables-restore (not --test: with nf_tables --test
 * skips the kernel's checks) in a private network namespace. Fails on any project error
 * where iptables accepts (no false errors), and on a rejection of a kind the project models
 * (hooks through user chains, loops, address families) that it misses. Prints the figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withNetns, normalizeIptablesMessage } from './oracle';
import { Rng } from './generate';
import { needKernel, seedFor } from './gate';
import { RuleDocument } from '../../server/src/core/document';
import { analyze } from '../../server/src/core/analysis';

const CASES = Number(process.env.NFRULES_FLOW_CASES ?? 300);
const SHOW = Number(process.env.NFRULES_SHOW ?? 12);

interface Table {
  name: string;
  chains: string[];
  rules: string[];
}

/** Valid files: user chains reached only from the hooks their targets allow. */
function base(): Table[] {
  return [
    {
      name: 'filter',
      chains: ['A', 'B', 'O'],
      rules: ['-A INPUT -j A', '-A A -p tcp --dport 22 -j B', '-A B -j ACCEPT', '-A A -s 10.0.0.0/8 -j DROP', '-A OUTPUT -j O', '-A O -m owner --uid-owner 0 -j ACCEPT', '-A FORWARD -j A'],
    },
    {
      name: 'nat',
      chains: ['D', 'E', 'M'],
      rules: ['-A PREROUTING -j D', '-A OUTPUT -j D', '-A D -g E', '-A E -p tcp -j DNAT --to-destination 10.0.0.1:80', '-A POSTROUTING -j M', '-A M -o lo -j MASQUERADE', '-A M -d 10.1.0.0/16 -j RETURN'],
    },
    {
      name: 'mangle',
      chains: ['T', 'K'],
      rules: ['-A PREROUTING -j T', '-A T -p tcp -j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1', '-A PREROUTING -j K', '-A FORWARD -j K', '-A K -j MARK --set-xmark 0x4000/0x4000'],
    },
  ];
}

const HOOKS: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};

function render(ts: Table[], header?: string, extra: { decl?: string[] } = {}): string {
  let out = header ? `${header}\n` : '';
  for (const t of ts) {
    out += `*${t.name}\n`;
    for (const c of t.chains) out += `:${c} - [0:0]\n`;
    for (const d of extra.decl ?? []) if (d.startsWith(t.name + ' ')) out += d.slice(t.name.length + 1) + '\n';
    out += t.rules.join('\n') + '\nCOMMIT\n';
  }
  return out;
}

interface Case {
  what: string;
  text: string;
}

function mutate(r: Rng): Case {
  const ts = base();
  const t = r.pick(ts);
  const users = t.chains;
  const extra: { decl?: string[] } = {};
  let header: string | undefined;
  let what: string;
  switch (r.int(8)) {
    case 0: {
      // a jump from some hook into some user chain
      const h = r.pick(HOOKS[t.name]);
      const c = r.pick(users);
      t.rules.push(`-A ${h} -j ${c}`);
      what = `${t.name}: ${h} -> ${c}`;
      break;
    }
    case 1: {
      // a jump between user chains (may close a loop), maybe a goto
      const a = r.pick(users);
      const b = r.pick(users);
      t.rules.splice(r.int(t.rules.length + 1), 0, `-A ${a} ${r.chance(0.5) ? '-j' : '-g'} ${b}`);
      what = `${t.name}: ${a} -> ${b}`;
      break;
    }
    case 2: {
      // a user chain's rule moved into another table (with its chain)
      const other = r.pick(ts.filter((x) => x !== t));
      const rule = r.pick(t.rules.filter((x) => !/^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) /.test(x)));
      const chain = rule.split(' ')[1];
      if (!other.chains.includes(chain)) other.chains.push(chain);
      other.rules.push(rule);
      const h = r.pick(HOOKS[other.name]);
      other.rules.push(`-A ${h} -j ${chain}`);
      what = `${rule} into ${other.name} from ${h}`;
      break;
    }
    case 3: {
      // a declaration removed
      const c = users.splice(r.int(users.length), 1)[0];
      what = `${t.name}: no :${c}`;
      break;
    }
    case 4: {
      // a declaration doubled, or a policy on a user chain
      const c = r.pick(users);
      extra.decl = [`${t.name} :${c} ${r.pick(['-', 'ACCEPT', 'DROP'])} [0:0]`];
      what = `${t.name}: :${c} again`;
      break;
    }
    case 5: {
      // a built-in chain of another table, maybe jumped to
      const name = r.pick(['FORWARD', 'PREROUTING', 'POSTROUTING', 'INPUT']);
      extra.decl = [`${t.name} :${name} ${r.pick(['ACCEPT', 'DROP', '-'])} [0:0]`];
      if (r.chance(0.5)) t.rules.push(`-A ${r.pick(HOOKS[t.name])} -j ${name}`);
      what = `${t.name}: :${name}`;
      break;
    }
    case 6: {
      // an IPv6 address in an iptables file
      header = '# Generated by iptables-save v1.8.9 (nf_tables)';
      const k = r.int(t.rules.length);
      t.rules[k] = t.rules[k].replace(/^(-A \S+)/, `$1 -${r.pick(['s', 'd'])} ${r.pick(['2001:db8::1', 'fe80::/10', '::1', '10.2.3.4', '192.168.0.0/16'])}`);
      what = `${t.name}: address in ${t.rules[k]}`;
      break;
    }
    default: {
      // two mutations of the graph at once
      const a = r.pick(users);
      const b = r.pick(users);
      const h = r.pick(HOOKS[t.name]);
      t.rules.push(`-A ${a} -j ${b}`, `-A ${h} -j ${a}`);
      what = `${t.name}: ${a} -> ${b}, ${h} -> ${a}`;
    }
  }
  return { what, text: render(ts, header, extra) };
}

/** iptables rejections of the kinds the project models as errors. */
const MODELLED = [/RULE_APPEND failed \(Invalid argument\)/, /RULE_APPEND failed \(Operation not supported\)/, /RULE_APPEND failed \(Too many links\)/, /host\/network `.*' not found/];

test(`flow: ${CASES} mutated restore files, project == iptables-restore loaded for real`, async (t) => {
  if (!needKernel(t)) return;
  const seed = seedFor('flow', 0x5eed_f10e);
  const r = new Rng(seed);
  const cases: Case[] = [{ what: 'base', text: render(base()) }];
  for (let i = 0; i < CASES; i++) cases.push(mutate(r));
  const t0 = Date.now();
  const verdicts = await withNetns(async (ns) => {
    const out: { ok: boolean; message: string }[] = [];
    for (const c of cases) {
      const res = await ns.exec('iptables-restore', [], c.text);
      out.push({ ok: res.code === 0, message: normalizeIptablesMessage(res.stderr) });
    }
    return out;
  });
  console.log(`[flow] iptables-restore: ${cases.length} loads in ${Date.now() - t0} ms`);
  const tally = { bothAccept: 0, bothReject: 0, warned: 0, falseErrors: 0, missed: 0, unmodelled: 0 };
  const bad: string[] = [];
  const notes: string[] = [];
  cases.forEach((c, i) => {
    const v = verdicts[i];
    const findings = analyze(new RuleDocument(c.text, 'save')).findings;
    const errs = findings.filter((f) => f.severity === 'error');
    if (v.ok && !errs.length) tally.bothAccept++;
    else if (!v.ok && errs.length) tally.bothReject++;
    else if (v.ok) {
      tally.falseErrors++;
      bad.push(`${c.what}: iptables accepts, project: ${errs.map((e) => `${e.line + 1}: ${e.message}`).join(' / ')}\n${c.text}`);
    } else if (findings.some((f) => f.code === 'undeclared-chain')) {
      // a missing chain: the project warns (with --noflush the chain may exist)
      tally.warned++;
    } else if (MODELLED.some((re) => re.test(v.message))) {
      tally.missed++;
      bad.push(`${c.what}: iptables: ${v.message.replace(/\n/g, ' / ')}, project: no error\n${c.text}`);
    } else {
      tally.unmodelled++;
      notes.push(`${c.what}: iptables: ${v.message.replace(/\n/g, ' / ')}`);
    }
  });
  const agree = tally.bothAccept + tally.bothReject + tally.warned;
  console.log(
    `[flow] ${cases.length} files: ${agree} agree (${((100 * agree) / cases.length).toFixed(1)}%): ${tally.bothAccept} both accept, ${tally.bothReject} both reject, ${tally.warned} rejected for a missing chain where the project warns (undeclared-chain), ${tally.falseErrors} project errors iptables accepts, ${tally.missed} modelled rejections missed, ${tally.unmodelled} rejections not modelled`,
  );
  for (const n of [...new Set(notes)].slice(0, SHOW)) console.log(`[flow] not modelled: ${n}`);
  for (const b of bad.slice(0, SHOW)) console.log(`[flow] MISMATCH ${b}`);
  assert.equal(bad.length, 0, `${bad.length} disagreements (seed ${seed}); first: ${bad[0]}`);
});
