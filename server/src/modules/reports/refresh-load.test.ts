// A refresh pass runs while calls are being handled: what it reads of the last minute's agent state
// changes and journey steps (read again on every pass until settled) must not cost a statement per
// agent, nor a row per step, when the changes fall in the hour not built yet, as they do when
// recorded as they happen.
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { migratedDatabase } from '../../test/database.js';
import type { Config } from '../../kernel/config/schema.js';
import { ReportsService } from './service.js';
import { ReportBuckets } from './buckets.js';
import { ReportRefresh } from './refresh.js';
import { createLogger } from '../../kernel/logger.js';

const config = () => ({ queues: [{ id: 'sales', name: 'Sales', serviceLevelSeconds: 30 }], websites: [] }) as unknown as Config;
const AGENTS = 5;
const hex = (n: number) => n.toString(16).padStart(32, '0');

describe('report refresh under load', () => {
  let drop: (() => Promise<void>) | undefined;
  let db: DataSource;
  const said: { sql: string; params: unknown[] }[] = [];

  before(async () => {
    ({ db, drop } = await migratedDatabase('rload'));
    for (let n = 1; n <= AGENTS; n++) {
      await db.query("INSERT INTO agents (id, username, displayName, role, passwordHash, capacity) VALUES (?, ?, ?, 'agent', 'x', '{}')", [hex(n), `a${n}`, `Agent ${n}`]);
    }
    const query = db.query.bind(db);
    db.query = (async (sql: string, params?: unknown[]) => {
      said.push({ sql, params: params ?? [] });
      return query(sql, params);
    }) as typeof db.query;
  });
  after(async () => {
    await drop?.();
  });

  it('marks built hours for a state change written late, and asks nothing per agent for the ones in the hour not built', async () => {
    const now = () => new Date('2021-03-11T00:30:00Z');
    const reports = new ReportsService(db, config);
    const refresh = new ReportRefresh({ db, log: createLogger('silent'), buckets: new ReportBuckets(db, () => reports.thresholds(), now), now });
    await db.query("INSERT INTO interactions (id, channel, direction, state, queueId, routingVariables, queuedAt) VALUES (?, 'mail', 'inbound', 'queued', 'sales', '{}', '2021-03-10 22:10:00')", [hex(1)]);
    await db.query("INSERT INTO agent_state_changes (agentId, state, at) VALUES (?, 'available', '2021-03-10 22:00:00')", [hex(1)]);
    // The watermarks start from what is there; 22:00 and 23:00 are built.
    expect(await refresh.pass()).to.include({ caughtUp: 2 });
    // As they happen: every agent, twice, in the hour not built yet; and every step of one interaction.
    for (let n = 1; n <= AGENTS; n++) {
      await db.query("INSERT INTO agent_state_changes (agentId, state, at) VALUES (?, 'busy', '2021-03-11 00:10:00'), (?, 'wrap-up', '2021-03-11 00:12:00')", [hex(n), hex(n)]);
    }
    for (const type of ['assigned', 'accepted', 'closed']) {
      await db.query("INSERT INTO interaction_events (interactionId, type, data, at) VALUES (?, ?, '{}', '2021-03-11 00:11:00')", [hex(1), type]);
    }
    said.length = 0;
    expect(await refresh.pass()).to.deep.equal({ caughtUp: 0, marked: 3, rebuilt: 1 });
    expect(said.filter((s) => s.sql.startsWith('UPDATE report_hours'))).to.have.length(0);
    const marks = said.filter((s) => s.sql.startsWith('INSERT INTO report_hours'));
    expect(marks.map((s) => s.params)).to.deep.equal([['2021-03-10 22:00:00', null]]);

    // Written late, at 23:30: the built hour from there to the agent's next change is marked and rebuilt.
    await db.query("INSERT INTO agent_state_changes (agentId, state, at) VALUES (?, 'not-ready', '2021-03-10 23:30:00')", [hex(2)]);
    said.length = 0;
    expect(await refresh.pass()).to.deep.equal({ caughtUp: 0, marked: 1, rebuilt: 1 });
    expect(said.filter((s) => s.sql.startsWith('UPDATE report_hours'))).to.have.length(1);
  });
});
