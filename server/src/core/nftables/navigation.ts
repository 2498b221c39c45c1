/**
 * Navigation over a parsed nftables file, as pure functions: the outline (tables, then their
 * chains with type/hook/priority/policy, sets, maps, flowtables, objects; defines), and
 * definition/references of chains (jump/goto, verdict maps), sets and maps (`@name`) and
 * variables (`$name`). Positions are offsets into the text (see ast.ts for the ranges).
 */
import type { NftFile, NftName, Span } from './syntax/ast';
import type { Family } from './knowledge/knowledge';

export type NftSymbolKind = 'table' | 'chain' | 'set' | 'map' | 'flowtable' | 'object' | 'define';

export interface NftOutlineSymbol {
  kind: NftSymbolKind;
  name: string;
  /** `type filter hook input priority 0; policy drop` for a base chain, the type of a set... */
  detail: string;
  range: Span;
  selection: Span;
  children: NftOutlineSymbol[];
}

const tkey = (family: Family, table: string): string => `${family} ${table}`;

function cover(a: Span, b: Span): Span {
  const first = a.s <= b.s ? a : b;
  const last = a.e >= b.e ? a : b;
  return { s: first.s, e: last.e, line: first.line, col: first.col, endLine: last.endLine, endCol: last.endCol };
}

/** The outline: one entry per table (declarations of the same table merged), defines first. */
export function nftOutline(file: NftFile): NftOutlineSymbol[] {
  const out: NftOutlineSymbol[] = [];
  for (const d of file.defines) {
    if (d.kind === 'undefine') continue;
    out.push({ kind: 'define', name: `$${d.name.name}`, detail: d.value?.text ?? '', range: d.span, selection: d.name, children: [] });
  }
  const tables = new Map<string, NftOutlineSymbol>();
  const tableOf = (family: Family, name: NftName, span: Span): NftOutlineSymbol => {
    const k = tkey(family, name.name);
    let t = tables.get(k);
    if (!t) {
      t = { kind: 'table', name: `${family} ${name.name}`, detail: '', range: span, selection: name, children: [] };
      tables.set(k, t);
      out.push(t);
    } else t.range = cover(t.range, span);
    return t;
  };
  for (const t of file.tables) {
    if (t.command === 'delete' || t.command === 'destroy') continue;
    tableOf(t.family, t.name, t.span);
  }
  const chains = new Map<string, NftOutlineSymbol>();
  for (const c of file.chains) {
    const t = tableOf(c.family, c.table, c.span);
    const k = `${tkey(c.family, c.table.name)} ${c.name.name}`;
    const parts: string[] = [];
    if (c.type && c.hook)
      parts.push(`type ${c.type.name} hook ${c.hook.name}${c.device ? ` device ${c.device.name}` : ''} priority ${c.priority?.text ?? '?'}`);
    if (c.policy) parts.push(`policy ${c.policy.name}`);
    const existing = chains.get(k);
    if (existing) {
      existing.range = cover(existing.range, c.span);
      if (parts.length && !existing.detail) existing.detail = parts.join('; ');
      continue;
    }
    const sym: NftOutlineSymbol = { kind: 'chain', name: c.name.name, detail: parts.join('; '), range: c.span, selection: c.name, children: [] };
    chains.set(k, sym);
    t.children.push(sym);
  }
  for (const s of file.sets) {
    const t = tableOf(s.family, s.table, s.span);
    const type = s.keyType ? `${s.typeof ? 'typeof' : 'type'} ${s.keyType.name}${s.valueType ? ` : ${s.valueType.name}` : ''}` : '';
    t.children.push({ kind: s.kind, name: s.name.name, detail: type, range: s.span, selection: s.name, children: [] });
  }
  for (const f of file.flowtables) {
    tableOf(f.family, f.table, f.span).children.push({ kind: 'flowtable', name: f.name.name, detail: '', range: f.span, selection: f.name, children: [] });
  }
  for (const o of file.objects) {
    tableOf(o.family, o.table, o.span).children.push({ kind: 'object', name: o.name.name, detail: o.objType, range: o.span, selection: o.name, children: [] });
  }
  for (const t of tables.values()) t.children.sort((a, b) => a.range.s - b.range.s);
  return out;
}

/** What a name at an offset stands for. */
export interface NftSymbolRef {
  kind: 'chain' | 'set' | 'var';
  name: string;
  family?: Family;
  table?: string;
}

const inside = (sp: Span, offset: number): boolean => offset >= sp.s && offset <= sp.e;

/** The chain, set/map or variable named at an offset (a declaration or a use), if any. */
export function nftSymbolAt(file: NftFile, offset: number): NftSymbolRef | undefined {
  for (const r of file.refs) {
    if (inside(r.name, offset) || inside(r.span, offset)) {
      return { kind: r.kind, name: r.name.name, family: r.family, table: r.table };
    }
  }
  for (const c of file.chains) if (inside(c.name, offset)) return { kind: 'chain', name: c.name.name, family: c.family, table: c.table.name };
  for (const s of file.sets) if (inside(s.name, offset)) return { kind: 'set', name: s.name.name, family: s.family, table: s.table.name };
  for (const d of file.defines) if (inside(d.name, offset)) return { kind: 'var', name: d.name.name };
  return undefined;
}

/** Where a symbol is declared (chains: every declaration; variables: every define). */
export function nftDeclarations(file: NftFile, sym: NftSymbolRef): Span[] {
  switch (sym.kind) {
    case 'chain':
      return file.chains.filter((c) => c.name.name === sym.name && c.family === sym.family && c.table.name === sym.table).map((c) => c.name);
    case 'set':
      return file.sets.filter((s) => s.name.name === sym.name && s.family === sym.family && s.table.name === sym.table).map((s) => s.name);
    case 'var':
      return file.defines.filter((d) => d.kind !== 'undefine' && d.name.name === sym.name).map((d) => d.name);
  }
}

/** Go to definition: the declarations of what is named at the offset. */
export function nftDefinition(file: NftFile, offset: number): Span[] {
  const sym = nftSymbolAt(file, offset);
  return sym ? nftDeclarations(file, sym) : [];
}

/** Every use of what is named at the offset (and its declarations when asked). */
export function nftReferences(file: NftFile, offset: number, includeDeclaration: boolean): Span[] {
  const sym = nftSymbolAt(file, offset);
  if (!sym) return [];
  const uses = file.refs
    .filter((r) => r.kind === sym.kind && r.name.name === sym.name && (sym.kind === 'var' || (r.family === sym.family && r.table === sym.table)))
    .map((r) => r.name as Span);
  const all = includeDeclaration ? [...nftDeclarations(file, sym), ...uses] : uses;
  return all.sort((a, b) => a.s - b.s);
}
