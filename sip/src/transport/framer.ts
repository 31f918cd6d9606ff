// Cuts a TCP byte stream into SIP messages by Content-Length (RFC 3261 §18.3). A message that
// cannot be framed (missing terminator within the size limit, a non-numeric or a second Content-Length)
// is handed over as-is, flagged, so the caller can answer 400 and drop the connection: after a
// framing error the stream cannot be resynchronised.

export interface Frame {
  data: Buffer;
  /** True when the stream is unusable after this frame. */
  fatal: boolean;
}

const CRLF2 = Buffer.from('\r\n\r\n');

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    for (;;) {
      // CRLF keep-alives (RFC 5626) between messages are skipped.
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === 0x0d || this.buf[start] === 0x0a)) start++;
      if (start) this.buf = this.buf.subarray(start);
      if (!this.buf.length) break;
      const end = this.buf.indexOf(CRLF2);
      if (end < 0) {
        if (this.buf.length > this.maxBytes) {
          frames.push({ data: this.buf, fatal: true });
          this.buf = Buffer.alloc(0);
        }
        break;
      }
      const head = this.buf.subarray(0, end).toString('binary');
      const lengths = [...head.matchAll(/\r\n(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/gi)];
      const raw = lengths[0]?.[1]?.trim();
      // Two Content-Lengths could cut the stream two ways: there is no telling where the next message starts.
      if ((raw !== undefined && !/^\d+$/.test(raw)) || lengths.length > 1) {
        frames.push({ data: this.buf.subarray(0, end + 4), fatal: true });
        this.buf = Buffer.alloc(0);
        break;
      }
      const length = raw === undefined ? 0 : Number(raw);
      if (end + 4 + length > this.maxBytes) {
        frames.push({ data: this.buf.subarray(0, end + 4), fatal: true });
        this.buf = Buffer.alloc(0);
        break;
      }
      if (this.buf.length < end + 4 + length) break;
      frames.push({ data: this.buf.subarray(0, end + 4 + length), fatal: false });
      this.buf = this.buf.subarray(end + 4 + length);
    }
    return frames;
  }
}
