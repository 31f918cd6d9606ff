import type { ServerModule } from '../../module.js';
import { mount } from '../../http/route.js';
import { findWebsite } from '../../http/security.js';
import { notFound } from '../../http/errors.js';
import type { Website } from '../../config/schema.js';
import { websiteAvailability } from './availability.js';
import { sipConnectSources } from '../calls/browser-origin.js';
import { serveFrame } from './frame.js';

/**
 * Widget-only routes that belong to no single channel: the frame page and the availability the
 * site's bot watches. Listed before the static module, whose catch-all would take /widget/….
 */
export const widgetApiModule: ServerModule = {
  name: 'widget-api',
  routes: (router, deps, s) => {
    mount(router, deps, {
      method: 'get',
      path: '/api/widget/:websiteId/availability',
      summary: 'Per enabled channel and bot option: within hours, agents available now (for the site bot)',
      tag: 'widget',
      access: 'website',
      rateLimit: 'widget',
      handler: async (ctx) => websiteAvailability(s, ctx.state.website as Website),
    });

    router.get('/widget/frame/:websiteId', deps.rateLimit('widget'), async (ctx) => {
      const website = findWebsite(s.config(), ctx.params.websiteId);
      if (!website) throw notFound('Website');
      await serveFrame(ctx, website, sipConnectSources(s.config().main.sip));
    });
  },
};
