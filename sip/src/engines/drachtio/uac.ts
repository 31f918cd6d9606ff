// Outgoing INVITE through drachtio-server (srf.createUAC), with the in-process engine's contract:
// our Call-ID and From tag (so call records hold the real SIP ids), provisional responses to
// `onProvisional`, the trunk's digest answered by drachtio-srf, and CANCEL through the abort
// signal — sent only once a provisional response has arrived (RFC 3261 §9.1); a 2xx that races
// the CANCEL is ACKed and BYEd. Failures reject with `SipStatusError`.
import { randomToken, toHeaderValue, type SipResponse } from '../../message.js';
import type { RequestOptions } from '../../engine-api.js';
import { SipStatusError } from '../../dialog/dialog.js';
import type { UacOptions } from '../../engine-api.js';
import { flowForUri } from '../../stack.js';
import type { Flow } from '../../transport/types.js';
import { DrachtioDialog, type DialogRegistry } from './dialog.js';
import { isSrfSipError, type SrfApp, type SrfDialog, type SrfRequest, type SrfResponse } from './srf-types.js';
import { FINAL_RESPONSE_WAIT_MS, REQUEST_OWNED, fromBinary, proxyFor, requestOf, responseOf, srfHeaders, syntheticResponse, toBinary } from './wire.js';

export interface UacHost extends DialogRegistry {
  readonly srf: SrfApp;
  addDialog(d: DrachtioDialog): void;
}

/** From, To and Call-ID as drachtio-server takes them from an application ('localhost' = its own address). */
export function identityHeaders(uri: string, opts: { from?: string; fromName?: string; fromTag?: string; to?: string; callId?: string }): Record<string, string> {
  const name = opts.fromName ? `"${toHeaderValue(opts.fromName.replace(/["\\]/g, ''))}" ` : '';
  return {
    From: fromBinary(`${name}<${opts.from ?? 'sip:switchboard@localhost'}>;tag=${opts.fromTag ?? randomToken(6)}`),
    To: `<${opts.to ?? uri}>`,
    ...(opts.callId ? { 'Call-ID': opts.callId } : {}),
  };
}

/** Maps what drachtio-srf rejects with to what call control reads. */
export function statusError(err: unknown): SipStatusError {
  if (err instanceof SipStatusError) return err;
  if (isSrfSipError(err)) return new SipStatusError(err.status, err.reason ?? '', err.res ? responseOf(err.res) : undefined);
  // drachtio-server refused to send (no transport for the URI, lost link): nobody was reached.
  return new SipStatusError(503, `Service Unavailable (${err instanceof Error ? err.message : String(err)})`);
}

export function createUac(host: UacHost, uri: string, opts: UacOptions): Promise<DrachtioDialog> {
  if (opts.signal?.aborted) return Promise.reject(new SipStatusError(487, 'Request Terminated'));
  const flow: Flow = opts.target ?? flowForUri(uri) ?? { protocol: 'udp', address: '', port: 0 };
  const proxy = proxyFor(opts.target);
  const headers = {
    ...srfHeaders(opts.headers, REQUEST_OWNED),
    ...identityHeaders(uri, opts),
    ...(opts.localSdp ? { 'Content-Type': 'application/sdp' } : {}),
  };
  let sent: SrfRequest | undefined;
  let provisional = false;
  let cancelWanted = false;
  let cancelSent = false;
  const sendCancel = (): void => {
    if (cancelSent || !sent || !provisional) return;
    cancelSent = true;
    try {
      sent.cancel({}, () => undefined);
    } catch (err) {
      host.log.warn({ err }, 'CANCEL not sent');
    }
  };
  const onAbort = (): void => {
    cancelWanted = true;
    sendCancel();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  return new Promise<DrachtioDialog>((resolve, reject) => {
    const finish = (err: unknown, srfDialog?: SrfDialog): void => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (err || !srfDialog) {
        reject(cancelWanted && !(isSrfSipError(err) && err.status < 300) ? new SipStatusError(487, 'Request Terminated') : statusError(err ?? new Error('no dialog')));
        return;
      }
      // Wrapped at once, inside drachtio-srf's callback: the peer's next request may already be queued.
      const ok = srfDialog.res ? responseOf(srfDialog.res) : undefined;
      const local = (sent && requestOf(sent)?.headers.from) ?? { uri: opts.from ?? '', params: { tag: srfDialog.sip.localTag } };
      const remote = ok?.headers.to ?? { uri: opts.to ?? uri, params: { tag: srfDialog.sip.remoteTag } };
      const dialog = new DrachtioDialog(host, srfDialog, {
        side: 'uac', local, remote, flow, localSdp: opts.localSdp, remoteSdp: toBinary(srfDialog.remote.sdp ?? ''),
      });
      host.addDialog(dialog);
      if (cancelWanted) {
        void dialog.destroy();
        reject(new SipStatusError(487, 'Request Terminated'));
        return;
      }
      resolve(dialog);
    };
    host.srf.createUAC(uri, {
      headers,
      ...(opts.localSdp ? { localSdp: fromBinary(opts.localSdp) } : {}),
      ...(proxy ? { proxy } : {}),
      ...(opts.auth ? { auth: { username: opts.auth.username, password: opts.auth.password } } : {}),
    }, {
      cbRequest: (err, req) => {
        if (err) return;
        sent = req;
        // A challenged INVITE is re-sent as a new transaction: CANCEL goes to the latest one.
        req.on('authenticate', (again: SrfRequest) => {
          sent = again;
          provisional = false;
        });
      },
      cbProvisional: (res) => {
        provisional = true;
        if (cancelWanted) sendCancel();
        else if (res.status > 100) opts.onProvisional?.(responseOf(res));
      },
    }, finish);
  });
}

/**
 * An out-of-dialog request (OPTIONS keepalive, REGISTER, MESSAGE) through drachtio-server;
 * resolves with the final response. REGISTER refreshes keep their Call-ID and rising CSeq.
 */
export async function sendRequest(host: UacHost, uri: string, opts: RequestOptions): Promise<SipResponse> {
  const method = opts.method.toUpperCase();
  const proxy = proxyFor(opts.target);
  const headers = {
    ...srfHeaders(opts.headers, REQUEST_OWNED),
    ...identityHeaders(uri, opts),
    ...(opts.cseq ? { CSeq: `${opts.cseq} ${method}` } : {}),
  };
  return new Promise<SipResponse>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    // The callback runs as drachtio-server confirms the send, before its next message is read:
    // a response in the same read as the confirmation must find the listener in place.
    host.srf.request(uri, {
      method, headers,
      ...(opts.body ? { body: fromBinary(opts.body) } : {}),
      ...(proxy ? { proxy } : {}),
      ...(opts.auth ? { auth: { username: opts.auth.username, password: opts.auth.password } } : {}),
    }, (err, sent) => {
      if (err || !sent) {
        resolve(syntheticResponse(statusError(err ?? new Error('not sent')).status, 'Service Unavailable'));
        return;
      }
      // drachtio-srf drops responses drachtio-server generated itself; a lost link drops all.
      timer = setTimeout(() => resolve(syntheticResponse(408, 'Request Timeout', requestOf(sent))), FINAL_RESPONSE_WAIT_MS);
      timer.unref();
      sent.on('response', (res: SrfResponse) => {
        if (res.status < 200) return;
        clearTimeout(timer);
        resolve(responseOf(res));
      });
    });
  });
}
