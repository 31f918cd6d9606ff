import type { DataSource, QueryRunner } from 'typeorm';
import type { AgentStateFigures } from '@switchboard/protocol';
import type { AgentReportQuery } from './schema.js';
import { splitPeriod } from './hours.js';

const round = (v: number) => Math.round(v * 1000) / 1000;

/** Milliseconds an agent spent in a state (and Not-ready reason, '' for none). */
interface StateTime {
  agentId: string;
  state: string;
  reason: string;
  ms: number;
}

/**
 * The agents' state segments over [from, to): the state each agent was in when it began (its last
 * change before) and every change within, each lasting until the next change, cut to [from, to).
 * Params: from, [agent], from, to, [agent], from, to, to.
 */
function segmentsSql(agent: boolean): string {
  const one = agent ? ' AND c.agentId = ?' : '';
  // One index dive per agent for its state at the start, instead of scanning all earlier history.
  return `startRows AS (
       SELECT (SELECT c.seq FROM agent_state_changes c WHERE c.agentId = a.id AND c.at < ? ORDER BY c.at DESC, c.seq DESC LIMIT 1) AS seq
         FROM agents a WHERE 1 = 1${one.replace('c.agentId', 'a.id')}
     ), changes AS (
       SELECT c.agentId, c.seq, c.state, c.reason, c.at FROM agent_state_changes c JOIN startRows s ON s.seq = c.seq
       UNION ALL
       SELECT c.agentId, c.seq, c.state, c.reason, c.at FROM agent_state_changes c WHERE c.at >= ? AND c.at < ?${one}
     ), segments AS (
       SELECT agentId, state, COALESCE(reason, '') AS reason, GREATEST(at, ?) AS s, LEAST(COALESCE(LEAD(at) OVER (PARTITION BY agentId ORDER BY at, seq), ?), ?) AS e FROM changes
     )`;
}
const segmentParams = (from: Date, to: Date, agent?: string) => (agent ? [from, agent, from, to, agent, from, to, to] : [from, from, to, from, to, to]);

async function fromRecords(db: DataSource, from: Date, to: Date, agent?: string): Promise<StateTime[]> {
  const rows: Record<string, unknown>[] = await db.query(
    `WITH ${segmentsSql(!!agent)}
     SELECT agentId, state, reason, SUM(TIMESTAMPDIFF(MICROSECOND, s, e) DIV 1000) AS ms FROM segments
      WHERE e > s AND state <> 'logged-out' GROUP BY agentId, state, reason`,
    segmentParams(from, to, agent),
  );
  return rows.map((r) => ({ agentId: String(r.agentId), state: String(r.state), reason: String(r.reason), ms: Number(r.ms) }));
}

/** Replaces the agents' hourly state times of [a, b) (whole hours, inside the caller's transaction). */
export async function buildAgentHours(qr: QueryRunner, a: Date, b: Date): Promise<void> {
  await qr.query('DELETE FROM report_agent_hours WHERE hour >= ? AND hour < ?', [a, b]);
  await qr.query(
    `INSERT INTO report_agent_hours (hour, agentId, state, reason, ms)
     WITH RECURSIVE hours AS (SELECT CAST(? AS DATETIME) AS h UNION ALL SELECT h + INTERVAL 1 HOUR FROM hours WHERE h + INTERVAL 1 HOUR < ?),
     ${segmentsSql(false)}
     SELECT hours.h, g.agentId, g.state, g.reason, SUM(TIMESTAMPDIFF(MICROSECOND, GREATEST(g.s, hours.h), LEAST(g.e, hours.h + INTERVAL 1 HOUR)) DIV 1000)
       FROM segments g JOIN hours ON hours.h < g.e AND hours.h + INTERVAL 1 HOUR > g.s
      WHERE g.e > g.s AND g.state <> 'logged-out'
      GROUP BY hours.h, g.agentId, g.state, g.reason`,
    [a, b, ...segmentParams(a, b)],
  );
}

/**
 * Each agent's time by state over the period, cut to now: whole clean hours from the hourly
 * buckets, the rest from the state history (all of it with `useBuckets` false: the reference).
 */
export async function agentStatesReport(db: DataSource, q: AgentReportQuery, now: Date, useBuckets = true): Promise<AgentStateFigures[]> {
  const end = new Date(Math.min(q.toAt.getTime(), now.getTime()));
  if (end <= q.fromAt) return [];
  const { buckets, raw } = useBuckets ? await splitPeriod(db, q.fromAt, end) : { buckets: [], raw: [[q.fromAt, end]] as [Date, Date][] };
  const times: StateTime[] = [];
  if (buckets.length) {
    const rows: Record<string, unknown>[] = await db.query(
      `SELECT agentId, state, reason, SUM(ms) AS ms FROM report_agent_hours
        WHERE (${buckets.map(() => '(hour >= ? AND hour < ?)').join(' OR ')})${q.agent ? ' AND agentId = ?' : ''} GROUP BY agentId, state, reason`,
      [...buckets.flat(), ...(q.agent ? [q.agent] : [])],
    );
    for (const r of rows) times.push({ agentId: String(r.agentId), state: String(r.state), reason: String(r.reason), ms: Number(r.ms) });
  }
  for (const [a, b] of raw) times.push(...(await fromRecords(db, a, b, q.agent)));
  const ids = [...new Set(times.map((t) => t.agentId))];
  const names = new Map<string, string>(
    ids.length ? (await db.query(`SELECT id, displayName FROM agents WHERE id IN (${ids.map(() => '?').join(', ')})`, ids)).map((r: { id: string; displayName: string }) => [r.id, r.displayName]) : [],
  );
  const byAgent = new Map<string, AgentStateFigures>();
  for (const t of times) {
    const f = byAgent.get(t.agentId) ?? { agentId: t.agentId, name: names.get(t.agentId) ?? t.agentId, loggedIn: 0, available: 0, busy: 0, wrapUp: 0, rona: 0, notReady: 0, notReadyByReason: {}, occupancy: null };
    byAgent.set(t.agentId, f);
    const s = t.ms / 1000;
    f.loggedIn += s;
    if (t.state === 'available') f.available += s;
    else if (t.state === 'busy') f.busy += s;
    else if (t.state === 'wrap-up') f.wrapUp += s;
    else if (t.state === 'rona') f.rona += s;
    else if (t.state === 'not-ready') {
      f.notReady += s;
      f.notReadyByReason[t.reason] = (f.notReadyByReason[t.reason] ?? 0) + s;
    }
  }
  return [...byAgent.values()]
    .map((f) => {
      const worked = f.busy + f.wrapUp;
      const ready = worked + f.available;
      const reasons = Object.fromEntries(Object.entries(f.notReadyByReason).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, round(v)]));
      return {
        ...f,
        loggedIn: round(f.loggedIn), available: round(f.available), busy: round(f.busy), wrapUp: round(f.wrapUp), rona: round(f.rona), notReady: round(f.notReady),
        notReadyByReason: reasons,
        occupancy: ready > 0 ? round(worked / ready) : null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.agentId.localeCompare(b.agentId));
}
