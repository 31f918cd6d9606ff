import type { Availability, WebsiteAvailability, WidgetChannel } from '@switchboard/protocol';
import type { Channel, Config, Website } from '../../kernel/config/schema.js';
import type { QueueAvailability } from '../routing/index.js';
import { hoursStatus } from '../websites/index.js';

/** Widget channel names; `call` is served by a phone queue. */
export const WIDGET_CHANNELS: readonly WidgetChannel[] = ['chat', 'call', 'video', 'callback', 'mail'];
export type { WidgetChannel } from '@switchboard/protocol';

export type { Availability, WebsiteAvailability } from '@switchboard/protocol';

/** What the widget API uses of routing: whether a queue is open and has agents available now. */
export interface WidgetApiDeps {
  routing: { availability(q: { queueId: string }): Promise<QueueAvailability[]> };
}

const queueChannel = (c: WidgetChannel): Channel => (c === 'call' ? 'phone' : c);

function combine(website: Website, config: Config, q: QueueAvailability | undefined, now: Date): Availability {
  const site = hoursStatus(config.calendars.find((c) => c.id === website.hours), now);
  const open = site.open && (q?.open ?? false);
  const agentsAvailable = open ? (q?.agentsAvailable ?? 0) : 0;
  return { open, nextOpening: site.open ? (q?.nextOpening ?? null) : site.nextOpening, agentsAvailable, available: open && agentsAvailable > 0 };
}

/**
 * What the site's bot may know: for each enabled channel and each bot option, whether a visitor
 * handed over now would reach an agent. Counts only; no agent or queue internals.
 */
export async function websiteAvailability(config: Config, s: WidgetApiDeps, website: Website, now = new Date()): Promise<WebsiteAvailability> {
  const wanted = new Set<string>();
  for (const c of WIDGET_CHANNELS) if (website.channels[c].enabled && website.channels[c].queue) wanted.add(website.channels[c].queue!);
  for (const o of website.bot.options) wanted.add(o.queue);
  const rows = (await Promise.all([...wanted].map((queueId) => s.routing.availability({ queueId })))).flat();
  const byQueue = new Map(rows.map((r) => [r.queueId, r]));
  const channels: WebsiteAvailability['channels'] = {};
  for (const c of WIDGET_CHANNELS) {
    const ch = website.channels[c];
    if (!ch.enabled) continue;
    const row = ch.queue ? byQueue.get(ch.queue) : undefined;
    channels[c] = combine(website, config, row && row.channel === queueChannel(c) ? row : undefined, now);
  }
  const options = Object.fromEntries(website.bot.options.map((o) => [o.id, combine(website, config, byQueue.get(o.queue), now)]));
  return { at: now.toISOString(), channels, options };
}
