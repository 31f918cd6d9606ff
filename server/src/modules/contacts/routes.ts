import type { ContactJourney, ContactSearch } from '@switchboard/protocol';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { ALL_ROLES, mount, type RouteDeps } from '../../kernel/http/route.js';
import { notFound } from '../../kernel/http/errors.js';
import { isId } from '../../kernel/db/ids.js';
import { contactBody, contactSearch } from './schema.js';
import { presentContact, presentJourneyEvent } from './presenter.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { ContactService } from './service.js';
import type { Principal } from '../../kernel/http/principal.js';
import { ContactPolicy } from './policy.js';

const contactId = (raw: string | undefined) => {
  if (!isId(raw)) throw notFound('Contact');
  return raw;
};

export function contactRoutes(router: Router, deps: RouteDeps, k: Kernel, contacts: ContactService): void {
  const policy = new ContactPolicy(k.db, k.config);
  const who = (ctx: Context) => ctx.state.principal as Principal;
  /** The contact named in the path, if the asker may see it (security.contacts). */
  const seen = async (ctx: Context) => policy.visible(who(ctx), contactId(ctx.params.id as string | undefined));
  mount(router, deps, {
    method: 'get', path: '/api/contacts', summary: 'Search contacts by name, email or phone (those the asker may see: security.contacts)', tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api', query: contactSearch,
    handler: async (ctx, { query }) => ({ contacts: (await contacts.search(query.q, query.limit, (qb) => policy.restrict(qb, who(ctx)))).map(presentContact) }) satisfies ContactSearch,
  });
  mount(router, deps, {
    method: 'post', path: '/api/contacts', summary: 'Create a contact', tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api', body: contactBody,
    handler: async (ctx, { body }) => {
      policy.mayEdit(who(ctx));
      ctx.status = 201;
      return { contact: presentContact(await contacts.create(body)) };
    },
  });
  mount(router, deps, {
    method: 'get', path: '/api/contacts/:id', summary: 'A contact', tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api',
    handler: async (ctx) => ({ contact: presentContact(await contacts.get(await seen(ctx))) }),
  });
  mount(router, deps, {
    method: 'patch', path: '/api/contacts/:id', summary: 'Edit a contact (custom fields are merged)', tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api', body: contactBody,
    handler: async (ctx, { body }) => {
      policy.mayEdit(who(ctx));
      return { contact: presentContact(await contacts.update(await seen(ctx), body)) };
    },
  });
  mount(router, deps, {
    method: 'get', path: '/api/contacts/:id/journey', summary: "The contact's journey: earlier interactions on every channel", tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api',
    handler: async (ctx) => ({ events: (await contacts.journey(await seen(ctx))).map(presentJourneyEvent) }) satisfies ContactJourney,
  });
}
