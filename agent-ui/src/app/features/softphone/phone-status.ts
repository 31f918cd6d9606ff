import { ChangeDetectionStrategy, Component, inject, output, signal } from '@angular/core';
import { I18n } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { Softphone } from '../../core/softphone';

/** The softphone in the header: whether it is registered, and a field to place a call. */
@Component({
  selector: 'sb-phone-status',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <span class="reg" [class]="phone.registration()" data-test="phone-registration" [attr.title]="phone.error() || null">
      <span class="dot" aria-hidden="true"></span>{{ label('phone.reg.' + phone.registration()) }}
      @if (phone.extension(); as ext) { <span class="ext">{{ ext }}</span> }
    </span>
    @if (phone.registration() === 'registered') {
      <form (submit)="dial($event)" [attr.aria-label]="t('phone.dial')">
        <input type="tel" [value]="number()" (input)="number.set($any($event.target).value)" [placeholder]="t('phone.number')"
          [attr.aria-label]="t('phone.number')" autocomplete="off" data-test="dial-number" />
        <button type="submit" [disabled]="!number().trim()" data-test="dial">{{ t('phone.call') }}</button>
      </form>
    }
    @if (invalid()) { <span class="invalid" role="alert">{{ t('phone.invalidNumber') }}</span> }
  `,
  styles: `
    :host { display: flex; align-items: center; gap: 8px; font-size: 13px; }
    .reg { display: inline-flex; align-items: center; gap: 6px; color: var(--muted); }
    .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
    .registered .dot { background: var(--ok); }
    .failed .dot { background: var(--danger, #c62828); }
    .connecting .dot { background: var(--warn); }
    .ext { font-variant-numeric: tabular-nums; padding: 0 6px; border-radius: 999px; background: var(--hover); }
    form { display: flex; gap: 4px; }
    input { width: 130px; }
    .invalid { color: var(--danger, #c62828); }
  `,
})
export class PhoneStatus {
  protected readonly phone = inject(Softphone);
  protected readonly t = inject(I18n).t;
  protected readonly number = signal('');
  protected readonly invalid = signal(false);
  readonly dialed = output<void>();

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected dial(e: Event): void {
    e.preventDefault();
    try {
      this.phone.dial(this.number());
      this.invalid.set(false);
      this.number.set('');
      this.dialed.emit();
    } catch {
      this.invalid.set(true);
    }
  }
}
