import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cursor, openDoc, EOLS, withEol } from './fixture';
import { Format, RuleDocument } from '../../server/src/core/iptables/syntax/document';
import { docsHover } from '../../server/src/core/features/docsHover';

function hoverAt(src: string, format: Format = 'save') {
  const { text, pos } = cursor(src);
  const { svc, uri } = openDoc(text, format, format === 'shell' ? 'file:///t/fw.sh' : 'file:///t/rules.v4');
  const h = svc.hover(uri, pos);
  return h ? { value: (h.contents as { value: string }).value, range: h.range!, line: text.split('\n')[h.range!.start.line] } : null;
}

/** The text a hover's range covers (one line). */
const covered = (h: NonNullable<ReturnType<typeof hoverAt>>) => h.line.replace(/\r$/, '').slice(h.range.start.character, h.range.end.character);

for (const eol of EOLS) {
  const E = JSON.stringify(eol);
  const w = (s: string) => withEol(s, eol);

  test(`an option of a loaded module: doc, syntax, owner, spellings (${E})`, () => {
    const h = hoverAt(w(`*filter\n-A INPUT -p tcp -m tcp ! --dp$0ort 22 -j ACCEPT\nCOMMIT\n`))!;
    assert.equal(covered(h), '--dport');
    assert.match(h.value, /`\[!\] --destination-port port\[:port\]`/);
    assert.match(h.value, /option of `-m tcp`/);
    assert.match(h.value, /Destination port or range/);
    assert.match(h.value, /Also spelled `--dport`/);
    // loaded implicitly by -p: the owner says so; the value has the option's hover too
    const i = hoverAt(w(`*filter\n-A INPUT -p udp --dport 5$03 -j ACCEPT\nCOMMIT\n`))!;
    assert.equal(covered(i), '53');
    assert.match(i.value, /option of `-m udp`, loaded by `-p udp`/);
    // the same spelling owned by multiport when it is loaded last
    const m = hoverAt(w(`*filter\n-A INPUT -p tcp -m multiport --dpo$0rts 80,443 -j ACCEPT\nCOMMIT\n`))!;
    assert.match(m.value, /option of `-m multiport`/);
    assert.match(m.value, /Not together with `--source-ports`, `--ports`/);
  });

  test(`commands and core options, with our words and syntax (${E})`, () => {
    const a = hoverAt(w(`*filter\n-$0A INPUT -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n`))!;
    assert.equal(covered(a), '-A');
    assert.match(a.value, /`-A, --append chain rule-spec`\*\* — command/);
    assert.match(a.value, /at the end of the chain/);
    const s = hoverAt(w(`*filter\n-A INPUT --sou$0rce 10.0.0.0/8 -j ACCEPT\nCOMMIT\n`))!;
    assert.match(s.value, /`\[!\] -s, --source, --src address\[\/mask\]\[,\.\.\.\]`/);
    const neg = hoverAt(w(`*filter\n-A INPUT $0! -i lo -j ACCEPT\nCOMMIT\n`))!;
    assert.equal(covered(neg), '!');
    assert.match(neg.value, /negates `-i`/);
    const j = hoverAt(w(`*filter\n-A INPUT -$0j ACCEPT\nCOMMIT\n`))!;
    assert.match(j.value, /`-j, --jump target`/);
  });

  test(`match modules, targets, protocols, tables (${E})`, () => {
    const m = hoverAt(w(`*filter\n-A INPUT -m conn$0track --ctstate NEW -j ACCEPT\nCOMMIT\n`))!;
    assert.equal(covered(m), 'conntrack');
    assert.match(m.value, /\*\*-m conntrack\*\* — match extension/);
    assert.match(m.value, /- `\[!\] --ctstate state\[,state\]\.\.\.`: /);
    assert.match(m.value, /- `--ctdir ORIGINAL\|REPLY`: /, 'not invertible: no [!]');
    const t = hoverAt(w(`*nat\n-A PREROUTING -p tcp -j DNA$0T --to-destination 10.0.0.1:8080\nCOMMIT\n`))!;
    assert.match(t.value, /\*\*-j DNAT\*\* — target extension/);
    assert.match(t.value, /Only in table `nat`; built-in chains `PREROUTING`, `OUTPUT`/);
    const to = hoverAt(w(`*nat\n-A PREROUTING -p tcp -j DNAT --to-dest$0ination 10.0.0.1:8080\nCOMMIT\n`))!;
    assert.match(to.value, /option of `-j DNAT`/);
    const p = hoverAt(w(`*filter\n-A INPUT -p tc$0p --syn -j ACCEPT\nCOMMIT\n`))!;
    assert.match(p.value, /\*\*protocol tcp\*\* — loads the `tcp` match/);
    assert.match(p.value, /`\[!\] --syn`/);
    const tbl = hoverAt(w(`*ma$0ngle\nCOMMIT\n`))!;
    assert.equal(covered(tbl), 'mangle');
    assert.match(tbl.value, /Built-in chains: `PREROUTING`, `INPUT`, `FORWARD`, `OUTPUT`, `POSTROUTING`/);
    const pol = hoverAt(w(`*filter\n:INPUT DR$0OP [0:0]\nCOMMIT\n`))!;
    assert.match(pol.value, /policy DROP/);
    const unmodelled = hoverAt(w(`*filter\n-A INPUT -m quo$0ta --quota 100 -j ACCEPT\nCOMMIT\n`))!;
    assert.match(unmodelled.value, /does not model/);
  });

  test(`shell scripts: -t table, options across continuation lines (${E})`, () => {
    const t = hoverAt(w(`#!/bin/sh\niptables -t n$0at -A POSTROUTING -o eth0 -j MASQUERADE\n`), 'shell')!;
    assert.equal(covered(t), 'nat');
    assert.match(t.value, /\*\*table nat\*\*/);
    const c = hoverAt(w(`#!/bin/sh\nsudo iptables -A INPUT \\\n  -m conntrack \\\n  --ctst$0ate ESTABLISHED -j ACCEPT\n`), 'shell')!;
    assert.equal(covered(c), '--ctstate');
    assert.match(c.value, /option of `-m conntrack`/);
    const u = hoverAt(w(`iptables -A INPUT --ct$0state NEW -j ACCEPT\n`), 'shell')!;
    assert.match(u.value, /belongs to `conntrack`; put `-m conntrack` before it/);
  });

  test(`mark hovers and chain hovers win (${E})`, () => {
    const mk = hoverAt(w(`*mangle\n-A OUTPUT -j MARK --or-m$0ark 0x4000\nCOMMIT\n`))!;
    assert.match(mk.value, /An OR/);
    const mm = hoverAt(w(`*mangle\n-A OUTPUT -m ma$0rk --mark 0x1 -j ACCEPT\nCOMMIT\n`))!;
    assert.match(mm.value, /Matches when/);
    const ch = hoverAt(w(`*filter\n:MINE - [0:0]\n-A INPUT -j MI$0NE\nCOMMIT\n`))!;
    assert.match(ch.value, /\*\*chain MINE\*\*/);
    const bi = hoverAt(w(`*filter\n-A INP$0UT -j ACCEPT\nCOMMIT\n`))!;
    assert.match(bi.value, /\*\*chain INPUT\*\*/);
  });
}

/** docsHover alone (the service adds other hovers on rules, e.g. the packet walk). */
function docsAt(src: string, format: Format = 'save') {
  const { text, pos } = cursor(src);
  return docsHover(new RuleDocument(text, format), pos);
}

test('nothing to say: blank space, comments, the program name, listings, a user chain', () => {
  assert.equal(docsAt(`*filter\n-A INPUT  $0 -j ACCEPT\nCOMMIT\n`), null);
  assert.equal(docsAt(`# a com$0ment\n*filter\nCOMMIT\n`), null);
  assert.equal(docsAt(`ipta$0bles -A INPUT -j ACCEPT\n`, 'shell'), null);
  assert.equal(
    docsAt(
      `Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\nACC$0EPT     all  --  0.0.0.0/0            0.0.0.0/0\n`,
      'listing',
    ),
    null,
  );
  assert.equal(docsAt(`*filter\n-A INPUT -j MI$0NE\nCOMMIT\n`), null);
  assert.ok(docsAt(`*filter\n-A INPUT -j ACC$0EPT\nCOMMIT\n`));
});
