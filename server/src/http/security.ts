import { createHash } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { IncomingMessage } from 'node:http';
import type { RedisHandle } from '../redis.js';
import type { Logger } from '../logger.js';
import type { Config, Website } from '../config/schema.js';
import type { SessionStore, Principal } from '../modules/agents/sessions.js';
import { HttpError, forbidden, unauthorized, notFound } from './errors.js';
import type { RateBucket } from './route.js';
import { isWidgetFrame, ownOrigins } from '../modules/widget-api/frame-origin.js';

export const SESSION_COOKIE = 'sb_session';

export function tokenFrom(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const cookie = req.headers.cookie;
  if (!cookie) return null;
  for (const part of cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

export function authenticate(sessions: SessionStore): Middleware {
  return async (ctx, next) => {
    const token = tokenFrom(ctx.req);
    const principal = token ? await sessions.resolve(token) : null;
    if (!principal) throw unauthorized('Your session has ended or is not valid. Log in again.');
    ctx.state.principal = principal satisfies Principal;
    await next();
  };
}

/**
 * Fixed-window counters in Redis, so the limit holds across instances. While Redis is away the
 * limiter lets requests through (and logs once a window): refusing every agent would be worse.
 */
export function rateLimiter(redis: RedisHandle, config: () => Config, log: Logger) {
  let warnedWindow = 0;
  return (bucket: RateBucket): Middleware =>
    async (ctx, next) => {
      const limits = config().main.security.rateLimits;
      const limit = bucket === 'login' ? limits.loginPerMinute : bucket === 'widget' ? limits.widgetPerMinute : limits.apiPerMinute;
      const window = Math.floor(Date.now() / 60000);
      // The limit runs before authentication, so an agent is recognised by their token, not their id.
      const token = bucket === 'api' ? tokenFrom(ctx.req) : null;
      const who = token ? createHash('sha256').update(token).digest('hex').slice(0, 32) : ctx.ip;
      const key = redis.key('rl', bucket, who, String(window));
      let count = 0;
      try {
        const res = await redis.client.multi().incr(key).expire(key, 61).exec();
        count = Number(res?.[0]?.[1] ?? 0);
      } catch (err) {
        if (warnedWindow !== window) log.warn({ err }, 'rate limiter unavailable; letting requests through');
        warnedWindow = window;
      }
      if (count > limit) {
        const retry = String(60 - Math.floor((Date.now() / 1000) % 60));
        throw new HttpError(429, 'rate_limited', `Too many requests. Try again in ${retry} seconds.`, undefined, { 'Retry-After': retry });
      }
      await next();
    };
}

export function findWebsite(config: Config, id: string | undefined): Website | undefined {
  return id ? config.websites.find((w) => w.id === id) : undefined;
}

/**
 * Widget endpoints answer only pages of the website's allowed origins. The Origin header is set
 * by the browser and cannot be forged by page script, which is what matters for a widget.
 */
export function websiteOrigin(config: () => Config): Middleware {
  return async (ctx: Context, next) => {
    const website = findWebsite(config(), ctx.params?.websiteId as string | undefined);
    if (!website) throw notFound('Website');
    const origin = ctx.get('origin');
    const frame = isWidgetFrame(ctx.req.headers, ownOrigins(config().main.server.publicUrl, ctx.host, ctx.secure));
    if (!frame && (!origin || !website.origins.includes(origin))) {
      throw forbidden(`This page's origin is not allowed for website "${website.id}". Add it to the website's origins.`);
    }
    if (origin) ctx.set('Access-Control-Allow-Origin', origin);
    ctx.set('Vary', 'Origin');
    ctx.state.website = website;
    await next();
  };
}
