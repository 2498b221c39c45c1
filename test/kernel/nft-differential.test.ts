/**
 * Differential test of the nftables core against `nft -c -f` (nftables 1.0.6, Debian 12) in a
 * private network namespace: every file of the nftables corpora, and seeded mutations of the
 * files nft accepts (a dropped brace or separator, a misspelt keyword, a renamed jump target,
 * set or variable, a swapped family, hook or priority, a corrupted number, a statement moved
 * after the verdict, a dropped token...), bounded by time and count.
 *
 * It fails on any error of ours where nft accepts, and on any refusal of a class we model
 * (syntax errors, unknown identifiers, chain type/hook/priority/device, statements after a
 * verdict, family mismatches, values out of range) where we are silent on the line nft names.
 * Refusals of other classes (kernel errors: missing chains and sets, absent modules,
 * interfaces, host names...) are counted, and our agreement with them printed.
 *
 * NFT_DIFF_SECONDS (default 90: the time for mutations, after the fixed cases), NFT_DIFF_MIN
 * (default 150 mutations, whatever the time) and NFT_DIFF_MAX (default 6000) bound the run;
 * NFRULES_SEED varies the mutations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { needNft, seedFor } from './gate';
import { Netns } from './oracle';
import { mulberry32 } from './generate';
import { checkNft } from '../../server/src/core/nftables/check';
import { lex, Token } from '../../server/src/core/nftables/syntax/lexer';
import { FAMILIES, HOOKS, isKeyword } from '../../server/src/core/nftables/knowledge/knowledge';
import { parseNft } from '../../server/src/core/nftables/syntax/parser';

const repoRoot = resolve(__dirname, '../..');
const corpus = resolve(repoRoot, '../shared/corpus');
const SECONDS = Number(process.env.NFT_DIFF_SECONDS ?? 90);
const MAX = Number(process.env.NFT_DIFF_MAX ?? 300);
const MIN = Number(process.env.NFT_DIFF_MIN ?? 150);
const CONCURRENCY = 6;

interface NftError {
  line: number; // 0-based
  col: number;
  message: string;
}

/** The classes of nft refusals the core models, by nft's message. */
const MODELED: [string, RegExp][] = [
  ['syntax', /^syntax error/],
  ['symbol-type', /^No symbol type information/],
  ['undefined-variable', /^unknown identifier/],
  ['after-terminal', /^Statement after terminal statement/],
  ['chain-type-hook', /^(unknown chain type|unknown chain hook|The \w+ family does not support this hook)/],
  ['priority', /^invalid priority expression value/],
  ['device', /^Missing `device'/],
  ['family', /^(conflicting protocols specified|meta nfproto is only useful|abstracted ICMP unreachable not supported)/],
  ['nat-port', /^transport protocol mapping is only valid after transport protocol match/],
  ['value', /^(Service out of range|Prefix length \d+ is invalid|Range has zero or negative size)/],
];

function classOf(message: string): string | undefined {
  for (const [c, re] of MODELED) if (re.test(message)) return c;
  return undefined;
}

function nftErrors(stderr: string): NftError[] {
  const out: NftError[] = [];
  for (const line of stderr.split('\n')) {
    const m = /:(\d+):(\d+)-\d+: Error: (.*)$/.exec(line);
    if (m) out.push({ line: Number(m[1]) - 1, col: Number(m[2]) - 1, message: m[3] });
  }
  return out;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', () => res({ code: 127, stderr: 'spawn failed' }));
    child.on('close', (code) => res({ code: code ?? 1, stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function corpusFiles(): string[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/^(README|COPYING|SOURCES)/.test(n)) files.push(p);
    }
  };
  walk(join(corpus, 'nftables-world'));
  walk(join(corpus, 'nftables-upstream'));
  return files;
}

// ------------------------------------------------------------------------------ mutations

type Rng = () => number;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

function splice(text: string, s: number, e: number, by: string): string {
  return text.slice(0, s) + by + text.slice(e);
}

function misspell(r: Rng, w: string): string {
  if (w.length < 2) return w + 'x';
  const i = Math.floor(r() * w.length);
  switch (Math.floor(r() * 3)) {
    case 0:
      return w.slice(0, i) + w.slice(i + 1) || w + 'x';
    case 1: {
      const j = Math.min(i + 1, w.length - 1);
      const a = w.split('');
      [a[i], a[j]] = [a[j], a[i]];
      const s = a.join('');
      return s === w ? w + 'e' : s;
    }
    default:
      return w.slice(0, i) + w[i] + w.slice(i);
  }
}

const MUTATIONS = [
  'drop-brace',
  'drop-semicolon',
  'join-lines',
  'misspell-keyword',
  'rename-jump',
  'rename-set',
  'rename-var',
  'swap-family',
  'swap-hook',
  'swap-priority',
  'swap-type',
  'corrupt-number',
  'after-verdict',
  'drop-token',
  'policy-regular',
] as const;

function mutate(r: Rng, text: string, kind: (typeof MUTATIONS)[number]): string | undefined {
  const toks = lex(text).tokens.filter((t) => t.kind !== 'eof');
  const where = (f: (t: Token, i: number) => boolean): Token[] => toks.filter(f);
  const one = (xs: Token[]): Token | undefined => (xs.length ? pick(r, xs) : undefined);
  switch (kind) {
    case 'drop-brace': {
      const t = one(where((t) => t.kind === 'punct' && (t.text === '{' || t.text === '}')));
      return t && splice(text, t.s, t.e, '');
    }
    case 'drop-semicolon': {
      const t = one(where((t) => t.kind === 'punct' && t.text === ';'));
      return t && splice(text, t.s, t.e, ' ');
    }
    case 'join-lines': {
      const t = one(where((t, i) => t.kind === 'newline' && i > 0 && toks[i - 1].kind !== 'newline'));
      return t && splice(text, t.s, t.e, ' ');
    }
    case 'misspell-keyword': {
      const t = one(where((t) => t.kind === 'string' && isKeyword(t.text) && t.text.length > 2));
      return t && splice(text, t.s, t.e, misspell(r, t.text));
    }
    case 'rename-jump': {
      const f = parseNft(text);
      const refs = f.refs.filter((x) => x.kind === 'chain');
      const x = refs.length ? pick(r, refs) : undefined;
      return x && splice(text, x.name.s, x.name.e, x.name.name + '_x');
    }
    case 'rename-set': {
      const f = parseNft(text);
      const refs = f.refs.filter((x) => x.kind === 'set' && x.via === '@');
      const x = refs.length ? pick(r, refs) : undefined;
      return x && splice(text, x.name.s, x.name.e, x.name.name + 'x');
    }
    case 'rename-var': {
      const f = parseNft(text);
      const refs = f.refs.filter((x) => x.kind === 'var');
      const x = refs.length ? pick(r, refs) : undefined;
      return x && splice(text, x.name.s, x.name.e, x.name.name + 'x');
    }
    case 'swap-family': {
      const f = parseNft(text);
      const ts = f.tables.filter((t) => t.familySpan);
      const t = ts.length ? pick(r, ts) : undefined;
      return t && splice(text, t.familySpan!.s, t.familySpan!.e, pick(r, FAMILIES));
    }
    case 'swap-hook':
    case 'swap-type':
    case 'swap-priority': {
      const f = parseNft(text);
      const cs = f.chains.filter((c) => c.hook && c.type && c.priority);
      const c = cs.length ? pick(r, cs) : undefined;
      if (!c) return undefined;
      if (kind === 'swap-hook') return splice(text, c.hook!.s, c.hook!.e, pick(r, [...HOOKS, 'inptu']));
      if (kind === 'swap-type') return splice(text, c.type!.s, c.type!.e, pick(r, ['filter', 'nat', 'route', 'filtr']));
      return splice(
        text,
        c.priority!.s,
        c.priority!.e,
        pick(r, ['raw', 'mangle', 'dstnat', 'filter', 'security', 'srcnat', 'out', '-150', 'filter + 5', 'foo']),
      );
    }
    case 'corrupt-number': {
      const t = one(where((t) => t.kind === 'number'));
      return t && splice(text, t.s, t.e, pick(r, ['70000', '99999999999999999999', '0x', '1.5', '08', '-1', '65536', '4294967296', '33']));
    }
    case 'after-verdict': {
      const f = parseNft(text);
      const rules = f.rules.filter((x) => x.statements.length >= 2 && x.statements[x.statements.length - 1].kind === 'verdict');
      const x = rules.length ? pick(r, rules) : undefined;
      if (!x) return undefined;
      const st = x.statements[0];
      const last = x.statements[x.statements.length - 1];
      const moved = text.slice(st.s, st.e);
      return text.slice(0, st.s) + text.slice(x.statements[1].s, last.e) + ' ' + moved + text.slice(last.e);
    }
    case 'drop-token': {
      const t = one(where((t) => t.kind !== 'newline'));
      return t && splice(text, t.s, t.e, ' ');
    }
    case 'policy-regular': {
      const f = parseNft(text);
      const cs = f.chains.filter((c) => !c.typeLine && c.block);
      const c = cs.length ? pick(r, cs) : undefined;
      return c && splice(text, c.block!.s + 1, c.block!.s + 1, '\n\t\tpolicy drop;\n');
    }
  }
}

/**
 * Constructs real files use, one rule each (`family|rule`), in a table with a dynamic set `s`, a
 * concatenated set `s3`, a chain `a` and `define IFACES`: each is judged like a corpus file.
 */
const CONSTRUCTS: readonly string[] = [
  'inet|ip6 nexthdr icmpv6 icmpv6 type { nd-neighbor-solicit } accept',
  'inet|tcp flags != syn ct state new drop',
  'inet|iif lo accept',
  'inet|iif != lo ip daddr 127.0.0.0/8 drop',
  'inet|log prefix "[nftables] Dropped: " flags all counter drop',
  'inet|limit rate 5/minute burst 10 packets log',
  'inet|meta skuid 1000 accept',
  'inet|fib daddr type local accept',
  'ip|dnat to 10.0.0.2:8080',
  'ip|dnat ip to 10.0.0.2',
  'ip|snat to 1.2.3.4-1.2.3.10',
  'ip|masquerade random,persistent',
  'ip|meta l4proto tcp redirect to :3128',
  'ip|meta l4proto tcp tproxy to 127.0.0.1:1234 meta mark set 1 accept',
  'bridge|ether type vlan vlan id 10 accept',
  'inet|meta mark and 0xff == 1',
  'ip|ip dscp cs1 accept',
  'ip|ip ecn ce accept',
  'inet|icmp type echo-request limit rate 1/second accept',
  'inet|meta l4proto tcp reject with tcp reset',
  'inet|reject with icmpx type port-unreachable',
  'inet|numgen inc mod 2 vmap { 0 : jump a, 1 : jump a }',
  'inet|jhash ip saddr mod 2 vmap { 0 : jump a, 1 : jump a }',
  'inet|ip saddr . ip daddr . tcp dport @s3 accept',
  'inet|iifname $IFACES accept',
  'inet|tcp option maxseg size set rt mtu',
  'inet|update @s { ip saddr limit rate over 10/second } drop',
  'inet|ip protocol icmp icmp type echo-request accept',
  'inet|meta nftrace set 1',
  'inet|ct mark set meta mark',
  'ip|ip daddr set 1.2.3.4',
  'inet|meta pkttype broadcast drop',
  'inet|ip6 saddr fe80::/10 accept',
  'inet|ct state vmap { established : accept, related : accept, invalid : drop }',
  'inet|tcp flags & (fin|syn|rst|ack) == syn',
  'inet|ip ttl set 64',
  'inet|iifname "eth0" tcp dport { 80, 443 } ct state new counter accept comment "web"',
  'inet|ip saddr != { 10.0.0.0/8, 192.168.0.0/16 } drop',
  'inet|meta hour "08:00"-"17:00" accept',
  'inet|ct original ip daddr 1.2.3.4',
  'inet|ct count over 10 drop',
  'inet|socket transparent 1 accept',
  'bridge|ether saddr 00:11:22:33:44:55 drop',
  'arp|arp operation request accept',
  'inet|ip version 4',
  'inet|th dport 53 accept',
  'inet|osf name "Linux" accept',
  'inet|meta l4proto ipv6-icmp accept',
  'inet|icmpv6 type nd-router-advert ip6 hoplimit 255 accept',
  'inet|exthdr frag exists drop',
  'inet|tcp dport 22 ct state new limit rate 10/minute accept',
  'ip|ip frag-off & 0x1fff != 0 drop',
  'inet|ct status dnat accept',
  'inet|mark set 0x1 ct mark set mark',
  'ip|ip daddr 224.0.0.0/4 drop',
  'inet|ct helper set "ftp-standard"',
  'inet|meta priority set 1:2',
  'inet|udp dport 53 ct zone set 1',
  'inet|ip saddr 10.0.0.1 counter name "cnt"',
  'inet|meta l4proto { tcp, udp } th dport 53 accept',
  'inet|icmp type { echo-request, echo-reply } counter accept',
  'inet|ip daddr 1.2.3.4 meta mark set ip saddr map { 1.1.1.1 : 0x1 }',
  'inet|tcp dport 1-1024 accept',
  'inet|ip saddr 10.0.0.0-10.0.0.255 accept',
  'inet|meta mark set 0x10 counter',
  'inet|ct direction original accept',
  'inet|ct expiration 30s accept',
  'inet|tcp sport != { 1-1023 } drop',
  'inet|meta time "2024-01-01 00:00" - "2025-01-01 00:00" accept',
  'inet|meta day "Monday" accept',
  'inet|ip saddr { 1.2.3.4 } tcp dport { 22 } accept',
  'inet|ether saddr 00:11:22:33:44:55 accept',
  'inet|meta iifname "lo" accept',
  'inet|ip6 daddr ::1 accept',
  'inet|ip6 daddr [::1] accept',
  'inet|meta l4proto udp udp dport 53 dnat ip to 127.0.0.1:5353',
  'inet|ip dscp set af21',
  'inet|tcp flags syn tcp option maxseg size set 1400',
  'inet|oifname "ppp0" masquerade',
  'inet|ip saddr 192.168.1.0/24 ip daddr != 192.168.1.0/24 masquerade',
  'inet|ct state invalid log prefix "invalid: " level debug drop',
  'inet|icmp type echo-request ip length > 1000 drop',
  'inet|meta length 1-100 accept',
  'inet|tcp dport ssh accept',
  'inet|tcp dport { ssh, http, https } accept',
  'inet|udp dport domain accept',
  'inet|meta l4proto tcp counter packets 10 bytes 100 accept',
  'inet|ip protocol tcp tcp dport 80 queue num 0-3 fanout,bypass',
  'inet|quota until 100 mbytes used 10 mbytes accept',
  'inet|limit rate over 1 mbytes/second drop',
  'inet|ip saddr & 255.255.255.0 == 10.0.0.0 accept',
  'inet|meta l4proto tcp tcp dport 80 ct mark set 0x1 ct helper set "h"',
];

/** Whole small files: block items, objects, commands, defines (`\n` and `\t` as written). */
const BLOCK_FILES: readonly string[] = [
  'table inet t {\n\tflags dormant\n\tcomment "hello"\n}\n',
  'table netdev t {\n\tchain c {\n\t\ttype filter hook ingress devices = { lo } priority 0;\n\t}\n}\n',
  'table inet t {\n\tchain c {\n\t\tcomment "x"\n\t\ttype filter hook input priority 0; policy accept;\n\t}\n}\n',
  'table inet t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tsize 100\n\t\tpolicy memory\n\t\tcounter\n\t\ttimeout 1h\n\t\tgc-interval 1m\n\t\tflags dynamic,timeout\n\t}\n}\n',
  'table inet t {\n\tset s {\n\t\ttypeof ip saddr . tcp dport\n\t\telements = { 1.2.3.4 . 22 }\n\t}\n}\n',
  'table inet t {\n\tmap m {\n\t\ttypeof ip saddr : meta mark\n\t\telements = { 1.2.3.4 : 0x1 }\n\t}\n}\n',
  'table inet t {\n\tct timeout tm {\n\t\tprotocol tcp\n\t\tl3proto ip\n\t\tpolicy = { established: 100, close: 4 }\n\t}\n}\n',
  'table inet t {\n\tsynproxy sp {\n\t\tmss 1460\n\t\twscale 7\n\t\ttimestamp sack-perm\n\t}\n}\n',
  'table inet t {\n\tct expectation e {\n\t\tprotocol tcp\n\t\tdport 22\n\t\ttimeout 1m\n\t\tsize 12\n\t\tl3proto ip\n\t}\n}\n',
  'table inet t {\n\tlimit l {\n\t\trate 400/minute\n\t\tcomment "x"\n\t}\n}\n',
  'table inet t {\n\tquota q {\n\t\tover 25 mbytes used 1 mbytes\n\t}\n}\n',
  'table inet t {\n\tcounter c {\n\t\tcomment "x"\n\t\tpackets 1 bytes 2\n\t}\n}\n',
  'table inet t {\n\tchain c {\n\t\ttype filter hook input priority 0\n\t\tpolicy accept\n\t}\n}\n',
  'table ip t {\n\tchain c {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tdnat to ip saddr map { 1.2.3.4 : 5.6.7.8 }\n\t}\n}\n',
  'add table inet t\nadd set inet t s { type ipv4_addr; flags interval; }\nadd element inet t s { 10.0.0.0/8, 192.168.0.0-192.168.0.10 }\ndelete element inet t s { 10.0.0.0/8 }\n',
  'add table ip t\nadd chain ip t c\nadd rule ip t c counter\nrename chain ip t c d\nflush chain ip t d\ndelete chain ip t d\nlist ruleset\n',
  'table inet t {\n\tchain c {\n\t\ttcp dport 22 jump {\n\t\t\tct state new counter accept\n\t\t}\n\t}\n}\n',
  'define x = 1\nredefine x = 2\nundefine x\ndefine y = { 1.2.3.4, 5.6.7.8 }\ntable ip t {\n\tchain c {\n\t\tip saddr $y accept\n\t}\n}\n',
  'table inet t {\n\tchain c {\n\t\tmeta mark set 0x1;ct mark set 0x2\n\t}\n}\n',
  'table ip t {\n\tchain c {\n\t\tip saddr 1.2.3.4 accept; ip saddr 5.6.7.8 drop;\n\t}\n}\n',
];

function constructFile(c: string): string {
  const [family, rule] = c.split('|');
  return `define IFACES = { eth0, eth1 }\ntable ${family} t {\n\tset s { type ipv4_addr; flags dynamic; }\n\tset s3 { type ipv4_addr . ipv4_addr . inet_service; }\n\tchain a {\n\t}\n\tchain c {\n\t\t${rule}\n\t}\n}\n`;
}

// ------------------------------------------------------------------------------ the test

interface Outcome {
  name: string;
  text: string;
  ok: boolean;
  errors: NftError[];
}

test('nftables core agrees with nft -c -f on the corpora and their mutations', { timeout: (SECONDS + 600) * 1000 }, async (t) => {
  if (!needNft(t)) return;
  const files = corpusFiles();
  if (files.length === 0) {
    console.error(`SKIPPED: no nftables corpus at ${corpus}`);
    if (process.env.CI) assert.fail('no corpus under CI');
    t.skip('no corpus');
    return;
  }
  const seed = seedFor('nft-differential', 15);
  const rng = mulberry32(seed);
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-nftdiff-'));
  const ns = await Netns.create();
  let n = 0;
  const nft = async (name: string, text: string): Promise<Outcome> => {
    const p = join(dir, `case${n++}.nft`);
    writeFileSync(p, text);
    const r = await ns.exec('nft', ['-c', '-f', p]);
    rmSync(p, { force: true });
    return { name, text, ok: r.code === 0, errors: nftErrors(r.stderr) };
  };
  void run;

  const figures = {
    files: 0,
    constructs: 0,
    mutations: 0,
    accepted: 0,
    refused: 0,
    agreeAccept: 0,
    modeled: 0,
    modeledAgree: 0,
    otherRefused: 0,
    otherAgree: 0,
    byClass: new Map<string, { n: number; agree: number }>(),
    byMutation: new Map<string, { n: number; refused: number }>(),
  };
  const failures: string[] = [];

  const judge = (o: Outcome, mutation?: string): void => {
    const mine = checkNft(o.text).filter((f) => f.severity === 'error');
    if (mutation) {
      const m = figures.byMutation.get(mutation) ?? { n: 0, refused: 0 };
      m.n++;
      if (!o.ok) m.refused++;
      figures.byMutation.set(mutation, m);
    }
    if (o.ok) {
      figures.accepted++;
      if (mine.length === 0) figures.agreeAccept++;
      else
        failures.push(
          `${o.name}: nft accepts, we say ${mine[0].line + 1}:${mine[0].s + 1} [${mine[0].code}] ${mine[0].message}\n${excerpt(o.text, mine[0].line)}`,
        );
      return;
    }
    figures.refused++;
    const first = o.errors[0];
    if (!first) {
      figures.otherRefused++;
      return;
    }
    const cls = classOf(first.message);
    const agree = mine.some((f) => f.line === first.line);
    const c = figures.byClass.get(cls ?? 'other: ' + first.message.replace(/[:'].*$/, '').slice(0, 40)) ?? { n: 0, agree: 0 };
    c.n++;
    if (agree) c.agree++;
    figures.byClass.set(cls ?? 'other: ' + first.message.replace(/[:'].*$/, '').slice(0, 40), c);
    if (cls) {
      figures.modeled++;
      if (agree) figures.modeledAgree++;
      else {
        const ours = mine.length ? `we say ${mine[0].line + 1}:${mine[0].s + 1} ${mine[0].message}` : 'we are silent';
        failures.push(
          `${o.name}: nft ${first.line + 1}:${first.col + 1} ${first.message}; ${ours}\n${excerpt(o.text, first.line)}` +
            (mine.length && mine[0].line !== first.line ? `\n${excerpt(o.text, mine[0].line)}` : ''),
        );
      }
    } else {
      figures.otherRefused++;
      if (agree) figures.otherAgree++;
    }
  };

  try {
    // the fixed cases (corpus files, small files, constructs), a few nft processes at a time
    // (nft mostly waits on the kernel, so they cost little CPU)
    const accepted: string[] = [];
    const fixed: (() => Promise<void>)[] = [
      ...files.map((f) => async () => {
        const text = readFileSync(f, 'utf8');
        const o = await nft(f.slice(corpus.length + 1), text);
        figures.files++;
        judge(o);
        if (o.ok) accepted.push(text);
      }),
      ...BLOCK_FILES.map((text, k) => async () => {
        figures.constructs++;
        judge(await nft(`block file #${k + 1}`, text));
      }),
      ...CONSTRUCTS.map((c) => async () => {
        figures.constructs++;
        judge(await nft(`construct ${c}`, constructFile(c)));
      }),
    ];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let job = fixed.shift(); job; job = fixed.shift()) await job();
      }),
    );
    accepted.sort(); // the pool finishes in any order: the mutations start from a fixed list
    // then mutations of the accepted files until the time budget is spent (at least MIN of
    // them); they are drawn in order, so a seed always gives the same cases
    const deadline = Date.now() + SECONDS * 1000;
    const next = (): { name: string; text: string; kind: string } | undefined => {
      for (let tries = 0; tries < 100; tries++) {
        if ((Date.now() >= deadline && figures.mutations >= MIN) || figures.mutations >= MAX || !accepted.length) return undefined;
        const base = pick(rng, accepted);
        const kind = pick(rng, MUTATIONS);
        const m = mutate(rng, base, kind);
        if (m === undefined || m === base) continue;
        figures.mutations++;
        return { name: `mutation #${figures.mutations} (${kind})`, text: m, kind };
      }
      return undefined;
    };
    const worker = async (): Promise<void> => {
      for (let c = next(); c; c = next()) judge(await nft(c.name, c.text), c.kind);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    await ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`[nft-differential] seed ${seed}: ${figures.files} corpus files, ${figures.constructs} constructs, ${figures.mutations} mutations`);
  console.log(`  nft accepts ${figures.accepted} (we agree on ${figures.agreeAccept}), refuses ${figures.refused}`);
  console.log(`  refusals of classes we model: ${figures.modeled}, we name nft's first error line in ${figures.modeledAgree}`);
  console.log(`  other refusals (kernel, environment): ${figures.otherRefused}, we also report that line in ${figures.otherAgree}`);
  for (const [c, v] of [...figures.byClass].sort((a, b) => b[1].n - a[1].n)) console.log(`    ${c}: ${v.n} (${v.agree} same line)`);
  for (const [m, v] of figures.byMutation) console.log(`    mutation ${m}: ${v.n} cases, nft refuses ${v.refused}`);
  if (failures.length) {
    console.log(`  ${failures.length} disagreements; the first ones:`);
    for (const f of failures.slice(0, 25)) console.log('  - ' + f.replace(/\n/g, '\n    '));
  }
  assert.equal(failures.length, 0, `${failures.length} disagreements with nft (see above)`);
});

function excerpt(text: string, line: number): string {
  const lines = text.split('\n');
  return `${line + 1}| ${lines[line] ?? ''}`;
}
