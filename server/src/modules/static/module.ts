import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { GzipCache, serveSite, type Site } from './serve.js';
import { sipConnectSources } from '../calls/index.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Paths that belong to the API: never answered with a page, whatever is built. */
const RESERVED = /^\/(api|ws|health|ready)(\/|$)/;

/**
 * Serves the built front-ends: the agent desktop at / (with the SPA fallback) and the widget at
 * /widget/. Registered last, so every API route has been tried first. The folders can be moved
 * with SWITCHBOARD_AGENT_UI_DIR and SWITCHBOARD_WIDGET_DIR (the Docker image does).
 */
export const createStatic = (k: Kernel): ServerModule => ({
  name: 'static',
  routes: (router) => {
    const gzip = new GzipCache();
    const desktop: Site = {
      root: path.resolve(process.env.SWITCHBOARD_AGENT_UI_DIR ?? path.join(REPO, 'agent-ui/dist/browser')),
      prefix: '',
      spa: true,
      crossOrigin: false,
      missing: 'The agent desktop is not built. Run "npm run build" in the Switchboard folder.',
      connectSources: () => sipConnectSources(k.config().main.sip),
      gzip,
    };
    const widget: Site = {
      root: path.resolve(process.env.SWITCHBOARD_WIDGET_DIR ?? path.join(REPO, 'widget/dist')),
      prefix: '/widget',
      spa: false,
      crossOrigin: true,
      missing: 'The widget is not built. Run "npm run build" in the Switchboard folder.',
      gzip,
    };
    router.get('/{*path}', async (ctx, next) => {
      if (RESERVED.test(ctx.path)) return next();
      if (ctx.path === '/widget') return ctx.redirect('/widget/');
      await serveSite(ctx, ctx.path.startsWith('/widget/') ? widget : desktop);
    });
  },
});
