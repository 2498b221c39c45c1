import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, openDoc, EOLS, withEol } from './fixture';
import { marked, show } from './ranges';
import { NfRulesService } from '../../server/src/core/service/service';

function refsOf(src: string, format: 'save' | 'shell' | 'listing' = 'save') {
  const m = marked(src);
  const { svc, uri } = openDoc(m.text, format);
  return { m, svc, uri };
}

const NAT_AND_FILTER = `*nat
:PREROUTING ACCEPT [0:0]
:«X» - [0:0]
-A PREROUTING -j «X»
-A «X» -j RETURN
-A «X» -g «X$0»
COMMIT
*filter
:INPUT DROP [0:0]
:X - [0:0]
-A INPUT -j X
COMMIT
`;

for (const eol of EOLS) {
  test(`references stay in their table: X in *nat is not X in *filter (${JSON.stringify(eol)})`, () => {
    const { m, svc, uri } = refsOf(withEol(NAT_AND_FILTER, eol));
    assert.deepEqual(show(svc.references(uri, m.pos).map((l) => l.range)), show(m.ranges));
    assert.deepEqual(show(svc.references(uri, m.pos, false).map((l) => l.range)), show(m.ranges.slice(1)));
    assert.deepEqual(svc.definition(uri, m.pos)?.range, m.ranges[0]);
  });
}

test('definition from the filter X goes to the filter declaration', () => {
  const { m, svc, uri } = refsOf(`*nat\n:X - [0:0]\n-A X -j RETURN\nCOMMIT\n*filter\n:«X» - [0:0]\n-A INPUT -j $0X\nCOMMIT\n`);
  assert.deepEqual(svc.definition(uri, m.pos)?.range, m.ranges[0]);
});

test('a chain used before its declaration: definition and references still find it', () => {
  const { m, svc, uri } = refsOf(`*filter\n-A INPUT -j «LATE$0R»\n-A «LATER» -j ACCEPT\n:«LATER» - [0:0]\nCOMMIT\n`);
  assert.deepEqual(svc.definition(uri, m.pos)?.range, m.ranges[2]);
  assert.deepEqual(show(svc.references(uri, m.pos).map((l) => l.range)), show(m.ranges));
});

test('definition from -A, -I and from the declaration itself; nothing on a built-in target', () => {
  const src = `*filter\n:«KUBE-MARK-MASQ» - [0:0]\n-I KUBE-MARK-MA$0SQ 1 -j ACCEPT\nCOMMIT\n`;
  const { m, svc, uri } = refsOf(src);
  assert.deepEqual(svc.definition(uri, m.pos)?.range, m.ranges[0]);
  assert.deepEqual(svc.definition(uri, { line: 1, character: 3 })?.range, m.ranges[0]);
  assert.equal(svc.definition(uri, { line: 2, character: 24 }), null); // on ACCEPT
  assert.deepEqual(svc.references(uri, { line: 2, character: 24 }), []);
});

test('a target name is a chain below a declaration of that chain, the target above it (as iptables-nft reads it)', () => {
  const { m, svc, uri } = refsOf(`*filter\n-A INPUT -j LOG\n:«LOG» - [0:0]\n-A «LOG» -j ACCEPT\n-A INPUT -g «LOG»\n-A INPUT -j «LOG»\nCOMMIT\n`);
  assert.deepEqual(show(svc.references(uri, { line: 3, character: 4 }).map((l) => l.range)), show(m.ranges));
  assert.deepEqual(svc.references(uri, { line: 1, character: 12 }), []);
});

test('quoted save lines and --jump=NAME are read by the real parser', () => {
  const { m, svc, uri } = refsOf(`*filter\n:«A» - [0:0]\n-A INPUT -m comment --comment "-j B" -j «A»\n-A INPUT --jump=«$0A»\nCOMMIT\n`);
  assert.deepEqual(show(svc.references(uri, m.pos).map((l) => l.range)), show(m.ranges));
});

test('shell scripts: -N declares, -t picks the table, continuation lines', () => {
  const src = `#!/bin/sh
iptables -N «WEB»
iptables -t nat -N WEB
iptables -A INPUT -p tcp --dport 80 \\
  -j «WE$0B»
sudo iptables -A «WEB» -j ACCEPT
iptables -t nat -A PREROUTING -j WEB
`;
  const { m, svc, uri } = refsOf(src, 'shell');
  assert.deepEqual(svc.definition(uri, m.pos)?.range, m.ranges[0]);
  assert.deepEqual(show(svc.references(uri, m.pos).map((l) => l.range)), show(m.ranges));
  const hl = svc.documentHighlights(uri, m.pos);
  assert.deepEqual(
    hl.map((h) => h.kind),
    [3, 2, 3],
  ); // declaration and -A are writes, -j a read
});

for (const eol of EOLS) {
  test(`rename updates the declaration and every use in the table, nothing else (${JSON.stringify(eol)})`, () => {
    const src = withEol(NAT_AND_FILTER, eol);
    const { m, svc, uri } = refsOf(src);
    const r = svc.rename(uri, m.pos, 'MASQ-ME')!;
    assert.ok('edit' in r);
    const out = applyEdits(m.text, r.edit.changes![uri]);
    assert.equal(
      out,
      withEol(
        `*nat\n:PREROUTING ACCEPT [0:0]\n:MASQ-ME - [0:0]\n-A PREROUTING -j MASQ-ME\n-A MASQ-ME -j RETURN\n-A MASQ-ME -g MASQ-ME\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n:X - [0:0]\n-A INPUT -j X\nCOMMIT\n`,
        eol,
      ),
    );
  });
}

test('rename refuses built-in chains and names iptables rejects, and conflicts', () => {
  const src = `*nat\n:PREROUTING ACCEPT [0:0]\n:X - [0:0]\n:Y - [0:0]\n-A PREROUTING -j X\nCOMMIT\n`;
  const { svc, uri } = refsOf(src);
  const onX = { line: 4, character: 18 };
  const onBuiltin = { line: 4, character: 5 };
  const prep = svc.prepareRename(uri, onBuiltin);
  assert.ok(prep && 'error' in prep && /built-in chain/.test(prep.error));
  assert.deepEqual(svc.prepareRename(uri, onX), { range: { start: { line: 4, character: 17 }, end: { line: 4, character: 18 } }, placeholder: 'X' });
  const err = (name: string) => {
    const r = svc.rename(uri, onX, name)!;
    return 'error' in r ? r.error : null;
  };
  assert.match(err('A'.repeat(29))!, /at most 28/);
  assert.equal(err('A'.repeat(28)), null);
  assert.match(err('-X')!, /cannot start with '-'/);
  assert.match(err('!X')!, /cannot start with '!'/);
  assert.match(err('MARK')!, /target's name/);
  assert.match(err('ACCEPT')!, /target's name/);
  assert.match(err('Y')!, /already exists in table nat/);
  assert.match(err('POSTROUTING')!, /built-in chain of table nat/);
  assert.match(err('a b')!, /spaces/);
  assert.equal(svc.rename(uri, { line: 0, character: 2 }, 'Z'), null); // not on a chain
});

test('rename in a shell script leaves other tables alone', () => {
  const src = `iptables -N WEB\niptables -A INPUT -j WEB\niptables -t nat -N WEB\n`;
  const { svc, uri } = refsOf(src, 'shell');
  const r = svc.rename(uri, { line: 1, character: 22 }, 'HTTP')!;
  assert.ok('edit' in r);
  assert.equal(applyEdits(src, r.edit.changes![uri]), `iptables -N HTTP\niptables -A INPUT -j HTTP\niptables -t nat -N WEB\n`);
});

test('chain hover: table, policy or user chain, rules, jumps', () => {
  const src = `*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-MARK-MASQ - [0:0]\n-A PREROUTING -j KUBE-MARK-MASQ\n-A PREROUTING -g KUBE-MARK-MASQ\n-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\nCOMMIT\n`;
  const { svc, uri } = refsOf(src);
  const h = (line: number, character: number) => (svc.hover(uri, { line, character }) as any)?.contents.value as string | undefined;
  const user = h(3, 20)!;
  assert.match(user, /\*\*chain KUBE-MARK-MASQ\*\* in table `nat` — user chain/);
  assert.match(user, /- 1 rule\n/);
  assert.match(user, /2 places jump to it/);
  const builtin = h(1, 3)!;
  assert.match(builtin, /built-in chain, policy ACCEPT/);
  assert.match(builtin, /2 rules/);
  assert.match(builtin, /nothing jumps to it/);
  // the mark hover still wins on the mark rule
  assert.match(h(5, 30)!, /An OR/);
  const undeclared = openDoc(`*nat\n-A PREROUTING -j NOWHERE\nCOMMIT\n`);
  assert.match((undeclared.svc.hover(undeclared.uri, { line: 1, character: 20 }) as any).contents.value, /Not declared in this file/);
});

test('listings: the target column leads to the listed chain', () => {
  const src = `Chain INPUT (policy DROP)\ntarget     prot opt source               destination\nWEB        tcp  --  0.0.0.0/0            0.0.0.0/0\n\nChain «WEB» (1 references)\ntarget     prot opt source               destination\nACCEPT     all  --  0.0.0.0/0            0.0.0.0/0\n`;
  const { m, svc, uri } = refsOf(src, 'listing');
  assert.deepEqual(svc.definition(uri, { line: 2, character: 1 })?.range, m.ranges[0]);
  assert.equal(svc.definition(uri, { line: 6, character: 1 }), null);
});

test("inside a here-document fed to iptables-restore: definition, references, rename, completion, outline and folding, on the script's lines", () => {
  const src = `#!/bin/sh\niptables -N WEB\niptables-restore --noflush <<'EOF'\n*filter\n:«WEB» - [0:0]\n-A INPUT -j «WE$0B»\n-A «WEB» -j ACCEPT\nCOMMIT\nEOF\niptables -A FORWARD -j WEB\n`;
  const m = marked(src);
  const svc = new NfRulesService();
  const uri = 'file:///t/fw.sh';
  svc.open(uri, m.text, 'shellscript', 0, 'shell');
  // the body's WEB is its own: the script's -N WEB (line 1) and -j WEB (line 9) are not in it
  assert.deepEqual(show(svc.references(uri, m.pos).map((l) => l.range)), show(m.ranges));
  assert.deepEqual(svc.definition(uri, m.pos)?.range, m.ranges[0]);
  const r = svc.rename(uri, m.pos, 'SITE');
  assert.ok(r && 'edit' in r);
  const edits = r.edit.changes![uri];
  assert.deepEqual(show(edits.map((e) => e.range)), show(m.ranges));
  const names = svc.documentSymbols(uri).flatMap((x) => [x.name, ...(x.children ?? []).map((c) => c.name)]);
  assert.ok(names.includes('filter') && names.includes('WEB'), names.join(', '));
  assert.ok(
    svc.foldingRanges(uri).some((f) => f.startLine === 3 && f.endLine === 7),
    JSON.stringify(svc.foldingRanges(uri)),
  );
  const items = svc.completion(uri, { line: 5, character: 12 }).items.map((i) => i.label);
  assert.ok(items.includes('WEB'), items.slice(0, 20).join(', '));
});
