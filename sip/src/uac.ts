// Outgoing INVITE → Dialog. Cancellation goes through an AbortSignal: CANCEL is sent once a
// provisional response has arrived (§9.1); a 2xx that races the CANCEL is ACKed and BYEd.
import type { NameAddr, SipRequest } from './message.js';
import { randomToken, toHeaderValue } from './message.js';
import { sendClientRequest } from './client-request.js';
import { Dialog, SipStatusError, type DialogHost } from './dialog/dialog.js';
import { routeSetFrom } from './dialog/route-set.js';
import { flowForUri } from './stack.js';
import type { UacOptions } from './engine-api.js';
import type { ClientTransaction } from './transaction/transactions.js';
import { pendingInvite } from './pending-invite.js';

/** What an outgoing INVITE needs of the engine: its stack, and where the new dialog is kept. */
export interface UacHost extends DialogHost {
  addDialog(d: Dialog): void;
}

export async function createUac(engine: UacHost, uri: string, opts: UacOptions): Promise<Dialog> {
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
      ...(opts.onInvite ? { beforeSend: (r: SipRequest) => opts.onInvite!(pendingInvite(r, flow)) } : {}),
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
          routeSet: routeSetFrom(ok.headers['record-route'], true),
          flow,
          localCseq: sent.headers.cseq.seq,
          remoteCseq: undefined,
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
