import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdits, cursor, openDoc, EOLS, withEol } from './fixture';

function actions(src: string, format: 'save' | 'shell' = 'save', only?: string[]) {
  const { text, pos } = cursor(src);
  const { svc, uri } = openDoc(text, format);
  const acts = svc.codeActions(uri, { start: pos, end: pos }, only);
  return {
    text,
    acts,
    apply: (title: RegExp) => {
      const a = acts.find((x) => title.test(x.title));
      assert.ok(a, `no action ${title} among ${acts.map((x) => x.title).join('; ')}`);
      return applyEdits(text, a.edit!.changes![uri]);
    },
  };
}

for (const eol of EOLS) {
  test(`--set-xmark X/X <-> --or-mark X, and the other exact spellings (${JSON.stringify(eol)})`, () => {
    const a = actions(withEol(`*mangle\n-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x40$000\nCOMMIT\n`, eol));
    assert.deepEqual(
      a.acts.filter((x) => x.kind === 'refactor.rewrite').map((x) => x.title),
      ['Rewrite as --or-mark 0x4000', 'Rewrite as --set-mark 0x4000/0x4000'],
    );
    assert.equal(a.apply(/--or-mark/), withEol(`*mangle\n-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\nCOMMIT\n`, eol));
    const b = actions(withEol(`*mangle\n-A X -j MARK --or-m$0ark 0x4000\nCOMMIT\n`, eol));
    assert.equal(b.apply(/set-xmark/), withEol(`*mangle\n-A X -j MARK --set-xmark 0x4000/0x4000\nCOMMIT\n`, eol));
  });
}

test('shortest forms: default masks left out, numbers as iptables-save writes them', () => {
  const a = actions(`*mangle\n-A X -j MARK --set-xmark 0X1/0xFFFFFFFF$0\nCOMMIT\n`);
  assert.deepEqual(
    a.acts.filter((x) => x.kind === 'refactor.rewrite').map((x) => x.title),
    ['Rewrite as --set-mark 0x1', 'Rewrite as --set-xmark 0x1', 'Rewrite as --set-xmark 0x1/0xffffffff (iptables-save form)'],
  );
  assert.ok(
    actions(`*mangle\n-A X -j MARK --and-mark 0x$0ff\nCOMMIT\n`).acts.some((x) => x.title === 'Rewrite as --set-xmark 0x0/0xffffff00 (iptables-save form)'),
  );
  assert.ok(actions(`*mangle\n-A X -j MARK --xor-mark $03\nCOMMIT\n`).acts.some((x) => x.title === 'Rewrite as --set-xmark 0x3/0x0 (iptables-save form)'));
});

test('no rewrite where no exact equivalent exists', () => {
  const a = actions(`*mangle\n-A X -j MARK --set-xmark 0x5/0x1$0\nCOMMIT\n`);
  assert.deepEqual(
    a.acts.filter((x) => x.kind === 'refactor.rewrite'),
    [],
  );
});

test('CONNMARK rewrites keep the shift; --mask form of save', () => {
  const a = actions(`*mangle\n-A X -j CONNMARK --set-xmark 0x10/0x10 --left-shift-mark 4$0\nCOMMIT\n`);
  assert.equal(a.apply(/--or-mark/), `*mangle\n-A X -j CONNMARK --or-mark 0x10 --left-shift-mark 4\nCOMMIT\n`);
  const b = actions(`*mangle\n-A X -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff$0\nCOMMIT\n`);
  assert.equal(b.apply(/--mask 0xff/), `*mangle\n-A X -j CONNMARK --save-mark --mask 0xff\nCOMMIT\n`);
});

test('rewrites in a shell script, other options left alone', () => {
  const a = actions(`iptables -t mangle -A OUTPUT -j MARK --or-mark 0x4000$0 -m comment --comment x\n`, 'shell');
  assert.equal(a.apply(/set-xmark/), `iptables -t mangle -A OUTPUT -j MARK --set-xmark 0x4000/0x4000 -m comment --comment x\n`);
});

test('source actions rewrite the whole file', () => {
  const src = `*mangle\n-A X -j MARK --set-xmark 0x4000/0x4000$0\n-A X -j MARK --set-mark 0x1\n-A X -j CONNMARK --save-mark --mask 0xff\nCOMMIT\n`;
  const a = actions(src, 'save', ['source']);
  assert.equal(a.apply(/shortest/), `*mangle\n-A X -j MARK --or-mark 0x4000\n-A X -j MARK --set-mark 0x1\n-A X -j CONNMARK --save-mark --mask 0xff\nCOMMIT\n`);
  assert.equal(
    a.apply(/iptables-save form/),
    `*mangle\n-A X -j MARK --set-xmark 0x4000/0x4000\n-A X -j MARK --set-xmark 0x1/0xffffffff\n-A X -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff\nCOMMIT\n`,
  );
});
