import type { CsatSummary } from '@switchboard/protocol';
import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { mount } from '../../kernel/http/route.js';
import type { Website } from '../../kernel/config/schema.js';
import { bearer } from '../intake/index.js';
import { ratingBody } from './schema.js';
import { CsatService } from './service.js';
import { inviteToRate, MAILED_CHANNELS, type InviteDeps } from './invite.js';
import { ratingPageRoutes } from './rating-page.js';

/** What feedback needs of other contexts: the outbox, for the rating mail; routing's lifecycle, for the journey. */
export interface FeedbackDeps {
  mailer: InviteDeps['mailer'];
  routing: InviteDeps['routing'];
}

/**
 * Customer feedback: the satisfaction rating a visitor gives at the end of a chat, and the one a
 * customer gives through the link in the mail sent when their callback or mail ticket closes.
 */
export const createFeedback = (k: Kernel, deps: FeedbackDeps): ServerModule => ({
  name: 'feedback',
  routes: (router, routeDeps) => {
    const csat = new CsatService(k.db, deps.routing, k.clock);
    mount(router, routeDeps, {
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
    ratingPageRoutes(router, routeDeps, { db: k.db, config: k.config, csat });
  },
  start: async () => {
    const d: InviteDeps = { db: k.db, config: k.config, clock: k.clock, log: k.log, mailer: deps.mailer, routing: deps.routing };
    // The instance that closed it invites (the mail's dedupe key would make a second one a no-op).
    const off = k.bus.on((e, origin) => {
      if (!origin.local || e.type !== 'interaction.closed' || !(MAILED_CHANNELS as readonly string[]).includes(e.channel) || !e.agentId) return;
      inviteToRate(d, e).catch((err) => k.log.error({ err, interactionId: e.interactionId }, 'could not queue the rating mail'));
    });
    return off;
  },
});
