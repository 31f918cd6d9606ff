import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

// Hourly pre-aggregates of the interaction report, derived from the interactions, their journey,
// messages, ratings and the agents' state history (buckets.ts builds them; nothing is written here
// that cannot be rebuilt from those tables). Keys are '' where the interaction has none, so they
// can be part of the primary key; the queue leads it because a report is most often for one queue.

const Count = () => Column({ type: 'int', unsigned: true, default: 0 });
const SumMs = () => Column({ type: 'bigint', default: 0 });

/** The additive figures of a bucket: counts, and sums of each time in ms. */
abstract class Figures {
  @Count() offered: number;
  @Count() answered: number;
  @Count() abandoned: number;
  @Count() unmanaged: number;
  @Count() transferred: number;
  /** With the queue's serviceLevelSeconds when the hour was built (a changed threshold needs a rebuild). */
  @Count() answeredWithinThreshold: number;
  @Count() rated: number;
  @Count() ratedSatisfied: number;
  @Count() csatSum: number;
  @Count() toAnswerCount: number;
  @SumMs() toAnswerMs: string;
  @Count() handleCount: number;
  @SumMs() handleMs: string;
  @Count() abandonedAfterCount: number;
  @SumMs() abandonedAfterMs: string;
  @Count() wrapUpCount: number;
  @SumMs() wrapUpMs: string;
  @Count() firstResponseCount: number;
  @SumMs() firstResponseMs: string;
  @Count() resolutionCount: number;
  @SumMs() resolutionMs: string;
}

/** One hour (by queuedAt, UTC) × queue × channel × agent × website. */
@Entity('report_buckets')
@Index(['hour'])
export class ReportBucket extends Figures {
  @PrimaryColumn({ type: 'varchar', length: 63 }) queueId: string;
  @PrimaryColumn({ type: 'datetime' }) hour: Date;
  @PrimaryColumn({ type: 'varchar', length: 16 }) channel: string;
  @PrimaryColumn({ type: 'varchar', length: 32 }) agentId: string;
  @PrimaryColumn({ type: 'varchar', length: 63 }) websiteId: string;
}

/**
 * A UTC day × queue × channel: the sum of that day's hourly buckets, for reports that neither group
 * nor filter by agent or website (a month of a queue is then 30 days, not 700 hours × every agent).
 */
@Entity('report_days')
export class ReportDay extends Figures {
  @PrimaryColumn({ type: 'varchar', length: 63 }) queueId: string;
  @PrimaryColumn({ type: 'datetime' }) day: Date;
  @PrimaryColumn({ type: 'varchar', length: 16 }) channel: string;
}

/** The day's histograms, summed from report_bucket_times like report_days. */
@Entity('report_day_times')
export class ReportDayTime {
  @PrimaryColumn({ type: 'varchar', length: 63 }) queueId: string;
  @PrimaryColumn({ type: 'datetime' }) day: Date;
  @PrimaryColumn({ type: 'varchar', length: 16 }) channel: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) measure: string;
  @PrimaryColumn({ type: 'int' }) bin: number;
  @Count() n: number;
}

/** How many of a bucket's times fell in each fixed bin (bins.ts), so percentiles read from buckets. */
@Entity('report_bucket_times')
@Index(['hour'])
export class ReportBucketTime {
  @PrimaryColumn({ type: 'varchar', length: 63 }) queueId: string;
  @PrimaryColumn({ type: 'datetime' }) hour: Date;
  @PrimaryColumn({ type: 'varchar', length: 16 }) channel: string;
  @PrimaryColumn({ type: 'varchar', length: 32 }) agentId: string;
  @PrimaryColumn({ type: 'varchar', length: 63 }) websiteId: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) measure: string;
  /** The bin's upper bound in seconds. */
  @PrimaryColumn({ type: 'int' }) bin: number;
  @Count() n: number;
}

/**
 * Which hours the buckets hold. A report reads buckets only for hours here with `dirty` 0; the
 * others it computes from the recorded rows. Marking an hour dirty bumps `dirty`; a rebuild clears
 * it only if nobody marked it meanwhile, so a change during a rebuild is never lost.
 */
@Entity('report_hours')
@Index(['dirty', 'dueAt'])
export class ReportHour {
  @PrimaryColumn({ type: 'datetime' }) hour: Date;
  @Column({ type: 'int', unsigned: true, default: 0 }) dirty: number;
  /** Not rebuilt before this (a closed interaction's wrap-up is final only at its planned end). */
  @Column({ type: 'datetime', precision: 3, nullable: true }) dueAt: Date | null;
  @Column({ type: 'datetime', precision: 3, nullable: true }) builtAt: Date | null;
}

/** How far the recorded changes have been read for marking hours dirty (refresh.ts), one row per source. */
@Entity('report_watermarks')
export class ReportWatermark {
  @PrimaryColumn({ type: 'varchar', length: 32 }) source: string;
  /** The last journey step's seq read, or the time (ISO) and seq or id of the last row read. */
  @Column({ type: 'varchar', length: 80 }) position: string;
}

/** One hour × agent × state × Not-ready reason ('' for none): the time spent in it, in ms (logged out is not kept). */
@Entity('report_agent_hours')
export class ReportAgentHour {
  @PrimaryColumn({ type: 'datetime' }) hour: Date;
  @PrimaryColumn({ type: 'char', length: 32 }) agentId: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) state: string;
  @PrimaryColumn({ type: 'varchar', length: 63 }) reason: string;
  @Column({ type: 'bigint' }) ms: string;
}

/** One hour (of the request) × queue × website ('' for none): callbacks by outcome. */
@Entity('report_callback_hours')
export class ReportCallbackHour {
  @PrimaryColumn({ type: 'datetime' }) hour: Date;
  @PrimaryColumn({ type: 'varchar', length: 63 }) queueId: string;
  @PrimaryColumn({ type: 'varchar', length: 63 }) websiteId: string;
  @Count() requested: number;
  @Count() reachedFirstAttempt: number;
  @Count() reachedAfterRetries: number;
  @Count() unreached: number;
  @Count() failed: number;
  @Count() cancelled: number;
  @Count() pending: number;
}
