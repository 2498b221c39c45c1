/**
 * The packet walk in the editor: a CodeLens on each built-in chain to walk the sample packet
 * through its hook; the walk the user ran stays pinned to the document (recomputed when the
 * text changes) and shows as inlay hints on the rules it hit and in hovers; a hover on any
 * rule says whether the sample in force there reaches it and what it does to the marks.
 */
import type { CodeLens, InlayHint, Range } from 'vscode-languageserver-types';
import { InlayHintKind } from 'vscode-languageserver-types';
import { ChainIndex } from '../syntax/chainIndex';
import { RuleDocument } from '../syntax/document';
import { hex8 } from '../../common/numbers';
import { Assume, WalkResult, WalkStep, walk } from './walk';
import { HOOK_TABLES, Hook, isHook } from '../knowledge/hooks';
import { Packet } from '../../common/samplePacket';
import { packetText } from '../../common/samplePacket';

/** What the client sends back when a lens is clicked (and the `nfrules/walk` request's params). */
export interface WalkRequest {
  uri: string;
  hook: Hook;
  /** Walk only this table's chain of the hook. */
  table?: string;
  /** The line of the lens: the sample in force there is the packet. */
  line: number;
}

/** The answer to `nfrules/walk`: the walk, the packet it used, and lines ready to show. */
export interface WalkView {
  request: WalkRequest;
  packet: string;
  result: WalkResult;
  /** One line: verdict and final marks. */
  summary: string;
  /** Per reached rule: its line and a one-line description. */
  steps: { line: number; matched: boolean; decided: boolean; label: string; detail: string }[];
}

export const WALK_COMMAND = 'nfrules.walkSamplePacket';

const arrow = (tables: readonly string[]) => tables.join(' → ');

/**
 * Lenses on each built-in chain that a hook starts from: the anchor is the chain's
 * declaration (`:PREROUTING ACCEPT [0:0]`), else its first rule or use. Two per chain: the
 * whole hook in the kernel's table order, and this table alone.
 */
export function walkCodeLenses(doc: RuleDocument, index: ChainIndex, uri: string, pinned?: WalkView): CodeLens[] {
  if (doc.format === 'listing') return [];
  const out: CodeLens[] = [];
  for (const t of index.tables) {
    for (const c of t.chains) {
      if (!c.builtin || !isHook(c.name) || !HOOK_TABLES[c.name].includes(t.name)) continue;
      const a = c.decl ?? c.firstRule ?? c.first;
      if (!a) continue;
      const hook = c.name;
      const range: Range = { start: { line: a.line, character: 0 }, end: { line: a.line, character: 0 } };
      const whole: WalkRequest = { uri, hook, line: a.line };
      const alone: WalkRequest = { uri, hook, table: t.name, line: a.line };
      const shown = pinned && pinned.request.hook === hook && pinned.request.line === a.line ? pinned : undefined;
      const title =
        shown && !shown.request.table
          ? `$(debug-start) ${hook}: ${shown.summary}`
          : `$(debug-start) Walk sample packet through ${hook} (${arrow(HOOK_TABLES[hook])})`;
      out.push({ range, command: { title, command: WALK_COMMAND, arguments: [whole] } });
      const titleAlone = shown && shown.request.table ? `${t.name} only: ${shown.summary}` : `${t.name} only`;
      out.push({ range, command: { title: titleAlone, command: WALK_COMMAND, arguments: [alone] } });
    }
  }
  return out;
}

const marks = (m: { nfmark: number; ctmark: number }) => `nfmark ${hex8(m.nfmark)} ctmark ${hex8(m.ctmark)}`;

function stepLabel(s: WalkStep): string {
  const how = !s.decided ? (s.matched ? 'assumed match' : 'assumed no match') : s.matched ? 'match' : 'no match';
  return `${s.table}/${s.chain}: ${how}${s.matched && s.target ? ` → ${s.target}` : ''}`;
}

function stepDetail(s: WalkStep): string {
  const parts: string[] = [];
  if (s.undecided?.length) parts.push(`undecided: ${s.undecided.join(', ')}`);
  if (s.before.nfmark !== s.after.nfmark || s.before.ctmark !== s.after.ctmark) parts.push(`${marks(s.before)} → ${marks(s.after)}`);
  else parts.push(marks(s.after));
  return parts.join(' · ');
}

export function walkSummary(r: WalkResult): string {
  const hits = r.path.filter((s) => s.matched).length;
  const undecided = r.path.some((s) => !s.decided);
  const loop = r.loop ? ' · LOOP' : '';
  return `${r.verdict}${r.verdictLine !== undefined ? ` (line ${r.verdictLine + 1})` : ''} · nfmark ${hex8(r.nfmark)} · ctmark ${hex8(r.ctmark)} · ${hits} rule${hits === 1 ? '' : 's'} hit${undecided ? ' (some assumed)' : ''}${loop}`;
}

/** Run a walk for a lens or request; the packet is the sample in force at the request's line. */
export function runWalk(doc: RuleDocument, req: WalkRequest, packet: Packet, assume: Assume): WalkView {
  const result = walk(doc, { hook: req.hook, table: req.table, packet, assume });
  return {
    request: req,
    packet: packetText(packet),
    result,
    summary: walkSummary(result),
    steps: result.path.map((s) => ({ line: s.line, matched: s.matched, decided: s.decided, label: stepLabel(s), detail: stepDetail(s) })),
  };
}

/** Inlay hints of a pinned walk: at the end of each rule it hit, the marks it left. */
export function walkInlayHints(doc: RuleDocument, view: WalkView, range: Range): InlayHint[] {
  const out: InlayHint[] = [];
  const seen = new Set<number>();
  for (const s of view.result.path) {
    if (!s.matched || s.line < range.start.line || s.line > range.end.line || seen.has(s.line)) continue;
    seen.add(s.line);
    const entry = doc.entryAt(s.line);
    const end = entry?.endLine ?? s.line;
    // the marks this rule changed, as the mark hints write them
    const changed: string[] = [];
    if (s.before.nfmark !== s.after.nfmark) changed.push(`nfmark ${hex8(s.after.nfmark)}`);
    if (s.before.ctmark !== s.after.ctmark) changed.push(`ctmark ${hex8(s.after.ctmark)}`);
    const label = `${s.decided ? '✓' : '?'} ${view.request.hook}${changed.length ? ` => ${changed.join(' ')}` : ''}`;
    out.push({
      position: { line: end, character: doc.lines[end]?.length ?? 0 },
      label,
      kind: InlayHintKind.Parameter,
      paddingLeft: true,
      tooltip: `The sample packet (${view.packet}) hits this rule in the ${view.request.hook} walk${s.decided ? '' : ` (assumed: ${s.undecided?.join(', ')})`}; ${marks(s.before)} before, ${marks(s.after)} after.`,
    });
  }
  return out;
}

/**
 * The hover section for a rule: for each hook whose tables hold this rule's table, whether
 * the sample reaches the rule, whether it matches, and the marks before and after.
 */
export function walkHoverSection(
  doc: RuleDocument,
  line: number,
  table: string | undefined,
  packet: Packet,
  assume: Assume,
  pinned: WalkView | undefined,
  allHooks: boolean,
): string | null {
  if (!table || doc.format === 'listing') return null;
  const rows: string[] = [];
  const usePinned = (h: Hook) => !!pinned && pinned.request.hook === h && !pinned.request.table && pinned.packet === packetText(packet);
  const hooks = (Object.keys(HOOK_TABLES) as Hook[]).filter((h) => HOOK_TABLES[h].includes(table) && (allHooks || usePinned(h)));
  if (!hooks.length) return null;
  for (const hook of hooks) {
    const r = usePinned(hook) ? pinned!.result : walk(doc, { hook, packet, assume });
    const steps = r.path.filter((s) => s.line === line);
    if (!steps.length) continue;
    for (const s of steps.slice(0, 3)) {
      const how = !s.decided
        ? (s.matched ? 'assumed to match' : 'assumed not to match') + ` (${s.undecided?.join(', ')})`
        : s.matched
          ? 'matches'
          : 'does not match';
      const mk =
        s.matched && (s.before.nfmark !== s.after.nfmark || s.before.ctmark !== s.after.ctmark)
          ? `; ${marks(s.before)} → ${marks(s.after)}`
          : `; ${marks(s.before)}`;
      rows.push(`- **${hook}**: reached in ${s.table}/${s.chain}${s.depth ? ` (depth ${s.depth})` : ''}, ${how}${mk}`);
    }
  }
  const head = `**Sample packet** \`${packetText(packet)}\``;
  if (!rows.length) return `${head}\n\nNot reached: in ${hooks.join(', ') || 'no hook'}, the walk of this packet never gets to this rule.`;
  return `${head}\n\n${rows.join('\n')}`;
}
