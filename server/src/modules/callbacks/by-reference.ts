// A visitor who no longer has the page that asked (another device, storage cleared) finds their
// callback again by its reference. The reference is short (32 bits, meant to be read out), so it
// alone proves nothing: it takes the last digits of the number called as well, or the mail's
// token. Failed lookups are counted per address and per reference across instances, and an
// unknown reference answers exactly like wrong digits, so neither can be enumerated.
import { z } from 'zod';
import type { Website } from '../../kernel/config/schema.js';
import type { CallbacksKit } from './types.js';
import { HttpError, notFound } from '../../kernel/http/errors.js';
import { hashToken } from '../intake/index.js';
import { Callback } from './callback.entity.js';
import { isCallbackToken } from './confirmation.js';
import type { CallbackFound } from '@switchboard/protocol';
import { presentStatus } from './visitor.js';

export const lookupBody = z.union([
  z
    .object({
      reference: z.string().trim().toUpperCase().regex(/^CB-[0-9A-F]{8}$/, 'must be a callback reference (CB- and 8 characters)'),
      /** The last four digits of the number the visitor asked to be called on. */
      phoneEnd: z.string().regex(/^[0-9]{4}$/, 'must be the last 4 digits of the phone number'),
    })
    .strict(),
  z.object({ token: z.string().refine(isCallbackToken, 'must be the token of the confirmation mail') }).strict(),
]);
export type LookupBody = z.infer<typeof lookupBody>;

/** Failed lookups allowed per visitor address, and per reference, in a window. */
const FAILS_PER_ADDRESS = 10;
const FAILS_PER_REFERENCE = 5;
const WINDOW_SECONDS = 900;

export type { CallbackFound as FoundCallback } from '@switchboard/protocol';

export async function lookupCallback(s: CallbacksKit, website: Website, ip: string, body: LookupBody): Promise<CallbackFound> {
  const keys = [s.redis.key('callback-lookup', 'ip', ip), ...('reference' in body ? [s.redis.key('callback-lookup', 'ref', website.id, body.reference)] : [])];
  const counts = await s.redis.client.mget(...keys);
  if (Number(counts[0] ?? 0) >= FAILS_PER_ADDRESS || Number(counts[1] ?? 0) >= FAILS_PER_REFERENCE) {
    throw new HttpError(429, 'rate_limited', 'Too many tries. Try again in 15 minutes, or use the link in the confirmation mail.', undefined, { 'Retry-After': String(WINDOW_SECONDS) });
  }
  const cb = await find(s, website, body);
  if (!cb) {
    const m = s.redis.client.multi();
    for (const k of keys) m.incr(k).expire(k, WINDOW_SECONDS);
    await m.exec();
    throw notFound('Callback with this reference and number');
  }
  return { callbackId: cb.id, ...presentStatus(cb) };
}

async function find(s: CallbacksKit, website: Website, body: LookupBody): Promise<Callback | null> {
  if ('token' in body) {
    const rows: { id: string }[] = await s.db.query('SELECT c.id FROM callbacks c JOIN interactions i ON i.id = c.interactionId WHERE c.tokenHash = ? AND i.websiteId = ?', [hashToken(body.token), website.id]);
    return rows[0] ? s.db.getRepository(Callback).findOneBy({ id: rows[0].id }) : null;
  }
  // The reference is the id's first 8 hex digits: a prefix of the primary key.
  const prefix = body.reference.slice(3).toLowerCase();
  const rows: { id: string; phoneNumber: string }[] = await s.db.query(
    'SELECT c.id, c.phoneNumber FROM callbacks c JOIN interactions i ON i.id = c.interactionId WHERE c.id LIKE ? AND i.websiteId = ? ORDER BY c.createdAt DESC LIMIT 20',
    [`${prefix}%`, website.id],
  );
  const hit = rows.find((r) => r.phoneNumber.endsWith(body.phoneEnd));
  return hit ? s.db.getRepository(Callback).findOneBy({ id: hit.id }) : null;
}
