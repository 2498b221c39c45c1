/**
 * The `--stdio` message reader: LSP base-protocol framing (`Content-Length: N\r\n\r\n` + N
 * bytes of JSON) that survives bad input. The library's reader stops reading for good at a
 * header without a usable Content-Length (the server stays alive but deaf); this one reports
 * the bad message on stderr, skips to the next header and goes on. Bounded: a header block is
 * at most MAX_HEADER bytes, a body at most MAX_BODY; chunks are joined once per message (no
 * quadratic concatenation on a 50 MB didOpen).
 */
import { AbstractMessageReader, DataCallback, Disposable, Message } from 'vscode-languageserver/node';

/** A header block longer than this is garbage, not a header. */
const MAX_HEADER = 8 * 1024;
/** The largest message body accepted: a 50 MB document, JSON-escaped, with room to spare. */
export const MAX_BODY = 256 * 1024 * 1024;

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('content-length:');

export class TolerantMessageReader extends AbstractMessageReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes of body still needed before the buffered chunks are worth joining (0: unknown). */
  private need = 0;
  private callback: DataCallback | undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly report: (message: string) => void,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (d: Buffer) => this.onData(d);
    const onError = (e: Error) => this.fireError(e);
    const onClose = () => this.fireClose();
    this.input.on('data', onData);
    this.input.on('error', onError);
    this.input.on('end', onClose);
    this.input.on('close', onClose);
    return Disposable.create(() => {
      this.input.off('data', onData);
      this.input.off('error', onError);
      this.input.off('end', onClose);
      this.input.off('close', onClose);
    });
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.size += d.length;
    if (this.need && this.size < this.need) return;
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.need = 0;
    for (;;) {
      const end = buf.indexOf(HEADER_END);
      if (end < 0) {
        if (buf.length <= MAX_HEADER) break;
        buf = this.skip(buf, `no end of header in ${buf.length} bytes`);
        if (buf.length > MAX_HEADER) buf = buf.subarray(buf.length - CONTENT_LENGTH.length);
        continue;
      }
      if (end > MAX_HEADER) {
        buf = this.skip(buf, `a header of ${end} bytes`);
        continue;
      }
      const length = contentLength(buf.subarray(0, end).toString('ascii'));
      if (typeof length === 'string') {
        buf = this.skip(buf, length);
        continue;
      }
      const total = end + 4 + length;
      if (buf.length < total) {
        this.need = total;
        break;
      }
      const body = buf.subarray(end + 4, total);
      buf = buf.subarray(total);
      let msg: Message;
      try {
        msg = JSON.parse(body.toString('utf8'));
      } catch (e) {
        this.report(`nfrules: skipped a message whose body is not JSON (${(e as Error).message})`);
        continue;
      }
      if (!msg || typeof msg !== 'object' || Array.isArray(msg)) {
        this.report('nfrules: skipped a message that is not a JSON-RPC object');
        continue;
      }
      this.callback?.(msg);
    }
    this.chunks = buf.length ? [buf] : [];
    this.size = buf.length;
  }

  /**
   * Report a malformed message and drop input up to the next `Content-Length:` header after
   * its start (LSP has no other resynchronisation point); with none, keep only a tail that
   * could be the start of one.
   */
  private skip(buf: Buffer, why: string): Buffer {
    this.report(`nfrules: malformed LSP message (${why}): skipped up to the next Content-Length header`);
    const at = indexOfCaseless(buf, CONTENT_LENGTH, 1);
    return at >= 0 ? buf.subarray(at) : buf.subarray(Math.max(1, buf.length - CONTENT_LENGTH.length));
  }
}

/** The Content-Length of a header block, or why there is none usable. */
function contentLength(header: string): number | string {
  let value: string | undefined;
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) return `a header line without a colon: ${JSON.stringify(line.slice(0, 80))}`;
    if (line.slice(0, colon).trim().toLowerCase() === 'content-length') value = line.slice(colon + 1).trim();
  }
  if (value === undefined) return 'no Content-Length header';
  if (!/^\d{1,12}$/.test(value)) return `Content-Length is not a number: ${JSON.stringify(value.slice(0, 40))}`;
  const n = Number(value);
  if (n > MAX_BODY) return `Content-Length ${n} is above the limit of ${MAX_BODY} bytes`;
  return n;
}

/** Where an ASCII needle (lower case) starts in `buf` at or after `from`, in any letter case. */
function indexOfCaseless(buf: Buffer, needle: Buffer, from: number): number {
  const first = needle[0];
  for (let i = from; i + needle.length <= buf.length; i++) {
    if ((buf[i] | 0x20) !== first) continue;
    let k = 1;
    while (k < needle.length && (buf[i + k] | (needle[k] >= 0x61 ? 0x20 : 0)) === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}
