import type { InteractionGroup, Interval, RawListQuery } from './schema.js';

/** A column of the report, worked out per interaction (seconds; NULL when it does not apply). */
const MEASURES = ['toAnswer', 'handle', 'abandonedAfter', 'wrapUp', 'firstResponse', 'resolution'] as const;
export type Measure = (typeof MEASURES)[number];

const KEYS: Record<InteractionGroup | Interval, string> = {
  queue: 'i.queueId',
  channel: 'i.channel',
  agent: 'i.assignedAgentId',
  website: 'i.websiteId',
  // Buckets in UTC, named by the ISO time they start at.
  hour: "DATE_FORMAT(i.queuedAt, '%Y-%m-%dT%H:00:00.000Z')",
  day: "DATE_FORMAT(i.queuedAt, '%Y-%m-%dT00:00:00.000Z')",
};

/** The columns of `base`, in order (the state changes fill them with NULL in the stream). */
const BASE_COLUMNS = ['id', 'k', 'state', 'unmanaged', 'assignedAgentId', 'closedAt', 'threshold', 'toAnswer', 'handle', 'abandonedAfter', 'transferred', 'wrapPlanned', 'firstResponse', 'resolution', 'csat'];
/** Longer wrap-ups than this are not looked for past the period's end. */
const MAX_WRAP_MS = 86_400_000;
const secs = (a: string, b: string) => `TIMESTAMPDIFF(MICROSECOND, ${a}, ${b}) / 1000000`;

/**
 * One statement per report: the interactions queued in the period, each with its measures, then
 * grouped WITH ROLLUP (the NULL key row is the total). Percentiles are nearest-rank, from row
 * numbers over each group and over everything, so MySQL 8 and MariaDB compute the same.
 *
 * - answered: assigned to an agent; abandoned: the customer left before any agent took it;
 *   unmanaged: ended in the queue (no agent, out of hours, max wait); transferred: at least one
 *   transfer in its journey.
 * - wrap-up: from the close to the end of its wrap-up — as planned in the journey's `closed` step,
 *   or earlier when the agent's state history shows them Available, Not ready or logged out.
 * - first response (chat, mail): from queueing to the first agent message; resolution: to the close.
 * - CSAT: the customer's rating 1–5 (feedback's csat_ratings), its average and the share of 4 and 5.
 */
export function interactionReportSql(q: RawListQuery, key: InteractionGroup | Interval, thresholds: Map<string, number>, fallbackThreshold: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const where = ['i.queuedAt >= ?', 'i.queuedAt < ?'];
  params.push(q.fromAt, q.toAt);
  for (const [field, column] of [['queue', 'i.queueId'], ['channel', 'i.channel'], ['agent', 'i.assignedAgentId'], ['website', 'i.websiteId']] as const) {
    if (q[field] !== undefined) {
      where.push(`${column} = ?`);
      params.push(q[field]);
    }
  }
  const thresholdParams: unknown[] = [];
  const threshold = thresholds.size
    ? `CASE i.queueId ${[...thresholds].map(([id, s]) => (thresholdParams.push(id, s), 'WHEN ? THEN ?')).join(' ')} ELSE ${Number(fallbackThreshold)} END`
    : String(Number(fallbackThreshold));
  const typed = "i.channel IN ('chat', 'mail')";
  const base = `
    SELECT i.id, COALESCE(${KEYS[key]}, '') AS k, i.state, i.unmanaged, i.assignedAgentId, i.closedAt, ${threshold} AS threshold,
      CASE WHEN i.assignedAt IS NOT NULL THEN ${secs('i.queuedAt', 'i.assignedAt')} END AS toAnswer,
      CASE WHEN i.assignedAt IS NOT NULL AND i.closedAt IS NOT NULL THEN ${secs('i.assignedAt', 'i.closedAt')} END AS handle,
      CASE WHEN i.assignedAt IS NULL AND i.state = 'abandoned' THEN COALESCE(${secs('i.queuedAt', 'i.closedAt')}, 0) END AS abandonedAfter,
      EXISTS (SELECT 1 FROM interaction_events t WHERE t.interactionId = i.id AND t.type = 'transferred') AS transferred,
      CASE WHEN i.state = 'closed' AND i.assignedAgentId IS NOT NULL THEN
        (SELECT STR_TO_DATE(JSON_VALUE(e.data, '$.wrapUpUntil'), '%Y-%m-%dT%H:%i:%s.%fZ') FROM interaction_events e
          WHERE e.interactionId = i.id AND e.type = 'closed' ORDER BY e.seq DESC LIMIT 1) END AS wrapPlanned,
      CASE WHEN ${typed} THEN
        (SELECT ${secs('i.queuedAt', 'MIN(m.createdAt)')} FROM messages m WHERE m.interactionId = i.id AND m.authorKind = 'agent') END AS firstResponse,
      CASE WHEN ${typed} AND i.state = 'closed' THEN ${secs('i.queuedAt', 'i.closedAt')} END AS resolution,
      (SELECT r.rating FROM csat_ratings r WHERE r.interactionId = i.id) AS csat
    FROM interactions i WHERE ${where.join(' AND ')}`;
  // The next change out of wrap-up after each close, found in one pass over the period's state
  // changes (a correlated lookup per interaction walked each agent's whole history): closes and
  // changes in one stream per agent, numbered backwards by changes seen, so a close shares its
  // number with the first change at or after it.
  const endParams = [q.fromAt, new Date(q.toAt.getTime() + MAX_WRAP_MS)];
  // Base rows and state changes go in one stream (no join: MariaDB joins derived tables by nested loops).
  const nulls = BASE_COLUMNS.map(() => 'NULL').join(', ');
  const withWrap = `
    ends AS (SELECT c.agentId, c.at FROM agent_state_changes c WHERE c.at >= ? AND c.at < ? AND c.state IN ('available', 'not-ready', 'logged-out')),
    stream AS (
      SELECT b.*, b.assignedAgentId AS agentKey, b.closedAt AS streamAt, 0 AS isEnd FROM base b
      UNION ALL SELECT ${nulls}, agentId, at, 1 FROM ends),
    numbered AS (SELECT s.*, SUM(isEnd) OVER (PARTITION BY agentKey ORDER BY streamAt DESC, isEnd DESC ROWS UNBOUNDED PRECEDING) AS g FROM stream s),
    nexts AS (SELECT numbered.*, MAX(CASE WHEN isEnd = 1 THEN streamAt END) OVER (PARTITION BY agentKey, g) AS nextEnd FROM numbered),
    measured AS (
      SELECT nexts.*, CASE WHEN wrapPlanned IS NOT NULL THEN ${secs('closedAt', 'LEAST(wrapPlanned, COALESCE(nextEnd, wrapPlanned))')} END AS wrapUp
        FROM nexts WHERE isEnd = 0)`;
  // Ranks per group and over everything are taken in two steps: MariaDB 10.11 numbered rows wrongly
  // when windows with and without PARTITION BY shared one SELECT.
  const ranks = MEASURES.map((m) => `ROW_NUMBER() OVER (PARTITION BY k ORDER BY ${m} IS NULL, ${m}) AS ${m}Rank, COUNT(${m}) OVER (PARTITION BY k) AS ${m}Count`);
  const ranksAll = MEASURES.map((m) => `ROW_NUMBER() OVER (ORDER BY ${m} IS NULL, ${m}) AS ${m}RankAll, COUNT(${m}) OVER () AS ${m}CountAll`);
  const p90 = (m: Measure) =>
    `MAX(CASE WHEN ${m}Rank = CEIL(0.9 * ${m}Count) THEN ${m} END) AS ${m}P90, MAX(CASE WHEN ${m}RankAll = CEIL(0.9 * ${m}CountAll) THEN ${m} END) AS ${m}P90All`;
  const sql = `
    WITH base AS (${base}), ${withWrap},
      grouped AS (SELECT measured.*, ${ranks.join(', ')} FROM measured),
      ranked AS (SELECT grouped.*, ${ranksAll.join(', ')} FROM grouped)
    SELECT k, COUNT(*) AS offered, COUNT(toAnswer) AS answered, COUNT(abandonedAfter) AS abandoned,
      SUM(unmanaged = 1 OR state = 'unmanaged') AS unmanaged, SUM(transferred) AS transferred,
      SUM(toAnswer IS NOT NULL AND toAnswer <= threshold) AS answeredWithinThreshold,
      COUNT(csat) AS rated, AVG(csat) AS csatAvg, SUM(csat >= 4) AS ratedSatisfied,
      ${MEASURES.map((m) => `AVG(${m}) AS ${m}Avg, ${p90(m)}`).join(',\n      ')}
    FROM ranked GROUP BY k WITH ROLLUP`;
  return { sql, params: [...thresholdParams, ...params, ...endParams] };
}

export { MEASURES };
