// Sends a request as a client transaction and answers one digest challenge when credentials are
// given. Shared by out-of-dialog requests (INVITE, REGISTER, OPTIONS) and in-dialog ones.
import type { SipRequest, SipResponse } from './message.js';
import { signRequest, type Credentials } from './auth/digest.js';
import type { SipStack } from './stack.js';
import type { ClientTransaction } from './transaction/transactions.js';
import type { Flow } from './transport/types.js';

export interface ClientRequestHooks {
  onProvisional?(res: SipResponse): void;
  /** Every 2xx to an INVITE, retransmissions included: the caller ACKs each. */
  on2xx?(res: SipResponse, req: SipRequest): void;
  /** Called with every transaction started (a challenge restarts it), e.g. to CANCEL it. */
  onTransaction?(tx: ClientTransaction, req: SipRequest): void;
  /**
   * Called with each request, our Via on it, before it is sent (again after a challenge, with a
   * new branch); a returned promise holds the sending until it settles.
   */
  beforeSend?(req: SipRequest): void | Promise<void>;
}

export function sendClientRequest(
  stack: SipStack,
  req: SipRequest,
  flow: Flow,
  creds: Credentials | undefined,
  hooks: ClientRequestHooks = {},
  nextCseq?: () => number,
): Promise<{ res: SipResponse; req: SipRequest }> {
  return new Promise((resolve) => {
    let challenged = false;
    const start = (r: SipRequest): void => {
      if (!hooks.beforeSend) {
        send(r);
        return;
      }
      const branch = stack.stampVia(r, flow);
      const wait = hooks.beforeSend(r);
      if (wait) void wait.catch(() => undefined).then(() => send(r, branch));
      else send(r, branch);
    };
    const send = (r: SipRequest, branch?: string): void => {
      let settled = false;
      const tx = stack.sendRequest(r, flow, {
        onResponse(res) {
          if (res.status < 200) {
            hooks.onProvisional?.(res);
            return;
          }
          if (r.method === 'INVITE' && res.status < 300) {
            hooks.on2xx?.(res, r);
            if (settled) return;
          }
          if (settled) return;
          settled = true;
          if ((res.status === 401 || res.status === 407) && creds && !challenged) {
            challenged = true;
            const retry: SipRequest = { ...r, headers: { ...r.headers, via: [] } };
            retry.headers.cseq = { seq: nextCseq ? nextCseq() : r.headers.cseq.seq + 1, method: r.method };
            if (signRequest(retry, res, creds)) {
              start(retry);
              return;
            }
          }
          resolve({ res, req: r });
        },
      }, branch);
      hooks.onTransaction?.(tx, r);
    };
    start(req);
  });
}
