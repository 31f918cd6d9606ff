import type { Config, Website } from '../../config/schema.js';
import { hoursStatus } from '../websites/hours.js';

export const SLOT_MINUTES = 30;
const DAYS_AHEAD = 7;

export interface Slot {
  start: string;
  end: string;
}

/**
 * Half-hour slots, starting at least one slot from now, in which both the website's and the
 * callback queue's calendars are open for the whole slot. A visitor can only pick one of these.
 */
export function callbackSlots(config: Config, website: Website, now = new Date()): Slot[] {
  const queue = config.queues.find((q) => q.id === website.channels.callback.queue);
  const calendars = [website.hours, queue?.hours].filter((c): c is string => !!c).map((id) => config.calendars.find((c) => c.id === id));
  const step = SLOT_MINUTES * 60_000;
  const first = Math.ceil(now.getTime() / step) * step + step;
  const slots: Slot[] = [];
  for (let t = first; t < now.getTime() + DAYS_AHEAD * 86_400_000; t += step) {
    const openAll = (at: number) => calendars.every((c) => hoursStatus(c, new Date(at)).open);
    if (openAll(t) && openAll(t + step - 60_000)) slots.push({ start: new Date(t).toISOString(), end: new Date(t + step).toISOString() });
  }
  return slots;
}
