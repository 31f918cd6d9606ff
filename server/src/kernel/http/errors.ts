import type { ApiErrorBody } from '@switchboard/protocol';
import type { Context, Next } from 'koa';
import { ZodError } from 'zod';
import type { Logger } from '../logger.js';
import { isRedisUnavailable } from '../redis.js';

export interface FieldProblem {
  field: string;
  problem: string;
}

/** An error the client can act on: its status, a stable code and a message that says what to do. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldProblem[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, fields?: FieldProblem[]) => new HttpError(400, 'invalid_request', message, fields);
export const unauthorized = (message = 'Log in first.') => new HttpError(401, 'unauthorized', message);
export const forbidden = (message = 'Your role does not allow this.') => new HttpError(403, 'forbidden', message);
export const notFound = (what = 'Resource') => new HttpError(404, 'not_found', `${what} not found.`);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);

/** What a client is told while Redis is away: nothing wrong with the request, try again shortly. */
export const redisUnavailable = () =>
  new HttpError(503, 'redis_unavailable', 'Live state (Redis) is unreachable right now; try again in a few seconds.', undefined, { 'Retry-After': '5' });

export function zodFields(err: ZodError): FieldProblem[] {
  return err.issues.map((i) => {
    const field = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') return { field: i.keys.join(', '), problem: 'unknown field' };
    if (i.code === 'invalid_type' && i.message.includes('received undefined')) return { field, problem: 'is required' };
    return { field, problem: i.message };
  });
}

/** Turns every failure into a JSON error; internal errors are logged with context and never leak. */
export function errorMiddleware(log: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw notFound('Route');
    } catch (raw) {
      let err = raw as Error & { status?: number; expose?: boolean };
      if (err instanceof ZodError) err = badRequest('Some fields are not valid.', zodFields(err));
      if (isRedisUnavailable(err)) {
        log.warn({ method: ctx.method, path: ctx.path, reason: err.message }, 'request refused: Redis unavailable');
        err = redisUnavailable();
      }
      if (err instanceof HttpError) {
        ctx.status = err.status;
        if (err.headers) ctx.set(err.headers);
        ctx.body = { error: { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) } } satisfies ApiErrorBody;
        return;
      }
      if (typeof err.status === 'number' && err.status >= 400 && err.status < 500 && err.expose) {
        ctx.status = err.status;
        ctx.body = { error: { code: 'invalid_request', message: err.message } } satisfies ApiErrorBody;
        return;
      }
      const requestId = ctx.state.requestId as string | undefined;
      log.error({ err, requestId, method: ctx.method, path: ctx.path }, 'request failed');
      ctx.status = 500;
      ctx.body = { error: { code: 'internal', message: 'Something went wrong on our side. Try again; if it persists, give this id to support.', requestId } } satisfies ApiErrorBody;
    }
  };
}
