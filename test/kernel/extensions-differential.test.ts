/**
 * Differential test of the extension knowledge (server/src/core/extensions.ts, rule.ts,
 * the table/hook checks of analysis.ts) against iptables 1.8.9 and the kernel: valid rules
 * for every modelled extension, and seeded mutations of them (drop an argument, duplicate
 * an option, swap the table or chain, corrupt a number, move a `!`), are appended for real
 * (`iptables -t T -A CHAIN ...`, not --test) in a private namespace and checked by the
 * project as a one-rule restore file. The test fails where iptables accepts and the project
 * reports an error, and where iptables rejects for a reason the project models and the
 * project reports none. Prints the agreement figures; NFRULES_SEED varies the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iptablesVerdicts, type VerdictCase } from './oracle';
import { Rng } from './generate';
import { needKernel, seedFor } from './gate';
import { RuleDocument } from '../../server/src/core/iptables/syntax/document';
import { analyze } from '../../server/src/core/iptables/checks/analysis';

const MUTANTS = Number(process.env.NFRULES_EXT_CASES ?? 2500);
const SHOW = Number(process.env.NFRULES_SHOW ?? 12);

/** Valid rules per extension, with the tables and chains where the kernel takes them. */
const BASE: { table: string; chain: string; args: string }[] = [
  { table: 'filter', chain: 'INPUT', args: '-p tcp --dport 22 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-p tcp -m tcp --sport 1024:65535 --dport 80 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-p tcp --syn -j DROP' },
  { table: 'filter', chain: 'INPUT', args: '-p tcp --tcp-flags SYN,ACK SYN -j DROP' },
  { table: 'filter', chain: 'INPUT', args: '-p udp --dport 53 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-p icmp --icmp-type echo-request -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m comment --comment hello -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m state --state NEW -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m addrtype --dst-type LOCAL -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m statistic --mode nth --every 3 --packet 1 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m statistic --mode random --probability 0.25 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m limit --limit 5/min --limit-burst 10 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m recent --rcheck --seconds 60 --hitcount 4 --name ssh -j DROP' },
  { table: 'filter', chain: 'INPUT', args: '-m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m mac --mac-source 00:11:22:33:44:55 -j ACCEPT' },
  { table: 'filter', chain: 'OUTPUT', args: '-m owner --uid-owner 0 -j ACCEPT' },
  { table: 'filter', chain: 'FORWARD', args: '-m physdev --physdev-in eth0 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m string --algo bm --string abc -j DROP' },
  { table: 'filter', chain: 'INPUT', args: '-m length --length 0:128 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m pkttype --pkt-type broadcast -j DROP' },
  { table: 'filter', chain: 'INPUT', args: '-m socket --transparent -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-m u32 --u32 0>>22&0x3C@12>>26&0x3C@0=0x47455420 -j DROP' },
  { table: 'filter', chain: 'INPUT', args: '-m hashlimit --hashlimit-upto 5/sec --hashlimit-name h --hashlimit-mode srcip -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-p tcp -m connlimit --connlimit-above 3 -j REJECT --reject-with tcp-reset' },
  { table: 'filter', chain: 'INPUT', args: '-j REJECT --reject-with icmp-host-prohibited' },
  { table: 'filter', chain: 'INPUT', args: '-j LOG --log-prefix x: --log-level 4' },
  { table: 'filter', chain: 'INPUT', args: '-j NFLOG --nflog-group 2' },
  { table: 'nat', chain: 'PREROUTING', args: '-p tcp -j DNAT --to-destination 10.0.0.1:8080' },
  { table: 'nat', chain: 'POSTROUTING', args: '-j SNAT --to-source 10.0.0.1' },
  { table: 'nat', chain: 'POSTROUTING', args: '-o eth0 -j MASQUERADE' },
  { table: 'nat', chain: 'PREROUTING', args: '-p tcp -j REDIRECT --to-ports 3128' },
  { table: 'nat', chain: 'PREROUTING', args: '-j NETMAP --to 10.1.0.0/24' },
  { table: 'mangle', chain: 'PREROUTING', args: '-p tcp -j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1' },
  { table: 'raw', chain: 'PREROUTING', args: '-j CT --notrack' },
  { table: 'raw', chain: 'OUTPUT', args: '-j NOTRACK' },
  { table: 'mangle', chain: 'FORWARD', args: '-p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu' },
  { table: 'mangle', chain: 'POSTROUTING', args: '-j CLASSIFY --set-class 1:10' },
  { table: 'mangle', chain: 'POSTROUTING', args: '-j CHECKSUM --checksum-fill' },
  { table: 'filter', chain: 'INPUT', args: '-j AUDIT --type drop' },
  { table: 'filter', chain: 'INPUT', args: '-j HMARK --hmark-tuple src --hmark-mod 4 --hmark-rnd 0x1' },
  { table: 'mangle', chain: 'PREROUTING', args: '-j MARK --set-mark 0x1' },
  { table: 'mangle', chain: 'PREROUTING', args: '-j CONNMARK --save-mark' },
  { table: 'filter', chain: 'INPUT', args: '-m mark --mark 0x1/0x1 -j ACCEPT' },
  { table: 'filter', chain: 'INPUT', args: '-s 10.0.0.0/8 -d 192.168.1.1 -i eth0 -j ACCEPT' },
  { table: 'filter', chain: 'OUTPUT', args: '-o eth0 -p udp -m udp --sport 68 -j ACCEPT' },
];

/** Address forms iptables-nft refuses (or takes) for reasons of the address alone: `!` with a list or a 0-bit mask, an empty list entry. */
const ADDRESSES: string[] = [
  '! -s 0.0.0.0/0 -j ACCEPT',
  '! -d 10.1.2.3/0',
  '! -s 0/0',
  '! -d 10.0.0.0/0.0.0.0',
  '-s 10.0.0.1 ! -d 0.0.0.0/00 -j DROP',
  '! -s 10.0.0.1,10.0.0.2 -j ACCEPT',
  '! -d 10.0.0.1,10.0.0.1',
  '-s 10.0.0.1, -j ACCEPT',
  '-d ,10.0.0.1',
  '! -s 10.0.0.0/1 -j ACCEPT',
  '! -d 10.0.0.0/255.0.255.0',
  '-s 0.0.0.0/0 -d 10.0.0.1,10.0.0.2 -j ACCEPT',
  '! -s 10.0.0.1/32',
];

/** u32 programs, right and wrong in each way its parser words (positions included). */
const U32_FORMS = [
  '0=1',
  '0&0xFF=1',
  '0>>22&0x3C@12>>26&0x3C@0=0x47455420',
  '0=1:2',
  '0=1,2,3',
  '0=1&&4=2',
  '0=',
  '=1',
  '0=x',
  '0=1:',
  '0=1,',
  '0&&1',
  '0=1&&',
  '0<1',
  '0>>=1',
  '0&=1',
  '0@@1=2',
  '0=1:2:3',
  '0=4294967295',
  '0=4294967296',
  '0=1,2,3,4,5,6,7,8,9,10,11',
  '0&1&2&3&4&5&6&7&8&9&10&11=1',
  '0&1&2&3&4&5&6&7&8&9&10=1',
  '0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1',
  '0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1',
  '010=1',
  '08=1',
  '0=08',
  '0=+1',
  '0= 1',
  '+0=1',
  '0 =1',
  '0& 1=1',
  '0x=1',
  '0=0x',
  '0=1 &&4=1',
  '0=1, 2',
  '0 ',
  '0 &1=1',
  '0=1:2,3:4&&4&0xff=7',
  '-1',
  '3:',
  '5/x',
  '0x10',
  '0=1 :2',
  '0>1=2',
  '0=1&4',
  '0=1&2=3',
  '0=&&1=1',
  '0=&1',
  '0&1&2&3&4&5&6&7&8&9&10',
  '0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1&&0=1',
  '0  x=1',
  '0=1  x',
  '0=1  :2',
  '0 &  x=1',
  '0=1,  x',
];

/** Random u32 programs from its own tokens (seeded): the parser's corners the list above misses. */
function genU32(r: Rng): string {
  const toks = ['0', '4', '0x3C', '22', '4294967295', '4294967296', '08', '=', '&', '<<', '>>', '<', '>', '@', ':', ',', '&&', ' ', '-1', '+2', 'x'];
  const n = r.range(1, 12);
  let out = '';
  for (let k = 0; k < n; k++) out += r.pick(toks);
  return out;
}

/** Port and option forms of the NAT targets and TPROXY, each judged by iptables here. */
const NAT_PORTS = [
  '80',
  '80-90',
  '90-80',
  '0',
  '65535',
  '65536',
  '80:90',
  '5/x',
  '80-',
  '-80',
  '1.2.3.4',
  '0x10',
  '080',
  '80-0',
  '80-65536',
  '+80',
  '1-2-3',
  '70000-80',
  '0x-1',
  '1-+2',
  '00-7',
  'http',
];
const TPROXY_CASES = [
  '--on-port 0',
  '--on-port 080',
  '--on-port +80',
  '--on-port 0x10',
  '--on-port 1:0',
  '--on-port -1',
  '--on-port 80x',
  '--on-port 1-2',
  '--on-port http',
  '--tproxy-mark 0x1/0x1',
  '! --on-port 3129',
  '--on-port 1 --on-port 1',
  '--on-port 1 --on-ip 10.0.0.1 --on-ip 10.0.0.1',
  '--on-port 1 --on-ip 10.0.0.1 --tproxy-mark 0x1',
];
const FIXED: VerdictCase[] = [
  ...ADDRESSES.map((a) => ({ table: 'filter', chain: 'INPUT', args: a.split(' ') })),
  ...NAT_PORTS.map((p) => ({ table: 'nat', chain: 'PREROUTING', args: ['-p', 'tcp', '-j', 'REDIRECT', '--to-ports', p] })),
  ...NAT_PORTS.map((p) => ({ table: 'nat', chain: 'POSTROUTING', args: ['-p', 'udp', '-j', 'MASQUERADE', '--to-ports', p] })),
  ...['0x10', '080', '+80', '65536', '70000', ' 80', '80x', '1:0x5', '-1', '1:', ':5', '0x10:5'].map((p) => ({
    table: 'filter',
    chain: 'INPUT',
    args: ['-p', 'udp', '--dport', p],
  })),
  ...['0x10', '080', '+80', '65536', ' 80', '80x', '1:0x5'].map((p) => ({ table: 'filter', chain: 'INPUT', args: ['-p', 'tcp', '--sport', p] })),
  ...[
    'x',
    '65536',
    '3:',
    '1:0',
    '10.0.0.1',
    '10.0.0.1-10.0.0.9',
    '10.1',
    '0x0a000001',
    '10.0.0.1-',
    '10.0.0.256',
    '0x10',
    '08',
    '0x0a000001-0x10',
    '1.2.3.4-x',
    '010.0.0.1',
    '+10.0.0.1',
    '10.0.0.1.',
    '1.2.3.4.5',
    '10..1',
    '10.0.0.01',
    '10.0.0.9-10.0.0.1',
    '10.1-10.0.0.1',
  ].map((v) => ({ table: 'filter', chain: 'INPUT', args: ['-m', 'iprange', '--dst-range', v] })),
  ...[
    '5',
    '5/sec',
    '5/s',
    '5/x',
    'x',
    '-1',
    '0',
    '99999999999',
    '1000000',
    '1000001',
    '1000000/sec',
    '60000000/minute',
    '60000001/minute',
    '5/hour',
    '5/m',
    '+5',
    '0x10',
    '5/sec/x',
    '5/S',
    '5/',
    '5/seco',
    '5/secs',
    '05',
    '5x',
    '2/DAY',
    '1500000b/s',
    '0b/s',
    'xb/s',
    '1kb/s',
    'b/s',
  ].map((v) => ({ table: 'filter', chain: 'INPUT', args: ['-m', 'hashlimit', '--hashlimit-name', 'h', '--hashlimit-above', v] })),
  ...[
    '--hmark-mod 0',
    '--hmark-mod 4294967296',
    '--hmark-mod 0x10',
    '--hmark-mod -1',
    '--hmark-rnd 4294967296',
    '--hmark-rnd x',
    '--hmark-offset 4294967296',
    '--hmark-offset 7',
    '--hmark-sport-mask 65536',
    '--hmark-dport-mask 0xffff',
    '--hmark-spi-mask 4294967296',
    '--hmark-tuple src,dst,sport,dport,spi,proto',
    '--hmark-tuple src,dst,spi',
    '--hmark-tuple ct',
    '--hmark-tuple src,x',
    '--hmark-spi-mask 1 --hmark-dport-mask 1',
    '--hmark-src-prefix 8',
    '--hmark-proto-mask 1',
    '--hmark-tuple SRC',
    '--hmark-tuple s',
    '--hmark-tuple sp',
    '--hmark-tuple Dst,SPort',
    '--hmark-tuple x,src',
  ].map((c) => ({
    table: 'filter',
    chain: 'INPUT',
    args: [
      '-j',
      'HMARK',
      ...(c.startsWith('--hmark-mod') ? [] : ['--hmark-mod', '4']),
      ...(c.startsWith('--hmark-rnd') ? [] : ['--hmark-rnd', '1']),
      ...c.split(' '),
    ],
  })),
  ...[
    'x',
    '255.255.0.0',
    '255.0.255.0',
    '-1',
    '0x8',
    '08',
    '',
    '8x',
    '255.255.0',
    '256.0.0.0',
    '+8',
    '33',
    '32',
    '010',
    '0xff.0xff.0.0',
    '255.08.0.0',
    '255.255.0.010',
  ].map((m) => ({ table: 'filter', chain: 'INPUT', args: ['-d', `10.0.0.0/${m}`] })),
  ...[
    '-p tcp -m tcp',
    '-p icmp --icmp-type echo-request',
    '-p icmp -m icmp --icmp-type any',
    '-p tcp --dport 80',
    '-p tcp -m tcp --dport 80',
    '-p udp -m udp',
    '-p udp -m udp --dport 53',
    '-p tcp --syn',
    '-p tcp --tcp-flags SYN SYN',
    '-p tcp --dport 80 -m tcp',
    '-p tcp --tcp-option 2',
    '-p tcp --dport 80 --tcp-option 2',
    '-p 6 -m tcp',
    '-p tcp -m udp --dport 1',
    '-p tcp ! --dport 80',
    '-p icmp',
  ].map((c) => ({ table: 'filter', chain: 'INPUT', args: ['!', ...c.split(' ')] })),
  // getopt's spellings of the core options: attached values, --name=value, long-name prefixes
  ...[
    '-ptcp',
    '--protocol=tcp',
    '-s10.0.0.1',
    '--source=10.0.0.1',
    '-d10.0.0.0/8',
    '-ieth0',
    '--in-interface=eth0',
    '-oeth0',
    '-jACCEPT',
    '--jump=ACCEPT',
    '-mcomment --comment x',
    '--match=comment --comment x',
    '--proto tcp',
    '--src 10.0.0.1',
    '--dst 10.0.0.1',
    '--so 10.0.0.1',
    '--in eth0',
    '--in-i eth0',
    '--j ACCEPT',
    '--ju ACCEPT',
    '-p tcp --dp 22',
    '-p tcp --d 22',
    '-p tcp --sport 1 --so 10.0.0.1',
    '-p tcp --dport=22',
    '-vj ACCEPT',
  ].map((c) => ({ table: 'filter', chain: 'INPUT', args: c.split(' ') })),
  ...['1:0', '1:2', '0-1', '1-0', '5', '4294967294', '4294967295', '0-4294967295', '2-1'].flatMap((v) =>
    ['uid-owner', 'gid-owner'].map((o) => ({ table: 'filter', chain: 'OUTPUT', args: ['-m', 'owner', `--${o}`, v] })),
  ),
  ...U32_FORMS.map((v) => ({ table: 'filter', chain: 'INPUT', args: ['-m', 'u32', '--u32', v] })),
  ...TPROXY_CASES.map((c) => ({ table: 'mangle', chain: 'PREROUTING', args: ['-p', 'tcp', '-j', 'TPROXY', ...c.split(' ')] })),
];

const CHAINS: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};
const NUMBERS = ['0', '-1', '65536', '4294967296', '99999999999', '0x10', '1:0', 'x', '', '5/x', '3:'];

function mutate(r: Rng, base: (typeof BASE)[number]): VerdictCase {
  let table = base.table;
  let chain = base.chain;
  const w = base.args.split(' ');
  const opts = w.map((x, i) => (x.startsWith('-') && !/^-\d/.test(x) ? i : -1)).filter((i) => i >= 0);
  const pick = <T>(xs: T[]): T => xs[r.int(xs.length)];
  switch (r.int(6)) {
    case 0: {
      // drop an argument (the word after an option)
      const i = pick(opts);
      if (i + 1 < w.length && !w[i + 1].startsWith('-')) w.splice(i + 1, 1);
      break;
    }
    case 1: {
      // duplicate an option with its argument
      const i = pick(opts);
      const seg = [w[i]];
      for (let k = i + 1; k < w.length && !w[k].startsWith('-'); k++) seg.push(w[k]);
      w.splice(i + seg.length, 0, ...seg);
      break;
    }
    case 2:
      table = pick(Object.keys(CHAINS));
      chain = pick(CHAINS[table]);
      break;
    case 3:
      chain = pick(CHAINS[table]);
      break;
    case 4: {
      // corrupt a number
      const nums = w.map((x, i) => (/\d/.test(x) && !x.startsWith('-') ? i : -1)).filter((i) => i >= 0);
      if (nums.length) w[pick(nums)] = pick(NUMBERS);
      break;
    }
    case 5: {
      // a `!` before an option, or after it (the old syntax)
      const i = pick(opts);
      if (r.chance(0.5)) w.splice(i, 0, '!');
      else w.splice(i + 1, 0, '!');
      break;
    }
  }
  return { table, chain, args: w.filter((x) => x !== '') };
}

/** iptables refusals whose reason the project does not model (system state, names, loading). */
const UNMODELLED = [
  /^Couldn't load/,
  /does not exist/,
  /not found$/,
  /No such file or directory/,
  /^Set .* doesn't exist/,
  /^unknown protocol/,
  /invalid port\/service `[A-Za-z]/,
  /^Port "[A-Za-z]/,
  /Bad value for "--uid-owner"/,
  /^Port `[A-Za-z]/,
  /Bad IP address/,
  /host\/network/,
];

/**
 * Refusals the project does not model yet: value syntaxes it does not parse (u32 programs,
 * HMARK and TPROXY values, NAT/REDIRECT port syntax, hashlimit rates, iprange hex forms),
 * and rules whose kernel refusal depends on more than the extension (mask forms). Counted
 * and printed apart, not failures; each is a next step.
 */
const NOT_YET = [/^getaddrinfo/, /^RULE_APPEND failed/, /^NETMAP: /];

function projectFindings(c: VerdictCase): { errors: string[]; versionWarning: boolean } {
  const q = (a: string) => (/[\s"]/.test(a) || a === '' ? `"${a}"` : a);
  const doc = new RuleDocument(`*${c.table}\n-A ${c.chain} ${c.args.map(q).join(' ')}\nCOMMIT\n`, 'save');
  const fs = analyze(doc).findings;
  return { errors: fs.filter((f) => f.severity === 'error').map((f) => f.message), versionWarning: fs.some((f) => f.code === 'attached-argument') };
}

test(`extensions: ${BASE.length} valid rules, ${MUTANTS} mutants and ${FIXED.length} fixed forms (addresses and masks, ports, ! -p with protocol matches, TPROXY, iprange, hashlimit, HMARK), project == iptables (real append)`, async (t) => {
  if (!needKernel(t)) return;
  const seed = seedFor('ext', 0x5eed_e404);
  const r = new Rng(seed);
  const cases: VerdictCase[] = [...BASE.map((b) => ({ table: b.table, chain: b.chain, args: b.args.split(' ') }))];
  for (let i = 0; i < MUTANTS; i++) cases.push(mutate(r, BASE[r.int(BASE.length)]));
  cases.push(...FIXED);
  for (let i = 0; i < 300; i++) cases.push({ table: 'filter', chain: 'INPUT', args: ['-m', 'u32', '--u32', genU32(r)] });
  // the fixed and u32 forms were written from iptables' messages: where both refuse, the words must match too
  const exact = new Set(cases.slice(cases.length - FIXED.length - 300));
  const t0 = Date.now();
  const verdicts = await iptablesVerdicts(cases);
  console.log(`[ext] iptables: ${cases.length} verdicts in ${Date.now() - t0} ms`);
  const tally = {
    bothAccept: 0,
    bothReject: 0,
    sameMessage: 0,
    projectErrorIptablesAccepts: 0,
    iptablesRejectsProjectSilent: 0,
    unmodelled: 0,
    notYet: 0,
    versionDependent: 0,
  };
  const bad: string[] = [];
  const gaps: string[] = [];
  cases.forEach((c, i) => {
    const v = verdicts[i];
    const { errors: errs, versionWarning } = projectFindings(c);
    const show = `-t ${c.table} -A ${c.chain} ${c.args.join(' ')}`;
    if (v.ok && !errs.length) tally.bothAccept++;
    else if (!v.ok && errs.length) {
      tally.bothReject++;
      const first = v.message.split('\n')[0];
      if (errs.includes(first) || (first.startsWith('RULE_APPEND failed') && errs.some((e) => e.startsWith(first.replace(/: rule in chain.*/, '')))))
        tally.sameMessage++;
      else if (exact.has(c)) bad.push(`${show}: iptables says "${first}", the project "${errs[0]}"`);
    } else if (v.ok) {
      tally.projectErrorIptablesAccepts++;
      bad.push(`${show}: iptables accepts, project: ${errs.join(' / ')}`);
    } else if (versionWarning)
      tally.versionDependent++; // 1.8.9 refuses what later versions read (warned: attached-argument)
    else if (UNMODELLED.some((re) => re.test(v.message))) tally.unmodelled++;
    else if (NOT_YET.some((re) => re.test(v.message))) {
      tally.notYet++;
      gaps.push(`${show}: iptables: ${v.message.replace(/\n/g, ' / ')}`);
    } else {
      tally.iptablesRejectsProjectSilent++;
      bad.push(`${show}: iptables: ${v.message.replace(/\n/g, ' / ')}, project: no error`);
    }
  });
  const agree = tally.bothAccept + tally.bothReject;
  console.log(
    `[ext] ${cases.length} cases: ${agree} agree (${((100 * agree) / cases.length).toFixed(1)}%): ${tally.bothAccept} both accept, ${tally.bothReject} both reject (${tally.sameMessage} with iptables' first message), ${tally.unmodelled} rejected for reasons not modelled (system state, names), ${tally.versionDependent} refused by 1.8.9 only (attached values: warned), ${tally.notYet} known gaps (NOT_YET), ${tally.projectErrorIptablesAccepts} project errors iptables accepts, ${tally.iptablesRejectsProjectSilent} modelled rejections the project misses`,
  );
  for (const g of [...new Set(gaps)].slice(0, SHOW)) console.log(`[ext] gap ${g}`);
  const uniq = [...new Set(bad)];
  for (const b of uniq.slice(0, SHOW)) console.log(`[ext] MISMATCH ${b}`);
  if (uniq.length > SHOW) console.log(`[ext] ... and ${uniq.length - SHOW} more`);
  assert.equal(bad.length, 0, `${bad.length} disagreements (seed ${seed}); first: ${bad[0]}`);
});
