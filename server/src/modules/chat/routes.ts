import type Router from '@koa/router';
import type { Context } from 'koa';
import type { AgentChatMessages, ChatEnded, FileStored, ChatMessagePosted, ChatState, TranscriptRequested } from '@switchboard/protocol';
import { ALL_ROLES, mount, type RouteDeps } from '../../kernel/http/route.js';
import { HttpError, badRequest } from '../../kernel/http/errors.js';
import { ChatService } from './service.js';
import type { Website } from '../../kernel/config/schema.js';
import type { Principal } from '../../kernel/http/principal.js';
import { presentAttachment } from './presenter.js';
import { offlineBody, sendBody, startBody, transcriptBody, xmppAccountBody } from './schema.js';
import type { ChatParts } from './parts.js';
import { bearer } from '../intake/index.js';

const ID = /^[0-9a-f]{32}$/;

function idParam(ctx: Context, name: string): string {
  const v = ctx.params[name] as string;
  if (!ID.test(v)) throw badRequest(`${name} must be an id (32 hex characters).`, [{ field: name, problem: 'must be an id' }]);
  return v;
}

/** Visitor endpoints (allowed origins of the website + the chat's token) and the desktop's chat endpoints. */
export function chatRoutes(router: Router, deps: RouteDeps, parts: ChatParts): void {
  const base = '/api/widget/:websiteId/chats';
  const visitor = async (ctx: Context) => {
    const website = ctx.state.website as Website;
    const i = await parts.visitors.authorize(website, idParam(ctx, 'interactionId'), bearer(ctx));
    return { website, i };
  };

  mount(router, deps, {
    method: 'post',
    path: base,
    summary: 'Start a chat: the pre-chat form (and bot option); returns the chat token, queue position or the offline form',
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    body: startBody,
    handler: async (ctx, { body }) => {
      const r = await parts.visitors.start(ctx.state.website as Website, body);
      ctx.status = 201;
      return r;
    },
  });

  mount(router, deps, {
    method: 'get',
    path: `${base}/:interactionId`,
    summary: "The chat's state, queue position and visible history (visitor token)",
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const { i } = await visitor(ctx);
      const { chat } = parts;
      return { interactionId: i.id, state: i.state, queue: await chat.queueInfo(i), messages: await chat.store.history(i.id, { notes: false }) } satisfies ChatState;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: `${base}/:interactionId/messages`,
    summary: 'Send a chat line (idempotent by clientMessageId); answered once stored',
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    body: sendBody,
    handler: async (ctx, { body }) => {
      const { i } = await visitor(ctx);
      const message = await parts.sockets.visitorPost(i, body);
      ctx.status = 201;
      return { message } satisfies ChatMessagePosted;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: `${base}/:interactionId/end`,
    summary: 'The visitor ends the chat (closes it for the agent too)',
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const { i } = await visitor(ctx);
      await parts.visitors.end(i);
      return { ended: true } satisfies ChatEnded;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: `${base}/:interactionId/offline`,
    summary: 'Leave a message when the chat could not be served (outside hours or unmanaged)',
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    body: offlineBody,
    handler: async (ctx, { body }) => {
      const { website, i } = await visitor(ctx);
      const r = await parts.visitors.offlineForm(website, i, body.fields);
      ctx.status = 201;
      return r;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: `${base}/:interactionId/transcript`,
    summary: 'Ask for the transcript by mail: sent when the chat ends, at once if it has (sent: true)',
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    body: transcriptBody,
    handler: async (ctx, { body }) => {
      const { website, i } = await visitor(ctx);
      const r = await parts.visitors.transcript(website, i, body.email);
      ctx.status = 202;
      return { requested: true, email: r.email, sent: r.sent } satisfies TranscriptRequested;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: `${base}/:interactionId/files`,
    summary: 'Upload one file (raw body, ?name=<file name>), streamed; attach it to a message with attachmentIds',
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const { website, i } = await visitor(ctx);
      if (!ChatService.isOpen(i)) throw new HttpError(409, 'chat_closed', 'This chat has ended; files can no longer be sent.');
      const a = await parts.files.upload(ctx, website, i.id, 'visitor');
      ctx.status = 201;
      return { file: presentAttachment(a) } satisfies FileStored;
    },
  });

  mount(router, deps, {
    method: 'get',
    path: `${base}/:interactionId/files/:fileId`,
    summary: 'Download a file of this chat (visitor token in Authorization or ?token=)',
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const { i } = await visitor(ctx);
      await parts.files.download(ctx, i.id, idParam(ctx, 'fileId'), 'visitor');
      return undefined;
    },
  });

  mount(router, deps, {
    method: 'delete',
    path: `${base}/:interactionId/files/:fileId`,
    summary: 'Remove a file before it is sent',
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const { i } = await visitor(ctx);
      await parts.files.remove(i.id, idParam(ctx, 'fileId'), 'visitor');
      return undefined;
    },
  });

  // ---- desktop
  const agentChat = async (ctx: Context, need: 'read' | 'write') => parts.chat.access(ctx.state.principal as Principal, idParam(ctx, 'id'), need);

  mount(router, deps, {
    method: 'get',
    path: '/api/chats/:id/messages',
    summary: "A chat's whole history with internal notes (its agents and supervisors)",
    tag: 'chat',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const i = await agentChat(ctx, 'read');
      return { interactionId: i.id, state: i.state, messages: await parts.chat.store.history(i.id, { notes: true }) } satisfies AgentChatMessages;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/chats/:id/files',
    summary: 'The agent uploads a file to the chat (raw body, ?name=<file name>)',
    tag: 'chat',
    access: ALL_ROLES,
    rateLimit: 'api',
    rawBody: true,
    handler: async (ctx) => {
      const i = await agentChat(ctx, 'write');
      const website = parts.chat.s.config().websites.find((w) => w.id === i.websiteId) ?? null;
      const a = await parts.files.upload(ctx, website, i.id, 'agent');
      ctx.status = 201;
      return { file: presentAttachment(a) } satisfies FileStored;
    },
  });

  mount(router, deps, {
    method: 'delete',
    path: '/api/chats/:id/files/:fileId',
    summary: "Remove a file the agent side uploaded and has not sent (the chat's agents)",
    tag: 'chat',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const i = await agentChat(ctx, 'write');
      await parts.files.remove(i.id, idParam(ctx, 'fileId'), 'agent');
      return undefined;
    },
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/chats/:id/files/:fileId',
    summary: 'Download a file of the chat (its agents and supervisors)',
    tag: 'chat',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const i = await agentChat(ctx, 'read');
      await parts.files.download(ctx, i.id, idParam(ctx, 'fileId'), 'agent');
      return undefined;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/chat/xmpp-account',
    summary: "A new password for an agent's XMPP account (created if needed): any XMPP client can then take part in that agent's chats. Agents for themselves; admins for anyone (agentId)",
    tag: 'chat',
    access: ALL_ROLES,
    rateLimit: 'api',
    body: xmppAccountBody,
    handler: async (ctx, { body }) => {
      const p = ctx.state.principal as Principal;
      const agentId = body.agentId ?? p.agentId;
      if (agentId !== p.agentId && p.role !== 'admin') throw new HttpError(403, 'forbidden', "Only administrators can set another agent's XMPP password.");
      await parts.chat.s.agents.get(agentId);
      ctx.status = 201;
      return parts.accounts.newPassword(agentId);
    },
  });
}
