import { Injectable, computed, inject, signal } from '@angular/core';
import type { InteractionDetail, InteractionPayload, OfferAccepted, OfferEndReason, OfferPayload, SequencedMessage } from '@switchboard/protocol';
import { AgentSocket } from './agent-socket';
import { Api, ApiError } from './api';
import { Notifier } from './notifier';
import { Session } from './session';

export type { InteractionPayload, OfferPayload } from '@switchboard/protocol';

/** A line telling the agent why an offer left the screen without their doing. */
export interface OfferNote {
  offerId: string;
  customerName: string | null;
  reason: Exclude<OfferEndReason, 'accepted' | 'rejected'>;
}

const FINISHED = new Set(['closed', 'abandoned', 'unmanaged']);
const NOTE_MS = 6000;

/**
 * The agent's picture of work: pending offers and open interactions. Built from the snapshot
 * the server sends on every connect, then kept current by the numbered events; a hole in the
 * numbers asks the server to resume from the last one applied.
 */
@Injectable({ providedIn: 'root' })
export class WorkStore {
  private readonly socket = inject(AgentSocket);
  private readonly api = inject(Api);
  private readonly session = inject(Session);
  private readonly notifier = inject(Notifier);

  private seq = 0;
  private readonly offerMap = signal<ReadonlyMap<string, OfferPayload>>(new Map());
  private readonly interactionMap = signal<ReadonlyMap<string, InteractionPayload>>(new Map());
  readonly offers = computed(() => [...this.offerMap().values()].sort((a, b) => a.expiresAt.localeCompare(b.expiresAt)));
  readonly interactions = computed(() => [...this.interactionMap().values()].sort((a, b) => (a.assignedAt ?? '').localeCompare(b.assignedAt ?? '')));
  readonly notes = signal<OfferNote[]>([]);
  /** Offers being answered, so their buttons wait and a double click sends one request. */
  readonly answering = signal<ReadonlySet<string>>(new Set());
  /** Time each offer reached this tab, for the routing-to-screen benchmark. */
  readonly receivedAt = new Map<string, number>();

  constructor() {
    this.socket.on('snapshot', (m) => {
      this.seq = m.seq;
      this.session.updateStatus(m.status);
      this.offerMap.set(new Map(m.offers.map((o) => [o.offerId, o])));
      this.interactionMap.set(new Map(m.interactions.filter((i) => !FINISHED.has(i.state)).map((i) => [i.id, i])));
      if (m.offers.length) this.notifier.offer();
    });
    for (const type of ['offer', 'offer.ended', 'interaction.updated', 'interaction.removed', 'transfer.declined'] as const) {
      this.socket.on(type, (m) => this.event(m as SequencedMessage));
    }
  }

  interaction(id: string): InteractionPayload | undefined {
    return this.interactionMap().get(id);
  }

  /**
   * Null when the customer left between the offer and the accept: the server then answers with
   * the interaction as the close left it, which has no place in the agent's list.
   */
  async accept(offer: OfferPayload): Promise<InteractionPayload | null> {
    return this.answer(offer, async () => {
      const r = await this.api.post<OfferAccepted>(`/api/offers/${offer.offerId}/accept`);
      this.dropOffer(offer.offerId);
      if (FINISHED.has(r.interaction.state)) {
        this.remove(r.interaction.id);
        this.note({ offerId: offer.offerId, customerName: offer.customerName, reason: 'withdrawn' });
        return null;
      }
      this.upsert(r.interaction);
      return r.interaction;
    });
  }

  async reject(offer: OfferPayload): Promise<void> {
    await this.answer(offer, async () => {
      await this.api.post(`/api/offers/${offer.offerId}/reject`);
      this.dropOffer(offer.offerId);
    });
  }

  async close(id: string, disposition?: string): Promise<void> {
    await this.api.post(`/api/interactions/${id}/close`, disposition ? { disposition } : {});
    this.remove(id);
    void this.learnWrapUpEnd(id);
  }

  /** The wrap-up end is recorded in the interaction's history ("closed", data.wrapUpUntil). */
  private async learnWrapUpEnd(id: string): Promise<void> {
    try {
      const r = await this.api.get<InteractionDetail>(`/api/interactions/${id}`);
      const until = r.history.filter((e) => e.type === 'closed').at(-1)?.data?.['wrapUpUntil'];
      if (typeof until === 'string' && until) this.session.wrapUpUntil.set(Date.parse(until));
    } catch {
      // Without it the desktop shows time in wrap-up instead of time left: nothing to tell the agent.
    }
  }

  dismissNote(offerId: string): void {
    this.notes.update((n) => n.filter((x) => x.offerId !== offerId));
  }

  private async answer<T>(offer: OfferPayload, run: () => Promise<T>): Promise<T> {
    this.answering.update((s) => new Set(s).add(offer.offerId));
    try {
      return await run();
    } catch (err) {
      // The offer is gone (taken, expired, withdrawn): it must not stay on screen.
      if (err instanceof ApiError && [404, 409, 410].includes(err.status)) this.dropOffer(offer.offerId);
      throw err;
    } finally {
      this.answering.update((s) => {
        const n = new Set(s);
        n.delete(offer.offerId);
        return n;
      });
    }
  }

  private event(m: SequencedMessage): void {
    if (m.seq <= this.seq) return; // a copy already applied (several tabs, replays)
    if (m.seq > this.seq + 1) {
      this.socket.send({ type: 'resume', afterSeq: this.seq });
      return;
    }
    this.seq = m.seq;
    switch (m.type) {
      case 'offer': {
        // The same offer again is an update (its first lines, say): no second chime.
        const fresh = !this.offerMap().has(m.offer.offerId);
        if (fresh) this.receivedAt.set(m.offer.offerId, performance.now());
        this.offerMap.update((o) => new Map(o).set(m.offer.offerId, m.offer));
        if (fresh) this.notifier.offer();
        break;
      }
      case 'offer.ended': {
        const offer = this.offerMap().get(m.offerId);
        this.dropOffer(m.offerId);
        if (offer && (m.reason === 'taken' || m.reason === 'timeout' || m.reason === 'withdrawn')) this.note({ offerId: m.offerId, customerName: offer.customerName, reason: m.reason });
        break;
      }
      case 'interaction.updated':
        if (FINISHED.has(m.interaction.state)) this.remove(m.interaction.id);
        else this.upsert(m.interaction);
        break;
      case 'interaction.removed':
        this.remove(m.interactionId);
        break;
      case 'transfer.declined':
        break;
    }
  }

  private note(n: OfferNote): void {
    this.notes.update((list) => [...list, n]);
    setTimeout(() => this.dismissNote(n.offerId), NOTE_MS);
  }

  private dropOffer(id: string): void {
    if (!this.offerMap().has(id)) return;
    this.offerMap.update((o) => {
      const n = new Map(o);
      n.delete(id);
      return n;
    });
  }

  private upsert(i: InteractionPayload): void {
    this.interactionMap.update((m) => new Map(m).set(i.id, i));
  }

  private remove(id: string): void {
    if (!this.interactionMap().has(id)) return;
    this.interactionMap.update((m) => {
      const n = new Map(m);
      n.delete(id);
      return n;
    });
  }
}
