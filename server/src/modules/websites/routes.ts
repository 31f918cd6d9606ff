import type Router from '@koa/router';
import { ADMINS, mount, type RouteDeps } from '../../http/route.js';
import { notFound } from '../../http/errors.js';
import { findWebsite } from '../../http/security.js';
import { presentWidgetConfig, snippet } from './presenter.js';
import type { Services } from '../../services.js';
import type { Website } from '../../config/schema.js';

export function websiteRoutes(router: Router, deps: RouteDeps, s: Services): void {
  mount(router, deps, {
    method: 'get',
    path: '/api/widget/:websiteId/config',
    summary: "The widget's settings for a website: look, enabled channels, forms, hours (allowed origins only)",
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    handler: async (ctx) => presentWidgetConfig(ctx.state.website as Website, s.config()),
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/websites/:id/snippet',
    summary: 'The <script> tag to paste before </head> on the website',
    tag: 'websites',
    access: ADMINS,
    rateLimit: 'api',
    handler: async (ctx) => {
      const w = findWebsite(s.config(), ctx.params.id);
      if (!w) throw notFound('Website');
      return { website: w.id, snippet: snippet(w, s.config().main.server.publicUrl) };
    },
  });
}
