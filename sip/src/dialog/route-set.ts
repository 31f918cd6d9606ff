// RFC 3261 §12.2.1.1: how an in-dialog request is addressed from the dialog's remote target and
// route set, and (§8.1.2) where it is sent: to the first Route when the route set is not empty,
// else to the Request-URI. A proxy that record-routed (every SBC or proxy in front of a PBX)
// sees the dialog's ACK, re-INVITEs and BYEs only when they follow this.
import type { NameAddr } from '../message.js';
import { parseUri } from '../message.js';
import sipLib from 'sip';

export interface RequestTarget {
  /** Request-URI. */
  uri: string;
  /** Route header values, in order (empty: no Route header). */
  route: NameAddr[];
  /** The URI whose host, port and transport the request is sent to. */
  hop: string;
}

/** Route set entries keep the URI with all its parameters, nothing else (§12.1.1, §12.1.2). */
export function routeSetFrom(recordRoute: readonly NameAddr[] | undefined, reverse: boolean): NameAddr[] {
  const set = (recordRoute ?? []).map((r) => ({ uri: r.uri, params: {} }));
  return reverse ? set.reverse() : set;
}

/** A URI carrying `lr` belongs to a loose router (RFC 3261); without it, a strict one (RFC 2543). */
export function isLooseRouter(uri: string): boolean {
  const params = parseUri(uri)?.params;
  return !!params && 'lr' in params;
}

export function requestTarget(remoteTarget: string, routeSet: readonly NameAddr[]): RequestTarget {
  const first = routeSet[0];
  if (!first) return { uri: remoteTarget, route: [], hop: remoteTarget };
  if (isLooseRouter(first.uri)) return { uri: remoteTarget, route: [...routeSet], hop: first.uri };
  // A strict router is addressed in the Request-URI (without what a Request-URI may not carry)
  // and learns the remote target from the last Route value.
  const uri = requestUriOf(first.uri);
  return { uri, route: [...routeSet.slice(1), { uri: remoteTarget, params: {} }], hop: uri };
}

/** A route URI made fit for the Request-URI: no `method` parameter, no headers (§19.1.1). */
function requestUriOf(uri: string): string {
  const u = parseUri(uri);
  if (!u) return uri;
  const params = { ...u.params };
  delete params.method;
  return sipLib.stringifyUri({ ...u, params, headers: {} });
}
