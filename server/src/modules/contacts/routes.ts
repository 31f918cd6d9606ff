import type Router from '@koa/router';
import { ALL_ROLES, mount, type RouteDeps } from '../../http/route.js';
import { notFound } from '../../http/errors.js';
import { isId } from '../../db/ids.js';
import { contactBody, contactSearch } from './schema.js';
import { presentContact, presentJourneyEvent } from './presenter.js';
import type { Services } from '../../services.js';

const contactId = (raw: string | undefined) => {
  if (!isId(raw)) throw notFound('Contact');
  return raw;
};

export function contactRoutes(router: Router, deps: RouteDeps, s: Services): void {
  mount(router, deps, {
    method: 'get', path: '/api/contacts', summary: 'Search contacts by name, email or phone', tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api', query: contactSearch,
    handler: async (_ctx, { query }) => ({ contacts: (await s.contacts.search(query.q, query.limit)).map(presentContact) }),
  });
  mount(router, deps, {
    method: 'post', path: '/api/contacts', summary: 'Create a contact', tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api', body: contactBody,
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      return { contact: presentContact(await s.contacts.create(body)) };
    },
  });
  mount(router, deps, {
    method: 'get', path: '/api/contacts/:id', summary: 'A contact', tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api',
    handler: async (ctx) => ({ contact: presentContact(await s.contacts.get(contactId(ctx.params.id))) }),
  });
  mount(router, deps, {
    method: 'patch', path: '/api/contacts/:id', summary: 'Edit a contact (custom fields are merged)', tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api', body: contactBody,
    handler: async (ctx, { body }) => ({ contact: presentContact(await s.contacts.update(contactId(ctx.params.id), body)) }),
  });
  mount(router, deps, {
    method: 'get', path: '/api/contacts/:id/journey', summary: "The contact's journey: earlier interactions on every channel", tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api',
    handler: async (ctx) => ({ events: (await s.contacts.journey(contactId(ctx.params.id))).map(presentJourneyEvent) }),
  });
}
