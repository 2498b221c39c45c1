/**
 * The sample packet in force at a line of a document: the settings' packet, then every
 * `# sample:` comment above the line, each overriding the keys it writes.
 */
import type { Analysis } from '../checks/analysis';
import type { RuleDocument } from '../syntax/document';
import { Packet, setPacketField } from '../../common/samplePacket';

/**
 * The packet in force at a line: `base` (from the settings), then every `# sample:` comment
 * above the line in order, each overriding the keys it writes. With an analysis the sample
 * lines come from it (no scan of the document).
 */
export function packetAt(doc: RuleDocument, line: number, base: Packet, analysis?: Analysis): Packet {
  const p: Packet = { ...base, extra: base.extra ? { ...base.extra } : undefined };
  if (!p.extra) delete p.extra;
  const apply = (e: { k: string } | undefined) => {
    if (!e || e.k !== 'sample') return;
    const s = (e as unknown as { sample: { nfmark?: number; ctmark?: number; fields: Record<string, string> } }).sample;
    if (s.nfmark !== undefined) p.nfmark = s.nfmark;
    if (s.ctmark !== undefined) p.ctmark = s.ctmark;
    for (const [k, v] of Object.entries(s.fields)) setPacketField(p, k, v);
  };
  if (analysis) {
    for (const s of analysis.samples) {
      if (s.line >= line) break;
      apply(doc.entryAt(s.line));
    }
  } else {
    for (const e of doc.entries) {
      if (e.line >= line) break;
      apply(e);
    }
  }
  return p;
}
