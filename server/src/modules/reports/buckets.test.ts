// The hourly buckets against the recorded rows: a known set spread over hours, the report read from
// buckets (with ragged edges and dirty hours from the rows) compared field by field with the same
// report computed from the recorded rows alone — after a rebuild, after a late event, and after a
// bucket was tampered with and rebuilt. Times are whole seconds up to 10 minutes, where the
// histograms' percentiles are exact.
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { testConfig } from '../../test/config.js';
import { TEST_DB } from '../../test/env.js';
import { createDatabase, dropDatabase } from '../../kernel/db/admin.js';
import { createDataSource } from '../../kernel/db/data-source.js';
import { entities } from '../../entities.js';
import { newId } from '../../kernel/db/ids.js';
import type { Config } from '../../kernel/config/schema.js';
import { ReportsService } from './service.js';
import { ReportBuckets } from './buckets.js';
import { splitPeriod } from './read.js';
import { interactionReportQuery } from './schema.js';

const T = Date.parse('2021-03-10T08:00:00Z');
const at = (s: number) => new Date(T + s * 1000);
const H = 3600;
const config = () =>
  ({
    queues: [{ id: 'sales', name: 'Sales', serviceLevelSeconds: 30 }, { id: 'support', name: 'Support', serviceLevelSeconds: 20 }],
    websites: [{ id: 'shop', name: 'Shop' }],
  }) as unknown as Config;

interface Row {
  queue: string; channel: 'chat' | 'phone' | 'mail'; queued: number; assigned?: number; closed?: number; state: string;
  agent?: 0 | 1; transferred?: boolean; wrapUntil?: number; firstMessage?: number; rating?: number;
}
// Over 08:00–14:00 in several hours, both queues, three channels, two agents, open ones too.
const ROWS: Row[] = [];
for (let n = 0; n < 48; n++) {
  const queued = n * 450 + (n % 7) * 13;
  const queue = n % 3 ? 'sales' : 'support';
  const channel = (['chat', 'phone', 'mail'] as const)[n % 3];
  const kind = n % 8;
  if (kind < 5) {
    const assigned = queued + 5 + (n % 11) * 4;
    const closed = assigned + 60 + (n % 5) * 37;
    ROWS.push({
      queue, channel, queued, assigned, closed, state: 'closed', agent: (n % 2) as 0 | 1, transferred: n % 6 === 0,
      wrapUntil: n % 4 ? closed + 30 : undefined, firstMessage: channel !== 'phone' ? assigned + 7 + (n % 3) : undefined, rating: n % 5 === 0 ? 1 + (n % 5) : n % 3 === 1 ? 4 : undefined,
    });
  } else if (kind === 5) ROWS.push({ queue, channel, queued, closed: queued + 10 + n, state: 'abandoned' });
  else if (kind === 6) ROWS.push({ queue, channel, queued, closed: queued + 600, state: 'unmanaged' });
  else ROWS.push({ queue, channel, queued, assigned: queued + 12, state: 'assigned', agent: 1 });
}

describe('report buckets', () => {
  const name = `${TEST_DB}_rbuckets`;
  const cfg = testConfig().main.database;
  let db: DataSource;
  let reports: ReportsService;
  let buckets: ReportBuckets;
  const agents = [newId(), newId()];
  const open: string[] = [];

  before(async () => {
    await createDatabase(cfg, name, true);
    db = createDataSource(cfg, entities, { databaseOverride: name });
    await db.initialize();
    await db.runMigrations();
    for (const [n, id] of agents.entries()) {
      await db.query("INSERT INTO agents (id, username, displayName, role, passwordHash, capacity) VALUES (?, ?, ?, 'agent', 'x', '{}')", [id, `a${n}`, `Agent ${n}`]);
    }
    for (const r of ROWS) await insert(db, r, agents);
    for (const r of ROWS) if (r.state === 'assigned') open.push((await db.query('SELECT id FROM interactions WHERE queuedAt = ?', [at(r.queued)]))[0].id);
    // Agent 0 ends some wrap-ups early: Available 10 s into every other one.
    for (const r of ROWS.filter((x) => x.agent === 0 && x.wrapUntil !== undefined).filter((_, n) => n % 2 === 0)) {
      await db.query("INSERT INTO agent_state_changes (agentId, state, at) VALUES (?, 'available', ?)", [agents[0], at(r.closed! + 10)]);
    }
    reports = new ReportsService(db, config);
    buckets = new ReportBuckets(db, () => reports.thresholds(), () => new Date('2021-03-11T00:00:00Z'));
  });

  after(async () => {
    await db?.destroy();
    await dropDatabase(cfg, name);
  });

  const QUERIES = [
    { from: '2021-03-10', to: '2021-03-10' },
    { from: '2021-03-10', to: '2021-03-10', groupBy: 'channel', interval: 'hour' },
    { from: '2021-03-10', to: '2021-03-10', groupBy: 'agent', interval: 'day' },
    { from: '2021-03-10', to: '2021-03-10', groupBy: 'website', queue: 'sales' },
    { from: '2021-03-10T09:17:00Z', to: '2021-03-10T12:40:30Z', interval: 'hour' },
    { from: '2021-03-10T09:17:00Z', to: '2021-03-10T12:40:30Z', channel: 'chat', groupBy: 'agent' },
    { from: '2021-03-10T10:00:00Z', to: '2021-03-10T11:00:00Z', agent: agents[0] },
    { from: '2021-03-10T10:05:00Z', to: '2021-03-10T10:06:00Z' },
  ];
  async function sameAsRecords(): Promise<void> {
    for (const raw of QUERIES) {
      const q = interactionReportQuery.parse(raw);
      const fromBuckets = await reports.interactions(q);
      const fromRecords = await reports.interactionsFromRecords(q);
      expect(fromBuckets, JSON.stringify(raw)).to.deep.equal(fromRecords);
    }
  }

  it('reads the same report from the recorded rows before any bucket is built', async () => {
    const { buckets: held } = await splitPeriod(db, new Date('2021-03-10T00:00:00Z'), new Date('2021-03-11T00:00:00Z'));
    expect(held).to.deep.equal([]);
    const day = await reports.interactions(interactionReportQuery.parse(QUERIES[0]));
    expect(day.total.offered).to.equal(ROWS.length);
    await sameAsRecords();
  });

  it('builds the hours and reads them from the buckets, edges from the rows, with the same figures', async () => {
    expect(await buckets.rebuild(new Date('2021-03-10T00:00:00Z'), new Date('2021-03-12T00:00:00Z'))).to.equal(24);
    const { buckets: held, raw } = await splitPeriod(db, new Date('2021-03-10T09:17:00Z'), new Date('2021-03-10T12:40:30Z'));
    expect(held).to.deep.equal([[new Date('2021-03-10T10:00:00Z'), new Date('2021-03-10T12:00:00Z')]]);
    expect(raw).to.deep.equal([[new Date('2021-03-10T09:17:00Z'), new Date('2021-03-10T10:00:00Z')], [new Date('2021-03-10T12:00:00Z'), new Date('2021-03-10T12:40:30Z')]]);
    const [{ n }] = await db.query('SELECT SUM(offered) AS n FROM report_buckets');
    expect(Number(n)).to.equal(ROWS.length);
    await sameAsRecords();
  });

  it('really reads the buckets, and a rebuild puts them right again', async () => {
    await db.query("UPDATE report_buckets SET offered = offered + 100 WHERE hour = '2021-03-10 10:00:00' LIMIT 1");
    const q = interactionReportQuery.parse(QUERIES[0]);
    expect((await reports.interactions(q)).total.offered).to.equal(ROWS.length + 100);
    await buckets.rebuild(new Date('2021-03-10T10:00:00Z'), new Date('2021-03-10T11:00:00Z'));
    expect((await reports.interactions(q)).total.offered).to.equal(ROWS.length);
    // Twice gives the same.
    await buckets.rebuild(new Date('2021-03-10T00:00:00Z'), new Date('2021-03-11T00:00:00Z'));
    await sameAsRecords();
  });

  it('a late event makes its hour dirty: read from the rows until rebuilt, then from the buckets again', async () => {
    const id = open[0];
    const [i] = await db.query('SELECT queuedAt, assignedAt FROM interactions WHERE id = ?', [id]);
    const closed = new Date(i.assignedAt.getTime() + 5 * H * 1000);
    await db.query("UPDATE interactions SET state = 'closed', closedAt = ? WHERE id = ?", [closed, id]);
    await db.query("INSERT INTO interaction_events (interactionId, agentId, type, data, at) VALUES (?, ?, 'closed', ?, ?)", [
      id, agents[1], JSON.stringify({ by: 'agent', wrapUpUntil: new Date(closed.getTime() + 20_000).toISOString() }), closed,
    ]);
    // Still built from before: the buckets alone would miss the close.
    const q = interactionReportQuery.parse(QUERIES[0]);
    const stale = await reports.interactions(q);
    expect(stale).to.not.deep.equal(await reports.interactionsFromRecords(q));
    await buckets.markDirty([{ hour: i.queuedAt }]);
    const hour = new Date(Math.floor(i.queuedAt.getTime() / (H * 1000)) * H * 1000);
    const { buckets: held } = await splitPeriod(db, new Date('2021-03-10T00:00:00Z'), new Date('2021-03-11T00:00:00Z'));
    expect(held.some(([a, b]) => a <= hour && hour < b)).to.equal(false);
    await sameAsRecords();
    expect(await buckets.rebuildDirty()).to.equal(1);
    const after = await splitPeriod(db, new Date('2021-03-10T00:00:00Z'), new Date('2021-03-11T00:00:00Z'));
    expect(after.buckets).to.deep.equal([[new Date('2021-03-10T00:00:00Z'), new Date('2021-03-11T00:00:00Z')]]);
    await sameAsRecords();
  });

  it('keeps an hour dirty while a wrap-up is still running, and rebuilds it once it is over', async () => {
    const hour = new Date('2021-03-10T09:00:00Z');
    await buckets.markDirty([{ hour, dueAt: new Date('2021-03-11T00:00:10Z') }]);
    expect(await buckets.rebuildDirty()).to.equal(0);
    await buckets.rebuild(hour, new Date('2021-03-10T10:00:00Z'));
    const [row] = await db.query("SELECT dirty FROM report_hours WHERE hour = '2021-03-10 09:00:00'");
    expect(Number(row.dirty)).to.be.greaterThan(0);
    const later = new ReportBuckets(db, () => reports.thresholds(), () => new Date('2021-03-11T00:01:00Z'));
    expect(await later.rebuildDirty()).to.equal(1);
    const [clean] = await db.query("SELECT dirty FROM report_hours WHERE hour = '2021-03-10 09:00:00'");
    expect(Number(clean.dirty)).to.equal(0);
    await sameAsRecords();
  });
});

async function insert(db: DataSource, r: Row, agents: string[]): Promise<void> {
  const id = newId();
  const agent = r.agent === undefined ? null : agents[r.agent];
  const t = (s?: number) => (s === undefined ? null : at(s));
  await db.query(
    `INSERT INTO interactions (id, channel, direction, state, queueId, websiteId, routingVariables, unmanaged, assignedAgentId, queuedAt, assignedAt, closedAt, createdAt)
     VALUES (?, ?, 'inbound', ?, ?, ?, '{}', ?, ?, ?, ?, ?, ?)`,
    [id, r.channel, r.state, r.queue, r.channel === 'chat' ? 'shop' : null, r.state === 'unmanaged', agent, at(r.queued), t(r.assigned), t(r.closed), at(r.queued)],
  );
  const journey = (type: string, s: number, data: object) =>
    db.query('INSERT INTO interaction_events (interactionId, agentId, type, data, at) VALUES (?, ?, ?, ?, ?)', [id, agent, type, JSON.stringify(data), at(s)]);
  if (r.transferred) await journey('transferred', r.assigned! + 3, {});
  if (r.state === 'closed') await journey('closed', r.closed!, { by: 'agent', wrapUpUntil: r.wrapUntil === undefined ? null : at(r.wrapUntil).toISOString() });
  if (r.firstMessage !== undefined) {
    for (const s of [r.firstMessage, r.firstMessage + 20]) {
      await db.query("INSERT INTO messages (id, interactionId, authorKind, authorAgentId, body, deliveryState, createdAt) VALUES (?, ?, 'agent', ?, 'hi', 'stored', ?)", [newId(), id, agent, at(s)]);
    }
  }
  if (r.rating !== undefined) {
    await db.query('INSERT INTO csat_ratings (id, interactionId, channel, queueId, agentId, rating) VALUES (?, ?, ?, ?, ?, ?)', [newId(), id, r.channel, r.queue, agent, r.rating]);
  }
}
