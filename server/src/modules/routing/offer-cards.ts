import type { OfferPayload } from '@switchboard/protocol';
import type { Channel } from '../../kernel/config/schema.js';
import type { Interaction } from '../interactions/index.js';
import type { OfferKind, OfferMade } from './engine.js';
import type { Deps, RoutingCore } from './core.js';
import { presentOffer } from './presenter.js';

type S = Pick<Deps, 'log' | 'engine' | 'records' | 'events'>;

/** What an offer shows the agent: queue, customer, and the customer's first lines as their channel gives them. */
export class OfferCards {
  constructor(
    private readonly d: S,
    private readonly routing: Pick<RoutingCore, 'queue'>,
  ) {}

  async payload(o: OfferMade, i: Interaction): Promise<OfferPayload> {
    return presentOffer(o, i, this.routing.queue(i.queueId ?? '')?.name ?? null, await this.d.records.customerName(i.contactId), await this.preview(i));
  }

  /**
   * Shows the interaction's pending offers again, with what the channel now gives as the
   * customer's first lines (a chat offered before the visitor wrote anything).
   */
  async refresh(interactionId: string): Promise<number> {
    let shown = 0;
    for (const row of await this.d.records.pendingOffers(interactionId)) {
      const o = await this.d.engine.offerOf(row.id);
      const i = o.state === 'pending' ? await this.d.records.get(interactionId) : null;
      if (!i) continue;
      const made = { offerId: row.id, agentId: row.agentId, interactionId, kind: o.kind as OfferKind, expiresAt: Number(o.deadline), queueId: o.queue ?? '', channel: i.channel, from: o.from || null };
      await this.d.events.push(row.agentId, { type: 'offer', offer: await this.payload(made, i) });
      shown++;
    }
    return shown;
  }

  private readonly previews = new Map<Channel, (i: Interaction) => Promise<string[]>>();

  /**
   * A channel module registers how to show what the customer wrote first (e.g. the chat's first
   * messages); offers carry it so the agent can decide quickly. Failures only leave it empty.
   */
  previewFor(channel: Channel, fn: (i: Interaction) => Promise<string[]>): void {
    this.previews.set(channel, fn);
  }

  private async preview(i: Interaction): Promise<string[]> {
    const fn = this.previews.get(i.channel);
    if (!fn) return [];
    return fn(i)
      .then((lines) => lines.slice(0, 5).map((l) => l.slice(0, 500)))
      .catch((err) => {
        this.d.log.warn({ err, interactionId: i.id }, 'offer preview failed');
        return [];
      });
  }
}
