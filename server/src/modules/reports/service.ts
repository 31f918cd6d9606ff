import type { DataSource } from 'typeorm';
import type { AgentReport, AnswerDistribution, CallbackFigures, InteractionReport } from '@switchboard/protocol';
import { Interaction } from '../interactions/index.js';
import { textIn, type Config } from '../../kernel/config/schema.js';
import { EMPTY_FIGURES, figuresOfRow, figuresOfTotals } from './figures.js';
import { addTotals, emptyTotals, totalsByKey, type Key } from './read.js';
import type { Thresholds } from './measures.js';
import { interactionReportSql } from './interaction-sql.js';
import { agentStatesReport } from './agent-states.js';
import { callbackReport } from './callbacks.js';
import { answerDistribution } from './distribution.js';
import { systemClock, type Clock } from '../../kernel/clock.js';
import type { AgentReportQuery, CallbackReportQuery, InteractionReportQuery, RawListQuery } from './schema.js';

const DEFAULT_THRESHOLD = 20;
const RAW_LIMIT = 100_000;

/**
 * Reports computed from what is recorded — interactions, their journey, messages, the agents' state
 * history, callbacks and their attempts — the only source of truth; the hourly buckets the
 * interaction report reads are derived from them and rebuilt from them (buckets.ts).
 */
export class ReportsService {
  constructor(
    private readonly db: DataSource,
    private readonly config: () => Config,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The interaction report: whole clean hours from the hourly buckets, the rest from the recorded rows. */
  async interactions(q: InteractionReportQuery): Promise<InteractionReport> {
    const keys: Key[] = q.interval ? [q.groupBy, q.interval] : [q.groupBy];
    const byKey = await totalsByKey(this.db, q, keys, this.thresholds());
    const grouped = byKey.get(q.groupBy)!;
    const total = emptyTotals();
    for (const g of grouped.values()) addTotals(total, g);
    const names = await this.names(q.groupBy, [...grouped.keys()].filter(Boolean));
    const groups = [...grouped]
      .map(([key, g]) => ({ key, name: names.get(key) ?? key, ...figuresOfTotals(g) }))
      .sort((a, b) => a.key.localeCompare(b.key));
    const report: InteractionReport = { from: q.fromAt.toISOString(), to: q.toAt.toISOString(), groups, total: figuresOfTotals(total) };
    if (q.interval) {
      report.series = [...byKey.get(q.interval)!].map(([at, g]) => ({ at, ...figuresOfTotals(g) })).sort((a, b) => a.at.localeCompare(b.at));
    }
    return report;
  }

  /**
   * The same report computed from the recorded rows alone, percentiles exact: the reference the
   * buckets are checked against (and a way to see both agree on a live system).
   */
  async interactionsFromRecords(q: InteractionReportQuery): Promise<InteractionReport> {
    const run = async (key: Key) => {
      const { sql, params } = interactionReportSql(q, key, this.thresholds());
      return (await this.db.query(sql, params)) as Record<string, unknown>[];
    };
    const rows = await run(q.groupBy);
    const names = await this.names(q.groupBy, rows.map((r) => r.k as string | null).filter((k): k is string => !!k));
    const groups = rows
      .filter((r) => r.k !== null)
      .map((r) => ({ key: r.k as string, name: names.get(r.k as string) ?? (r.k as string), ...figuresOfRow(r, false) }))
      .sort((a, b) => a.key.localeCompare(b.key));
    const totalRow = rows.find((r) => r.k === null);
    const report: InteractionReport = { from: q.fromAt.toISOString(), to: q.toAt.toISOString(), groups, total: totalRow ? figuresOfRow(totalRow, true) : EMPTY_FIGURES };
    if (q.interval) {
      report.series = (await run(q.interval))
        .filter((r) => r.k !== null)
        .map((r) => ({ at: r.k as string, ...figuresOfRow(r, false) }))
        .sort((a, b) => a.at.localeCompare(b.at));
    }
    return report;
  }

  /** How long the answered interactions of the period waited, as a histogram. */
  async answerDistribution(q: RawListQuery): Promise<AnswerDistribution> {
    return answerDistribution(this.db, q, this.thresholds());
  }

  /** Each queue's service-level threshold (seconds). */
  thresholds(): Thresholds {
    return { byQueue: new Map(this.config().queues.map((x) => [x.id, x.serviceLevelSeconds ?? DEFAULT_THRESHOLD])), fallback: DEFAULT_THRESHOLD };
  }

  async raw(q: RawListQuery): Promise<Interaction[]> {
    const qb = this.db
      .getRepository(Interaction)
      .createQueryBuilder('i')
      .where('i.queuedAt >= :from AND i.queuedAt < :to', { from: q.fromAt, to: q.toAt });
    if (q.queue) qb.andWhere('i.queueId = :queue', { queue: q.queue });
    if (q.channel) qb.andWhere('i.channel = :channel', { channel: q.channel });
    if (q.agent) qb.andWhere('i.assignedAgentId = :agent', { agent: q.agent });
    if (q.website) qb.andWhere('i.websiteId = :website', { website: q.website });
    return qb.orderBy('i.queuedAt', 'ASC').addOrderBy('i.id', 'ASC').take(RAW_LIMIT).getMany();
  }

  async agents(q: AgentReportQuery, now = this.clock.now()): Promise<AgentReport> {
    const agents = await agentStatesReport(this.db, q, now);
    return { from: q.fromAt.toISOString(), to: q.toAt.toISOString(), agents };
  }

  /** The agents report from the state history alone (the reference for the buckets). */
  async agentsFromRecords(q: AgentReportQuery, now = new Date()): Promise<AgentReport> {
    const agents = await agentStatesReport(this.db, q, now, false);
    return { from: q.fromAt.toISOString(), to: q.toAt.toISOString(), agents };
  }

  async callbacks(q: CallbackReportQuery): Promise<{ from: string; to: string; groups: (CallbackFigures & { key: string; name: string })[]; total: CallbackFigures }> {
    return this.callbacksReport(q, true);
  }

  /** The callbacks report from the rows alone (the reference for the buckets). */
  async callbacksFromRecords(q: CallbackReportQuery): Promise<{ from: string; to: string; groups: (CallbackFigures & { key: string; name: string })[]; total: CallbackFigures }> {
    return this.callbacksReport(q, false);
  }

  private async callbacksReport(q: CallbackReportQuery, useBuckets: boolean): Promise<{ from: string; to: string; groups: (CallbackFigures & { key: string; name: string })[]; total: CallbackFigures }> {
    const { groups, total } = await callbackReport(this.db, q, useBuckets);
    const names = await this.names('queue', groups.map((g) => g.key));
    return { from: q.fromAt.toISOString(), to: q.toAt.toISOString(), groups: groups.map((g) => ({ ...g, name: names.get(g.key) ?? g.key })), total };
  }

  /** Display names of group keys: queues and websites from the configuration, agents from the database. */
  private async names(by: InteractionReportQuery['groupBy'], keys: string[]): Promise<Map<string, string>> {
    const cfg = this.config();
    if (by === 'queue') return new Map(cfg.queues.map((x) => [x.id, textIn(x.name)]));
    if (by === 'website') return new Map(cfg.websites.map((w) => [w.id, w.name]));
    if (by === 'agent' && keys.length) {
      const rows: { id: string; displayName: string }[] = await this.db.query(`SELECT id, displayName FROM agents WHERE id IN (${keys.map(() => '?').join(',')})`, keys);
      return new Map(rows.map((r) => [r.id, r.displayName]));
    }
    return new Map();
  }
}
