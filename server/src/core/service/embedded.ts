/**
 * The here-documents scripts feed to iptables-restore, each open as a save document of its
 * own in an inner service, kept in step with the script's text; every request inside one is
 * answered there and moved back through its Projection.
 */
import { type RuleDocument, restoreBodyText } from '../iptables/syntax/document';
import { Projection } from './projection';

/** What the embedded documents need of the service that holds them. */
export interface InnerService {
  open(uri: string, text: string, languageId?: string, version?: number, format?: 'save', family?: 4 | 6): unknown;
  close(uri: string): void;
  get(uri: string): unknown;
}

export class EmbeddedDocuments<S extends InnerService> {
  private texts = new Map<string, string>();
  /** The revision of each script whose gone bodies were last closed. */
  private swept = new WeakMap<RuleDocument, number>();
  private inner?: S;

  constructor(private readonly make: () => S) {}

  /** The service the bodies are open in. */
  get service(): S {
    return (this.inner ??= this.make());
  }

  /** The restore here-document of script `uri` at `line`, opened (or brought up to date). */
  at(uri: string, doc: RuleDocument, line: number): Projection | undefined {
    if (doc.format !== 'shell') return undefined;
    // the bodies are in line order: a binary search (a script can hold thousands)
    const bs = doc.restoreBodies;
    let lo = 0;
    let hi = bs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (bs[mid].start <= line) lo = mid;
      else hi = mid - 1;
    }
    const b = bs[lo];
    if (!b || !b.literal || line < b.start || line >= b.end) return undefined;
    const { text, cut } = restoreBodyText(doc.lines, b);
    const sub = `${uri}#restore-${b.start}`;
    if (this.texts.get(sub) !== text || !this.service.get(sub)) {
      this.service.open(sub, text, 'iptables', 0, 'save', b.family);
      this.texts.set(sub, text);
    }
    // bodies that moved or went away with the edits are closed, once per revision of the script
    // (per body opened, that sweep made thousands of here-documents quadratic)
    if (this.swept.get(doc) !== doc.revision) {
      this.swept.set(doc, doc.revision);
      const live = new Set(doc.restoreBodies.map((x) => `${uri}#restore-${x.start}`));
      for (const k of [...this.texts.keys()]) if (k.startsWith(`${uri}#restore-`) && !live.has(k)) this.drop(k);
    }
    return new Projection(sub, b.start, cut, !!b.noflush);
  }

  /** Every restore here-document of script `uri`, each opened. */
  all(uri: string, doc: RuleDocument): Projection[] {
    if (doc.format !== 'shell') return [];
    const out: Projection[] = [];
    for (const x of doc.restoreBodies) {
      const b = x.literal && x.end > x.start ? this.at(uri, doc, x.start) : undefined;
      if (b) out.push(b);
    }
    return out;
  }

  /** Close the bodies of script `uri`. */
  close(uri: string): void {
    if (!this.inner) return;
    for (const sub of [...this.texts.keys()]) if (sub.startsWith(`${uri}#restore-`)) this.drop(sub);
  }

  private drop(sub: string): void {
    this.inner?.close(sub);
    this.texts.delete(sub);
  }
}
