import { ChangeDetectionStrategy, Component, DestroyRef, effect, inject, input, output, signal } from '@angular/core';
import { AgentSocket } from '../../core/agent-socket';
import { I18n } from '../../core/i18n';
import { ChatPane } from '../chat/chat-pane';

/**
 * A chat followed silently: the server adds this supervisor to the chat's monitors (no presence
 * in the room, no line for the visitor), the lines stream in read-only, and what the supervisor
 * writes is a note that reaches the chat's agents only.
 */
@Component({
  selector: 'sb-monitor-panel',
  imports: [ChatPane],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header>
      <div>
        <div class="kicker">{{ t('sup.monitoring') }}</div>
        <h3>{{ customerName() || t('offer.unknownCustomer') }}</h3>
      </div>
      <button type="button" (click)="closed.emit()" data-test="sup-monitor-stop">{{ t('sup.stopMonitoring') }}</button>
    </header>
    @if (error(); as message) { <p class="alert error" role="alert">{{ message }}</p> }
    <p class="muted help">{{ t('sup.monitorNotes') }}</p>
    <sb-chat-pane [interactionId]="interactionId()" [customerName]="customerName()" [monitoring]="true" data-test="sup-monitor-chat" />
  `,
  styles: `
    :host { display: flex; flex-direction: column; gap: 8px; }
    header { display: flex; justify-content: space-between; align-items: flex-start; gap: 8px; }
    .kicker { font-size: 11px; font-weight: 700; text-transform: uppercase; color: var(--muted); }
    h3 { margin: 2px 0 0; font-size: 16px; overflow-wrap: anywhere; }
    .help { margin: 0; font-size: 12px; }
  `,
})
export class MonitorPanel {
  private readonly socket = inject(AgentSocket);
  protected readonly t = inject(I18n).t;
  readonly interactionId = input.required<string>();
  readonly customerName = input<string | null>(null);
  readonly closed = output<void>();
  protected readonly error = signal<string | null>(null);
  private current: string | null = null;

  constructor() {
    const off = this.socket.on('error', (m) => {
      if (m.ref === 'monitor:' + this.current) this.error.set(m.message);
    });
    effect(() => {
      const id = this.interactionId();
      // Follow on every (re)connection too: a server restart forgets nothing (the monitors live in
      // Redis), but a chat opened while the socket was down would otherwise never be followed.
      if (this.socket.state() !== 'online') return;
      if (this.current && this.current !== id) this.socket.send({ type: 'chat.unmonitor', interactionId: this.current });
      this.current = id;
      this.error.set(null);
      this.socket.send({ type: 'chat.monitor', interactionId: id, ref: 'monitor:' + id });
    });
    inject(DestroyRef).onDestroy(() => {
      off();
      if (this.current) this.socket.send({ type: 'chat.unmonitor', interactionId: this.current });
    });
  }
}
