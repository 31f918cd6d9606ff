import type Router from '@koa/router';
import { ADMINS, mount, type RouteDeps } from '../../kernel/http/route.js';
import { notFound } from '../../kernel/http/errors.js';
import { findWebsite } from '../../kernel/http/security.js';
import { presentWidgetConfig, snippet } from './presenter.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Config, Website } from '../../kernel/config/schema.js';
import { cachedJson, sendCached, type CachedJson } from '../../kernel/http/cache.js';

/** How long a browser may reuse the configuration without asking: a reload reaches it within this. */
export const WIDGET_CONFIG_MAX_AGE_SECONDS = 60;

/**
 * Every page view of every site asks for this: it is built once per configuration (a reload
 * makes a new one) and website, and again only when the website's hours change state.
 */
function widgetConfigCache(s: Pick<Kernel, 'config'>) {
  let built: { config: Config; entries: Map<string, CachedJson & { until: number }> } | undefined;
  return (w: Website, now = Date.now()): { cached: CachedJson; maxAge: number } => {
    const config = s.config();
    if (built?.config !== config) built = { config, entries: new Map() };
    let e = built.entries.get(w.id);
    if (!e || now >= e.until) {
      const view = presentWidgetConfig(w, config, new Date(now));
      const change = Date.parse(view.hours.closesAt ?? view.hours.nextOpening ?? '') || Infinity;
      e = { ...cachedJson(view), until: Math.min(change, now + WIDGET_CONFIG_MAX_AGE_SECONDS * 1000) };
      built.entries.set(w.id, e);
    }
    return { cached: e, maxAge: Math.max(0, Math.min(WIDGET_CONFIG_MAX_AGE_SECONDS, Math.floor((e.until - now) / 1000))) };
  };
}

export function websiteRoutes(router: Router, deps: RouteDeps, s: Pick<Kernel, 'config'>): void {
  const widgetConfig = widgetConfigCache(s);
  mount(router, deps, {
    method: 'get',
    path: '/api/widget/:websiteId/config',
    summary: "The widget's settings for a website: look, enabled channels, forms, hours (allowed origins only)",
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const { cached, maxAge } = widgetConfig(ctx.state.website as Website);
      sendCached(ctx, cached, maxAge);
    },
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
