// What of the PBX's INVITE reaches an agent's softphone on a PBX → extension call: the caller's
// name and number, and the PBX's X- headers (queue, caller data, Switchboard's context). The PBX
// is trusted, its callers are not: whatever a caller could have typed (a display name, a value a
// PBX copied from an IVR or a web form) is made one printable, bounded line before it is written
// on the browser's leg, so it can neither add header lines there nor bloat its messages.
import type { SipRequest } from '../message.js';
import { stripControls, unquote } from '../message.js';

/** In `TrunkConfig.inboundHeaders`: every X- header. */
export const ALL_X_HEADERS = 'X-*';
/** At most this many headers are passed on… */
export const MAX_PASSED_HEADERS = 20;
/** …each at most this many bytes; a longer value is dropped, since a cut one could be misread. */
export const MAX_HEADER_BYTES = 512;
const MAX_NAME_CHARS = 64;

/**
 * A header value (binary string, one char per byte) fit to write on another leg, or undefined:
 * one line without control characters, bounded.
 */
export function cleanHeaderValue(raw: string, max = MAX_HEADER_BYTES): string | undefined {
  const v = stripControls(raw).trim();
  if (v === '' || v.length > max) return undefined;
  return v;
}

/**
 * The headers of `req` named in `wanted` (case-insensitive; `X-*` for all X- headers), cleaned,
 * lower-cased as the engine keeps them. Only headers kept as text qualify: structured ones (Via,
 * Contact…) belong to one leg.
 */
export function passedHeaders(req: SipRequest, wanted: readonly string[]): Record<string, string> {
  const allX = wanted.includes(ALL_X_HEADERS);
  const names = new Set(wanted.filter((n) => n !== ALL_X_HEADERS).map((n) => n.toLowerCase()));
  const out: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (count >= MAX_PASSED_HEADERS) break;
    if (typeof value !== 'string' || !/^[a-z0-9-]{1,64}$/.test(name)) continue;
    if (!names.has(name) && !(allX && name.startsWith('x-'))) continue;
    const clean = cleanHeaderValue(value);
    if (clean === undefined) continue;
    out[name] = clean;
    count++;
  }
  return out;
}

/** The caller's display name from From, as text (the engine quotes and encodes it again). */
export function callerName(req: SipRequest): string | undefined {
  const raw = unquote(req.headers.from.name?.trim());
  if (!raw) return undefined;
  const text = Buffer.from(raw, 'binary').toString('utf8');
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return clean ? Array.from(clean).slice(0, MAX_NAME_CHARS).join('') : undefined;
}
