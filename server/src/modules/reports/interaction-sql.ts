import type { InteractionGroup, Interval, RawListQuery } from './schema.js';
import { MEASURES, measuredCtes, type Measure, type Thresholds } from './measures.js';

export { MEASURES, type Measure };

const KEYS: Record<InteractionGroup | Interval, string> = {
  queue: 'queueId',
  channel: 'channel',
  agent: 'agentId',
  website: 'websiteId',
  // Buckets in UTC, named by the ISO time they start at.
  hour: "CONCAT(REPLACE(hour, ' ', 'T'), '.000Z')",
  day: "CONCAT(LEFT(hour, 10), 'T00:00:00.000Z')",
};

/**
 * The interaction report straight from the recorded rows, percentiles exact (nearest rank over
 * each group and over everything, so MySQL 8 and MariaDB compute the same), grouped WITH ROLLUP
 * (the NULL key row is the total). The reference the hourly buckets are checked against; times in
 * seconds.
 */
export function interactionReportSql(q: RawListQuery, key: InteractionGroup | Interval, t: Thresholds): { sql: string; params: unknown[] } {
  const { ctes, params } = measuredCtes({ ranges: [[q.fromAt, q.toAt]], queue: q.queue, channel: q.channel, agent: q.agent, website: q.website }, t);
  // Ranks per group and over everything are taken in two steps: MariaDB 10.11 numbered rows wrongly
  // when windows with and without PARTITION BY shared one SELECT.
  const ranks = MEASURES.map((m) => `ROW_NUMBER() OVER (PARTITION BY k ORDER BY ${m} IS NULL, ${m}) AS ${m}Rank, COUNT(${m}) OVER (PARTITION BY k) AS ${m}Count`);
  const ranksAll = MEASURES.map((m) => `ROW_NUMBER() OVER (ORDER BY ${m} IS NULL, ${m}) AS ${m}RankAll, COUNT(${m}) OVER () AS ${m}CountAll`);
  const p90 = (m: Measure) =>
    `MAX(CASE WHEN ${m}Rank = CEIL(0.9 * ${m}Count) THEN ${m} END) / 1000 AS ${m}P90, MAX(CASE WHEN ${m}RankAll = CEIL(0.9 * ${m}CountAll) THEN ${m} END) / 1000 AS ${m}P90All`;
  const sql = `
    WITH ${ctes},
      keyed AS (SELECT measured.*, ${KEYS[key]} AS k FROM measured),
      grouped AS (SELECT keyed.*, ${ranks.join(', ')} FROM keyed),
      ranked AS (SELECT grouped.*, ${ranksAll.join(', ')} FROM grouped)
    SELECT k, COUNT(*) AS offered, COUNT(toAnswer) AS answered, COUNT(abandonedAfter) AS abandoned,
      SUM(unmanaged = 1 OR state = 'unmanaged') AS unmanaged, SUM(transferred) AS transferred,
      SUM(toAnswer IS NOT NULL AND toAnswer <= threshold * 1000) AS answeredWithinThreshold,
      COUNT(csat) AS rated, AVG(csat) AS csatAvg, SUM(csat >= 4) AS ratedSatisfied,
      ${MEASURES.map((m) => `AVG(${m}) / 1000 AS ${m}Avg, ${p90(m)}`).join(',\n      ')}
    FROM ranked GROUP BY k WITH ROLLUP`;
  return { sql, params };
}
