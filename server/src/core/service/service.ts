/**
 * The language service: binds the features to parsed documents. It keeps one parse per
 * document (updated in place by edits) and one analysis per revision. No I/O, no LSP
 * connection: the server and the CLI both drive it.
 */
import { countLineEnds } from '../common/lines';
import {
  CodeAction,
  CodeLens,
  CompletionList,
  Diagnostic,
  InlayHint,
  Range,
  DiagnosticSeverity,
  DocumentHighlight,
  DocumentSymbol,
  FoldingRange,
  Hover,
  Location,
  SymbolInformation,
} from 'vscode-languageserver-types';
import { Analysis, Finding, Settings, DEFAULT_SETTINGS, analyze, flowOptions, reanalyzeSwapped } from '../iptables/checks/analysis';
import { familyOfUri, flowFindings } from '../iptables/checks/fileChecks';
import { markRewrites, markSourceActions, offerSourceActions, resolveSourceAction } from '../features/codeActions';
import { Format, RuleDocument, detectFormat } from '../iptables/syntax/document';
import { EmbeddedDocuments } from './embedded';
import type { Finding as AnyFinding } from '../common/finding';
import { isNftables } from './languages';
import { buildMarkMap, type MarkAccess, type MarkMap } from '../marks/bitmap';
import { iptablesMarkAccesses } from '../iptables/checks/marksMap';
import { nftMarkAccesses } from '../nftables/checks/marksMap';
import { markAccessHover } from '../marks/bitmapHover';
import {
  NftDocument,
  nftCompletion,
  nftCodeActions,
  nftHover,
  nftDefinitionAt,
  nftDocumentSymbols,
  nftFindings,
  nftFoldingRanges,
  nftHighlights,
  nftReferencesAt,
  nftRename,
} from '../features/nftables';
import { Projection, decodeTokens, encodeTokens } from './projection';
import { hover } from '../features/hover';
import { docsHover } from '../features/docsHover';
import { quickFixes } from '../features/quickFixes';
import { Position } from '../features/cursor';
import { ChainIndex, buildChainIndex, patchLine } from '../iptables/syntax/chainIndex';
import * as nav from '../features/navigation';
import { completion } from '../features/completion';
import { markInlayHints } from '../features/inlayHints';
import { semanticTokens } from '../features/semanticTokens';
import { documentSymbols, foldingRanges, workspaceSymbols } from '../features/symbols';
import { Assume } from '../iptables/walk/walk';
import { Packet } from '../common/samplePacket';
import { PacketKey, basePacket } from '../common/samplePacket';
import { packetAt } from '../iptables/walk/packet';
import { WalkRequest, WalkView, runWalk, walkCodeLenses, walkHoverSection, walkInlayHints } from '../iptables/walk/walkView';

/**
 * A line the editor ends at a lone `\r`: iptables-restore and the shell read on to the next
 * `\n`, so what they load is not what the other findings judge line by line.
 */
function loneCarriageReturn(line: number, length: number): Finding {
  return {
    code: 'lone-carriage-return',
    severity: 'warning',
    message:
      'A lone carriage return (\\r) ends this line in the editor, but not for iptables-restore or the shell: they read it and the next line as one line.',
    line,
    s: length,
    endLine: line,
    e: length,
  };
}

/** Per-code severity overrides: `iptables.diagnostics.<code>`. */
export type SeverityOverride = 'off' | 'hint' | 'information' | 'warning' | 'error';

export interface ServiceSettings extends Settings {
  diagnostics: Record<string, SeverityOverride>;
  /** `iptables.inlayHints.marks`: show the mark a write leaves after it. */
  inlayHints: { marks: boolean };
  /** `iptables.sample.src|dst|proto|...`: the sample packet's fields ('' or absent: unknown). */
  packet: Partial<Record<PacketKey, string>>;
  /** `iptables.walk.assume`: which way the walk goes at a match it cannot decide. */
  walk: { assume: Assume };
}

export const DEFAULT_SERVICE_SETTINGS: ServiceSettings = {
  ...DEFAULT_SETTINGS,
  diagnostics: {},
  inlayHints: { marks: true },
  packet: {},
  walk: { assume: 'nomatch' },
};

/** Up to this many lines, the mark-bit map is built on the keystroke too (beyond, once typing pauses). */
const MARK_MAP_QUICK_MAX_LINES = 20_000;

/** Beyond this many lines, a hover computes only the pinned walk, not one per hook. */
const HOVER_WALK_MAX_LINES = 20_000;

const SEVERITY: Record<string, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(f: AnyFinding, overrides: Record<string, SeverityOverride> = {}): Diagnostic | null {
  const o = overrides[f.code];
  if (o === 'off') return null;
  return {
    range: { start: { line: f.line, character: f.s }, end: { line: f.endLine, character: f.e } },
    severity: SEVERITY[o ?? f.severity],
    code: f.code,
    source: 'nfrules',
    message: f.message,
  };
}

interface Held {
  doc: RuleDocument;
  version: number;
  /** The address family the document's name implies (`rules.v6`, `ip6tables*`...), or given. */
  family?: 4 | 6;
  analysis?: { revision: number; settings: Settings; value: Analysis };
  chains?: ChainIndex;
  /** File-level findings (flow.ts) of `revision`, or of an earlier text moved along with the edits (`fresh` false). */
  flow?: { revision: number; findings: Finding[]; fresh: boolean; unused: boolean; ran: boolean };
  /** Whether the text mentions marks, per revision (the whole-file rewrites are offered then). */
  marks?: { revision: number; value: boolean };
  /** The walk the user ran (a lens or `nfrules/walk`), recomputed when the text changes. */
  pinned?: { view: WalkView; revision: number; settings: ServiceSettings };
}

const noflushVariants = new WeakMap<Settings, Settings>();
/** The same settings with noflush on, one object per settings object (analyses are cached by identity). */
function noflushOf(settings: Settings): Settings {
  if (settings.noflush) return settings;
  let v = noflushVariants.get(settings);
  if (!v) noflushVariants.set(settings, (v = { ...settings, noflush: true }));
  return v;
}

export class NfRulesService {
  private docs = new Map<string, Held>();
  /** nftables documents (`*.nft`, nftables.conf, `nft -f` scripts): a language of their own. */
  private nft = new Map<string, NftDocument>();
  /** The here-documents scripts feed to iptables-restore, open as save documents of their own. */
  private embedded = new EmbeddedDocuments(() => new NfRulesService());

  /** The restore here-document of a script at `line`, opened in the embedded service. */
  private bodyAt(uri: string, line: number): Projection | undefined {
    const h = this.docs.get(uri);
    return h && this.embedded.at(uri, h.doc, line);
  }

  /** The restore here-documents of a script, each opened in the embedded service. */
  private bodies(uri: string): Projection[] {
    const h = this.docs.get(uri);
    return h ? this.embedded.all(uri, h.doc) : [];
  }

  open(uri: string, text: string, languageId?: string, version = 0, format?: Format, family?: 4 | 6): RuleDocument | NftDocument {
    if (!format && isNftables(uri, text, languageId)) {
      const d = new NftDocument(text, version);
      this.nft.set(uri, d);
      this.docs.delete(uri);
      return d;
    }
    this.nft.delete(uri);
    const doc = new RuleDocument(text, format ?? detectFormat(uri, text, languageId));
    this.docs.set(uri, { doc, version, family: family ?? familyOfUri(uri) });
    return doc;
  }

  /** Apply LSP content changes (ranged or whole-text) in order. */
  change(uri: string, changes: { range?: { start: Position; end: Position }; text: string }[], version: number): void {
    const n = this.nft.get(uri);
    if (n) {
      for (const c of changes) n.applyEdit(c.range, c.text);
      n.version = version;
      return;
    }
    const h = this.docs.get(uri);
    if (!h) return;
    for (const c of changes) {
      const r = c.range;
      // typing inside one line of a save file: patch the chain index instead of rebuilding it
      const inLine = r && r.start.line === r.end.line && h.chains?.revision === h.doc.revision && !/[\r\n]/.test(c.text);
      const old = inLine ? h.doc.lines[r.start.line] : undefined;
      h.doc.applyEdit(c.range, c.text);
      if (old !== undefined && h.chains && !patchLine(h.chains, h.doc, r!.start.line, old)) h.chains = undefined;
      if (h.flow) h.flow.findings = shiftFindings(h.flow.findings, c);
    }
    h.version = version;
  }

  close(uri: string): void {
    this.embedded.close(uri);
    this.docs.delete(uri);
    this.nft.delete(uri);
  }

  /** The lines of an open document of any language, as the editor counts them. */
  lines(uri: string): readonly string[] | undefined {
    return this.docs.get(uri)?.doc.lines ?? this.nft.get(uri)?.lines;
  }

  get(uri: string): RuleDocument | undefined {
    return this.docs.get(uri)?.doc;
  }

  version(uri: string): number | undefined {
    return this.docs.get(uri)?.version ?? this.nft.get(uri)?.version;
  }

  analysis(uri: string, settings: Settings = DEFAULT_SETTINGS): Analysis | undefined {
    const h = this.docs.get(uri);
    if (!h) return undefined;
    const a = h.analysis;
    if (a && a.revision === h.doc.revision && a.settings === settings) return a.value;
    // one keystroke inside a line since: only that line's findings are made again
    const swap = h.doc.lastSwap;
    const value =
      (a &&
        a.settings === settings &&
        a.revision === h.doc.revision - 1 &&
        swap?.revision === h.doc.revision &&
        reanalyzeSwapped(h.doc, a.value, swap.old, swap.now)) ||
      analyze(h.doc, settings, { flow: false });
    h.analysis = { revision: h.doc.revision, settings, value };
    return value;
  }

  /**
   * The file-level findings (flow.ts: chain graph, loops, reachability, rule order). `now`
   * computes them for this revision; `quick` only when the cached graph pass still holds,
   * else it gives the last ones, moved along with the edits since, and `flowStale` says so
   * (the server then asks for `now` once typing pauses).
   */
  private flow(h: Held, settings: Settings, mode: 'now' | 'quick'): Finding[] {
    const opts = flowOptions(settings, h.family);
    const f = h.flow;
    const rev = h.doc.revision;
    if (f && f.revision === rev && f.fresh && f.unused === !!opts.unusedChain) return f.findings;
    // a document just opened has nothing earlier to show meanwhile: none until the pass runs
    const found = mode === 'now' ? flowFindings(h.doc, opts) : flowFindings(h.doc, { ...opts, quickOnly: true });
    if (found) h.flow = { revision: rev, findings: found, fresh: true, unused: !!opts.unusedChain, ran: true };
    else h.flow = { revision: rev, findings: f?.findings ?? [], fresh: false, unused: !!opts.unusedChain, ran: !!f?.ran };
    return h.flow.findings;
  }

  /** Whether the file-level pass has run on some revision of the document yet. */
  flowDone(uri: string): boolean {
    const f = this.docs.get(uri)?.flow;
    return !!f?.ran;
  }

  /** Whether the last `quick` diagnostics gave file-level findings of an earlier text. */
  flowStale(uri: string): boolean {
    const f = this.docs.get(uri)?.flow;
    return !!f && !f.fresh;
  }

  /** Every finding: the analysis's and the file-level ones. */
  findings(uri: string, settings: Settings = DEFAULT_SETTINGS, mode: 'now' | 'quick' = 'now'): Finding[] {
    const h = this.docs.get(uri);
    const a = this.analysis(uri, settings);
    if (!h || !a) return [];
    const flow = this.flow(h, settings, mode);
    let own = flow.length ? a.findings.concat(flow) : a.findings;
    const cr = h.doc.loneCarriageReturns();
    if (cr.length) own = own.concat(cr.map((line) => loneCarriageReturn(line, h.doc.lines[line].length)));
    // a script's here-documents fed to iptables-restore: their own findings, as the save files
    // they are (per-line and file-level, in the command's family), on the script's lines
    const bodies = this.bodies(uri);
    if (!bodies.length) return own;
    const out = own.slice();
    for (const b of bodies) {
      for (const f of this.embedded.service.findings(b.sub, b.noflush ? noflushOf(settings) : settings)) {
        out.push(b.finding(f));
      }
    }
    return out;
  }

  diagnostics(uri: string, settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS, mode: 'now' | 'quick' = 'now'): Diagnostic[] {
    const out: Diagnostic[] = [];
    const n = this.nft.get(uri);
    for (const f of n ? nftFindings(n) : this.findings(uri, settings, mode)) {
      const d = toDiagnostic(f, settings.diagnostics);
      if (d) out.push(d);
    }
    // the mark-bit map of every open document: its warnings on this one, the other owners' rules as related information
    const map = this.markMap(mode === 'now' || (this.docs.get(uri)?.doc.lines.length ?? 0) < MARK_MAP_QUICK_MAX_LINES);
    for (const w of map?.warnings ?? []) {
      const a = map!.accesses[w.access];
      const o = settings.diagnostics[w.code];
      if (a.uri !== uri || o === 'off') continue;
      const at = (x: typeof a) => ({ start: { line: x.line, character: x.s }, end: { line: x.endLine, character: x.e } });
      out.push({
        range: at(a),
        severity: SEVERITY[o ?? w.severity],
        code: w.code,
        source: 'nfrules',
        message: w.message,
        relatedInformation: w.related.map((r) => ({ location: { uri: map!.accesses[r.access].uri, range: at(map!.accesses[r.access]) }, message: r.message })),
      });
    }
    return out;
  }

  private mapCache?: { key: string; map: MarkMap };

  /** The mark-bit map of every open document, built once per set of revisions (undefined when stale and not `build`). */
  markMap(build = true): MarkMap | undefined {
    const key = [...this.docs]
      .map(([u, h]) => `${u}@${h.doc.revision}`)
      .concat([...this.nft].map(([u, d]) => `${u}#${d.version}`))
      .join(' ');
    if (this.mapCache?.key === key) return this.mapCache.map;
    if (!build) return undefined;
    const accesses: MarkAccess[] = [];
    for (const [u, h] of this.docs) iptablesMarkAccesses(u, h.doc, accesses);
    for (const [u, d] of this.nft) nftMarkAccesses(u, d.text, d.analysis().file, accesses);
    this.mapCache = { key, map: buildMarkMap(accesses) };
    return this.mapCache.map;
  }

  hover(uri: string, p: Position, settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS): Hover | null {
    const base = this.languageHover(uri, p, settings);
    // on a rule that writes or tests a mark: its bits and which known software uses them
    const map = this.markMap(false) ?? ((this.docs.get(uri)?.doc.lines.length ?? 0) < MARK_MAP_QUICK_MAX_LINES ? this.markMap() : undefined);
    const i = map?.accesses.findIndex((a) => a.uri === uri && p.line >= a.line && p.line <= a.endLine) ?? -1;
    if (!map || i < 0) return base;
    const bits = markAccessHover(map, i);
    if (!base) return { contents: { kind: 'markdown', value: bits } };
    return { ...base, contents: { kind: 'markdown', value: `${(base.contents as { value: string }).value}\n\n---\n\n${bits}` } };
  }

  private languageHover(uri: string, p: Position, settings: ServiceSettings): Hover | null {
    const n = this.nft.get(uri);
    if (n) return nftHover(n, p, settings.sample);
    const h = this.docs.get(uri);
    if (!h) return null;
    const body = this.bodyAt(uri, p.line);
    if (body) {
      const r = this.embedded.service.hover(body.sub, body.inward(p), settings);
      return r && r.range ? { ...r, range: body.range(r.range) } : r;
    }
    const a = this.analysis(uri, settings)!;
    const base = hover(h.doc, a, p, settings) ?? nav.chainHover(h.doc, this.chains(uri)!, p) ?? docsHover(h.doc, p);
    // on a rule: where the sample packet goes, whatever word the pointer is on
    const e = h.doc.entryAt(p.line);
    if (e?.k !== 'rule' || !e.table) return base;
    const pinned = this.pinnedWalk(uri);
    if (!pinned && h.doc.lines.length > HOVER_WALK_MAX_LINES) return base;
    const packet = packetAt(h.doc, e.line, this.basePacket(settings), a);
    const section = walkHoverSection(h.doc, e.line, e.table, packet, settings.walk.assume, pinned, h.doc.lines.length <= HOVER_WALK_MAX_LINES);
    if (!section) return base;
    if (base) return { ...base, contents: { kind: 'markdown', value: `${(base.contents as { value: string }).value}\n\n---\n\n${section}` } };
    const first = h.doc.lines[e.line] ?? '';
    return { contents: { kind: 'markdown', value: section }, range: { start: { line: e.line, character: 0 }, end: { line: e.line, character: first.length } } };
  }

  private basePacket(settings: ServiceSettings): Packet {
    return basePacket(settings.sample, settings.packet);
  }

  /** Walk the sample packet in force at `req.line` through a hook, and pin the walk to the document. */
  walk(req: WalkRequest, settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS): WalkView | null {
    const h = this.docs.get(req.uri);
    if (!h) return null;
    const packet = packetAt(h.doc, req.line, this.basePacket(settings), this.analysis(req.uri, settings));
    const view = runWalk(h.doc, req, packet, settings.walk.assume);
    h.pinned = { view, revision: h.doc.revision, settings };
    return view;
  }

  /** The pinned walk, run again if the text changed since. */
  pinnedWalk(uri: string): WalkView | undefined {
    const h = this.docs.get(uri);
    const pin = h?.pinned;
    if (!h || !pin) return undefined;
    if (pin.revision !== h.doc.revision) return this.walk(pin.view.request, pin.settings) ?? undefined;
    return pin.view;
  }

  clearWalk(uri: string): void {
    const h = this.docs.get(uri);
    if (h) h.pinned = undefined;
  }

  codeLenses(uri: string): CodeLens[] {
    const h = this.docs.get(uri);
    return h ? walkCodeLenses(h.doc, this.chains(uri)!, uri, this.pinnedWalk(uri)) : [];
  }

  codeActions(uri: string, range: { start: Position; end: Position }, only?: string[], diagnostics?: Diagnostic[]): CodeAction[] {
    const n = this.nft.get(uri);
    if (n) return nftCodeActions(n, uri, range).filter((a) => !only || only.some((k) => a.kind!.startsWith(k)));
    const h = this.docs.get(uri);
    if (!h) return [];
    const body = range.start.line === range.end.line ? this.bodyAt(uri, range.start.line) : undefined;
    if (body) {
      // the here-document's own actions (rewrites, quick fixes), moved to the script's lines
      const acts = this.embedded.service.codeActions(
        body.sub,
        { start: body.inward(range.start), end: body.inward(range.end) },
        only?.filter((k) => !k.startsWith('source')),
      );
      return acts.map((a) => body.codeAction(a, uri));
    }
    const out: CodeAction[] = [];
    if (!only || only.some((k) => 'quickfix'.startsWith(k))) {
      // findings do not depend on the sample settings: reuse this revision's analysis, whatever its settings
      const a = h.analysis?.revision === h.doc.revision ? h.analysis.value : this.analysis(uri)!;
      const all = { ...a, findings: this.findings(uri, h.analysis?.settings ?? DEFAULT_SETTINGS) };
      out.push(...quickFixes(h.doc, all, uri, range, diagnostics));
    }
    const wantsRefactor = !only || only.some((k) => 'refactor.rewrite'.startsWith(k));
    if (wantsRefactor) out.push(...markRewrites(h.doc, uri, range));
    // on a cursor move (no `only`) the whole-file rewrites are offered, their edits left to resolve
    if (!only) {
      if (h.doc.format !== 'listing' && this.mentionsMarks(h)) out.push(...offerSourceActions(uri));
    } else if (only.some((k) => k.startsWith('source'))) out.push(...markSourceActions(h.doc, uri, only));
    return out;
  }

  /** Whether any line says `mark` (MARK, CONNMARK, -m mark, --tproxy-mark): a text scan, once per revision. */
  private mentionsMarks(h: Held): boolean {
    if (h.marks?.revision !== h.doc.revision) h.marks = { revision: h.doc.revision, value: h.doc.lines.some((l) => /mark/i.test(l)) };
    return h.marks.value;
  }

  /** codeAction/resolve: the edit of an offered whole-file rewrite; other actions come back as they are. */
  resolveCodeAction(action: CodeAction): CodeAction {
    const uri = (action?.data as { uri?: unknown } | undefined)?.uri;
    const h = typeof uri === 'string' ? this.docs.get(uri) : undefined;
    return (h && resolveSourceAction(h.doc, action)) ?? action;
  }

  /** The chain index of a document, built once per revision. */
  chains(uri: string): ChainIndex | undefined {
    const h = this.docs.get(uri);
    if (!h) return undefined;
    if (h.chains?.revision !== h.doc.revision) h.chains = buildChainIndex(h.doc);
    return h.chains;
  }

  documentSymbols(uri: string): DocumentSymbol[] {
    const n = this.nft.get(uri);
    if (n) return nftDocumentSymbols(n);
    const h = this.docs.get(uri);
    if (!h) return [];
    const out = documentSymbols(h.doc, this.chains(uri)!);
    // a here-document fed to iptables-restore: its tables and chains, at the script's lines
    for (const b of this.bodies(uri)) {
      out.push(...this.embedded.service.documentSymbols(b.sub).map((x) => b.symbol(x)));
    }
    return out;
  }

  /** Chains across every open document whose name contains the query. */
  workspaceSymbols(query: string, limit = 1000): SymbolInformation[] {
    const out: SymbolInformation[] = [];
    for (const uri of this.docs.keys()) {
      workspaceSymbols(uri, this.chains(uri)!, query, limit, out);
      // and the chains of its restore here-documents, at the script's lines
      for (const b of this.bodies(uri)) {
        const found: SymbolInformation[] = [];
        workspaceSymbols(b.sub, this.embedded.service.chains(b.sub)!, query, limit - out.length, found);
        for (const x of found) out.push({ ...x, location: b.location(x.location, uri) });
      }
    }
    return out;
  }

  foldingRanges(uri: string): FoldingRange[] {
    const n = this.nft.get(uri);
    if (n) return nftFoldingRanges(n);
    const h = this.docs.get(uri);
    if (!h) return [];
    const out = foldingRanges(h.doc, this.chains(uri)!);
    for (const b of this.bodies(uri))
      for (const f of this.embedded.service.foldingRanges(b.sub)) out.push({ ...f, startLine: f.startLine + b.start, endLine: f.endLine + b.start });
    return out;
  }

  definition(uri: string, p: Position): Location | null {
    const n = this.nft.get(uri);
    if (n) return nftDefinitionAt(n, uri, p);
    const h = this.docs.get(uri);
    if (!h) return null;
    const b = this.bodyAt(uri, p.line);
    if (!b) return nav.definition(h.doc, this.chains(uri)!, uri, p);
    const l = this.embedded.service.definition(b.sub, b.inward(p));
    return l && b.location(l, uri);
  }

  references(uri: string, p: Position, includeDeclaration = true): Location[] {
    const n = this.nft.get(uri);
    if (n) return nftReferencesAt(n, uri, p, includeDeclaration);
    const h = this.docs.get(uri);
    if (!h) return [];
    const b = this.bodyAt(uri, p.line);
    if (!b) return nav.references(h.doc, this.chains(uri)!, uri, p, includeDeclaration);
    return this.embedded.service.references(b.sub, b.inward(p), includeDeclaration).map((l) => b.location(l, uri));
  }

  documentHighlights(uri: string, p: Position): DocumentHighlight[] {
    const n = this.nft.get(uri);
    if (n) return nftHighlights(n, p);
    const h = this.docs.get(uri);
    if (!h) return [];
    const b = this.bodyAt(uri, p.line);
    if (!b) return nav.highlights(h.doc, this.chains(uri)!, p);
    return this.embedded.service.documentHighlights(b.sub, b.inward(p)).map((x) => ({ ...x, range: b.range(x.range) }));
  }

  prepareRename(uri: string, p: Position): nav.PrepareRenameResult | null {
    const h = this.docs.get(uri);
    if (!h) return null;
    const b = this.bodyAt(uri, p.line);
    if (!b) return nav.prepareRename(h.doc, this.chains(uri)!, p);
    const r = this.embedded.service.prepareRename(b.sub, b.inward(p));
    return r && 'range' in r ? { ...r, range: b.range(r.range) } : r;
  }

  rename(uri: string, p: Position, newName: string): nav.RenameResult | null {
    const n = this.nft.get(uri);
    if (n) {
      const edit = nftRename(n, uri, p, newName);
      return edit ? { edit } : null;
    }
    const h = this.docs.get(uri);
    if (!h) return null;
    const b = this.bodyAt(uri, p.line);
    if (!b) return nav.rename(h.doc, this.chains(uri)!, uri, p, newName);
    const r = this.embedded.service.rename(b.sub, b.inward(p), newName);
    return !r || 'error' in r ? r : { edit: b.workspaceEdit(r.edit, uri) };
  }

  completion(uri: string, p: Position): CompletionList {
    const n = this.nft.get(uri);
    if (n) return nftCompletion(n, p);
    const h = this.docs.get(uri);
    if (!h) return { isIncomplete: false, items: [] };
    const b = this.bodyAt(uri, p.line);
    if (!b) return completion(h.doc, this.chains(uri)!, p);
    return b.completion(this.embedded.service.completion(b.sub, b.inward(p)));
  }

  inlayHints(uri: string, range: Range, settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS): InlayHint[] {
    const h = this.docs.get(uri);
    if (!h) return [];
    const pinned = this.pinnedWalk(uri);
    const out = pinned ? walkInlayHints(h.doc, pinned, range) : [];
    if (!settings.inlayHints.marks) return out;
    const marks = markInlayHints(h.doc, this.analysis(uri, settings)!, range, settings);
    // on the walk's path the walk's marks stand; a straight read of the file would differ
    const walked = new Set(out.map((x) => x.position.line));
    if (pinned) for (const s of pinned.result.path) walked.add(h.doc.entryAt(s.line)?.endLine ?? s.line);
    for (const m of marks) if (!walked.has(m.position.line)) out.push(m);
    // the mark hints of the here-documents fed to iptables-restore in the range
    for (const b of this.bodies(uri)) {
      if (b.end <= range.start.line || b.start > range.end.line) continue;
      for (const x of this.embedded.service.inlayHints(b.sub, { start: { line: 0, character: 0 }, end: { line: b.cut.length, character: 0 } }, settings))
        out.push(b.inlayHint(x));
    }
    return out;
  }

  /** Semantic tokens of the whole document, or of a range of it. */
  semanticTokens(uri: string, range?: Range): { data: number[] } {
    const h = this.docs.get(uri);
    if (!h) return { data: [] };
    const own = semanticTokens(h.doc, this.chains(uri)!, range);
    const bodies = this.bodies(uri);
    if (!bodies.length) return own;
    // a script's here-documents fed to iptables-restore: their tokens too, on the script's lines
    const all = decodeTokens(own.data);
    for (const b of bodies) {
      for (const t of decodeTokens(this.embedded.service.semanticTokens(b.sub).data)) {
        const moved = b.token(t);
        if (!range || (moved[0] >= range.start.line && moved[0] <= range.end.line)) all.push(moved);
      }
    }
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return { data: encodeTokens(all) };
  }
}

/**
 * Findings of an earlier text, moved along with one edit: lines below the edited ones move
 * by the lines it added or removed; findings on lines it replaced are dropped, but for an
 * edit inside one line, whose findings stay (their columns may be a little off until the
 * next pass).
 */
export function shiftFindings(findings: Finding[], c: { range?: { start: Position; end: Position }; text: string }): Finding[] {
  const r = c.range;
  if (!r) return [];
  const added = countLineEnds(c.text);
  const { line: start } = r.start;
  const { line: end } = r.end;
  const delta = added - (end - start);
  if (delta === 0 && start === end) return findings;
  const out: Finding[] = [];
  for (const f of findings) {
    if (f.endLine < start) out.push(f);
    else if (f.line > end) out.push({ ...f, line: f.line + delta, endLine: f.endLine + delta });
  }
  return out;
}
