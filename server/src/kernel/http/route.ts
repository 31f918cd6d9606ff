import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import type { Role } from '../config/schema.js';
import { readJson } from './body.js';
import { forbidden, unauthorized } from './errors.js';
import type { Principal } from './principal.js';

export type RateBucket = 'login' | 'password' | 'api' | 'widget';
export type Access = 'public' | 'website' | readonly Role[];

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  access: Access;
  rateLimit: RateBucket;
  body?: B;
  query?: Q;
  /** The handler streams the body itself (an upload): any content type may come. */
  rawBody?: boolean;
  /** Response schema, for the OpenAPI document. */
  response?: z.ZodType;
  handler: (ctx: Context, input: { body: z.infer<B>; query: z.infer<Q> }) => Promise<unknown>;
}

export interface RouteDeps {
  rateLimit: (bucket: RateBucket) => Middleware;
  authenticate: Middleware;
  websiteOrigin: Middleware;
  desktopOnly: (opts: { rawBody: boolean }) => Middleware;
  /** Every route this server mounted, read by its OpenAPI document so the two cannot drift. */
  mounted: RouteSpec<z.ZodType, z.ZodType>[];
}

/**
 * Mounts a route as one visible stack: rate limit → origin → auth → validate → handler. Handlers get
 * input already parsed by the zod schemas, so request types come from the schemas.
 */
export function mount<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined>(
  router: Router,
  deps: RouteDeps,
  spec: RouteSpec<B, Q>,
): void {
  if (!deps.mounted.some((r) => r.method === spec.method && r.path === spec.path)) deps.mounted.push(spec as never);
  const stack: Middleware[] = [deps.rateLimit(spec.rateLimit)];
  if (spec.access === 'website') {
    stack.push(deps.websiteOrigin);
  } else {
    // Requests that change something must come from the desktop, not from another page (CSRF).
    if (spec.method !== 'get') stack.push(deps.desktopOnly({ rawBody: spec.rawBody === true }));
    if (spec.access !== 'public') stack.push(deps.authenticate, requireRole(spec.access));
  }
  stack.push(async (ctx) => {
    const body = spec.body ? spec.body.parse(await readJson(ctx)) : undefined;
    const query = spec.query ? spec.query.parse(ctx.query) : undefined;
    const result = await spec.handler(ctx, { body: body as z.infer<B>, query: query as z.infer<Q> });
    if (result === undefined) {
      if (ctx.body === undefined) ctx.status = 204;
    } else {
      ctx.body = result;
    }
  });
  router[spec.method](spec.path, ...stack);
}

export function requireRole(roles: readonly Role[]): Middleware {
  return async (ctx, next) => {
    const principal = ctx.state.principal as Principal | undefined;
    if (!principal) throw unauthorized();
    if (!roles.includes(principal.role)) throw forbidden();
    await next();
  };
}

export const ALL_ROLES = ['agent', 'supervisor', 'admin'] as const;
export const SUPERVISORS = ['supervisor', 'admin'] as const;
export const ADMINS = ['admin'] as const;
