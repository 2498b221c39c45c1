/**
 * The packet harness: sends one real packet through a rule file loaded in a private network
 * namespace and reads back what the kernel did with it, for the walk differential test.
 *
 * Topology (two namespaces joined by a veth pair; addresses from the documentation ranges):
 *
 *   sender S                       namespace under test T (ip_forward=1, rp_filter=0)
 *   vsn0 10.77.0.2/32  <-- veth -->  vth0 10.77.0.1/24
 *   sink0, sink1 (no address) <-->   dum0, dum1 (veth pairs, no ARP: what goes out there is lost)
 *   default via 10.77.0.1            dum0 192.0.2.1/24, route 198.51.100.0/24, 172.16.0.0/12
 *                                    dum1 203.0.113.1/24, route 10.0.0.0/8
 *
 * - OUTPUT hook: the packet is sent from inside T on a raw socket (IP_HDRINCL, so the source
 *   can be anything) with SO_MARK giving its starting nfmark; the route picks the `out`
 *   interface (vth0, dum0 or dum1; S swallows what comes out of dum0 and dum1).
 * - PREROUTING hook: the packet is forged in S (raw socket, any source) and enters T on vth0
 *   (`in`); its starting nfmark is set by an nft chain at priority -350, before raw (-300),
 *   since crossing namespaces clears the mark. It ends in T (a local address) or is forwarded
 *   out of a dummy.
 *
 * - INPUT, FORWARD, POSTROUTING hooks (nft chains in T, outside iptables' tables): the packet
 *   is forged in S (INPUT: to one of T's addresses; FORWARD: to a routed one) or, for
 *   POSTROUTING, either that or sent from T (`via: 'local'`). A chain at priority -300 of the
 *   walked hook (before mangle, -150; after conntrack made the entry) counts it, sets its
 *   starting nfmark AND ctmark (so the walk's sample ctmark is the kernel's) and drops any
 *   other packet entering the hook; a chain at a priority after the hook's last iptables table
 *   (INPUT 200, after nat at 100; FORWARD 200, after security at 50; POSTROUTING 300, after
 *   srcnat at 100) sees whether the packet got through and reads its final marks with 32 + 32
 *   bit-test counters in nft (so nft is shown to see the marks iptables set). No iptables
 *   probes: the walked file may use every chain of the hook.
 *
 * What is read back, per case (one packet, identified by source, protocol and length):
 * - counters: `iptables-save -c`, matched back to the rule lines of the walked file (a rule
 *   with `-s a,b` / `-d c,d` is several kernel rules: their counters are summed);
 * - the verdict: whether the packet got past the hook, seen by a counting rule in a chain that
 *   runs after it (mangle POSTROUTING after OUTPUT; mangle INPUT / FORWARD after PREROUTING);
 * - the final marks: that counting rule jumps to a probe chain of 32 `-m mark --mark bit/bit`
 *   and 32 `-m connmark --mark bit/bit` rules (shared reference marks.md, "Asking the kernel").
 *
 * Commands run through one python3 helper per namespace (JSON lines on stdin/stdout) that
 * sends packets and runs iptables-restore / iptables-save / nft, so a case costs a few
 * fork+execs and no `ip netns exec` or interpreter start-up.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { TABLES } from '../../server/src/core/iptables/knowledge/commands';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Netns, parseCounters } from './oracle';

export type KHook = 'OUTPUT' | 'PREROUTING' | 'INPUT' | 'FORWARD' | 'POSTROUTING';
/** Hooks whose starting marks are set and final marks read by nft chains in the hook itself. */
export const NFT_PROBED: ReadonlySet<KHook> = new Set<KHook>(['INPUT', 'FORWARD', 'POSTROUTING']);
export type Proto = 'udp' | 'tcp' | 'icmp';

/** Names and addresses of the topology (see the file comment). */
export const TOPO = {
  tIn: 'vth0',
  sIf: 'vsn0',
  tAddr: '10.77.0.1',
  sAddr: '10.77.0.2',
  dum0: { name: 'dum0', addr: '192.0.2.1', routes: ['192.0.2.0/24', '198.51.100.0/24', '172.16.0.0/12'] },
  dum1: { name: 'dum1', addr: '203.0.113.1', routes: ['203.0.113.0/24', '10.0.0.0/8'] },
  /** T's own addresses (a PREROUTING packet to one of them goes to INPUT). */
  local: ['10.77.0.1', '192.0.2.1', '203.0.113.1'],
} as const;

/** One packet as sent. */
export interface KPacket {
  proto: Proto;
  src: string;
  dst: string;
  /** udp/tcp ports (ignored for icmp). */
  sport: number;
  dport: number;
  /** ICMP echo id / TCP sequence number. */
  id: number;
  /** Starting nfmark (SO_MARK for OUTPUT; an nft chain before raw for PREROUTING). */
  nfmark: number;
  /** IP total length; the probes pick the packet out by it. */
  len: number;
  /**
   * INPUT, FORWARD, POSTROUTING: the ctmark the connection has when the packet enters the hook
   * (set with the nfmark by an nft chain at priority -300 of the hook, after conntrack).
   */
  ctmark?: number;
  /** POSTROUTING: sent from T (`local`, through OUTPUT) or from S and forwarded (default). */
  via?: 'local' | 'forward';
}

/** The IP id the helper gives the packet (the nft chains pick it out by it: NAT keeps it). */
export const ipId = (p: KPacket): number => p.id & 0xffff || 1;

/** Whether the packet is sent from T (through OUTPUT) rather than forged in S. */
export const sentFromT = (hook: KHook, p: KPacket): boolean => hook === 'OUTPUT' || (hook === 'POSTROUTING' && p.via === 'local');

/** The interface the route in T picks for a destination sent from T (OUTPUT). */
export function outInterface(dst: string): string {
  const [a, b, c] = dst.split('.').map(Number);
  if (a === 10 && b === 77 && c === 0) return TOPO.tIn;
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 172 && b >= 16 && b < 32)) return TOPO.dum0.name;
  return TOPO.dum1.name;
}

export interface KernelRun {
  /** iptables-restore refused the file (message); nothing else is set then. */
  loadError?: string;
  /** Packet counter per rule line (0-based) of the walked file, summed over its kernel rules. */
  counts: Map<number, number>;
  /** Kernel rules per rule line (more than 1 for address lists). */
  expansions: Map<number, number>;
  /** Policy counters of built-in chains: `table/chain` -> packets. */
  policies: Map<string, number>;
  /** Whether the packet got past the hook (seen after it). */
  passed: boolean;
  /** Where it was seen after the hook. */
  seenIn?: 'POSTROUTING' | 'INPUT' | 'FORWARD';
  /** Final marks, read by the probes (only when passed). */
  marks?: { nfmark: number; ctmark: number };
  /** sendto's error (EPERM when OUTPUT drops the packet). */
  sendError?: string;
  /** Other packets that entered the hook during the case (kept out of iptables' tables). */
  others?: number;
  /** The raw `iptables-save -c` text (for failure messages). */
  save: string;
  /** The file loaded into the kernel (walked file plus probes). */
  loaded: string;
}

const hex = (n: number): string => '0x' + (n >>> 0).toString(16);

// ---------------------------------------------------------------------------------------
// the python helper

const HELPER = String.raw`
import sys, json, socket, struct, subprocess
SO_MARK = 36
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def build(m):
    src = socket.inet_aton(m['src']); dst = socket.inet_aton(m['dst']); L = m['len']; p = m['proto']
    if p == 'udp':
        pay = b'n' * (L - 28); ul = 8 + len(pay)
        h = struct.pack('!HHHH', m['sport'], m['dport'], ul, 0)
        c = csum(src + dst + struct.pack('!BBH', 0, 17, ul) + h + pay) or 0xffff
        l4 = struct.pack('!HHHH', m['sport'], m['dport'], ul, c) + pay; pn = 17
    elif p == 'tcp':
        pay = b'n' * (L - 40)
        h = struct.pack('!HHIIBBHHH', m['sport'], m['dport'], m['id'], 0, 5 << 4, 0x02, 65535, 0, 0)
        tl = len(h) + len(pay)
        c = csum(src + dst + struct.pack('!BBH', 0, 6, tl) + h + pay)
        l4 = struct.pack('!HHIIBBHHH', m['sport'], m['dport'], m['id'], 0, 5 << 4, 0x02, 65535, c, 0) + pay; pn = 6
    else:
        pay = b'n' * (L - 28)
        h = struct.pack('!BBHHH', 8, 0, 0, m['id'] & 0xffff, 1)
        c = csum(h + pay)
        l4 = struct.pack('!BBHHH', 8, 0, c, m['id'] & 0xffff, 1) + pay; pn = 1
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), m['id'] & 0xffff or 1, 0, 64, pn, 0, src, dst)
    return ip + l4
for line in sys.stdin:
    m = json.loads(line)
    try:
        if m['op'] == 'send':
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            s.setsockopt(socket.SOL_SOCKET, SO_MARK, struct.pack('I', m.get('mark', 0)))
            try:
                s.sendto(build(m), (m['dst'], 0)); r = {'ok': True}
            except OSError as e:
                r = {'ok': False, 'err': '%s (errno %d)' % (e.strerror, e.errno)}
            s.close()
        else:
            out = []
            for c in m['cmds']:
                p = subprocess.run(c['argv'], input=c.get('input', ''), capture_output=True, text=True)
                out.append({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr})
            r = {'ok': True, 'res': out}
    except Exception as e:
        import traceback
        r = {'ok': False, 'err': 'helper: %r %s %s' % (e, traceback.format_exc().replace(chr(10), ' | '), line)}
    sys.stdout.write(json.dumps(r) + '\n'); sys.stdout.flush()
`;

let pythonPath: string | undefined;
function python(): string {
  if (pythonPath) return pythonPath;
  // resolve the real interpreter once (a pyenv shim is a slow shell script)
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  pythonPath = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : 'python3';
  return pythonPath;
}

/** Whether python3 is there (the helper needs it). */
export function pythonAvailable(): boolean {
  return spawnSync(python(), ['-c', 'pass']).status === 0;
}

interface CmdResult {
  rc: number;
  out: string;
  err: string;
}

class Helper {
  private buf = '';
  private waiting: ((v: any) => void)[] = [];
  private dead: string | undefined;
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.waiting.shift()?.(JSON.parse(line));
      }
    });
    const err: string[] = [];
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => err.push(d));
    child.on('close', () => {
      this.dead = `helper exited: ${err.join('').trim()}`;
      for (const w of this.waiting.splice(0)) w({ ok: false, err: this.dead });
    });
    child.stdin.on('error', () => undefined);
  }
  static start(ns: Netns, script: string): Helper {
    const child = spawn('ip', ['netns', 'exec', ns.name, python(), '-u', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new Helper(child);
  }
  private ask(msg: object): Promise<any> {
    if (this.dead) return Promise.resolve({ ok: false, err: this.dead });
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(JSON.stringify(msg) + '\n');
    });
  }
  async run(...cmds: { argv: string[]; input?: string }[]): Promise<CmdResult[]> {
    const r = await this.ask({ op: 'cmds', cmds });
    if (!r.ok) throw new Error(r.err);
    return r.res;
  }
  async send(p: KPacket): Promise<string | undefined> {
    const r = await this.ask({
      op: 'send',
      proto: p.proto,
      src: p.src,
      dst: p.dst,
      sport: p.sport,
      dport: p.dport,
      id: p.id,
      len: p.len,
      mark: p.nfmark >>> 0,
    });
    return r.ok ? undefined : String(r.err);
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.dead) return resolve();
      this.child.on('close', () => resolve());
      this.child.stdin.end();
    });
  }
}

// ---------------------------------------------------------------------------------------
// the kernel file: the walked file plus the probes

/** The chains after the hook where the iptables probes sit, by hook (nft probes for the others). */
const PROBE_AT: Record<KHook, string[]> = { OUTPUT: ['POSTROUTING'], PREROUTING: ['INPUT', 'FORWARD'], INPUT: [], FORWARD: [], POSTROUTING: [] };

function probeLines(hook: KHook, p: KPacket): { decl: string[]; rules: string[] } {
  const decl: string[] = [];
  const rules: string[] = [];
  for (const at of PROBE_AT[hook]) {
    const ch = `NFRPROBE-${at}`;
    decl.push(`:${ch} - [0:0]`);
    rules.push(`-A ${at} -s ${p.src}/32 -p ${p.proto} -m length --length ${p.len} -j ${ch}`);
    for (let b = 0; b < 32; b++) rules.push(`-A ${ch} -m mark --mark ${hex(2 ** b)}/${hex(2 ** b)}`);
    for (let b = 0; b < 32; b++) rules.push(`-A ${ch} -m connmark --mark ${hex(2 ** b)}/${hex(2 ** b)}`);
  }
  return { decl, rules };
}

/** Words of a save-file line, enough to find -s/-d values (quotes kept out). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] ?? m[2]);
  return out;
}

/** Kernel rules iptables-restore makes of a rule line: |-s list| x |-d list|. */
export function expansionsOf(line: string): number {
  const w = words(line);
  let s = 1;
  let d = 1;
  for (let i = 0; i < w.length - 1; i++) {
    if (w[i] === '-s' || w[i] === '--source' || w[i] === '--src') s = w[i + 1].split(',').length;
    if (w[i] === '-d' || w[i] === '--destination' || w[i] === '--dst') d = w[i + 1].split(',').length;
  }
  return s * d;
}

export interface RuleRef {
  line: number;
  table: string;
  chain: string;
  /** Index of its first kernel rule in the chain. */
  first: number;
  expansions: number;
}

/** The `-A` rules of a save file with where iptables-restore puts them. */
export function ruleRefs(text: string): RuleRef[] {
  const refs: RuleRef[] = [];
  const next = new Map<string, number>();
  let table = '';
  text.split('\n').forEach((raw, line) => {
    const l = raw.replace(/\r$/, '');
    if (l.startsWith('*')) {
      table = l.slice(1).trim();
      for (const k of [...next.keys()]) if (k.startsWith(table + '/')) next.delete(k);
      return;
    }
    const m = /^-A (\S+)/.exec(l);
    if (!m) return;
    const key = `${table}/${m[1]}`;
    const first = next.get(key) ?? 0;
    const e = expansionsOf(l);
    next.set(key, first + e);
    refs.push({ line, table, chain: m[1], first, expansions: e });
  });
  return refs;
}

/**
 * The walked file with the probes added for this hook and packet, and every table present
 * (iptables-restore only replaces the tables a file names). Throws when the walked file has
 * rules of its own in a chain the probes use.
 */
export function kernelFile(text: string, hook: KHook, p: KPacket): string {
  const lines = text
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''));
  const probe = probeLines(hook, p);
  const seen = new Set<string>();
  const out: string[] = [];
  let table = '';
  let mangleDone = false;
  for (const l of lines) {
    if (l.startsWith('*')) {
      table = l.slice(1).trim();
      seen.add(table);
      out.push(l);
      continue;
    }
    if (table === 'mangle') {
      for (const at of PROBE_AT[hook])
        if (l.startsWith(`-A ${at} `) || l === `-A ${at}`) throw new Error(`the walked file has rules in mangle ${at}, where the probes sit`);
      if (!mangleDone && (l.startsWith('-') || l === 'COMMIT')) {
        out.push(...probe.decl, ...probe.rules);
        mangleDone = true;
      }
    }
    if (l === 'COMMIT') table = '';
    out.push(l);
  }
  for (const t of Object.keys(TABLES)) {
    if (seen.has(t)) continue;
    out.push(`*${t}`, ...TABLES[t].map((c) => `:${c} ACCEPT [0:0]`));
    if (t === 'mangle') out.push(...probe.decl, ...probe.rules);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

/**
 * nft table (outside iptables' tables) that sets the starting nfmark of the PREROUTING packet
 * before raw and counts it; for OUTPUT, lets only the test packet through.
 */
function initNft(hook: KHook, p: KPacket | undefined): string {
  const lines = ['add table ip nfrules_init', 'delete table ip nfrules_init', 'table ip nfrules_init {'];
  if (hook === 'OUTPUT' && p) {
    // only the test packet enters OUTPUT's tables: a packet the kernel makes on the way (the
    // ICMP error or TCP reset of a REJECT) would pass them too and add to their counters
    lines.push('  chain out {', '    type filter hook output priority -500; policy accept;');
    lines.push(`    ip saddr ${p.src} ip protocol ${p.proto} meta length ${p.len} counter accept`);
    lines.push('    counter drop', '  }');
  }
  if (hook === 'PREROUTING' && p) {
    lines.push('  chain pre {', '    type filter hook prerouting priority -350; policy accept;');
    lines.push(`    ip saddr ${p.src} ip protocol ${p.proto} meta length ${p.len} counter meta mark set ${hex(p.nfmark)} accept`);
    // nothing else reaches iptables' tables (counted: noise would show there)
    lines.push('    counter drop', '  }');
  }
  if (p && NFT_PROBED.has(hook)) lines.push(...nftProbe(hook, p));
  lines.push('}', '');
  return lines.join('\n');
}

/** The nft hook and priorities of the start chain and of the probe chain, by hook. */
const NFT_AT: Partial<Record<KHook, { hook: string; after: number }>> = {
  INPUT: { hook: 'input', after: 200 },
  FORWARD: { hook: 'forward', after: 200 },
  POSTROUTING: { hook: 'postrouting', after: 300 },
};

/**
 * nft chains for a hook read by nft (inside table nfrules_init): keep strays out before the
 * hook, set the starting marks at -300 in the hook, read verdict and marks after its tables.
 * Every counter has a comment naming it (`in`, `stray`, `start`, `hookstray`, `seen`,
 * `nf0`..`nf31`, `ct0`..`ct31`).
 */
function nftProbe(hook: KHook, p: KPacket): string[] {
  const at = NFT_AT[hook]!;
  const pick = `ip saddr ${p.src} ip protocol ${p.proto} meta length ${p.len} ip id ${ipId(p)}`;
  const L: string[] = [];
  if (sentFromT(hook, p)) {
    L.push('  chain keep {', '    type filter hook output priority -500; policy accept;');
  } else {
    L.push('  chain keep {', '    type filter hook prerouting priority -350; policy accept;');
  }
  L.push(`    ${pick} counter accept comment "in"`, '    counter drop comment "stray"', '  }');
  L.push('  chain start {', `    type filter hook ${at.hook} priority -300; policy accept;`);
  L.push(`    ${pick} counter meta mark set ${hex(p.nfmark)} ct mark set ${hex(p.ctmark ?? 0)} accept comment "start"`);
  // nothing else enters the walked hook's tables (ICMP errors, redirects, replies of T)
  L.push('    counter drop comment "hookstray"', '  }');
  L.push('  chain probe {');
  for (let b = 0; b < 32; b++) L.push(`    meta mark & ${hex(2 ** b)} == ${hex(2 ** b)} counter comment "nf${b}"`);
  for (let b = 0; b < 32; b++) L.push(`    ct mark & ${hex(2 ** b)} == ${hex(2 ** b)} counter comment "ct${b}"`);
  L.push('  }');
  L.push('  chain seen {', `    type filter hook ${at.hook} priority ${at.after}; policy accept;`);
  L.push(`    ip protocol ${p.proto} meta length ${p.len} ip id ${ipId(p)} counter jump probe comment "seen"`, '  }');
  return L;
}

/** The named counters of `nft list table ip nfrules_init`. */
export function nftCounters(listing: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of listing.split('\n')) {
    const m = /counter packets (\d+) .*comment "([^"]+)"/.exec(l);
    if (m) out.set(m[2], Number(m[1]));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// the lab

export class PacketLab {
  private id = 0;
  private constructor(
    readonly t: Netns,
    readonly s: Netns,
    private readonly ht: Helper,
    private readonly hs: Helper,
    private readonly dir: string,
  ) {}

  static async create(): Promise<PacketLab> {
    const dir = mkdtempSync(join(tmpdir(), 'nfrules-pk-'));
    const script = join(dir, 'helper.py');
    writeFileSync(script, HELPER);
    const t = await Netns.create();
    let s: Netns | undefined;
    try {
      s = await Netns.create();
      const sh = async (ns: Netns, cmd: string): Promise<void> => {
        const r = await ns.exec('sh', ['-ec', cmd]);
        if (r.code !== 0) throw new Error(`topology: ${cmd}: ${r.stderr.trim()}`);
      };
      await sh(t, `ip link add ${TOPO.tIn} type veth peer name ${TOPO.sIf} netns ${s.name}`);
      const tcmds = [
        `ip addr add ${TOPO.tAddr}/24 dev ${TOPO.tIn}`,
        `ip link set ${TOPO.tIn} up`,
        // no dummy module here: veth pairs whose other ends sit (unaddressed) in S
        `ip link add ${TOPO.dum0.name} type veth peer name sink0 netns ${s.name}`,
        `ip link add ${TOPO.dum1.name} type veth peer name sink1 netns ${s.name}`,
        `ip link set ${TOPO.dum0.name} arp off`,
        `ip link set ${TOPO.dum1.name} arp off`,
        `ip addr add ${TOPO.dum0.addr}/24 dev ${TOPO.dum0.name}`,
        `ip addr add ${TOPO.dum1.addr}/24 dev ${TOPO.dum1.name}`,
        `ip link set ${TOPO.dum0.name} up`,
        `ip link set ${TOPO.dum1.name} up`,
        ...TOPO.dum0.routes.filter((r) => !r.startsWith('192.0.2.')).map((r) => `ip route add ${r} dev ${TOPO.dum0.name}`),
        ...TOPO.dum1.routes.filter((r) => !r.startsWith('203.0.113.')).map((r) => `ip route add ${r} dev ${TOPO.dum1.name}`),
        'sysctl -qw net.ipv4.ip_forward=1',
        'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > $f; done',
        'sysctl -qw net.ipv4.conf.all.accept_local=0',
      ];
      await sh(t, tcmds.join('\n'));
      const mac = (await t.exec('cat', [`/sys/class/net/${TOPO.tIn}/address`])).stdout.trim();
      const smac = (await s.exec('cat', [`/sys/class/net/${TOPO.sIf}/address`])).stdout.trim();
      await sh(
        s,
        [
          // a /32: everything S sends goes through T, 10.77.0.x included
          `ip addr add ${TOPO.sAddr}/32 dev ${TOPO.sIf}`,
          `ip link set ${TOPO.sIf} up`,
          `ip route add ${TOPO.tAddr} dev ${TOPO.sIf}`,
          'ip link set sink0 up',
          'ip link set sink1 up',
          `ip route add default via ${TOPO.tAddr}`,
          // no ARP on the way: the packet is in T when sendto returns
          `ip neigh replace ${TOPO.tAddr} lladdr ${mac} dev ${TOPO.sIf} nud permanent`,
        ].join('\n'),
      );
      await sh(t, `ip neigh replace ${TOPO.sAddr} lladdr ${smac} dev ${TOPO.tIn} nud permanent`);
      const ht = Helper.start(t, script);
      const hs = Helper.start(s, script);
      return new PacketLab(t, s, ht, hs, dir);
    } catch (e) {
      await s?.destroy();
      await t.destroy();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** A fresh number per packet (ports, ICMP ids): every packet starts a new connection. */
  nextId(): number {
    return ++this.id;
  }

  /** Runs commands in T through the helper. */
  runInT(...cmds: { argv: string[]; input?: string }[]): Promise<CmdResult[]> {
    return this.ht.run(...cmds);
  }

  /** Loads a restore file as is into T (flushing the tables it names); the error message or undefined. */
  async load(text: string): Promise<string | undefined> {
    const [r] = await this.ht.run({ argv: ['iptables-restore'], input: text });
    return r.rc === 0 ? undefined : r.err.trim();
  }

  /** Sends the packet (from T for OUTPUT and local POSTROUTING, else from S); sendto's error or undefined. */
  send(hook: KHook, p: KPacket): Promise<string | undefined> {
    return (sentFromT(hook, p) ? this.ht : this.hs).send(p);
  }

  /** `iptables-save -c` in T. */
  async save(): Promise<string> {
    const [r] = await this.ht.run({ argv: ['iptables-save', '-c'] });
    if (r.rc !== 0) throw new Error(`iptables-save -c: ${r.err.trim()}`);
    return r.out;
  }

  /**
   * One case: loads the walked file (plus probes) into T, sends the packet through `hook`,
   * and reads back counters, verdict and marks.
   */
  async runCase(hook: KHook, walked: string, p: KPacket): Promise<KernelRun> {
    const loaded = kernelFile(walked, hook, p);
    const counts = new Map<number, number>();
    const expansions = new Map<number, number>();
    const policies = new Map<string, number>();
    const base: KernelRun = { counts, expansions, policies, passed: false, save: '', loaded };
    const [ld, nft] = await this.ht.run({ argv: ['iptables-restore'], input: loaded }, { argv: ['nft', '-f', '-'], input: initNft(hook, p) });
    if (ld.rc !== 0) return { ...base, loadError: ld.err.trim() };
    if (nft.rc !== 0) throw new Error(`nft init table: ${nft.err.trim()}`);
    const sendError = await this.send(hook, p);
    const [sv, nl] = await this.ht.run({ argv: ['iptables-save', '-c'] }, { argv: ['nft', 'list', 'table', 'ip', 'nfrules_init'] });
    if (sv.rc !== 0) throw new Error(`iptables-save -c: ${sv.err.trim()}`);
    if (NFT_PROBED.has(hook)) return this.readNft(hook, p, walked, base, sv.out, nl.out, sendError);
    const counters = [...nl.out.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    const others = counters[1] ?? 0;
    if (hook === 'PREROUTING') {
      const m = /counter packets (\d+)/.exec(nl.out);
      if (!m || m[1] !== '1')
        throw new Error(`harness: the forged packet did not arrive in T exactly once (nft counter ${m?.[1]}; send: ${sendError ?? 'ok'})`);
    } else {
      if (sendError && !/Operation not permitted/.test(sendError)) throw new Error(`harness: sendto failed: ${sendError}`);
      const m = /counter packets (\d+)/.exec(nl.out);
      if (!m || m[1] !== '1') throw new Error(`harness: the packet was not seen in OUTPUT exactly once (nft counter ${m?.[1]})`);
    }
    const chains = readCounters(walked, sv.out, base);
    const run: KernelRun = { ...base, save: sv.out, sendError, others };
    for (const at of PROBE_AT[hook]) {
      const pc = chains.get(`mangle/NFRPROBE-${at}`);
      const jump = chains.get(`mangle/${at}`)?.counts[0] ?? 0;
      if (jump === 0) continue;
      if (jump !== 1 || !pc || pc.counts.length !== 64) throw new Error(`harness: probe jump in mangle ${at} counted ${jump}`);
      if (run.passed) throw new Error('harness: the packet was seen after the hook twice');
      let nf = 0;
      let ct = 0;
      for (let b = 0; b < 32; b++) {
        if (pc.counts[b] === 1) nf |= 1 << b;
        if (pc.counts[32 + b] === 1) ct |= 1 << b;
      }
      run.passed = true;
      run.seenIn = at as KernelRun['seenIn'];
      run.marks = { nfmark: nf >>> 0, ctmark: ct >>> 0 };
    }
    return run;
  }

  /** The read-back of a hook probed by nft (see nftProbe). */
  private readNft(hook: KHook, p: KPacket, walked: string, base: KernelRun, save: string, listing: string, sendError: string | undefined): KernelRun {
    const c = nftCounters(listing);
    const n = (k: string): number => {
      const v = c.get(k);
      if (v === undefined) throw new Error(`harness: nft counter ${k} missing in:\n${listing}`);
      return v;
    };
    if (sendError && !(sentFromT(hook, p) && /Operation not permitted/.test(sendError))) throw new Error(`harness: sendto failed: ${sendError}`);
    if (n('in') !== 1)
      throw new Error(
        `harness: the packet did not ${sentFromT(hook, p) ? 'leave T' : 'arrive in T'} exactly once (nft counter ${n('in')}; send: ${sendError ?? 'ok'})`,
      );
    if (n('start') !== 1)
      throw new Error(`harness: the packet did not enter ${hook} exactly once (nft counter ${n('start')}): the topology does not route it there`);
    readCounters(walked, save, base);
    const seen = n('seen');
    if (seen > 1) throw new Error(`harness: the packet was seen after ${hook} ${seen} times`);
    const run: KernelRun = { ...base, save, sendError, others: n('stray') + n('hookstray'), passed: seen === 1 };
    if (seen === 1) {
      let nf = 0;
      let ct = 0;
      for (let b = 0; b < 32; b++) {
        if (n(`nf${b}`) === 1) nf |= 1 << b;
        if (n(`ct${b}`) === 1) ct |= 1 << b;
      }
      run.seenIn = hook as KernelRun['seenIn'];
      run.marks = { nfmark: nf >>> 0, ctmark: ct >>> 0 };
    }
    return run;
  }

  async destroy(): Promise<void> {
    await Promise.all([this.ht.close(), this.hs.close()]);
    await this.s.destroy();
    await this.t.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Fills the run's counters and policies from `iptables-save -c`; the chains' counters. */
function readCounters(walked: string, save: string, run: KernelRun): ReturnType<typeof parseCounters> {
  const chains = parseCounters(save);
  for (const r of ruleRefs(walked)) {
    const c = chains.get(`${r.table}/${r.chain}`);
    if (!c || c.counts.length < r.first + r.expansions)
      throw new Error(`harness: line ${r.line + 1} (${r.table}/${r.chain} rule ${r.first + 1}) not found in iptables-save -c`);
    let n = 0;
    for (let k = 0; k < r.expansions; k++) n += c.counts[r.first + k];
    run.counts.set(r.line, n);
    run.expansions.set(r.line, r.expansions);
  }
  let table = '';
  for (const l of save.split('\n')) {
    if (l.startsWith('*')) table = l.slice(1).trim();
    const m = /^:(\S+) (ACCEPT|DROP) \[(\d+):\d+\]/.exec(l);
    if (m) run.policies.set(`${table}/${m[1]}`, Number(m[3]));
  }
  return chains;
}

export async function withPacketLab<T>(fn: (lab: PacketLab) => Promise<T>): Promise<T> {
  const lab = await PacketLab.create();
  try {
    return await fn(lab);
  } finally {
    await lab.destroy();
  }
}
