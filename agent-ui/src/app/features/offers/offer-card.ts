import { ChangeDetectionStrategy, Component, computed, inject, input, output } from '@angular/core';
import { Clock } from '../../core/clock';
import { I18n, formatDuration } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import type { OfferPayload } from '../../core/work';

/**
 * One offer: who, from which queue, what the customer wrote (the first lines, when the channel has
 * them), what about (a mail's subject, the chat option picked), how long they wait, how long to answer.
 */
@Component({
  selector: 'sb-offer-card',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './offer-card.html',
  styleUrl: './offer-card.css',
})
export class OfferCard {
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
  protected readonly secondsLeft = computed(() => Math.max(0, Math.floor((Date.parse(this.offer().expiresAt) - this.clock.now()) / 1000)));
}
