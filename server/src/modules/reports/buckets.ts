import type { DataSource, QueryRunner } from 'typeorm';
import { HOUR_MS, floorHour } from './hours.js';
import { buildAgentHours } from './agent-states.js';
import { buildCallbackHours } from './callbacks.js';
import { BUCKET_AGGREGATES, BUCKET_COLUMNS, DIMENSIONS, MEASURES, binnedSql, measuredCtes, type Selection, type Thresholds } from './measures.js';

const DAY_MS = 86_400_000;
const hourString = (d: Date) => d.toISOString().slice(0, 13).replace('T', ' ') + ':00:00';
const REBUILD_LOCK_SECONDS = 120;

/**
 * Runs `fn` with the selection's interactions and their measures in a temporary table of its own
 * connection (`report_measured`): computed once, read by several aggregates.
 */
export async function withMeasured<T>(db: DataSource, s: Selection, t: Thresholds, fn: (qr: QueryRunner) => Promise<T>): Promise<T> {
  const qr = db.createQueryRunner();
  await qr.connect();
  try {
    const { ctes, params } = measuredCtes(s, t);
    await qr.query('DROP TEMPORARY TABLE IF EXISTS report_measured');
    await qr.query(
      `CREATE TEMPORARY TABLE report_measured AS WITH ${ctes}
       SELECT ${DIMENSIONS.join(', ')}, state, unmanaged, threshold, transferred, csat, ${MEASURES.join(', ')} FROM measured`,
      params,
    );
    return await fn(qr);
  } finally {
    await qr.query('DROP TEMPORARY TABLE IF EXISTS report_measured').catch(() => undefined);
    await qr.release();
  }
}

/** Bucket rows (dimensions and BUCKET_COLUMNS) of the measured interactions. */
export const bucketRowsSql = `SELECT ${DIMENSIONS.join(', ')}, ${BUCKET_AGGREGATES.join(', ')} FROM report_measured GROUP BY ${DIMENSIONS.join(', ')}`;
export const binRowsSql = binnedSql('report_measured');

/** Sums again the days [a, b) touches from their hourly buckets (inside the caller's transaction). */
async function buildDays(qr: QueryRunner, a: Date, b: Date): Promise<void> {
  for (let d = Math.floor(a.getTime() / DAY_MS) * DAY_MS; d < b.getTime(); d += DAY_MS) {
    const [day, next] = [new Date(d), new Date(d + DAY_MS)];
    await qr.query('DELETE FROM report_days WHERE day = ?', [day]);
    await qr.query('DELETE FROM report_day_times WHERE day = ?', [day]);
    await qr.query(
      `INSERT INTO report_days (day, queueId, channel, ${BUCKET_COLUMNS.join(', ')})
       SELECT ?, queueId, channel, ${BUCKET_COLUMNS.map((c) => `SUM(${c})`).join(', ')} FROM report_buckets WHERE hour >= ? AND hour < ? GROUP BY queueId, channel`,
      [day, day, next],
    );
    await qr.query(
      `INSERT INTO report_day_times (day, queueId, channel, measure, bin, n)
       SELECT ?, queueId, channel, measure, bin, SUM(n) FROM report_bucket_times WHERE hour >= ? AND hour < ? GROUP BY queueId, channel, measure, bin`,
      [day, day, next],
    );
  }
}

/**
 * Builds and keeps the hourly buckets. Every write replaces whole hours from the recorded rows, so
 * running it twice, on two instances at once (a lock serialises them) or again after a crash gives
 * the same buckets.
 */
export class ReportBuckets {
  constructor(
    private readonly db: DataSource,
    private readonly thresholds: () => Thresholds,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Rebuilds every hour of [from, to) that is over, a day at a time; the number of hours built. */
  async rebuild(from: Date, to: Date): Promise<number> {
    const end = new Date(Math.min(floorHour(this.now()).getTime(), to.getTime()));
    let built = 0;
    for (let a = floorHour(from); a < end; ) {
      const b = new Date(Math.min(end.getTime(), a.getTime() + DAY_MS));
      built += await this.build(a, b);
      a = b;
    }
    return built;
  }

  /** Rebuilds the dirty hours that are due; the number rebuilt. */
  async rebuildDirty(limit = 200): Promise<number> {
    const now = this.now();
    const rows: { hour: Date }[] = await this.db.query(
      'SELECT hour FROM report_hours WHERE dirty > 0 AND (dueAt IS NULL OR dueAt <= ?) AND hour < ? ORDER BY hour LIMIT ?',
      [now, floorHour(now), limit],
    );
    // Neighbouring hours are built in one pass.
    let built = 0;
    for (let n = 0; n < rows.length; ) {
      let m = n + 1;
      while (m < rows.length && rows[m].hour.getTime() === rows[m - 1].hour.getTime() + HOUR_MS && m - n < 24) m++;
      built += await this.build(rows[n].hour, new Date(rows[m - 1].hour.getTime() + HOUR_MS));
      n = m;
    }
    return built;
  }

  /**
   * Marks hours (of interactions' queuedAt) as changed: reports compute them from the recorded rows
   * until they are rebuilt, not before `dueAt` when given.
   */
  async markDirty(hours: { hour: Date; dueAt?: Date | null }[]): Promise<void> {
    if (!hours.length) return;
    // One row an hour, due at the latest of its marks: a pass's thousands of marks fall in a few hours,
    // and one increment is as good as many for a rebuild to see that the hour changed.
    const due = new Map<string, Date | null>();
    for (const h of hours) {
      const key = hourString(floorHour(h.hour));
      const [was, at] = [due.get(key) ?? null, h.dueAt ?? null];
      due.set(key, was && (!at || was > at) ? was : at);
    }
    await this.db.query(
      `INSERT INTO report_hours (hour, dirty, dueAt) VALUES ${[...due.keys()].map(() => '(?, 1, ?)').join(', ')}
       ON DUPLICATE KEY UPDATE dirty = dirty + 1, dueAt = CASE WHEN VALUES(dueAt) IS NULL THEN dueAt WHEN dueAt IS NULL THEN VALUES(dueAt) ELSE GREATEST(dueAt, VALUES(dueAt)) END`,
      [...due].flat(),
    );
  }

  /** Replaces the buckets of [a, b) (whole hours); returns the number of hours. */
  private async build(a: Date, b: Date): Promise<number> {
    const lock = await this.db.createQueryRunner();
    await lock.connect();
    try {
      const [got] = await lock.query(`SELECT GET_LOCK(?, ${REBUILD_LOCK_SECONDS}) AS ok`, [`${this.db.driver.database}.report-buckets`]);
      if (Number(got.ok) !== 1) throw new Error('the report buckets are being rebuilt elsewhere; try again');
      // What was marked before reading: a mark after this keeps the hour dirty.
      const seen: { hour: Date; dirty: number }[] = await this.db.query('SELECT hour, dirty FROM report_hours WHERE hour >= ? AND hour < ?', [a, b]);
      const version = new Map(seen.map((r) => [r.hour.getTime(), Number(r.dirty)]));
      await withMeasured(this.db, { ranges: [[a, b]] }, this.thresholds(), async (qr) => {
        await qr.startTransaction();
        try {
          await qr.query('DELETE FROM report_buckets WHERE hour >= ? AND hour < ?', [a, b]);
          await qr.query('DELETE FROM report_bucket_times WHERE hour >= ? AND hour < ?', [a, b]);
          await qr.query(`INSERT INTO report_buckets (${DIMENSIONS.join(', ')}, ${BUCKET_COLUMNS.join(', ')}) ${bucketRowsSql}`);
          await qr.query(`INSERT INTO report_bucket_times (${DIMENSIONS.join(', ')}, measure, bin, n) ${binRowsSql}`);
          await buildDays(qr, a, b);
          await buildAgentHours(qr, a, b);
          await buildCallbackHours(qr, a, b);
          const hours: unknown[][] = [];
          for (let h = a.getTime(); h < b.getTime(); h += HOUR_MS) hours.push([hourString(new Date(h)), version.get(h) ?? 0, this.now()]);
          // A wrap-up still running (dueAt ahead) keeps its hour dirty.
          await qr.query(
            `INSERT INTO report_hours (hour, dirty, builtAt) VALUES ${hours.map(() => '(?, ?, ?)').join(', ')}
             ON DUPLICATE KEY UPDATE dirty = IF(dirty = VALUES(dirty) AND (dueAt IS NULL OR dueAt <= VALUES(builtAt)), 0, dirty), builtAt = VALUES(builtAt)`,
            hours.flat(),
          );
          await qr.commitTransaction();
        } catch (err) {
          await qr.rollbackTransaction();
          throw err;
        }
      });
      return (b.getTime() - a.getTime()) / HOUR_MS;
    } finally {
      await lock.query('SELECT RELEASE_LOCK(?)', [`${this.db.driver.database}.report-buckets`]).catch(() => undefined);
      await lock.release();
    }
  }
}
