// Each queued interaction with its measures, in milliseconds (NULL when a measure does not apply),
// as SQL: the one definition both the hourly buckets and the reports computed from recorded rows
// use, so the two cannot disagree.

export const MEASURES = ['toAnswer', 'handle', 'abandonedAfter', 'wrapUp', 'firstResponse', 'resolution'] as const;
export type Measure = (typeof MEASURES)[number];

/** Which interactions: queued in any of `ranges` ([from, to)), matching every filter given. */
export interface Selection {
  ranges: [Date, Date][];
  queue?: string;
  channel?: string;
  agent?: string;
  website?: string;
}

export interface Thresholds {
  /** Each queue's service-level threshold in seconds. */
  byQueue: Map<string, number>;
  fallback: number;
}

/** The dimensions a bucket is keyed by, with '' for none. */
export const DIMENSIONS = ['hour', 'queueId', 'channel', 'agentId', 'websiteId'] as const;
/** The columns of `base`, in order (the state changes fill them with NULL in the stream). */
const BASE_COLUMNS = [
  'id', ...DIMENSIONS, 'state', 'unmanaged', 'assignedAgentId', 'closedAt', 'threshold', 'toAnswer', 'handle', 'abandonedAfter',
  'transferred', 'wrapPlanned', 'firstResponse', 'resolution', 'csat',
];
/** Longer wrap-ups than this are not looked for past the period's end. */
const MAX_WRAP_MS = 86_400_000;
const ms = (a: string, b: string) => `TIMESTAMPDIFF(MICROSECOND, ${a}, ${b}) DIV 1000`;

/**
 * The CTEs ending in `measured`: one row per interaction with DIMENSIONS (hour as
 * 'YYYY-MM-DD HH:00:00'), state, threshold (s) and each measure (ms).
 *
 * - time to answer: from the first queueing to the first agent; handle time: from then to the close
 *   (a transfer to an agent or a queue neither restarts the wait nor shortens the handling).
 * - answered: assigned to an agent; abandoned: the customer left before any agent took it;
 *   unmanaged: ended in the queue (no agent, out of hours, max wait); transferred: at least one
 *   transfer in its journey.
 * - wrap-up: from the close to the end of its wrap-up — as planned in the journey's `closed` step,
 *   or earlier when the agent's state history shows them Available, Not ready or logged out.
 * - first response (chat, mail): from queueing to the first agent message; resolution: to the close.
 * - CSAT: the customer's rating 1–5 (feedback's csat_ratings).
 */
export function measuredCtes(s: Selection, t: Thresholds): { ctes: string; params: unknown[] } {
  if (!s.ranges.length) throw new Error('a selection needs at least one range');
  const params: unknown[] = [];
  const where = [`(${s.ranges.map(() => '(i.queuedAt >= ? AND i.queuedAt < ?)').join(' OR ')})`];
  for (const [a, b] of s.ranges) params.push(a, b);
  for (const [field, column] of [['queue', 'i.queueId'], ['channel', 'i.channel'], ['agent', 'i.assignedAgentId'], ['website', 'i.websiteId']] as const) {
    if (s[field] !== undefined) {
      where.push(`${column} = ?`);
      params.push(s[field]);
    }
  }
  const thresholdParams: unknown[] = [];
  const threshold = t.byQueue.size
    ? `CASE i.queueId ${[...t.byQueue].map(([id, sec]) => (thresholdParams.push(id, sec), 'WHEN ? THEN ?')).join(' ')} ELSE ${Number(t.fallback)} END`
    : String(Number(t.fallback));
  const typed = "i.channel IN ('chat', 'mail')";
  // A transfer gives the interaction a new owner (assignedAt) or a new wait (queuedAt); the answer
  // and the handling start at the first of each, as the journey recorded them.
  const firstStep = (type: string, column: string) => `COALESCE((SELECT MIN(e.at) FROM interaction_events e WHERE e.interactionId = i.id AND e.type = '${type}'), ${column})`;
  // An acceptance whose phone never took the call (a customer-first callback's agent leg refused:
  // journey 'requeued', reason agent-not-connected) answered nothing: the answer is the first
  // assignment after the last such requeue, while the wait still starts at the first entry.
  const undone = "(SELECT MAX(r.seq) FROM interaction_events r WHERE r.interactionId = i.id AND r.type = 'requeued' AND JSON_VALUE(r.data, '$.reason') = 'agent-not-connected')";
  const firstAssigned = `COALESCE((SELECT MIN(e.at) FROM interaction_events e WHERE e.interactionId = i.id AND e.type = 'assigned' AND e.seq > COALESCE(${undone}, 0)), i.assignedAt)`;
  const firstQueued = `LEAST(i.queuedAt, ${firstStep('queued', 'i.queuedAt')})`;
  const base = `
    SELECT i.id, DATE_FORMAT(i.queuedAt, '%Y-%m-%d %H:00:00') AS hour, COALESCE(i.queueId, '') AS queueId, i.channel,
      COALESCE(i.assignedAgentId, '') AS agentId, COALESCE(i.websiteId, '') AS websiteId,
      i.state, i.unmanaged, i.assignedAgentId, i.closedAt, ${threshold} AS threshold,
      CASE WHEN i.assignedAt IS NOT NULL THEN ${ms(firstQueued, firstAssigned)} END AS toAnswer,
      CASE WHEN i.assignedAt IS NOT NULL AND i.closedAt IS NOT NULL THEN ${ms(firstAssigned, 'i.closedAt')} END AS handle,
      CASE WHEN i.assignedAt IS NULL AND i.state = 'abandoned' THEN COALESCE(${ms('i.queuedAt', 'i.closedAt')}, 0) END AS abandonedAfter,
      EXISTS (SELECT 1 FROM interaction_events t WHERE t.interactionId = i.id AND t.type = 'transferred') AS transferred,
      CASE WHEN i.state = 'closed' AND i.assignedAgentId IS NOT NULL THEN
        (SELECT STR_TO_DATE(JSON_VALUE(e.data, '$.wrapUpUntil'), '%Y-%m-%dT%H:%i:%s.%fZ') FROM interaction_events e
          WHERE e.interactionId = i.id AND e.type = 'closed' ORDER BY e.seq DESC LIMIT 1) END AS wrapPlanned,
      CASE WHEN ${typed} THEN
        (SELECT ${ms('i.queuedAt', 'MIN(m.createdAt)')} FROM messages m WHERE m.interactionId = i.id AND m.authorKind = 'agent') END AS firstResponse,
      CASE WHEN ${typed} AND i.state = 'closed' THEN ${ms('i.queuedAt', 'i.closedAt')} END AS resolution,
      (SELECT r.rating FROM csat_ratings r WHERE r.interactionId = i.id) AS csat
    FROM interactions i WHERE ${where.join(' AND ')}`;
  // The next change out of wrap-up after each close, found in one pass over the period's state
  // changes (a correlated lookup per interaction walked each agent's whole history): closes and
  // changes in one stream per agent, numbered backwards by changes seen, so a close shares its
  // number with the first change at or after it. No join: MariaDB joins derived tables by nested loops.
  const from = new Date(Math.min(...s.ranges.map(([a]) => a.getTime())));
  const to = new Date(Math.max(...s.ranges.map(([, b]) => b.getTime())) + MAX_WRAP_MS);
  const nulls = BASE_COLUMNS.map(() => 'NULL').join(', ');
  const ctes = `
    base AS (${base}),
    ends AS (SELECT c.agentId, c.at FROM agent_state_changes c WHERE c.at >= ? AND c.at < ? AND c.state IN ('available', 'not-ready', 'logged-out')),
    stream AS (
      SELECT b.*, b.assignedAgentId AS agentKey, b.closedAt AS streamAt, 0 AS isEnd FROM base b
      UNION ALL SELECT ${nulls}, agentId, at, 1 FROM ends),
    numbered AS (SELECT s.*, SUM(isEnd) OVER (PARTITION BY agentKey ORDER BY streamAt DESC, isEnd DESC ROWS UNBOUNDED PRECEDING) AS g FROM stream s),
    nexts AS (SELECT numbered.*, MAX(CASE WHEN isEnd = 1 THEN streamAt END) OVER (PARTITION BY agentKey, g) AS nextEnd FROM numbered),
    measured AS (
      SELECT nexts.*, CASE WHEN wrapPlanned IS NOT NULL THEN ${ms('closedAt', 'LEAST(wrapPlanned, COALESCE(nextEnd, wrapPlanned))')} END AS wrapUp
        FROM nexts WHERE isEnd = 0)`;
  return { ctes, params: [...thresholdParams, ...params, from, to] };
}

/** The bucket columns as aggregates over `measured`-shaped rows. */
export const BUCKET_AGGREGATES = [
  'COUNT(*) AS offered', 'COUNT(toAnswer) AS answered', 'COUNT(abandonedAfter) AS abandoned',
  "COALESCE(SUM(unmanaged = 1 OR state = 'unmanaged'), 0) AS unmanaged", 'COALESCE(SUM(transferred), 0) AS transferred',
  'COALESCE(SUM(toAnswer IS NOT NULL AND toAnswer <= threshold * 1000), 0) AS answeredWithinThreshold',
  'COUNT(csat) AS rated', 'COALESCE(SUM(csat >= 4), 0) AS ratedSatisfied', 'COALESCE(SUM(csat), 0) AS csatSum',
  ...MEASURES.map((m) => `COUNT(${m}) AS ${m}Count, COALESCE(SUM(${m}), 0) AS ${m}Ms`),
];
export const BUCKET_COLUMNS = [
  'offered', 'answered', 'abandoned', 'unmanaged', 'transferred', 'answeredWithinThreshold', 'rated', 'ratedSatisfied', 'csatSum',
  ...MEASURES.flatMap((m) => [`${m}Count`, `${m}Ms`]),
] as const;

/**
 * The fixed bins of the time histograms, as the upper bound in seconds of the bin a time (ms)
 * falls in: to the second up to 10 minutes, then 10 s up to an hour, a minute up to a day, an hour
 * beyond. A percentile read from them is the upper bound of its bin (exact for whole seconds up to
 * 10 minutes).
 */
export const binSql = (v: string) =>
  `CASE WHEN ${v} <= 600000 THEN CEIL(${v} / 1000) WHEN ${v} <= 3600000 THEN CEIL(${v} / 10000) * 10 WHEN ${v} <= 86400000 THEN CEIL(${v} / 60000) * 60 ELSE CEIL(${v} / 3600000) * 3600 END`;

/** `measured`-shaped rows as (dimensions, measure, bin, n). */
export function binnedSql(from: string): string {
  const values = MEASURES.map((m) => `SELECT ${DIMENSIONS.join(', ')}, '${m}' AS measure, ${m} AS v FROM ${from} WHERE ${m} IS NOT NULL`).join(' UNION ALL ');
  return `SELECT ${DIMENSIONS.join(', ')}, measure, ${binSql('v')} AS bin, COUNT(*) AS n FROM (${values}) x GROUP BY ${DIMENSIONS.join(', ')}, measure, bin`;
}
