import type { DataSource } from 'typeorm';
import type { AgentReport, CallbackFigures, InteractionReport } from '@switchboard/protocol';
import { Interaction } from '../interactions/index.js';
import { textIn, type Config } from '../../kernel/config/schema.js';
import { EMPTY_FIGURES, figuresOfRow } from './figures.js';
import { interactionReportSql } from './interaction-sql.js';
import { agentStatesReport } from './agent-states.js';
import { callbackReport } from './callbacks.js';
import type { AgentReportQuery, CallbackReportQuery, InteractionReportQuery, RawListQuery } from './schema.js';


const DEFAULT_THRESHOLD = 20;
const RAW_LIMIT = 100_000;

/**
 * Reports computed in SQL from what is recorded — interactions, their journey, messages, the agents'
 * state history, callbacks and their attempts — the only source of truth; nothing is kept twice.
 */
export class ReportsService {
  constructor(
    private readonly db: DataSource,
    private readonly config: () => Config,
  ) {}

  async interactions(q: InteractionReportQuery): Promise<InteractionReport> {
    const cfg = this.config();
    const thresholds = new Map(cfg.queues.map((x) => [x.id, x.serviceLevelSeconds ?? DEFAULT_THRESHOLD]));
    const run = async (key: Parameters<typeof interactionReportSql>[1]) => {
      const { sql, params } = interactionReportSql(q, key, thresholds, DEFAULT_THRESHOLD);
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

  async agents(q: AgentReportQuery, now = new Date()): Promise<AgentReport> {
    const agents = await agentStatesReport(this.db, q, now);
    return { from: q.fromAt.toISOString(), to: q.toAt.toISOString(), agents };
  }

  async callbacks(q: CallbackReportQuery): Promise<{ from: string; to: string; groups: (CallbackFigures & { key: string; name: string })[]; total: CallbackFigures }> {
    const { groups, total } = await callbackReport(this.db, q);
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
