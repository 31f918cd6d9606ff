import { z } from 'zod';
import { id } from './common.js';

// ---------------------------------------------------------------- hours.yaml
const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
const range = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must look like 09:00-18:00')
  .refine((s) => s.slice(0, 5) < s.slice(6), 'must end after it starts');
const day = z.array(range).default([]);
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const calendar = z
  .object({
    id,
    name: z.string().optional(),
    timezone: z.string().refine(isTimeZone, 'is not an IANA time zone (e.g. Europe/Rome)'),
    weekly: z
      .object({ mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day })
      .strict(),
    holidays: z
      .array(
        z
          .object({
            date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'),
            name: z.string().optional(),
            open: z.array(range).optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export const hoursFile = z.object({ calendars: z.array(calendar).min(1) }).strict();
export { hhmm };

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
