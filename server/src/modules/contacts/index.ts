// The public face of this context: what app.ts and other contexts may use of it.
export { Contact } from './contact.entity.js';
export type { ContactService } from './service.js';
