// The public face of this context: what app.ts and other contexts may use of it.
export { Attachment, DELIVERY_STATES, Message } from './message.entity.js';
export { createChat, type ChatContext } from './module.js';
export type { ChatDeps, ChatKit, ChatMail, LeftMessage } from './types.js';
export type { ChatParts } from './parts.js';
export { presentAttachment, presentMessage } from './presenter.js';
export type { XmppConnection } from './xmpp.js';
