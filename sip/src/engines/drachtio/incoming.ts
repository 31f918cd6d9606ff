// Requests drachtio-server forwarded, as middleware and dialog handlers see them on either engine:
// our `IncomingRequest` (parsed by us, typed locals, a 'cancel' event) and a `ServerResponse`
// whose responses go out through drachtio-srf. Our To tag is the one on the wire: drachtio-server
// takes the tag an application writes on its first response.
import type { Logger } from 'pino';
import { IncomingRequest, ServerResponse } from '../../request.js';
import type { SipRequest, SipResponse } from '../../message.js';
import type { SrfRequest, SrfResponse } from './srf-types.js';
import { RESPONSE_OWNED, flowOf, fromBinary, refusalOf, requestOf, srfHeaders } from './wire.js';

export class DrachtioServerResponse extends ServerResponse {
  constructor(
    req: IncomingRequest,
    readonly srf: SrfResponse,
    private readonly log: Logger,
  ) {
    super(req);
  }

  override sendBuilt(res: SipResponse): void {
    if (this.finalSent) return;
    // drachtio-server answered itself (487 after a CANCEL): nothing more may go out.
    if (this.srf.finalResponseSent) {
      this.finalSent = true;
      return;
    }
    this.status = res.status;
    if (res.status >= 200) this.finalSent = true;
    unfoldCopiedHeaders(this.srf);
    const headers = srfHeaders(res.headers, RESPONSE_OWNED);
    const tag = res.headers.to.params.tag;
    if (tag && res.status > 100) headers.To = `<${fromBinary(res.headers.to.uri)}>;tag=${tag}`;
    try {
      this.srf.send(res.status, fromBinary(res.reason), { headers, ...(res.body ? { body: fromBinary(res.body) } : {}) }, (err) => {
        if (err) this.log.warn({ err: err instanceof Error ? err : new Error(String(err)), status: res.status }, 'drachtio-server did not send the response');
      });
    } catch (err) {
      // drachtio-srf throws on a status it does not know; the request still gets an answer.
      this.log.warn({ err, status: res.status }, 'response refused by drachtio-srf');
      if (res.status >= 200) this.srf.send(500, 'Server Internal Error', {});
    }
    if (res.status >= 200) this.onFinal?.(res);
  }
}

/**
 * drachtio-srf copies From, To, Call-ID and CSeq into a response as the request carried them,
 * folding included (RFC 3261 §7.3.1 allows it), and drachtio-server refuses to send a header
 * with a line break: it would answer 500 instead. Folding is one space.
 */
function unfoldCopiedHeaders(res: SrfResponse): void {
  const h = res.msg.headers;
  for (const name of Object.keys(h)) {
    const v = h[name];
    if (v && /[\r\n]/.test(v)) h[name] = v.replace(/\r?\n[ \t]*/g, ' ');
  }
}

/** Our request, holding the drachtio-srf request it stands for (createUAS answers through it). */
export class DrachtioIncomingRequest extends IncomingRequest {
  constructor(
    msg: SipRequest,
    readonly srf: SrfRequest,
  ) {
    super(msg, flowOf(srf, msg), undefined);
  }
}

export interface WrappedRequest {
  req: DrachtioIncomingRequest;
  res: DrachtioServerResponse;
}

/**
 * Our request and response for one drachtio-srf pair; undefined when our parser refuses the
 * message (then it has been answered 400, as the in-process engine answers it).
 */
export function wrapRequest(srfReq: SrfRequest, srfRes: SrfResponse, log: Logger): WrappedRequest | undefined {
  const msg = requestOf(srfReq);
  if (!msg) {
    const reason = refusalOf(srfReq);
    log.info({ callId: srfReq.get('call-id'), method: srfReq.method, reason }, 'refusing a request our parser rejects');
    srfRes.send(400, `Bad Request (${reason})`, {});
    return undefined;
  }
  const req = new DrachtioIncomingRequest(msg, srfReq);
  const res = new DrachtioServerResponse(req, srfRes, log);
  if (msg.method === 'INVITE') {
    // drachtio-server has already answered 200 to the CANCEL and 487 to the INVITE.
    srfReq.on('cancel', () => {
      req.canceled = true;
      res.finalSent = true;
      const cancel = { ...msg, method: 'CANCEL', headers: { ...msg.headers, cseq: { ...msg.headers.cseq, method: 'CANCEL' } }, body: '' };
      req.emit('cancel', cancel);
    });
  }
  return { req, res };
}
