// Hover documentation for nft keywords (server/src/core/nftables/docHover.ts):
// `$0` marks the cursor in each case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nftDocHover } from '../../server/src/core/nftables/docHover';
import { nftPriorityValue, nftHookAllowed, NFT_KEYWORD_DOCS } from '../../server/src/core/nftables/docs';

function hoverAt(marked: string): string | undefined {
  const at = marked.indexOf('$0');
  assert.ok(at >= 0, 'no $0 cursor');
  const text = marked.slice(0, at) + marked.slice(at + 2);
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  const character = at - (before.lastIndexOf('\n') + 1);
  return nftDocHover(text, line, character);
}

const CHAIN = 'table inet f {\n  chain c {\n    type filter hook input priority filter; policy drop;\n    ct state established accept\n  }\n}\n';

test('nft hover: a chain type after `type`, with the hooks it may use per family', () => {
  const h = hoverAt(CHAIN.replace('type filter', 'type fil$0ter'));
  assert.ok(h);
  assert.match(h, /^\*\*filter\*\* \*\(chain-type\)\*/);
  assert.match(h, /- arp: input, output/);
  assert.doesNotMatch(h, /\(priority\)/);
});

test('nft hover: a priority name after `priority`, with its number per family', () => {
  const h = hoverAt(CHAIN.replace('priority filter', 'priority $0filter'));
  assert.ok(h);
  assert.match(h, /\(priority\)/);
  assert.match(h, /\| inet \| 0 \| any \| filter \|/);
  assert.match(h, /\| bridge \| -200 \|/);
  const s = hoverAt('type nat hook postrouting priority src$0nat;');
  assert.match(s ?? '', /\| ip \| 100 \| postrouting \|/);
  assert.match(s ?? '', /\| bridge \| 300 \| postrouting \|/);
});

test('nft hover: a hook after `hook`, with the chain types and families that use it', () => {
  const h = hoverAt(CHAIN.replace('hook input', 'hook in$0put'));
  assert.ok(h);
  assert.match(h, /\(hook\)/);
  assert.match(h, /- `filter` chains: ip, ip6, inet, arp, bridge/);
  assert.match(h, /- `nat` chains: ip, ip6, inet/);
  const e = hoverAt('hook egr$0ess');
  assert.match(e ?? '', /- `filter` chains: netdev$/m);
});

test('nft hover: `ip` is a family after `table`, a header elsewhere', () => {
  assert.match(hoverAt('table i$0p nat {') ?? '', /\(family\)/);
  const h = hoverAt('  i$0p saddr 10.0.0.1 accept') ?? '';
  assert.match(h, /\(expression\)/);
  assert.match(h, /\(family\)/, 'both meanings listed where nothing before decides');
  assert.match(hoverAt('ip sa$0ddr 10.0.0.1') ?? '', /^\*\*saddr\*\* \*\(field\)\*/);
});

test('nft hover: statements, verdicts, set words, marks', () => {
  assert.match(hoverAt('meta mark set meta mark or 0x4000 mas$0querade') ?? '', /\(statement\)[\s\S]*outgoing interface/);
  assert.match(hoverAt('ct state established ac$0cept') ?? '', /\(verdict\)/);
  assert.match(hoverAt('flags inter$0val') ?? '', /\(set-flag\)/);
  assert.match(hoverAt('policy mem$0ory') ?? '', /\(set-policy\)/);
  assert.match(hoverAt('meta mark s$0et 1') ?? '', /\(operator\)[\s\S]*Assignment/);
  assert.match(hoverAt('meta m$0ark 1') ?? '', /packet mark/);
  assert.match(hoverAt('ct state estab$0lished') ?? '', /seen packets both ways/);
  assert.match(hoverAt('$0flush ruleset') ?? '', /\(command\)/);
  assert.match(hoverAt('flush ruleset$0') ?? '', /\(object\)/, 'the end of a word is on it');
});

test('nft hover: nothing on names, numbers, variables, sets, comments, strings, blanks', () => {
  for (const c of [
    'jump KUBE-SVC$0-X',
    'tcp dport 2$02',
    'iifname $w$0an',
    'ip saddr @bl$0ock',
    '# accept d$0rop',
    'comment "acc$0ept"',
    'accept $0 ',
    '$0',
    'table ip filter { # priority fi$0lter',
    'chain input$0x',
  ])
    assert.equal(hoverAt(c), undefined, c);
  assert.equal(nftDocHover('accept', 3, 0), undefined);
  assert.equal(nftDocHover('accept', 0, 99), undefined);
  assert.equal(nftDocHover('accept', 0, -1), undefined);
});

test('nft hover: CRLF lines and the word at the line end', () => {
  assert.match(nftDocHover('flush ruleset\r\ntable inet t {\r\n', 1, 7) ?? '', /\(family\)/);
  assert.match(nftDocHover('counter drop\r\n', 0, 12) ?? '', /\(verdict\)/);
});

test('nft docs: priority numbers and hook rules as nft 1.0.6 takes them', () => {
  assert.equal(nftPriorityValue('inet', 'input', 'raw'), -300);
  assert.equal(nftPriorityValue('ip', 'prerouting', 'mangle'), -150);
  assert.equal(nftPriorityValue('ip6', 'prerouting', 'dstnat'), -100);
  assert.equal(nftPriorityValue('ip6', 'output', 'dstnat'), undefined, '1.0.6 refuses dstnat outside prerouting');
  assert.equal(nftPriorityValue('inet', 'forward', 'security'), 50);
  assert.equal(nftPriorityValue('ip', 'postrouting', 'srcnat'), 100);
  assert.equal(nftPriorityValue('bridge', 'input', 'filter'), -200);
  assert.equal(nftPriorityValue('bridge', 'output', 'out'), 100);
  assert.equal(nftPriorityValue('arp', 'input', 'mangle'), undefined);
  assert.equal(nftHookAllowed('inet', 'nat', 'forward'), false);
  assert.equal(nftHookAllowed('inet', 'filter', 'ingress'), true);
  assert.equal(nftHookAllowed('netdev', 'filter', 'egress'), true);
  assert.equal(nftHookAllowed('ip', 'route', 'input'), false);
  assert.ok(NFT_KEYWORD_DOCS.size > 400);
});

test('nft hover: linear, never throws, on hostile input', () => {
  const long = 'a'.repeat(200000);
  const t0 = performance.now();
  assert.equal(nftDocHover(long, 0, 100000), undefined);
  assert.equal(nftDocHover('"'.repeat(100001), 0, 50000), undefined);
  assert.equal(nftDocHover('\n'.repeat(100000) + 'accept', 100000, 2)?.startsWith('**accept**'), true);
  assert.ok(performance.now() - t0 < 500, `${performance.now() - t0} ms`);
});

test("nft docs: the hook and priority tables agree with the parser's knowledge", async () => {
  const k = await import('../../server/src/core/nftables/knowledge/knowledge');
  const d = await import('../../server/src/core/nftables/docs');
  for (const f of d.NFT_FAMILIES)
    for (const type of d.NFT_CHAIN_TYPES)
      for (const h of d.NFT_HOOKS) {
        assert.equal(d.nftHookAllowed(f, type, h), k.TYPE_HOOKS[type][f]?.includes(h) ?? false, `${f} ${type} ${h}`);
        const names = [
          ...new Set(
            Object.values(d.NFT_PRIORITIES)
              .flat()
              .map((p) => p.name),
          ),
        ];
        if (!d.nftHookAllowed(f, 'filter', h)) continue;
        for (const n of names) {
          const mine = d.nftPriorityValue(f, h, n);
          const theirs = k.priorityNamesFor(f, h).includes(n) ? k.PRIORITY_VALUES[f === 'bridge' ? 'bridge' : 'ip'][n] : undefined;
          assert.equal(mine, theirs, `${f} ${h} priority ${n}`);
        }
      }
});
