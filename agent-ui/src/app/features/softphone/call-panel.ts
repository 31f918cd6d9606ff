import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { Clock } from '../../core/clock';
import { I18n, formatDuration } from '../../core/i18n';
import { DTMF_KEYS, Softphone } from '../../core/softphone';

/** One softphone call: who is calling (the widget's context or the PBX caller) and its controls. */
@Component({
  selector: 'sb-call-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './call-panel.html',
  styleUrl: './call-panel.css',
})
export class CallPanel {
  protected readonly phone = inject(Softphone);
  private readonly clock = inject(Clock);
  protected readonly t = inject(I18n).t;
  protected readonly keys = DTMF_KEYS;

  readonly callId = input.required<string>();
  protected readonly call = computed(() => this.phone.call(this.callId()));
  protected readonly who = computed(() => {
    const c = this.call();
    return c ? c.context.name || c.displayName || c.number || this.t('offer.unknownCustomer') : '';
  });
  protected readonly duration = computed(() => {
    const at = this.call()?.answeredAt;
    return at ? formatDuration(this.clock.now() - at) : '';
  });
  protected readonly keypad = signal(false);
  protected readonly transferring = signal(false);
  protected readonly target = signal('');
  protected readonly dialed = signal('');
  protected readonly transferError = signal(false);

  protected press(key: string): void {
    this.phone.dtmf(this.callId(), key);
    this.dialed.update((d) => (d + key).slice(-24));
  }

  protected transfer(e: Event): void {
    e.preventDefault();
    try {
      this.phone.transfer(this.callId(), this.target());
      this.transferError.set(false);
      this.transferring.set(false);
    } catch {
      this.transferError.set(true);
    }
  }
}
