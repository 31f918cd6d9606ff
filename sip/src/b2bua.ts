// createB2BUA: an incoming INVITE (A leg) bridged to a new outgoing one (B leg), as in
// drachtio-srf. Provisional responses are relayed, a CANCEL from A cancels B, B's failure is
// passed back to A, and once both are up a BYE on either leg ends the other.
import { SipStatusError } from './dialog/dialog.js';
import type { IncomingRequest, ServerResponse } from './request.js';
import type { B2buaOptions, SipDialog, UacOptions, UasOptions } from './engine-api.js';

/** What createB2BUA needs of an engine; `D` is its dialog type (either engine's). */
interface DialogFactory<D extends SipDialog> {
  createUAC(uri: string, opts: UacOptions): Promise<D>;
  createUAS(req: IncomingRequest, res: ServerResponse, opts: UasOptions): Promise<D>;
}

export async function createB2bua<D extends SipDialog>(
  engine: DialogFactory<D>,
  req: IncomingRequest,
  res: ServerResponse,
  uri: string,
  opts: B2buaOptions,
): Promise<{ uas: D; uac: D }> {
  const abort = new AbortController();
  const onCancel = (): void => abort.abort();
  req.once('cancel', onCancel);
  const headers: Record<string, unknown> = { ...(opts.headers ?? {}) };
  for (const name of opts.proxyRequestHeaders ?? []) {
    const v = req.msg.headers[name.toLowerCase()];
    if (v !== undefined) headers[name.toLowerCase()] = v;
  }
  let uac: D;
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
  let uas: D;
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
