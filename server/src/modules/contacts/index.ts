// The public face of this context: what app.ts and other contexts may use of it.
export { Contact } from './contact.entity.js';
export { createContacts, type ContactsContext } from './module.js';
export type { ContactService } from './service.js';
