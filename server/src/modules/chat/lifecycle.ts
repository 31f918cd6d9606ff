import { createHash } from 'node:crypto';
import type { BusEvent } from '../../kernel/bus.js';
import type { Logger } from '../../kernel/logger.js';
import { RESEND_AFTER_MS, type ChatService } from './service.js';
import type { Message } from './message.entity.js';

const PENDING_EVERY_MS = 1000;
/** A line no live instance is relaying (its instance died) is picked up after this long. */
const ORPHAN_AFTER_MS = 15_000;
const POSITIONS_EVERY_MS = 2000;
const UNATTENDED_EVERY_MS = 30_000;

/**
 * What the chat channel does when routing moves an interaction on (bus events, heard by every
 * instance: a short Redis lock makes exactly one of them act), plus three sweeps: lines left
 * unrelayed by a crash or an XMPP outage, queue positions for waiting visitors, and unattended
 * chats that close with disposition `timeout`.
 */
export class ChatLifecycle {
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private readonly lastPosition = new Map<string, string>();

  constructor(private readonly chat: ChatService, private readonly log: Logger) {}

  private get s() {
    return this.chat.s;
  }

  start(): () => void {
    const off = this.s.bus.on((e) => {
      if (!('channel' in e) || e.channel !== 'chat') return;
      if ('interactionId' in e) this.chat.forget(e.interactionId);
      this.once(e)
        .then((mine) => (mine ? this.react(e) : undefined))
        .catch((err) => this.log.error({ err, event: e.type, interactionId: (e as { interactionId?: string }).interactionId }, 'chat reaction to a routing step failed'));
    });
    this.every(PENDING_EVERY_MS, () => this.flushPending(new Date(this.s.clock.now().getTime() - RESEND_AFTER_MS)));
    this.every(POSITIONS_EVERY_MS, () => this.leased('positions', POSITIONS_EVERY_MS, () => this.pushPositions()));
    this.every(UNATTENDED_EVERY_MS, () => this.leased('unattended', UNATTENDED_EVERY_MS, () => this.sweepUnattended(new Date()).then(() => undefined)));
    return () => {
      this.stopped = true;
      off();
      for (const t of this.timers) clearTimeout(t);
    };
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const run = async () => {
      try {
        await fn();
      } catch (err) {
        this.log.warn({ err }, 'chat sweep failed');
      }
      if (!this.stopped) this.timers.push(setTimeout(run, ms));
    };
    this.timers.push(setTimeout(run, ms));
  }

  private async leased(name: string, ms: number, fn: () => Promise<void>): Promise<void> {
    const ok = await this.s.redis.client.set(this.s.redis.key('chat', 'lease', name), this.s.bus.instanceId, 'PX', ms - 100, 'NX');
    if (ok) await fn();
  }

  /** Every instance hears each bus event; the first to claim it reacts. */
  private async once(e: BusEvent): Promise<boolean> {
    const id = createHash('sha1').update(JSON.stringify(e)).digest('hex');
    return (await this.s.redis.client.set(this.s.redis.key('chat', 'event', id), '1', 'EX', 30, 'NX')) === 'OK';
  }

  private async system(interactionId: string, body: string, direct = false): Promise<void> {
    const { message, created } = await this.chat.store.add({ interactionId, authorKind: 'system', authorName: null, body });
    if (!created) return;
    if (direct) await this.chat.delivered(message.id, null);
    else this.chat.forward(message);
  }

  /**
   * The agent becomes an occupant under their name, and their own XMPP account a member, invited.
   * Best effort: with XMPP away the desktop works on, and the next line joins them.
   */
  private async enter(interactionId: string, agentId: string, name: string): Promise<void> {
    const visitor = await this.chat.visitorNameOf(interactionId);
    await this.chat.relay.enter(interactionId, agentId, name, `Chat with ${visitor ?? 'a visitor'}`).catch((err: Error) => this.log.warn({ err: { message: err.message }, interactionId }, 'agent not joined to the chat room'));
  }

  private async leave(interactionId: string, agentId: string): Promise<void> {
    await this.chat.relay.leave(interactionId, agentId).catch((err: Error) => this.log.warn({ err: { message: err.message }, interactionId }, 'agent not removed from the chat room'));
  }

  /** The chat is over: its room goes, and the transcripts asked for during it go out. */
  private async over(interactionId: string): Promise<void> {
    await this.chat.relay.destroy(interactionId).catch((err) => this.log.warn({ err: { message: (err as Error).message }, interactionId }, 'chat room not destroyed'));
    // A failure stays owed: the visitor's next request sends it.
    await this.chat.transcripts.sendOwed(interactionId).catch((err) => this.log.error({ err: { message: (err as Error).message }, interactionId }, 'chat transcript not sent'));
  }

  private async react(e: BusEvent): Promise<void> {
    switch (e.type) {
      case 'interaction.assigned': {
        const name = await this.chat.agentName(e.agentId);
        await this.enter(e.interactionId, e.agentId, name);
        await this.chat.relay.botLeaves(e.interactionId);
        await this.system(e.interactionId, `${name} joined the chat.`);
        await this.chat.hub.pushToVisitors(e.interactionId, { type: 'chat.queue', interactionId: e.interactionId, queue: { state: 'assigned', position: null, estimatedWaitSeconds: null } });
        return;
      }
      case 'interaction.transferred':
        await this.leave(e.interactionId, e.fromAgentId);
        if (e.toAgentId) {
          const name = await this.chat.agentName(e.toAgentId);
          await this.enter(e.interactionId, e.toAgentId, name);
          await this.system(e.interactionId, `${name} joined the chat.`);
        } else await this.system(e.interactionId, 'You are being transferred to another agent. Please wait.');
        return;
      case 'interaction.conference':
        if (e.phase === 'started') {
          const name = await this.chat.agentName(e.guestId);
          await this.enter(e.interactionId, e.guestId, name);
          await this.system(e.interactionId, `${name} joined the chat.`);
        }
        if (e.phase === 'ended') {
          await this.leave(e.interactionId, e.guestId);
          await this.system(e.interactionId, `${await this.chat.agentName(e.guestId)} left the chat.`);
        }
        return;
      case 'interaction.unmanaged': {
        // Only a chat that waited too long; the other reasons were answered when it started.
        if (e.reason !== 'max-wait') return;
        const i = await this.chat.interactions.findOneBy({ id: e.interactionId });
        const texts = this.s.config().websites.find((w) => w.id === i?.websiteId)?.messages.unmanaged;
        const text = texts?.en ?? Object.values(texts ?? {})[0] ?? 'Nobody can take your chat right now. Leave us a message and we will get back to you.';
        await this.system(e.interactionId, text, true);
        await this.chat.hub.pushToVisitors(e.interactionId, { type: 'chat.queue', interactionId: e.interactionId, queue: { state: 'unmanaged', position: null, estimatedWaitSeconds: null } });
        await this.over(e.interactionId);
        return;
      }
      case 'interaction.closed':
      case 'interaction.abandoned': {
        const closed = e.type === 'interaction.closed';
        const by = closed ? e.by : 'customer';
        const timedOut = closed && e.dispositionId === 'timeout';
        await this.system(e.interactionId, timedOut ? 'The chat was closed because nobody wrote for a while.' : 'The chat has ended.', true);
        const ended = { type: 'chat.ended' as const, interactionId: e.interactionId, by, timedOut };
        await this.chat.hub.pushToVisitors(e.interactionId, ended);
        const agents = new Set(await this.chat.agentsOf(e.interactionId));
        if (closed && e.agentId) agents.add(e.agentId);
        if (agents.size) await this.chat.hub.pushToAgents([...agents], ended);
        await this.s.redis.client.del(this.chat.monitorsKey(e.interactionId));
        await this.over(e.interactionId);
        return;
      }
      default:
    }
  }

  /** Lines stored but never echoed by a room: after a crash, an XMPP outage or a lost room. */
  async flushPending(olderThan: Date, all = false): Promise<void> {
    if (!this.chat.relay.online) return;
    // The kernel's clock, which also dated the lines (createdAt).
    const now = this.s.clock.now().getTime();
    // In order within a chat, chats side by side: one slow room join must not hold up the others.
    const byChat = new Map<string, Message[]>();
    for (const m of await this.chat.store.pending(olderThan)) {
      const mine = this.chat.inflight.get(m.id);
      if (!all && mine && (mine.writtenAt === null || now - mine.writtenAt < RESEND_AFTER_MS)) continue;
      if (!all && !mine && now - m.createdAt.getTime() < ORPHAN_AFTER_MS) continue;
      byChat.set(m.interactionId, [...(byChat.get(m.interactionId) ?? []), m]);
    }
    await Promise.all([...byChat.values()].map((lines) => this.chat.resend(lines)));
  }

  private async pushPositions(): Promise<void> {
    const waiting = await this.chat.interactions.find({ where: [{ channel: 'chat', state: 'queued' }, { channel: 'chat', state: 'offered' }], select: { id: true, state: true }, take: 5000 });
    const seen = new Set<string>();
    for (const i of waiting) {
      seen.add(i.id);
      const queue = await this.s.routing.position(i.id);
      const sig = `${queue.state}:${queue.position}:${queue.estimatedWaitSeconds}`;
      if (this.lastPosition.get(i.id) === sig) continue;
      this.lastPosition.set(i.id, sig);
      await this.chat.hub.pushToVisitors(i.id, { type: 'chat.queue', interactionId: i.id, queue });
    }
    for (const id of this.lastPosition.keys()) if (!seen.has(id)) this.lastPosition.delete(id);
  }

  /**
   * Closes, with disposition `timeout`, assigned chats in which neither side wrote for the queue's
   * `unattendedTimeoutMinutes`. Called by the sweep; tests call it with a later `now`.
   */
  async sweepUnattended(now: Date): Promise<string[]> {
    const rows: { id: string; queueId: string | null; last: Date | string }[] = await this.s.db.query(
      `SELECT i.id, i.queueId, GREATEST(COALESCE(i.assignedAt, i.createdAt), COALESCE(MAX(m.createdAt), i.createdAt)) AS last
         FROM interactions i LEFT JOIN messages m ON m.interactionId = i.id AND m.authorKind IN ('visitor', 'agent')
        WHERE i.channel = 'chat' AND i.state IN ('assigned', 'conference')
        GROUP BY i.id, i.queueId, i.assignedAt, i.createdAt`,
    );
    const closed: string[] = [];
    for (const r of rows) {
      const minutes = this.s.config().queues.find((q) => q.id === r.queueId)?.unattendedTimeoutMinutes;
      if (!minutes) continue;
      const last = r.last instanceof Date ? r.last : new Date(`${r.last}Z`);
      if (now.getTime() - last.getTime() < minutes * 60_000) continue;
      try {
        await this.s.routing.close(r.id, { by: 'system' }, 'timeout');
        closed.push(r.id);
        this.log.info({ interactionId: r.id }, 'unattended chat closed');
      } catch (err) {
        this.log.warn({ err: { message: (err as Error).message }, interactionId: r.id }, 'unattended chat not closed');
      }
    }
    return closed;
  }
}
