import type { Context } from 'koa';
import type { Website } from '../../kernel/config/schema.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Attachment } from '../chat/index.js';
import type { InteractionSteps } from '../routing/index.js';
import type { AgentService } from '../agents/index.js';
import type { ContactService } from '../contacts/index.js';
import type { HeldMailJob } from './held.js';

/** What mail uses of the chat context: its file store (tickets' files are chat attachments) and its push to the desktop. */
export interface MailChat {
  upload(ctx: Context, website: Website | null, interactionId: string, by: 'visitor' | 'agent'): Promise<Attachment>;
  download(ctx: Context, interactionId: string, fileId: string, by: 'visitor' | 'agent'): Promise<void>;
  /** Shows a stored message to the agents of its interaction, as a chat line. */
  announce(interactionId: string, messageId: string): Promise<void>;
}

/** What the mail context needs of the others, given by the composition root (app.ts). */
export interface MailDeps {
  /** The interaction lifecycle: tickets are created held, queued and journaled only through it. */
  routing: Pick<InteractionSteps, 'createHeld' | 'enqueueHeld' | 'journey' | 'get' | 'live' | 'setVisitorToken'>;
  agents: Pick<AgentService, 'get'>;
  contacts: Pick<ContactService, 'findOrCreate'>;
}

/**
 * What the mail context's parts work with: the kernel, what it needs of the other contexts, and
 * its own held-ticket job (one per server, owned by the context object createMailParts builds).
 */
export interface MailKit extends Kernel, MailDeps {
  readonly held: HeldMailJob;
}
