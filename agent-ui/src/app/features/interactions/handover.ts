import type { TransferTargets } from '@switchboard/protocol';
import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, input, signal } from '@angular/core';
import { AgentSocket } from '../../core/agent-socket';
import { Api, ApiError } from '../../core/api';
import { I18n, type ConfigText } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { Session } from '../../core/session';
import type { InteractionPayload } from '../../core/work';

type QueueOption = TransferTargets['queues'][number];
type AgentOption = TransferTargets['agents'][number];

/**
 * Transfer to a queue or an agent, and conferencing an agent in. The targets come from
 * /api/routing/transfer-targets, which any agent assigned to the interaction may read; the list
 * ages while the panel is open (agents change state), so it has its own refresh.
 */
@Component({
  selector: 'sb-handover',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let i = interaction();
    @if (i.transferTo) { <p class="status" role="status" data-test="handover-status">{{ t('handover.waitingTransfer', { name: agentName(i.transferTo) }) }}</p> }
    @if (i.conference === 'requested') { <p class="status" role="status" data-test="handover-status">{{ t('handover.conferenceRequested', { name: agentName(i.conferenceAgentId) }) }}</p> }
    @if (i.conference === 'active') {
      <p class="status" role="status" data-test="handover-status">{{ t('handover.conferenceActive', { name: agentName(i.conferenceAgentId === me() ? i.ownerId : i.conferenceAgentId) }) }}
        <button type="button" (click)="endConference()" [disabled]="busy()" data-test="end-conference">{{ t('handover.endConference') }}</button></p>
    }
    @if (declined(); as d) { <p class="alert info" role="status" data-test="handover-declined">{{ t(d.kind === 'conference' ? 'handover.conferenceDeclined' : 'handover.transferDeclined', { name: agentName(d.agentId) }) }}</p> }
    <div class="buttons">
      <button type="button" [attr.aria-expanded]="open()" (click)="toggle()" [disabled]="i.ownerId !== me()" data-test="handover">{{ t('handover.open') }}</button>
    </div>
    @if (error(); as message) { <p class="alert error" role="alert" data-test="handover-error">{{ message }}</p> }
    @if (open()) {
      <section class="panel" data-test="handover-panel">
        <div class="head">
          @if (loading()) { <span class="muted">{{ t('ctx.loading') }}</span> } @else { <span></span> }
          <button type="button" class="link" (click)="load()" [disabled]="loading()" data-test="handover-refresh">{{ t('handover.refresh') }}</button>
        </div>
        @if (queues().length) {
          <h3>{{ t('handover.toQueue') }}</h3>
          <ul>
            @for (q of queues(); track q.id) {
              <li [attr.data-queue]="q.id"><span>{{ text(q.name) }} <small class="muted">{{ q.open ? t('handover.waiting', { count: q.waiting }) : t('handover.queueClosed') }}</small></span>
                <button type="button" (click)="transfer({ toQueue: q.id })" [disabled]="busy()" [attr.data-test]="'to-queue-' + q.id">{{ t('handover.transfer') }}</button></li>
            }
          </ul>
        }
        @if (agents().length) {
          <h3>{{ t('handover.toAgent') }}</h3>
          <ul>
            @for (a of agents(); track a.id) {
              <li [attr.data-agent]="a.id" [class.full]="!a.canTake"><span>{{ a.displayName }} <small class="muted">{{ label('state.' + a.state) }}@if (!a.canTake) { · {{ t('handover.full') }} }</small></span>
                <span class="pair">
                  <button type="button" (click)="transfer({ toAgent: a.id })" [disabled]="busy() || !a.canTake" data-test="to-agent">{{ t('handover.transfer') }}</button>
                  <button type="button" (click)="conference(a.id)" [disabled]="busy() || !a.canTake || i.conference !== 'none'" data-test="conference">{{ t('handover.conference') }}</button>
                </span></li>
            }
          </ul>
        } @else if (!loading() && !error()) {
          <p class="muted">{{ t('handover.noAgents') }}</p>
        }
      </section>
    }
  `,
  styles: `
    :host { display: block; margin: 8px 0; }
    .buttons { display: flex; gap: 8px; }
    .status { margin: 0 0 6px; padding: 6px 10px; border-radius: 6px; background: var(--hover); display: flex; gap: 8px; align-items: center; justify-content: space-between; }
    .panel { margin-top: 8px; padding: 10px; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
    h3 { margin: 6px 0; font-size: 12px; text-transform: uppercase; color: var(--muted); }
    ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
    li { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
    .pair { display: flex; gap: 4px; }
    .head { display: flex; justify-content: space-between; align-items: center; }
    .full { opacity: 0.7; }
  `,
})
export class Handover {
  private readonly api = inject(Api);
  private readonly session = inject(Session);
  private readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t;
  protected readonly text = this.i18n.text;
  readonly interaction = input.required<InteractionPayload>();
  protected readonly me = computed(() => this.session.agent()?.id ?? null);
  protected readonly open = signal(false);
  protected readonly loading = signal(false);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  private readonly allQueues = signal<QueueOption[]>([]);
  protected readonly agents = signal<AgentOption[]>([]);
  private readonly names = signal<ReadonlyMap<string, string>>(new Map());
  protected readonly queues = computed(() => this.allQueues().filter((q) => q.channel === this.interaction().channel));
  /** A transfer or invitation the other agent declined (or let time out): the interaction stayed with us. */
  protected readonly declined = signal<{ interactionId: string; agentId: string; kind: 'transfer' | 'conference' } | null>(null);

  constructor() {
    const off = inject(AgentSocket).on('transfer.declined', (m) => {
      if (m.interactionId === this.interaction().id) this.declined.set({ interactionId: m.interactionId, agentId: m.agentId, kind: m.kind });
    });
    inject(DestroyRef).onDestroy(off);
  }

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected agentName(id: string | null): string {
    return (id && this.names().get(id)) || this.t('handover.anotherAgent');
  }

  protected async toggle(): Promise<void> {
    this.open.update((o) => !o);
    if (this.open()) await this.load();
  }

  protected async load(): Promise<void> {
    this.error.set(null);
    this.loading.set(true);
    const id = this.interaction().id;
    try {
      const r = await this.api.get<TransferTargets>(`/api/routing/transfer-targets?interactionId=${encodeURIComponent(id)}`);
      if (this.interaction().id !== id) return;
      this.names.update((m) => new Map([...m, ...r.agents.map((a) => [a.id, a.displayName] as const)]));
      this.allQueues.set(r.queues);
      this.agents.set(r.agents.filter((a) => a.id !== this.me()).sort((a, b) => Number(b.canTake) - Number(a.canTake) || a.displayName.localeCompare(b.displayName)));
    } catch (err) {
      this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      this.loading.set(false);
    }
  }

  protected transfer(to: { toQueue?: string; toAgent?: string }): Promise<void> {
    return this.run(() => this.api.post(`/api/interactions/${this.interaction().id}/transfer`, to));
  }

  protected conference(agentId: string): Promise<void> {
    return this.run(() => this.api.post(`/api/interactions/${this.interaction().id}/conference`, { agentId }));
  }

  protected endConference(): Promise<void> {
    return this.run(() => this.api.delete(`/api/interactions/${this.interaction().id}/conference`));
  }

  private async run(call: () => Promise<unknown>): Promise<void> {
    if (this.busy()) return;
    this.busy.set(true);
    this.declined.set(null);
    this.error.set(null);
    try {
      // The list follows from the events that come after (updated, or removed once it has left us).
      await call();
      this.open.set(false);
    } catch (err) {
      this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      this.busy.set(false);
    }
  }
}
