/**
 * The mark-bit map as a terminal table, as JSON and as an SVG picture (drawn here, no
 * library): 32 columns, bit 31 on the left, a row per owner (or table/chain) and mark,
 * each cell read / written / both, collisions marked. Pure.
 */
import { BitRow, MarkMap, MARKS, describeBits } from './bitmap';

const u = (x: number) => x >>> 0;
const hex = (n: number) => '0x' + u(n).toString(16);

type Cell = 'none' | 'read' | 'write' | 'both';
export function cellOf(row: BitRow, bit: number): { cell: Cell; collided: boolean; claimed: boolean } {
  const b = 2 ** bit;
  const r = (row.read & b) !== 0;
  const w = (row.written & b) !== 0;
  return { cell: r && w ? 'both' : w ? 'write' : r ? 'read' : 'none', collided: (row.collided & b) !== 0, claimed: (row.claimed & b) !== 0 };
}

const CHAR: Record<Cell, string> = { none: '.', read: 'r', write: 'w', both: 'b' };

/** The rows of one mark, in party order. */
const rowsOf = (map: MarkMap, mark: string) => map.rows.filter((r) => r.mark === mark);

/**
 * The terminal table: per mark a header of bit numbers and a line a row; `r` read, `w`
 * written, `b` both, capitals where the bit collides with another owner, `-` a bit the
 * row's owner reserves without touching it here. Then the warnings, file:line first.
 */
export function markMapTable(map: MarkMap, displayPath: (uri: string) => string = (x) => x): string {
  const out: string[] = [];
  const labels = map.rows.map((r) => rowLabel(map, r));
  const width = Math.min(40, Math.max(12, ...labels.map((l) => l.length))) + 2;
  const group = (s: string) => s.replace(/(.{8})(?=.)/g, '$1 ');
  for (const mark of MARKS) {
    const rows = rowsOf(map, mark);
    if (!rows.length) continue;
    out.push(`${mark.padEnd(width)}${['31    24', '23    16', '15     8', '7      0'].join(' ')}`);
    for (const r of rows) {
      let cells = '';
      for (let bit = 31; bit >= 0; bit--) {
        const c = cellOf(r, bit);
        let ch = CHAR[c.cell];
        if (c.cell === 'none' && c.claimed) ch = '-';
        if (c.collided) ch = ch.toUpperCase();
        cells += ch;
      }
      const label = rowLabel(map, r);
      out.push(
        `${(label.length > width - 2 ? label.slice(0, width - 3) + '…' : label).padEnd(width)}${group(cells)}  ${r.collided ? 'collides: ' + hex(r.collided) : ''}`.trimEnd(),
      );
    }
    out.push('');
  }
  if (!map.rows.length) out.push('no rule reads or writes a mark', '');
  out.push('r read (tested or copied from), w written, b both, capitals: collides with another owner, - reserved by the owner');
  if (map.present.length) out.push(`known owners: ${map.present.map((o) => o.name).join(', ')}`);
  if (map.warnings.length) {
    out.push('', 'warnings:');
    for (const w of map.warnings) {
      const a = map.accesses[w.access];
      out.push(`${displayPath(a.uri)}:${a.line + 1}:${a.s + 1}: ${w.severity}: ${w.message} [${w.code}]`);
      for (const r of w.related) {
        const b = map.accesses[r.access];
        out.push(`  ${displayPath(b.uri)}:${b.line + 1}: ${r.message}`);
      }
    }
  }
  return out.join('\n') + '\n';
}

function rowLabel(map: MarkMap, r: BitRow): string {
  return map.parties[r.party].label;
}

/** The map as plain JSON (bit sets as hex strings, lines and columns 1-based). */
export function markMapJson(map: MarkMap, displayPath: (uri: string) => string = (x) => x): object {
  const where = (i: number) => {
    const a = map.accesses[i];
    return { file: displayPath(a.uri), line: a.line + 1, column: a.s + 1 };
  };
  return {
    owners: map.present.map((o) => ({ id: o.id, name: o.name, style: o.style, source: o.source })),
    rows: map.rows.map((r) => {
      const p = map.parties[r.party];
      const cells: Record<string, { file: string; line: number }[]> = {};
      for (const [bit, list] of Object.entries(r.cells))
        cells[bit] = list.map((i) => ({ file: displayPath(map.accesses[i].uri), line: map.accesses[i].line + 1 }));
      return {
        row: p.label,
        ...(p.owner ? { owner: p.owner.id } : {}),
        mark: r.mark,
        read: hex(r.read),
        written: hex(r.written),
        collided: hex(r.collided),
        claimed: hex(r.claimed),
        cells,
      };
    }),
    accesses: map.accesses.map((a, i) => ({
      ...where(i),
      table: a.table,
      chain: a.chain,
      text: a.text,
      kind: a.kind,
      row: map.parties[map.partyOf[i]].label,
      writes: a.writes.map((w) => ({
        mark: w.mark,
        set: hex(w.set),
        cleared: hex(w.cleared),
        flipped: hex(w.flipped),
        copied: hex(w.copied),
        changed: hex(w.changed),
      })),
      reads: a.reads.map((r) => ({ mark: r.mark, bits: hex(r.bits) })),
      ...(a.test ? { test: { mark: a.test.mark, value: hex(a.test.value), mask: hex(a.test.mask), invert: a.test.invert, tested: hex(a.test.tested) } } : {}),
    })),
    warnings: map.warnings.map((w) => ({
      ...where(w.access),
      code: w.code,
      severity: w.severity,
      mark: w.mark,
      bits: hex(w.bits),
      message: w.message,
      related: w.related.map((r) => ({ ...where(r.access), message: r.message })),
    })),
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLOR: Record<Cell, string> = { none: '#ffffff', read: '#5b9bd5', write: '#ed7d31', both: '#8e5cc9' };

/**
 * The picture: per mark a grid of 32 columns (bit 31 left) and a row per owner or chain;
 * blue read, orange written, purple both, a red frame and `!` where the bit collides,
 * grey hatching where the owner reserves the bit. Each cell's tooltip lists its rules.
 */
export function markMapSvg(map: MarkMap, displayPath: (uri: string) => string = (x) => x, title = 'Mark bits'): string {
  const CELL = 18;
  const ROW = 22;
  const labels = map.rows.map((r) => rowLabel(map, r));
  const LABEL = Math.min(320, Math.max(120, ...labels.map((l) => l.length * 7 + 16)));
  const PAD = 12;
  const parts: string[] = [];
  let y = PAD + 22;
  parts.push(`<text x="${PAD}" y="${y - 6}" font-size="15" font-weight="bold">${esc(title)}</text>`);
  const gridX = PAD + LABEL;
  for (const mark of MARKS) {
    const rows = rowsOf(map, mark);
    if (!rows.length) continue;
    y += 14;
    parts.push(`<text x="${PAD}" y="${y + 12}" font-size="13" font-weight="bold">${mark}</text>`);
    for (let bit = 31; bit >= 0; bit--) {
      if (bit % 4 !== 3 && bit !== 0) continue;
      const x = gridX + (31 - bit) * CELL + CELL / 2;
      parts.push(`<text x="${x}" y="${y + 12}" font-size="10" text-anchor="middle" fill="#555">${bit}</text>`);
    }
    y += 18;
    for (const r of rows) {
      const label = rowLabel(map, r);
      parts.push(`<text x="${PAD}" y="${y + 15}" font-size="12">${esc(label)}</text>`);
      for (let bit = 31; bit >= 0; bit--) {
        const c = cellOf(r, bit);
        const x = gridX + (31 - bit) * CELL;
        const rules = (r.cells[bit] ?? []).map((i) => {
          const a = map.accesses[i];
          return `${displayPath(a.uri)}:${a.line + 1} ${a.table}/${a.chain}: ${a.text}`;
        });
        const tip = `${label}, ${mark} bit ${bit} (${hex(2 ** bit)}): ${c.cell === 'none' ? (c.claimed ? 'reserved' : 'unused') : c.cell === 'both' ? 'read and written' : c.cell === 'write' ? 'written' : 'read'}${c.collided ? ', COLLIDES' : ''}${rules.length ? '\n' + rules.slice(0, 12).join('\n') : ''}`;
        const fill = c.cell === 'none' && c.claimed ? 'url(#claimed)' : COLOR[c.cell];
        const stroke = c.collided ? ' stroke="#d00000" stroke-width="2.5"' : ' stroke="#bbb" stroke-width="1"';
        parts.push(
          `<g><title>${esc(tip)}</title><rect x="${x + 1}" y="${y + 2}" width="${CELL - 2}" height="${ROW - 4}" fill="${fill}"${stroke}/>${c.collided ? `<text x="${x + CELL / 2}" y="${y + 15}" font-size="12" font-weight="bold" text-anchor="middle" fill="#fff">!</text>` : ''}</g>`,
        );
      }
      if (r.collided)
        parts.push(`<text x="${gridX + 32 * CELL + 8}" y="${y + 15}" font-size="11" fill="#d00000">collides: ${esc(describeBits(r.collided))}</text>`);
      y += ROW;
    }
    // byte separators
    for (const b of [24, 16, 8]) {
      const x = gridX + (32 - b) * CELL;
      parts.push(`<line x1="${x}" y1="${y - rows.length * ROW}" x2="${x}" y2="${y}" stroke="#333" stroke-width="1"/>`);
    }
    y += 6;
  }
  if (!map.rows.length) {
    parts.push(`<text x="${PAD}" y="${y + 16}" font-size="12">no rule reads or writes a mark</text>`);
    y += 24;
  }
  // legend
  y += 12;
  let lx = PAD;
  const legend: [string, string, boolean][] = [
    [COLOR.read, 'read', false],
    [COLOR.write, 'written', false],
    [COLOR.both, 'both', false],
    ['url(#claimed)', 'reserved by the owner', false],
    ['#ffffff', 'collides with another owner', true],
  ];
  for (const [fill, text, col] of legend) {
    parts.push(
      `<rect x="${lx}" y="${y}" width="14" height="14" fill="${fill}" stroke="${col ? '#d00000' : '#bbb'}" stroke-width="${col ? 2.5 : 1}"/><text x="${lx + 20}" y="${y + 11}" font-size="11">${esc(text)}</text>`,
    );
    lx += 30 + text.length * 6.5;
  }
  y += 22;
  if (map.warnings.length) {
    const counts = new Map<string, number>();
    for (const w of map.warnings) counts.set(w.code, (counts.get(w.code) ?? 0) + 1);
    parts.push(`<text x="${PAD}" y="${y + 4}" font-size="11" fill="#d00000">${esc([...counts].map(([c, n]) => `${n} ${c}`).join(', '))}</text>`);
    y += 16;
  }
  const width = Math.max(gridX + 32 * CELL + 180, lx + PAD);
  const height = y + PAD;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">\n` +
    `<defs><pattern id="claimed" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c8c8c8" stroke-width="2"/></pattern></defs>\n` +
    `<rect width="100%" height="100%" fill="#ffffff"/>\n` +
    parts.join('\n') +
    '\n</svg>\n'
  );
}
