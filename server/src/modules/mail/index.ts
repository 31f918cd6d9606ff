// The public face of this context: what app.ts and other contexts may use of it.
export { chatOfflineTickets, createMail, createMailParts, type MailContext, type MailParts } from './module.js';
export type { MailChat, MailDeps } from './types.js';
export type { Outbox } from './outbox.js';
export type { MailboxReader } from './reader.js';
export { imapReachable, smtpReachable } from './reachability.js';
