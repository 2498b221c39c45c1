/** Hover: what a mark rule does, its kernel form and other spellings, and its result on the sample. */
import { MarkupContent, MarkupKind } from 'vscode-languageserver-types';
import { Analysis, Settings, sampleAt } from '../iptables/checks/analysis';
import { RuleDocument } from '../iptables/syntax/document';
import { FULL, hex, hex8, u32 } from '../common/numbers';
import { MarkExtension, MarkOp, MarkState, Shift, applyMarkOp, evaluateOp, pairVerb } from '../marks/marks';
import { Position, locate } from './cursor';

function bitList(x: number): string {
  const bits: number[] = [];
  for (let b = 31; b >= 0; b--) if ((x >>> b) & 1) bits.push(b);
  if (bits.length === 0) return 'none';
  if (bits.length > 6) return `${hex8(x)} (${bits.length} bits)`;
  return `${hex8(x)} (bit${bits.length > 1 ? 's' : ''} ${bits.join(', ')})`;
}

/** One sentence: what the op does. */
export function describeOp(op: MarkOp): string {
  const shift = (sh: Shift) => (sh ? `, then shifts the result ${sh.dir} by ${sh.bits} bit${sh.bits === 1 ? '' : 's'}` : '');
  const pair = (what: string, value: number, mask: number) => {
    switch (pairVerb(value, mask)) {
      case 'and':
        return mask === 0
          ? `Changes nothing: an AND with 0xffffffff leaves every bit of ${what} as it is`
          : `An AND: clears bits ${bitList(mask)} of ${what} and keeps the others (${what} & ${hex8(~mask)})`;
      case 'or':
        return `An OR: sets bits ${bitList(value)} of ${what}; every other bit is kept`;
      case 'xor':
        return `An XOR: flips bits ${bitList(value)} of ${what}; every other bit is kept`;
      case 'set':
        return `Sets all 32 bits of ${what} to ${hex8(value)}`;
      case 'xset': {
        const parts = [`Clears bits ${bitList(mask)} of ${what} then XORs ${hex8(value)}`];
        const outside = u32(value & ~mask);
        if (outside) parts.push(`bits ${bitList(outside)} lie outside the mask, so they are flipped every time`);
        return parts.join('; ');
      }
    }
  };
  switch (op.kind) {
    case 'xset':
      return pair('nfmark', op.value, op.mask) + (op.ext === 'TPROXY' ? ' (TPROXY --tproxy-mark)' : '') + '.';
    case 'ct-set':
      return pair('ctmark', op.value, op.mask) + shift(op.shift) + '.';
    case 'ct-save':
      return `Copies nfmark into ctmark: ctmark = (ctmark & ~${hex8(op.ctmask)}) ^ ((nfmark & ${hex8(op.nfmask)})${op.shift ? ` ${op.shift.dir === 'left' ? '<<' : '>>'} ${op.shift.bits}` : ''}).`;
    case 'ct-restore':
      return `Copies ctmark into nfmark: nfmark = (nfmark & ~${hex8(op.nfmask)}) ^ ((ctmark & ${hex8(op.ctmask)})${op.shift ? ` ${op.shift.dir === 'left' ? '<<' : '>>'} ${op.shift.bits}` : ''}).`;
    case 'match': {
      const what = op.ext === 'mark' ? 'nfmark' : 'ctmark';
      const test = op.mask === FULL ? `${what} == ${hex8(op.value)}` : `(${what} & ${hex8(op.mask)}) == ${hex8(op.value)}`;
      const never = u32(op.value & ~op.mask) !== 0 ? ` It can never be true: ${hex8(op.value)} has bits outside the mask.` : '';
      return `Matches when ${op.invert ? 'NOT ' : ''}${test}.${never}`;
    }
  }
}

export function kernelFormula(op: MarkOp): string {
  const sh = (s: Shift) => (s ? ` ${s.dir === 'left' ? '<<' : '>>'} ${s.bits}` : '');
  switch (op.kind) {
    case 'xset':
      return `nfmark = (nfmark & ~${hex(op.mask)}) ^ ${hex(op.value)}`;
    case 'ct-set':
      return `ctmark = ((ctmark & ~${hex(op.mask)}) ^ ${hex(op.value)})${sh(op.shift)}`;
    case 'ct-save':
      return `ctmark = (ctmark & ~${hex(op.ctmask)}) ^ ((nfmark & ${hex(op.nfmask)})${sh(op.shift)})`;
    case 'ct-restore':
      return `nfmark = (nfmark & ~${hex(op.nfmask)}) ^ ((ctmark & ${hex(op.ctmask)})${sh(op.shift)})`;
    case 'match':
      return `${op.invert ? '!' : ''}((${op.ext === 'mark' ? 'nfmark' : 'ctmark'} & ${hex(op.mask)}) == ${hex(op.value)})`;
  }
}

/** Bit-by-bit account of a change: set, cleared, flipped, kept. */
export function changeBreakdown(before: number, after: number): string {
  if (before === after) return 'no bit changes';
  const set = u32(~before & after);
  const cleared = u32(before & ~after);
  const parts: string[] = [];
  if (set) parts.push(`set ${bitList(set)}`);
  if (cleared) parts.push(`cleared ${bitList(cleared)}`);
  return parts.join(' · ');
}

function resultLines(op: MarkOp, s: MarkState): string[] {
  const r = applyMarkOp(op, s);
  const out: string[] = [];
  if (op.kind === 'match') {
    out.push(`${op.ext === 'mark' ? 'nfmark' : 'ctmark'} ${hex8(op.ext === 'mark' ? s.nfmark : s.ctmark)}: **${r.matches ? 'matches' : 'does not match'}**`);
    return out;
  }
  const touchesNf = op.kind === 'xset' || op.kind === 'ct-restore';
  const nfLine = `nfmark ${hex8(s.nfmark)} -> **${hex8(r.nfmark)}**`;
  const ctLine = `ctmark ${hex8(s.ctmark)} -> **${hex8(r.ctmark)}**`;
  if (touchesNf) {
    out.push(`${nfLine} (${changeBreakdown(u32(s.nfmark), r.nfmark)})`);
    if (op.kind !== 'xset') out.push(ctLine + ' (unchanged)');
  } else {
    out.push(`${ctLine} (${changeBreakdown(u32(s.ctmark), r.ctmark)})`);
    out.push(nfLine + ' (unchanged)');
  }
  return out;
}

/** The markdown of a mark hover, shared by rules and listings. */
export function markHoverMarkdown(ext: MarkExtension, op: MarkOp, sample: MarkState, sampleSource: string): string {
  const ev = evaluateOp(ext, op, sample);
  const head = op.kind === 'match' ? `-m ${ext}` : `-j ${ext}`;
  const others = ev.equivalents.filter((x) => x !== ev.saved);
  const lines = [
    `**${head}** — ${describeOp(op)}`,
    '',
    `| | |`,
    `|---|---|`,
    `| kernel | \`${kernelFormula(op)}\` |`,
    `| iptables -L | \`${ev.listed}\` |`,
    `| iptables-save | \`${ev.saved}\` |`,
    `| nftables | ${ev.nft ? '`' + ev.nft + '`' : '_' + (ev.nftNote ?? 'no equivalent') + '_'} |`,
  ];
  if (others.length) lines.push(`| same as | ${others.map((x) => '`' + x + '`').join(', ')} |`);
  lines.push('', `**Sample** (${sampleSource}):`, '');
  for (const l of resultLines(op, sample)) lines.push(`- ${l}`);
  return lines.join('\n');
}

export interface HoverResult {
  contents: MarkupContent;
  range: { start: Position; end: Position };
}

export function hover(doc: RuleDocument, a: Analysis, p: Position, settings: Settings): HoverResult | null {
  const loc = locate(doc, p);
  const sampleSource = (line: number) => {
    const s = sampleAt(a, line, settings);
    return { state: s.state, source: s.fromLine !== undefined ? `\`# sample:\` on line ${s.fromLine + 1}` : 'settings iptables.sample.*' };
  };
  const md = (value: string): MarkupContent => ({ kind: MarkupKind.Markdown, value });
  switch (loc.kind) {
    case 'mark': {
      const { entry, use } = loc.site;
      const range = { start: { line: entry.line + loc.word.l, character: loc.word.s }, end: { line: entry.line + loc.word.el, character: loc.word.e } };
      if (use.result === 'unknown') {
        return { contents: md(`**${use.ext}**: a value here is a shell expansion, so the result cannot be known.`), range };
      }
      if ('message' in use.result) return { contents: md(`**${use.ext}**: iptables rejects this: ${use.result.message}`), range };
      const s = sampleSource(entry.line);
      return { contents: md(markHoverMarkdown(use.ext, use.result, s.state, s.source)), range };
    }
    case 'listed': {
      const s = sampleSource(loc.entry.line);
      const range = { start: { line: loc.entry.line, character: loc.word.s }, end: { line: loc.entry.line, character: loc.word.e } };
      return { contents: md(markHoverMarkdown(loc.mark.ext, loc.mark.op, s.state, s.source)), range };
    }
    case 'sample': {
      const e = loc.entry;
      const s = sampleAt(a, e.line + 1, settings).state;
      const text = [
        '**Sample input** for the mark hovers and hints on the lines below, until the next `# sample:` line.',
        '',
        `nfmark = ${hex8(s.nfmark)}, ctmark = ${hex8(s.ctmark)}`,
        '',
        'Keys: `nfmark`, `ctmark` (numbers as iptables reads them); keys left out keep the value from the sample above or from the settings `iptables.sample.nfmark` / `iptables.sample.ctmark`.',
      ].join('\n');
      const w = loc.word;
      const range = w
        ? { start: { line: e.line, character: w.s }, end: { line: e.line, character: w.e } }
        : { start: { line: e.line, character: 0 }, end: { line: e.line, character: doc.lines[e.line].length } };
      return { contents: md(text), range };
    }
    default:
      return null;
  }
}
