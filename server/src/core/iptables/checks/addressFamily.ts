/** address-family: an address of the other family than the file is loaded with (header, name, else majority). */
import { Entry, RuleDocument } from '../syntax/document';
import { addrMessage, parsedAddrs } from './addresses';
import { LineRecord, PendingFinding } from './records';

export function checkFamilies(doc: RuleDocument, entries: Entry[], items: LineRecord[], addrLines: number[], n4: number, n6: number, heads: string[], uriFamily: 0 | 4 | 6, out: PendingFinding[]): void {
  if (!addrLines.length) return;
  let family: 0 | 4 | 6 = 0;
  if (doc.format === 'save') {
    // the header iptables-save wrote, else the file's name (rules.v6, ip6tables...), else
    // the majority: a file with both families' addresses fails in iptables-restore and in
    // ip6tables-restore alike, the minority is the mistake
    const six = heads.some((h) => /^#.*\bip6tables-save\b/.test(h));
    const four = heads.some((h) => /^#.*\biptables-save\b/.test(h));
    if (six !== four) family = six ? 6 : 4;
    else if (uriFamily) family = uriFamily;
    else if (n4 && n6 && n4 !== n6) family = n4 > n6 ? 4 : 6;
  }
  for (const idx of addrLines) {
    const it = items[idx];
    const f = it.family || family;
    if (!f) continue;
    // save lines only count their addresses: the lines flagged are few, place them with the parse
    if (!it.addrs && (f === 4 ? it.v6Count + it.bracketedV4Count : it.v4Count) === 0) continue;
    const addrs = it.addrs ?? parsedAddrs(doc.lines[entries[idx].line]);
    let group = -1;
    addrs.forEach((a, q) => {
      // iptables reads no `[...]` at all (Invalid address format), whatever is inside
      if (a.fam === f && !(f === 4 && a.bracket)) return;
      // iptables stops at the first bad address of a NAT or iprange value
      if (a.kind !== 'host' && a.group === group) return;
      group = a.group;
      out.push({ idx, src: 'addr', k: q, code: 'address-family', severity: 'error', message: addrMessage(a, f) });
    });
  }
}
