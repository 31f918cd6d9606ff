// createB2BUA: an incoming INVITE (A leg) bridged to a new outgoing one (B leg), as in
// drachtio-srf. Provisional responses are relayed, a CANCEL from A cancels B, B's failure is
// passed back to A, and once both are up a BYE on either leg ends the other.
import type { SipResponse } from './message.js';
import type { Dialog } from './dialog/dialog.js';
import { SipStatusError } from './dialog/dialog.js';
import type { IncomingRequest, ServerResponse } from './request.js';
import type { SipEngine } from './engine.js';
import type { UacOptions } from './uac.js';

export interface B2buaOptions extends Omit<UacOptions, 'localSdp' | 'signal'> {
  /** SDP offered to B (default: A's offer as received). */
  localSdpB?: string;
  /** SDP answered to A, or how to derive it from B's answer (default: B's answer). */
  localSdpA?: string | ((sdpB: string, res: SipResponse) => string | Promise<string>);
  /** Relay B's failure status to A (default true); otherwise the caller answers A. */
  passFailure?: boolean;
  /** Headers copied from A's INVITE to B's (e.g. X- headers). */
  proxyRequestHeaders?: string[];
}

export async function createB2bua(
  engine: SipEngine,
  req: IncomingRequest,
  res: ServerResponse,
  uri: string,
  opts: B2buaOptions,
): Promise<{ uas: Dialog; uac: Dialog }> {
  const abort = new AbortController();
  const onCancel = (): void => abort.abort();
  req.once('cancel', onCancel);
  const headers: Record<string, unknown> = { ...(opts.headers ?? {}) };
  for (const name of opts.proxyRequestHeaders ?? []) {
    const v = req.msg.headers[name.toLowerCase()];
    if (v !== undefined) headers[name.toLowerCase()] = v;
  }
  let uac: Dialog;
  try {
    uac = await engine.createUAC(uri, {
      ...opts,
      headers,
      localSdp: opts.localSdpB ?? req.body,
      signal: abort.signal,
      onProvisional: (p) => {
        opts.onProvisional?.(p);
        if (p.status === 180 || p.status === 183) res.send(p.status, p.reason);
      },
    });
  } catch (err) {
    req.off('cancel', onCancel);
    if (err instanceof SipStatusError && opts.passFailure !== false && !req.canceled) res.send(err.status, err.reason);
    throw err;
  }
  req.off('cancel', onCancel);
  if (req.canceled) {
    await uac.destroy();
    throw new SipStatusError(487, 'Request Terminated');
  }
  const sdpA = typeof opts.localSdpA === 'function' ? await opts.localSdpA(uac.remoteSdp, { kind: 'response', status: 200, reason: 'OK', version: '2.0', headers: { via: [], from: uac.local, to: uac.remote, 'call-id': uac.callId, cseq: { seq: 1, method: 'INVITE' } }, body: uac.remoteSdp }) : (opts.localSdpA ?? uac.remoteSdp);
  let uas: Dialog;
  try {
    uas = await engine.createUAS(req, res, { localSdp: sdpA });
  } catch (err) {
    await uac.destroy();
    throw err;
  }
  uas.once('destroy', () => void uac.destroy());
  uac.once('destroy', () => void uas.destroy());
  return { uas, uac };
}
