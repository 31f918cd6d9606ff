import type { Channel, Queue, Website } from '../../kernel/config/schema.js';
import { newId } from '../../kernel/db/ids.js';
import { badRequest } from '../../kernel/http/errors.js';
import type { Interaction } from '../interactions/index.js';
import { hoursStatus } from '../websites/index.js';
import { isRefusal, queueScore, waitEstimate, type OfferMade } from './engine.js';
import { previousAgent } from './returning.js';
import type { Deps, RoutingCore } from './core.js';
import type { UnmanagedReason } from './events.js';
import type { RoutingRebuild } from './rebuild.js';
import type { HoldCompanion } from './records.js';

export interface CreateInteraction {
  channel: Channel;
  queueId: string;
  websiteId?: string | null;
  contactId?: string | null;
  direction?: 'inbound' | 'outbound';
  subject?: string | null;
  routingVariables?: Record<string, string>;
  /** 1-10, higher first; defaults to the queue's priority. */
  priority?: number;
  /** Set by the mail channel for offline-form tickets. */
  offline?: boolean;
}

/** A place in a queue kept from an earlier wait (virtual hold): its priority and since when it waits. */
export interface QueuePlace {
  priority: number;
  since: Date;
  /** Agents passed over for the queue's cool-down, as if they had rejected it (their phone just refused it). */
  passOver?: string[];
}

export type CreateResult =
  | { outcome: 'queued'; interaction: Interaction; position: number; estimatedWaitSeconds: number | null }
  | { outcome: 'unmanaged'; interaction: Interaction; reason: UnmanagedReason; nextOpening: string | null };

/** A held interaction queued or closed by someone else meanwhile: not this queueing's to queue. */
export class NotHeld extends Error {
  constructor(interactionId: string) {
    super(`interaction ${interactionId} is not held any more (closed or queued meanwhile)`);
  }
}

type S = Pick<Deps, 'config' | 'log' | 'bus' | 'engine' | 'records'>;

/**
 * How an interaction enters routing: created (the one place an Interaction row is inserted) and
 * queued, or held for later (a callback's slot), or recorded as unmanaged with the reason:
 * outside hours, nobody who could serve it, the licensed or the website's limit.
 */
export class Entry {
  constructor(
    private readonly d: S,
    private readonly routing: Pick<RoutingCore, 'queue' | 'routed' | 'estimate'>,
    private readonly rebuilder: Pick<RoutingRebuild, 'present' | 'ensure'>,
  ) {}

  /** Creates the interaction and queues it, or records it as unmanaged and says why. */
  async create(input: CreateInteraction): Promise<CreateResult> {
    const { i, queue, website } = await this.insert(input);
    return this.enter(i, queue, website, input.priority, false);
  }

  /**
   * Creates the interaction without queueing it (state "new"): work that is due later, like a
   * callback for a slot tomorrow, is not offered before enqueueHeld() is called.
   */
  async createHeld(input: CreateInteraction): Promise<Interaction> {
    return (await this.insert(input)).i;
  }

  /**
   * Queues an interaction made by createHeld(), even with nobody logged in (it waits for them).
   * Outside hours or over the licensed limit nothing changes: the caller is told and decides when
   * to try again. `held`: its id, or its row as the caller has just read it (not read again).
   */
  async enqueueHeld(held: string | Interaction, place?: QueuePlace, along?: HoldCompanion): Promise<CreateResult> {
    const interactionId = typeof held === 'string' ? held : held.id;
    const i = typeof held === 'string' ? await this.d.records.get(held) : held;
    if (!i || i.state !== 'new') throw new Error(`interaction ${interactionId} is not held (state ${i?.state ?? 'missing'})`);
    const queue = this.routing.queue(i.queueId ?? '');
    if (!queue) throw new Error(`interaction ${interactionId}: queue "${i.queueId}" is gone`);
    const website = i.websiteId ? this.d.config().websites.find((w) => w.id === i.websiteId) : undefined;
    return this.enter(i, queue, website, place?.priority, true, place?.since, place?.passOver, false, false, along);
  }

  /**
   * A held interaction whose queueing wrote its row (queued) and never reached Redis, its instance
   * gone in between: queued now, at the time the row says. Null when the queueing did reach Redis
   * (nothing to do twice) or it was closed meanwhile. `i`: its row as the caller has just read it.
   */
  async resumeHeld(i: Interaction, place?: Pick<QueuePlace, 'priority'>): Promise<CreateResult | null> {
    if (i.state !== 'queued') return null;
    const queue = this.routing.queue(i.queueId ?? '');
    if (!queue) throw new Error(`interaction ${i.id}: queue "${i.queueId}" is gone`);
    const website = i.websiteId ? this.d.config().websites.find((w) => w.id === i.websiteId) : undefined;
    return this.enter(i, queue, website, place?.priority, true, i.queuedAt ?? undefined, [], false, true).catch((err: unknown) => {
      if (err instanceof NotHeld) return null;
      throw err;
    });
  }

  /** A held interaction that will never be queued (its callback was cancelled): closed as it is. */
  async closeHeld(interactionId: string, by: 'customer' | 'system'): Promise<boolean> {
    const i = await this.d.records.get(interactionId);
    if (!i || (i.state !== 'new' && i.state !== 'queued')) return false;
    const closed = { state: 'closed', closedAt: this.d.engine.clock.now() } as const;
    if (!(i.state === 'new' && (await this.d.records.updateIf(i.id, 'new', closed)))) {
      // Taken out of its hold by a queueing (enqueueHeld), which writes the row before Redis: not
      // ours to close once the queueing is in Redis; until then, the mark made there makes the
      // queueing refuse it and put it back, and it is closed here.
      const r = await this.d.engine.run<{ queued: boolean }>('unhold', [i.id]);
      if (isRefusal(r) || r.queued) return false;
      // As a close while held leaves it: never queued.
      if (!(await this.d.records.updateIf(i.id, ['new', 'queued'], { ...closed, queuedAt: null }))) return false;
    }
    await this.d.records.journey(i, 'closed', null, { by, held: true });
    await this.d.bus.publish({ type: 'interaction.closed', interactionId: i.id, channel: i.channel, websiteId: i.websiteId, contactId: i.contactId, agentId: null, by, dispositionId: null });
    return true;
  }

  private async insert(input: CreateInteraction): Promise<{ i: Interaction; queue: Queue; website: Website | undefined }> {
    const config = this.d.config();
    const queue = this.routing.queue(input.queueId);
    if (!queue) throw badRequest(`Unknown queue "${input.queueId}".`, [{ field: 'queueId', problem: 'unknown queue' }]);
    if (queue.channel !== input.channel) throw badRequest(`Queue "${queue.id}" is a ${queue.channel} queue, not ${input.channel}.`, [{ field: 'queueId', problem: `is a ${queue.channel} queue` }]);
    const website = input.websiteId ? config.websites.find((w) => w.id === input.websiteId) : undefined;
    if (input.websiteId && !website) throw badRequest(`Unknown website "${input.websiteId}".`, [{ field: 'websiteId', problem: 'unknown website' }]);
    const i = this.d.records.interactions.create({
      id: newId(),
      channel: input.channel,
      direction: input.direction ?? 'inbound',
      state: 'new',
      queueId: queue.id,
      websiteId: website?.id ?? null,
      contactId: input.contactId ?? null,
      assignedAgentId: null,
      routingVariables: input.routingVariables ?? {},
      subject: input.subject ?? null,
      dispositionId: null,
      unmanaged: false,
      offline: input.offline ?? false,
      timedOut: false,
      visitorTokenHash: null,
      queuedAt: null,
      assignedAt: null,
      closedAt: null,
    });
    await this.d.records.interactions.insert(i);
    await this.d.records.journey(i, 'created', null, { channel: i.channel, queueId: queue.id, websiteId: i.websiteId });
    return { i, queue, website };
  }

  /** `since`: the place kept from an earlier wait (virtual hold) — ordered as if queued then. */
  private async enter(i: Interaction, queue: Queue, website: Website | undefined, priority: number | undefined, held: boolean, since?: Date, passOver: string[] = [], rebuilt = false, resumed = false, along?: HoldCompanion): Promise<CreateResult> {
    const config = this.d.config();
    const now = this.d.engine.clock.now();
    const queuedAt = since && since < now ? since : now;
    const notNow = (reason: UnmanagedReason, nextOpening: string | null): Promise<CreateResult> =>
      held ? Promise.resolve({ outcome: 'unmanaged', interaction: i, reason, nextOpening }) : this.unmanaged(i, reason, nextOpening);
    const calendars = [queue.hours, website?.hours].filter((c): c is string => !!c).map((id) => config.calendars.find((c) => c.id === id));
    const closed = calendars.map((c) => hoursStatus(c, now)).find((h) => !h.open);
    // A queueing resumed had found it open when it wrote the row.
    if (closed && !resumed) return notNow('outside-hours', closed.nextOpening);
    // With the routing state lost, nobody would look logged in and the enqueue script refuses:
    // the state is rebuilt (or its rebuild waited for) and the interaction enters again, at the
    // time it came. Asked only then, so a step with the state there makes no round trip for it.
    const again = async () => {
      await this.rebuilder.ensure();
      return this.enter(i, queue, website, priority, held, queuedAt, passOver, true, false, along);
    };
    if (!held && !(await this.anyoneCouldServe(queue))) {
      if (!rebuilt && !(await this.rebuilder.present())) return again();
      return this.unmanaged(i, 'no-agent', null);
    }

    const wlimit = i.channel === 'chat' ? (website?.maxConcurrentChats ?? 0) : 0;
    const [prefer = '', preferUntil = '0'] = previousAgent(i, queue, now);
    const enqueue = () =>
      this.d.engine.run<{ position: number; avgWaitMs: string; offers: OfferMade[] } | { unmanaged: UnmanagedReason }>(
        'enqueue',
        [i.id, queue.id, i.channel, queueScore(priority ?? queue.priority, queuedAt.getTime()), website?.id ?? '', config.main.licensing.maxConcurrentSessions, wlimit, this.d.engine.key('live', 'w', website?.id ?? '-', i.channel), prefer, preferUntil, passOver.join(','), 1],
        now.getTime(),
      );
    const queued = { state: 'queued', queuedAt } as const;
    // A held one may be closed or queued by someone else at the same time (the customer
    // withdrawing it, another instance's job): it is queued only while still held, once. Put
    // back, it is held as it was made: never queued.
    const entered = held ? await this.d.records.leaveHold(i.id, queued, { state: 'new', queuedAt: null }, enqueue, (r) => 'position' in r || (isRefusal(r) && r.error === 'queued'), resumed, along) : { r: await enqueue() };
    // Refused as queued (by another queueing, whose row write stands) or closed meanwhile (closeHeld).
    if (!entered || ('error' in entered.r && (entered.r.error === 'queued' || entered.r.error === 'closed'))) throw new NotHeld(i.id);
    const { r } = entered;
    if ('unmanaged' in r) return notNow(r.unmanaged, null);
    if (isRefusal(r) && r.error === 'lost' && !rebuilt) return again();
    if (isRefusal(r)) throw new Error(`enqueue refused: ${r.error}`);
    if (held) Object.assign(i, queued);
    else await this.d.records.apply(i, queued);
    await this.d.records.journey(i, 'queued', null, { queueId: queue.id, position: r.position, priority: priority ?? queue.priority, routingScope: this.d.engine.scope });
    // The script offered it already, if it could: routing keeps `i` as it writes it, so it is not
    // read again; the queued event goes out with the offer, if one was made.
    await this.routing.routed(r, i, [{ type: 'interaction.queued', interactionId: i.id, channel: i.channel, queueId: queue.id, position: r.position }]);
    return { outcome: 'queued', interaction: i, position: r.position, estimatedWaitSeconds: waitEstimate(r.avgWaitMs ? Number(r.avgWaitMs) : null, r.position) };
  }

  private async unmanaged(i: Interaction, reason: UnmanagedReason, nextOpening: string | null): Promise<CreateResult> {
    i.state = 'unmanaged';
    i.unmanaged = true;
    await this.d.records.update(i.id, { state: 'unmanaged', unmanaged: true });
    await this.d.records.journey(i, 'unmanaged', null, { reason, nextOpening });
    await this.d.bus.publish({ type: 'interaction.unmanaged', interactionId: i.id, channel: i.channel, queueId: i.queueId!, reason, nextOpening });
    this.d.log.info({ interactionId: i.id, reason }, 'interaction unmanaged');
    return { outcome: 'unmanaged', interaction: i, reason, nextOpening };
  }

  /** Someone logged in who, with every relaxation applied, could take this queue's interactions. */
  private async anyoneCouldServe(q: Queue): Promise<boolean> {
    // The queue's ranking at its last relaxation step lists exactly those agents (with capacity
    // for the channel); intersect it with the logged-in agents, stopping at the first.
    const rank = this.d.engine.key('qa', q.id, String(q.relax.length));
    return Number(await this.d.engine.redis.client.call('ZINTERCARD', 2, rank, this.d.engine.key('online'), 'LIMIT', 1)) > 0;
  }

  /** Where a queued interaction stands, for the channel to show the customer. */
  async position(interactionId: string): Promise<{ state: string; position: number | null; estimatedWaitSeconds: number | null }> {
    const live = await this.d.engine.interactionLive(interactionId);
    if (!live.state) {
      const i = await this.d.records.get(interactionId);
      return { state: i?.state ?? 'unknown', position: null, estimatedWaitSeconds: null };
    }
    const position = live.state === 'queued' ? await this.d.engine.position(live.queue!, interactionId) : null;
    return { state: live.state, position, estimatedWaitSeconds: position ? await this.routing.estimate(live.queue!, position) : null };
  }
}
