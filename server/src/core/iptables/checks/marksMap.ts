/**
 * The iptables side of the mark-bit map: every MARK, CONNMARK, TPROXY, `-m mark` and
 * `-m connmark` of save files, shell scripts (and the iptables-restore here-documents in
 * them) and `iptables -L` listings becomes a `MarkAccess` (../../marks/bitmap.ts), from the
 * kernel forms the rule parser already computes. Plus the narrowing rewrite of a colliding
 * write. Pure.
 */
import { MarkOp, equivalentSpellings } from '../../marks/marks';
import { FULL, hex } from '../../common/numbers';
import { Format, RuleDocument, RuleEntry, parseSaveLine, restoreBodyText } from '../syntax/document';
import { Rule } from '../syntax/ruleTypes';
import { Word } from '../syntax/lexer';
import { Mark, MarkAccess, MarkMap, buildMarkMap, narrowPlan, opWrites, testEffects, writeReads } from '../../marks/bitmap';

/**
 * A quick test on a save-file line before parsing it: can it hold a mark extension? The
 * extension's name as a word of its own (`-j MARK`, `-jMARK`, `--match=mark`, quoted), not
 * inside a chain name such as KUBE-MARK-MASQ.
 */
const MAYBE_MARK = /(?:^|[\s"'=jm])(?:CONN)?MARK(?=[\s"']|$)|(?:^|[\s"'=m])(?:conn)?mark(?=[\s"']|$)|TPROXY/;

const ADDING = new Set(['append', 'insert', 'replace']);

const markOf = (ext: string): Mark => (ext === 'connmark' || ext === 'CONNMARK' ? 'ctmark' : 'nfmark');

/** The (value, mask) pairs a kernel form spells. */
function pairsOf(op: MarkOp): MarkAccess['pairs'] {
  switch (op.kind) {
    case 'xset':
      return [{ mark: 'nfmark', value: op.value, mask: op.mask }];
    case 'ct-set':
      return op.shift ? [] : [{ mark: 'ctmark', value: op.value, mask: op.mask }];
    case 'match':
      return [{ mark: markOf(op.ext), value: op.value, mask: op.mask }];
    default:
      return [];
  }
}

/** The parts of an access that follow from its kernel form alone. */
export function accessEffects(op: MarkOp): Pick<MarkAccess, 'writes' | 'reads' | 'test' | 'pairs'> {
  const writes = opWrites(op);
  const r: Pick<MarkAccess, 'writes' | 'reads' | 'test' | 'pairs'> = { writes, reads: writeReads(writes), pairs: pairsOf(op) };
  if (op.kind === 'match') r.test = testEffects(markOf(op.ext), op.value, op.mask, op.invert);
  return r;
}

function ruleComment(rule: Rule): string | undefined {
  for (const x of rule.exts) {
    if (x.kind !== 'match' || x.name.text !== 'comment') continue;
    for (const o of x.opts) if (o.key === '--comment' && o.args[0]) return o.args[0].text;
  }
  return undefined;
}

interface Place {
  uri: string;
  /** Absolute line of the entry's first line. */
  line: number;
  /** Column offset per entry-relative line (here-document bodies whose tabs `<<-` strips). */
  colShift?: (l: number) => number;
  /** Line offset (here-document bodies). */
  lineShift?: number;
}

function addRule(out: MarkAccess[], e: RuleEntry, table: string, place: Place): void {
  const rule = e.rule;
  if (!rule.marks.length) return;
  const cmd = rule.command;
  if (!cmd || !ADDING.has(cmd.spec.kind) || !cmd.chain) return;
  const chain = cmd.chain.text;
  let comment: string | undefined;
  let commentDone = false;
  const at = (w: Word, end: boolean) => {
    const l = end ? w.el : w.l;
    const line = place.line + (place.lineShift ?? 0) + l;
    const shift = place.colShift ? place.colShift(e.line + l) : 0;
    return { line, col: (end ? w.e : w.s) + shift };
  };
  for (const use of rule.marks) {
    if (typeof use.result === 'string' || 'message' in use.result) continue;
    const op = use.result;
    const x = rule.exts[use.extIndex];
    const last = x.opts.length ? x.opts[x.opts.length - 1] : undefined;
    const lastWord = last ? (last.args.length ? last.args[last.args.length - 1] : last.name) : x.name;
    const a0 = at(x.via, false);
    const a1 = at(lastWord, true);
    if (!commentDone) {
      comment = ruleComment(rule);
      commentDone = true;
    }
    // the words a narrowing rewrites: the mark options (TPROXY: --tproxy-mark alone)
    const markOpts = x.opts.filter((o) => use.ext !== 'TPROXY' || o.canon === 'tproxy-mark');
    let editRange: MarkAccess['editRange'];
    if (markOpts.length) {
      const first = markOpts[0];
      const lo = markOpts[markOpts.length - 1];
      const s = at(first.neg && first.neg.s < first.name.s ? first.neg : first.name, false);
      const t = at(lo.args.length ? lo.args[lo.args.length - 1] : lo.name, true);
      editRange = { line: s.line, s: s.col, endLine: t.line, e: t.col };
    }
    const text = [x.via.text, x.name.text, ...x.opts.flatMap((o) => [...(o.neg ? ['!'] : []), o.name.text, ...o.args.map((w) => w.text)])].join(' ');
    out.push({
      uri: place.uri,
      line: a0.line,
      s: a0.col,
      endLine: a1.line,
      e: a1.col,
      lang: 'iptables',
      table,
      chain,
      text,
      kind: use.ext,
      ...(comment !== undefined ? { comment } : {}),
      ...accessEffects(op),
      op,
      ...(editRange ? { editRange } : {}),
    });
  }
}

/** The mark accesses of one iptables document (save file, shell script or listing). */
export function iptablesMarkAccesses(uri: string, doc: RuleDocument, out: MarkAccess[] = []): MarkAccess[] {
  if (doc.format === 'listing') {
    let chain = '';
    for (const e of doc.entries) {
      if (e.k === 'listing-chain') chain = e.chain.name.text;
      else if (e.k === 'listing-rule') {
        for (const m of e.marks) {
          const first = m.words[0];
          const last = m.words[m.words.length - 1];
          out.push({
            uri,
            line: e.line,
            s: first ? first.s : 0,
            endLine: e.line,
            e: last ? last.e : 0,
            lang: 'iptables',
            table: 'listing',
            chain,
            text: m.words.map((w) => w.text).join(' '),
            kind: m.ext,
            ...accessEffects(m.op),
            op: m.op,
          });
        }
      }
    }
    return out;
  }
  if (doc.format === 'save') {
    saveAccesses(uri, doc, { uri, line: 0 }, out);
    return out;
  }
  for (const e of doc.entries) {
    if (e.k !== 'rule') continue;
    addRule(out, e, e.rule.table?.text ?? 'filter', { uri, line: e.line });
  }
  // iptables-restore here-documents: save files of their own
  for (const b of doc.restoreBodies) {
    const { text, cut } = restoreBodyText(doc.lines, b);
    const body = new RuleDocument(text, 'save');
    saveAccesses(uri, body, { uri, line: 0, lineShift: b.start, colShift: (l) => cut[l] ?? 0 }, out);
  }
  return out;
}

function saveAccesses(uri: string, doc: RuleDocument, place: Place, out: MarkAccess[]): void {
  let table = '';
  for (const e of doc.entries) {
    if (e.k === 'table') table = e.name.text;
    else if (e.k === 'commit') table = '';
    else if (e.k === 'rule') {
      if (!MAYBE_MARK.test(doc.lines[e.line])) continue;
      addRule(out, e, table || 'filter', { ...place, uri, line: e.line });
    }
  }
}

/**
 * The mark accesses of a file's text without building a document: a save file is scanned
 * line by line and only the lines that can hold a mark extension are parsed (the map of a
 * 150,000-line dump costs a scan, not a parse); other formats go through a document.
 */
export function iptablesTextMarkAccesses(uri: string, text: string, format: Format, out: MarkAccess[] = []): MarkAccess[] {
  if (format !== 'save') return iptablesMarkAccesses(uri, new RuleDocument(text, format), out);
  // the table headers and COMMITs, in order
  const marks: { at: number; table: string }[] = [];
  for (const m of text.matchAll(/^[ \t]*(?:\*(\S*)|COMMIT(?=\s|$))/gm)) marks.push({ at: m.index!, table: m[1] ?? '' });
  // a literal search first (fast), then the exact test on the line it found
  const any = /MARK|mark|TPROXY/g;
  let line = 0;
  let pos = 0; // start of line `line`
  let k = 0;
  let table = '';
  let next = 0; // where the search goes on
  for (;;) {
    any.lastIndex = next;
    const m = any.exec(text);
    if (!m) break;
    // the line holding the match
    let ls = text.lastIndexOf('\n', m.index - 1) + 1;
    if (m.index > 0 && text.charCodeAt(m.index) === 10) ls = m.index + 1;
    for (let i = text.indexOf('\n', pos); i >= 0 && i < ls; i = text.indexOf('\n', i + 1)) line++;
    pos = ls;
    let le = text.indexOf('\n', ls);
    if (le < 0) le = text.length;
    while (k < marks.length && marks[k].at <= ls) table = marks[k++].table;
    let l = text.slice(ls, le);
    if (l.endsWith('\r')) l = l.slice(0, -1);
    if (MAYBE_MARK.test(l)) {
      const e = parseSaveLine(l, line);
      if (e && e.k === 'rule') addRule(out, e, table || 'filter', { uri, line });
    }
    next = le + 1;
    if (next > text.length) break;
  }
  return out;
}

/** The map of several iptables documents together (a rule set spread over files). */
export function iptablesMarkMap(docs: { uri: string; doc: RuleDocument }[]): MarkMap {
  const all: MarkAccess[] = [];
  for (const d of docs) iptablesMarkAccesses(d.uri, d.doc, all);
  return buildMarkMap(all);
}

/** A code action's edit: replace the range with newText. */
export interface MarkEdit {
  title: string;
  uri: string;
  line: number;
  s: number;
  endLine: number;
  e: number;
  newText: string;
  /** The bits the narrowed write leaves alone. */
  spared: number;
}

/**
 * Narrow a colliding write (access `i` of the map) to a mask that spares the other owners'
 * bits it clears or copies over, where its own owner's tests allow it; the edit rewrites
 * the rule's mark options to the shortest equivalent spelling of the narrowed form.
 */
export function narrowIptablesWrite(map: MarkMap, i: number): MarkEdit | { refused: string } {
  const a = map.accesses[i];
  if (a.lang !== 'iptables' || !a.op || !a.editRange) return { refused: 'not an iptables rule with mark options' };
  const plan = narrowPlan(map, i);
  if ('refused' in plan) return plan;
  const rm = plan.remove;
  const op = a.op;
  let next: MarkOp;
  switch (op.kind) {
    case 'xset':
      next = { ...op, mask: (op.mask & ~rm) >>> 0 };
      break;
    case 'ct-set':
      if (op.shift) return { refused: 'the write shifts' };
      next = { ...op, mask: (op.mask & ~rm) >>> 0 };
      break;
    case 'ct-save':
    case 'ct-restore':
      if (op.shift) return { refused: 'the copy shifts' };
      next = { ...op, nfmask: (op.nfmask & ~rm) >>> 0, ctmask: (op.ctmask & ~rm) >>> 0 };
      break;
    default:
      return { refused: 'a match writes nothing' };
  }
  let newText: string;
  if (next.kind === 'xset' && next.ext === 'TPROXY') newText = `--tproxy-mark ${hex(next.value)}${next.mask === FULL ? '' : '/' + hex(next.mask)}`;
  else newText = equivalentSpellings(next)[0];
  const r = a.editRange;
  return { title: `Narrow to ${newText} (leave ${hex(rm)} to its owners)`, uri: a.uri, line: r.line, s: r.s, endLine: r.endLine, e: r.e, newText, spared: rm };
}
