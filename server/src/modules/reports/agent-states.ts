import type { DataSource } from 'typeorm';
import type { AgentStateFigures } from '@switchboard/protocol';
import type { AgentReportQuery } from './schema.js';

const round = (v: number) => Math.round(v * 1000) / 1000;

/**
 * From the agents' recorded state history: the state each agent was in when the period began (its
 * last change before) and every change within, each lasting until the next change, cut to the
 * period and to now.
 */
export async function agentStatesReport(db: DataSource, q: AgentReportQuery, now: Date): Promise<AgentStateFigures[]> {
  const end = new Date(Math.min(q.toAt.getTime(), now.getTime()));
  if (end <= q.fromAt) return [];
  const one = q.agent ? ' AND c.agentId = ?' : '';
  const params: unknown[] = [q.fromAt];
  if (q.agent) params.push(q.agent);
  params.push(q.fromAt, end);
  if (q.agent) params.push(q.agent);
  params.push(q.fromAt, end, end);
  // One index dive per agent for its state at the start, instead of scanning all earlier history.
  const rows: { agentId: string; name: string; state: string; reason: string | null; seconds: string | number }[] = await db.query(
    `WITH startRows AS (
       SELECT (SELECT c.seq FROM agent_state_changes c WHERE c.agentId = a.id AND c.at < ? ORDER BY c.at DESC, c.seq DESC LIMIT 1) AS seq
         FROM agents a WHERE 1 = 1${one.replace('c.agentId', 'a.id')}
     ), changes AS (
       SELECT c.agentId, c.seq, c.state, c.reason, c.at FROM agent_state_changes c JOIN startRows s ON s.seq = c.seq
       UNION ALL
       SELECT c.agentId, c.seq, c.state, c.reason, c.at FROM agent_state_changes c WHERE c.at >= ? AND c.at < ?${one}
     ), segments AS (
       SELECT agentId, state, reason, GREATEST(at, ?) AS s, LEAST(COALESCE(LEAD(at) OVER (PARTITION BY agentId ORDER BY at, seq), ?), ?) AS e FROM changes
     )
     SELECT g.agentId, a.displayName AS name, g.state, g.reason, SUM(TIMESTAMPDIFF(MICROSECOND, g.s, g.e)) / 1000000 AS seconds
       FROM segments g JOIN agents a ON a.id = g.agentId
      WHERE g.e > g.s AND g.state <> 'logged-out'
      GROUP BY g.agentId, a.displayName, g.state, g.reason`,
    params,
  );
  const byAgent = new Map<string, AgentStateFigures>();
  for (const r of rows) {
    const f = byAgent.get(r.agentId) ?? { agentId: r.agentId, name: r.name, loggedIn: 0, available: 0, busy: 0, wrapUp: 0, rona: 0, notReady: 0, notReadyByReason: {}, occupancy: null };
    byAgent.set(r.agentId, f);
    const s = Number(r.seconds);
    f.loggedIn += s;
    if (r.state === 'available') f.available += s;
    else if (r.state === 'busy') f.busy += s;
    else if (r.state === 'wrap-up') f.wrapUp += s;
    else if (r.state === 'rona') f.rona += s;
    else if (r.state === 'not-ready') {
      f.notReady += s;
      f.notReadyByReason[r.reason ?? ''] = (f.notReadyByReason[r.reason ?? ''] ?? 0) + s;
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
