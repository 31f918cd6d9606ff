import type { ServerModule } from '../../module.js';
import { mount } from '../../http/route.js';
import type { Website } from '../../config/schema.js';
import { mailBody } from './schema.js';
import { openTicket } from './service.js';

/** Mail tickets opened from the widget (mail form and offline form). */
export const mailModule: ServerModule = {
  name: 'mail',
  routes: (router, deps, s) => {
    mount(router, deps, {
      method: 'post',
      path: '/api/widget/:websiteId/mail',
      summary: "Open a mail ticket from the website's mail form (or the offline form); answers with a ticket reference",
      tag: 'widget',
      access: 'website',
      rateLimit: 'widget',
      body: mailBody,
      handler: async (ctx, { body }) => {
        const r = await openTicket(s, ctx.state.website as Website, body);
        ctx.status = 201;
        return r;
      },
    });
  },
};
