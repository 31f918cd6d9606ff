import type { OfferJourney, OfferJourneyInteraction } from '@switchboard/protocol';
import { ChangeDetectionStrategy, Component, computed, inject, input, output, signal } from '@angular/core';
import { Api, ApiError } from '../../core/api';
import { Clock } from '../../core/clock';
import { I18n, formatDuration } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { stepLabel } from '../../core/journey-steps';
import type { OfferPayload } from '../../core/work';

/** One line of an earlier interaction on the card: when, on which channel, how it ended. */
interface JourneyLine {
  interactionId: string;
  when: string;
  channel: string | null;
  outcome: string;
}

/** A formatter in `zone`; one the browser does not know (a server newer than it) falls back to the agent's own. */
function zoned(lang: string, zone: string, o: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat(lang, { ...o, timeZone: zone });
  } catch {
    return new Intl.DateTimeFormat(lang, o);
  }
}

/**
 * One offer: who, from which queue, what the customer wrote (the first lines, when the channel has
 * them), a callback's number, time and attempts (worded here, in the agent's language), what about
 * (a mail's subject, the chat option picked), how long they wait, how long to answer.
 * The customer's journey (earlier interactions) is behind a toggle, read the first time it is opened.
 */
@Component({
  selector: 'sb-offer-card',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './offer-card.html',
  styleUrl: './offer-card.css',
})
export class OfferCard {
  private readonly api = inject(Api);
  private readonly clock = inject(Clock);
  private readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t;

  readonly offer = input.required<OfferPayload>();
  readonly busy = input(false);
  readonly accept = output();
  readonly reject = output();

  protected readonly channel = computed(() => this.t(`channel.${this.offer().channel}` as MessageKey));
  protected readonly kind = computed(() => this.t(`offer.kind.${this.offer().kind}` as MessageKey));
  protected readonly name = computed(() => this.offer().customerName || this.t('offer.unknownCustomer'));
  protected readonly waiting = computed(() => {
    const since = this.offer().waitingSince;
    return since ? formatDuration(this.clock.now() - Date.parse(since)) : null;
  });
  protected readonly meta = computed(() => {
    const w = this.waiting();
    return [this.i18n.text(this.offer().queueName), w && this.t('offer.waiting', { time: w })].filter(Boolean).join(' · ');
  });
  /** The customer's own first lines: what the agent needs to decide, before any label. */
  protected readonly preview = computed(() => (this.offer().preview ?? []).filter((l) => typeof l === 'string' && l.trim() !== '').slice(0, 3));
  /** A callback's fields in the agent's words: whom to call (on the line, waiting, customer-first), when they asked, the attempts so far. */
  protected readonly callback = computed(() => {
    const c = this.offer().callback;
    if (!c) return null;
    // In the website's zone, named: the time as the customer picked it, whatever the agent's own zone.
    const at = (iso: string, o: Intl.DateTimeFormatOptions) => zoned(this.i18n.lang(), c.timeZone, o).format(new Date(iso));
    const when = c.slot
      ? `${at(c.slot.start, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' })}–${at(c.slot.end, { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' })}`
      : this.t('offer.cb.asap', { time: at(c.dueAt, { weekday: 'long', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }) });
    // The first attempt says nothing of attempts: there were none.
    const attempt = c.attempt > 1 ? this.t(c.maxAttempts ? 'offer.cb.attemptOf' : 'offer.cb.attempt', { n: c.attempt, max: c.maxAttempts ?? '' }) : null;
    const last = attempt && c.lastCause ? this.t('offer.cb.last', { cause: c.lastCause }) : null;
    return { number: c.phoneNumber, waiting: c.waiting ? this.t('offer.cb.waiting') : null, when, attempt: [attempt, last].filter(Boolean).join(' ') || null };
  });
  protected readonly secondsLeft = computed(() => Math.max(0, Math.floor((Date.parse(this.offer().expiresAt) - this.clock.now()) / 1000)));

  protected readonly journeyOpen = signal(false);
  /** The earlier interactions read so far (null before the first read); read once per card, however often it is opened. */
  private readonly journey = signal<OfferJourneyInteraction[] | null>(null);
  /** Where the journey goes on; null once it is all shown. */
  protected readonly journeyCursor = signal<string | null>(null);
  protected readonly journeyLoading = signal(false);
  protected readonly journeyError = signal<string | null>(null);
  protected readonly journeyLines = computed<JourneyLine[] | null>(() => {
    const lines = this.journey();
    return lines?.map((l) => ({
      interactionId: l.interactionId,
      when: new Date(l.at).toLocaleString(this.i18n.lang(), { dateStyle: 'medium', timeStyle: 'short' }),
      channel: l.channel && this.t(`channel.${l.channel}` as MessageKey),
      outcome: stepLabel(this.t, l.outcome),
    })) ?? null;
  });

  protected toggleJourney(): void {
    this.journeyOpen.update((open) => !open);
    if (this.journeyOpen() && this.journey() === null && !this.journeyLoading()) void this.loadJourney(null);
  }

  protected moreJourney(): void {
    const cursor = this.journeyCursor();
    if (cursor && !this.journeyLoading()) void this.loadJourney(cursor);
  }

  private async loadJourney(cursor: string | null): Promise<void> {
    const { offerId } = this.offer();
    this.journeyLoading.set(true);
    this.journeyError.set(null);
    try {
      const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
      const j = await this.api.get<OfferJourney>(`/api/offers/${encodeURIComponent(offerId)}/journey${query}`);
      this.journey.update((shown) => [...(shown ?? []), ...j.interactions]);
      this.journeyCursor.set(j.nextCursor);
    } catch (err) {
      this.journeyError.set(this.t('offer.journeyFailed', { message: err instanceof ApiError ? err.message : String(err) }));
    } finally {
      this.journeyLoading.set(false);
    }
  }
}
