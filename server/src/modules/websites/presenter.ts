import type { WidgetChannel, WidgetConfig } from '@switchboard/protocol';
import type { Config, Website } from '../../kernel/config/schema.js';
import { hoursStatus } from './hours.js';

/**
 * What a visitor's browser may know about a website: look, channels, forms and hours. Queue ids,
 * mail forwarding addresses and other internals stay on the server.
 */
export function presentWidgetConfig(w: Website, config: Config, now = new Date()): WidgetConfig {
  const calendar = config.calendars.find((c) => c.id === w.hours);
  const channels = Object.fromEntries(Object.entries(w.channels).map(([name, c]) => [name, { enabled: c.enabled }])) as Record<WidgetChannel, { enabled: boolean }>;
  return {
    website: { id: w.id, name: w.name },
    look: w.look,
    channels,
    forms: w.forms,
    messages: w.messages,
    uploads: w.uploads,
    bot: { options: w.bot.options.map((o) => ({ id: o.id, label: o.label })) },
    hours: hoursStatus(calendar, now),
    transcriptByMail: w.transcriptByMail && config.main.smtp !== undefined,
    csat: w.csat.enabled,
  };
}

export function snippet(w: Website, publicUrl: string): string {
  const base = publicUrl.replace(/\/$/, '');
  const attr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<script src="${attr(base)}/widget/loader.js" data-switchboard-website="${attr(w.id)}" async></script>`;
}
