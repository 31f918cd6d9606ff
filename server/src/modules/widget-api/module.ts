import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { mount } from '../../kernel/http/route.js';
import { findWebsite } from '../../kernel/http/security.js';
import { notFound } from '../../kernel/http/errors.js';
import type { Website } from '../../kernel/config/schema.js';
import { websiteAvailability, type WidgetApiDeps } from './availability.js';
import { sipConnectSources } from '../calls/index.js';
import { serveFrame } from './frame.js';
import { cachedJson, sendCached, type CachedJson } from '../../kernel/http/cache.js';

/**
 * Availability is live, but a site's bot on every page polls it: one instance computes it at most
 * once per this many milliseconds per website, however many visitors ask.
 */
export const AVAILABILITY_REUSE_MS = 1000;

/**
 * Widget-only routes that belong to no single channel: the frame page and the availability the
 * site's bot watches. Listed before the static module, whose catch-all would take /widget/….
 */
export const createWidgetApi = (k: Kernel, d: WidgetApiDeps): ServerModule => ({
  name: 'widget-api',
  routes: (router, deps) => {
    const recent = new Map<string, { at: number; answer: Promise<CachedJson> }>();
    const availability = (website: Website): Promise<CachedJson> => {
      const now = Date.now();
      const hit = recent.get(website.id);
      if (hit && now - hit.at < AVAILABILITY_REUSE_MS) return hit.answer;
      // The validator leaves out the time of the answer: unchanged counts answer 304.
      const answer = websiteAvailability(k.config(), d, website, new Date(now)).then((a) => cachedJson(a, { channels: a.channels, options: a.options }));
      recent.set(website.id, { at: now, answer });
      answer.catch(() => recent.delete(website.id));
      return answer;
    };
    mount(router, deps, {
      method: 'get',
      path: '/api/widget/:websiteId/availability',
      summary: 'Per enabled channel and bot option: within hours, agents available now (for the site bot)',
      tag: 'widget',
      access: 'website',
      rateLimit: 'widget',
      handler: async (ctx) => sendCached(ctx, await availability(ctx.state.website as Website), 0),
    });

    router.get('/widget/frame/:websiteId', deps.rateLimit('widget'), async (ctx) => {
      const website = findWebsite(k.config(), ctx.params.websiteId);
      if (!website) throw notFound('Website');
      await serveFrame(ctx, website, sipConnectSources(k.config().main.sip));
    });
  },
});
