import type { OfferPayload } from '@switchboard/protocol';
import type { Channel } from '../../kernel/config/schema.js';
import type { Interaction } from '../interactions/index.js';
import type { OfferKind, OfferMade } from './engine.js';
import type { Deps, RoutingCore } from './core.js';
import { presentOffer } from './presenter.js';
import type { JoinedColumns } from './records.js';

type S = Pick<Deps, 'log' | 'engine' | 'records' | 'events'>;

/**
 * What an offer shows of its channel: the customer's first lines (`preview`), and a callback's own
 * fields (`callback`), which the desktop words in the agent's language.
 */
export type OfferDetails = Pick<OfferPayload, 'preview' | 'callback'>;

/** A channel's part of its offers; `joined`: the columns of the channel's read, when read with the interaction. */
export type Preview = (i: Interaction, joined?: Record<string, unknown>) => Promise<OfferDetails>;

/** What an offer shows the agent: queue, customer, and the customer's first lines (and a callback's fields) as their channel gives them. */
export class OfferCards {
  constructor(
    private readonly d: S,
    private readonly routing: Pick<RoutingCore, 'queue'>,
  ) {}

  async payload(o: OfferMade, i: Interaction, joined?: Record<string, unknown>): Promise<OfferPayload> {
    const { preview, callback } = await this.preview(i, joined);
    return { ...presentOffer(o, i, this.routing.queue(i.queueId ?? '')?.name ?? null, await this.d.records.customerName(i.contactId), preview), ...(callback ? { callback } : {}) };
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

  private readonly previews = new Map<string, { fn: Preview; read?: JoinedColumns }>();

  /**
   * A channel module registers how to show what the customer wrote first (e.g. the chat's first
   * messages); offers carry it so the agent can decide quickly. Failures only leave it empty.
   */
  previewFor(channel: Channel, fn: Preview, read?: JoinedColumns): void {
    this.previews.set(channel, { fn, ...(read ? { read } : {}) });
  }

  /** What the channel's preview reads of its own rows, to be read with the interaction (`joined`). */
  readFor(channel: string): JoinedColumns | undefined {
    return this.previews.get(channel)?.read;
  }

  private async preview(i: Interaction, joined?: Record<string, unknown>): Promise<OfferDetails & { preview: string[] }> {
    const fn = this.previews.get(i.channel)?.fn;
    if (!fn) return { preview: [] };
    return fn(i, joined)
      .then((got) => ({ ...got, preview: (got.preview ?? []).slice(0, 5).map((l) => l.slice(0, 500)) }))
      .catch((err) => {
        this.d.log.warn({ err, interactionId: i.id }, 'offer preview failed');
        return { preview: [] };
      });
  }
}
