/**
 * The nftables core, fast: lexer facts, the parser's outline with exact ranges, each check
 * (the expected findings were measured with nft 1.0.6 -c; see nft-differential.test.ts),
 * and navigation. Ranges are written inline with «» and cursors with $0 (test/unit/ranges.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { marked } from './ranges';
import { lex } from '../../server/src/core/nftables/syntax/lexer';
import { parseNft } from '../../server/src/core/nftables/syntax/parser';
import { analyzeNft, checkNft } from '../../server/src/core/nftables/check';
import { NFT_CODES } from '../../server/src/core/nftables/knowledge/codes';
import { nftDefinition, nftOutline, nftReferences } from '../../server/src/core/nftables/navigation';
import type { Span } from '../../server/src/core/nftables/syntax/ast';

const kinds = (text: string) => lex(text).tokens.map((t) => `${t.kind}:${t.text}`);

function offsetOf(text: string, pos: { line: number; character: number }): number {
  const lines = text.split('\n');
  let o = 0;
  for (let i = 0; i < pos.line; i++) o += lines[i].length + 1;
  return o + pos.character;
}

const rng = (sp: Span) => ({ start: { line: sp.line, character: sp.col }, end: { line: sp.endLine, character: sp.endCol } });

/** The findings of a text as `line:col code`, 1-based like nft prints. */
function codes(text: string): string[] {
  return checkNft(text).map((f) => `${f.line + 1}:${f.s + 1} ${f.code}`);
}

test("lexer: addresses, numbers, time strings, comments and continuations are the scanner's tokens", () => {
  assert.deepEqual(kinds('ip saddr 10.0.0.0/8'), ['string:ip', 'string:saddr', 'string:10.0.0.0', 'punct:/', 'number:8', 'eof:']);
  assert.deepEqual(kinds('ip6 daddr fe80::1 . 0x1f'), ['string:ip6', 'string:daddr', 'string:fe80::1', 'punct:.', 'number:0x1f', 'eof:']);
  assert.deepEqual(kinds('timeout 1h30m 08 010'), ['string:timeout', 'string:1h30m', 'string:08', 'number:010', 'eof:']);
  assert.deepEqual(kinds('ether saddr 00:11:22:33:44:55 iifname "eth*" eth*'), [
    'string:ether',
    'string:saddr',
    'string:00:11:22:33:44:55',
    'string:iifname',
    'quoted:"eth*"',
    'asterisk:eth*',
    'eof:',
  ]);
  // a whole-line comment swallows its newline; an end-of-line comment does not; \ joins lines
  assert.deepEqual(kinds('a # x\n  # y\nb \\\nc'), ['string:a', 'newline:\n', 'string:b', 'string:c', 'eof:']);
  // CRLF: the carriage return is junk to nft
  assert.deepEqual(kinds('a\r\n'), ['string:a', 'junk:\r', 'newline:\n', 'eof:']);
  const t = lex('x "a\nb" y').tokens;
  assert.equal(t[1].value, 'a\nb');
  assert.deepEqual([t[2].line, t[2].col, t[2].s], [1, 3, 8]);
});

test('parser: block style outline with exact ranges', () => {
  const m = marked(
    [
      'define «lan» = 192.168.0.0/16',
      'table inet «f» {',
      '\tset «allowed» { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.168.1.1 } }',
      '\tchain «input» {',
      '\t\ttype filter hook input priority filter; policy drop;',
      '\t\tip saddr $lan ip saddr @allowed jump «svc»',
      '\t}',
      '\tchain «svc» {',
      '\t\ttcp dport { 22, 80 } counter accept comment "web"',
      '\t}',
      '}',
    ].join('\n'),
  );
  const f = parseNft(m.text);
  assert.deepEqual(f.problems, []);
  assert.equal(f.tables.length, 1);
  assert.equal(f.tables[0].family, 'inet');
  assert.deepEqual(rng(f.defines[0].name), m.ranges[0]);
  assert.deepEqual(rng(f.tables[0].name), m.ranges[1]);
  assert.deepEqual(rng(f.sets[0].name), m.ranges[2]);
  assert.equal(f.sets[0].keyType?.name, 'ipv4_addr');
  assert.deepEqual(
    f.sets[0].flags.map((x) => x.name),
    ['interval'],
  );
  const [input, svc] = f.chains;
  assert.deepEqual(rng(input.name), m.ranges[3]);
  assert.equal(input.type?.name, 'filter');
  assert.equal(input.hook?.name, 'input');
  assert.equal(input.priority?.name?.name, 'filter');
  assert.equal(input.policy?.name, 'drop');
  assert.deepEqual(rng(svc.name), m.ranges[5]);
  assert.equal(svc.typeLine, undefined);
  assert.equal(input.rules.length, 1);
  assert.deepEqual(
    input.rules[0].statements.map((s) => `${s.kind}:${s.selector ?? s.keyword}`),
    ['match:ip saddr', 'match:ip saddr', 'verdict:jump'],
  );
  assert.deepEqual(
    svc.rules[0].statements.map((s) => s.kind),
    ['match', 'stmt', 'verdict'],
  );
  assert.equal(svc.rules[0].comment?.name, 'web');
  const refs = f.refs.map((r) => `${r.kind}:${r.name.name}@${r.table}/${r.chain}`);
  assert.deepEqual(refs, ['var:lan@f/input', 'set:allowed@f/input', 'chain:svc@f/input']);
  assert.deepEqual(rng(f.refs[2].name), m.ranges[4]);
});

test('parser: command style, include, objects, flowtables and maps', () => {
  const text = [
    'include "defs.nft"',
    'add table ip nat',
    'add chain ip nat post { type nat hook postrouting priority srcnat; }',
    'add map ip nat ports { type inet_service : ipv4_addr; }',
    'add element ip nat ports { 80 : 10.0.0.1 }',
    'add rule ip nat post oifname "eth0" masquerade',
    'insert rule nat post position 0 meta mark 0x1 accept',
    'add counter ip nat hits',
    'add ct helper ip nat ftp { type "ftp" protocol tcp; }',
    'table ip nat {',
    '\tflowtable ft { hook ingress priority 0; devices = { lo }; }',
    '\tquota q { 25 mbytes }',
    '}',
    'flush ruleset',
  ].join('\n');
  const f = parseNft(text);
  assert.deepEqual(f.problems, []);
  assert.deepEqual(
    f.includes.map((i) => i.path),
    ['defs.nft'],
  );
  assert.deepEqual(
    f.tables.map((t) => `${t.command ?? 'block'} ${t.family} ${t.name.name}`),
    ['add ip nat', 'block ip nat'],
  );
  assert.equal(f.chains[0].command, 'add');
  assert.equal(f.chains[0].hook?.name, 'postrouting');
  assert.deepEqual(
    f.sets.map((s) => `${s.kind} ${s.name.name} ${s.keyType?.name} : ${s.valueType?.name}`),
    ['map ports inet_service : ipv4_addr'],
  );
  assert.deepEqual(
    f.rules.map((r) => `${r.command} ${r.table.name}/${r.chain.name} ${r.statements.length}`),
    ['add nat/post 2', 'insert nat/post 2'],
  );
  assert.deepEqual(
    f.objects.map((o) => `${o.objType} ${o.name.name}`),
    ['counter hits', 'ct helper ftp', 'quota q'],
  );
  assert.deepEqual(
    f.flowtables.map((x) => x.name.name),
    ['ft'],
  );
  assert.deepEqual(
    f.commands.map((c) => `${c.command} ${c.object}`),
    ['flush ruleset'],
  );
});

test('syntax errors at the token nft names, with its words', () => {
  // measured: nft -c -f prints these (1-based line:column)
  assert.deepEqual(codes('table inet f {\n\tchain c {\n\t\ttype filter hook input priority 0; policy drop }\n}\n'), ['3:50 nft-syntax']);
  assert.ok(
    checkNft('table inet f {\n\tchain c { policy drop }\n}\n').some((f) => f.message === "syntax error, unexpected '}', expecting newline or semicolon"),
  );
  assert.deepEqual(codes('table ip t {\nchain c {\ntcp dpotr 22 accept\n}\n}\n'), ['3:5 nft-syntax']);
  assert.match(checkNft('table ip t {\nchain c {\ntcp dpotr 22 accept\n}\n}\n')[0].message, /^syntax error, unexpected string$/);
  assert.deepEqual(codes('table ip t {\nchain c {\nip saddr 1.2.3.4 acept\n}\n}\n'), ['3:23 nft-syntax']);
  assert.deepEqual(codes('table ip t {\nchain c {\nfoo bar\n}\n}\n'), ['3:1 nft-symbol-type']);
  assert.deepEqual(codes('table ipx t {\n}\n').slice(0, 1), ['1:11 nft-syntax']);
  assert.match(checkNft('table ip t {\nchain "c" {\n}\n}\n')[0].message, /unexpected quoted string, expecting string/);
  assert.match(checkNft('table ip t {\nchain c {\nmeta foo 1\n}\n}\n')[0].message, /^syntax error, unexpected foo, known keys are length, protocol/);
  // a set list takes one newline at a time
  assert.deepEqual(codes('table ip t {\nchain c {\nip saddr { 1.2.3.4,\n\n5.6.7.8 } accept\n}\n}\n').slice(0, 1), ['4:1 nft-syntax']);
  // the file ends inside a block
  assert.deepEqual(codes('table ip t {\nchain c {\n'), ['3:1 nft-syntax']);
  // but nft needs no separator after set elements, and takes newlines inside sets
  assert.deepEqual(codes('table ip t {\nset s { type ipv4_addr; elements = { 1.2.3.4,\n5.6.7.8\n} }\n}\n'), []);
});

test('evaluation checks agree with nft', () => {
  const base = (body: string, family = 'ip') => `table ${family} t {\n\tchain c {\n${body}\n\t}\n\tchain other {\n\t}\n\tset s { type ipv4_addr; }\n}\n`;
  assert.deepEqual(codes(base('\t\tjump other\n\t\tip saddr @s accept')), []);
  assert.deepEqual(codes(base('\t\tjump nope')), ['3:8 nft-undefined-chain']);
  assert.deepEqual(codes(base('\t\tip daddr vmap { 1.2.3.4 : goto nope }')), ['3:34 nft-undefined-chain']);
  assert.deepEqual(codes(base('\t\tip saddr @nope drop')), ['3:13 nft-undefined-set']);
  assert.deepEqual(codes(base('\t\tip saddr $nope drop')), ['3:13 nft-undefined-variable']);
  assert.deepEqual(codes(base('\t\tpolicy drop;')), ['3:10 nft-policy-regular']);
  assert.deepEqual(codes(base('\t\ttype nat hook forward priority 0;')), ['2:8 nft-type-hook']);
  assert.deepEqual(codes(base('\t\ttype filtr hook input priority 0;')), ['3:8 nft-chain-type']);
  assert.deepEqual(codes(base('\t\ttype filter hook inptu priority 0;')), ['3:20 nft-chain-hook']);
  assert.deepEqual(codes(base('\t\ttype filter hook ingress priority 0;')), ['3:20 nft-chain-hook']);
  assert.deepEqual(codes(base('\t\ttype filter hook ingress priority 0;', 'netdev')), ['3:3 nft-device']);
  assert.deepEqual(codes(base('\t\ttype filter hook ingress devices = { lo } priority 0;', 'netdev')), []);
  assert.deepEqual(codes(base('\t\ttype filter hook input priority dstnat;')), ['3:35 nft-priority']);
  assert.match(checkNft(base('\t\ttype nat hook output priority dstnat;'))[0].message, /after 1\.0\.6/);
  assert.deepEqual(codes(base('\t\ttype nat hook prerouting priority dstnat + 10; policy accept;')), []);
  assert.deepEqual(codes(base('\t\taccept counter')), ['3:10 nft-after-terminal']);
  assert.deepEqual(codes(base('\t\tcontinue counter\n\t\tlog prefix "x" level warn accept')), []);
  assert.deepEqual(codes(base('\t\tip6 saddr ::1 accept')), ['3:3 nft-family-mismatch']);
  assert.deepEqual(codes(base('\t\tmeta nfproto ipv4 accept')), ['3:3 nft-family-mismatch']);
  assert.deepEqual(codes(base('\t\tmeta nfproto ipv4 accept', 'inet')), []);
  assert.deepEqual(codes(base('\t\ttcp dport 70000 accept')), ['3:13 nft-value-range']);
  assert.deepEqual(codes(base('\t\ttcp dport { 80, 65536 } accept')), ['3:19 nft-value-range']);
  assert.deepEqual(codes(base('\t\tip saddr 10.0.0.0/33 accept')), ['3:12 nft-value-range']);
  assert.deepEqual(codes(base('\t\ttcp dport 1024-22 accept')), ['3:13 nft-value-range']);
  assert.deepEqual(codes(base('\t\texthdr frag exists drop\n\t\tlimit rate over 1 mbytes/second drop', 'inet')), []);
  assert.deepEqual(codes(base('\t\tdnat to 10.0.0.2:8080')), ['3:11 nft-nat-port']);
  assert.deepEqual(codes(base('\t\tmeta l4proto tcp dnat to 10.0.0.2:8080')), []);
  // newer syntax: the message says so
  assert.match(checkNft(base('\t\tfib saddr . iif check missing drop'))[0].message, /after 1\.0\.6/);
});

test('includes: resolved through the caller, unresolved ones soften what they could define', () => {
  const text = 'include "vars.nft"\ntable ip t {\n\tchain c {\n\t\tip saddr $lan accept\n\t}\n}\n';
  const ok = analyzeNft(text, { resolveInclude: (p) => (p === 'vars.nft' ? 'define lan = 10.0.0.0/8\n' : undefined) });
  assert.deepEqual(ok.findings, []);
  const missing = analyzeNft(text, { resolveInclude: () => undefined });
  assert.deepEqual(
    missing.findings.map((f) => `${f.code} ${f.severity}`),
    ['nft-include-unresolved warning', 'nft-undefined-variable warning'],
  );
  const none = analyzeNft(text);
  assert.deepEqual(
    none.findings.map((f) => `${f.code} ${f.severity}`),
    ['nft-undefined-variable warning'],
  );
});

test('a table from elsewhere: commands warn, jumps into it are not judged', () => {
  assert.deepEqual(codes('add rule ip filter input jump nowhere\n'), ['1:13 nft-undefined-table']);
});

test('codes: every code used is registered with a severity and a meaning', () => {
  const names = new Set(NFT_CODES.map((c) => c.code));
  assert.equal(names.size, NFT_CODES.length);
  for (const c of NFT_CODES) {
    assert.match(c.code, /^nft-[a-z-]+$/);
    assert.ok(c.meaning.length > 10);
  }
  const text = 'table ip t {\nchain c {\ntype filtr hook input priority 0; policy drop;\njump x\nip6 saddr ::1 accept counter\n}\n}\n';
  for (const f of checkNft(text)) assert.ok(names.has(f.code as never), f.code);
});

test('never throws, stays linear on hostile input', () => {
  const junk = [
    '{'.repeat(5000),
    '}'.repeat(5000),
    '"'.repeat(999),
    'table ip t { chain c { ' + 'ip saddr { '.repeat(3000),
    '\\\n'.repeat(2000),
    '$@$@',
    '\u0000\ud800',
  ];
  for (const j of junk) assert.ok(Array.isArray(checkNft(j)));
  // linear: 8 times the rules cost about 8 times as much (a quadratic parser: 64 times)
  const file = (n: number) => 'table ip t {\n\tchain c {\n' + '\t\tip saddr 10.0.0.1 tcp dport { 22, 80 } counter accept\n'.repeat(n) + '\t}\n}\n';
  const time = (text: string) => {
    const t0 = performance.now();
    assert.deepEqual(checkNft(text), []);
    return performance.now() - t0;
  };
  time(file(500)); // warm up
  const small = Math.min(time(file(1000)), time(file(1000)));
  const large = time(file(8000));
  assert.ok(large / small < 24, `1000 rules: ${small.toFixed(0)} ms, 8000 rules: ${large.toFixed(0)} ms`);
});

test('navigation: outline, definition and references of chains, sets and variables', () => {
  const m = marked(
    [
      'define «lan» = 10.0.0.0/8',
      'table ip t {',
      '\tset «blk» { type ipv4_addr; }',
      '\tchain input {',
      '\t\ttype filter hook input priority 0; policy drop;',
      '\t\tip saddr $«l$0an» ip saddr @«blk» jump «svc»',
      '\t}',
      '\tchain «svc» {',
      '\t\tgoto «svc»',
      '\t}',
      '}',
    ].join('\n'),
  );
  const f = parseNft(m.text);
  const outline = nftOutline(f);
  assert.deepEqual(
    outline.map((s) => `${s.kind} ${s.name} [${s.children.map((c) => `${c.kind} ${c.name}${c.detail ? ` (${c.detail})` : ''}`).join(', ')}]`),
    ['define $lan []', 'table ip t [set blk (type ipv4_addr), chain input (type filter hook input priority 0; policy drop), chain svc]'],
  );
  const at = offsetOf(m.text, m.pos);
  assert.deepEqual(nftDefinition(f, at).map(rng), [m.ranges[0]]);
  assert.deepEqual(nftReferences(f, at, true).map(rng), [m.ranges[0], m.ranges[2]]);
  const setUse = m.ranges[3].start;
  assert.deepEqual(nftDefinition(f, offsetOf(m.text, setUse)).map(rng), [m.ranges[1]]);
  const svcUse = offsetOf(m.text, m.ranges[4].start);
  assert.deepEqual(nftReferences(f, svcUse, true).map(rng), [m.ranges[4], m.ranges[5], m.ranges[6]]);
});
