// Reports over interactions made through the real APIs — the widget starts, rates and leaves chats
// and asks for a callback, agents accept, write, transfer and close on the desktop API — on a
// server whose clock the test moves. Every expected figure is worked out by hand from the
// timeline below (seconds after the start), never read back from the code under test.
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { accept, api, createInteraction, login, makeAgent, nextOffer, setState, startRoutingServer, waitState, type TestAgent, type TestServer } from '../../test/routing.js';
import { FORM, command, startChat, widget, cid, type TestVisitor } from '../../test/chat.js';
import { ManualClock } from '../../test/clock.js';
import { Interaction } from '../interactions/index.js';
import { newId } from '../../kernel/db/ids.js';
import { eventually } from '../../test/redis.js';
import { ReportBuckets } from './buckets.js';
import { ReportRefresh } from './refresh.js';
import { splitPeriod } from './hours.js';
import { ReportsService } from './service.js';
import { createDatabase, dropDatabase } from '../../kernel/db/admin.js';
import { testConfig } from '../../test/config.js';
import { TEST_DB } from '../../test/env.js';

// A whole hour 30 days ahead, so the whole day below falls in one hourly bucket: ahead of the real
// time, never behind it, so nothing that still reads the real time (the chats' idle sweep) sees it
// as old. The server has a database of its own: its clock builds hours that, for the other test
// files' servers, are not over yet.
const START = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 30 * 86_400_000);
const iso = (s: number) => new Date(START.getTime() + s * 1000).toISOString();
const HOUR = `from=${iso(0)}&to=${iso(3600)}`;

/*
 * Timeline. support-chat: service level 30 s, wrap-up 30 s. support-phone: service level 20 s
 * (the default of this test), wrap-up 20 s. "sup" is a supervisor taking work, "ann" an agent.
 *   0 sup Available; chat c1 starts and is offered to sup      10 sup accepts (answer 10)
 *  20, 50 sup writes (first response 20)                      130 sup closes c1: wrap-up until 160
 * 135 the visitor rates c1 5                                  170 the wrap-up has ended: sup Available (wrap-up 30)
 * 200 chat c2 starts, offered to sup                          225 sup accepts (answer 25)
 * 240 sup writes (first response 40)                          290 ann Available
 * 300 sup transfers c2 to ann                                 310 ann accepts: sup Available
 * 400 ann closes c2: wrap-up until 430                        405 the visitor rates c2 3
 * 410 ann Not ready (break): wrap-up 10, c2 handled 400 − 225 = 175, resolved in 200
 * 450 sup Not ready (break)                                   500 chat c3 starts; nobody takes it
 * 545 c3's visitor leaves (abandoned after 45)                590 sup Available
 * 600 phone call p1 queued in support-phone, offered to sup   625 sup accepts (answer 25 > 20)
 * 685 sup closes p1 (handle 60): wrap-up until 705            720 the wrap-up has ended (wrap-up 20)
 * 730 a visitor asks for a callback in a later slot           900 the end of the agents' report
 */
const CHAT = {
  offered: 3, answered: 2, abandoned: 1, unmanaged: 0, transferred: 1, answeredWithinThreshold: 2, serviceLevel: 0.667,
  timeToAnswerAvg: 17.5, timeToAnswerP90: 25, handleTimeAvg: 147.5, handleTimeP90: 175, wrapUpAvg: 20, wrapUpP90: 30,
  abandonedAfterAvg: 45, abandonedAfterP90: 45, firstResponseAvg: 30, firstResponseP90: 40, resolutionAvg: 165, resolutionP90: 200,
  rated: 2, csatAvg: 4, csatSatisfied: 0.5,
};
const PHONE = {
  offered: 1, answered: 1, abandoned: 0, unmanaged: 0, transferred: 0, answeredWithinThreshold: 0, serviceLevel: 0,
  timeToAnswerAvg: 25, timeToAnswerP90: 25, handleTimeAvg: 60, handleTimeP90: 60, wrapUpAvg: 20, wrapUpP90: 20,
  abandonedAfterAvg: null, abandonedAfterP90: null, firstResponseAvg: null, firstResponseP90: null, resolutionAvg: null, resolutionP90: null,
  rated: 0, csatAvg: null, csatSatisfied: null,
};
// Answers 10, 25, 25 (p90: the 3rd of 3); handles 120, 175, 60; wrap-ups 30, 10, 20.
const TOTAL = {
  offered: 4, answered: 3, abandoned: 1, unmanaged: 0, transferred: 1, answeredWithinThreshold: 2, serviceLevel: 0.5,
  timeToAnswerAvg: 20, timeToAnswerP90: 25, handleTimeAvg: 118.333, handleTimeP90: 175, wrapUpAvg: 20, wrapUpP90: 30,
  abandonedAfterAvg: 45, abandonedAfterP90: 45, firstResponseAvg: 30, firstResponseP90: 40, resolutionAvg: 165, resolutionP90: 200,
  rated: 2, csatAvg: 4, csatSatisfied: 0.5,
};
const DAY = 'from=2021-03-10&to=2021-03-10';
/** The day of the callbacks written as the dialler would (see insertCallbacks): two days after START. */
const CB_T = START.getTime() + 2 * 86_400_000;
const CB_DAY = `from=${new Date(CB_T).toISOString().slice(0, 10)}&to=${new Date(CB_T).toISOString().slice(0, 10)}`;
const ROUTES = [
  `/api/reports/interactions?${HOUR}`, `/api/reports/interactions.csv?${HOUR}`, `/api/reports/interactions/raw.csv?${HOUR}`,
  `/api/reports/interactions/distribution?${HOUR}`, `/api/reports/interactions/distribution.csv?${HOUR}`,
  `/api/reports/agents?${HOUR}`, `/api/reports/agents.csv?${HOUR}`, `/api/reports/callbacks?${HOUR}`, `/api/reports/callbacks.csv?${HOUR}`,
];

describe('reports', () => {
  const clock = new ManualClock(START);
  let t: TestServer;
  let admin: string;
  let sup: TestAgent;
  let ann: TestAgent;
  const visitors: TestVisitor[] = [];
  const ids: Record<'c1' | 'c2' | 'c3' | 'p1', string> = { c1: '', c2: '', c3: '', p1: '' };

  const as = async (a: TestAgent, method: string, path: string, body?: unknown) => {
    const r = await api(t.url, method, path, body, a.token);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).to.be.within(200, 201);
    return r.body;
  };
  const write = async (a: TestAgent, interactionId: string) => {
    const sent = await command(a.socket, { type: 'chat.send', interactionId, clientMessageId: cid(), body: 'How can I help?' });
    expect(sent.type, JSON.stringify(sent)).to.equal('chat.ack');
  };
  const rate = async (v: TestVisitor, rating: number) => {
    const r = await widget(t.url, 'POST', `/chats/${v.interactionId}/rating`, { rating }, v.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
  };
  const chat = async () => {
    const v = await startChat(t.url, { fields: FORM, option: 'orders' });
    visitors.push(v);
    return v;
  };
  const take = async (a: TestAgent, interactionId: string) => {
    const o = await nextOffer(a);
    expect(o.interactionId).to.equal(interactionId);
    return o.offerId;
  };
  const accepted = async (a: TestAgent, offerId: string) => expect((await accept(t.url, a, offerId)).status).to.equal(200);

  const database = `${TEST_DB}_reports`;

  before(async () => {
    await createDatabase(testConfig().main.database, database, true);
    t = await startRoutingServer({
      'switchboard.yaml:database.name': database,
      'queues.yaml:queues.0.serviceLevelSeconds': 30,
      'queues.yaml:queues.0.wrapUpSeconds': 30,
      'queues.yaml:queues.1.serviceLevelSeconds': undefined,
      'queues.yaml:queues.1.wrapUpSeconds': 20,
      // Offers wait for the agent whatever the clock says: the test accepts when its timeline does.
      'queues.yaml:queues.0.offerTimeoutSeconds': 600,
      'queues.yaml:queues.1.offerTimeoutSeconds': 600,
    }, { clock });
    admin = await login(t.url);
    const skills = [{ skill: 'english', level: 8 }];
    sup = await makeAgent(t.url, admin, { role: 'supervisor', available: false, skills });
    ann = await makeAgent(t.url, admin, { available: false, skills });

    await setState(t.url, sup, 'available');
    const c1 = await chat();
    ids.c1 = c1.interactionId;
    const o1 = await take(sup, ids.c1);
    clock.at(10);
    await accepted(sup, o1);
    clock.at(20);
    await write(sup, ids.c1);
    clock.at(50);
    await write(sup, ids.c1);
    clock.at(130);
    await as(sup, 'POST', `/api/interactions/${ids.c1}/close`, {});
    clock.at(135);
    await rate(c1, 5);
    clock.at(170);
    await waitState(t.url, sup, 'available');

    clock.at(200);
    const c2 = await chat();
    ids.c2 = c2.interactionId;
    const o2 = await take(sup, ids.c2);
    clock.at(225);
    await accepted(sup, o2);
    clock.at(240);
    await write(sup, ids.c2);
    clock.at(290);
    await setState(t.url, ann, 'available');
    clock.at(300);
    await as(sup, 'POST', `/api/interactions/${ids.c2}/transfer`, { toAgent: ann.id });
    const o3 = await take(ann, ids.c2);
    clock.at(310);
    await accepted(ann, o3);
    await waitState(t.url, sup, 'available');
    clock.at(400);
    await as(ann, 'POST', `/api/interactions/${ids.c2}/close`, {});
    clock.at(405);
    await rate(c2, 3);
    clock.at(410);
    await setState(t.url, ann, 'not-ready', 'break');
    clock.at(450);
    await setState(t.url, sup, 'not-ready', 'break');

    clock.at(500);
    const c3 = await chat();
    ids.c3 = c3.interactionId;
    clock.at(545);
    expect((await widget(t.url, 'POST', `/chats/${ids.c3}/end`, undefined, c3.token)).status).to.equal(200);
    clock.at(590);
    await setState(t.url, sup, 'available');

    clock.at(600);
    ids.p1 = (await createInteraction(t.url, admin, { channel: 'phone', queueId: 'support-phone' })).interaction.id;
    const o4 = await take(sup, ids.p1);
    clock.at(625);
    await accepted(sup, o4);
    clock.at(685);
    await as(sup, 'POST', `/api/interactions/${ids.p1}/close`, {});
    clock.at(720);
    await waitState(t.url, sup, 'available');

    clock.at(730);
    const slots = await widget(t.url, 'GET', '/callbacks/slots');
    const asked = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 5050 2222' }, slot: slots.body.slots.at(-1).start });
    expect(asked.status, JSON.stringify(asked.body)).to.equal(201);
    clock.at(900);

    // What the dialler records for callbacks it made (reached at once, after retries, never) is
    // set down as it would write it: dialling needs a PBX, which the callbacks tests bring.
    await insertCallbacks(t.sb.kernel.db);
  });

  after(async () => {
    for (const v of visitors) v.socket.close();
    for (const a of [sup, ann]) a?.socket.close();
    await t?.stop();
    if (!process.env.SWITCHBOARD_KEEP_TEST_DB) await dropDatabase(testConfig().main.database, database);
  });

  it('counts and times per queue with each queue’s own service-level threshold', async () => {
    const r = await api(t.url, 'GET', `/api/reports/interactions?${HOUR}`, undefined, sup.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.from).to.equal(iso(0));
    expect(r.body.to).to.equal(iso(3600));
    expect(r.body.groups).to.deep.equal([
      { key: 'support-chat', name: textName(t, 'support-chat'), ...CHAT },
      { key: 'support-phone', name: textName(t, 'support-phone'), ...PHONE },
    ]);
    expect(r.body.total).to.deep.equal(TOTAL);
  });

  it('groups by channel, filters by queue and channel, and a shorter period takes only its interactions', async () => {
    const byChannel = await api(t.url, 'GET', `/api/reports/interactions?${HOUR}&groupBy=channel`, undefined, admin);
    expect(byChannel.body.groups).to.deep.equal([{ key: 'chat', name: 'chat', ...CHAT }, { key: 'phone', name: 'phone', ...PHONE }]);
    const phone = await api(t.url, 'GET', `/api/reports/interactions?${HOUR}&channel=phone`, undefined, sup.token);
    expect(phone.body.total).to.deep.equal(PHONE);
    const chats = await api(t.url, 'GET', `/api/reports/interactions?${HOUR}&queue=support-chat`, undefined, sup.token);
    expect(chats.body.total).to.deep.equal(CHAT);
    // [0, 200): c1 alone — queued at 0; c2 was queued at 200, the end, which is not in.
    const first = await api(t.url, 'GET', `/api/reports/interactions?from=${iso(0)}&to=${iso(200)}`, undefined, sup.token);
    expect(first.body.total).to.include({ offered: 1, answered: 1, answeredWithinThreshold: 1, serviceLevel: 1, timeToAnswerAvg: 10, handleTimeAvg: 120, wrapUpAvg: 30, csatAvg: 5 });
    const later = await api(t.url, 'GET', `/api/reports/interactions?from=${iso(901)}&to=${iso(3600)}`, undefined, sup.token);
    expect(later.body.groups).to.deep.equal([]);
    expect(later.body.total).to.include({ offered: 0, serviceLevel: null, timeToAnswerAvg: null, timeToAnswerP90: null });
  });

  it('exports the report and the raw interaction list as CSV, the same figures', async () => {
    const res = await fetch(`${t.url}/api/reports/interactions.csv?${HOUR}`, { headers: { authorization: `Bearer ${sup.token}` } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/csv/);
    expect(res.headers.get('content-disposition')).to.equal(`attachment; filename="interactions-by-queue-${iso(0)}-${iso(3600)}.csv"`);
    const lines = (await res.text()).trimEnd().split('\r\n').map((l) => l.split(','));
    const header = lines[0]!;
    expect(header.slice(0, 2)).to.deep.equal(['queue', 'name']);
    expect(lines.map((l) => l[0])).to.deep.equal(['queue', 'support-chat', 'support-phone', 'total']);
    const total = Object.fromEntries(header.slice(2).map((h, n) => [h, lines[3]![n + 2] === '' ? null : Number(lines[3]![n + 2])]));
    expect(total).to.deep.equal(TOTAL);

    const raw = await api(t.url, 'GET', `/api/reports/interactions/raw.csv?${HOUR}&queue=support-chat`, undefined, sup.token);
    expect(raw.status).to.equal(200);
    const rows = (raw.body as string).trimEnd().split('\r\n').map((l) => l.split(','));
    expect(rows[0]).to.deep.equal(['id', 'channel', 'direction', 'queue', 'website', 'state', 'agentId', 'disposition', 'unmanaged', 'timedOut', 'queuedAt', 'assignedAt', 'closedAt']);
    expect(rows.slice(1).map((r) => r[0])).to.deep.equal([ids.c1, ids.c2, ids.c3]);
    expect(rows[1]).to.deep.equal([ids.c1, 'chat', 'inbound', 'support-chat', 'example', 'closed', sup.id, '', 'false', 'false', iso(0), iso(10), iso(130)]);
    expect(rows[3]!.slice(5, 7)).to.deep.equal(['abandoned', '']);
    expect(rows[3]!.slice(10)).to.deep.equal([iso(500), '', iso(545)]);
  });

  it('refuses agents (403) and strangers (401) on every route', async () => {
    for (const path of ROUTES) {
      expect((await api(t.url, 'GET', path, undefined, ann.token)).status, path).to.equal(403);
      expect((await api(t.url, 'GET', path)).status, path).to.equal(401);
      expect((await api(t.url, 'GET', path, undefined, admin)).status, path).to.equal(200);
    }
  });

  it('refuses garbage queries naming the field', async () => {
    for (const path of ['/api/reports/interactions', '/api/reports/interactions.csv', '/api/reports/interactions/raw.csv', '/api/reports/interactions/distribution', '/api/reports/interactions/distribution.csv']) {
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

  it('groups by agent (the agent who closed it) and by website', async () => {
    const byAgent = await api(t.url, 'GET', `/api/reports/interactions?${HOUR}&groupBy=agent`, undefined, sup.token);
    expect(byAgent.body.groups.map((g: { key: string }) => g.key)).to.have.members(['', sup.id, ann.id]);
    // c1 and p1: answered in 10 and 25 (the phone over its 20 s), handled 120 and 60, wrap-up 30 and 20.
    expect(byAgent.body.groups.find((g: { key: string }) => g.key === sup.id)).to.include({
      name: sup.username, offered: 2, answered: 2, transferred: 0, answeredWithinThreshold: 1,
      timeToAnswerAvg: 17.5, timeToAnswerP90: 25, handleTimeAvg: 90, handleTimeP90: 120, wrapUpAvg: 25, wrapUpP90: 30, rated: 1, csatAvg: 5,
    });
    // c2, which sup answered in 25 and handed to ann, who closed it.
    expect(byAgent.body.groups.find((g: { key: string }) => g.key === ann.id)).to.include({
      name: ann.username, offered: 1, answered: 1, transferred: 1, timeToAnswerAvg: 25, handleTimeAvg: 175, wrapUpAvg: 10, firstResponseAvg: 40, rated: 1, csatAvg: 3,
    });
    expect(byAgent.body.groups.find((g: { key: string }) => g.key === '')).to.include({ offered: 1, answered: 0, abandoned: 1 });
    expect(byAgent.body.total).to.deep.equal(TOTAL);
    const annOnly = await api(t.url, 'GET', `/api/reports/interactions?${HOUR}&agent=${ann.id}`, undefined, sup.token);
    expect(annOnly.body.total).to.include({ offered: 1, resolutionAvg: 200 });
    const byWebsite = await api(t.url, 'GET', `/api/reports/interactions?${HOUR}&groupBy=website`, undefined, sup.token);
    expect(byWebsite.body.groups).to.deep.equal([{ key: '', name: '', ...PHONE }, { key: 'example', name: 'Example shop', ...CHAT }]);
    const site = await api(t.url, 'GET', `/api/reports/interactions?${HOUR}&website=example`, undefined, sup.token);
    expect(site.body.total).to.deep.equal(CHAT);
  });

  it('gives a series by hour and by day, and the series as CSV', async () => {
    const hours = await api(t.url, 'GET', `/api/reports/interactions?from=${iso(-3600)}&to=${iso(7200)}&interval=hour`, undefined, sup.token);
    expect(hours.status, JSON.stringify(hours.body)).to.equal(200);
    expect(hours.body.series).to.deep.equal([{ at: iso(0), ...TOTAL }]);
    const day = iso(0).slice(0, 10);
    const days = await api(t.url, 'GET', `/api/reports/interactions?from=${day}&to=${day}&interval=day&queue=support-chat`, undefined, sup.token);
    expect(days.body.series).to.deep.equal([{ at: `${day}T00:00:00.000Z`, ...CHAT }]);
    const csv = await api(t.url, 'GET', `/api/reports/interactions.csv?${HOUR}&interval=hour`, undefined, sup.token);
    const lines = (csv.body as string).trimEnd().split('\r\n').map((l) => l.split(','));
    expect(lines[0]!.slice(0, 3)).to.deep.equal(['hour', 'offered', 'answered']);
    expect(lines.slice(1).map((l) => l.slice(0, 3))).to.deep.equal([[iso(0), '4', '3']]);
  });

  it('shows how long the answered ones waited as a histogram, with the filters, and as CSV', async () => {
    const bins = (counts: Record<string, number>) =>
      [10, 20, 30, 45, 60, 90, 120, 180, 300, 600, null].map((upTo) => ({ upTo, count: counts[String(upTo)] ?? 0 }));
    // Answered in 10 (c1), 25 (c2) and 25 (p1).
    const all = await api(t.url, 'GET', `/api/reports/interactions/distribution?${HOUR}`, undefined, sup.token);
    expect(all.status, JSON.stringify(all.body)).to.equal(200);
    expect(all.body).to.deep.equal({ from: iso(0), to: iso(3600), bins: bins({ 10: 1, 30: 2 }) });
    const phone = await api(t.url, 'GET', `/api/reports/interactions/distribution?${HOUR}&channel=phone`, undefined, sup.token);
    expect(phone.body.bins).to.deep.equal(bins({ 30: 1 }));
    const mine = await api(t.url, 'GET', `/api/reports/interactions/distribution?${HOUR}&agent=${sup.id}&queue=support-chat`, undefined, sup.token);
    expect(mine.body.bins).to.deep.equal(bins({ 10: 1 }));
    const none = await api(t.url, 'GET', `/api/reports/interactions/distribution?${HOUR}&website=example&channel=phone`, undefined, sup.token);
    expect(none.body.bins).to.deep.equal(bins({}));
    const csv = await api(t.url, 'GET', `/api/reports/interactions/distribution.csv?${HOUR}&queue=support-chat`, undefined, sup.token);
    expect((csv.body as string).trimEnd().split('\r\n')).to.deep.equal([
      'upToSeconds,answered', '10,1', '20,0', '30,1', '45,0', '60,0', '90,0', '120,0', '180,0', '300,0', '600,0', 'longer,0',
    ]);
  });

  it("reports each agent's time by state, Not ready per reason, and occupancy, cut to the period", async () => {
    const r = await api(t.url, 'GET', `/api/reports/agents?from=${iso(0)}&to=${iso(900)}`, undefined, sup.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const of = (id: string) => r.body.agents.find((a: { agentId: string }) => a.agentId === id);
    // Available 0–10, 170–225, 310–450, 590–625, 720–900; Busy 10–130, 225–310, 625–685;
    // Wrap-up 130–170, 685–720; Not ready (break) 450–590.
    expect(of(sup.id)).to.deep.equal({
      agentId: sup.id, name: sup.username, loggedIn: 900, available: 420, busy: 265, wrapUp: 75, rona: 0, notReady: 140,
      notReadyByReason: { break: 140 }, occupancy: 0.447,
    });
    // Logged out (not counted) until 290, Available 290–310, Busy 310–400, Wrap-up 400–410, Not ready (break) 410–900.
    expect(of(ann.id)).to.deep.equal({
      agentId: ann.id, name: ann.username, loggedIn: 610, available: 20, busy: 90, wrapUp: 10, rona: 0, notReady: 490,
      notReadyByReason: { break: 490 }, occupancy: 0.833,
    });
    const cut = await api(t.url, 'GET', `/api/reports/agents?from=${iso(100)}&to=${iso(200)}&agent=${sup.id}`, undefined, sup.token);
    // Busy 100–130, Wrap-up 130–170, Available 170–200.
    expect(cut.body.agents).to.deep.equal([{ agentId: sup.id, name: sup.username, loggedIn: 100, available: 30, busy: 30, wrapUp: 40, rona: 0, notReady: 0, notReadyByReason: {}, occupancy: 0.7 }]);
    const csv = await api(t.url, 'GET', `/api/reports/agents.csv?from=${iso(0)}&to=${iso(900)}&agent=${sup.id}`, undefined, sup.token);
    expect((csv.body as string).trimEnd().split('\r\n')).to.deep.equal([
      'agentId,name,loggedIn,available,busy,wrapUp,rona,notReady,notReady:break,occupancy',
      `${sup.id},${sup.username},900,420,265,75,0,140,140,0.447`,
    ]);
  });

  it('counts the callback a visitor asked for as requested and pending', async () => {
    const r = await api(t.url, 'GET', `/api/reports/callbacks?${HOUR}`, undefined, sup.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const one = { requested: 1, reachedFirstAttempt: 0, reachedAfterRetries: 0, unreached: 0, failed: 0, cancelled: 0, pending: 1 };
    expect(r.body.groups).to.deep.equal([{ key: 'callbacks', name: textName(t, 'callbacks'), ...one }]);
    expect(r.body.total).to.deep.equal(one);
  });

  // Last: it moves the clock past the hour.
  it('reads the same figures from the hourly buckets once the hour is over', async () => {
    const paths = [
      `/api/reports/interactions?${HOUR}`, `/api/reports/interactions?${HOUR}&groupBy=channel&interval=hour`, `/api/reports/interactions?${HOUR}&groupBy=agent`,
      `/api/reports/interactions?${HOUR}&groupBy=website&channel=chat`, `/api/reports/interactions/distribution?${HOUR}`, `/api/reports/interactions.csv?${HOUR}`,
      `/api/reports/callbacks?${HOUR}`,
    ];
    const read = () => Promise.all(paths.map(async (p) => (await api(t.url, 'GET', p, undefined, sup.token)).body));
    const fromRows = await read();
    expect(fromRows[0].total).to.deep.equal(TOTAL);
    clock.at(7200);
    const db = t.sb.kernel.db;
    const reports = new ReportsService(db, () => t.config, clock);
    const refresh = new ReportRefresh({ db, log: t.sb.kernel.log, buckets: new ReportBuckets(db, () => reports.thresholds(), () => clock.now()), now: () => clock.now() });
    const buckets = new ReportBuckets(db, () => reports.thresholds(), () => clock.now());
    const end = new Date(START.getTime() + 3_600_000);
    // A refresh pass takes in the day's journey (so the server's own passes have nothing left to
    // mark), then the hour is built; again until it reads clean.
    await eventually(async () => (await refresh.pass(), await buckets.rebuild(START, end), splitPeriod(db, START, end)), (p) => p.buckets.length === 1 && p.raw.length === 0);
    // Bucket rows per queue × channel × agent × website: c1 (sup), c2 (ann), c3 (nobody), p1 (sup).
    expect(Number((await db.query('SELECT COUNT(*) AS n FROM report_buckets WHERE hour = ?', [START]))[0].n)).to.equal(4);
    expect(await read()).to.deep.equal(fromRows);
  });

  it('counts callbacks reached at the first attempt, after retries, unreached and still pending', async () => {
    const r = await api(t.url, 'GET', `/api/reports/callbacks?${CB_DAY}`, undefined, sup.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const zero = { requested: 0, reachedFirstAttempt: 0, reachedAfterRetries: 0, unreached: 0, failed: 0, cancelled: 0, pending: 0 };
    expect(r.body.groups).to.deep.equal([
      { key: 'support-chat', name: textName(t, 'support-chat'), ...zero, requested: 1, cancelled: 1 },
      { key: 'support-phone', name: textName(t, 'support-phone'), ...zero, requested: 4, reachedFirstAttempt: 1, reachedAfterRetries: 1, unreached: 1, pending: 1 },
    ]);
    expect(r.body.total).to.deep.equal({ ...zero, requested: 5, reachedFirstAttempt: 1, reachedAfterRetries: 1, unreached: 1, cancelled: 1, pending: 1 });
    const csv = await api(t.url, 'GET', `/api/reports/callbacks.csv?${CB_DAY}&queue=support-phone`, undefined, sup.token);
    expect((csv.body as string).trimEnd().split('\r\n')).to.deep.equal([
      'queue,name,requested,reachedFirstAttempt,reachedAfterRetries,unreached,failed,cancelled,pending',
      `support-phone,${textName(t, 'support-phone')},4,1,1,1,0,0,1`,
      'total,Total,4,1,1,1,0,0,1',
    ]);
  });
});

const at = (s: number) => new Date(CB_T + s * 1000);

/** Callbacks of CB_DAY (and one of the next day), with the attempts each made. */
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
