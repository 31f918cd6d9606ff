import type { Context } from 'koa';
import type { Website } from '../../kernel/config/schema.js';
import type { Attachment } from '../chat/index.js';

/** What mail uses of the chat context: its file store (tickets' files are chat attachments) and its push to the desktop. */
export interface MailChat {
  upload(ctx: Context, website: Website | null, interactionId: string, by: 'visitor' | 'agent'): Promise<Attachment>;
  download(ctx: Context, interactionId: string, fileId: string, by: 'visitor' | 'agent'): Promise<void>;
  /** Shows a stored message to the agents of its interaction, as a chat line. */
  announce(interactionId: string, messageId: string): Promise<void>;
}

/** What the mail context needs of the others, given by the composition root (app.ts). */
export interface MailDeps {
  chat: MailChat;
}
