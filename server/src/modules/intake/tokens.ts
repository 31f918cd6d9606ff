import { createHash } from 'node:crypto';
import type { Context } from 'koa';

/** Visitor tokens (a chat's, a mail ticket's, a call's) are kept only as this hash. */
export const hashToken = (t: string) => createHash('sha256').update(t).digest('hex');

/** The visitor's token: the Authorization bearer, or `?token=` where a header cannot be set (downloads). */
export function bearer(ctx: Context): string | undefined {
  const h = ctx.get('authorization');
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  if (m) return m[1];
  const q = ctx.query.token;
  return typeof q === 'string' && q ? q : undefined;
}
