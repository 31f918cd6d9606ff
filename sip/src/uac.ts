// Outgoing INVITE → Dialog. Cancellation goes through an AbortSignal: CANCEL is sent once a
// provisional response has arrived (§9.1); a 2xx that races the CANCEL is ACKed and BYEd.
import type { NameAddr, SipRequest, SipResponse } from './message.js';
import { randomToken, toHeaderValue } from './message.js';
import type { Credentials } from './auth/digest.js';
import { sendClientRequest } from './client-request.js';
import { Dialog, SipStatusError } from './dialog/dialog.js';
import { flowForUri } from './stack.js';
import type { SipEngine } from './engine.js';
import type { ClientTransaction } from './transaction/transactions.js';
import type { Flow } from './transport/types.js';

export interface UacOptions {
  /** Where to send the INVITE; by default the host/port/transport of the Request-URI. */
  target?: Flow;
  /** From URI (default sip:switchboard@<our address>) and display name. */
  from?: string;
  fromName?: string;
  /** To URI (default: the Request-URI). */
  to?: string;
  localSdp: string;
  headers?: Record<string, unknown>;
  /** Answer the peer's 401/407 with these (a PBX trunk). */
  auth?: Credentials;
  callId?: string;
  /** Our From tag (default: random); lets the caller record the leg's SIP ids up front. */
  fromTag?: string;
  onProvisional?(res: SipResponse): void;
  /** Aborting sends CANCEL; the promise then rejects with 487. */
  signal?: AbortSignal;
}

export async function createUac(engine: SipEngine, uri: string, opts: UacOptions): Promise<Dialog> {
  const flow = opts.target ?? flowForUri(uri);
  if (!flow) throw new SipStatusError(416, 'Unsupported URI Scheme');
  const local = engine.stack.local(flow.protocol);
  const from: NameAddr = {
    uri: opts.from ?? `sip:switchboard@${local.host}`,
    params: { tag: opts.fromTag ?? randomToken(6) },
    ...(opts.fromName ? { name: `"${toHeaderValue(opts.fromName.replace(/["\\]/g, ''))}"` } : {}),
  };
  const contact = engine.stack.contactFor(flow);
  let cseq = 1;
  const invite: SipRequest = {
    kind: 'request',
    method: 'INVITE',
    uri,
    version: '2.0',
    headers: {
      via: [],
      from,
      to: { uri: opts.to ?? uri, params: {} },
      'call-id': opts.callId ?? randomToken(12),
      cseq: { seq: cseq, method: 'INVITE' },
      contact,
      ...(opts.localSdp ? { 'content-type': 'application/sdp' } : {}),
      ...(opts.headers ?? {}),
    },
    body: opts.localSdp,
  };

  let dialog: Dialog | undefined;
  let currentTx: ClientTransaction | undefined;
  let currentReq: SipRequest = invite;
  let provisional = false;
  let cancelWanted = false;
  let cancelSent = false;
  const sendCancel = (): void => {
    if (cancelSent || !currentTx || currentTx.state !== 'proceeding') return;
    cancelSent = true;
    engine.stack.sendCancel(currentReq, flow, { onResponse: () => undefined });
  };
  const onAbort = (): void => {
    cancelWanted = true;
    if (provisional) sendCancel();
  };
  if (opts.signal?.aborted) throw new SipStatusError(487, 'Request Terminated');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const { res } = await sendClientRequest(engine.stack, invite, flow, opts.auth, {
      onTransaction: (tx, r) => {
        currentTx = tx;
        currentReq = r;
        provisional = false;
      },
      onProvisional: (r) => {
        provisional = true;
        if (cancelWanted) sendCancel();
        else if (r.status > 100) opts.onProvisional?.(r);
      },
      on2xx: (ok, sent) => {
        if (dialog) {
          dialog.onStray2xx(ok);
          return;
        }
        const contacts = ok.headers.contact;
        dialog = new Dialog(engine, {
          side: 'uac',
          callId: sent.headers['call-id'],
          local: sent.headers.from,
          remote: ok.headers.to,
          remoteTarget: Array.isArray(contacts) && contacts[0] ? contacts[0].uri : uri,
          routeSet: [...(ok.headers['record-route'] ?? [])].reverse(),
          flow,
          localCseq: sent.headers.cseq.seq,
          remoteCseq: 0,
          localSdp: opts.localSdp,
          remoteSdp: ok.body,
          contact,
          ...(opts.auth ? { credentials: opts.auth } : {}),
        });
        engine.addDialog(dialog);
        dialog.onStray2xx(ok);
      },
    }, () => ++cseq);
    if (res.status >= 300) throw new SipStatusError(res.status, res.reason, res);
    if (!dialog) throw new SipStatusError(500, 'no dialog for 2xx');
    if (cancelWanted) {
      await dialog.destroy();
      throw new SipStatusError(487, 'Request Terminated');
    }
    return dialog;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
