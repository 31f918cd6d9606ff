import type { Context } from 'koa';
import type { FileStored, MailReplyQueued, TicketFileStored } from '@switchboard/protocol';
import type { ServerModule } from '../../module.js';
import type Router from '@koa/router';
import { ALL_ROLES, mount, type RouteDeps } from '../../kernel/http/route.js';
import type { Website } from '../../kernel/config/schema.js';
import type { Principal } from '../../kernel/http/principal.js';
import type { Kernel } from '../../kernel/kernel.js';
import { presentAttachment, type ChatDeps } from '../chat/index.js';
import { mailBody, replyBody } from './schema.js';
import { fileTicket, openTicket } from './service.js';
import { HeldMailJob } from './held.js';
import { headerText } from './mailer.js';
import { uploadTicketFile } from './files.js';
import { mailAccess, queueReply, retryReply, threadView } from './replies.js';
import { Outbox } from './outbox.js';
import { MailboxReader } from './reader.js';
import type { MailChat, MailDeps, MailKit } from './types.js';

const principal = (ctx: Context) => ctx.state.principal as Principal;

/** The mail context as app.ts wires it; the outbox also sends chat's transcripts and left messages. */
export interface MailContext extends ServerModule {
  readonly outbox: Outbox;
  /** Reads the support mailbox while the context runs. */
  readonly mailbox: MailboxReader;
}

/**
 * The mail context's own parts, built first: chat mails through the outbox and files the messages
 * left in it as tickets here, and mail is then built with chat.
 */
export interface MailParts {
  readonly kit: MailKit;
  readonly outbox: Outbox;
}

export function createMailParts(k: Kernel, d: MailDeps): MailParts {
  const held = new HeldMailJob({ jobs: k.jobs, scope: k.jobs.scope, db: k.db, redis: k.redis, log: k.log.child({ component: 'mail-held' }), routing: d.routing });
  const kit: MailKit = { config: k.config, log: k.log, db: k.db, redis: k.redis, bus: k.bus, jobs: k.jobs, clock: k.clock, routing: d.routing, agents: d.agents, contacts: d.contacts, held };
  return { kit, outbox: new Outbox(kit) };
}

/** A message left in a chat nobody could take becomes a ticket of the website's mail queue (chat's offlineTicket). */
export function chatOfflineTickets({ kit: s }: MailParts): ChatDeps['offlineTicket'] {
  return async (website, chat, left) =>
    (
      await fileTicket(s, website, {
        ...left,
        subject: headerText(`Message left in the chat on ${website.name}`, 255),
        offline: true,
        clientMessageId: 'chat-offline-form',
        journey: { type: 'offline.form', data: { chatInteractionId: chat.id } },
      })
    ).interactionId;
}

/** Mail tickets opened from the widget (mail form and offline form); the desktop's thread and replies; the outbox. */
export function createMail({ kit: s, outbox }: MailParts, { chat }: { chat: MailChat }): MailContext {
  const reader = new MailboxReader(s, chat);
  return {
    name: 'mail',
    outbox,
    mailbox: reader,
    start: async () => {
      outbox.start();
      const stopHeld = s.held.start(s.bus);
      reader.start();
      return async () => {
        await reader.stop();
        stopHeld();
        outbox.stop();
      };
    },
    routes: (router, deps) => mailRoutes(router, deps, s, outbox, chat),
  };
}

function mailRoutes(router: Router, deps: RouteDeps, s: MailKit, outbox: Outbox, chat: MailChat): void {
  mount(router, deps, {
    method: 'post',
    path: '/api/widget/:websiteId/mail',
    summary: "Open a mail ticket from the website's mail form (or the offline form); answers with a ticket reference",
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    body: mailBody,
    handler: async (ctx, { body }) => {
      const r = await openTicket(s, outbox, ctx.state.website as Website, body);
      ctx.status = 201;
      return r;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/widget/:websiteId/mail/:ticketId/files',
    summary: "The file of one attachment field of the mail form (raw body, ?field=&name=, the ticket's uploadToken as bearer)",
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const a = await uploadTicketFile(s, chat, ctx, ctx.state.website as Website, ctx.params.ticketId!);
      ctx.status = 201;
      return { file: { id: a.id, fileName: a.fileName, size: a.size } } satisfies TicketFileStored;
    },
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/mail/:id',
    summary: "A mail interaction's thread, oldest first: bodies, files, and where each reply's mail is (queued, sent, failed with the reason)",
    tag: 'mail',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const { i, thread } = await mailAccess(s, principal(ctx), ctx.params.id!, 'read');
      return threadView(s, outbox, i, thread);
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/mail/:id/replies',
    summary: 'Answer the customer: stored, then mailed through the queue (retried while the mail server is away); idempotent by clientMessageId',
    tag: 'mail',
    access: ALL_ROLES,
    rateLimit: 'api',
    body: replyBody,
    handler: async (ctx, { body }) => {
      const r = await queueReply(s, outbox, principal(ctx), ctx.params.id!, body);
      ctx.status = 201;
      return { message: r } satisfies MailReplyQueued;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/mail/:id/replies/:messageId/retry',
    summary: 'Send a failed reply again (its agent); a reply queued or being retried is left as it is, a sent one is 409',
    tag: 'mail',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => ({ message: await retryReply(s, outbox, principal(ctx), ctx.params.id!, ctx.params.messageId!) }) satisfies MailReplyQueued,
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/mail/:id/files',
    summary: "The agent uploads a file for a reply (raw body, ?name=<file name>), with the website's upload limits",
    tag: 'mail',
    access: ALL_ROLES,
    rateLimit: 'api',
    rawBody: true,
    handler: async (ctx) => {
      const { i } = await mailAccess(s, principal(ctx), ctx.params.id!, 'write');
      const website = s.config().websites.find((w) => w.id === i.websiteId) ?? null;
      const a = await chat.upload(ctx, website, i.id, 'agent');
      ctx.status = 201;
      return { file: presentAttachment(a) } satisfies FileStored;
    },
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/mail/:id/files/:fileId',
    summary: 'Download a file of the mail thread (its agent and supervisors); always as a download',
    tag: 'mail',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const { i } = await mailAccess(s, principal(ctx), ctx.params.id!, 'read');
      await chat.download(ctx, i.id, ctx.params.fileId!, 'agent');
      return undefined;
    },
  });
}
