/**
 * The kernel oracle: asks the running Linux kernel (through Debian's iptables, nf_tables
 * backend, and iproute2) what a mark rule really does, in a private network namespace.
 *
 * Method (see shared reference marks.md, "Asking the kernel"): every case gets its own UDP
 * destination port. In mangle OUTPUT, a per-port chain sets the starting nfmark and ctmark
 * and then applies the rule under test; in filter OUTPUT, a per-port chain holds 32
 * `-m mark --mark bit/bit` and 32 `-m connmark --mark bit/bit` probes. One datagram per port
 * is sent to 127.0.0.1 from inside the namespace; the probes whose packet counter is 1 spell
 * the marks the packet left with. Hundreds of cases share one iptables-restore load.
 *
 * Needs root, `ip`, `iptables`, `iptables-restore`, `iptables-save` (and `nft` for the
 * nftables helpers). Every namespace made here is deleted again, also on failure and at exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MarkCase {
  args: string[];
  nfmark: number;
  ctmark: number;
}
export interface Marks {
  nfmark: number;
  ctmark: number;
}
export interface OracleError {
  error: string;
}
export interface VerdictCase {
  table: string;
  chain: string;
  args: string[];
}
export interface Verdict {
  ok: boolean;
  message: string;
}

const FULL = 0xffffffff;
/** Cases per iptables-restore load. */
const BATCH = 1000;
const PORT_BASE = 10000;

// ---------------------------------------------------------------------------------------
// processes

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}

// ---------------------------------------------------------------------------------------
// availability

let availability: { ok: true } | { ok: false; why: string } | undefined;

/** Whether this machine can run the kernel oracle; the answer is computed once. */
export function kernelAvailability(): { ok: true } | { ok: false; why: string } {
  if (availability) return availability;
  availability = probeAvailability();
  return availability;
}

function probeAvailability(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: `platform is ${process.platform}, not linux` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, why: 'not running as root' };
  for (const [cmd, arg] of [
    ['ip', '-V'],
    ['iptables', '--version'],
    ['iptables-restore', '--version'],
    ['iptables-save', '--version'],
  ] as const) {
    const r = spawnSync(cmd, [arg], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return { ok: false, why: `\`${cmd} ${arg}\` failed: ${r.error?.message ?? r.stderr.trim()}` };
  }
  const name = `nfrules-avail-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) return { ok: false, why: `cannot create a network namespace: ${add.stderr.trim()}` };
  try {
    const r = spawnSync('ip', ['netns', 'exec', name, 'iptables-save'], { encoding: 'utf8' });
    if (r.status !== 0) return { ok: false, why: `iptables-save in a namespace failed: ${r.stderr.trim()}` };
  } finally {
    spawnSync('ip', ['netns', 'del', name]);
  }
  return { ok: true };
}

/** Whether `nft` (the nftables package) is installed. */
export function nftAvailable(): boolean {
  const r = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

// ---------------------------------------------------------------------------------------
// namespaces

const live = new Set<string>();
let exitHookInstalled = false;
let nsCounter = 0;

function cleanupSync(): void {
  for (const name of live) spawnSync('ip', ['netns', 'del', name]);
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanupSync();
      // without other listeners, die of the signal as node would have
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, onSignal);
  }
  removeStale();
}

/** Deletes namespaces left by an oracle process that no longer runs (killed with -9). */
function removeStale(): void {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^(nfrules-(?:k|avail-)(\d+)(?:-\d+)?)\b/.exec(line);
    if (!m || Number(m[2]) === process.pid) continue;
    let alive = true;
    try {
      process.kill(Number(m[2]), 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) spawnSync('ip', ['netns', 'del', m[1]]);
  }
}

/** A scratch network namespace with lo up; call destroy() when done (withNetns does). */
export class Netns {
  private constructor(readonly name: string) {}

  static async create(): Promise<Netns> {
    installExitHook();
    const name = `nfrules-k${process.pid}-${++nsCounter}`;
    const add = await run('ip', ['netns', 'add', name]);
    if (add.code !== 0) throw new Error(`ip netns add ${name}: ${add.stderr.trim()}`);
    live.add(name);
    const ns = new Netns(name);
    const up = await ns.exec('ip', ['link', 'set', 'lo', 'up']);
    if (up.code !== 0) {
      await ns.destroy();
      throw new Error(`ip link set lo up: ${up.stderr.trim()}`);
    }
    return ns;
  }

  exec(cmd: string, args: string[], input?: string): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], input);
  }

  async destroy(): Promise<void> {
    if (!live.has(this.name)) return;
    live.delete(this.name);
    await run('ip', ['netns', 'del', this.name]);
  }
}

export async function withNetns<T>(fn: (ns: Netns) => Promise<T>): Promise<T> {
  const ns = await Netns.create();
  try {
    return await fn(ns);
  } finally {
    await ns.destroy();
  }
}

// ---------------------------------------------------------------------------------------
// iptables messages and restore-file quoting

/**
 * iptables' error message without the `iptables v1.8.9 (nf_tables): ` prefix, the
 * `Try \`iptables -h' ...` line and iptables-restore's `Error occurred at line: N`.
 */
export function normalizeIptablesMessage(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/^Try `ip6?tables(-restore)? -h'/.test(l) && !/^Error occurred at line: \d+$/.test(l))
    .map((l) => l.replace(/^ip6?tables(-restore)? v[0-9.]+ \([^)]*\): ?/, ''))
    .join('\n')
    .trim();
}

/** One argv word as iptables-restore reads it back, or null where it cannot be written. */
export function restoreWord(a: string): string | null {
  if (/["'\\\n\r\v\f\0]/.test(a)) return null;
  if (a === '' || /[ \t]/.test(a)) return `"${a}"`;
  return a;
}

function restoreLine(prefix: string, args: string[]): string | null {
  const words: string[] = [];
  for (const a of args) {
    const w = restoreWord(a);
    if (w === null) return null;
    words.push(w);
  }
  return words.length ? `${prefix} ${words.join(' ')}` : prefix;
}

// ---------------------------------------------------------------------------------------
// verdicts: does iptables accept a rule?

/** Single-quoted for bash: every byte literal. */
const shq = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/**
 * A bash inside a namespace that runs commands sent on its stdin and answers each with
 * `rc NUL stderr NUL`: one fork of a small shell per command instead of one of node.
 */
class ShellWorker {
  private readonly child;
  private buf = '';
  private waiting: ((r: { code: number; stderr: string }) => void)[] = [];
  private fields: string[] = [];
  private constructor(ns: Netns) {
    this.child = spawn('ip', ['netns', 'exec', ns.name, 'bash', '--noprofile', '--norc', '-s'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => {
      this.buf += d;
      let z: number;
      while ((z = this.buf.indexOf('\0')) >= 0) {
        this.fields.push(this.buf.slice(0, z));
        this.buf = this.buf.slice(z + 1);
        if (this.fields.length === 2) {
          const [rc, err] = this.fields;
          this.fields = [];
          this.waiting.shift()?.({ code: Number(rc), stderr: err });
        }
      }
    });
  }
  static start(ns: Netns): ShellWorker {
    return new ShellWorker(ns);
  }
  run(argv: string[]): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      const cmd = argv.map(shq).join(' ');
      this.child.stdin.write(`out=$(${cmd} 2>&1 >/dev/null); rc=$?; printf '%s\\0%s\\0' "$rc" "$out"\n`, (e) => e && reject(e));
    });
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.child.on('close', () => resolve());
      this.child.stdin.end();
    });
  }
}

/**
 * `iptables -t T -A CHAIN ...args` for each case, argv passed exactly (bash single quotes);
 * `workers` shells, each in a namespace of its own.
 */
async function verdictsIn(nss: Netns[], cases: VerdictCase[]): Promise<Verdict[]> {
  const out: Verdict[] = new Array(cases.length);
  let next = 0;
  const work = async (ns: Netns): Promise<void> => {
    const sh = ShellWorker.start(ns);
    const tables = new Set<string>();
    let sinceFlush = 0;
    try {
      for (;;) {
        const i = next++;
        if (i >= cases.length) return;
        const c = cases[i];
        const r = await sh.run(['iptables', '-t', c.table, '-A', c.chain, ...c.args]);
        out[i] = { ok: r.code === 0, message: normalizeIptablesMessage(r.stderr) };
        if (r.code === 0) {
          tables.add(c.table);
          // keep the ruleset small: the nf_tables backend reads it back on every call
          if (++sinceFlush >= 100) {
            sinceFlush = 0;
            for (const t of tables) await sh.run(['iptables', '-t', t, '-F']);
          }
        }
      }
    } finally {
      await sh.close();
    }
  };
  await Promise.all(nss.map(work));
  return out;
}

/**
 * Whether iptables accepts each rule (`iptables -t T -A CHAIN ...args` in a scratch
 * namespace) and the message it prints, normalized (see normalizeIptablesMessage).
 */
export async function iptablesVerdicts(cases: VerdictCase[]): Promise<Verdict[]> {
  if (cases.length === 0) return [];
  if (cases.length < 50) return withNetns((ns) => verdictsIn([ns], cases));
  return withNetns((a) => withNetns((b) => verdictsIn([a, b], cases)));
}

// ---------------------------------------------------------------------------------------
// isolating rules the kernel or iptables refuses

/**
 * Loads `-A OUTPUT <args>` for every case into mangle (a real load, so the kernel's checks
 * run too) and returns the indexes that fail, each with the message iptables prints for the
 * rule (`iptables -t mangle -A OUTPUT ...args`). Rules that iptables-restore cannot express
 * (odd characters), or failures without a line number, are checked with iptables itself.
 */
async function isolateBad(ns: Netns, argsList: string[][]): Promise<Map<number, string>> {
  const bad = new Map<number, string>();
  const suspects: number[] = [];
  let cur: number[] = [];
  argsList.forEach((args, i) => (restoreLine('-A OUTPUT', args) === null ? suspects : cur).push(i));
  // line-number driven: each failed load names the line; drop that case and load the rest
  while (cur.length > 0) {
    const lines = ['*mangle', ...cur.map((i) => restoreLine('-A OUTPUT', argsList[i]) as string), 'COMMIT', ''];
    const r = await ns.exec('iptables-restore', [], lines.join('\n'));
    if (r.code === 0) break;
    const m = /Error occurred at line: (\d+)/.exec(r.stderr) ?? /^line (\d+):/m.exec(r.stderr);
    const at = m ? Number(m[1]) - 2 : -1; // line 1 is *mangle
    if (at < 0 || at >= cur.length) {
      suspects.push(...cur); // no usable line number: ask iptables about each
      break;
    }
    bad.set(cur[at], normalizeIptablesMessage(r.stderr));
    cur = cur.filter((_, k) => k !== at);
  }
  const check = [...bad.keys(), ...suspects];
  if (check.length) {
    await ns.exec('iptables-restore', [], '*mangle\nCOMMIT\n');
    const v = await verdictsIn(
      [ns],
      check.map((i) => ({ table: 'mangle', chain: 'OUTPUT', args: argsList[i] })),
    );
    check.forEach((i, k) => {
      if (!v[k].ok) bad.set(i, v[k].message);
      else if (!bad.has(i) && restoreLine('-A OUTPUT', argsList[i]) === null) {
        bad.set(i, 'oracle: iptables accepts this rule but iptables-restore cannot express it');
      }
      // a restore failure that iptables accepts keeps restore's message
    });
    await ns.exec('iptables-restore', [], '*mangle\nCOMMIT\n');
  }
  return bad;
}

// ---------------------------------------------------------------------------------------
// iptables-save -c parsing

/** Packet counters per chain, in rule order, from `iptables-save -c` output. */
export function parseCounters(save: string): Map<string, { table: string; counts: number[]; rules: string[] }> {
  const chains = new Map<string, { table: string; counts: number[]; rules: string[] }>();
  let table = '';
  for (const line of save.split('\n')) {
    const c0 = line.charCodeAt(0);
    if (c0 === 42 /* * */) {
      table = line.slice(1).trim();
      continue;
    }
    if (c0 !== 91 /* [ */) continue;
    const colon = line.indexOf(':');
    const close = line.indexOf('] -A ', colon);
    if (colon < 0 || close < 0) continue;
    const pk = Number(line.slice(1, colon));
    const rest = line.slice(close + 5);
    const sp = rest.indexOf(' ');
    const chain = sp < 0 ? rest : rest.slice(0, sp);
    const key = `${table}/${chain}`;
    let e = chains.get(key);
    if (!e) chains.set(key, (e = { table, counts: [], rules: [] }));
    e.counts.push(pk);
    e.rules.push(sp < 0 ? '' : rest.slice(sp + 1));
  }
  return chains;
}

// ---------------------------------------------------------------------------------------
// sending the datagrams

const SENDER = `
const d = require('dgram').createSocket('udp4');
const base = Number(process.argv[1]), n = Number(process.argv[2]);
let left = n, failed = 0;
d.on('error', (e) => { console.error(String(e)); process.exitCode = 1; });
const payload = Buffer.from('nfrules');
if (n === 0) d.close();
for (let i = 0; i < n; i++) {
  d.send(payload, base + i, '127.0.0.1', (e) => {
    if (e) { failed++; console.error(String(e)); }
    if (--left === 0) { d.close(); if (failed) process.exitCode = 1; }
  });
}
`;

async function sendDatagrams(ns: Netns, base: number, n: number): Promise<void> {
  const r = await ns.exec(process.execPath, ['-e', SENDER, String(base), String(n)]);
  if (r.code !== 0) throw new Error(`sending datagrams failed: ${r.stderr.trim()}`);
}

// ---------------------------------------------------------------------------------------
// the probe harness

/** Filter-table probe chains P<i> for ports base..base+n-1. */
function probeLines(n: number, base: number): string[] {
  const bits: string[] = [];
  for (let b = 0; b < 32; b++) bits.push(hex((1 << b) >>> 0) + '/' + hex((1 << b) >>> 0));
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; i < n; i++) lines.push(`:P${i} - [0:0]`);
  for (let i = 0; i < n; i++) {
    lines.push(`-A OUTPUT -p udp --dport ${base + i} -j P${i}`);
    for (const bm of bits) lines.push(`-A P${i} -m mark --mark ${bm}`);
    for (const bm of bits) lines.push(`-A P${i} -m connmark --mark ${bm}`);
  }
  lines.push('COMMIT');
  return lines;
}

/** Packet counters of the filter OUTPUT jumps, by probe chain name. */
function jumpCounts(chains: ReturnType<typeof parseCounters>): Map<string, number> {
  const out = new Map<string, number>();
  const o = chains.get('filter/OUTPUT');
  o?.rules.forEach((r, k) => {
    const m = / -j (P\d+)$/.exec(r);
    if (m) out.set(m[1], o.counts[k]);
  });
  return out;
}

function readProbes(chains: ReturnType<typeof parseCounters>, jumps: Map<string, number>, i: number): Marks | OracleError {
  const jump = jumps.get(`P${i}`);
  const p = chains.get(`filter/P${i}`);
  if (jump !== 1 || !p || p.counts.length !== 64) {
    return { error: `oracle: the datagram for case ${i} did not reach the probes (jump counter ${jump})` };
  }
  let nf = 0;
  let ct = 0;
  for (let b = 0; b < 32; b++) {
    if (p.counts[b] === 1) nf |= 1 << b;
    else if (p.counts[b] !== 0) return { error: `oracle: probe counter ${p.counts[b]}` };
    if (p.counts[32 + b] === 1) ct |= 1 << b;
    else if (p.counts[32 + b] !== 0) return { error: `oracle: probe counter ${p.counts[32 + b]}` };
  }
  return { nfmark: nf >>> 0, ctmark: ct >>> 0 };
}

type Kind = 'target' | 'match';

type Counters = ReturnType<typeof parseCounters>;

/** Counters of `now` less those of `before` (same rules), for the filter-table probes. */
function probeDelta(now: Counters, before: Counters | undefined): Counters {
  if (!before) return now;
  const out: Counters = new Map();
  for (const [k, v] of now) {
    const b = v.table === 'filter' ? before.get(k) : undefined; // mangle is reloaded per batch
    out.set(k, b ? { ...v, counts: v.counts.map((c, j) => c - (b.counts[j] ?? 0)) } : v);
  }
  return out;
}

/**
 * One batch (at most BATCH cases) in namespace ns, whose filter table already holds the
 * probes (targets); `before` holds the probe counters left by the previous batch.
 */
async function evalBatch(
  ns: Netns,
  cases: MarkCase[],
  kind: Kind,
  before: Counters | undefined,
): Promise<{ results: (Marks | boolean | OracleError)[]; after: Counters }> {
  const bad = await isolateBad(
    ns,
    cases.map((c) => c.args),
  );
  const ok = (i: number): boolean => !bad.has(i);
  const mangle = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]'];
  cases.forEach((_, i) => ok(i) && mangle.push(`:C${i} - [0:0]`));
  cases.forEach((c, i) => {
    if (!ok(i)) return;
    mangle.push(`-A OUTPUT -p udp --dport ${PORT_BASE + i} -j C${i}`);
    mangle.push(`-A C${i} -j MARK --set-xmark ${hex(c.nfmark)}/${hex(FULL)}`);
    mangle.push(`-A C${i} -j CONNMARK --set-xmark ${hex(c.ctmark)}/${hex(FULL)}`);
    mangle.push(restoreLine(`-A C${i}`, c.args) as string);
  });
  mangle.push('COMMIT', '');
  const load = await ns.exec('iptables-restore', [], mangle.join('\n'));
  if (load.code !== 0) throw new Error(`oracle: loading the batch failed: ${load.stderr.trim()}`);
  await sendDatagrams(ns, PORT_BASE, cases.length);
  const save = await ns.exec('iptables-save', ['-c']);
  if (save.code !== 0) throw new Error(`iptables-save -c failed: ${save.stderr.trim()}`);
  const after = parseCounters(save.stdout);
  const chains = probeDelta(after, before);
  const jumps = jumpCounts(chains);
  const results = cases.map((_, i): Marks | boolean | OracleError => {
    const err = bad.get(i);
    if (err !== undefined) return { error: err };
    const c = chains.get(`mangle/C${i}`);
    if (!c || c.counts.length !== 3 || c.counts[0] !== 1) {
      return { error: `oracle: the datagram for case ${i} was not seen in mangle (${c?.counts.join(',')})` };
    }
    if (kind === 'match') return c.counts[2] === 1;
    if (c.counts[2] !== 1) return { error: `oracle: the rule under test did not run (counter ${c.counts[2]})` };
    return readProbes(chains, jumps, i);
  });
  return { results, after };
}

async function loadProbes(ns: Netns, n: number): Promise<void> {
  const r = await ns.exec('iptables-restore', [], probeLines(n, PORT_BASE).join('\n') + '\n');
  if (r.code !== 0) throw new Error(`oracle: loading the probes failed: ${r.stderr.trim()}`);
}

async function evalAll(cases: MarkCase[], kind: Kind): Promise<(Marks | boolean | OracleError)[]> {
  if (cases.length === 0) return [];
  const out: (Marks | boolean | OracleError)[] = [];
  await withNetns(async (ns) => {
    if (kind === 'target') await loadProbes(ns, Math.min(BATCH, cases.length));
    let before: Counters | undefined;
    for (let s = 0; s < cases.length; s += BATCH) {
      const r = await evalBatch(ns, cases.slice(s, s + BATCH), kind, before);
      out.push(...r.results);
      before = r.after;
    }
  });
  return out;
}

/**
 * The marks a packet leaves with after a target rule (`['-j','MARK','--or-mark','0x4000']`)
 * when it entered with nfmark/ctmark; `{ error }` with iptables' message if the rule is refused.
 */
export async function kernelEvalTargets(cases: MarkCase[]): Promise<(Marks | OracleError)[]> {
  return (await evalAll(cases, 'target')) as (Marks | OracleError)[];
}

/** Whether a match (`['-m','mark','!','--mark','0x1/0x3']`) matches a packet with these marks. */
export async function kernelEvalMatches(cases: MarkCase[]): Promise<(boolean | OracleError)[]> {
  return (await evalAll(cases, 'match')) as (boolean | OracleError)[];
}

// ---------------------------------------------------------------------------------------
// what iptables-save prints for a rule

/** Loads each rule as the only rule of chain C<i> in mangle; returns the refused ones. */
async function loadOnePerChain(ns: Netns, batch: string[][]): Promise<Map<number, string>> {
  const bad = await isolateBad(ns, batch);
  const lines = ['*mangle'];
  batch.forEach((_, i) => !bad.has(i) && lines.push(`:C${i} - [0:0]`));
  batch.forEach((a, i) => !bad.has(i) && lines.push(`-A OUTPUT -j C${i}`, restoreLine(`-A C${i}`, a) as string));
  lines.push('COMMIT', '');
  const load = await ns.exec('iptables-restore', [], lines.join('\n'));
  if (load.code !== 0) throw new Error(`oracle: loading failed: ${load.stderr.trim()}`);
  return bad;
}

/**
 * The rule part iptables-save prints for each rule loaded as `-A OUTPUT <args>` in mangle
 * (e.g. `-j MARK --set-xmark 0x4000/0x4000`), or `{ error }` if the rule is refused.
 */
export async function kernelSaved(argsList: string[][]): Promise<(string | OracleError)[]> {
  if (argsList.length === 0) return [];
  return withNetns(async (ns) => {
    const out: (string | OracleError)[] = [];
    for (let s = 0; s < argsList.length; s += BATCH) {
      const batch = argsList.slice(s, s + BATCH);
      const bad = await loadOnePerChain(ns, batch);
      const save = await ns.exec('iptables-save', ['-t', 'mangle']);
      const byChain = new Map<string, string>();
      for (const line of save.stdout.split('\n')) {
        const m = /^-A (C\d+) (.*)$/.exec(line);
        if (m) byChain.set(m[1], m[2]);
      }
      batch.forEach((_, i) => {
        const err = bad.get(i);
        out.push(err !== undefined ? { error: err } : (byChain.get(`C${i}`) ?? { error: 'oracle: rule not found in iptables-save' }));
      });
    }
    return out;
  });
}

/**
 * What `iptables -n -L` prints in its last column for each rule (e.g. `MARK or 0x4000`,
 * `mark match ! 0x1/0x3`), or `{ error }` if the rule is refused.
 */
export async function kernelListed(argsList: string[][]): Promise<(string | OracleError)[]> {
  if (argsList.length === 0) return [];
  return withNetns(async (ns) => {
    const out: (string | OracleError)[] = [];
    for (let s = 0; s < argsList.length; s += BATCH) {
      const batch = argsList.slice(s, s + BATCH);
      const bad = await loadOnePerChain(ns, batch);
      const list = await ns.exec('iptables', ['-t', 'mangle', '-n', '-L']);
      const byChain = new Map<string, string>();
      let chain = '';
      for (const line of list.stdout.split('\n')) {
        const c = /^Chain (\S+) /.exec(line);
        if (c) {
          chain = c[1];
          continue;
        }
        if (!/^C\d+$/.test(chain) || line.startsWith('target ') || line === '') continue;
        // target(10) prot opt source destination, then the extensions' own text
        const m = /^.{10} \S+\s+\S+\s+\S+\s+\S+ +/.exec(line);
        const src = line.indexOf('0.0.0.0/0');
        const dst = line.indexOf('0.0.0.0/0', src + 1);
        if (!m || src < 0 || dst < 0) continue;
        byChain.set(chain, line.slice(dst + 21));
      }
      batch.forEach((_, i) => {
        const err = bad.get(i);
        out.push(err !== undefined ? { error: err } : (byChain.get(`C${i}`) ?? { error: 'oracle: rule not found in iptables -L' }));
      });
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------
// nftables statements

export interface NftCase {
  /** One nft statement, e.g. `meta mark set mark or 0x4000`. */
  stmt: string;
  nfmark: number;
  ctmark: number;
}

/**
 * The marks a packet leaves with after an nft statement (in an `ip` table chain hooked at
 * output, priority mangle), read with the same iptables bit probes; `{ error }` with nft's
 * message where nft refuses the statement.
 */
export async function kernelEvalNft(cases: NftCase[]): Promise<(Marks | OracleError)[]> {
  if (cases.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-nft-'));
  try {
    return await withNetns(async (ns) => {
      const out: (Marks | OracleError)[] = [];
      for (let s = 0; s < cases.length; s += BATCH) out.push(...(await nftBatch(ns, dir, cases.slice(s, s + BATCH))));
      return out;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function nftFile(cases: NftCase[], use: (i: number) => boolean): { text: string; lineOf: Map<number, number> } {
  const lines = ['table ip nfrules_oracle {'];
  const lineOf = new Map<number, number>();
  const vmap: string[] = [];
  cases.forEach((c, i) => {
    if (!use(i)) return;
    lines.push(`  chain c${i} {`);
    lines.push(`    meta mark set ${hex(c.nfmark)}`);
    lines.push(`    ct mark set ${hex(c.ctmark)}`);
    lines.push(`    ${c.stmt}`);
    lineOf.set(lines.length, i); // 1-based line number of the statement
    lines.push('  }');
    vmap.push(`${PORT_BASE + i} : jump c${i}`);
  });
  lines.push('  chain out {', '    type filter hook output priority mangle; policy accept;');
  if (vmap.length) lines.push(`    udp dport vmap { ${vmap.join(', ')} }`);
  lines.push('  }', '}', '');
  return { text: lines.join('\n'), lineOf };
}

/** Records nft's error message per refused case (by the line it names); returns how many. */
function nftErrors(stderr: string, lineOf: Map<number, number>, bad: Map<number, string>): number {
  let found = 0;
  for (const b of stderr.split(/(?=^[^\s:]+:\d+:\d+(?:-\d+)?: )/m)) {
    const m = /^[^\s:]+:(\d+):\d+(?:-\d+)?: (.*)$/m.exec(b);
    if (!m) continue;
    const i = lineOf.get(Number(m[1]));
    if (i !== undefined && !bad.has(i)) {
      bad.set(i, m[2].trim());
      found++;
    }
  }
  return found;
}

async function nftBatch(ns: Netns, dir: string, cases: NftCase[]): Promise<(Marks | OracleError)[]> {
  const bad = new Map<number, string>();
  const path = join(dir, 'rules.nft');
  // check; nft reports every bad statement with its line, so few rounds are needed
  for (let round = 0; ; round++) {
    const { text, lineOf } = nftFile(cases, (i) => !bad.has(i));
    writeFileSync(path, text);
    const r = await ns.exec('nft', ['-c', '-f', path]);
    if (r.code === 0) break;
    const found = nftErrors(r.stderr, lineOf, bad);
    if (found === 0 || round > 100) throw new Error(`oracle: nft refused the batch: ${r.stderr.trim()}`);
  }
  const { text } = nftFile(cases, (i) => !bad.has(i));
  writeFileSync(path, text);
  await ns.exec('nft', ['flush', 'ruleset']);
  await loadProbes(ns, cases.length);
  const l2 = await ns.exec('nft', ['-f', path]);
  if (l2.code !== 0) throw new Error(`oracle: nft -f failed: ${l2.stderr.trim()}`);
  await sendDatagrams(ns, PORT_BASE, cases.length);
  const save = await ns.exec('iptables-save', ['-c', '-t', 'filter']);
  const chains = parseCounters(save.stdout);
  const jumps = jumpCounts(chains);
  return cases.map((_, i) => {
    const err = bad.get(i);
    return err !== undefined ? { error: err } : readProbes(chains, jumps, i);
  });
}

/** `nft list table ip nfrules_oracle` after loading the statement, one chain per case. */
export async function nftListBack(stmts: string[]): Promise<(string | OracleError)[]> {
  const res: (string | OracleError)[] = [];
  await withNetns(async (ns) => {
    for (const stmt of stmts) {
      const file = `table ip t {\n  chain c {\n    ${stmt}\n  }\n}\n`;
      const r = await ns.exec('nft', ['-f', '-'], file);
      if (r.code !== 0) {
        res.push({ error: r.stderr.trim() });
        continue;
      }
      const l = await ns.exec('nft', ['list', 'chain', 'ip', 't', 'c']);
      const m = /chain c \{\n\s*([^\n]*)\n/.exec(l.stdout);
      res.push(m ? m[1].trim() : { error: `cannot read back: ${l.stdout}` });
      await ns.exec('nft', ['flush', 'ruleset']);
    }
  });
  return res;
}

export interface NftMatchCase {
  /** One nft match expression, e.g. `meta mark and 0x3 == 0x1`. */
  expr: string;
  nfmark: number;
  ctmark: number;
}

/** Whether an nft match expression matches a packet with these marks (by an nft counter). */
export async function kernelEvalNftMatches(cases: NftMatchCase[]): Promise<(boolean | OracleError)[]> {
  if (cases.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'nfrules-nft-'));
  try {
    return await withNetns(async (ns) => {
      const out: (boolean | OracleError)[] = [];
      for (let s = 0; s < cases.length; s += BATCH) {
        const batch = cases.slice(s, s + BATCH);
        const stmts = batch.map((c) => ({ stmt: `${c.expr} counter`, nfmark: c.nfmark, ctmark: c.ctmark }));
        const bad = new Map<number, string>();
        const path = join(dir, 'rules.nft');
        for (let round = 0; ; round++) {
          const { text, lineOf } = nftFile(stmts, (i) => !bad.has(i));
          writeFileSync(path, text);
          const r = await ns.exec('nft', ['-c', '-f', path]);
          if (r.code === 0) break;
          const found = nftErrors(r.stderr, lineOf, bad);
          if (found === 0 || round > 100) throw new Error(`oracle: nft refused the batch: ${r.stderr.trim()}`);
        }
        await ns.exec('nft', ['flush', 'ruleset']);
        const l = await ns.exec('nft', ['-f', path]);
        if (l.code !== 0) throw new Error(`oracle: nft -f failed: ${l.stderr.trim()}`);
        await sendDatagrams(ns, PORT_BASE, batch.length);
        const list = await ns.exec('nft', ['list', 'table', 'ip', 'nfrules_oracle']);
        const counters = new Map<number, number>();
        let cur = -1;
        for (const line of list.stdout.split('\n')) {
          const c = /^\s*chain c(\d+) \{/.exec(line);
          if (c) cur = Number(c[1]);
          const k = /counter packets (\d+)/.exec(line);
          if (k && cur >= 0) counters.set(cur, Number(k[1]));
        }
        batch.forEach((_, i) => {
          const err = bad.get(i);
          if (err !== undefined) return out.push({ error: err });
          const n = counters.get(i);
          out.push(n === undefined ? { error: 'oracle: counter not found' } : n === 1);
        });
      }
      return out;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
