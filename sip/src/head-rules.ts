// What RFC 3261's grammar forbids in a message head and the parser library lets through. Each
// answer is the reason phrase of the 400 (RFC 3261 §21.4.1: "the reason phrase SHOULD identify
// the syntax problem in more detail").

/**
 * Control characters that may not stand in a head: everything below 0x20 but HTAB, and DEL. CR
 * and LF only as the CRLF that ends a line (a lone one is a control character like any other).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const CONTENT_LENGTH = /\r\n(?:content-length|l)[ \t]*:/gi;
const SCHEME = /^sips?:/i;
const HOST_PORT = /^(?:\[[^\]]*\]|[^:;?>]*):(\d+)/;

/** Why the head (start line and headers, without the blank line) is refused, or undefined. */
export function headProblem(head: string): string | undefined {
  const firstBreak = head.indexOf('\r\n');
  // A continuation line needs a header to continue; after the start line there is none.
  if (firstBreak >= 0 && (head[firstBreak + 2] === ' ' || head[firstBreak + 2] === '\t')) return 'folded first header line';
  if (CONTROL.test(head)) {
    const where = controlOutsideQuotedPair(head);
    if (where) return `control character in a header ${where}`;
  }
  CONTENT_LENGTH.lastIndex = 0;
  // Content-Length is a single value; two could frame the message two ways (RFC 3261 §7.3.1).
  if (CONTENT_LENGTH.exec(head) && CONTENT_LENGTH.exec(head)) return 'duplicated Content-Length';
  return undefined;
}

/**
 * Where a control character stands in the header lines, or undefined when each is escaped by a
 * quoted-pair inside a quoted string (RFC 3261 §25.1 allows that; RFC 4475 3.1.1.3 does it).
 */
function controlOutsideQuotedPair(head: string): 'name' | 'value' | undefined {
  const lines = head.split('\r\n');
  // The start line is checked as a Request-URI and a version; the library parses the method.
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!CONTROL.test(line)) continue;
    const colon = /^[ \t]/.test(line) ? -1 : line.indexOf(':');
    if (colon >= 0 && CONTROL.test(line.slice(0, colon))) return 'name';
    if (colon < 0 && !/^[ \t]/.test(line)) return 'name';
    let quoted = false;
    for (let j = colon + 1; j < line.length; j++) {
      const c = line[j]!;
      if (quoted && c === '\\' && j + 1 < line.length && line[j + 1] !== '\r' && line[j + 1] !== '\n') {
        j++;
        continue;
      }
      if (c === '"') quoted = !quoted;
      else if (CONTROL.test(c)) return 'value';
    }
  }
  return undefined;
}

/** True when a SIP URI names a port above 65535 (the grammar's 1*DIGIT allows any number). */
export function portOutOfRange(uri: string): boolean {
  const scheme = SCHEME.exec(uri);
  if (!scheme) return false;
  // The host starts after the userinfo ('@' stands nowhere else in a SIP URI), whose password may look like a port.
  const port = HOST_PORT.exec(uri.slice(uri.indexOf('@') + 1 || scheme[0].length))?.[1];
  return port !== undefined && (port.length > 5 || Number(port) > 65535);
}
