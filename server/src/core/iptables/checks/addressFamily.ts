/** address-family: an address of the other family than the file is loaded with (header, name, else majority). */
import { REJECT4, REJECT6 } from '../knowledge/valueSets';
import { Entry, RuleDocument } from '../syntax/document';
import { addrMessage, parsedAddrs } from './addresses';
import { LineRecord, PendingFinding } from './records';

export function checkFamilies(
  doc: RuleDocument,
  entries: Entry[],
  items: LineRecord[],
  addrLines: number[],
  n4: number,
  n6: number,
  heads: string[],
  uriFamily: 0 | 4 | 6,
  out: PendingFinding[],
): void {
  if (!addrLines.length) return;
  // the header iptables-save wrote, else the file's name (rules.v6, ip6tables...), else
  // the majority: a file with both families' addresses fails in iptables-restore and in
  // ip6tables-restore alike, the minority is the mistake
  const family = saveFamily(doc, heads, uriFamily, n4, n6);
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

export const REJECT_WITH_RE = /--reject-with[ =]"?([A-Za-z0-9-]+)/;
/** REJECT's types per family (libipt_REJECT.c / libip6t_REJECT.c, 1.8.9): a type of the other family is unknown. */
const REJECT_TYPES: Record<4 | 6, ReadonlySet<string>> = { 4: new Set(REJECT4), 6: new Set(REJECT6) };

/** `--reject-with` types the file's family does not have (`icmp6-...` in an IPv4 file and the reverse). */
export function checkRejects(
  doc: RuleDocument,
  entries: Entry[],
  items: LineRecord[],
  heads: string[],
  n4: number,
  n6: number,
  uriFamily: 0 | 4 | 6,
  out: PendingFinding[],
): void {
  const fileFamily = saveFamily(doc, heads, uriFamily, n4, n6);
  for (let idx = 0; idx < items.length; idx++) {
    const it = items[idx];
    if (it.k !== 'rule' || it.target !== 'REJECT') continue;
    const f = it.family || fileFamily;
    if (!f) continue;
    const e = entries[idx];
    for (let l = e.line; l <= e.endLine; l++) {
      const m = REJECT_WITH_RE.exec(doc.lines[l] ?? '');
      if (!m) continue;
      const t = m[1];
      // a type of neither family is the per-line check's
      if (!REJECT_TYPES[f].has(t) && REJECT_TYPES[f === 4 ? 6 : 4].has(t))
        out.push({
          idx,
          src: 'reject',
          k: 0,
          code: 'address-family',
          severity: 'error',
          message: `unknown reject type "${t}" (an ${f === 4 ? 'IPv6 type in an IPv4' : 'IPv4 type in an IPv6'} file: ${f === 4 ? 'iptables' : 'ip6tables'} does not know it)`,
        });
      break;
    }
  }
}

/** The family a save file is loaded in: its iptables-save header, else its name, else the majority of its addresses; 0: unknown. */
function saveFamily(doc: RuleDocument, heads: string[], uriFamily: 0 | 4 | 6, n4: number, n6: number): 0 | 4 | 6 {
  if (doc.format !== 'save') return 0;
  const six = heads.some((h) => /^#.*\bip6tables-save\b/.test(h));
  const four = heads.some((h) => /^#.*\biptables-save\b/.test(h));
  if (six !== four) return six ? 6 : 4;
  if (uriFamily) return uriFamily;
  if (n4 && n6 && n4 !== n6) return n4 > n6 ? 4 : 6;
  return 0;
}

/** Extensions one family's iptables has and the other's lacks (iptables 1.8.9, checked in a namespace). */
const ONLY: Record<4 | 6, { match: ReadonlySet<string>; target: ReadonlySet<string> }> = {
  4: { match: new Set(['icmp', 'ttl', 'realm']), target: new Set(['TTL', 'ECN', 'CLUSTERIP']) },
  6: { match: new Set(['icmp6', 'hl', 'ipv6header', 'frag', 'rt', 'mh', 'eui64', 'hbh', 'dst', 'srh']), target: new Set(['HL', 'DNPT', 'SNPT']) },
};
export const EXT_RE = /(?:^|\s)(-m|--match|-j|--jump)[ =]"?([A-Za-z0-9_]+)/g;

/** `-m icmp6` in an iptables file, `-m icmp` or `-j TTL` in an ip6tables one: the other family's extension. */
export function checkFamilyExtensions(
  doc: RuleDocument,
  entries: Entry[],
  items: LineRecord[],
  heads: string[],
  n4: number,
  n6: number,
  uriFamily: 0 | 4 | 6,
  out: PendingFinding[],
): void {
  const fileFamily = saveFamily(doc, heads, uriFamily, n4, n6);
  for (let idx = 0; idx < items.length; idx++) {
    const it = items[idx];
    if (it.k !== 'rule') continue;
    const f = it.family || fileFamily;
    if (!f) continue;
    const other = ONLY[f === 4 ? 6 : 4];
    const e = entries[idx];
    let k = 0;
    for (let l = e.line; l <= e.endLine; l++) {
      const text = doc.lines[l] ?? '';
      if (text.indexOf('-') < 0) continue;
      for (const m of text.matchAll(EXT_RE)) {
        const isMatch = m[1] === '-m' || m[1] === '--match';
        const name = m[2];
        if (isMatch ? other.match.has(name) : other.target.has(name)) {
          const prog = f === 4 ? 'iptables' : 'ip6tables';
          const message = isMatch
            ? `Couldn't load match \`${name}':No such file or directory (${name} is ${f === 4 ? 'ip6tables' : 'iptables'}' match, ${prog} has none)`
            : `Chain '${name}' does not exist (${name} is ${f === 4 ? 'ip6tables' : 'iptables'}' target: ${prog} takes -j ${name} for a jump to a chain, and refuses its options)`;
          out.push({ idx, src: 'ext', k, code: 'address-family', severity: 'error', message });
        }
        k++;
      }
    }
  }
}
