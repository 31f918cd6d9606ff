import { createHash } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { IncomingMessage } from 'node:http';
import type { RedisHandle } from '../redis.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../clock.js';
import type { Config, Website } from '../config/schema.js';
import type { SessionResolver, Principal } from './principal.js';
import { HttpError, forbidden, unauthorized, notFound } from './errors.js';
import type { RateBucket } from './route.js';
import { isWidgetFrame } from './frame-origin.js';
import { crossSiteRefusal, foreignReason, isBearer, isFormType, serverOrigins } from './origin.js';

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

export function authenticate(sessions: SessionResolver): Middleware {
  return async (ctx, next) => {
    const token = tokenFrom(ctx.req);
    const principal = token ? await sessions.resolve(token) : null;
    if (!principal) throw unauthorized('Your session has ended or is not valid. Log in again.');
    ctx.state.principal = principal satisfies Principal;
    await next();
  };
}

/**
 * A token bucket per key in this process: `perMinute` requests, refilled continuously. No round
 * trip, so the widget's page-view path costs no Redis command; the limit holds per instance (N
 * instances let a visitor address through N times as often), which is what abuse protection of
 * a public endpoint needs. Idle buckets are dropped so the map stays the size of the live set.
 */
export class LocalRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt = 0;

  /** Whether the request may go on; otherwise the seconds until a token is back. */
  take(key: string, perMinute: number, now = Date.now()): number {
    if (now - this.sweptAt > 60000) this.sweep(now, perMinute);
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(perMinute, b.tokens + ((now - b.at) * perMinute) / 60000) : perMinute;
    if (tokens < 1) {
      if (b) Object.assign(b, { tokens, at: now });
      return Math.max(1, Math.ceil(((1 - tokens) * 60) / perMinute));
    }
    if (b) Object.assign(b, { tokens: tokens - 1, at: now });
    else this.buckets.set(key, { tokens: tokens - 1, at: now });
    return 0;
  }

  private sweep(now: number, perMinute: number): void {
    this.sweptAt = now;
    // A bucket idle for a minute is full again: forgetting it changes nothing.
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) * perMinute) / 60000 >= perMinute) this.buckets.delete(k);
  }
}

const tooMany = (retry: string) => new HttpError(429, 'rate_limited', `Too many requests. Try again in ${retry} seconds.`, undefined, { 'Retry-After': retry });

/**
 * Agents' and login limits: fixed-window counters in Redis, so they hold across instances. While
 * Redis is away the limiter lets requests through (and logs once a window): refusing every agent
 * would be worse. The widget's limit is local to each instance (LocalRateLimiter). The windows
 * are minutes of the server's clock, so a test can keep its requests inside one.
 */
export function rateLimiter(redis: RedisHandle, config: () => Config, log: Logger, clock: Clock) {
  let warnedWindow = 0;
  const local = new LocalRateLimiter();
  return (bucket: RateBucket): Middleware => {
    if (bucket === 'widget') {
      return async (ctx, next) => {
        const retry = local.take(ctx.ip, config().main.security.rateLimits.widgetPerMinute);
        if (retry > 0) throw tooMany(String(retry));
        await next();
      };
    }
    return async (ctx, next) => {
      const limits = config().main.security.rateLimits;
      const limit = bucket === 'login' || bucket === 'password' ? limits.loginPerMinute : limits.apiPerMinute;
      const now = clock.now().getTime();
      const window = Math.floor(now / 60000);
      // The limit runs before authentication, so an agent is recognised by their token, not their id.
      const token = bucket === 'api' || bucket === 'password' ? tokenFrom(ctx.req) : null;
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
      if (count > limit) throw tooMany(String(60 - Math.floor((now / 1000) % 60)));
      await next();
    };
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
    const frame = isWidgetFrame(ctx.req.headers, serverOrigins(ctx.req, config().main.server));
    if (!frame && (!origin || !website.origins.includes(origin))) {
      throw forbidden(`This page's origin is not allowed for website "${website.id}". Add it to the website's origins.`);
    }
    if (origin) ctx.set('Access-Control-Allow-Origin', origin);
    ctx.set('Vary', 'Origin');
    ctx.state.website = website;
    await next();
  };
}

/**
 * Cross-site request forgery: a request that can change something and rides on the session
 * cookie must come from a page of Switchboard itself (see origin.ts). Bearer tokens are never
 * sent by a browser on its own, so requests carrying one pass. A form cannot send JSON, so the
 * content types forms send are refused outright on routes that read no raw body.
 */
export function desktopOnly(config: () => Config, opts: { rawBody: boolean }): Middleware {
  return async (ctx, next) => {
    const headers = ctx.req.headers;
    if (!isBearer(headers)) {
      const reason = foreignReason(headers, serverOrigins(ctx.req, config().main.server), tokenFrom(ctx.req) !== null);
      if (reason) throw crossSiteRefusal(reason);
    }
    if (!opts.rawBody && isFormType(headers['content-type'])) {
      throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json (forms are not accepted).');
    }
    await next();
  };
}
