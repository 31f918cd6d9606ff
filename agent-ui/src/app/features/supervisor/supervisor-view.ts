import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, signal, untracked } from '@angular/core';
import type { AgentList, AgentStateName, ChannelName, InteractionDetail, LiveAgentList, LiveAgentPayload, QueueStatsList, QueueStatsPayload } from '@switchboard/protocol';
import { AgentSocket } from '../../core/agent-socket';
import { Api, ApiError } from '../../core/api';
import { Clock } from '../../core/clock';
import { I18n, formatDuration } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { MonitorPanel } from './monitor-panel';

type LiveAgent = LiveAgentPayload;

/** What the agents table needs of an interaction to offer monitoring. */
interface Handled {
  id: string;
  channel: ChannelName;
  customerName: string | null;
}

const SHOWN_STATES: AgentStateName[] = ['available', 'busy', 'not-ready', 'wrap-up', 'rona'];
/** Agents' load is not pushed (only their state is): read again while the view is open. */
const AGENTS_REFRESH_MS = 5000;

/**
 * Supervisors: every queue live (pushed every 2 s after `queues.watch`), every logged-in agent
 * with state and load, and silent monitoring of a chat with notes its agent alone receives.
 */
@Component({
  selector: 'sb-supervisor-view',
  imports: [MonitorPanel],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './supervisor-view.html',
  styleUrl: './supervisor-view.css',
})
export class SupervisorView {
  private readonly api = inject(Api);
  private readonly socket = inject(AgentSocket);
  private readonly clock = inject(Clock);
  private readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t;
  /** Queue names may be given per language in the configuration. */
  protected readonly text = this.i18n.text;
  protected readonly states = SHOWN_STATES;

  protected readonly queues = signal<QueueStatsPayload[]>([]);
  private readonly live = signal<LiveAgent[]>([]);
  private readonly names = signal<ReadonlyMap<string, string>>(new Map());
  private readonly handled = signal<ReadonlyMap<string, Handled>>(new Map());
  protected readonly error = signal<string | null>(null);
  protected readonly monitored = signal<Handled | null>(null);

  protected readonly agents = computed(() =>
    this.live()
      .filter((a) => a.status.state !== 'logged-out')
      .map((a) => ({
        id: a.agentId,
        name: this.names().get(a.agentId) ?? a.agentId,
        status: a.status,
        // `total` is the sum the server keeps beside the channels, not a channel.
        load: Object.entries(a.capacity).filter(([ch, cap]) => ch !== 'total' && cap > 0).map(([ch, cap]) => ({ channel: ch, used: a.load[ch] ?? 0, cap })),
        interactions: a.interactions.map((id) => this.handled().get(id) ?? { id, channel: null, customerName: null }),
      }))
      .sort((x, y) => x.name.localeCompare(y.name)),
  );

  constructor() {
    const offs = [
      this.socket.on('queue.stats', (m) => this.queues.set(m.queues)),
      // Supervisors receive every agent's state changes: the table follows them at once.
      this.socket.on('agent.state', (m) => this.live.update((list) => list.map((a) => (a.agentId === m.status.agentId ? { ...a, status: m.status } : a)))),
    ];
    // Statistics flow to this socket after `queues.watch`; a reconnected socket must ask again.
    effect(() => {
      if (this.socket.state() === 'online') untracked(() => this.socket.send({ type: 'queues.watch' }));
    });
    void this.loadQueues();
    void this.loadAgents();
    const timer = setInterval(() => void this.loadAgents(), AGENTS_REFRESH_MS);
    inject(DestroyRef).onDestroy(() => {
      clearInterval(timer);
      for (const off of offs) off();
    });
  }

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected wait(seconds: number | null): string {
    return seconds === null ? '—' : formatDuration(seconds * 1000);
  }

  protected inState(since: string): string {
    const at = Date.parse(since);
    return at > 0 ? formatDuration(this.clock.now() - at) : '';
  }

  private async loadQueues(): Promise<void> {
    try {
      this.queues.set((await this.api.get<QueueStatsList>('/api/routing/queues')).queues);
    } catch (err) {
      this.error.set(err instanceof ApiError ? err.message : String(err));
    }
  }

  protected async loadAgents(): Promise<void> {
    try {
      const [live, all] = await Promise.all([
        this.api.get<LiveAgentList>('/api/routing/agents'),
        this.names().size ? null : this.api.get<AgentList>('/api/agents'),
      ]);
      if (all) this.names.set(new Map(all.agents.map((a) => [a.id, a.name])));
      this.live.set(live.agents);
      this.error.set(null);
      await this.describe(live.agents.flatMap((a) => a.interactions));
    } catch (err) {
      this.error.set(err instanceof ApiError ? err.message : String(err));
    }
  }

  /** Channel and customer of interactions not seen yet, so chats can be told apart and monitored. */
  private async describe(ids: string[]): Promise<void> {
    const fresh = ids.filter((id) => !this.handled().has(id));
    const found = await Promise.all(
      fresh.map((id) =>
        this.api.get<InteractionDetail>(`/api/interactions/${encodeURIComponent(id)}`).then(
          (r) => ({ id, channel: r.interaction.channel, customerName: r.interaction.customerName }),
          () => null,
        ),
      ),
    );
    const add = found.filter((h) => h !== null);
    if (add.length) this.handled.update((m) => new Map([...m, ...add.map((h) => [h.id, h] as const)]));
  }

  protected monitor(h: { id: string; channel: ChannelName | null; customerName: string | null }): void {
    if (h.channel !== 'chat') return;
    this.monitored.set({ id: h.id, channel: h.channel, customerName: h.customerName });
  }
}
