// Reports over a small data set with controlled timestamps; every expected figure below is worked
// out by hand from the rows inserted here, not read back from the code under test.
import { expect } from 'chai';
import { api, login, makeAgent, startRoutingServer, type TestAgent, type TestServer } from '../../test/routing.js';
import type { DataSource } from 'typeorm';
import { Interaction } from '../interactions/index.js';
import { InteractionEvent } from '../journey/index.js';
import { Message } from '../chat/index.js';
import { AgentStateChange } from '../agents/index.js';
import { newId } from '../../kernel/db/ids.js';

const T = Date.parse('2021-03-10T10:00:00Z');
const at = (s: number) => new Date(T + s * 1000);

interface Row {
  queue: string; channel: 'chat' | 'phone'; queued: number; assigned?: number; closed?: number; state: string; unmanaged?: boolean;
  /** Who had it: the supervisor or the agent. */ by?: 'sup' | 'agent'; transferred?: boolean; wrapUntil?: number; agentMessages?: number[]; rating?: number;
}

// support-chat has serviceLevelSeconds 30 in this test, support-phone keeps the default 20.
const ROWS: Row[] = [
  // answer 10, handle 120, wrap-up 30 (as planned), first response 20, resolved in 130
  { queue: 'support-chat', channel: 'chat', queued: 0, assigned: 10, closed: 130, state: 'closed', by: 'sup', wrapUntil: 160, agentMessages: [20, 50], rating: 5 },
  // answer 25, handle 300, transferred, wrap-up 15 (Available at 400 ends it early), first response 40, resolved in 325
  { queue: 'support-chat', channel: 'chat', queued: 60, assigned: 85, closed: 385, state: 'closed', by: 'sup', transferred: true, wrapUntil: 415, agentMessages: [100], rating: 3 },
  // answer 60, handle 60, no wrap-up, never wrote: resolved in 120
  { queue: 'support-chat', channel: 'chat', queued: 120, assigned: 180, closed: 240, state: 'closed', by: 'agent' },
  { queue: 'support-chat', channel: 'chat', queued: 200, closed: 245, state: 'abandoned' }, //              left after 45
  { queue: 'support-chat', channel: 'chat', queued: 300, closed: 900, state: 'unmanaged', unmanaged: true },
  // answer 25 (> 20), handle 180, transferred, wrap-up 20
  { queue: 'support-phone', channel: 'phone', queued: 0, assigned: 25, closed: 205, state: 'closed', by: 'sup', transferred: true, wrapUntil: 225, rating: 4 },
  // answer 5, handle 60, wrap-up 5 (Not ready at 80 ends it)
  { queue: 'support-phone', channel: 'phone', queued: 10, assigned: 15, closed: 75, state: 'closed', by: 'agent', wrapUntil: 85 },
  { queue: 'support-phone', channel: 'phone', queued: 20, closed: 50, state: 'abandoned' }, //             left after 30
  // Outside 2021-03-10: the second before and the first second after.
  { queue: 'support-chat', channel: 'chat', queued: -10 * 3600 - 1, assigned: -10 * 3600, closed: -10 * 3600 + 5, state: 'closed', by: 'sup' },
  { queue: 'support-chat', channel: 'chat', queued: 14 * 3600, assigned: 14 * 3600 + 1, closed: 14 * 3600 + 9, state: 'closed', by: 'sup' },
];
// State history, seconds from 10:00 (the supervisor was Available since 09:00).
const SUP_STATES: [number, string, string | null][] = [
  [-3600, 'available', null], [10, 'busy', null], [130, 'wrap-up', null], [160, 'busy', null], [385, 'wrap-up', null],
  [400, 'available', null], [600, 'not-ready', 'break'], [900, 'not-ready', 'lunch'], [1200, 'logged-out', null],
];
const AGENT_STATES: [number, string, string | null][] = [
  [0, 'available', null], [15, 'busy', null], [75, 'wrap-up', null], [80, 'not-ready', 'break'], [180, 'busy', null],
  [240, 'available', null], [300, 'rona', null], [330, 'available', null],
];
const none = { firstResponseAvg: null, firstResponseP90: null, resolutionAvg: null, resolutionP90: null };
const CHAT = {
  offered: 5, answered: 3, abandoned: 1, unmanaged: 1, transferred: 1, answeredWithinThreshold: 2, serviceLevel: 0.4,
  timeToAnswerAvg: 31.667, timeToAnswerP90: 60, handleTimeAvg: 160, handleTimeP90: 300, wrapUpAvg: 22.5, wrapUpP90: 30,
  abandonedAfterAvg: 45, abandonedAfterP90: 45, firstResponseAvg: 30, firstResponseP90: 40, resolutionAvg: 191.667, resolutionP90: 325,
  rated: 2, csatAvg: 4, csatSatisfied: 0.5,
};
const PHONE = {
  offered: 3, answered: 2, abandoned: 1, unmanaged: 0, transferred: 1, answeredWithinThreshold: 1, serviceLevel: 0.333,
  timeToAnswerAvg: 15, timeToAnswerP90: 25, handleTimeAvg: 120, handleTimeP90: 180, wrapUpAvg: 12.5, wrapUpP90: 20,
  abandonedAfterAvg: 30, abandonedAfterP90: 30, ...none, rated: 1, csatAvg: 4, csatSatisfied: 1,
};
const TOTAL = {
  offered: 8, answered: 5, abandoned: 2, unmanaged: 1, transferred: 2, answeredWithinThreshold: 3, serviceLevel: 0.375,
  timeToAnswerAvg: 25, timeToAnswerP90: 60, handleTimeAvg: 144, handleTimeP90: 300, wrapUpAvg: 17.5, wrapUpP90: 30,
  abandonedAfterAvg: 37.5, abandonedAfterP90: 45, firstResponseAvg: 30, firstResponseP90: 40, resolutionAvg: 191.667, resolutionP90: 325,
  rated: 3, csatAvg: 4, csatSatisfied: 0.667,
};
const DAY = 'from=2021-03-10&to=2021-03-10';
const ROUTES = [
  `/api/reports/interactions?${DAY}`, `/api/reports/interactions.csv?${DAY}`, `/api/reports/interactions/raw.csv?${DAY}`,
  `/api/reports/agents?${DAY}`, `/api/reports/agents.csv?${DAY}`, `/api/reports/callbacks?${DAY}`, `/api/reports/callbacks.csv?${DAY}`,
];

describe('reports', () => {
  let t: TestServer;
  let admin: string;
  let sup: TestAgent;
  let agent: TestAgent;
  const ids: string[] = [];

  before(async () => {
    t = await startRoutingServer({ 'queues.yaml:queues.0.serviceLevelSeconds': 30 });
    admin = await login(t.url);
    sup = await makeAgent(t.url, admin, { role: 'supervisor', available: false });
    agent = await makeAgent(t.url, admin, { available: false });
    const db = t.sb.services.db;
    const owner = (r: Row) => (r.by === 'agent' ? agent.id : r.by === 'sup' ? sup.id : null);
    for (const r of ROWS) {
      const id = newId();
      ids.push(id);
      await db.getRepository(Interaction).insert({
        id, channel: r.channel, direction: 'inbound', state: r.state as Interaction['state'], queueId: r.queue, websiteId: r.channel === 'chat' ? 'example' : null,
        routingVariables: {}, unmanaged: r.unmanaged ?? false, assignedAgentId: owner(r),
        queuedAt: at(r.queued), assignedAt: r.assigned !== undefined ? at(r.assigned) : null, closedAt: r.closed !== undefined ? at(r.closed) : null,
        createdAt: at(r.queued),
      });
      const journey = (type: string, when: number, data: Record<string, unknown>) =>
        db.getRepository(InteractionEvent).insert({ interactionId: id, contactId: null, agentId: owner(r), type: type as never, data: data as never, at: at(when) });
      if (r.rating !== undefined) {
        await db.query('INSERT INTO csat_ratings (id, interactionId, channel, queueId, agentId, rating) VALUES (?, ?, ?, ?, ?, ?)', [newId(), id, r.channel, r.queue, owner(r), r.rating]);
      }
      if (r.transferred) await journey('transferred', r.assigned! + 5, {});
      if (r.state === 'closed') await journey('closed', r.closed!, { by: 'agent', wrapUpUntil: r.wrapUntil !== undefined ? at(r.wrapUntil).toISOString() : null });
      await db.getRepository(Message).insert({ id: newId(), interactionId: id, authorKind: 'visitor', authorName: 'Visitor', body: 'hello', deliveryState: 'stored', createdAt: at(r.queued + 1) });
      for (const m of r.agentMessages ?? []) {
        await db.getRepository(Message).insert({ id: newId(), interactionId: id, authorKind: 'agent', authorAgentId: owner(r), body: 'hi', deliveryState: 'stored', createdAt: at(m) });
      }
    }
    for (const [who, list] of [[sup, SUP_STATES], [agent, AGENT_STATES]] as const) {
      for (const [s, state, reason] of list) await db.getRepository(AgentStateChange).insert({ agentId: who.id, state: state as never, reason, at: at(s) });
    }
    await insertCallbacks(db);
  });

  after(async () => {
    for (const a of [sup, agent]) a?.socket.close();
    await t?.stop();
  });

  it('counts and times per queue with each queue’s own service-level threshold', async () => {
    const r = await api(t.url, 'GET', `/api/reports/interactions?${DAY}`, undefined, sup.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.from).to.equal('2021-03-10T00:00:00.000Z');
    expect(r.body.to).to.equal('2021-03-11T00:00:00.000Z');
    expect(r.body.groups).to.deep.equal([
      { key: 'support-chat', name: textName(t, 'support-chat'), ...CHAT },
      { key: 'support-phone', name: textName(t, 'support-phone'), ...PHONE },
    ]);
    expect(r.body.total).to.deep.equal(TOTAL);
  });

  it('groups by channel, filters by queue and channel, and an hour-wide period takes only its rows', async () => {
    const byChannel = await api(t.url, 'GET', `/api/reports/interactions?${DAY}&groupBy=channel`, undefined, admin);
    expect(byChannel.body.groups).to.deep.equal([{ key: 'chat', name: 'chat', ...CHAT }, { key: 'phone', name: 'phone', ...PHONE }]);
    const phone = await api(t.url, 'GET', `/api/reports/interactions?${DAY}&channel=phone`, undefined, sup.token);
    expect(phone.body.total).to.deep.equal(PHONE);
    const chat = await api(t.url, 'GET', `/api/reports/interactions?${DAY}&queue=support-chat`, undefined, sup.token);
    expect(chat.body.total).to.deep.equal(CHAT);
    // [10:00:00, 10:01:00): chat answered in 10 s, phones answered in 25 s and 5 s, phone abandoned after 30 s.
    const minute = await api(t.url, 'GET', '/api/reports/interactions?from=2021-03-10T10:00:00Z&to=2021-03-10T10:01:00Z', undefined, sup.token);
    expect(minute.body.total).to.include({ offered: 4, answered: 3, abandoned: 1, answeredWithinThreshold: 2, serviceLevel: 0.5, timeToAnswerAvg: 13.333, timeToAnswerP90: 25 });
    const empty = await api(t.url, 'GET', '/api/reports/interactions?from=2021-03-12&to=2021-03-12', undefined, sup.token);
    expect(empty.body.groups).to.deep.equal([]);
    expect(empty.body.total).to.include({ offered: 0, serviceLevel: null, timeToAnswerAvg: null, timeToAnswerP90: null });
  });

  it('exports the report and the raw interaction list as CSV', async () => {
    const res = await fetch(`${t.url}/api/reports/interactions.csv?${DAY}`, { headers: { authorization: `Bearer ${sup.token}` } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/csv/);
    expect(res.headers.get('content-disposition')).to.equal('attachment; filename="interactions-by-queue-2021-03-10-2021-03-10.csv"');
    const lines = (await res.text()).trimEnd().split('\r\n').map((l) => l.split(','));
    const header = lines[0];
    expect(header.slice(0, 2)).to.deep.equal(['queue', 'name']);
    expect(lines.map((l) => l[0])).to.deep.equal(['queue', 'support-chat', 'support-phone', 'total']);
    const total = Object.fromEntries(header.slice(2).map((h, n) => [h, Number(lines[3][n + 2])]));
    expect(total).to.deep.equal(TOTAL);

    const raw = await api(t.url, 'GET', `/api/reports/interactions/raw.csv?${DAY}&queue=support-phone`, undefined, sup.token);
    expect(raw.status).to.equal(200);
    const rows = (raw.body as string).trimEnd().split('\r\n').map((l) => l.split(','));
    expect(rows[0]).to.deep.equal(['id', 'channel', 'direction', 'queue', 'website', 'state', 'agentId', 'disposition', 'unmanaged', 'timedOut', 'queuedAt', 'assignedAt', 'closedAt']);
    expect(rows.slice(1).map((r) => r[0])).to.deep.equal([ids[5], ids[6], ids[7]]);
    expect(rows[1]).to.deep.equal([ids[5], 'phone', 'inbound', 'support-phone', '', 'closed', sup.id, '', 'false', 'false', '2021-03-10T10:00:00.000Z', '2021-03-10T10:00:25.000Z', '2021-03-10T10:03:25.000Z']);
    expect(rows[3].slice(5, 7)).to.deep.equal(['abandoned', '']);
  });

  it('refuses agents (403) and strangers (401) on every route', async () => {
    for (const path of ROUTES) {
      expect((await api(t.url, 'GET', path, undefined, agent.token)).status, path).to.equal(403);
      expect((await api(t.url, 'GET', path)).status, path).to.equal(401);
      expect((await api(t.url, 'GET', path, undefined, admin)).status, path).to.equal(200);
    }
  });

  it('refuses garbage queries naming the field', async () => {
    for (const path of ['/api/reports/interactions', '/api/reports/interactions.csv', '/api/reports/interactions/raw.csv']) {
      for (const [q, field] of [
        ['to=2021-03-10', 'from'],
        ['from=2021-03-10', 'to'],
        ['from=yesterday&to=2021-03-10', 'from'],
        ['from=2021-02-30&to=2021-03-10', 'from'],
        ['from=2021-03-10&to=2021-03-09', 'to'],
        ['from=2020-01-01&to=2021-03-10', 'to'],
        ['from=2021-03-10T10:00:00&to=2021-03-10', 'from'],
        [`${DAY}&channel=fax`, 'channel'],
        [`${DAY}&queue=../etc`, 'queue'],
        [`${DAY}&sort=id`, 'sort'],
      ]) {
        const r = await api(t.url, 'GET', `${path}?${q}`, undefined, sup.token);
        expect(r.status, `${path}?${q}`).to.equal(400);
        expect(JSON.stringify(r.body.error.fields), `${path}?${q}`).to.include(field);
      }
    }
    for (const [path, field] of [
      [`/api/reports/interactions?${DAY}&groupBy=skill`, 'groupBy'],
      [`/api/reports/interactions?${DAY}&interval=week`, 'interval'],
      ['/api/reports/interactions?from=2021-01-01&to=2021-03-10&interval=hour', 'interval'],
      [`/api/reports/interactions.csv?${DAY}&agent=ada`, 'agent'],
      [`/api/reports/interactions?${DAY}&website=..%2Fx`, 'website'],
      [`/api/reports/agents?${DAY}&queue=support-chat`, 'queue'],
      [`/api/reports/agents.csv?${DAY}&agent=1`, 'agent'],
      ['/api/reports/agents?from=2021-03-10', 'to'],
      [`/api/reports/callbacks?${DAY}&channel=chat`, 'channel'],
      ['/api/reports/callbacks.csv?from=2021-03-11&to=2021-03-10', 'to'],
    ]) {
      const r = await api(t.url, 'GET', path, undefined, sup.token);
      expect(r.status, path).to.equal(400);
      expect(JSON.stringify(r.body.error.fields), path).to.include(field);
    }
  });

  it('groups by agent and by website', async () => {
    const byAgent = await api(t.url, 'GET', `/api/reports/interactions?${DAY}&groupBy=agent`, undefined, sup.token);
    expect(byAgent.body.groups.map((g: { key: string }) => g.key)).to.have.members(['', sup.id, agent.id]);
    const mine = byAgent.body.groups.find((g: { key: string }) => g.key === sup.id);
    // c1, c2 and p1: answered in 10, 25, 25 (the phone one over its 20 s), handled 120, 300, 180, wrap-up 30, 15, 20.
    expect(mine).to.include({
      name: sup.username, offered: 3, answered: 3, transferred: 2, answeredWithinThreshold: 2,
      timeToAnswerAvg: 20, timeToAnswerP90: 25, handleTimeAvg: 200, handleTimeP90: 300, wrapUpAvg: 21.667, wrapUpP90: 30, rated: 3, csatAvg: 4,
    });
    expect(byAgent.body.groups.find((g: { key: string }) => g.key === '')).to.include({ offered: 3, answered: 0, abandoned: 2, unmanaged: 1 });
    expect(byAgent.body.total).to.deep.equal(TOTAL);
    const agentOnly = await api(t.url, 'GET', `/api/reports/interactions?${DAY}&agent=${agent.id}`, undefined, sup.token);
    expect(agentOnly.body.total).to.include({ offered: 2, answered: 2, timeToAnswerAvg: 32.5, handleTimeAvg: 60, wrapUpAvg: 5, firstResponseAvg: null, resolutionAvg: 120 });
    const byWebsite = await api(t.url, 'GET', `/api/reports/interactions?${DAY}&groupBy=website`, undefined, sup.token);
    expect(byWebsite.body.groups).to.deep.equal([{ key: '', name: '', ...PHONE }, { key: 'example', name: 'Example shop', ...CHAT }]);
    const site = await api(t.url, 'GET', `/api/reports/interactions?${DAY}&website=example`, undefined, sup.token);
    expect(site.body.total).to.deep.equal(CHAT);
  });

  it('gives a series by hour and by day, and the series as CSV', async () => {
    const hours = await api(t.url, 'GET', '/api/reports/interactions?from=2021-03-09T23:00:00Z&to=2021-03-10T11:00:00Z&interval=hour', undefined, sup.token);
    expect(hours.status, JSON.stringify(hours.body)).to.equal(200);
    expect(hours.body.series.map((p: { at: string; offered: number }) => [p.at, p.offered])).to.deep.equal([['2021-03-09T23:00:00.000Z', 1], ['2021-03-10T10:00:00.000Z', 8]]);
    expect(hours.body.series[1]).to.deep.equal({ at: '2021-03-10T10:00:00.000Z', ...TOTAL });
    expect(hours.body.total.offered).to.equal(9);
    const days = await api(t.url, 'GET', '/api/reports/interactions?from=2021-03-09&to=2021-03-11&interval=day&queue=support-chat', undefined, sup.token);
    expect(days.body.series.map((p: { at: string; offered: number }) => [p.at, p.offered])).to.deep.equal([
      ['2021-03-09T00:00:00.000Z', 1], ['2021-03-10T00:00:00.000Z', 5], ['2021-03-11T00:00:00.000Z', 1],
    ]);
    expect(days.body.series[1]).to.deep.include(CHAT);
    const csv = await api(t.url, 'GET', `/api/reports/interactions.csv?${DAY}&interval=hour`, undefined, sup.token);
    const lines = (csv.body as string).trimEnd().split('\r\n').map((l) => l.split(','));
    expect(lines[0].slice(0, 3)).to.deep.equal(['hour', 'offered', 'answered']);
    expect(lines.slice(1).map((l) => l.slice(0, 3))).to.deep.equal([['2021-03-10T10:00:00.000Z', '8', '5']]);
  });

  it("reports each agent's time by state, Not ready per reason, and occupancy, cut to the period", async () => {
    const r = await api(t.url, 'GET', '/api/reports/agents?from=2021-03-10T10:00:00Z&to=2021-03-10T10:30:00Z', undefined, sup.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const of = (id: string) => r.body.agents.find((a: { agentId: string }) => a.agentId === id);
    expect(r.body.agents).to.have.length(2);
    // Available 0–10 and 400–600; Busy 10–130 and 160–385; Wrap-up 130–160 and 385–400; Not ready 600–1200; then logged out.
    expect(of(sup.id)).to.deep.equal({
      agentId: sup.id, name: sup.username, loggedIn: 1200, available: 210, busy: 345, wrapUp: 45, rona: 0, notReady: 600,
      notReadyByReason: { break: 300, lunch: 300 }, occupancy: 0.65,
    });
    // Available 0–15, 240–300 and 330–1800; Busy 15–75 and 180–240; Wrap-up 75–80; Not ready 80–180; RONA 300–330.
    expect(of(agent.id)).to.deep.equal({
      agentId: agent.id, name: agent.username, loggedIn: 1800, available: 1545, busy: 120, wrapUp: 5, rona: 30, notReady: 100,
      notReadyByReason: { break: 100 }, occupancy: 0.075,
    });
    const cut = await api(t.url, 'GET', `/api/reports/agents?from=2021-03-10T10:05:00Z&to=2021-03-10T10:10:00Z&agent=${sup.id}`, undefined, sup.token);
    expect(cut.body.agents).to.deep.equal([{ agentId: sup.id, name: sup.username, loggedIn: 300, available: 200, busy: 85, wrapUp: 15, rona: 0, notReady: 0, notReadyByReason: {}, occupancy: 0.333 }]);
    const csv = await api(t.url, 'GET', `/api/reports/agents.csv?from=2021-03-10T10:00:00Z&to=2021-03-10T10:30:00Z&agent=${sup.id}`, undefined, sup.token);
    expect((csv.body as string).trimEnd().split('\r\n')).to.deep.equal([
      'agentId,name,loggedIn,available,busy,wrapUp,rona,notReady,notReady:break,notReady:lunch,occupancy',
      `${sup.id},${sup.username},1200,210,345,45,0,600,300,300,0.65`,
    ]);
  });

  it('counts callbacks reached at the first attempt, after retries, unreached and still pending', async () => {
    const r = await api(t.url, 'GET', `/api/reports/callbacks?${DAY}`, undefined, sup.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const zero = { requested: 0, reachedFirstAttempt: 0, reachedAfterRetries: 0, unreached: 0, failed: 0, cancelled: 0, pending: 0 };
    expect(r.body.groups).to.deep.equal([
      { key: 'support-chat', name: textName(t, 'support-chat'), ...zero, requested: 1, cancelled: 1 },
      { key: 'support-phone', name: textName(t, 'support-phone'), ...zero, requested: 4, reachedFirstAttempt: 1, reachedAfterRetries: 1, unreached: 1, pending: 1 },
    ]);
    expect(r.body.total).to.deep.equal({ ...zero, requested: 5, reachedFirstAttempt: 1, reachedAfterRetries: 1, unreached: 1, cancelled: 1, pending: 1 });
    const csv = await api(t.url, 'GET', `/api/reports/callbacks.csv?${DAY}&queue=support-phone`, undefined, sup.token);
    expect((csv.body as string).trimEnd().split('\r\n')).to.deep.equal([
      'queue,name,requested,reachedFirstAttempt,reachedAfterRetries,unreached,failed,cancelled,pending',
      `support-phone,${textName(t, 'support-phone')},4,1,1,1,0,0,1`,
      'total,Total,4,1,1,1,0,0,1',
    ]);
  });
});

/** Callbacks of 2021-03-10 (and one of the next day), with the attempts each made. */
async function insertCallbacks(db: DataSource): Promise<void> {
  const list: [string, string, string[], number][] = [
    ['support-phone', 'completed', ['answered'], 0],
    ['support-phone', 'completed', ['no-answer', 'answered'], 0],
    ['support-phone', 'unreached', ['no-answer', 'busy', 'no-answer'], 0],
    ['support-phone', 'scheduled', [], 0],
    ['support-chat', 'cancelled', [], 0],
    ['support-phone', 'completed', ['answered'], 86_400],
  ];
  for (const [queue, state, attempts, offset] of list) {
    const interactionId = newId();
    const callbackId = newId();
    // Never queued: callbacks count in their own report, not among the interactions above.
    await db.getRepository(Interaction).insert({ id: interactionId, channel: 'callback', direction: 'outbound', state: 'new', queueId: queue, websiteId: 'example', routingVariables: {}, createdAt: at(offset) });
    await db.query(
      'INSERT INTO callbacks (id, interactionId, phoneNumber, asap, dueAt, state, attempts, createdAt) VALUES (?, ?, ?, 1, ?, ?, ?, ?)',
      [callbackId, interactionId, '+390212345678', at(offset), state, attempts.length, at(offset + 60)],
    );
    for (const [n, outcome] of attempts.entries()) {
      await db.query(
        'INSERT INTO callback_attempts (id, callbackId, attempt, interactionId, dialled, outcome, startedAt) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [newId(), callbackId, n + 1, interactionId, '+390212345678', outcome, at(offset + 120 * (n + 1))],
      );
    }
  }
}

function textName(t: TestServer, queueId: string): string {
  const name = t.config.queues.find((q) => q.id === queueId)?.name;
  return typeof name === 'string' ? name : (name?.en ?? queueId);
}
