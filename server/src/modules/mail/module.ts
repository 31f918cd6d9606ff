import type { ServerModule } from '../../module.js';
import { mount } from '../../http/route.js';
import type { Website } from '../../config/schema.js';
import { mailBody } from './schema.js';
import { openTicket } from './service.js';
import { uploadTicketFile } from './files.js';

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

    mount(router, deps, {
      method: 'post',
      path: '/api/widget/:websiteId/mail/:ticketId/files',
      summary: "The file of one attachment field of the mail form (raw body, ?field=&name=, the ticket's uploadToken as bearer)",
      tag: 'widget',
      access: 'website',
      rateLimit: 'widget',
      handler: async (ctx) => {
        const a = await uploadTicketFile(s, ctx, ctx.state.website as Website, ctx.params.ticketId!);
        ctx.status = 201;
        return { file: { id: a.id, fileName: a.fileName, size: a.size } };
      },
    });
  },
};
