import type { Middleware } from 'koa';

export interface HttpObservation {
  method: string;
  /** The route's pattern (`/api/reports/:id`), never the raw path: labels stay few. */
  route: string;
  status: number;
  seconds: number;
}

/** Times every request and hands the figures on (the metrics context counts them). */
export function httpMetrics(observe: (o: HttpObservation) => void): Middleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      observe({
        method: ctx.method,
        route: typeof matched === 'string' ? matched : 'unmatched',
        status: ctx.status,
        seconds: Number(process.hrtime.bigint() - start) / 1e9,
      });
    }
  };
}
