/**
 * The mark-bit map of a rule set: for every rule that writes or tests nfmark or ctmark, the
 * exact bits it sets, clears, flips, copies or tests; the rules grouped by owner (known
 * software, recognised by chain name, comment, nft table or a distinctive value; else by
 * table/chain); the bits where owners collide; and the warnings the bit arithmetic proves.
 *
 * Language-neutral: an extractor (iptables: ../iptables/checks/marksMap.ts; nft: ../nftables/checks/marksMap.ts) turns
 * rules into `MarkAccess` records, whose effects come from `writeEffects` (any function of
 * (nfmark, ctmark) that netfilter can compute: every mark statement is affine over GF(2)
 * bit by bit, so 65 evaluations describe it exactly) and `testEffects`. Pure.
 */
import { MarkOp, MarkState, applyMarkOp } from './marks';
import { MarkOwner, MarkSpace, ownerById, ownerOfChain, ownerOfComment, ownerOfValue } from './owners';

export type Mark = MarkSpace;
export const MARKS: readonly Mark[] = ['nfmark', 'ctmark'];
const FULL = 0xffffffff;

/** Where an output bit's new value comes from, for bits that are not constants. */
export interface BitSource {
  /** The output bit. */
  bit: number;
  from: Mark;
  fromBit: number;
  /** The source bit is inverted. */
  invert: boolean;
  /** The output is its own old value xor the source (a copy into bits outside the destination mask). */
  xor: boolean;
}

/** What one rule does to one mark. Bit sets are unsigned 32-bit masks. */
export interface MarkWrite {
  mark: Mark;
  /** Forced to 1. */
  set: number;
  /** Forced to 0. */
  cleared: number;
  /** Always inverted. */
  flipped: number;
  /** Taken from another bit or the other mark (see `sources`). */
  copied: number;
  sources: BitSource[];
  /** Every bit whose value can change: set | cleared | flipped | copied. */
  changed: number;
}

/** What one match tests. */
export interface MarkTest {
  mark: Mark;
  value: number;
  mask: number;
  invert: boolean;
  /** The bits whose flip can change the verdict. */
  tested: number;
  /** Bits that are 1 in every mark the match accepts. */
  requiresOne: number;
  /** The verdict never depends on the mark (a value bit outside the mask). */
  constant: boolean;
}

const bitCount = (x: number): number => {
  let n = 0;
  for (let v = x >>> 0; v; v = (v & (v - 1)) >>> 0) n++;
  return n;
};
const u = (x: number) => x >>> 0;

/**
 * The exact effect of a mark computation on both marks, found by evaluating it on zero and
 * on each of the 64 single-bit inputs. Exact for every affine function over GF(2), which
 * every netfilter mark statement is ((x & ~m) ^ v, shifts, copies between the marks, and
 * and/or/xor with constants). Bits depending on two inputs besides themselves (none of
 * netfilter's) are reported as copied from each.
 */
export function writeEffects(f: (s: MarkState) => MarkState): MarkWrite[] {
  const zero = f({ nfmark: 0, ctmark: 0 });
  const c: Record<Mark, number> = { nfmark: u(zero.nfmark), ctmark: u(zero.ctmark) };
  // deps[out mark][out bit] = inputs it depends on
  const deps: Record<Mark, { from: Mark; bit: number }[][]> = { nfmark: [], ctmark: [] };
  for (const m of MARKS) for (let j = 0; j < 32; j++) deps[m].push([]);
  for (const from of MARKS) {
    for (let k = 0; k < 32; k++) {
      const e = 2 ** k;
      const r = f(from === 'nfmark' ? { nfmark: e, ctmark: 0 } : { nfmark: 0, ctmark: e });
      for (const m of MARKS) {
        let d = u(u(r[m]) ^ c[m]);
        while (d) {
          const j = 31 - Math.clz32(d);
          deps[m][j].push({ from, bit: k });
          d = u(d & ~(2 ** j));
        }
      }
    }
  }
  const out: MarkWrite[] = [];
  for (const m of MARKS) {
    const w: MarkWrite = { mark: m, set: 0, cleared: 0, flipped: 0, copied: 0, sources: [], changed: 0 };
    for (let j = 0; j < 32; j++) {
      const b = 2 ** j;
      const one = (c[m] & b) !== 0;
      const d = deps[m][j];
      const self = d.some((x) => x.from === m && x.bit === j);
      const others = d.filter((x) => !(x.from === m && x.bit === j));
      if (!others.length) {
        if (self) {
          if (one) w.flipped = u(w.flipped | b);
        } else if (one) w.set = u(w.set | b);
        else w.cleared = u(w.cleared | b);
        continue;
      }
      w.copied = u(w.copied | b);
      for (const x of others) w.sources.push({ bit: j, from: x.from, fromBit: x.bit, invert: one, xor: self });
    }
    w.changed = u(w.set | w.cleared | w.flipped | w.copied);
    if (w.changed) out.push(w);
  }
  return out;
}

/** The effect of `(mark & mask) == value`, inverted by `invert`. */
export function testEffects(mark: Mark, value: number, mask: number, invert: boolean): MarkTest {
  const v = u(value);
  const m = u(mask);
  const constant = u(v & ~m) !== 0;
  let requiresOne = 0;
  if (!constant) {
    if (!invert) requiresOne = v;
    else if (bitCount(m) === 1 && v === 0) requiresOne = m;
  }
  return { mark, value: v, mask: m, invert, tested: constant ? 0 : m, requiresOne, constant };
}

const effectsCache = new Map<string, MarkWrite[]>();

/** One mark's write from its (value, mask) form: (x & ~mask) ^ value. */
function pairWrite(mark: Mark, value: number, mask: number): MarkWrite[] {
  const v = u(value);
  const m = u(mask);
  const w: MarkWrite = { mark, set: u(m & v), cleared: u(m & ~v), flipped: u(~m & v), copied: 0, sources: [], changed: 0 };
  w.changed = u(w.set | w.cleared | w.flipped);
  return w.changed ? [w] : [];
}

/** A copy without shift: dest' = (dest & ~dmask) ^ (src & smask). */
function copyWrite(mark: Mark, from: Mark, dmask: number, smask: number): MarkWrite[] {
  const w: MarkWrite = { mark, set: 0, cleared: u(dmask & ~smask), flipped: 0, copied: u(smask), sources: [], changed: 0 };
  for (let x = u(smask); x; x = u(x & (x - 1))) {
    const j = 31 - Math.clz32(x & -x);
    w.sources.push({ bit: j, from, fromBit: j, invert: false, xor: (dmask & (2 ** j)) === 0 });
  }
  w.changed = u(w.cleared | w.copied);
  return w.changed ? [w] : [];
}

/**
 * The writes of a kernel mark form (MARK, CONNMARK, TPROXY); none for a match. The forms
 * without a shift in closed form, the shifted ones by `writeEffects` (cached); a unit test
 * holds the closed forms to `writeEffects`.
 */
export function opWrites(op: MarkOp): MarkWrite[] {
  switch (op.kind) {
    case 'match':
      return [];
    case 'xset':
      return pairWrite('nfmark', op.value, op.mask);
    case 'ct-set':
      if (!op.shift) return pairWrite('ctmark', op.value, op.mask);
      break;
    case 'ct-save':
      if (!op.shift) return copyWrite('ctmark', 'nfmark', op.ctmask, op.nfmask);
      break;
    case 'ct-restore':
      if (!op.shift) return copyWrite('nfmark', 'ctmark', op.nfmask, op.ctmask);
      break;
  }
  const key = JSON.stringify(op);
  let w = effectsCache.get(key);
  if (!w) {
    w = writeEffects((s) => applyMarkOp(op, s));
    if (effectsCache.size > 4096) effectsCache.clear();
    effectsCache.set(key, w);
  }
  return w;
}

/** The bits a kernel mark form reads to compute its writes (copy sources), per mark. */
export function writeReads(writes: MarkWrite[]): { mark: Mark; bits: number }[] {
  const r: Record<Mark, number> = { nfmark: 0, ctmark: 0 };
  for (const w of writes) for (const s of w.sources) if (!(s.from === w.mark && s.fromBit === s.bit)) r[s.from] = u(r[s.from] | (2 ** s.fromBit));
  return MARKS.filter((m) => r[m]).map((m) => ({ mark: m, bits: r[m] }));
}

/** One rule's (one extension's or statement's) use of the marks. */
export interface MarkAccess {
  /** The document (a uri or path). */
  uri: string;
  /** 0-based lines and columns of the extension's words in the document. */
  line: number;
  s: number;
  endLine: number;
  e: number;
  lang: 'iptables' | 'nft';
  table: string;
  chain: string;
  /** The extension or statement as a short text, e.g. `-j MARK --set-xmark 0x4000/0x4000`. */
  text: string;
  /** MARK, CONNMARK, TPROXY, mark, connmark, or the nft statement kind. */
  kind: string;
  /** The rule's comment, when it has one. */
  comment?: string;
  writes: MarkWrite[];
  /** Bits read as sources of copies. */
  reads: { mark: Mark; bits: number }[];
  test?: MarkTest;
  /** (value, mask) pairs the rule spells, for recognising owners by value. */
  pairs: { mark: Mark; value: number; mask: number }[];
  /** An owner the extractor knows from elsewhere (an nft table name). */
  ownerHint?: string;
  /** The kernel form, for the iptables rewrites. */
  op?: MarkOp;
  /** The words a rewrite of the mark options replaces. */
  editRange?: { line: number; s: number; endLine: number; e: number };
}

/** A row of the picture: a known owner, or one table/chain of unrecognised rules. */
export interface Party {
  key: string;
  label: string;
  owner?: MarkOwner;
  /** The accesses grouped here. */
  accesses: number[];
}

/** One row and mark of the picture. */
export interface BitRow {
  party: number;
  mark: Mark;
  read: number;
  written: number;
  /** Bits this row reads or writes that another owner writes, reads or reserves (see collisions). */
  collided: number;
  /** Bits the row's owner reserves (registry). */
  claimed: number;
  /** bit -> accesses touching it in this row. */
  cells: Record<number, number[]>;
}

export type MarkWarningCode = 'mark-clobber' | 'mark-owner-overlap' | 'connmark-unmasked' | 'mark-value-owner-bit' | 'mark-test-never-written';
export const MARK_WARNING_CODES: readonly MarkWarningCode[] = [
  'mark-clobber',
  'mark-owner-overlap',
  'connmark-unmasked',
  'mark-value-owner-bit',
  'mark-test-never-written',
];

/** The codes of the map's warnings, with their default severity and meaning (the shape of the diagnostic code registries). */
export const MARK_MAP_CODES = {
  'mark-clobber': {
    severity: 'warning',
    meaning:
      "A mark write that clears, flips or overwrites bits another owner of the rule set tests, writes or reserves (`--set-mark 0x1` wipes kube-proxy's 0x4000). A code action narrows the write's mask where its own tests allow.",
  },
  'mark-owner-overlap': { severity: 'warning', meaning: "Two owners set the same mark bits (Tailscale's 0x40000 is Calico's drop bit)." },
  'connmark-unmasked': {
    severity: 'warning',
    meaning:
      'A CONNMARK --save-mark or --restore-mark without a mask (all 32 bits copied) in a rule set where other owners use single bits of the mark it overwrites.',
  },
  'mark-value-owner-bit': {
    severity: 'warning',
    meaning: "A whole mark value that contains another owner's single bit (wg-quick's 0xca6c contains kube's drop bit 0x8000).",
  },
  'mark-test-never-written': {
    severity: 'information',
    meaning: 'A test that needs a mark bit set which no rule of the rule set ever sets (it can match only marks set by a socket, eBPF or other files).',
  },
} as const satisfies Record<MarkWarningCode, { severity: 'warning' | 'information'; meaning: string }>;

export interface MarkWarning {
  code: MarkWarningCode;
  severity: 'warning' | 'information';
  /** The access the warning is on. */
  access: number;
  mark: Mark;
  bits: number;
  message: string;
  /** The rules of the other owners involved. */
  related: { access: number; message: string }[];
}

export interface MarkMap {
  accesses: MarkAccess[];
  parties: Party[];
  /** Party of each access. */
  partyOf: number[];
  /** Collision party of each access: its owner's id, or 'local' for every unrecognised rule. */
  sideOf: string[];
  /** Known owners with rules in the rule set. */
  present: MarkOwner[];
  rows: BitRow[];
  warnings: MarkWarning[];
}

const hex = (n: number) => '0x' + u(n).toString(16);

/** Bits as a short list: `bit 14 (0x4000)`, `bits 16-23 (0xff0000)`. */
export function describeBits(bits: number): string {
  const b = u(bits);
  if (!b) return 'no bits';
  const list: number[] = [];
  for (let j = 31; j >= 0; j--) if (b & (2 ** j)) list.push(j);
  if (list.length === 1) return `bit ${list[0]} (${hex(b)})`;
  const contiguous = list[0] - list[list.length - 1] + 1 === list.length;
  if (contiguous) return `bits ${list[list.length - 1]}-${list[0]} (${hex(b)})`;
  if (list.length <= 4) return `bits ${list.reverse().join(', ')} (${hex(b)})`;
  return `${list.length} bits (${hex(b)})`;
}

/** The owner of one access: a hint, its comment, its chain, a distinctive value; else none. */
export function ownerOfAccess(a: MarkAccess): MarkOwner | undefined {
  if (a.ownerHint) {
    const o = ownerById(a.ownerHint);
    if (o) return o;
  }
  if (a.comment) {
    const o = ownerOfComment(a.comment);
    if (o) return o;
  }
  const byChain = ownerOfChain(a.chain);
  if (byChain) return byChain;
  for (const p of a.pairs) {
    const o = ownerOfValue(p.mark, p.value, p.mask);
    if (o) return o;
  }
  return undefined;
}

/** Collision party: the owner, or every unrecognised rule together ('local'). */
const LOCAL = 'local';

interface Usage {
  tested: number;
  /** tests with a partial mask (single bits or fields) */
  testedPartial: number;
  read: number;
  written: number;
  settable: number;
}
/** A copy of all 32 bits from the other mark (CONNMARK --save-mark/--restore-mark without masks). */
export const isWholeCopy = (w: MarkWrite): boolean => u(w.copied) === FULL && w.sources.every((x) => x.from !== w.mark);

const emptyUsage = (): Usage => ({ tested: 0, testedPartial: 0, read: 0, written: 0, settable: 0 });

/** Build the map of a rule set from its accesses (in any order: files, then lines). */
export function buildMarkMap(accesses: MarkAccess[]): MarkMap {
  const parties: Party[] = [];
  const byKey = new Map<string, number>();
  const partyOf: number[] = [];
  const cpOf: string[] = [];
  const present: MarkOwner[] = [];
  accesses.forEach((a, i) => {
    const owner = ownerOfAccess(a);
    const key = owner ? owner.id : `${a.table}/${a.chain}`;
    let p = byKey.get(key);
    if (p === undefined) {
      p = parties.length;
      byKey.set(key, p);
      parties.push({ key, label: owner ? owner.name : key, owner, accesses: [] });
      if (owner) present.push(owner);
    }
    parties[p].accesses.push(i);
    partyOf.push(p);
    cpOf.push(owner ? owner.id : LOCAL);
  });

  // usage per collision party and mark
  const usage = new Map<string, Record<Mark, Usage>>();
  const use = (cp: string) => {
    let x = usage.get(cp);
    if (!x) usage.set(cp, (x = { nfmark: emptyUsage(), ctmark: emptyUsage() }));
    return x;
  };
  accesses.forEach((a, i) => {
    const us = use(cpOf[i]);
    if (a.test) {
      us[a.test.mark].tested = u(us[a.test.mark].tested | a.test.tested);
      if (a.test.mask !== FULL) us[a.test.mark].testedPartial = u(us[a.test.mark].testedPartial | a.test.tested);
    }
    // the source bits of a whole-mark copy are not single-bit uses either
    if (!a.writes.some(isWholeCopy)) for (const r of a.reads) us[r.mark].read = u(us[r.mark].read | r.bits);
    for (const w of a.writes) {
      // a whole-mark copy is judged on its own (connmark-unmasked), not as everyone's neighbour
      if (!isWholeCopy(w)) us[w.mark].written = u(us[w.mark].written | w.changed);
      us[w.mark].settable = u(us[w.mark].settable | w.set | w.flipped | w.copied);
    }
  });
  const claimOf = (cp: string, m: Mark): number => (cp === LOCAL ? 0 : u(ownerById(cp)?.claims[m] ?? 0));
  const cps = [...usage.keys()];
  /** Bits the party may change freely: its claims no other present owner claims too. */
  const own = (cp: string, m: Mark): number => {
    let c = claimOf(cp, m);
    for (const q of cps) if (q !== cp) c = u(c & ~claimOf(q, m));
    return c;
  };
  const others = (cp: string, m: Mark) => {
    let tested = 0;
    let testedPartial = 0;
    let written = 0;
    let claimed = 0;
    for (const q of cps) {
      if (q === cp) continue;
      const x = usage.get(q)![m];
      tested = u(tested | x.tested | x.read);
      testedPartial = u(testedPartial | x.testedPartial | x.read);
      written = u(written | x.written);
      claimed = u(claimed | claimOf(q, m));
    }
    // whole-value tests are not counted against others' writes: the whole value is the
    // problem there, reported on the test itself (mark-value-owner-bit)
    return { tested, testedPartial, written, claimed, all: u(testedPartial | written | claimed) };
  };
  const settableAll: Record<Mark, number> = { nfmark: 0, ctmark: 0 };
  for (const cp of cps) for (const m of MARKS) settableAll[m] = u(settableAll[m] | usage.get(cp)![m].settable);

  // rows
  const rows: BitRow[] = [];
  parties.forEach((p, pi) => {
    for (const m of MARKS) {
      const row: BitRow = { party: pi, mark: m, read: 0, written: 0, collided: 0, claimed: p.owner ? u(p.owner.claims[m] ?? 0) : 0, cells: {} };
      for (const i of p.accesses) {
        const a = accesses[i];
        let bits = 0;
        if (a.test && a.test.mark === m) {
          row.read = u(row.read | a.test.tested);
          bits |= a.test.tested;
        }
        for (const r of a.reads)
          if (r.mark === m) {
            row.read = u(row.read | r.bits);
            bits |= r.bits;
          }
        for (const w of a.writes)
          if (w.mark === m) {
            row.written = u(row.written | w.changed);
            bits |= w.changed;
          }
        for (let b = u(bits); b; b = u(b & (b - 1))) {
          const j = 31 - Math.clz32(b & -b);
          (row.cells[j] ??= []).push(i);
        }
      }
      if (!row.read && !row.written) continue;
      const cp = p.owner ? p.owner.id : LOCAL;
      const o = others(cp, m);
      const free = u(~own(cp, m));
      // own reserved bits are free to write, but another owner writing them is still a collision
      row.collided = u((row.written & o.all & free) | (row.read & (o.written | o.claimed)));
      rows.push(row);
    }
  });

  const map: MarkMap = { accesses, parties, partyOf, sideOf: cpOf, present, rows, warnings: [] };
  map.warnings = markWarnings(map, { cpOf, others, own, settableAll });
  return map;
}

interface WarnCtx {
  cpOf: string[];
  others: (cp: string, m: Mark) => { tested: number; testedPartial: number; written: number; claimed: number; all: number };
  own: (cp: string, m: Mark) => number;
  settableAll: Record<Mark, number>;
}

const MAX_RELATED = 8;

function markWarnings(map: MarkMap, ctx: WarnCtx): MarkWarning[] {
  const { accesses, parties, partyOf } = map;
  const out: MarkWarning[] = [];
  const partyName = (i: number) => parties[partyOf[i]].label;
  // per access and mark: the bits it reads as single bits (partial tests, copy sources) and
  // writes (whole-mark copies left out); per party: their union and a few example accesses
  // per bit, so that naming who else uses some bits costs parties x 32, not accesses
  const EX = 3;
  const accRead: Record<Mark, Uint32Array> = { nfmark: new Uint32Array(accesses.length), ctmark: new Uint32Array(accesses.length) };
  const accWrite: Record<Mark, Uint32Array> = { nfmark: new Uint32Array(accesses.length), ctmark: new Uint32Array(accesses.length) };
  accesses.forEach((a, k) => {
    if (a.test && a.test.mask !== FULL) accRead[a.test.mark][k] |= a.test.tested;
    const whole = a.writes.some(isWholeCopy);
    if (!whole) for (const r of a.reads) accRead[r.mark][k] |= r.bits;
    for (const x of a.writes) if (!isWholeCopy(x)) accWrite[x.mark][k] |= x.changed;
  });
  interface PartyUse {
    read: number;
    write: number;
    exRead: number[][];
    exWrite: number[][];
  }
  const partyUse: Record<Mark, PartyUse[]> = { nfmark: [], ctmark: [] };
  for (const m of MARKS) {
    for (const p of parties) {
      const pu: PartyUse = { read: 0, write: 0, exRead: [], exWrite: [] };
      for (const k of p.accesses) {
        const r = accRead[m][k];
        const w = accWrite[m][k];
        pu.read = u(pu.read | r);
        pu.write = u(pu.write | w);
        for (let x = u(r | w); x; x = u(x & (x - 1))) {
          const j = 31 - Math.clz32(x & -x);
          const list = w & (2 ** j) ? (pu.exWrite[j] ??= []) : (pu.exRead[j] ??= []);
          if (list.length < EX) list.push(k);
        }
      }
      partyUse[m].push(pu);
    }
  }
  const sideOfParty = parties.map((p) => (p.owner ? p.owner.id : LOCAL));
  const hitOf = (pu: PartyUse, how: 'test' | 'write' | 'all') => u((how !== 'write' ? pu.read : 0) | (how !== 'test' ? pu.write : 0));
  /** Accesses of other owners touching `bits` of mark m, for related information. */
  const relatedFor = (i: number, m: Mark, bits: number, how: 'test' | 'write' | 'all' = 'all'): MarkWarning['related'] => {
    const seen = new Set<number>();
    for (let p = 0; p < parties.length && seen.size < MAX_RELATED; p++) {
      if (sideOfParty[p] === ctx.cpOf[i]) continue;
      const pu = partyUse[m][p];
      for (let x = u(hitOf(pu, how) & bits); x && seen.size < MAX_RELATED; x = u(x & (x - 1))) {
        const j = 31 - Math.clz32(x & -x);
        for (const k of [...(how !== 'test' ? (pu.exWrite[j] ?? []) : []), ...(how !== 'write' ? (pu.exRead[j] ?? []) : [])])
          if (seen.size < MAX_RELATED) seen.add(k);
      }
    }
    return [...seen]
      .sort((x, y) => x - y)
      .map((k) => {
        const w = how !== 'test' ? u(accWrite[m][k] & bits) : 0;
        const t = how !== 'write' ? u(accRead[m][k] & bits) : 0;
        return { access: k, message: `${partyName(k)} ${w ? 'writes' : 'reads'} ${describeBits(u(t | w))} of ${m} here` };
      })
      .filter((r) => !r.message.includes(' no bits '));
  };
  /** Who else uses these bits: 'test' = partial tests and reads, 'write' = writes, 'all'; claims always. */
  const whoUses = (i: number, m: Mark, bits: number, how: 'test' | 'write' | 'all' = 'all'): string => {
    const names: string[] = [];
    const owners = new Set<string>();
    let more = 0;
    for (let p = 0; p < parties.length; p++) {
      if (sideOfParty[p] === ctx.cpOf[i] || !u(hitOf(partyUse[m][p], how) & bits)) continue;
      owners.add(sideOfParty[p]);
      if (names.length < 6) names.push(parties[p].label);
      else more++;
    }
    for (const o of map.present)
      if (o.id !== ctx.cpOf[i] && !owners.has(o.id) && u((o.claims[m] ?? 0) & bits)) names.push(`${o.name} (reserves ${hex(u((o.claims[m] ?? 0) & bits))})`);
    return names.join(', ') + (more ? ` and ${more} more` : '');
  };

  accesses.forEach((a, i) => {
    const cp = ctx.cpOf[i];
    for (const w of a.writes) {
      const m = w.mark;
      const o = ctx.others(cp, m);
      const free = u(~ctx.own(cp, m));
      // a whole-mark copy between nfmark and ctmark
      if (isWholeCopy(w)) {
        const hit = u(o.all & free);
        if (hit) {
          const dir = m === 'ctmark' ? 'save-mark copies every nfmark bit into ctmark' : 'restore-mark copies every ctmark bit into nfmark';
          out.push({
            code: 'connmark-unmasked',
            severity: 'warning',
            access: i,
            mark: m,
            bits: hit,
            message: `CONNMARK ${dir} without a mask, overwriting ${describeBits(hit)} that ${whoUses(i, m, hit)} use; give it a mask of its own bits (--mask)`,
            related: relatedFor(i, m, hit),
          });
        }
        continue;
      }
      const clob = u((w.cleared | w.flipped | w.copied) & o.all & free);
      if (clob) {
        const verbs = [w.cleared & clob ? 'clears' : '', w.flipped & clob ? 'flips' : '', w.copied & clob ? 'overwrites' : ''].filter(Boolean).join('/');
        out.push({
          code: 'mark-clobber',
          severity: 'warning',
          access: i,
          mark: m,
          bits: clob,
          message: `this ${verbs} ${describeBits(clob)} of ${m}, used by ${whoUses(i, m, clob)}`,
          related: relatedFor(i, m, clob),
        });
      }
      const setHit = u(w.set & o.all & free);
      if (setHit) {
        const wider = u(w.set & ~o.all) !== 0 && bitCount(w.set) >= 2;
        const valueHit = wider ? u(setHit & (o.testedPartial | o.claimed)) : 0;
        if (valueHit) {
          out.push({
            code: 'mark-value-owner-bit',
            severity: 'warning',
            access: i,
            mark: m,
            bits: valueHit,
            message: `the value ${hex(w.set)} contains ${describeBits(valueHit)}, which ${whoUses(i, m, valueHit, 'test')} use as a bit of its own`,
            related: relatedFor(i, m, valueHit, 'test'),
          });
        }
        const overlap = u(setHit & (o.written | o.claimed) & ~valueHit);
        if (overlap) {
          out.push({
            code: 'mark-owner-overlap',
            severity: 'warning',
            access: i,
            mark: m,
            bits: overlap,
            message: `this sets ${describeBits(overlap)} of ${m}, which ${whoUses(i, m, overlap, 'write')} also write or reserve`,
            related: relatedFor(i, m, overlap, 'write'),
          });
        }
      }
    }
    const t = a.test;
    if (t && !t.constant) {
      const m = t.mark;
      const o = ctx.others(cp, m);
      const free = u(~ctx.own(cp, m));
      // a whole value whose bits another owner reads or reserves as single bits
      if (t.mask === FULL && bitCount(t.requiresOne) >= 2) {
        const hit = u(t.requiresOne & (o.testedPartial | o.claimed) & free);
        if (hit) {
          out.push({
            code: 'mark-value-owner-bit',
            severity: 'warning',
            access: i,
            mark: m,
            bits: hit,
            message: `packets with ${m} ${hex(t.value)} carry ${describeBits(hit)}, which ${whoUses(i, m, hit, 'test')} test or reserve as a bit of its own`,
            related: relatedFor(i, m, hit, 'test'),
          });
        }
      }
      const owner = parties[partyOf[i]].owner;
      const externalBits = map.present.filter((p) => p.external).reduce((s, p) => u(s | (p.claims[m] ?? 0)), 0);
      const missing = u(t.requiresOne & ~ctx.settableAll[m] & ~externalBits);
      if (missing && !owner?.external) {
        out.push({
          code: 'mark-test-never-written',
          severity: 'information',
          access: i,
          mark: m,
          bits: missing,
          message: `no rule in this rule set sets ${describeBits(missing)} of ${m}, so this test can match only marks set elsewhere (a socket's SO_MARK, eBPF, another rule file)`,
          related: [],
        });
      }
    }
  });
  return out;
}

/**
 * The bits a narrowing of access `i`'s write would leave alone: the bits it clears or
 * copies over that other owners use, when nothing else stands in the way; else the reason.
 * Refused where the collision is in the value itself (set or flipped bits), where the
 * write copies with a shift, or where the rule's own owner tests those bits (its readers
 * rely on the write clearing them).
 */
export function narrowPlan(map: MarkMap, i: number): { mark: Mark; remove: number } | { refused: string } {
  const a = map.accesses[i];
  const warns = map.warnings.filter((w) => w.access === i && (w.code === 'mark-clobber' || w.code === 'connmark-unmasked'));
  if (!warns.length) return { refused: "the write does not clobber another owner's bits" };
  const mark = warns[0].mark;
  const w = a.writes.find((x) => x.mark === mark);
  if (!w) return { refused: 'no write to that mark' };
  const remove = warns.reduce((s, x) => u(s | x.bits), 0);
  if (u(remove & (w.set | w.flipped)))
    return { refused: `the value itself sets or flips ${describeBits(u(remove & (w.set | w.flipped)))}: a mask cannot avoid them` };
  if (w.sources.some((s) => u(remove & (2 ** s.bit)) && s.fromBit !== s.bit)) return { refused: 'the write copies with a shift' };
  for (let k = 0; k < map.accesses.length; k++) {
    if (k === i || map.sideOf[k] !== map.sideOf[i]) continue;
    const b = map.accesses[k];
    const reads = (b.test && b.test.mark === mark ? b.test.tested : 0) | b.reads.filter((x) => x.mark === mark).reduce((s, x) => s | x.bits, 0);
    if (u(reads & remove))
      return {
        refused: `${b.text} (line ${b.line + 1}) of the same owner reads ${describeBits(u(reads & remove))}, which a narrowed write would no longer set`,
      };
  }
  return { mark, remove };
}
