import { createHash } from 'node:crypto';
import type { Context } from 'koa';

/** A JSON answer serialised once, with the validator browsers send back to revalidate it. */
export interface CachedJson {
  body: string;
  etag: string;
}

export function cachedJson(value: unknown, etagOf: unknown = value): CachedJson {
  const body = JSON.stringify(value);
  const validator = etagOf === value ? body : JSON.stringify(etagOf);
  return { body, etag: `"${createHash('sha1').update(validator).digest('base64url')}"` };
}

/**
 * Answers from a CachedJson: 304 without a body when the browser already holds this version,
 * else the stored text (no serialisation per request). `maxAgeSeconds` 0 means: keep it, but ask
 * every time (`no-cache`), for what may change any second.
 */
export function sendCached(ctx: Context, c: CachedJson, maxAgeSeconds: number): void {
  ctx.set('ETag', c.etag);
  ctx.set('Cache-Control', maxAgeSeconds > 0 ? `public, max-age=${maxAgeSeconds}` : 'no-cache');
  const held = ctx.get('if-none-match');
  if (held && held.split(',').some((t) => t.trim().replace(/^W\//, '') === c.etag)) {
    ctx.status = 304;
    ctx.body = null;
    return;
  }
  ctx.type = 'application/json';
  ctx.body = c.body;
}
