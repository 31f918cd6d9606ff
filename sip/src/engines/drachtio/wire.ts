// Messages between drachtio-srf's shapes and ours. drachtio-server forwards every message whole;
// we parse it with our own parser (message.ts), so call control reads the same structured headers
// and the same validation applies as on the in-process engine. drachtio-srf decodes the wire as
// UTF-8 while our messages are binary strings (one char per byte): both directions convert.
import {
  type NameAddr, type SipHeaders, type SipMessage, type SipRequest, type SipResponse,
  parseMessage, stringify,
} from '../../message.js';
import type { Flow } from '../../transport/types.js';
import type { SrfMessage, SrfRequest, SrfResponse } from './srf-types.js';

/** UTF-8 text (drachtio-srf) → binary string (ours). */
export function toBinary(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Binary string (ours) → UTF-8 text (drachtio-srf). */
export function fromBinary(bin: string): string {
  return Buffer.from(bin, 'latin1').toString('utf8');
}

function parsed(m: SrfMessage): SipMessage | undefined {
  if (!m.raw) return undefined;
  const r = parseMessage(toBinary(m.raw));
  return r.ok ? r.message : undefined;
}

/** A request drachtio-server forwarded, parsed by us; undefined when our parser refuses it. */
export function requestOf(req: SrfRequest): SipRequest | undefined {
  const m = parsed(req.msg);
  return m?.kind === 'request' ? m : undefined;
}

/** Why our parser refuses what drachtio-server (sofia-sip) accepted, as the in-process engine's 400 says it. */
export function refusalOf(req: SrfRequest): string {
  if (!req.msg.raw) return 'unreadable message';
  const r = parseMessage(toBinary(req.msg.raw));
  return r.ok ? 'not a request' : r.reason;
}

/** A response as call control reads it; a minimal one when the text does not parse. */
export function responseOf(res: SrfResponse): SipResponse {
  const m = parsed(res.msg);
  if (m?.kind === 'response') return m;
  return {
    kind: 'response', status: res.status, reason: res.reason ?? '', version: '2.0',
    headers: { via: [], from: { uri: '', params: {} }, to: { uri: '', params: {} }, 'call-id': res.get('call-id') ?? '', cseq: { seq: 0, method: '' } },
    body: toBinary(res.body ?? ''),
  };
}

/**
 * Where a request came from, as our flows name it. drachtio-server reports a WebSocket peer as
 * "tcp" (a secure one as "tls"), so the top Via's transport tells WS/WSS apart; drachtio-srf
 * knows no connection ids.
 */
export function flowOf(req: Pick<SrfRequest, 'protocol' | 'source_address' | 'source_port'>, msg?: SipRequest): Flow {
  const via = msg?.headers.via[0]?.protocol?.toLowerCase();
  const p = via === 'ws' || via === 'wss' ? via : (req.protocol ?? 'udp').toLowerCase();
  const protocol = p === 'ws' || p === 'wss' ? 'ws' : p === 'udp' ? 'udp' : 'tcp';
  const flow: Flow = { protocol, address: req.source_address, port: Number(req.source_port) };
  // A stream is one connection per peer address and port on drachtio-server's side.
  if (protocol !== 'udp') flow.connectionId = `drachtio:${p}:${req.source_address}:${req.source_port}`;
  if (p === 'wss' || p === 'tls') flow.secure = true;
  return flow;
}

/** The request URI drachtio-server should send through to reach `flow` (its outbound proxy). */
export function proxyFor(flow: Flow | undefined): string | undefined {
  if (!flow || flow.protocol === 'ws') return undefined; // a browser is reached by its registered Contact
  return `sip:${flow.address}:${flow.port}${flow.protocol === 'tcp' ? ';transport=tcp' : ''}`;
}

/** Headers drachtio-server writes itself on requests we send (Call-ID, CSeq, From, To are ours to set). */
export const REQUEST_OWNED: ReadonlySet<string> = new Set(['via', 'content-length', 'max-forwards']);
/** Headers a response copies from its request; drachtio-srf and drachtio-server fill them. */
export const RESPONSE_OWNED: ReadonlySet<string> = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'record-route']);

/**
 * Our structured headers as drachtio-srf's `{Name: value}`, written by our own serialiser so a
 * NameAddr, a digest challenge or a Contact reads the same on both engines. Values that hold
 * several headers (two challenges) are joined with ", ".
 */
export function srfHeaders(headers: Record<string, unknown> | undefined, owned: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    const n = name.toLowerCase();
    if (value === undefined || owned.has(n)) continue;
    const text = stringify({ kind: 'request', method: 'X', uri: 'sip:x', version: '2.0', headers: { [n]: value } as unknown as SipHeaders, body: '' });
    const lines = text.split('\r\n').slice(1).filter((l) => l && !/^content-length:/i.test(l));
    const first = lines[0];
    if (!first) continue;
    const colon = first.indexOf(':');
    out[first.slice(0, colon)] = fromBinary(lines.map((l) => l.slice(l.indexOf(':') + 1).trim()).join(', '));
  }
  return out;
}

/** A Contact or other name-addr as drachtio-srf hands it over (`"name" <uri>;params`). */
export function parseNameAddr(text: string | undefined): NameAddr | undefined {
  if (!text) return undefined;
  const m = /^\s*(?:("(?:[^"\\]|\\.)*"|[^<]*?)\s*)?<([^>]+)>(.*)$/.exec(text) ?? /^\s*()([^;\s]+)(.*)$/.exec(text);
  if (!m) return undefined;
  const params: NameAddr['params'] = {};
  for (const p of (m[3] ?? '').split(';')) {
    const [k, v] = p.split('=', 2).map((s) => s.trim());
    if (k) params[k] = v ?? null;
  }
  return { ...(m[1] ? { name: m[1] } : {}), uri: m[2]!, params };
}

const ECHOED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length']);

/**
 * A response drachtio-server's stack made up because the request could not be sent (an ICMP
 * port unreachable, a refused connection): RFC 3261 §8.1.3.1 has it report that as 503, and it
 * carries only what it copied from the request. drachtio-srf forwards it like any response, so
 * it is recognised by that shape; a peer's own 503 carries more (Server, Retry-After, …).
 */
export function isUndelivered(res: SipResponse): boolean {
  return res.status === 503 && res.reason === 'Service Unavailable' && !res.body && Object.keys(res.headers).every((h) => ECHOED.has(h));
}

/** Longest wait for a final response: past timer F (64·T1 at drachtio-server's default T1). */
export const FINAL_RESPONSE_WAIT_MS = 40_000;

/** A response no peer sent (nothing came back in time, or nothing could be sent). */
export function syntheticResponse(status: number, reason: string, req?: SipRequest): SipResponse {
  return {
    kind: 'response', status, reason, version: '2.0', body: '',
    headers: req ? { ...req.headers, via: [] } : { via: [], from: { uri: '', params: {} }, to: { uri: '', params: {} }, 'call-id': '', cseq: { seq: 0, method: '' } },
  };
}
