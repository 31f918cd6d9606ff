// SIP messages: parsed by the `sip` library (see docs/decisions/0001-sip-parser.md), then checked
// here, because the library drops a header it cannot parse instead of failing. A message whose
// mandatory headers did not survive is refused with 400 (when a response can be routed) and
// never reaches a transaction, so a malformed CSeq cannot crash anything further in.
import { randomBytes } from 'node:crypto';
import sipLib from 'sip';
import type { LibMessage, LibUri } from 'sip';
import { headProblem, portOutOfRange } from './head-rules.js';

export type Params = Record<string, string | null | undefined>;

export interface NameAddr {
  name?: string;
  uri: string;
  params: Params;
}

export interface Via {
  version: string;
  protocol: string;
  host: string;
  port?: number;
  params: Params;
}

export interface CSeq {
  seq: number;
  method: string;
}

export interface AuthParams {
  scheme: string;
  [param: string]: string | undefined;
}

/** Header names are lower case (compact forms expanded), as the library parses them. */
export interface SipHeaders {
  via: Via[];
  from: NameAddr;
  to: NameAddr;
  'call-id': string;
  cseq: CSeq;
  contact?: NameAddr[] | '*';
  route?: NameAddr[];
  'record-route'?: NameAddr[];
  'www-authenticate'?: AuthParams[];
  'proxy-authenticate'?: AuthParams[];
  authorization?: AuthParams[];
  'proxy-authorization'?: AuthParams[];
  'refer-to'?: NameAddr;
  [name: string]: unknown;
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  version: string;
  headers: SipHeaders;
  body: string;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  version: string;
  headers: SipHeaders;
  body: string;
}

export type SipMessage = SipRequest | SipResponse;

export type ParseResult =
  | { ok: true; message: SipMessage }
  /** `respondable` is a request good enough to route a 400 back to. */
  | { ok: false; reason: string; respondable?: SipRequest };

const MAX_CSEQ = 2 ** 31 - 1;
/** RFC 3986 absolute URI: scheme ':' and no whitespace, quotes or angle brackets. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s"<>]+$/;
const ESSENTIAL = /^(via|v|from|f|to|t|call-id|i|cseq)\s*:/i;

/** The library parses Route and Record-Route URIs into objects (undefined when it cannot): text, like every other URI here. */
function routeUrisAsText(headers: SipHeaders): void {
  for (const name of ['route', 'record-route'] as const) {
    const list = headers[name] as Array<{ uri: unknown; params: NameAddr['params'] }> | undefined;
    if (!Array.isArray(list)) continue;
    for (const r of list) if (typeof r.uri !== 'string') r.uri = r.uri ? sipLib.stringifyUri(r.uri as LibUri) : '';
  }
}

function toMessage(lib: LibMessage): SipMessage {
  const headers = lib.headers as SipHeaders;
  routeUrisAsText(headers);
  const body = lib.content ?? '';
  if (lib.status !== undefined) {
    return { kind: 'response', status: lib.status, reason: lib.reason ?? '', version: lib.version ?? '2.0', headers, body };
  }
  return { kind: 'request', method: lib.method ?? '', uri: lib.uri ?? '', version: lib.version ?? '2.0', headers, body };
}

/** Why a parsed message cannot be processed, or undefined when it can. */
export function validate(m: SipMessage, declaredLength?: number): string | undefined {
  const h = m.headers;
  if (!Array.isArray(h.via) || h.via.length === 0 || !h.via[0]?.host) return 'missing or malformed Via';
  if (typeof h['call-id'] !== 'string' || h['call-id'].trim() === '') return 'missing Call-ID';
  const cseq = h.cseq;
  if (!cseq || typeof cseq !== 'object' || !Number.isInteger(cseq.seq) || cseq.seq > MAX_CSEQ) {
    return 'missing or malformed CSeq';
  }
  if (!h.from || typeof h.from.uri !== 'string' || !URI.test(h.from.uri)) return 'missing or malformed From';
  if (!h.to || typeof h.to.uri !== 'string' || !URI.test(h.to.uri)) return 'missing or malformed To';
  if (m.version !== '2.0') return 'unsupported SIP version';
  if (declaredLength !== undefined && Number.isNaN(declaredLength)) return 'malformed Content-Length';
  const ports = portProblem(h);
  if (ports) return ports;
  if (m.kind === 'request') {
    if (cseq.method.toUpperCase() !== m.method.toUpperCase()) return 'CSeq method does not match the request method';
    if (!URI.test(m.uri) || (/^sips?:/i.test(m.uri) && !validSipUri(m.uri))) return 'malformed Request-URI';
    if (portOutOfRange(m.uri)) return 'port out of range in the Request-URI';
    const mf = h['max-forwards'];
    if (mf !== undefined && (!/^\s*\d+\s*$/.test(String(mf)) || Number(mf) > 255)) return 'malformed Max-Forwards';
  }
  return undefined;
}

/** A port above 65535 anywhere a peer's address is written (Via, Contact, Route, From, To). */
function portProblem(h: SipHeaders): string | undefined {
  if (h.via.some((v) => v.port !== undefined && v.port > 65535)) return 'port out of range in Via';
  for (const [name, list] of [['From', [h.from]], ['To', [h.to]], ['Contact', h.contact], ['Route', h.route], ['Record-Route', h['record-route']]] as const) {
    if (!Array.isArray(list)) continue;
    for (const a of list as NameAddr[]) {
      if (a.uri === '') return `malformed ${name}`;
      if (portOutOfRange(a.uri)) return `port out of range in ${name}`;
    }
  }
  return undefined;
}

/**
 * Request-URIs repeat (our Contact for every in-dialog request, the service URI of every call), and
 * the library's URI parser builds a whole structure to say yes: the answers are remembered.
 */
const validUris = new Map<string, boolean>();
function validSipUri(uri: string): boolean {
  let ok = validUris.get(uri);
  if (ok === undefined) {
    ok = !!sipLib.parseUri(uri);
    if (validUris.size >= 1000) validUris.clear();
    validUris.set(uri, ok);
  }
  return ok;
}

function safeParse(text: string): LibMessage | undefined {
  try {
    return sipLib.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Parses one whole message (a UDP datagram, or one frame cut by the stream framer).
 * Never throws.
 */
export function parseMessage(data: Buffer | string): ParseResult {
  const text = typeof data === 'string' ? data : data.toString('binary');
  // The head only: a body line could look like a header.
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? text : text.slice(0, headEnd);
  const lib = safeParse(text);
  if (lib) {
    const message = toMessage(lib);
    const rawLength = /\r\n(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/i.exec(head)?.[1];
    const declared = rawLength === undefined ? undefined : /^\d+\s*$/.test(rawLength) ? Number(rawLength) : Number.NaN;
    let reason = headProblem(head) ?? validate(message, declared);
    if (!reason && declared !== undefined && message.body.length < declared) reason = 'body shorter than Content-Length';
    if (!reason) return { ok: true, message };
    if (message.kind === 'request') return { ok: false, reason, respondable: respondableFrom(text, message) };
    return { ok: false, reason };
  }
  return { ok: false, reason: headProblem(head) ?? startLineProblem(head) ?? 'unparseable message', respondable: respondableFrom(text) };
}

/** A request line whose Request-URI has a space in it (the library then gives up on the message). */
function startLineProblem(head: string): string | undefined {
  const lineEnd = head.indexOf('\r\n');
  const start = lineEnd < 0 ? head : head.slice(0, lineEnd);
  return /^[A-Za-z]+ \S+ \S.* SIP\/\d+\.\d+$/.test(start) ? 'malformed Request-URI' : undefined;
}

/**
 * Keeps only the headers a response is built from and parses them again with the library, so a
 * request spoiled by one bad line still gets its 400.
 */
function respondableFrom(text: string, parsed?: SipRequest): SipRequest | undefined {
  const head = text.split(/\r\n\r\n/)[0] ?? '';
  // A folded first header line is read as a line of its own; control characters are dropped, so
  // that the 400 repeats none of them.
  const [start = '', ...rest] = head.split('\r\n');
  // eslint-disable-next-line no-control-regex
  const lines = rest.join('\r\n').replace(/^[ \t]+/, '').split(/\r\n(?![ \t])/).map((l) => l.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ''));
  const method = /^([A-Za-z]+)\s/.exec(start)?.[1];
  if (!method || /^SIP\//i.test(start)) return undefined;
  const essential = lines.filter((l) => ESSENTIAL.test(l));
  const lib = safeParse([`${method.toUpperCase()} sip:invalid SIP/2.0`, ...essential].join('\r\n') + '\r\n\r\n');
  if (!lib) return undefined;
  const m = toMessage(lib) as SipRequest;
  const h = m.headers;
  if (!Array.isArray(h.via) || !h.via[0]?.host || !h.from || !h.to) return undefined;
  // Without a Call-ID the 400 still tells a human reading a trace what was wrong.
  if (typeof h['call-id'] !== 'string') h['call-id'] = '';
  if (!h.cseq || !Number.isInteger(h.cseq.seq)) h.cseq = { seq: 0, method: method.toUpperCase() };
  return { ...m, method: parsed?.method ?? method.toUpperCase(), uri: parsed?.uri ?? 'sip:invalid' };
}

/**
 * Serialises a message; the result is a binary (latin1) string, one char per byte.
 *
 * Same output as the library's `stringify` (a unit test compares the two). Ours because it runs
 * for every message sent: the library's runs a regex over every header name and writes
 * Content-Length into the headers it is given, which forced a copy of them per message.
 */
export function stringify(m: SipMessage): string {
  let s = m.kind === 'request' ? `${m.method} ${m.uri} SIP/${m.version || '2.0'}\r\n` : `SIP/${m.version || '2.0'} ${m.status} ${m.reason}\r\n`;
  const h = m.headers as Record<string, unknown>;
  for (const n in h) {
    const v = h[n];
    if (v === undefined || n === 'content-length') continue;
    const write = typeof v === 'string' ? undefined : WRITERS[n];
    s += write ? write(v) : `${headerName(n)}: ${v as string}\r\n`;
  }
  return `${s}Content-Length: ${m.body.length}\r\n\r\n${m.body}`;
}

const NAMES = new Map<string, string>([['call-id', 'Call-ID']]);
function headerName(n: string): string {
  let pretty = NAMES.get(n);
  if (pretty === undefined) {
    pretty = n.replace(/\b([a-z])/g, (a) => a.toUpperCase());
    if (NAMES.size < 1000) NAMES.set(n, pretty);
  }
  return pretty;
}

function params(p: Params): string {
  let s = '';
  for (const n in p) s += p[n] ? `;${n}=${p[n]}` : `;${n}`;
  return s;
}

function nameAddr(a: NameAddr): string {
  const uri = typeof a.uri === 'string' ? a.uri : sipLib.stringifyUri(a.uri);
  return `${a.name || ''} <${uri}>${params(a.params)}`;
}

function authParams(a: AuthParams): string {
  const parts: string[] = [];
  for (const n in a) if (n !== 'scheme' && a[n] !== undefined) parts.push(`${n}=${a[n]}`);
  return a.scheme ? `${a.scheme} ${parts.join(',')}` : parts.join(',');
}

const nameAddrs = (name: string) => (v: unknown): string => {
  const list = v as NameAddr[];
  return list.length ? `${name}: ${list.map(nameAddr).join(', ')}\r\n` : '';
};
const auths = (name: string) => (v: unknown): string => (v as AuthParams[]).map((a) => `${name}: ${authParams(a)}\r\n`).join('');

/** The library's structured headers and how it writes them. */
const WRITERS: Record<string, ((v: unknown) => string) | undefined> = {
  via: (v) => {
    let s = '';
    for (const via of v as Via[]) {
      if (via.host) s += `Via: SIP/${via.version || '2.0'}/${via.protocol.toUpperCase()} ${via.host}${via.port ? `:${via.port}` : ''}${params(via.params)}\r\n`;
    }
    return s;
  },
  to: (v) => `To: ${nameAddr(v as NameAddr)}\r\n`,
  from: (v) => `From: ${nameAddr(v as NameAddr)}\r\n`,
  contact: (v) => `Contact: ${v !== '*' && (v as NameAddr[]).length ? (v as NameAddr[]).map(nameAddr).join(', ') : '*'}\r\n`,
  route: nameAddrs('Route'),
  'record-route': nameAddrs('Record-Route'),
  path: nameAddrs('Path'),
  cseq: (v) => `CSeq: ${(v as CSeq).seq} ${(v as CSeq).method}\r\n`,
  'www-authenticate': auths('WWW-Authenticate'),
  'proxy-authenticate': auths('Proxy-Authenticate'),
  authorization: auths('Authorization'),
  'proxy-authorization': auths('Proxy-Authorization'),
  'authentication-info': (v) => `Authentication-Info: ${authParams(v as AuthParams)}\r\n`,
  'refer-to': (v) => `Refer-To: ${nameAddr(v as NameAddr)}\r\n`,
};

export function parseUri(uri: string): LibUri | undefined {
  try {
    return sipLib.parseUri(uri);
  } catch {
    return undefined;
  }
}

/** A header value as text (unknown headers are kept as strings by the library). */
export function headerText(m: SipMessage, name: string): string | undefined {
  const v = m.headers[name.toLowerCase()];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

/**
 * A header value without control characters: line breaks, folding and tabs become one space,
 * every other C0 character and DEL goes. Safe on binary strings (UTF-8 bytes as latin1), whose
 * bytes 0x80–0x9F are parts of characters, not C1 controls.
 */
export function stripControls(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '').replace(/[ \t]*[\t\r\n][ \t\r\n]*/g, ' ');
}

/** User-supplied text (names, form fields) as a binary string, without control characters (C1 too). */
export function toHeaderValue(text: string): string {
  return Buffer.from(stripControls(text).replace(/[\u0080-\u009f]/g, ''), 'utf8').toString('binary');
}

export function unquote(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  return s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s;
}

export function makeResponse(
  req: SipRequest,
  status: number,
  reason: string,
  extra: { headers?: Record<string, unknown>; body?: string; toTag?: string } = {},
): SipResponse {
  const to: NameAddr = { ...req.headers.to, params: { ...req.headers.to.params } };
  if (extra.toTag && !to.params.tag && status > 100) to.params.tag = extra.toTag;
  const headers: SipHeaders = {
    via: req.headers.via,
    from: req.headers.from,
    to,
    'call-id': req.headers['call-id'],
    cseq: req.headers.cseq,
    ...(extra.headers ?? {}),
  };
  if (extra.body && !headers['content-type']) headers['content-type'] = 'application/sdp';
  return { kind: 'response', status, reason, version: '2.0', headers, body: extra.body ?? '' };
}

export const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 183: 'Session Progress', 200: 'OK', 202: 'Accepted',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected',
  483: 'Too Many Hops', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here',
  491: 'Request Pending', 500: 'Server Internal Error', 501: 'Not Implemented', 503: 'Service Unavailable',
  603: 'Decline',
};

/**
 * Tags, Call-IDs and branches: unique, unguessable enough, and cheap (one per message at high
 * call rates). Random bytes are drawn in blocks, not per token.
 */
let pool = Buffer.alloc(0);
let poolAt = 0;
export function randomToken(bytes = 8): string {
  if (poolAt + bytes > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

/**
 * Branches need only be unique (§8.1.1.7), not unguessable like tags and Call-IDs (§19.3): a
 * random prefix per process and a counter give that without drawing random bytes per request.
 */
const branchPrefix = `z9hG4bK${randomToken(6)}`;
let branchCount = 0;
export function newBranch(): string {
  return `${branchPrefix}${(++branchCount).toString(36)}`;
}
