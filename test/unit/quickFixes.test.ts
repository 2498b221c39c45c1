import type { IptablesCode } from '../../server/src/core/iptables/knowledge/codes';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-types';
import { applyEdits, cursor, openDoc, EOLS, withEol } from './fixture';
import { quickFixes } from '../../server/src/core/features/quickFixes';
import { RuleDocument, Format } from '../../server/src/core/iptables/syntax/document';
import type { Finding } from '../../server/src/core/iptables/checks/analysis';

type Edit = Parameters<typeof applyEdits>[1][number];

/** As VS Code applies a workspace edit: line breaks in new text take the document's line ending. */
function applyLikeVsCode(text: string, edits: Edit[], eol: string): string {
  return applyEdits(
    text,
    edits.map((e) => ({ ...e, newText: e.newText.split('\n').join(eol) })),
  );
}

/** The quick fixes at the `$0` of a source, through the service (only: quickfix). */
function fixesAt(src: string, format: Format = 'save') {
  const { text, pos } = cursor(src);
  const { svc, uri } = openDoc(text, format, format === 'shell' ? 'file:///t/fw.sh' : 'file:///t/rules.v4');
  const acts = svc.codeActions(uri, { start: pos, end: pos }, ['quickfix']);
  for (const a of acts) assert.equal(a.kind, 'quickfix');
  return {
    text,
    acts,
    titles: acts.map((a) => `${a.isPreferred ? '* ' : ''}${a.title}`),
    apply(title: RegExp | string, eol = '\n') {
      const a = acts.find((x) => (typeof title === 'string' ? x.title === title : title.test(x.title)));
      assert.ok(a, `no fix ${title} among: ${acts.map((x) => x.title).join(' | ')}`);
      return applyLikeVsCode(text, a.edit!.changes![uri], eol);
    },
    codes: (a: CodeAction) => (a.diagnostics ?? []).map((d) => d.code),
  };
}

/** Fixes for a finding made by hand (for codes the analysis may not produce yet). */
function fixesFor(src: string, format: Format, f: Omit<Finding, 'severity' | 'message'> & { severity?: Finding['severity'] }) {
  const text = src;
  const doc = new RuleDocument(text, format);
  const finding: Finding = { severity: 'warning', message: f.code, ...f };
  const range = { start: { line: f.line, character: f.s }, end: { line: f.line, character: f.s } };
  const acts = quickFixes(doc, { findings: [finding], samples: [] }, 'file:///t/x', range);
  return {
    acts,
    titles: acts.map((a) => `${a.isPreferred ? '* ' : ''}${a.title}`),
    apply(i: number, eol = '\n') {
      assert.ok(acts[i], `no fix #${i}`);
      return applyLikeVsCode(text, acts[i].edit!.changes!['file:///t/x'], eol);
    },
  };
}

/** A finding on the first occurrence of `word` on `line` of a text. */
function on(text: string, line: number, word: string, code: IptablesCode, nth = 0) {
  const l = text.split('\n')[line];
  let s = -1;
  for (let k = 0; k <= nth; k++) s = l.indexOf(word, s + 1);
  assert.ok(s >= 0, `${word} not on line ${line}`);
  return { code, line, s, endLine: line, e: s + word.length };
}

for (const eol of EOLS) {
  const E = JSON.stringify(eol);
  const w = (s: string) => withEol(s, eol);

  test(`old-negation: -d ! x -> ! -d x, save and shell (${E})`, () => {
    const a = fixesAt(w(`*filter\n-A INPUT -d $0! 1.2.3.4 -j DROP\nCOMMIT\n`));
    assert.deepEqual(a.titles, ['* Write the negation before the option: ! -d 1.2.3.4']);
    assert.deepEqual(a.codes(a.acts[0]), ['old-negation']);
    assert.equal(a.apply(/negation/, eol), w(`*filter\n-A INPUT ! -d 1.2.3.4 -j DROP\nCOMMIT\n`));
    const b = fixesAt(w(`#!/bin/sh\niptables -A INPUT \\\n  --source $0! 10.0.0.0/8 -j DROP\n`), 'shell');
    assert.equal(b.apply(/negation/, eol), w(`#!/bin/sh\niptables -A INPUT \\\n  ! --source 10.0.0.0/8 -j DROP\n`));
  });

  test(`old-negation of an extension option: --dport ! 22 -> ! --dport 22 (${E})`, () => {
    const a = fixesAt(w(`*filter\n-A INPUT -p tcp --dport ! 2$02 -j ACCEPT\nCOMMIT\n`));
    assert.deepEqual(a.titles, ['* Write the negation before the option: ! --dport 22']);
    assert.deepEqual(a.codes(a.acts[0]), ['bad-argument']);
    const bang = fixesAt(w(`*filter\n-A INPUT -p tcp --dport $0! 22 -j ACCEPT\nCOMMIT\n`));
    assert.deepEqual(bang.codes(bang.acts[0]), ['bad-value']);
    // a selection over both findings: one fix that carries both diagnostics
    const { text } = cursor(w(`*filter\n-A INPUT -p tcp --dport ! 22 -j ACCEPT\nCOMMIT\n$0`));
    const { svc, uri } = openDoc(text);
    const both = svc.codeActions(uri, { start: { line: 1, character: 0 }, end: { line: 1, character: 40 } }, ['quickfix']);
    assert.equal(both.length, 1);
    assert.deepEqual(both[0].diagnostics!.map((d) => d.code).sort(), ['bad-argument', 'bad-value']);
    assert.equal(a.apply(/negation/, eol), w(`*filter\n-A INPUT -p tcp ! --dport 22 -j ACCEPT\nCOMMIT\n`));
    // iptables refuses `!` before --comment: no certain fix
    assert.deepEqual(fixesAt(w(`*filter\n-A INPUT -m comment --comment $0! x -j ACCEPT\nCOMMIT\n`)).titles, []);
  });

  test(`protocol-required: -m tcp gets -p tcp before it; multiport and TPROXY get two choices (${E})`, () => {
    const a = fixesAt(w(`*filter\n-A INPUT -m t$0cp --dport 22 -j ACCEPT\nCOMMIT\n`));
    assert.deepEqual(a.titles, ['* Add -p tcp']);
    assert.equal(a.apply('Add -p tcp', eol), w(`*filter\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n`));
    const u = fixesAt(w(`iptables -A INPUT -m udp --dport 53 -j $0ACCEPT\n`), 'shell');
    assert.deepEqual(u.titles, [], 'the cursor is not on the finding');
    const u2 = fixesAt(w(`iptables -A INPUT -m ud$0p --dport 53 -j ACCEPT\n`), 'shell');
    assert.equal(u2.apply('Add -p udp', eol), w(`iptables -A INPUT -p udp -m udp --dport 53 -j ACCEPT\n`));
    const m = fixesAt(w(`*filter\n-A INPUT -m multi$0port --dports 80,443 -j ACCEPT\nCOMMIT\n`));
    assert.deepEqual(m.titles, ['Add -p tcp', 'Add -p udp']);
    assert.equal(m.apply('Add -p udp', eol), w(`*filter\n-A INPUT -p udp -m multiport --dports 80,443 -j ACCEPT\nCOMMIT\n`));
    const t = fixesAt(w(`*mangle\n-A PREROUTING -j TPR$0OXY --on-port 1234 --tproxy-mark 0x1/0x1\nCOMMIT\n`));
    assert.deepEqual(t.titles, ['Add -p tcp', 'Add -p udp']);
    assert.equal(t.apply('Add -p tcp', eol), w(`*mangle\n-A PREROUTING -p tcp -j TPROXY --on-port 1234 --tproxy-mark 0x1/0x1\nCOMMIT\n`));
    // a -p is there already: which protocol is meant is not known
    assert.deepEqual(fixesAt(w(`*filter\n-A INPUT -p udp -m t$0cp --dport 22 -j ACCEPT\nCOMMIT\n`)).titles, []);
  });

  test(`unknown-option: the one match that has it is loaded before it (${E})`, () => {
    const a = fixesAt(w(`*filter\n-A INPUT ! --ct$0state NEW -j DROP\nCOMMIT\n`));
    assert.deepEqual(a.titles, ['* Add -m conntrack before --ctstate']);
    assert.equal(a.apply(/conntrack/, eol), w(`*filter\n-A INPUT -m conntrack ! --ctstate NEW -j DROP\nCOMMIT\n`));
    const syn = fixesAt(w(`iptables -A INPUT --s$0yn -j DROP\n`), 'shell');
    assert.deepEqual(syn.titles, ['* Add -p tcp (the tcp match has --syn)']);
    assert.equal(syn.apply(/tcp/, eol), w(`iptables -A INPUT -p tcp --syn -j DROP\n`));
    const d = fixesAt(w(`*filter\n-A INPUT --dp$0ort 22 -j ACCEPT\nCOMMIT\n`));
    assert.deepEqual(d.titles, ['Add -p tcp (the tcp match has --dport)', 'Add -p udp (the udp match has --dport)']);
    assert.equal(d.apply(/-p udp/, eol), w(`*filter\n-A INPUT -p udp --dport 22 -j ACCEPT\nCOMMIT\n`));
    // multiport also needs a port protocol: offered, not preferred
    assert.deepEqual(fixesAt(w(`*filter\n-A INPUT --dpo$0rts 80,443 -j ACCEPT\nCOMMIT\n`)).titles, ['Add -m multiport before --dports']);
    assert.deepEqual(fixesAt(w(`*filter\n-A INPUT -p tcp --dpo$0rts 80,443 -j ACCEPT\nCOMMIT\n`)).titles, ['* Add -m multiport before --dports']);
    // two matches have --mark
    assert.deepEqual(fixesAt(w(`*mangle\n-A INPUT --ma$0rk 0x1 -j ACCEPT\nCOMMIT\n`)).titles, ['Add -m mark before --mark', 'Add -m connmark before --mark']);
    // nobody has it
    assert.deepEqual(fixesAt(w(`*filter\n-A INPUT --no$0such 1 -j ACCEPT\nCOMMIT\n`)).titles, []);
  });

  test(`target-hook: in a script the one table the target allows, where certain (${E})`, () => {
    const a = fixesAt(w(`iptables -t filter -A PREROUTING -p tcp -j DN$0AT --to-destination 10.0.0.1:80\n`), 'shell');
    assert.deepEqual(a.titles, ['* Use table nat: -t filter -> -t nat']);
    assert.deepEqual(a.codes(a.acts[0]), ['target-hook']);
    assert.equal(a.apply(/nat/, eol), w(`iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.1:80\n`));
    const b = fixesAt(w(`sudo iptables -A POSTROUTING -o eth0 -j MASQ$0UERADE\n`), 'shell');
    assert.equal(b.apply(/nat/, eol), w(`sudo iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE\n`));
    // OUTPUT is a nat chain but MASQUERADE is only for POSTROUTING: nothing certain
    assert.deepEqual(fixesAt(w(`iptables -A OUTPUT -j MASQ$0UERADE\n`), 'shell').titles, []);
    // a save file: moving the line to another *table block is not certain
    assert.deepEqual(fixesAt(w(`*filter\n-A INPUT -j DN$0AT --to-destination 10.0.0.1\nCOMMIT\n`)).titles, []);
  });

  test(`mark-noop / unreachable-rule: remove the rule, the whole command in a script (${E})`, () => {
    const save = w(`*mangle\n-A OUTPUT -j MARK --or-mark 0x0\n-A OUTPUT -j ACCEPT\nCOMMIT\n`);
    const a = fixesFor(save, 'save', on(save, 1, 'MARK', 'mark-noop'));
    assert.deepEqual(a.titles, ['* Remove the rule: it changes no mark']);
    assert.equal(a.apply(0, eol), w(`*mangle\n-A OUTPUT -j ACCEPT\nCOMMIT\n`));
    const sh = w(`#!/bin/sh\nset -e\n  iptables -t mangle -A OUTPUT \\\n    -j MARK --and-mark 0xffffffff  # keep\necho done\n`);
    const b = fixesFor(sh, 'shell', on(sh, 3, 'MARK', 'mark-noop'));
    assert.equal(b.apply(0, eol), w(`#!/bin/sh\nset -e\necho done\n`));
    // sharing its line with another command: nothing certain
    const and = w(`iptables -t mangle -A OUTPUT -j MARK --or-mark 0 && echo ok\n`);
    assert.deepEqual(fixesFor(and, 'shell', on(and, 0, 'MARK', 'mark-noop')).titles, []);
    // a stateful match: the rule does something after all, so not preferred
    const rec = w(`*mangle\n-A OUTPUT -m recent --set -j MARK --or-mark 0\nCOMMIT\n`);
    assert.deepEqual(fixesFor(rec, 'save', on(rec, 1, 'MARK', 'mark-noop')).titles, ['Remove the rule: it changes no mark']);
    // an unreachable rule never runs its matches: removing it is certain; last line without a break
    const last = w(`iptables -A INPUT -j DROP\niptables -A INPUT -m recent --set -j ACCEPT`);
    const c = fixesFor(last, 'shell', on(last, 1, 'ACCEPT', 'unreachable-rule'));
    assert.deepEqual(c.titles, ['* Remove the rule: no packet reaches it']);
    assert.equal(c.apply(0, eol), `iptables -A INPUT -j DROP`);
  });

  test(`undeclared-chain: a declaration after the table's last one, or -N before the first use (${E})`, () => {
    const save = w(`*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n-A INPUT -j A\n-A INPUT -j MISSING\nCOMMIT\n*nat\n-A PREROUTING -j B\nCOMMIT\n`);
    const a = fixesFor(save, 'save', on(save, 4, 'MISSING', 'undeclared-chain'));
    assert.deepEqual(a.titles, ['Declare chain MISSING: :MISSING - [0:0]']);
    assert.equal(
      a.apply(0, eol),
      w(`*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:MISSING - [0:0]\n-A INPUT -j A\n-A INPUT -j MISSING\nCOMMIT\n*nat\n-A PREROUTING -j B\nCOMMIT\n`),
    );
    const b = fixesFor(save, 'save', on(save, 7, 'B', 'undeclared-chain', 0));
    assert.equal(
      b.apply(0, eol),
      w(`*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n-A INPUT -j A\n-A INPUT -j MISSING\nCOMMIT\n*nat\n:B - [0:0]\n-A PREROUTING -j B\nCOMMIT\n`),
    );
    const sh = w(`#!/bin/sh\nIPT=/sbin/iptables\nif true; then\n  $IPT -t nat -A PREROUTING -j WEB\n  $IPT -t nat -A WEB -j ACCEPT\nfi\n`);
    const c = fixesFor(sh, 'shell', on(sh, 4, 'WEB', 'undeclared-chain'));
    assert.deepEqual(c.titles, ['Create chain WEB first: $IPT -t nat -N WEB']);
    assert.equal(
      c.apply(0, eol),
      w(`#!/bin/sh\nIPT=/sbin/iptables\nif true; then\n  $IPT -t nat -N WEB\n  $IPT -t nat -A PREROUTING -j WEB\n  $IPT -t nat -A WEB -j ACCEPT\nfi\n`),
    );
  });

  test(`chain-redeclared, user-chain-policy; builtin-chain-table has no certain fix (${E})`, () => {
    const save = w(`*filter\n:X - [0:0]\n:X - [0:0]\n-A INPUT -j X\nCOMMIT\n`);
    const a = fixesFor(save, 'save', on(save, 2, 'X', 'chain-redeclared'));
    assert.deepEqual(a.titles, ['* Remove the second declaration of X']);
    assert.equal(a.apply(0, eol), w(`*filter\n:X - [0:0]\n-A INPUT -j X\nCOMMIT\n`));
    // a rule of X between the two: the second declaration flushes it, so removing it is no certain fix
    const between = w(`*filter\n:X - [0:0]\n-A X -j ACCEPT\n:X - [0:0]\nCOMMIT\n`);
    assert.deepEqual(fixesFor(between, 'save', on(between, 3, 'X', 'chain-redeclared')).titles, ['Remove the second declaration of X']);
    const sh = w(`iptables -N X\niptables -N X\niptables -A INPUT -j X\n`);
    assert.equal(fixesFor(sh, 'shell', on(sh, 1, 'X', 'chain-redeclared')).apply(0, eol), w(`iptables -N X\niptables -A INPUT -j X\n`));
    const pol = w(`*filter\n:MINE DROP [0:0]\nCOMMIT\n`);
    const p = fixesFor(pol, 'save', on(pol, 1, 'DROP', 'user-chain-policy'));
    assert.deepEqual(p.titles, ['* A user chain has no policy: write -']);
    assert.equal(p.apply(0, eol), w(`*filter\n:MINE - [0:0]\nCOMMIT\n`));
    const bt = w(`*filter\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n`);
    assert.deepEqual(fixesFor(bt, 'save', on(bt, 1, 'PREROUTING', 'builtin-chain-table')).titles, []);
  });
}

test('the diagnostics a client sends are attached as they are; a range finds the findings it touches', () => {
  const { text } = cursor(`*filter\n-A INPUT -d $0! 1.2.3.4 -j DROP\nCOMMIT\n`);
  const { svc, uri } = openDoc(text);
  const sent: Diagnostic = { ...svc.diagnostics(uri)[0], message: 'as the client has it' };
  const acts = svc.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } }, ['quickfix'], [sent]);
  assert.equal(acts.length, 1);
  assert.equal(acts[0].diagnostics![0], sent);
  // other kinds asked for: no quick fix; none asked for: quick fixes too
  assert.deepEqual(svc.codeActions(uri, { start: { line: 1, character: 12 }, end: { line: 1, character: 12 } }, ['refactor.rewrite']), []);
  assert.equal(svc.codeActions(uri, { start: { line: 1, character: 12 }, end: { line: 1, character: 12 } }).length, 1);
  assert.deepEqual(svc.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 3 } }, ['quickfix']), []);
});

/** The codes other work adds to the analysis: end to end once they exist, a todo until then. */
const fileLevel: { code: string; src: string; format: Format; title: RegExp; after: string; reported?: true }[] = [
  {
    code: 'mark-noop',
    src: `*mangle\n-A OUTPUT -j MA$0RK --or-mark 0x0\n-A OUTPUT -j ACCEPT\nCOMMIT\n`,
    format: 'save',
    title: /Remove the rule/,
    after: `*mangle\n-A OUTPUT -j ACCEPT\nCOMMIT\n`,
  },
  {
    code: 'unreachable-rule',
    src: `*filter\n-A INPUT -j DROP\n-A INPUT -p tcp -j ACC$0EPT\nCOMMIT\n`,
    format: 'save',
    title: /Remove the rule/,
    after: `*filter\n-A INPUT -j DROP\nCOMMIT\n`,
  },
  {
    code: 'undeclared-chain',
    src: `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j MISS$0ING\nCOMMIT\n`,
    format: 'save',
    title: /Declare chain MISSING/,
    after: `*filter\n:INPUT ACCEPT [0:0]\n:MISSING - [0:0]\n-A INPUT -j MISSING\nCOMMIT\n`,
  },
  {
    code: 'undeclared-chain',
    src: `iptables -t nat -A PREROUTING -j W$0EB\n`,
    format: 'shell',
    title: /Create chain WEB/,
    after: `iptables -t nat -N WEB\niptables -t nat -A PREROUTING -j WEB\n`,
    reported: true,
  },
  // created only later: a second -N would fail, so the -N moves up
  {
    code: 'undeclared-chain',
    src: `  iptables -t nat -A PREROUTING -j W$0EB\niptables -t nat -A WEB -j RETURN\niptables -t nat -N WEB\necho done\n`,
    format: 'shell',
    title: /Move the -N WEB of line 3 before its first use/,
    after: `  iptables -t nat -N WEB\n  iptables -t nat -A PREROUTING -j WEB\niptables -t nat -A WEB -j RETURN\necho done\n`,
    reported: true,
  },
  {
    code: 'chain-redeclared',
    src: `*filter\n:X - [0:0]\n:$0X - [0:0]\n-A INPUT -j X\nCOMMIT\n`,
    format: 'save',
    title: /second declaration/,
    after: `*filter\n:X - [0:0]\n-A INPUT -j X\nCOMMIT\n`,
  },
  {
    code: 'attached-argument',
    src: `*filter\n-A INPUT -ptc$0p --dport 22 -j ACCEPT\nCOMMIT\n`,
    format: 'save',
    title: /Write tcp as its own word/,
    after: `*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n`,
    reported: true,
  },
  {
    code: 'attached-argument',
    src: `iptables -A INPUT --source=10.$00.0.1 -j DROP\n`,
    format: 'shell',
    title: /Write 10.0.0.1 as its own word/,
    after: `iptables -A INPUT --source 10.0.0.1 -j DROP\n`,
    reported: true,
  },
  {
    code: 'user-chain-policy',
    src: `*filter\n:MI$0NE DROP [0:0]\n-A INPUT -j MINE\nCOMMIT\n`,
    format: 'save',
    title: /no policy/,
    after: `*filter\n:MINE - [0:0]\n-A INPUT -j MINE\nCOMMIT\n`,
  },
];

for (const c of fileLevel) {
  test(`end to end: ${c.code} (${c.format})`, (t) => {
    const { text, pos } = cursor(c.src);
    const { svc, uri } = openDoc(text, c.format, c.format === 'shell' ? 'file:///t/fw.sh' : 'file:///t/rules.v4');
    // `reported`: flow.ts reports it now, no longer a todo
    if (!svc.diagnostics(uri).some((d) => d.code === c.code) && !c.reported) {
      t.todo(`the analysis does not report ${c.code} on this input yet (file-level codes are in progress elsewhere)`);
      return;
    }
    const a = fixesAt(c.src, c.format);
    const act = a.acts.find((x) => c.title.test(x.title));
    assert.ok(act, `no fix ${c.title} at ${JSON.stringify(pos)} among ${a.titles.join(' | ')}`);
    assert.ok(a.codes(act).includes(c.code));
    assert.equal(a.apply(c.title), c.after);
  });
}

test('never throws: quick fixes on every line of the corpus and on broken lines', () => {
  const root = join(process.cwd(), '../shared/corpus');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (statSync(p).size < 400_000) files.push(p);
    }
  };
  try {
    walk(root);
  } catch {
    /* no corpus here: the broken lines below still run */
  }
  const texts: [string, Format][] = files.map((f) => [readFileSync(f, 'utf8'), /\.sh$/.test(f) ? 'shell' : 'save']);
  texts.push([`*filter\n-A INPUT -d !\n-A INPUT --dport ! \n-A INPUT -m\n-A\n:X\n!\n-A INPUT -p tcp --dport ! ! 22\nCOMMIT`, 'save']);
  texts.push([`iptables -A INPUT -s ! "$X" -j\n$IPT -t -A\niptables -A X -m tcp --dport "\n`, 'shell']);
  let actions = 0;
  for (const [text, format] of texts) {
    const { svc, uri } = openDoc(text, format);
    const n = svc.get(uri)!.lines.length;
    for (let l = 0; l < n; l++) actions += svc.codeActions(uri, { start: { line: l, character: 0 }, end: { line: l, character: 400 } }, ['quickfix']).length;
  }
  assert.ok(actions > 0);
});
