// The ordered request middleware both engines run for a request outside any dialog: each step
// rejects it with a SIP status or hands it on (`next`); one that throws or rejects answers 500.
// What no step answered gets the engine's own answer (OPTIONS 200 with Allow, 404, 405).
import type { Logger } from 'pino';
import type { Middleware, Next } from './engine-api.js';
import type { IncomingRequest, ServerResponse } from './request.js';

export class MiddlewareChain {
  private readonly steps: Array<{ method?: string; fn: Middleware }> = [];

  constructor(private readonly log: Logger) {}

  use(a: Middleware | string, b?: Middleware): void {
    if (typeof a === 'string') this.steps.push({ method: a.toUpperCase(), fn: b! });
    else this.steps.push({ fn: a });
  }

  run(req: IncomingRequest, res: ServerResponse): void {
    const chain = this.steps.filter((m) => !m.method || m.method === req.method);
    let i = 0;
    const next: Next = (err) => {
      if (err) {
        this.log.error({ err, callId: req.callId }, 'middleware failed');
        res.send(500);
        return;
      }
      if (res.finalSent || req.canceled) return;
      const step = chain[i++];
      if (!step) {
        fallback(req, res);
        return;
      }
      try {
        const r = step.fn(req, res, next);
        if (r instanceof Promise) r.catch((e: unknown) => next(e ?? new Error('middleware rejected')));
      } catch (e) {
        next(e);
      }
    };
    next();
  }
}

function fallback(req: IncomingRequest, res: ServerResponse): void {
  if (req.method === 'OPTIONS') res.send(200, 'OK', { headers: { allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, MESSAGE, REGISTER' } });
  else if (['INVITE', 'REGISTER', 'MESSAGE', 'SUBSCRIBE'].includes(req.method)) res.send(404);
  else res.send(405);
}
