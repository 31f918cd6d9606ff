import type { DataSource } from 'typeorm';
import type { AnswerDistribution } from '@switchboard/protocol';
import type { Thresholds } from './measures.js';
import { totalsByKey, type Filters } from './read.js';

/** The bins the desktop shows time to answer in (seconds, upper bounds); longer waits share one more. */
export const ANSWER_BINS = [10, 20, 30, 45, 60, 90, 120, 180, 300, 600] as const;

/**
 * Time to answer as a histogram, from the same hourly buckets and recorded rows as the report. The
 * stored bins are whole seconds up to 10 minutes, so each bin here counts exactly.
 */
export async function answerDistribution(db: DataSource, f: Filters, t: Thresholds): Promise<AnswerDistribution> {
  const byChannel = (await totalsByKey(db, f, ['channel'], t)).get('channel')!;
  const counts = new Array<number>(ANSWER_BINS.length + 1).fill(0);
  for (const g of byChannel.values()) {
    for (const [bin, n] of g.bins.toAnswer) {
      const at = ANSWER_BINS.findIndex((upTo) => bin <= upTo);
      counts[at === -1 ? ANSWER_BINS.length : at]! += n;
    }
  }
  return {
    from: f.fromAt.toISOString(),
    to: f.toAt.toISOString(),
    bins: [...ANSWER_BINS, null].map((upTo, n) => ({ upTo, count: counts[n]! })),
  };
}
