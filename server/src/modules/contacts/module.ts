import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { contactRoutes } from './routes.js';
import { ContactService } from './service.js';

/** The contacts context as app.ts wires it; the channels find or create their customers through `service`. */
export interface ContactsContext extends ServerModule {
  readonly service: ContactService;
}

/** Customers: search, create, change, and their journey across interactions. */
export function createContacts(k: Kernel): ContactsContext {
  const service = new ContactService(k.db);
  return { name: 'contacts', service, routes: (router, routeDeps) => contactRoutes(router, routeDeps, k, service) };
}
