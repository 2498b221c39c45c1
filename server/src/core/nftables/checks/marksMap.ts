/**
 * The nftables side of the mark-bit map: every `meta mark set`, `ct mark set`, `meta mark`
 * / `mark` / `ct mark` match of an nft file becomes a `MarkAccess` (../../marks/bitmap.ts),
 * from the nft mark model (../../marks/nftMarks.ts): a write's exact bit effects from its
 * kernel program, a match's tested bits exactly where it is an iptables-style
 * `(mark & m) == v` and otherwise the bits its left side depends on. Owners by nft table
 * name (kube-proxy, wg-quick-IFACE, ...), then as for iptables. Pure.
 */
import { MarkAccess, testEffects, writeEffects, writeReads } from '../../marks/bitmap';
import { evaluateNftMark, iptablesOpForMatch, runProgram, valueOf } from '../../marks/nftMarks';
import { ownerOfNftTable } from '../../marks/owners';
import { parseNft } from '../syntax/parser';
import type { NftFile } from '../syntax/ast';

const MARK_SELECTORS = new Set(['meta mark', 'mark', 'ct mark']);

/** The mark accesses of an nft file (parsed here unless given). */
export function nftMarkAccesses(uri: string, text: string, file: NftFile = parseNft(text), out: MarkAccess[] = []): MarkAccess[] {
  for (const r of file.rules) {
    if (r.command === 'delete' || r.command === 'destroy') continue;
    const owner = ownerOfNftTable(r.table.name);
    const comment = r.comment?.name;
    for (const st of r.statements) {
      if ((st.kind !== 'set' && st.kind !== 'match') || !st.selector || !MARK_SELECTORS.has(st.selector)) continue;
      const stText = text.slice(st.s, st.e);
      const rep = evaluateNftMark(stText);
      if (!rep.ok) continue;
      const base = {
        uri,
        line: st.line,
        s: st.col,
        endLine: st.endLine,
        e: st.endCol,
        lang: 'nft' as const,
        table: `${r.family} ${r.table.name}`,
        chain: r.chain.name,
        text: stText,
        kind: st.selector === 'ct mark' ? (rep.kind === 'set' ? 'ct mark set' : 'ct mark') : rep.kind === 'set' ? 'meta mark set' : 'meta mark',
        ...(comment !== undefined ? { comment } : {}),
        ...(owner ? { ownerHint: owner.id } : {}),
      };
      if (rep.kind === 'set' && rep.target && rep.value) {
        const target = rep.target;
        const value = rep.value;
        const writes = writeEffects((s) =>
          target === 'meta' ? { nfmark: valueOf(value, s), ctmark: s.ctmark } : { nfmark: s.nfmark, ctmark: valueOf(value, s) },
        );
        const pairs: MarkAccess['pairs'] = value.k === 'const' ? [{ mark: target === 'meta' ? 'nfmark' : 'ctmark', value: value.value, mask: 0xffffffff }] : [];
        out.push({ ...base, writes, reads: writeReads(writes), pairs });
      } else if (rep.kind === 'match' && rep.lhs && rep.op && rep.rhs) {
        const mark = rep.lhs.src === 'meta' ? 'nfmark' : 'ctmark';
        const ipt = iptablesOpForMatch(rep.lhs, rep.op, rep.rhs);
        if (ipt.op && ipt.op.kind === 'match') {
          const t = testEffects(mark, ipt.op.value, ipt.op.mask, ipt.op.invert);
          out.push({ ...base, writes: [], reads: [], test: t, pairs: [{ mark, value: ipt.op.value, mask: ipt.op.mask }] });
        } else {
          // ranges, sets, prefixes...: the bits the compared value depends on (an upper bound)
          const lhs = rep.lhs;
          const zero = runProgram(lhs, { nfmark: 0, ctmark: 0 });
          let deps = 0;
          for (let b = 0; b < 32; b++) {
            const e = 2 ** b;
            const y = runProgram(lhs, mark === 'nfmark' ? { nfmark: e, ctmark: 0 } : { nfmark: 0, ctmark: e });
            if (y !== zero) deps = (deps | e) >>> 0;
          }
          out.push({
            ...base,
            writes: [],
            reads: [],
            test: { mark, value: 0, mask: deps, invert: false, tested: deps, requiresOne: 0, constant: deps === 0 },
            pairs: [],
          });
        }
      }
    }
  }
  return out;
}
