import type { DataSource } from 'typeorm';
import type { Logger } from '../../kernel/logger.js';
import { DELIVERY_STATES } from '../chat/index.js';
import type { ReportBuckets } from './buckets.js';
import { HOUR_MS, floorHour } from './hours.js';

/** Rows read again on every pass: a transaction may commit a little after a later one was read. */
const SETTLE_MS = 60_000;
const BATCH = 5000;
/** Journey steps that (re)start an interaction's wait. */
const REQUEUES = ['queued', 'requeued', 'overflowed', 'transferred'];
/** Hours never built yet that one pass builds (a long history is caught up over several passes). */
const CATCH_UP_HOURS = 48;
const LOCK = 'report-refresh';

export interface RefreshDeps {
  db: DataSource;
  log: Logger;
  buckets: ReportBuckets;
  now?: () => Date;
}

type Mark = { hour: Date; dueAt?: Date | null };

/**
 * Keeps the hourly buckets current from what is recorded, one pass at a time on whichever instance
 * holds the lock: every hour is built once it is over; then the hours of interactions that changed
 * since (a journey step, an agent's message, a rating: read from the tables by watermark) are
 * marked dirty, and the dirty ones rebuilt — a closed one not before its planned wrap-up has ended.
 * Reports read dirty hours from the recorded rows meanwhile, so a late pass is never a wrong
 * report; the watermarks are in the database, so a crash loses nothing.
 */
export class ReportRefresh {
  private readonly now: () => Date;

  constructor(private readonly d: RefreshDeps) {
    this.now = d.now ?? (() => new Date());
  }

  /** One pass; null when another instance is at it. */
  async pass(): Promise<{ caughtUp: number; marked: number; rebuilt: number } | null> {
    const qr = this.d.db.createQueryRunner();
    await qr.connect();
    const name = `${this.d.db.driver.database}.${LOCK}`;
    try {
      const [got] = await qr.query('SELECT GET_LOCK(?, 0) AS ok', [name]);
      if (Number(got.ok) !== 1) return null;
      try {
        const caughtUp = await this.catchUp();
        const marks = [...(await this.journey()), ...(await this.byTime('messages')), ...(await this.byTime('ratings'))];
        await this.d.buckets.markDirty(marks);
        const states = await this.states();
        const rebuilt = await this.d.buckets.rebuildDirty();
        return { caughtUp, marked: marks.length + states, rebuilt };
      } finally {
        await qr.query('SELECT RELEASE_LOCK(?)', [name]);
      }
    } finally {
      await qr.release();
    }
  }

  /** After a rebuild of [from, to) (the command): the passes need not build those hours again. */
  async rebuilt(from: Date, to: Date): Promise<void> {
    const end = new Date(Math.min(to.getTime(), floorHour(this.now()).getTime()));
    const at = await this.position('built');
    const [first] = await this.d.db.query('SELECT MIN(queuedAt) AS at FROM interactions');
    const start = at ? new Date(at) : first.at ? floorHour(first.at) : end;
    if (start >= from && start < end) await this.save('built', end.toISOString());
  }

  /** Builds the hours after the last one built, up to the hour that is over. */
  private async catchUp(): Promise<number> {
    const end = floorHour(this.now());
    const at = await this.position('built');
    let start: Date;
    if (at) start = new Date(at);
    else {
      const [first] = await this.d.db.query('SELECT MIN(queuedAt) AS at FROM interactions');
      start = first.at ? floorHour(first.at) : end;
      await this.save('built', start.toISOString());
    }
    if (start >= end) return 0;
    const to = new Date(Math.min(end.getTime(), start.getTime() + CATCH_UP_HOURS * HOUR_MS));
    const built = await this.d.buckets.rebuild(start, to);
    await this.save('built', to.toISOString());
    return built;
  }

  /**
   * State changes after the watermark: each agent's built hours from its earliest change read up to
   * its next change after the latest (recorded as they happen, they are in the hour not built yet;
   * only a change written late reaches back).
   */
  private async states(): Promise<number> {
    const from = (await this.position('states')) ?? (await this.d.db.query('SELECT COALESCE(MAX(seq), 0) AS seq FROM agent_state_changes'))[0].seq;
    const rows: { seq: string; agentId: string; at: Date }[] = await this.d.db.query(
      `SELECT seq, agentId, at FROM agent_state_changes WHERE seq > ? ORDER BY seq LIMIT ${BATCH}`,
      [from],
    );
    await this.save('states', this.settledPosition(rows, String(from)));
    const span = new Map<string, { first: Date; last: Date }>();
    for (const r of rows) {
      const s = span.get(r.agentId);
      span.set(r.agentId, { first: s && s.first < r.at ? s.first : r.at, last: s && s.last > r.at ? s.last : r.at });
    }
    // Changes are recorded as they happen, in the hour not built yet: an agent's UPDATE can only reach
    // a built hour when its earliest change is not after the last one built (a change written late).
    const built = span.size ? await this.lastBuilt() : null;
    let marked = 0;
    for (const [agentId, { first, last }] of span) {
      if (!built || floorHour(first) > built) continue;
      const res = await this.d.db.query(
        `UPDATE report_hours SET dirty = dirty + 1 WHERE builtAt IS NOT NULL AND hour >= ?
            AND hour < COALESCE((SELECT MIN(c.at) FROM agent_state_changes c WHERE c.agentId = ? AND c.at > ?), '9999-12-31')`,
        [floorHour(first), agentId, last],
      );
      marked += Number(res?.affectedRows ?? 0);
    }
    return marked;
  }

  private async lastBuilt(): Promise<Date | null> {
    const [row] = await this.d.db.query('SELECT MAX(hour) AS hour FROM report_hours WHERE builtAt IS NOT NULL');
    return row?.hour ?? null;
  }

  /** The last seq of rows old enough that nothing before them can still be committing. */
  private settledPosition(rows: { seq: string; at: Date }[], from: string): string {
    const settled = this.now().getTime() - SETTLE_MS;
    let position = from;
    for (const r of rows) {
      if (r.at.getTime() > settled) break;
      position = String(r.seq);
    }
    return position;
  }

  /** Journey steps after the watermark: their interactions' hours, a close due at its wrap-up's end. */
  private async journey(): Promise<Mark[]> {
    const from = (await this.position('journey')) ?? (await this.d.db.query('SELECT COALESCE(MAX(seq), 0) AS seq FROM interaction_events'))[0].seq;
    // A callback's steps also change the hour it was requested in (its outcome counts).
    const rows: { seq: string; interactionId: string; type: string; at: Date; queuedAt: Date | null; requestedAt: Date | null; wrapUpUntil: string | null }[] = await this.d.db.query(
      `SELECT e.seq, e.interactionId, e.type, e.at, i.queuedAt, cb.createdAt AS requestedAt, IF(e.type = 'closed', JSON_VALUE(e.data, '$.wrapUpUntil'), NULL) AS wrapUpUntil
         FROM interaction_events e JOIN interactions i ON i.id = e.interactionId LEFT JOIN callbacks cb ON cb.interactionId = e.interactionId
        WHERE e.seq > ? ORDER BY e.seq LIMIT ${BATCH}`,
      [from],
    );
    await this.save('journey', this.settledPosition(rows, String(from)));
    // A transfer to a queue moves the interaction to a new queueing time (and queue): the hours it was
    // queued in before hold it until rebuilt.
    const moved = [...new Set(rows.filter((r) => REQUEUES.includes(r.type)).map((r) => r.interactionId))];
    const before: { at: Date }[] = moved.length
      ? await this.d.db.query(
          `SELECT at FROM interaction_events WHERE interactionId IN (${moved.map(() => '?').join(', ')}) AND type IN (${REQUEUES.map(() => '?').join(', ')})`,
          [...moved, ...REQUEUES],
        )
      : [];
    return [...before.map((b) => ({ hour: b.at })), ...rows.flatMap((r) => [
      ...(r.queuedAt ? [{ hour: r.queuedAt, dueAt: r.wrapUpUntil ? new Date(r.wrapUpUntil) : null }] : []),
      ...(r.requestedAt ? [{ hour: r.requestedAt }] : []),
    ])];
  }

  /**
   * Agents' messages (first response) and ratings written after the watermark: the newest row more
   * than a minute old, so rows still committing are read again next time. The watermark is that
   * row's time and its seq (a message) or id (a rating): rows of the same millisecond that a batch
   * left out are read next time, not skipped.
   */
  private async byTime(source: 'messages' | 'ratings'): Promise<Mark[]> {
    const table = source === 'messages' ? 'messages' : 'csat_ratings';
    const position = await this.position(source);
    if (!position) {
      // From the newest row on: the hours before were built from what was already there.
      const [row] = await this.d.db.query(`SELECT MAX(createdAt) AS at FROM ${table}`);
      await this.save(source, (row.at ?? new Date(0)).toISOString());
      return [];
    }
    // A watermark saved before it named a row (a time alone) is after every row of that time.
    const [time, after = null] = position.split(' ');
    // Messages are found through their delivery-state index (every state), the only one on createdAt.
    const sql = source === 'messages'
      ? `SELECT m.createdAt AS at, m.seq AS k, i.queuedAt FROM messages m JOIN interactions i ON i.id = m.interactionId
          WHERE m.deliveryState IN (${DELIVERY_STATES.map(() => '?').join(', ')}) AND (m.createdAt > ? OR (m.createdAt = ? AND m.seq > ?)) AND m.authorKind = 'agent'
          ORDER BY m.createdAt, m.seq LIMIT ${BATCH}`
      : `SELECT r.createdAt AS at, r.id AS k, i.queuedAt FROM csat_ratings r JOIN interactions i ON i.id = r.interactionId
          WHERE r.createdAt > ? OR (r.createdAt = ? AND r.id > ?) ORDER BY r.createdAt, r.id LIMIT ${BATCH}`;
    const from = new Date(time!);
    const rows: { at: Date; k: string; queuedAt: Date | null }[] = await this.d.db.query(sql, [...(source === 'messages' ? DELIVERY_STATES : []), from, from, after]);
    const settled = this.now().getTime() - SETTLE_MS;
    let last: { at: Date; k: string | null } = { at: from, k: after };
    for (const r of rows) {
      if (r.at.getTime() > settled) break;
      last = { at: r.at, k: String(r.k) };
    }
    await this.save(source, last.k === null ? last.at.toISOString() : `${last.at.toISOString()} ${last.k}`);
    return rows.filter((r) => r.queuedAt).map((r) => ({ hour: r.queuedAt! }));
  }

  private async position(source: string): Promise<string | null> {
    const [row] = await this.d.db.query('SELECT position FROM report_watermarks WHERE source = ?', [source]);
    return row?.position ?? null;
  }

  private async save(source: string, position: string): Promise<void> {
    await this.d.db.query('INSERT INTO report_watermarks (source, position) VALUES (?, ?) ON DUPLICATE KEY UPDATE position = VALUES(position)', [source, position]);
  }
}
