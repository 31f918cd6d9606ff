import type { DataSource } from 'typeorm';
import type { CallEvents } from '@switchboard/sip';
import type { Logger } from '../../logger.js';
import type { EventBus } from '../../bus.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';

/**
 * A widget call's interaction follows its call: the PBX, not our routing engine, picks the agent
 * for phone queues, so answered means assigned and the end of the call closes the interaction.
 * Each step also lands in the contact's journey.
 */
export function followCalls(events: CallEvents, db: DataSource, bus: EventBus, log: Logger): void {
  // The rest of the server (desktops, supervisors, callbacks) hears every call step on the bus.
  const announce = (event: 'ringing' | 'answered' | 'held' | 'resumed' | 'ended', e: { callSessionId: string; interactionId?: string; at: Date }, extra: { cause?: string; description?: string } = {}) =>
    bus
      .publish({ type: 'call.event', event, callId: e.callSessionId.replace(/-/g, ''), interactionId: e.interactionId ?? null, at: e.at.toISOString(), ...extra })
      .catch((err) => log.warn({ err }, 'could not announce a call event'));
  events.on('ringing', (e) => void announce('ringing', e));
  events.on('answered', (e) => void announce('answered', e));
  events.on('held', (e) => void announce(e.held ? 'held' : 'resumed', e));
  events.on('ended', (e) => void announce('ended', e, { cause: e.cause, description: e.description }));

  const step = async (interactionId: string, type: string, data: Record<string, unknown>, change: Partial<Interaction>) => {
    await db.transaction(async (m) => {
      const i = await m.getRepository(Interaction).findOne({ where: { id: interactionId }, lock: { mode: 'pessimistic_write' } });
      if (!i) return;
      // A call joined from a chat (an agent's invitation) is part of the chat: the chat goes on
      // after it, so only the journey hears about it.
      if (Object.keys(change).length && i.state !== 'closed' && i.channel !== 'chat') await m.getRepository(Interaction).update({ id: i.id }, change);
      await m.getRepository(InteractionEvent).insert({ interactionId: i.id, contactId: i.contactId, agentId: null, type, data: data as never, at: new Date() });
    });
  };
  const safely = (p: Promise<void>) => p.catch((err) => log.error({ err }, 'could not follow a call on its interaction'));
  events.on('ringing', (e) => e.interactionId && safely(step(e.interactionId, 'call.ringing', { call: e.callSessionId }, {})));
  events.on('answered', (e) => e.interactionId && safely(step(e.interactionId, 'call.answered', { call: e.callSessionId }, { state: 'assigned', assignedAt: e.at })));
  events.on('held', (e) => e.interactionId && safely(step(e.interactionId, e.held ? 'call.held' : 'call.resumed', { call: e.callSessionId, by: e.by }, {})));
  events.on('ended', (e) => e.interactionId && safely(step(e.interactionId, 'call.ended', { call: e.callSessionId, cause: e.cause, status: e.status ?? null }, { state: 'closed', closedAt: e.at })));
}
