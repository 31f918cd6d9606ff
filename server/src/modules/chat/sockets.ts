import type { ChatMessagePayload } from '@switchboard/protocol';
import type { RealtimeHub, VisitorConnection } from '../../kernel/realtime/hub.js';
import { HttpError, badRequest, forbidden } from '../../kernel/http/errors.js';
import type { Interaction } from '../interactions/index.js';
import { agentCommands, nonEmpty, visitorCommands } from './schema.js';
import { ChatService } from './service.js';
import type { ChatVisitors } from './visitor.js';

const emptyMessage = () => badRequest('Write something or attach a file.', [{ field: 'body', problem: 'is empty' }]);

/** Chat commands on /ws/widget and /ws/agent. */
export class ChatSockets {
  constructor(private readonly chat: ChatService, private readonly visitors: ChatVisitors) {}

  /** A visitor line, from the socket or HTTP: only while the chat is open. */
  async visitorPost(i: Interaction, m: { clientMessageId: string; body: string; attachmentIds?: string[] }): Promise<ChatMessagePayload> {
    if (!nonEmpty(m)) throw emptyMessage();
    if (!ChatService.isOpen(i)) {
      // A retry of a line stored before the chat closed still gets its ack.
      const existing = await this.chat.store.messages.findOneBy({ interactionId: i.id, clientMessageId: m.clientMessageId });
      if (existing) return this.chat.store.payload(existing);
      throw new HttpError(409, 'chat_closed', 'This chat has ended. Start a new chat to write again.');
    }
    const name = await this.chat.visitorName(i);
    return this.chat.post({ interactionId: i.id, authorKind: 'visitor', authorName: name, body: m.body, clientMessageId: m.clientMessageId, attachmentIds: m.attachmentIds });
  }

  /** The socket proved it holds the token of this chat; anything else about chats needs that first. */
  private async subscribed(conn: VisitorConnection, interactionId: string): Promise<Interaction> {
    if (!conn.subscriptions.has(interactionId)) throw forbidden('Subscribe to this chat with its token first (chat.subscribe).');
    return this.chat.interactionForVisitor(interactionId);
  }

  register(hub: RealtimeHub): void {
    const v = visitorCommands;
    hub.onVisitorCommand(v.subscribe, async (conn, cmd) => {
      const i = await this.visitors.authorize(conn.website, cmd.interactionId, cmd.token);
      conn.subscribe(i.id);
      return { type: 'chat.subscribed', interactionId: i.id, queue: await this.chat.queueInfo(i), messages: await this.chat.store.history(i.id, { notes: false }) };
    });
    hub.onVisitorCommand(v.send, async (conn, cmd) => {
      const i = await this.subscribed(conn, cmd.interactionId);
      return { type: 'chat.ack', message: await this.visitorPost(i, cmd) };
    });
    hub.onVisitorCommand(v.typing, async (conn, cmd) => {
      const i = await this.subscribed(conn, cmd.interactionId);
      if (ChatService.isOpen(i)) await this.chat.typing(i.id, { kind: 'visitor', name: await this.chat.visitorName(i) }, cmd.state);
      return { type: 'ok' };
    });
    hub.onVisitorCommand(v.received, async (conn, cmd) => {
      const i = await this.subscribed(conn, cmd.interactionId);
      await this.chat.received(i.id, cmd.messageIds, { kind: 'visitor', name: await this.chat.visitorName(i) });
      return { type: 'ok' };
    });
    hub.onVisitorCommand(v.end, async (conn, cmd) => {
      const i = await this.subscribed(conn, cmd.interactionId);
      await this.visitors.end(i);
      return { type: 'ok' };
    });

    const a = agentCommands;
    hub.onAgentCommand(a.send, async (conn, cmd) => {
      if (!nonEmpty(cmd)) throw emptyMessage();
      const i = await this.chat.access(conn.principal, cmd.interactionId, 'write');
      const name = await this.chat.agentName(conn.principal.agentId);
      return { type: 'chat.ack', message: await this.chat.post({ interactionId: i.id, authorKind: 'agent', authorAgentId: conn.principal.agentId, authorName: name, body: cmd.body, clientMessageId: cmd.clientMessageId, attachmentIds: cmd.attachmentIds }) };
    });
    hub.onAgentCommand(a.note, async (conn, cmd) => {
      if (!cmd.body.trim()) throw emptyMessage();
      const i = await this.chat.access(conn.principal, cmd.interactionId, 'note');
      const name = await this.chat.agentName(conn.principal.agentId);
      return { type: 'chat.ack', message: await this.chat.post({ interactionId: i.id, authorKind: 'note', authorAgentId: conn.principal.agentId, authorName: name, body: cmd.body, clientMessageId: cmd.clientMessageId }) };
    });
    hub.onAgentCommand(a.typing, async (conn, cmd) => {
      const i = await this.chat.access(conn.principal, cmd.interactionId, 'write');
      await this.chat.typing(i.id, { kind: 'agent', agentId: conn.principal.agentId, name: await this.chat.agentName(conn.principal.agentId) }, cmd.state);
      return { type: 'ok' };
    });
    hub.onAgentCommand(a.received, async (conn, cmd) => {
      const i = await this.chat.access(conn.principal, cmd.interactionId, 'read');
      await this.chat.received(i.id, cmd.messageIds, { kind: 'agent', agentId: conn.principal.agentId, name: await this.chat.agentName(conn.principal.agentId) });
      return { type: 'ok' };
    });
    hub.onAgentCommand(a.monitor, async (conn, cmd) => {
      if (conn.principal.role === 'agent') throw forbidden('Monitoring chats is for supervisors.');
      const i = await this.chat.access(conn.principal, cmd.interactionId, 'read');
      if (!ChatService.isOpen(i)) throw new HttpError(409, 'chat_closed', 'This chat is not open any more.');
      // Silent: no presence in the room, no system line; the visitor cannot tell.
      await this.chat.s.redis.client.sadd(this.chat.monitorsKey(i.id), conn.principal.agentId);
      await this.chat.s.redis.client.expire(this.chat.monitorsKey(i.id), 7 * 24 * 3600);
      return { type: 'chat.history', interactionId: i.id, messages: await this.chat.store.history(i.id, { notes: true }) };
    });
    hub.onAgentCommand(a.unmonitor, async (conn, cmd) => {
      await this.chat.s.redis.client.srem(this.chat.monitorsKey(cmd.interactionId), conn.principal.agentId);
      return { type: 'ok' };
    });
  }
}
