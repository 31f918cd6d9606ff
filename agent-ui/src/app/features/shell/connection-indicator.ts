import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { AgentSocket } from '../../core/agent-socket';
import { Clock } from '../../core/clock';
import { I18n } from '../../core/i18n';

/** Always visible: an agent must know when offers cannot reach them. */
@Component({
  selector: 'sb-connection-indicator',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <span class="conn" [class]="socket.state()" role="status" data-test="connection" [attr.data-state]="socket.state()">
      <span class="dot" aria-hidden="true"></span>
      {{ text() }}
      @if (socket.state() === 'reconnecting' && socket.retryAt()) {
        <button type="button" class="link" (click)="socket.retryNow()">{{ t('conn.retryNow') }}</button>
      }
    </span>
  `,
  styles: `
    .conn { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; color: var(--muted); }
    .dot { width: 9px; height: 9px; border-radius: 50%; background: #9aa5b1; }
    .online .dot { background: var(--ok); }
    .connecting .dot { background: var(--warn); }
    .reconnecting { color: var(--danger); font-weight: 600; }
    .reconnecting .dot { background: var(--danger); animation: blink 1s infinite; }
    @keyframes blink { 50% { opacity: 0.3; } }
  `,
})
export class ConnectionIndicator {
  protected readonly socket = inject(AgentSocket);
  private readonly clock = inject(Clock);
  protected readonly t = inject(I18n).t;

  protected readonly text = computed(() => {
    switch (this.socket.state()) {
      case 'online':
        return this.t('conn.online');
      case 'connecting':
        return this.t('conn.connecting');
      case 'stopped':
        return this.t('conn.stopped');
      case 'reconnecting': {
        const at = this.socket.retryAt();
        if (!at) return this.t('conn.retrying');
        return this.t('conn.reconnecting', { seconds: Math.max(0, Math.ceil((at - this.clock.now()) / 1000)) });
      }
    }
  });
}
