// The hourly buckets against the recorded rows: a known set spread over hours, the report read from
// buckets (with ragged edges and dirty hours from the rows) compared field by field with the same
// report computed from the recorded rows alone — after a rebuild, after a late event, and after a
// bucket was tampered with and rebuilt. Times are whole seconds up to 10 minutes, where the
// histograms' percentiles are exact.
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { migratedDatabase } from '../../test/database.js';
import { newId } from '../../kernel/db/ids.js';
import type { Config } from '../../kernel/config/schema.js';
import { ReportsService } from './service.js';
import { ReportBuckets } from './buckets.js';
import { splitPeriod } from './hours.js';
import { agentReportQuery, callbackReportQuery, interactionReportQuery } from './schema.js';
import { ReportRefresh } from './refresh.js';
import { rebuildReports } from './rebuild-command.js';
import { createLogger } from '../../kernel/logger.js';

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

const AGENT_0: [number, string, string | null][] = [
  [-1800, 'available', null], [1234, 'busy', null], [4000, 'wrap-up', null], [4100, 'not-ready', 'break'], [9000, 'available', null],
  [12_345, 'rona', null], [12_400, 'not-ready', 'lunch'], [16_000, 'logged-out', null], [17_000, 'available', null], [23_000, 'logged-out', null],
];
const AGENT_1: [number, string, string | null][] = [
  [-7200, 'not-ready', null], [600, 'available', null], [3700, 'busy', null], [7300, 'wrap-up', null], [7330, 'not-ready', 'break'],
  [11_111, 'available', null], [20_000, 'busy', null],
];

describe('report buckets', () => {
  let drop: (() => Promise<void>) | undefined;
  let db: DataSource;
  let reports: ReportsService;
  let buckets: ReportBuckets;
  const agents = [newId(), newId()];
  const open: string[] = [];

  before(async () => {
    ({ db, drop } = await migratedDatabase('rbuckets'));
    for (const [n, id] of agents.entries()) {
      await db.query("INSERT INTO agents (id, username, displayName, role, passwordHash, capacity) VALUES (?, ?, ?, 'agent', 'x', '{}')", [id, `a${n}`, `Agent ${n}`]);
    }
    for (const r of ROWS) await insert(db, r, agents);
    for (const r of ROWS) if (r.state === 'assigned') open.push((await db.query('SELECT id FROM interactions WHERE queuedAt = ?', [at(r.queued)]))[0].id);
    // Agent 0 ends some wrap-ups early: Available 10 s into every other one.
    for (const r of ROWS.filter((x) => x.agent === 0 && x.wrapUntil !== undefined).filter((_, n) => n % 2 === 0)) {
      await db.query("INSERT INTO agent_state_changes (agentId, state, at) VALUES (?, 'available', ?)", [agents[0], at(r.closed! + 10)]);
    }
    // Both agents' day: states and Not-ready reasons across hours, before and after the interactions.
    for (const [n, list] of [[0, AGENT_0], [1, AGENT_1]] as const) {
      for (const [s, state, reason] of list) await db.query('INSERT INTO agent_state_changes (agentId, state, reason, at) VALUES (?, ?, ?, ?)', [agents[n], state, reason, at(s)]);
    }
    // Callbacks requested over the day, with their attempts.
    const outcomes: [string, string[]][] = [['completed', ['answered']], ['completed', ['no-answer', 'answered']], ['unreached', ['no-answer', 'busy', 'no-answer']], ['scheduled', []], ['cancelled', []], ['failed', ['failed']]];
    for (let n = 0; n < 18; n++) {
      const [state, attempts] = outcomes[n % outcomes.length];
      const interactionId = newId();
      const callbackId = newId();
      await db.query("INSERT INTO interactions (id, channel, direction, state, queueId, websiteId, routingVariables, createdAt) VALUES (?, 'callback', 'outbound', 'new', ?, ?, '{}', ?)", [
        interactionId, n % 4 ? 'sales' : 'support', n % 3 ? 'shop' : null, at(n * 1300),
      ]);
      await db.query("INSERT INTO callbacks (id, interactionId, phoneNumber, asap, dueAt, state, attempts, createdAt) VALUES (?, ?, '+390212345678', 1, ?, ?, ?, ?)", [
        callbackId, interactionId, at(n * 1300), state, attempts.length, at(n * 1300 + 7),
      ]);
      for (const [k, outcome] of attempts.entries()) {
        await db.query("INSERT INTO callback_attempts (id, callbackId, attempt, interactionId, dialled, outcome, startedAt) VALUES (?, ?, ?, ?, '+390212345678', ?, ?)", [
          newId(), callbackId, k + 1, interactionId, outcome, at(n * 1300 + 60 * (k + 1)),
        ]);
      }
    }
    reports = new ReportsService(db, config);
    buckets = new ReportBuckets(db, () => reports.thresholds(), () => new Date('2021-03-11T00:00:00Z'));
  });

  after(async () => {
    await drop?.();
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
  const AGENT_QUERIES = [
    { from: '2021-03-10', to: '2021-03-10' },
    { from: '2021-03-10T09:17:00Z', to: '2021-03-10T12:40:30Z' },
    { from: '2021-03-10T10:00:00Z', to: '2021-03-10T13:00:00Z', agent: agents[1] },
  ];
  const CALLBACK_QUERIES = [
    { from: '2021-03-10', to: '2021-03-10' },
    { from: '2021-03-10T09:17:00Z', to: '2021-03-10T12:40:30Z', queue: 'sales' },
    { from: '2021-03-10T08:00:00Z', to: '2021-03-10T14:00:00Z', website: 'shop' },
  ];
  async function sameAsRecords(): Promise<void> {
    for (const raw of CALLBACK_QUERIES) {
      const q = callbackReportQuery.parse(raw);
      const fromBuckets = await reports.callbacks(q);
      expect(fromBuckets.total.requested, JSON.stringify(raw)).to.be.greaterThan(0);
      expect(fromBuckets, JSON.stringify(raw)).to.deep.equal(await reports.callbacksFromRecords(q));
    }
    for (const raw of AGENT_QUERIES) {
      const q = agentReportQuery.parse(raw);
      const fromBuckets = await reports.agents(q);
      expect(fromBuckets.agents.length, JSON.stringify(raw)).to.be.greaterThan(0);
      expect(fromBuckets, JSON.stringify(raw)).to.deep.equal(await reports.agentsFromRecords(q));
    }
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
    // By agent the hours are read; by queue the day's sums.
    await db.query("UPDATE report_buckets SET offered = offered + 100 WHERE hour = '2021-03-10 10:00:00' LIMIT 1");
    await db.query("UPDATE report_days SET offered = offered + 50 WHERE day = '2021-03-10' LIMIT 1");
    const q = interactionReportQuery.parse(QUERIES[0]);
    const byAgent = interactionReportQuery.parse({ ...QUERIES[0], groupBy: 'agent' });
    expect((await reports.interactions(byAgent)).total.offered).to.equal(ROWS.length + 100);
    expect((await reports.interactions(q)).total.offered).to.equal(ROWS.length + 50);
    await db.query("UPDATE report_callback_hours SET requested = requested + 5 WHERE hour = '2021-03-10 10:00:00' LIMIT 1");
    expect((await reports.callbacks(callbackReportQuery.parse(QUERIES[0]))).total.requested).to.equal(23);
    await db.query("UPDATE report_agent_hours SET ms = ms + 7000 WHERE hour = '2021-03-10 10:00:00' AND agentId = ? AND state = 'busy'", [agents[1]]);
    const a = agentReportQuery.parse(AGENT_QUERIES[0]);
    const before = (await reports.agentsFromRecords(a)).agents.find((x) => x.agentId === agents[1])!;
    expect((await reports.agents(a)).agents.find((x) => x.agentId === agents[1])!.busy).to.equal(before.busy + 7);
    await buckets.rebuild(new Date('2021-03-10T10:00:00Z'), new Date('2021-03-10T11:00:00Z'));
    expect((await reports.interactions(q)).total.offered).to.equal(ROWS.length);
    expect((await reports.interactions(byAgent)).total.offered).to.equal(ROWS.length);
    expect((await reports.agents(a)).agents.find((x) => x.agentId === agents[1])!.busy).to.equal(before.busy);
    expect((await reports.callbacks(callbackReportQuery.parse(QUERIES[0]))).total.requested).to.equal(18);
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

  it('a refresh pass builds every hour that is over, then only the hours whose interactions changed', async () => {
    for (const t of ['report_buckets', 'report_bucket_times', 'report_hours', 'report_watermarks']) await db.query(`DELETE FROM ${t}`);
    const now = () => new Date('2021-03-11T00:00:00Z');
    const refresh = new ReportRefresh({ db, log: createLogger('silent'), buckets, now });
    const day: [Date, Date] = [new Date('2021-03-10T00:00:00Z'), new Date('2021-03-11T00:00:00Z')];
    // From the first interaction's hour (08:00) to midnight.
    expect(await refresh.pass()).to.deep.equal({ caughtUp: 16, marked: 0, rebuilt: 0 });
    expect((await splitPeriod(db, ...day)).buckets).to.deep.equal([[new Date('2021-03-10T08:00:00Z'), day[1]]]);
    await sameAsRecords();
    expect(await refresh.pass()).to.deep.equal({ caughtUp: 0, marked: 0, rebuilt: 0 });

    // Late: an agent's first message to a chat queued at 09:52, 10 hours on; a rating of a mail queued at 10:52.
    const [chat, mail] = [open[1], open[2]];
    const [{ queuedAt }] = await db.query('SELECT queuedAt FROM interactions WHERE id = ?', [chat]);
    await db.query("INSERT INTO messages (id, interactionId, authorKind, authorAgentId, body, deliveryState, createdAt) VALUES (?, ?, 'agent', ?, 'hi', 'sent', ?)", [
      newId(), chat, agents[1], new Date(queuedAt.getTime() + 10 * H * 1000),
    ]);
    await db.query("INSERT INTO csat_ratings (id, interactionId, channel, queueId, agentId, rating, createdAt) VALUES (?, ?, 'mail', 'sales', ?, 2, ?)", [
      newId(), mail, agents[1], new Date('2021-03-10T21:00:00Z'),
    ]);
    const q = interactionReportQuery.parse(QUERIES[0]);
    expect(await reports.interactions(q)).to.not.deep.equal(await reports.interactionsFromRecords(q));
    expect(await refresh.pass()).to.deep.equal({ caughtUp: 0, marked: 2, rebuilt: 2 });
    expect((await splitPeriod(db, ...day)).buckets).to.deep.equal([[new Date('2021-03-10T08:00:00Z'), day[1]]]);
    await sameAsRecords();

    // Two instances at once: one pass at a time, the same buckets.
    // A third queued at 12:xx, given up 10 hours later.
    await db.query("UPDATE interactions SET state = 'abandoned', assignedAt = NULL, assignedAgentId = NULL, closedAt = queuedAt + INTERVAL 10 HOUR WHERE id = ?", [open[3]]);
    await db.query("INSERT INTO interaction_events (interactionId, type, data, at) SELECT id, 'abandoned', '{}', closedAt FROM interactions WHERE id = ?", [open[3]]);
    const other = new ReportRefresh({ db, log: createLogger('silent'), buckets: new ReportBuckets(db, () => reports.thresholds(), now), now });
    const both = await Promise.all([refresh.pass(), other.pass()]);
    expect(both.reduce((n, r) => n + (r?.rebuilt ?? 0), 0)).to.equal(1);
    expect((await splitPeriod(db, ...day)).buckets).to.deep.equal([[new Date('2021-03-10T08:00:00Z'), day[1]]]);
    await sameAsRecords();

    // A transfer to another queue at 21:00 gives a chat queued at 12:53 in sales a new wait in support:
    // both hours are rebuilt (the old one would still count it).
    const moved = open[4];
    const [{ queuedAt: first }] = await db.query('SELECT queuedAt FROM interactions WHERE id = ?', [moved]);
    await db.query("INSERT INTO interaction_events (interactionId, type, data, at) VALUES (?, 'queued', '{}', ?)", [moved, first]);
    await refresh.pass();
    const again = new Date('2021-03-10T21:00:00Z');
    await db.query("UPDATE interactions SET state = 'queued', queueId = 'support', assignedAgentId = NULL, assignedAt = NULL, queuedAt = ? WHERE id = ?", [again, moved]);
    await db.query("INSERT INTO interaction_events (interactionId, type, data, at) VALUES (?, 'transferred', '{}', ?)", [moved, again]);
    expect(await reports.interactions(q)).to.not.deep.equal(await reports.interactionsFromRecords(q));
    expect(await refresh.pass()).to.include({ rebuilt: 2 });
    await sameAsRecords();

    // A callback requested at 09:05 and still scheduled is reached later: its request hour is rebuilt.
    const [cb] = await db.query("SELECT id, interactionId FROM callbacks WHERE state = 'scheduled' ORDER BY createdAt LIMIT 1");
    await db.query("UPDATE callbacks SET state = 'completed', attempts = 1 WHERE id = ?", [cb.id]);
    await db.query("INSERT INTO callback_attempts (id, callbackId, attempt, interactionId, dialled, outcome, startedAt) VALUES (?, ?, 1, ?, '+390212345678', 'answered', '2021-03-10 20:00:00')", [
      newId(), cb.id, cb.interactionId,
    ]);
    await db.query("INSERT INTO interaction_events (interactionId, type, data, at) VALUES (?, 'callback.closed', '{}', '2021-03-10 20:00:00')", [cb.interactionId]);
    const c = callbackReportQuery.parse(CALLBACK_QUERIES[0]);
    expect(await reports.callbacks(c)).to.not.deep.equal(await reports.callbacksFromRecords(c));
    expect(await refresh.pass()).to.include({ rebuilt: 1 });
    await sameAsRecords();

    // A state change written late (agent 1 Not ready at 11:30): its hours up to the agent's next change (13:33).
    await db.query("INSERT INTO agent_state_changes (agentId, state, reason, at) VALUES (?, 'not-ready', 'training', '2021-03-10 11:30:00')", [agents[1]]);
    const a = agentReportQuery.parse(AGENT_QUERIES[0]);
    expect(await reports.agents(a)).to.not.deep.equal(await reports.agentsFromRecords(a));
    expect(await refresh.pass()).to.deep.equal({ caughtUp: 0, marked: 3, rebuilt: 3 });
    await sameAsRecords();
  });

  it('rebuilds from the command, refusing garbage dates', async () => {
    await db.query('UPDATE report_buckets SET offered = 0');
    const said = await rebuildReports(db, config, '2021-03-10', '2021-03-10');
    expect(said).to.match(/^rebuilt 24 hour\(s\) of report buckets from 2021-03-10T00:00:00.000Z/);
    await sameAsRecords();
    for (const [from, to, what] of [['yesterday', undefined, '--from'], ['2021-02-30', undefined, '--from'], ['2021-03-10', '2021-03-10T10:00', '--to'], ['2021-03-11', '2021-03-10', '--to']]) {
      let err: Error | null = null;
      await rebuildReports(db, config, from, to).catch((e: Error) => (err = e));
      expect(err, `${from} ${to}`).to.be.instanceOf(Error);
      expect(err!.message).to.include(what!);
    }
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
    await db.query('INSERT INTO csat_ratings (id, interactionId, channel, queueId, agentId, rating, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      newId(), id, r.channel, r.queue, agent, r.rating, at(r.closed ?? r.queued),
    ]);
  }
}
