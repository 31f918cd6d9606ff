import type { CsatSummary } from '@switchboard/protocol';
import type { ServerModule } from '../../module.js';
import { mount } from '../../kernel/http/route.js';
import type { Website } from '../../kernel/config/schema.js';
import { bearer } from '../intake/index.js';
import { ratingBody } from './schema.js';
import { CsatService } from './service.js';

/** Customer feedback: the satisfaction rating a visitor gives at the end of a chat. */
export const feedbackModule: ServerModule = {
  name: 'feedback',
  routes: (router, deps, s) => {
    const csat = new CsatService(s.db, s.clock);
    mount(router, deps, {
      method: 'post',
      path: '/api/widget/:websiteId/chats/:interactionId/rating',
      summary: "Rate the chat that ended, 1–5 with an optional comment (the chat's token as bearer); once per chat, on websites with csat.enabled",
      tag: 'widget',
      access: 'website',
      rateLimit: 'widget',
      body: ratingBody,
      handler: async (ctx, { body }) => {
        const website = ctx.state.website as Website;
        const i = await csat.chatOf(website, ctx.params.interactionId!, bearer(ctx));
        const r = await csat.rate(website, i, body);
        ctx.status = 201;
        return { csat: r } satisfies { csat: CsatSummary };
      },
    });
  },
};
