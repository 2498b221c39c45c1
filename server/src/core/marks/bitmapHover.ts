/**
 * Hover text for a rule in the mark-bit map: what it does to each mark bit by bit, which
 * known software uses those bits, which owner the rule is grouped under, and the map's
 * warnings on it. Markdown. Pure.
 */
import { MarkMap, MarkWrite, describeBits } from './bitmap';
import { MarkSpace, bitMeanings } from './owners';

const u = (x: number) => x >>> 0;

/** The known uses of the bits, one line a bit that has any (at most 8 lines). */
function knownUses(mark: MarkSpace, bits: number): string[] {
  const out: string[] = [];
  for (const m of bitMeanings(mark, bits)) {
    if (!m.uses.length) continue;
    if (out.length === 8) {
      out.push('- ...');
      break;
    }
    out.push(`- bit ${m.bit} (0x${(2 ** m.bit).toString(16)}): ${m.uses.map((x) => x.purpose).join('; ')}`);
  }
  return out;
}

function writeLine(w: MarkWrite): string {
  const parts: string[] = [];
  if (w.set) parts.push(`sets ${describeBits(w.set)}`);
  if (w.cleared) parts.push(`clears ${describeBits(w.cleared)}`);
  if (w.flipped) parts.push(`flips ${describeBits(w.flipped)}`);
  if (w.copied) {
    const from = [...new Set(w.sources.map((s) => s.from))].join(' and ');
    parts.push(`copies ${describeBits(w.copied)} from ${from}`);
  }
  return `${w.mark}: ${parts.join(', ')}`;
}

/** Hover for access `i` of the map. */
export function markAccessHover(map: MarkMap, i: number): string {
  const a = map.accesses[i];
  const party = map.parties[map.partyOf[i]];
  const lines: string[] = [`**mark bits** of \`${a.text}\` (${party.owner ? `owner: ${party.owner.name}` : `row ${party.label}`})`];
  let touched: { mark: MarkSpace; bits: number }[] = [];
  for (const w of a.writes) {
    lines.push(`- ${writeLine(w)}`);
    touched.push({ mark: w.mark, bits: w.changed });
  }
  if (a.test) {
    lines.push(
      a.test.constant
        ? `- ${a.test.mark}: the test never depends on the mark (a value bit outside the mask)`
        : `- ${a.test.mark}: tests ${describeBits(a.test.tested)}`,
    );
    touched.push({ mark: a.test.mark, bits: a.test.tested });
  }
  for (const r of a.reads) if (!a.writes.some((w) => w.sources.length && u(w.copied) === 0xffffffff)) touched.push(r);
  touched = touched.filter((t) => t.bits && t.bits !== 0xffffffff);
  for (const t of touched) {
    const known = knownUses(t.mark, t.bits);
    if (known.length) lines.push('', `known uses of these ${t.mark} bits:`, ...known);
  }
  const warns = map.warnings.filter((w) => w.access === i);
  if (warns.length) lines.push('', ...warns.map((w) => `**${w.code}**: ${w.message}`));
  return lines.join('\n');
}
