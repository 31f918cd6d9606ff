import { ChangeDetectionStrategy, Component, ElementRef, computed, effect, inject, input, signal, viewChild } from '@angular/core';
import { Clock } from '../../core/clock';
import { I18n, formatDuration } from '../../core/i18n';
import { DTMF_KEYS, LOST_WITH_CONNECTION, Softphone } from '../../core/softphone';

/**
 * One softphone call: who is calling (the widget's context or the PBX caller), the videos of a
 * video call (the caller's and the agent's own camera), and the controls.
 */
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
  protected readonly lost = LOST_WITH_CONNECTION;

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
  private readonly media = computed(() => this.phone.media().get(this.callId()));
  /** Answered with the camera, or the caller's video is coming in. */
  protected readonly showVideo = computed(() => {
    const c = this.call();
    return !!c && c.state !== 'ended' && (c.video || !!this.media()?.remote);
  });
  private readonly remote = viewChild<ElementRef<HTMLVideoElement>>('remote');
  private readonly local = viewChild<ElementRef<HTMLVideoElement>>('local');

  constructor() {
    effect(() => {
      const media = this.media();
      const r = this.remote()?.nativeElement;
      const l = this.local()?.nativeElement;
      // Muted: the call's sound already plays through the softphone's own audio element.
      if (r && r.srcObject !== (media?.remote ?? null)) r.srcObject = media?.remote ?? null;
      if (l && l.srcObject !== (media?.local ?? null)) l.srcObject = media?.local ?? null;
    });
  }

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
