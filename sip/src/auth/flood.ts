// Per-source token bucket for requests outside dialogs, first in the middleware chain, so a
// flood from one source is refused (503 + Retry-After) before any digest or routing work and
// cannot starve other callers. In-dialog requests never reach middleware and are not limited.
import type { Middleware } from '../engine.js';
import type { IncomingRequest } from '../request.js';

export interface FloodLimitOptions {
  /** Sustained requests per second per source (default 20). */
  ratePerSecond?: number;
  /** Bucket size: short bursts allowed (default 40). */
  burst?: number;
  /** What counts as one source (default: the WebSocket connection, else the IP address). */
  key?(req: IncomingRequest): string;
}

export function floodLimit(opts: FloodLimitOptions = {}): Middleware & { readonly sources: number } {
  const rate = opts.ratePerSecond ?? 20;
  const burst = opts.burst ?? 40;
  const keyOf = opts.key ?? ((req: IncomingRequest) => (req.source.protocol === 'ws' ? req.source.connectionId ?? req.source.address : req.source.address));
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = Date.now();
  const mw = ((req, res, next) => {
    const now = Date.now();
    if (now - lastSweep > 60_000) {
      // Forget sources idle long enough to have refilled: the map cannot grow without bound.
      for (const [k, b] of buckets) if (now - b.at > (burst / rate) * 1000) buckets.delete(k);
      lastSweep = now;
    }
    const key = keyOf(req);
    const b = buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    buckets.set(key, b);
    if (b.tokens < 1) {
      if (req.method !== 'ACK') res.send(503, 'Service Unavailable', { headers: { 'retry-after': '5' } });
      return;
    }
    b.tokens -= 1;
    next();
  }) as Middleware & { sources: number };
  Object.defineProperty(mw, 'sources', { get: () => buckets.size });
  return mw;
}
