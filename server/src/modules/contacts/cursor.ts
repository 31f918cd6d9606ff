import { createHash } from 'node:crypto';

/** Where the last page ended in a list read newest first: that row's time and its tie-breaker. */
export interface Place {
  at: Date;
  key: string;
}

/** A cursor read back: its place, and a fingerprint of the list it was made for (see `cursorFor`). */
export interface Cursor extends Place {
  list: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 16);

/** The fingerprint a list's cursors carry, so one made for another search or contact is refused instead of silently skipping rows. */
export const listOf = (...parts: string[]) => digest(parts.join('\0'));

/**
 * The cursor after `place` in `list`. Opaque to clients and check-summed, so a cut or changed one is
 * refused rather than read as some other place. It grants nothing: what the asker may see is
 * narrowed again on every page.
 */
export function cursorFor(list: string, place: Place): string {
  const body = `${place.at.getTime()}.${place.key}.${list}`;
  return Buffer.from(`${body}.${digest(body)}`).toString('base64url');
}

export function readCursor(raw: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  const m = /^(\d{1,15})\.([0-9a-f]{32}|\d{1,20})\.([\w-]{16})\.([\w-]{16})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!m || digest(`${m[1]}.${m[2]}.${m[3]}`) !== m[4]) return null;
  return { at: new Date(Number(m[1])), key: m[2], list: m[3] };
}

/** One page of `limit` rows from `limit + 1` read, with the cursor to the next when there is more. */
export function pageOf<T>(rows: T[], limit: number, list: string, place: (row: T) => Place): { rows: T[]; next: string | null } {
  const page = rows.slice(0, limit);
  return { rows: page, next: rows.length > limit ? cursorFor(list, place(page[page.length - 1])) : null };
}
