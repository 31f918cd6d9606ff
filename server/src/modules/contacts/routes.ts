import type { ContactJourney, ContactSearch, OfferJourney } from '@switchboard/protocol';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { ALL_ROLES, mount, type RouteDeps } from '../../kernel/http/route.js';
import { badRequest, notFound } from '../../kernel/http/errors.js';
import { isId } from '../../kernel/db/ids.js';
import { contactBody, contactSearch, journeyList, journeyQuery, offerJourneyList, offerJourneyQuery, offerPath, otherList, searchList } from './schema.js';
import { pageOf } from './cursor.js';
import { presentContact, presentJourneyEvent, presentJourneyLine } from './presenter.js';
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
    method: 'get', path: '/api/contacts', summary: 'Search contacts by name, email or phone (those the asker may see: security.contacts), a page at a time (nextCursor)', tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api', query: contactSearch,
    handler: async (ctx, { query }) => {
      // One more than asked says whether a next page exists, so the last page has no cursor.
      const found = await contacts.search(query.q, query.limit + 1, (qb) => policy.restrict(qb, who(ctx)), query.cursor);
      const page = pageOf(found, query.limit, searchList(query.q), (c) => ({ at: c.updatedAt, key: c.id }));
      return { contacts: page.rows.map(presentContact), nextCursor: page.next } satisfies ContactSearch;
    },
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
    method: 'get', path: '/api/contacts/:id/journey', summary: "The contact's journey: earlier interactions on every channel, newest first, a page at a time (nextCursor)", tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api', query: journeyQuery,
    handler: async (ctx, { query }) => {
      const id = await seen(ctx);
      const list = journeyList(id);
      if (query.cursor && query.cursor.list !== list) throw badRequest('Some fields are not valid.', [{ field: 'cursor', problem: otherList }]);
      const page = pageOf(await contacts.journey(id, query.limit + 1, query.cursor), query.limit, list, (e) => ({ at: e.at, key: e.seq }));
      return { events: page.rows.map(presentJourneyEvent), nextCursor: page.next } satisfies ContactJourney;
    },
  });
  mount(router, deps, {
    method: 'get', path: '/api/offers/:id/journey', summary: "The customer of an offer out to me (pending): their earlier interactions on every channel, one line each (when, channel, latest step), newest first, the offered one left out, a page at a time (nextCursor)", tag: 'contacts',
    access: ALL_ROLES, rateLimit: 'api', query: offerJourneyQuery,
    handler: async (ctx, { query }) => {
      const offerId = offerPath.parse(ctx.params).id;
      const list = offerJourneyList(offerId);
      if (query.cursor && query.cursor.list !== list) throw badRequest('Some fields are not valid.', [{ field: 'cursor', problem: otherList }]);
      const offer = await policy.offeredTo(who(ctx), offerId);
      // Read only when the agent opens it, so making an offer reads nothing more.
      const lines = offer.contactId ? await contacts.interactionsBesides(offer.contactId, offer.interactionId, query.limit + 1, query.cursor) : [];
      const page = pageOf(lines, query.limit, list, (l) => ({ at: l.at, key: l.interactionId }));
      return { interactions: page.rows.map(presentJourneyLine), nextCursor: page.next } satisfies OfferJourney;
    },
  });
}
