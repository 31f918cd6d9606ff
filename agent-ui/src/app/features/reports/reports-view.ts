import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import type { ChartConfiguration } from 'chart.js';
import type { AgentList, AgentReport, AnswerDistribution, CallbackReport, InteractionReport, QueueStatsList } from '@switchboard/protocol';
import { Api, ApiError } from '../../core/api';
import { I18n } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { ChartView } from './chart';
import {
  AGENT_STATES, CALLBACK_OUTCOMES, CHANNELS, GROUPS, INTERVALS, OUTCOMES, PRESETS, TIMES, binLabel, bucketLabel, filterQuery, percent, presetPeriod, rating, reportQuery, seconds,
  type FilterField, type GroupBy, type Interval, type Preset, type ReportFilter,
} from './report-models';

const COLORS = { distribution: '#0d9488', offered: '#2563eb', answered: '#16a34a', abandoned: '#dc2626', unmanaged: '#9ca3af', avg: '#2563eb', p90: '#f59e0b', csat: '#8b5cf6' };
const CALLBACK_COLORS: Record<(typeof CALLBACK_OUTCOMES)[number], string> = {
  reachedFirstAttempt: '#16a34a', reachedAfterRetries: '#86efac', unreached: '#f59e0b', failed: '#dc2626', cancelled: '#9ca3af', pending: '#2563eb',
};
const STATE_COLORS: Record<(typeof AGENT_STATES)[number], string> = { available: '#16a34a', busy: '#2563eb', wrapUp: '#8b5cf6', rona: '#dc2626', notReady: '#9ca3af' };

/**
 * Reports for supervisors and admins over a period: a series of what was offered, answered and
 * abandoned, outcomes and times per queue, channel, agent or website, and the agents' time by
 * state; the table behind each chart, and each as CSV from the server.
 */
@Component({
  selector: 'sb-reports-view',
  imports: [ChartView],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './reports-view.html',
  styleUrl: './reports-view.css',
})
export class ReportsView {
  private readonly api = inject(Api);
  private readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t;
  protected readonly presets = PRESETS;
  protected readonly groups = GROUPS;
  protected readonly intervals = INTERVALS;
  protected readonly outcomes = OUTCOMES;
  protected readonly times = TIMES;
  protected readonly agentStates = AGENT_STATES;
  protected readonly callbackOutcomes = CALLBACK_OUTCOMES;
  protected readonly channels = CHANNELS;
  protected readonly rating = rating;
  protected readonly seconds = seconds;
  protected readonly percent = percent;

  protected readonly filter = signal<ReportFilter>({ ...presetPeriod('week', new Date()), groupBy: 'queue', interval: 'day' });
  protected readonly preset = signal<Preset | null>('week');
  protected readonly report = signal<InteractionReport | null>(null);
  protected readonly agents = signal<AgentReport | null>(null);
  protected readonly callbacks = signal<CallbackReport | null>(null);
  protected readonly distribution = signal<AnswerDistribution | null>(null);
  /** What the filters offer: every queue and agent; the websites that had interactions in the period. */
  protected readonly queueOptions = signal<{ id: string; name: string }[]>([]);
  protected readonly agentOptions = signal<{ id: string; name: string }[]>([]);
  protected readonly websiteOptions = signal<{ id: string; name: string }[]>([]);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);

  /** The CSV routes take the same query as the JSON ones; the session cookie authorizes the download. */
  protected readonly csv = computed(() => {
    const f = this.filter();
    return {
      groups: `/api/reports/interactions.csv?${reportQuery(f, false)}`,
      series: `/api/reports/interactions.csv?${reportQuery(f, true)}`,
      agents: `/api/reports/agents.csv?${filterQuery(f, ['agent'])}`,
      callbacks: `/api/reports/callbacks.csv?${filterQuery(f, ['queue', 'website'])}`,
      raw: `/api/reports/interactions/raw.csv?${filterQuery(f)}`,
      distribution: `/api/reports/interactions/distribution.csv?${filterQuery(f)}`,
    };
  });

  protected readonly seriesRows = computed(() => {
    const r = this.report();
    const interval = this.filter().interval;
    return (r?.series ?? []).map((p) => ({ ...p, label: bucketLabel(p.at, interval, this.i18n.lang()) }));
  });

  protected readonly seriesChart = computed<ChartConfiguration>(() => {
    const rows = this.seriesRows();
    const line = (k: 'offered' | 'answered' | 'abandoned') => ({ label: this.label('rep.' + k), data: rows.map((p) => p[k]), borderColor: COLORS[k], backgroundColor: COLORS[k], tension: 0.2 });
    // Ratings (1–5) on their own axis on the right, so a busy hour's counts do not flatten them.
    const csat = { label: this.t('rep.csatAvg'), data: rows.map((p) => p.csatAvg), borderColor: COLORS.csat, backgroundColor: COLORS.csat, borderDash: [6, 4], spanGaps: true, yAxisID: 'csat' };
    return {
      type: 'line',
      data: { labels: rows.map((p) => p.label), datasets: [line('offered'), line('answered'), line('abandoned'), csat] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, csat: { position: 'right', min: 1, max: 5, grid: { drawOnChartArea: false } } } },
    };
  });

  protected readonly outcomeChart = computed<ChartConfiguration>(() => {
    const groups = this.report()?.groups ?? [];
    return {
      type: 'bar',
      data: {
        labels: groups.map((g) => this.groupName(g)),
        datasets: OUTCOMES.map((k) => ({ label: this.label('rep.' + k), data: groups.map((g) => g[k]), backgroundColor: COLORS[k] })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    };
  });

  protected readonly timesChart = computed<ChartConfiguration>(() => {
    const total = this.report()?.total;
    const labels = TIMES.map((k) => this.label('rep.time.' + k));
    const of = (suffix: 'Avg' | 'P90') => TIMES.map((k) => total?.[`${k}${suffix}`] ?? null);
    return {
      type: 'bar',
      data: { labels, datasets: [{ label: this.t('rep.avg'), data: of('Avg'), backgroundColor: COLORS.avg }, { label: this.t('rep.p90'), data: of('P90'), backgroundColor: COLORS.p90 }] },
      options: { indexAxis: 'y', scales: { x: { beginAtZero: true, title: { display: true, text: this.t('rep.seconds') } } } },
    };
  });

  protected readonly distributionRows = computed(() =>
    (this.distribution()?.bins ?? []).map((b, n, all) => ({ ...b, label: binLabel(b.upTo, all[n - 1]?.upTo ?? null) })),
  );

  protected readonly distributionChart = computed<ChartConfiguration>(() => {
    const rows = this.distributionRows();
    return {
      type: 'bar',
      data: { labels: rows.map((b) => b.label), datasets: [{ label: this.t('rep.answered'), data: rows.map((b) => b.count), backgroundColor: COLORS.distribution, categoryPercentage: 1, barPercentage: 0.95 }] },
      options: {
        plugins: { legend: { display: false } },
        scales: { x: { title: { display: true, text: this.t('rep.time.timeToAnswer') } }, y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: this.t('rep.answered') } } },
      },
    };
  });

  protected readonly callbacksChart = computed<ChartConfiguration>(() => {
    const groups = this.callbacks()?.groups ?? [];
    return {
      type: 'bar',
      data: {
        labels: groups.map((g) => g.name),
        datasets: CALLBACK_OUTCOMES.map((k) => ({ label: this.label('rep.cb.' + k), data: groups.map((g) => g[k]), backgroundColor: CALLBACK_COLORS[k] })),
      },
      options: { indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } },
    };
  });

  protected readonly agentsChart = computed<ChartConfiguration>(() => {
    const agents = this.agents()?.agents ?? [];
    // Minutes read best over a working day; a short period (under 10 minutes each) in seconds.
    const inMinutes = agents.some((a) => AGENT_STATES.some((s) => a[s] >= 600));
    const unit = (v: number) => (inMinutes ? Math.round(v / 6) / 10 : Math.round(v));
    return {
      type: 'bar',
      data: {
        labels: agents.map((a) => a.name),
        datasets: AGENT_STATES.map((s) => ({ label: this.label('rep.state.' + s), data: agents.map((a) => unit(a[s])), backgroundColor: STATE_COLORS[s] })),
      },
      options: { indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true, title: { display: true, text: this.t(inMinutes ? 'rep.minutes' : 'rep.seconds') } }, y: { stacked: true } } },
    };
  });

  constructor() {
    void this.loadOptions();
    void this.load();
  }

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected groupName(g: { key: string; name: string }): string {
    return this.filter().groupBy === 'channel' ? this.label('channel.' + g.key) : g.name;
  }

  protected pick(preset: Preset): void {
    this.preset.set(preset);
    this.filter.update((f) => ({ ...f, ...presetPeriod(preset, new Date()), interval: preset === 'today' || preset === 'yesterday' ? 'hour' : 'day' }));
    void this.load();
  }

  protected setDate(which: 'from' | 'to', value: string): void {
    if (!value) return;
    this.preset.set(null);
    this.filter.update((f) => ({ ...f, [which]: value }));
    void this.load();
  }

  protected setGroup(value: string): void {
    this.filter.update((f) => ({ ...f, groupBy: value as GroupBy }));
    void this.load();
  }

  protected setFilter(field: FilterField, value: string): void {
    this.filter.update((f) => ({ ...f, [field]: value || undefined }));
    void this.load();
  }

  protected setInterval(value: string): void {
    this.filter.update((f) => ({ ...f, interval: value as Interval }));
    void this.load();
  }

  /** Queues and agents for the filters; a report still loads when they cannot be listed. */
  private async loadOptions(): Promise<void> {
    const [queues, agents] = await Promise.all([
      this.api.get<QueueStatsList>('/api/routing/queues').catch(() => ({ queues: [] })),
      this.api.get<AgentList>('/api/agents').catch(() => ({ agents: [] })),
    ]);
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    this.queueOptions.set(queues.queues.map((q) => ({ id: q.queueId, name: this.i18n.text(q.name) })).sort(byName));
    this.agentOptions.set(agents.agents.map((a) => ({ id: a.id, name: a.name })).sort(byName));
  }

  private loads = 0;
  protected async load(): Promise<void> {
    const f = this.filter();
    const turn = ++this.loads;
    this.loading.set(true);
    try {
      const [report, agents, callbacks, distribution, websites] = await Promise.all([
        this.api.get<InteractionReport>(`/api/reports/interactions?${reportQuery(f, true)}`),
        this.api.get<AgentReport>(`/api/reports/agents?${filterQuery(f, ['agent'])}`),
        this.api.get<CallbackReport>(`/api/reports/callbacks?${filterQuery(f, ['queue', 'website'])}`),
        this.api.get<AnswerDistribution>(`/api/reports/interactions/distribution?${filterQuery(f)}`),
        this.api.get<InteractionReport>(`/api/reports/interactions?${filterQuery(f, [])}&groupBy=website`),
      ]);
      if (turn !== this.loads) return;
      this.report.set(report);
      this.agents.set(agents);
      this.callbacks.set(callbacks);
      this.distribution.set(distribution);
      // The chosen website stays on offer even in a period it had nothing in.
      const chosen = f.website && !websites.groups.some((g) => g.key === f.website) ? [{ id: f.website, name: f.website }] : [];
      this.websiteOptions.set([...websites.groups.filter((g) => g.key).map((g) => ({ id: g.key, name: g.name })), ...chosen]);
      this.error.set(null);
    } catch (err) {
      if (turn !== this.loads) return;
      this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      if (turn === this.loads) this.loading.set(false);
    }
  }
}
