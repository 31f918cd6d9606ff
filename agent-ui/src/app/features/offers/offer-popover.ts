import { ChangeDetectionStrategy, Component, DestroyRef, inject, output, signal } from '@angular/core';
import { ApiError } from '../../core/api';
import { I18n } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { Shortcuts } from '../../core/shortcuts';
import { WorkStore, type OfferPayload } from '../../core/work';
import { OfferCard } from './offer-card';

/**
 * Offers float above everything, top right, until answered; with a note when one goes away on
 * its own (another agent took it, time ran out, the customer left).
 */
@Component({
  selector: 'sb-offer-popover',
  imports: [OfferCard],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="stack" [attr.aria-label]="t('offer.title')" aria-live="assertive">
      @for (o of work.offers(); track o.offerId) {
        <sb-offer-card [offer]="o" [busy]="work.answering().has(o.offerId)" (accept)="accept(o)" (reject)="reject(o)" />
      }
      @if (error(); as message) {
        <p class="note error" role="alert" data-test="offer-error">{{ message }}</p>
      }
      @for (n of work.notes(); track n.offerId) {
        <p class="note" role="status" data-test="offer-note">
          {{ t(noteKey(n.reason), { name: n.customerName || t('offer.unknownCustomer') }) }}
          <button type="button" class="link" (click)="work.dismissNote(n.offerId)">{{ t('common.close') }}</button>
        </p>
      }
    </section>
  `,
  styles: `
    .stack { position: fixed; z-index: 15; top: 70px; right: 20px; width: min(360px, 92vw); display: flex; flex-direction: column; gap: 10px; }
    .note { margin: 0; display: flex; gap: 8px; justify-content: space-between; padding: 10px 12px; background: #fff8e6; border: 1px solid #f0d9a0; border-radius: 8px; }
    .note.error { background: #fdecec; border-color: #f3c2c2; color: #8a1c1c; }
  `,
})
export class OfferPopover {
  protected readonly work = inject(WorkStore);
  protected readonly t = inject(I18n).t;
  protected readonly error = signal<string | null>(null);
  /** The accepted interaction, for the list to select. */
  readonly accepted = output<string>();

  constructor() {
    const first = () => this.work.offers()[0];
    const off = inject(Shortcuts).register(
      { keys: 'Alt+Enter', label: 'shortcuts.accept', run: () => first() && void this.accept(first()!) },
      { keys: 'Alt+R', label: 'shortcuts.reject', run: () => first() && void this.reject(first()!) },
    );
    inject(DestroyRef).onDestroy(off);
  }

  protected noteKey(reason: string): MessageKey {
    return `offer.ended.${reason}` as MessageKey;
  }

  protected async accept(o: OfferPayload): Promise<void> {
    await this.run(async () => {
      const taken = await this.work.accept(o);
      if (taken) this.accepted.emit(taken.id);
    });
  }

  protected async reject(o: OfferPayload): Promise<void> {
    await this.run(() => this.work.reject(o));
  }

  private async run(action: () => Promise<void>): Promise<void> {
    this.error.set(null);
    try {
      await action();
    } catch (err) {
      this.error.set(this.t('offer.failed', { message: err instanceof ApiError ? err.message : String(err) }));
    }
  }
}
