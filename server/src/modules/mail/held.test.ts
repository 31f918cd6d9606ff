// Messages left outside hours reach an agent. Before, the offline form (the widget's mail view
// when the website is closed, or the form a chat nobody could take offers) made a mail
// interaction in state `unmanaged`, or stayed on the unmanaged chat, and no agent was ever offered
// it, even once the agents logged in the next morning. Now the ticket is held and queued at the
// opening by a job in Redis: this test moves the hours (a calendar opening a few minutes from
// now), kills the server that took the messages with -9 before the opening, moves the other
// instance's clock to the opening and runs the jobs due by then, and has an agent log in to it.
import { expect } from 'chai';
import { In } from 'typeorm';
import { api, login, spawnServer, startTestServer, type TestServer } from '../../test/server.js';
import { makeConfigDir, setYaml } from '../../test/config.js';
import { eventually } from '../../test/redis.js';
import { accept, makeAgent, nextOffer, openQueues, uniquePrefix } from '../../test/routing.js';
import { FORM, widget } from '../../test/chat.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { MailThread } from './mail-thread.entity.js';
import { retryAt } from './held.js';
import { testConfig } from '../../test/config.js';
import { TEST_DB } from '../../test/env.js';
import { ManualClock } from '../../test/clock.js';
import { createDatabase, dropDatabase } from '../../kernel/db/admin.js';
import { createDataSource } from '../../kernel/db/data-source.js';
import { migrations } from '../../kernel/db/migrations/index.js';
import { entities } from '../../entities.js';

const MIN = 60_000;

/**
 * A calendar (UTC) closed until the first whole minute at least five minutes from now (time for
 * the first server to start and take the messages), open after it.
 */
function openingSoon(): { opening: number; calendar: Record<string, unknown> } {
  const opening = Math.ceil((Date.now() + 5 * MIN) / MIN) * MIN;
  const at = new Date(opening).toISOString();
  return { opening, calendar: { id: 'later', name: 'Opens later', timezone: 'UTC', weekly: {}, holidays: [{ date: at.slice(0, 10), name: 'Moved', open: [`${at.slice(11, 16)}-24:00`] }] } };
}

describe('mail: messages left outside hours reach an agent', function () {
  this.timeout(420_000);
  let first: Awaited<ReturnType<typeof spawnServer>> | undefined;
  let second: TestServer | undefined;
  after(async () => {
    if (first?.proc.exitCode === null) first.proc.kill('SIGKILL');
    await second?.stop();
  });

  it('holds them until the opening, across a kill -9, then offers them to an agent who logs in after it, with their text', async () => {
    const { opening, calendar } = openingSoon();
    const redisPrefix = uniquePrefix();
    const set = openQueues({ 'queues.yaml:queues.4.offerTimeoutSeconds': 60, 'hours.yaml:calendars.2': calendar, 'websites/example.yaml:hours': 'later' });
    first = await spawnServer(makeConfigDir({ redisPrefix, set }));
    const tag = Math.random().toString(16).slice(2, 10);

    // The widget's offline form (the website is closed)…
    const left = await widget(first.url, 'POST', '/mail', { offline: true, fields: { name: 'Olga', email: `olga-${tag}@example.com`, message: `Offline ${tag}: please call me` } });
    expect(left.status, JSON.stringify(left.body)).to.equal(201);
    const db = () => second!.sb.kernel.db;
    // …and a chat started anyway, told it is closed, whose visitor leaves a message.
    const chat = await widget(first.url, 'POST', '/chats', { fields: { ...FORM, email: `nina-${tag}@example.com` }, option: 'orders' });
    expect(chat.status, JSON.stringify(chat.body)).to.equal(201);
    expect(chat.body.outcome).to.equal('closed');
    expect(chat.body.nextOpening).to.equal(new Date(opening).toISOString());
    const offline = (fields: unknown) => widget(first!.url, 'POST', `/chats/${chat.body.interactionId}/offline`, { fields }, chat.body.token);
    // Garbage is refused field by field and makes no ticket; a second message for the chat is refused.
    for (const bad of [{ name: 'Nina' }, { name: 'Nina', email: 'not-an-email', message: 'x' }, { name: 'Nina', email: `nina-${tag}@example.com`, message: 'x'.repeat(2001) }, { name: 'Nina', email: `nina-${tag}@example.com`, message: 'x', extra: 1 }]) {
      const r = await offline(bad);
      expect(r.status, JSON.stringify(r.body)).to.equal(400);
      expect(r.body.error.code).to.be.a('string');
    }
    expect((await widget(first.url, 'POST', `/chats/${chat.body.interactionId}/offline`, { fields: 'x' }, chat.body.token)).status).to.equal(400);
    const ok = await offline({ name: 'Nina', email: `nina-${tag}@example.com`, message: `Chat ${tag}: where is order 42?` });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect((await offline({ name: 'Nina', email: `nina-${tag}@example.com`, message: 'again' })).status).to.equal(409);

    // The instance that runs the jobs after the kill: it reaches the opening when the test says.
    const clock = new ManualClock(new Date());
    second = await startTestServer({ redisPrefix, set, clock });
    const threads = await db().getRepository(MailThread).find({ where: [{ id: left.body.ticketId }, { customerAddress: `nina-${tag}@example.com` }] });
    expect(threads).to.have.length(2);
    const ids = threads.map((t) => t.interactionId);
    const before = await db().getRepository(Interaction).findBy({ id: In(ids) });
    // Held (not unmanaged, not queued), each with the step that says until when.
    expect(before.map((i) => [i.channel, i.state, i.offline, i.unmanaged])).to.deep.equal([['mail', 'new', true, false], ['mail', 'new', true, false]]);
    const held = await db().getRepository(InteractionEvent).findBy({ interactionId: In(ids), type: 'mail.held' });
    expect(held.map((e) => e.data.nextOpening)).to.deep.equal([new Date(opening).toISOString(), new Date(opening).toISOString()]);
    const chatRow = await db().getRepository(Interaction).findOneByOrFail({ id: chat.body.interactionId });
    expect(chatRow).to.include({ state: 'unmanaged', offline: true });

    // The instance that took the messages dies before the opening; the other one runs the jobs.
    first.proc.kill('SIGKILL');
    // Each ticket's next try waits in Redis, due no later than the opening (held.ts names the job
    // by its time): it is what queues them at the opening, with its instance gone.
    const job = second.sb.contexts.mail.kit.held;
    const tries = held.map((e) => ({ at: Date.parse(e.data.retryAt as string), id: `${e.interactionId}-${Date.parse(e.data.retryAt as string)}` }));
    for (const { at, id } of tries) {
      expect(at).to.be.at.most(opening);
      expect(await job.stateOf(id), id).to.equal('delayed');
    }
    clock.at((opening - clock.start.getTime()) / 1000);
    for (const { id } of tries) expect(await job.runNow(id), id).to.equal(true);
    const queued = await eventually(() => db().getRepository(Interaction).findBy({ id: In(ids) }), (rows) => rows.every((i) => i.state === 'queued'), 300, 1000);
    for (const i of queued) expect(i.queuedAt!.getTime()).to.be.at.least(opening);

    const admin = await login(second.url);
    const agent = await makeAgent(second.url, admin);
    const offered: string[] = [];
    for (let n = 0; n < 2; n++) {
      const o = await nextOffer(agent, 60_000);
      offered.push(o.interactionId);
      expect((await accept(second.url, agent, o.offerId)).status).to.equal(200);
    }
    expect(offered.sort()).to.deep.equal([...ids].sort());
    const texts = await Promise.all(ids.map(async (id) => (await api(second!.url, 'GET', `/api/mail/${id}`, undefined, agent.token)).body.messages.map((m: { body: string }) => m.body).join('\n')));
    expect(texts.join('\n')).to.contain(`Offline ${tag}: please call me`).and.to.contain(`Chat ${tag}: where is order 42?`);
    // Each message once: one ticket per message, none left behind.
    const all = await db().getRepository(MailThread).findBy({ customerAddress: In([`olga-${tag}@example.com`, `nina-${tag}@example.com`]) });
    expect(all).to.have.length(2);
    agent.socket.close();
  });
});

describe('mail: hours moved by a configuration reload', function () {
  this.timeout(120_000);
  let t: TestServer | undefined;
  after(() => t?.stop());

  it('offers a held message at once when a reload opens its website, not at the opening known before', async () => {
    const far = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    t = await startTestServer({ redisPrefix: uniquePrefix(), set: openQueues({ 'queues.yaml:queues.4.offerTimeoutSeconds': 60, 'hours.yaml:calendars.2': { id: 'far', name: 'Far', timezone: 'UTC', weekly: {}, holidays: [{ date: far, name: 'Open day', open: ['10:00-11:00'] }] }, 'websites/example.yaml:hours': 'far' }) });
    const admin = await login(t.url);
    // Logged in and free all along: only the hours keep the message from them.
    const agent = await makeAgent(t.url, admin);
    const tag = Math.random().toString(16).slice(2, 10);
    const left = await widget(t.url, 'POST', '/mail', { offline: true, fields: { name: 'Ezio', email: `ezio-${tag}@example.com`, message: `Moved ${tag}` } });
    expect(left.status, JSON.stringify(left.body)).to.equal(201);
    const { interactionId } = await t.sb.kernel.db.getRepository(MailThread).findOneByOrFail({ id: left.body.ticketId });
    const step = await t.sb.kernel.db.getRepository(InteractionEvent).findOneByOrFail({ interactionId, type: 'mail.held' });
    expect(step.data).to.include({ reason: 'outside-hours', nextOpening: `${far}T10:00:00.000Z` });
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: interactionId })).state).to.equal('new');

    setYaml(t.configDir, 'websites/example.yaml', 'hours', undefined);
    expect((await api(t.url, 'POST', '/api/admin/config/reload', undefined, admin)).status).to.equal(200);
    const o = await nextOffer(agent, 30_000);
    expect(o.interactionId).to.equal(interactionId);
    expect((await accept(t.url, agent, o.offerId)).status).to.equal(200);
    const thread = (await api(t.url, 'GET', `/api/mail/${interactionId}`, undefined, agent.token)).body;
    expect(thread.messages.map((m: { body: string }) => m.body).join('\n')).to.contain(`Moved ${tag}`);
    agent.socket.close();
  });
});

describe('mail: tickets an earlier version left unmanaged', function () {
  this.timeout(120_000);
  const name = `${TEST_DB}_held`;
  const cfg = testConfig().main.database;
  after(() => dropDatabase(cfg, name));

  it('become held on upgrade (open mail tickets only), and unmanaged again on downgrade', async () => {
    await createDatabase(cfg, name, true);
    const ds = createDataSource(cfg, entities, { databaseOverride: name });
    await ds.initialize();
    try {
      await ds.runMigrations();
      const row = (id: string, channel: string, closedAt: Date | null) => ({ id, channel, direction: 'inbound', state: 'unmanaged', queueId: 'mail', websiteId: 'example', contactId: null, assignedAgentId: null, routingVariables: {}, subject: null, dispositionId: null, unmanaged: true, offline: true, timedOut: false, visitorTokenHash: null, queuedAt: null, assignedAt: null, closedAt });
      const repo = ds.getRepository(Interaction);
      await repo.insert([row('a'.repeat(32), 'mail', null), row('b'.repeat(32), 'mail', new Date()), row('c'.repeat(32), 'chat', null)] as never);
      const states = async () => (await repo.find({ order: { id: 'ASC' } })).map((i) => [i.channel, i.state, i.unmanaged]);
      const migration = new (migrations.find((m) => m.name.startsWith('HeldMailTickets'))!)();
      await migration.up(ds.createQueryRunner());
      expect(await states()).to.deep.equal([['mail', 'new', true], ['mail', 'unmanaged', true], ['chat', 'unmanaged', true]]);
      await migration.down(ds.createQueryRunner());
      expect(await states()).to.deep.equal([['mail', 'unmanaged', true], ['mail', 'unmanaged', true], ['chat', 'unmanaged', true]]);
    } finally {
      await ds.destroy();
    }
  });

  it('are queued by the held-ticket check once they are older than a request could take', async () => {
    const t = await startTestServer({ redisPrefix: uniquePrefix(), set: openQueues() });
    try {
      const db = t.sb.kernel.db;
      const website = t.config.websites.find((w) => w.id === 'example')!;
      // As the upgrade leaves one: held, never tried, made a while ago.
      const i = await t.sb.contexts.routing.createHeld({ channel: 'mail', queueId: 'mail', websiteId: website.id, subject: 'Left last night', offline: true });
      await db.query('UPDATE `interactions` SET `createdAt` = NOW(3) - INTERVAL 5 MINUTE WHERE `id` = ?', [i.id]);
      const fresh = await t.sb.contexts.routing.createHeld({ channel: 'mail', queueId: 'mail', websiteId: website.id, subject: 'Being made now', offline: true });
      await t.sb.contexts.mail.kit.held.repair();
      const rows = await db.getRepository(Interaction).findBy({ id: In([i.id, fresh.id]) });
      expect(rows.find((r) => r.id === i.id)!.state).to.equal('queued');
      // One a request is still making (its thread and first message not yet written) is left to it.
      expect(rows.find((r) => r.id === fresh.id)!.state).to.equal('new');
      await t.sb.contexts.routing.closeHeld(fresh.id, 'system');
      await t.sb.contexts.routing.cancel(i.id);
    } finally {
      await t.stop();
    }
  });

  it('are queued by the held-ticket check in the order they came, oldest first', async () => {
    const t = await startTestServer({ redisPrefix: uniquePrefix(), set: openQueues() });
    try {
      const db = t.sb.kernel.db;
      const made = [];
      for (const subject of ['One', 'Two']) made.push(await t.sb.contexts.routing.createHeld({ channel: 'mail', queueId: 'mail', websiteId: 'example', subject, offline: true }));
      // The older has the greater id: read back in id order they would queue the other way round.
      const [older, newer] = made.sort((x, y) => (x.id < y.id ? 1 : -1));
      await db.query('UPDATE `interactions` SET `createdAt` = NOW(3) - INTERVAL 6 MINUTE WHERE `id` = ?', [older!.id]);
      await db.query('UPDATE `interactions` SET `createdAt` = NOW(3) - INTERVAL 5 MINUTE WHERE `id` = ?', [newer!.id]);
      await t.sb.contexts.mail.kit.held.repair();
      const queued = await db.getRepository(InteractionEvent).find({ where: { interactionId: In([older!.id, newer!.id]), type: 'queued' }, order: { seq: 'ASC' } });
      expect(queued.map((e) => e.interactionId)).to.deep.equal([older!.id, newer!.id]);
      for (const i of [older!, newer!]) await t.sb.contexts.routing.cancel(i.id);
    } finally {
      await t.stop();
    }
  });
});

describe('mail: when a held ticket is tried again', () => {
  const t0 = Date.UTC(2026, 11, 4, 15, 7, 30);
  it('is the opening when it is within the quarter hour', () => {
    expect(retryAt(t0 + 5 * MIN, t0)).to.equal(t0 + 5 * MIN);
  });
  it('is the next quarter hour on the clock for a far opening, so two instances name the same job', () => {
    expect(retryAt(t0 + 10 * 60 * MIN, t0)).to.equal(Date.UTC(2026, 11, 4, 15, 15));
    expect(retryAt(t0 + 10 * 60 * MIN, t0 + 20_000)).to.equal(Date.UTC(2026, 11, 4, 15, 15));
  });
  it('is the next whole minute over the licensed limit', () => {
    expect(retryAt(null, t0)).to.equal(Date.UTC(2026, 11, 4, 15, 8));
  });
  it('is never the time of the run under way', () => {
    const due = Date.UTC(2026, 11, 4, 15, 15);
    expect(retryAt(due, due - 200)).to.be.greaterThan(due);
    expect(retryAt(due, due)).to.be.greaterThan(due);
  });
});
