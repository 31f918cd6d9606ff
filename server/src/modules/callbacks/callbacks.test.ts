// The widget's callback intake: what a visitor types is checked against the website's form, the
// phone number must be callable, a slot must be one the widget offered, and what is accepted is
// stored as a contact, a callback interaction and a Callback row with its due job.
import { expect } from 'chai';
import { In } from 'typeorm';
import { Callback } from './callback.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { Contact } from '../contacts/contact.entity.js';
import { startRoutingServer, type TestServer } from '../../test/routing.js';
import { ORIGIN, widget } from '../../test/chat.js';
import { api } from '../../test/server.js';
import { hoursStatus } from '../websites/hours.js';
import { startTestServer } from '../../test/server.js';
import { eventually } from '../../test/redis.js';

describe('callbacks from the widget', () => {
  let t: TestServer;
  before(async () => {
    t = await startRoutingServer();
  });
  after(() => t.stop());

  it('stores an "as soon as possible" callback with contact, interaction and a reference', async () => {
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 (06) 1234-5678', message: 'About my order' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.reference).to.match(/^CB-[0-9A-F]{8}$/);
    const callbacks = t.sb.kernel.db.getRepository(Callback);
    const cb = await callbacks.findOneByOrFail({ id: r.body.callbackId });
    expect(cb).to.include({ phoneNumber: '+390612345678', message: 'About my order', asap: true });
    // This server is always open, so "as soon as possible" is due at once: its job may already
    // have queued it by the time the row is read. It must get there, and go no further alone.
    expect(['scheduled', 'queued']).to.include(cb.state);
    const due = await eventually(() => callbacks.findOneByOrFail({ id: cb.id }), (row) => row.state === 'queued');
    expect(due.dueAt.getTime()).to.be.at.most(Date.now());
    const i = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId });
    expect(i).to.include({ channel: 'callback', queueId: 'callbacks', websiteId: 'example' });
    const c = await t.sb.kernel.db.getRepository(Contact).findOneByOrFail({ id: i.contactId! });
    expect(c.phone).to.equal('+390612345678');
  });

  it('offers half-hour slots and stores the one picked, due at its start', async () => {
    const slots = await widget(t.url, 'GET', '/callbacks/slots');
    expect(slots.status).to.equal(200);
    expect(slots.body.slots.length).to.be.greaterThan(10);
    const pick = slots.body.slots[3];
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '0612345678' }, slot: pick.start });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const cb = await t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId });
    expect(cb.asap).to.equal(false);
    expect(cb.dueAt.toISOString()).to.equal(pick.start);
    expect(cb.slotEnd!.getTime() - cb.slotStart!.getTime()).to.equal(30 * 60_000);
    expect(cb.message).to.equal(null);
  });

  it('refuses slots that were not offered (past, odd minutes, outside hours)', async () => {
    for (const slot of [new Date(Date.now() - 3600_000).toISOString(), '2026-01-01T10:07:00.000Z', '2030-01-01T10:00:00.000Z']) {
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '0612345678' }, slot });
      expect(r.status, slot).to.equal(400);
      expect(r.body.error.fields[0].field).to.equal('slot');
    }
  });

  it('refuses garbage with a problem per field and stores nothing', async () => {
    // Only the number these requests carry: earlier tests' callbacks (a retry is a new row) come and go meanwhile.
    const mine = () => t.sb.kernel.db.getRepository(Callback).countBy({ phoneNumber: In(['+390612347777', '0612347777']) });
    const before = await mine();
    const cases: [unknown, string][] = [
      [{ fields: { phone: 'call me maybe' }, slot: 'asap' }, 'fields.phone'],
      [{ fields: { phone: '12' }, slot: 'asap' }, 'fields.phone'],
      [{ fields: { phone: '+1234567890123456789' }, slot: 'asap' }, 'fields.phone'],
      [{ fields: { phone: '<script>alert(1)</script>' }, slot: 'asap' }, 'fields.phone'],
      [{ fields: {}, slot: 'asap' }, 'fields.phone'],
      [{ fields: { phone: '0612347777', message: 'x'.repeat(501) }, slot: 'asap' }, 'fields.message'],
      [{ fields: { phone: '0612347777', admin: true }, slot: 'asap' }, 'fields.admin'],
      [{ fields: { phone: ['0612347777'] }, slot: 'asap' }, 'fields.phone'],
      [{ fields: { phone: '0612347777' }, slot: 'tomorrow' }, 'slot'],
      [{ fields: { phone: '0612347777' } }, 'slot'],
      [{ fields: 'phone=1', slot: 'asap' }, 'fields'],
      [{ fields: { phone: '0612347777' }, slot: 'asap', queueId: 'support-chat' }, 'queueId'],
    ];
    for (const [body, field] of cases) {
      const r = await widget(t.url, 'POST', '/callbacks', body);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(r.body.error.fields.map((f: { field: string }) => f.field).join(' '), JSON.stringify(r.body)).to.contain(field);
    }
    for (const raw of ['not json', '[]', 'null', '{"fields":']) {
      const r = await widget(t.url, 'POST', '/callbacks', raw);
      expect(r.status, raw).to.equal(400);
    }
    expect(await mine()).to.equal(before);
  });

  it('answers garbage on the slots route with a 4xx, never a 500: unknown or malformed websites refused, query parameters it does not take ignored', async () => {
    for (const bad of ['nope', 'EXAMPLE', "example' OR '1'='1", '%3Cscript%3E', '..%2F..%2Fadmin', '%00', 'x'.repeat(300)]) {
      const r = await api(t.url, 'GET', `/api/widget/${bad}/callbacks/slots`, undefined, undefined, { origin: ORIGIN });
      expect(r.status, bad).to.be.within(400, 499);
      expect(r.body?.error, `${bad}: ${JSON.stringify(r.body)}`).to.not.equal(undefined);
    }
    // The route takes no parameters: dates asked for do not move the slots before now, and
    // nothing else sent changes the answer into an error.
    const asked = new Date();
    for (const q of ['from=1970-01-01&to=2020-13-45', 'now=yesterday&days=-1', 'days=99999999999999999999', 'slots[0][start]=x&__proto__[admin]=1&constructor=1', `junk=${'x'.repeat(6000)}`, 'a=%E0%A4%A', '%%%=%%%']) {
      const r = await widget(t.url, 'GET', `/callbacks/slots?${q}`);
      expect(r.status, q.slice(0, 60)).to.be.oneOf([200, 400]);
      if (r.status === 200) {
        expect(r.body.slots.length, q.slice(0, 60)).to.be.greaterThan(10);
        expect(Date.parse(r.body.slots[0].start), q.slice(0, 60)).to.be.greaterThan(asked.getTime());
      } else expect(r.body.error, q.slice(0, 60)).to.not.equal(undefined);
    }
    expect((await widget(t.url, 'GET', '/callbacks/slots', undefined, undefined, 'http://evil.example')).status).to.equal(403);
  });

  it('refuses a page whose origin is not one of the website', async () => {
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '0612345678' }, slot: 'asap' }, undefined, 'http://evil.example');
    expect(r.status).to.equal(403);
  });
});

describe('callback slots follow the working hours', () => {
  it('offers only slots inside the office calendar', async () => {
    const t = await startTestServer();
    try {
      const r = await widget(t.url, 'GET', '/callbacks/slots');
      expect(r.status).to.equal(200);
      const office = t.config.calendars.find((c) => c.id === 'office')!;
      expect(r.body.slots.length).to.be.greaterThan(0);
      for (const s of r.body.slots) {
        expect(hoursStatus(office, new Date(s.start)).open, s.start).to.equal(true);
        expect(hoursStatus(office, new Date(new Date(s.end).getTime() - 60_000)).open, s.end).to.equal(true);
      }
    } finally {
      await t.stop();
    }
  });
});
