import type { JourneyType } from '@switchboard/protocol';
import type { CallEventBase, CallEvents } from '@switchboard/sip';
import type { PbxCalls } from './pbx-calls.js';
import type { Logger } from '../../kernel/logger.js';
import type { EventBus } from '../../kernel/bus.js';
import type { CallBusEvent } from './events.js';
import type { CallChange, InteractionSteps } from '../routing/index.js';

/**
 * A widget call's interaction follows its call: the PBX, not our routing engine, picks the agent
 * for phone queues, so answered means assigned and the end of the call closes the interaction.
 * Each step also lands in the contact's journey; routing's lifecycle writes both (callStep).
 */
export function followCalls(events: CallEvents, routing: Pick<InteractionSteps, 'callStep'>, bus: EventBus, log: Logger, pbx?: PbxCalls): { idle(): Promise<void> } {
  const interactionOf = (e: CallEventBase) => pbx?.interactionOf(e) ?? e.interactionId;
  // The agent's leg of a call the PBX moved to another agent ended, not the customer's call.
  const moved = (e: CallEventBase) => {
    const id = interactionOf(e);
    return !!id && e.kind === 'inbound' && !!pbx?.othersLive(id, e.callSessionId);
  };
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  };
  // Routing, on the instance that carried the call, closes an interaction an agent holds when its
  // call ends, with their wrap-up; no other instance acts on a call's steps, so they stay here.
  const announce = (event: CallBusEvent['event'], e: CallEventBase, extra: { cause?: string; description?: string } = {}) =>
    bus.emitLocal({ type: 'call.event', event, callId: e.callSessionId.replace(/-/g, ''), interactionId: (event === 'ended' && moved(e) ? undefined : interactionOf(e)) ?? null, at: e.at.toISOString(), ...extra });
  events.on('ringing', (e) => void announce('ringing', e));
  events.on('answered', (e) => void announce('answered', e));
  events.on('held', (e) => void announce(e.held ? 'held' : 'resumed', e));
  events.on('ended', (e) => void announce('ended', e, { cause: e.cause, description: e.description }));

  // One interaction's steps are written in the order they happened (a hold and the resume right
  // after it would otherwise race for the journey's sequence numbers).
  const writing = new Map<string, Promise<void>>();
  const step = (interactionId: string, type: JourneyType, data: Record<string, unknown>, change: CallChange): Promise<void> => {
    const next = (writing.get(interactionId) ?? Promise.resolve()).catch(() => undefined).then(() => routing.callStep(interactionId, type, data, change));
    writing.set(interactionId, next);
    next.then(
      () => writing.get(interactionId) === next && writing.delete(interactionId),
      () => writing.get(interactionId) === next && writing.delete(interactionId),
    );
    return next;
  };
  const safely = (p: Promise<void>) => track(p.catch((err) => log.error({ err }, 'could not follow a call on its interaction')));
  events.on('ringing', (e) => e.interactionId && safely(step(e.interactionId, 'call.ringing', { call: e.callSessionId }, {})));
  // A call we originate is placed for an agent who holds its interaction already (a callback's
  // accept or claim wrote its assignment; a call about an interaction needs its owner, or a
  // supervisor): its answer is the journey's, the row stays as routing wrote it.
  events.on('answered', (e) => e.interactionId && safely(step(e.interactionId, 'call.answered', { call: e.callSessionId }, e.kind === 'originate' ? {} : { state: 'assigned', assignedAt: e.at })));
  // A call that came back through the PBX is two sessions of one interaction, and a hold is
  // relayed by both: the journey says it once, when the interaction's hold state changes.
  const held = new Map<string, boolean>();
  events.on('held', (e) => {
    if (!e.interactionId || held.get(e.interactionId) === e.held) return;
    held.set(e.interactionId, e.held);
    safely(step(e.interactionId, e.held ? 'call.held' : 'call.resumed', { call: e.callSessionId, by: e.by }, {}));
  });
  events.on('ended', (e) => {
    const id = interactionOf(e);
    const change: CallChange = moved(e) ? {} : { state: 'closed', closedAt: e.at };
    pbx?.ended(e.callSessionId);
    if (e.interactionId) held.delete(e.interactionId);
    if (id) safely(step(id, 'call.ended', { call: e.callSessionId, cause: e.cause, status: e.status ?? null }, change));
  });
  return {
    idle: async () => {
      while (pending.size) await Promise.all([...pending]);
    },
  };
}
