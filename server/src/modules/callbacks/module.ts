import type { ServerModule } from '../../module.js';
import { mount } from '../../http/route.js';
import type { Website } from '../../config/schema.js';
import { callbackBody } from './schema.js';
import { requestCallback } from './service.js';
import { callbackSlots } from './slots.js';

/** Callback requests from the widget; dialling them when due comes with the call engine. */
export const callbacksModule: ServerModule = {
  name: 'callbacks',
  routes: (router, deps, s) => {
    mount(router, deps, {
      method: 'get',
      path: '/api/widget/:websiteId/callbacks/slots',
      summary: 'Half-hour slots within working hours (next 7 days) a visitor may pick for a callback',
      tag: 'widget',
      access: 'website',
      rateLimit: 'widget',
      handler: async (ctx) => ({ slots: callbackSlots(s.config(), ctx.state.website as Website) }),
    });

    mount(router, deps, {
      method: 'post',
      path: '/api/widget/:websiteId/callbacks',
      summary: 'Ask for a callback: phone (validated), optional message, a slot or "asap"; answers with a reference',
      tag: 'widget',
      access: 'website',
      rateLimit: 'widget',
      body: callbackBody,
      handler: async (ctx, { body }) => {
        const r = await requestCallback(s, ctx.state.website as Website, body);
        ctx.status = 201;
        return r;
      },
    });
  },
};
