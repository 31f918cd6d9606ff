// The refresh reads ratings and agents' messages by time, a batch at a time: rows of the same
// millisecond as a batch's last one (a bulk import, a clock that does not move) are read by the next
// pass, not skipped — each hour they changed is marked once its row is read.
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { migratedDatabase } from '../../test/database.js';
import type { Config } from '../../kernel/config/schema.js';
import { ReportsService } from './service.js';
import { ReportBuckets } from './buckets.js';
import { ReportRefresh } from './refresh.js';
import { createLogger } from '../../kernel/logger.js';

const config = () => ({ queues: [{ id: 'sales', name: 'Sales', serviceLevelSeconds: 30 }], websites: [] }) as unknown as Config;
/** More than one pass reads (refresh.ts BATCH). */
const ROWS = 5001;

describe('report refresh: rows of the same millisecond', () => {
  let drop: (() => Promise<void>) | undefined;
  let db: DataSource;

  before(async () => {
    ({ db, drop } = await migratedDatabase('rties'));
  });
  after(async () => {
    await drop?.();
  });

  for (const source of ['ratings', 'messages'] as const) {
    it(`reads every one of ${ROWS} ${source} stored in the same millisecond, over as many passes as it takes`, async () => {
      for (const t of ['interactions', 'csat_ratings', 'messages', 'report_hours', 'report_watermarks']) await db.query(`DELETE FROM ${t}`);
      const now = () => new Date('2021-03-11T00:00:00Z');
      const reports = new ReportsService(db, config);
      const refresh = new ReportRefresh({ db, log: createLogger('silent'), buckets: new ReportBuckets(db, () => reports.thresholds(), now), now });
      const digits = 'SELECT 0 AS v UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9';
      await db.query(
        `INSERT INTO interactions (id, channel, direction, state, queueId, routingVariables, queuedAt)
           SELECT LPAD(HEX(k), 32, '0'), 'mail', 'inbound', 'closed', 'sales', '{}', '2021-03-10 09:00:00'
             FROM (SELECT a.v + 10 * b.v + 100 * c.v + 1000 * d.v + 1 AS k FROM (${digits}) a, (${digits}) b, (${digits}) c, (${digits}) d) n WHERE k <= ?`,
        [ROWS],
      );
      // The watermarks start from what is there (nothing).
      await refresh.pass();
      const at = '2021-03-10 12:00:00.000';
      await db.query(
        source === 'ratings'
          ? `INSERT INTO csat_ratings (id, interactionId, channel, queueId, rating, createdAt) SELECT REVERSE(id), id, 'mail', 'sales', 4, ? FROM interactions`
          : `INSERT INTO messages (id, interactionId, authorKind, body, deliveryState, createdAt) SELECT REVERSE(id), id, 'agent', 'hi', 'sent', ? FROM interactions`,
        [at],
      );
      let marked = 0;
      for (let pass = 0; pass < 4; pass++) marked += (await refresh.pass())!.marked;
      expect(marked).to.equal(ROWS);
    });
  }
});
