/**
 * What nft 1.0.6 refuses when it evaluates a parsed file (or the kernel refuses when nft -c
 * sends it): undefined names, base chain headers, policies, statements after a verdict,
 * family mismatches and values out of range. Each check fires only where nft certainly
 * refuses; the facts were measured with `nft -c` in a private namespace.
 */
import type { NftFinding as Finding } from '../knowledge/codes';
import type { NftChain, NftFile, NftStatement, Span } from '../syntax/ast';
import type { NftCode } from '../knowledge/codes';
import { NFT_CODE_SEVERITY } from '../knowledge/codes';
import { CHAIN_TYPES, ChainType, FAMILY_HOOKS, HOOKS, Hook, TYPE_HOOKS, priorityNameNewer, priorityNamesFor } from '../knowledge/knowledge';
import { NEWER } from '../syntax/grammar';

export interface CheckContext {
  /** Whether some include could not be read: names it may define are not judged. */
  unresolvedIncludes: boolean;
  /** Declarations of included files (tables, chains, sets), merged into the symbol tables. */
  included?: NftFile[];
}

export function finding(code: NftCode, sp: Span, message: string): Finding {
  return { code, severity: NFT_CODE_SEVERITY[code], message, line: sp.line, s: sp.col, endLine: sp.endLine, e: sp.endCol };
}

const key = (family: string, table: string): string => `${family} ${table}`;

/** The names a file (and its includes) declares, per table. */
export interface NftSymbols {
  tables: Set<string>;
  chains: Map<string, Set<string>>;
  sets: Map<string, Set<string>>;
  baseChains: Set<string>;
}

export function symbolsOf(files: NftFile[]): NftSymbols {
  const sym: NftSymbols = { tables: new Set(), chains: new Map(), sets: new Map(), baseChains: new Set() };
  const add = (m: Map<string, Set<string>>, k: string, n: string): void => {
    let s = m.get(k);
    if (!s) m.set(k, (s = new Set()));
    s.add(n);
  };
  for (const f of files) {
    for (const t of f.tables) if (t.command !== 'delete' && t.command !== 'destroy') sym.tables.add(key(t.family, t.name.name));
    for (const c of f.chains) {
      add(sym.chains, key(c.family, c.table.name), c.name.name);
      if (c.typeLine) sym.baseChains.add(`${key(c.family, c.table.name)} ${c.name.name}`);
    }
    for (const s of f.sets) add(sym.sets, key(s.family, s.table.name), s.name.name);
  }
  return sym;
}

export function checkFile(file: NftFile, ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const p of file.problems) {
    const f = finding((p.code as NftCode) ?? 'nft-syntax', p, p.message);
    if (p.severity) f.severity = p.severity;
    out.push(f);
  }
  const sym = symbolsOf([file, ...(ctx.included ?? [])]);
  const soft = ctx.unresolvedIncludes;

  // references
  for (const r of file.refs) {
    if (r.kind === 'var') {
      if ((r as { defined?: boolean }).defined === false) {
        const f = finding('nft-undefined-variable', r.name, `unknown identifier '${r.name.name}'`);
        if (soft) f.severity = 'warning';
        out.push(f);
      }
      continue;
    }
    if (!r.family || !r.table) continue;
    const k = key(r.family, r.table);
    if (!sym.tables.has(k)) continue; // the table comes from elsewhere: not judged here
    if (r.kind === 'chain') {
      if (!sym.chains.get(k)?.has(r.name.name)) {
        const f = finding(
          'nft-undefined-chain',
          r.name,
          `Could not process rule: No such file or directory: table ${r.family} ${r.table} has no chain '${r.name.name}'`,
        );
        if (soft) f.severity = 'warning';
        out.push(f);
      }
    } else if (r.kind === 'set') {
      if (!sym.sets.get(k)?.has(r.name.name)) {
        const f = finding('nft-undefined-set', r.name, `No such file or directory: table ${r.family} ${r.table} has no set or map '${r.name.name}'`);
        if (soft) f.severity = 'warning';
        out.push(f);
      }
    }
  }

  // commands that add to a table the file does not create
  const warned = new Set<string>();
  const needTable = (family: string, table: ({ name: string } & Span) | undefined): void => {
    if (!table) return;
    const k = key(family, table.name);
    if (sym.tables.has(k) || warned.has(k)) return;
    warned.add(k);
    out.push(
      finding(
        'nft-undefined-table',
        table,
        `Table ${family} ${table.name} is not created in this file: nft refuses this unless it already exists (No such file or directory)`,
      ),
    );
  };
  for (const c of file.chains) if (c.command) needTable(c.family, c.table);
  for (const r of file.rules) if (r.command) needTable(r.family, r.table);
  for (const s of file.sets) if (s.command) needTable(s.family, s.table);

  elementChecks(file, [file, ...(ctx.included ?? [])], out);

  // chains
  const seenPolicy = new Set<string>();
  for (const c of file.chains) chainChecks(c, sym, out, seenPolicy);

  // rules
  for (const r of file.rules) {
    let terminal = false;
    for (const st of r.statements) {
      if (terminal) {
        out.push(finding('nft-after-terminal', st, 'Statement after terminal statement has no effect'));
        break;
      }
      if (st.terminal) terminal = true;
      const sel = st.selector;
      // selectors of another family anywhere in the statement
      let conflict = false;
      for (const x of st.inner ?? []) {
        const w = x.selector?.split(' ')[0] ?? '';
        if ((r.family === 'ip' && w === 'ip6') || (r.family === 'ip6' && w === 'ip')) {
          out.push(finding('nft-family-mismatch', x, `conflicting protocols specified: ${r.family} vs. ${w}`));
          conflict = true;
          break;
        }
        if (r.family === 'arp' && ARP_CONFLICTS.has(w)) {
          out.push(finding('nft-family-mismatch', x, `conflicting protocols specified: arp vs. ${w}`));
          conflict = true;
          break;
        }
      }
      if (conflict || !sel) continue;
      const w0 = sel.split(' ')[0];
      if ((sel === 'reject icmp' && r.family === 'ip6') || (sel === 'reject icmpv6' && r.family === 'ip')) {
        out.push(finding('nft-family-mismatch', st, 'conflicting protocols specified: ip vs ip6'));
        continue;
      }
      if (sel === 'reject icmpx' && (r.family === 'ip' || r.family === 'ip6')) {
        out.push(finding('nft-family-mismatch', st, 'abstracted ICMP unreachable not supported (icmpx needs an inet, bridge or netdev table)'));
        continue;
      }
      const natFam = /^(snat|dnat|tproxy|dup|fwd) (ip6?)$/.exec(sel);
      if (natFam && (r.family === 'ip' || r.family === 'ip6') && natFam[2] !== r.family) {
        const what = natFam[1] === 'tproxy' ? 'tproxy' : natFam[1] === 'dup' || natFam[1] === 'fwd' ? natFam[1] : 'nat';
        out.push(
          finding(
            'nft-family-mismatch',
            st,
            `conflicting protocols specified: ${r.family} vs. ${natFam[2]}. You must specify ip or ip6 family in ${what} statement`,
          ),
        );
        continue;
      }
      if (r.family === 'arp' && ARP_CONFLICTS.has(w0) && (st.kind === 'match' || st.kind === 'set' || st.kind === 'vmap')) {
        out.push(finding('nft-family-mismatch', st, `conflicting protocols specified: arp vs. ${w0}`));
        continue;
      }
      if ((r.family === 'ip' && w0 === 'ip6') || (r.family === 'ip6' && w0 === 'ip')) {
        if (st.kind === 'match' || st.kind === 'set' || st.kind === 'vmap') {
          out.push(finding('nft-family-mismatch', st, `conflicting protocols specified: ${r.family} vs. ${w0}`));
          continue;
        }
      }
      if (r.family !== 'inet' && sel === 'meta nfproto') {
        out.push(finding('nft-family-mismatch', st, 'meta nfproto is only useful in the inet family'));
        continue;
      }
      if (/^(snat|dnat|redirect|masquerade|tproxy)/.test(sel) && st.value && /:\s*\d+(\s*-\s*\d+)?$/.test(st.value.text) && !l4Before(r.statements, st)) {
        out.push(finding('nft-nat-port', st.value, 'transport protocol mapping is only valid after transport protocol match'));
        continue;
      }
      if (st.kind === 'match' && st.value) valueChecks(sel, st.value, out);
      else if (st.kind === 'stmt' && st.value && /^(snat|dnat|redirect|masquerade|tproxy)$/.test(sel)) {
        const m = /:(\d+)(?:-(\d+))?$/.exec(st.value.text);
        if (m && (Number(m[1]) > 65535 || (m[2] !== undefined && Number(m[2]) > 65535))) out.push(finding('nft-value-range', st.value, 'Service out of range'));
      }
    }
  }
  return out;
}

/** Whether a statement before `st` in the rule matches a transport protocol. */
function l4Before(sts: readonly NftStatement[], st: NftStatement): boolean {
  for (const x of sts) {
    if (x === st) return false;
    const sels = [x.selector ?? '', ...(x.inner ?? []).map((i) => i.selector ?? '')];
    if (sels.some((s) => /^(tcp|udp|udplite|sctp|dccp|th) |^meta l4proto$|^ip protocol$|^ip6 nexthdr$|^ct (original |reply )?protocol$/.test(s))) return true;
  }
  return false;
}

const ARP_CONFLICTS: ReadonlySet<string> = new Set(['ip', 'ip6', 'tcp', 'udp', 'udplite', 'sctp', 'dccp', 'th', 'icmp', 'icmpv6', 'igmp', 'ah', 'esp', 'comp']);

const PORT_SELECTORS = /^(tcp|udp|udplite|sctp|dccp|th) (sport|dport)$/;

function portProblem(text: string): string | undefined {
  const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(text);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : undefined;
  if (a > 65535 || (b !== undefined && b > 65535)) return 'Service out of range';
  return undefined;
}

/** Values written into named sets, judged by the set's declared type. */
function elementChecks(file: NftFile, files: NftFile[], out: Finding[]): void {
  const types = new Map<string, string[]>();
  for (const f of files) {
    for (const s of f.sets) {
      if (!s.keyType) continue;
      const comps = s.keyType.name.split(/\s+\.\s+|\s+\.|\.\s+/).map((c) => c.trim());
      const kinds = comps.map((c) =>
        s.typeof ? (PORT_SELECTORS.test(c) ? 'inet_service' : /^ip (saddr|daddr)$/.test(c) ? 'ipv4_addr' : /^ip6 (saddr|daddr)$/.test(c) ? 'ipv6_addr' : c) : c,
      );
      types.set(`${s.family} ${s.table.name} ${s.name.name}`, kinds);
    }
  }
  for (const el of file.elements) {
    const kinds = el.kinds
      ? el.kinds.map((c) => (PORT_SELECTORS.test(c) || /^@ th , (0|16) , 16$/.test(c) ? 'inet_service' : c))
      : types.get(`${el.family} ${el.table} ${el.set}`);
    if (!kinds) continue;
    const parts = el.key.text.split(/\s+\.\s+/);
    if (parts.length !== kinds.length) continue;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i].trim();
      const msg = kinds[i] === 'inet_service' ? portProblem(p) : undefined;
      if (msg) {
        out.push(finding('nft-value-range', el.key, msg));
        break;
      }
    }
  }
}

function valueChecks(sel: string, v: Span & { text: string }, out: Finding[]): void {
  const text = v.text;
  if (text.startsWith('{')) return; // elements: see elementChecks
  if (PORT_SELECTORS.test(sel)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(text);
    if (m) {
      const a = Number(m[1]);
      const b = m[2] !== undefined ? Number(m[2]) : undefined;
      if (a > 65535 || (b !== undefined && b > 65535)) {
        out.push(finding('nft-value-range', v, 'Service out of range'));
        return;
      }
    }
    return;
  }
  if (sel === 'meta mark' || sel === 'ct mark' || sel === 'mark') {
    const m = /^(0[xX][0-9a-fA-F]+|\d+)\/(0[xX][0-9a-fA-F]+|\d+)$/.exec(text);
    if (m) {
      const n = Number(m[2]);
      if (n > 32) {
        out.push(
          finding(
            'nft-value-range',
            v,
            `Prefix length ${n} is invalid for type of 32 bits width (iptables' value/mask: in nft write \`mark and ${m[2]} == ${m[1]}\`)`,
          ),
        );
      }
    }
  }
}

function chainChecks(c: NftChain, sym: NftSymbols, out: Finding[], seenPolicy: Set<string>): void {
  const family = c.family;
  const ck = `${family} ${c.table.name} ${c.name.name}`;
  if (c.policy && !c.typeLine && !sym.baseChains.has(ck) && !seenPolicy.has(ck)) {
    seenPolicy.add(ck);
    out.push(
      finding('nft-policy-regular', c.policy, 'Could not process rule: Operation not supported: a policy needs a base chain (type ... hook ... priority ...)'),
    );
  }
  if (!c.typeLine || !c.type || !c.hook) return;
  const type = c.type.name;
  const hook = c.hook.name;
  if (!(CHAIN_TYPES as readonly string[]).includes(type)) {
    out.push(finding('nft-chain-type', c.type, 'unknown chain type'));
    return;
  }
  if (!(HOOKS as readonly string[]).includes(hook)) {
    out.push(finding('nft-chain-hook', c.hook, 'unknown chain hook'));
    return;
  }
  if (!FAMILY_HOOKS[family].includes(hook as Hook)) {
    out.push(finding('nft-chain-hook', c.hook, `The ${family} family does not support this hook`));
    return;
  }
  const hooks = TYPE_HOOKS[type as ChainType][family];
  if (!hooks) {
    out.push(finding('nft-type-hook', c.type, `Could not process rule: No such file or directory: the kernel has no ${type} chains in the ${family} family`));
  } else if (!hooks.includes(hook as Hook)) {
    out.push(
      finding('nft-type-hook', c.name, `Could not process rule: Operation not supported: a ${type} chain cannot use the ${hook} hook in the ${family} family`),
    );
  }
  if ((family === 'netdev' || (family === 'inet' && hook === 'ingress')) && !c.device) {
    out.push(finding('nft-device', c.typeLine, "Missing `device' in this chain definition"));
  }
  const p = c.priority;
  if (p?.name) {
    const names = priorityNamesFor(family, hook);
    if (!names.includes(p.name.name)) {
      const newer = priorityNameNewer(family, p.name.name);
      const known = ['raw', 'mangle', 'dstnat', 'filter', 'security', 'srcnat', 'out'].includes(p.name.name);
      const hint = names.length ? ` (here: ${names.join(', ')}, or a number)` : '';
      out.push(finding('nft-priority', p, `invalid priority expression value in this context.${hint}${newer && known ? ` ${NEWER} in this hook.` : ''}`));
    }
  }
}
