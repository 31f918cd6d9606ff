import type { CallbackSlot } from '@switchboard/protocol';
import type { Calendar, Config, Website } from '../../kernel/config/schema.js';
import { hoursStatus } from '../websites/index.js';

export const SLOT_MINUTES = 30;
const DAYS_AHEAD = 7;

export type Slot = CallbackSlot;

/** The calendars a callback must respect: the website's and its callback queue's. */
function calendarsOf(config: Config, website: Website): (Calendar | undefined)[] {
  const queue = config.queues.find((q) => q.id === website.channels.callback.queue);
  return [website.hours, queue?.hours].filter((c): c is string => !!c).map((id) => config.calendars.find((c) => c.id === id));
}

/**
 * Half-hour slots, starting at least one slot from now, in which both the website's and the
 * callback queue's calendars are open for the whole slot. A visitor can only pick one of these.
 */
export function callbackSlots(config: Config, website: Website, now = new Date()): Slot[] {
  const calendars = calendarsOf(config, website);
  const step = SLOT_MINUTES * 60_000;
  const first = Math.ceil(now.getTime() / step) * step + step;
  const slots: Slot[] = [];
  for (let t = first; t < now.getTime() + DAYS_AHEAD * 86_400_000; t += step) {
    const openAll = (at: number) => calendars.every((c) => hoursStatus(c, new Date(at)).open);
    if (openAll(t) && openAll(t + step - 60_000)) slots.push({ start: new Date(t).toISOString(), end: new Date(t + step).toISOString() });
  }
  return slots;
}

/**
 * When "as soon as possible" is: now if both calendars are open, else the first moment both are
 * (each closed one pushes the time to its next opening until none is closed). Null when they
 * never are within a month.
 */
export function asapDue(config: Config, website: Website, now = new Date()): Date | null {
  const calendars = calendarsOf(config, website);
  let t = now;
  for (let i = 0; i < 64; i++) {
    const closed = calendars.map((c) => hoursStatus(c, t)).filter((h) => !h.open);
    if (!closed.length) return t;
    if (closed.some((h) => !h.nextOpening)) return null;
    t = new Date(Math.max(...closed.map((h) => new Date(h.nextOpening!).getTime())));
  }
  return null;
}
