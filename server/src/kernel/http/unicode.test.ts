// A lone surrogate (`\ud800`) is valid JSON but no character: MySQL's utf8mb4 refuses it, so before
// the check it surfaced as a 500 after the interaction was half made. Every input path must refuse
// it with a 400 naming the field, store nothing and stay up.
import { expect } from 'chai';
import { In, Like } from 'typeorm';
import { Interaction } from '../../modules/interactions/interaction.entity.js';
import { Contact } from '../../modules/contacts/contact.entity.js';
import { Agent } from '../../modules/agents/agent.entity.js';
import { INVALID_UNICODE } from './unicode.js';
import { api, login, makeAgent, type TestServer } from '../../test/routing.js';
import { FORM, ORIGIN, cid, command, startChat, startChatServer, widget } from '../../test/chat.js';

const BAD = 'Ada \ud800 Visitor';

describe('invalid Unicode on every input path', function () {
  this.timeout(60000);
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startChatServer();
    admin = await login(t.url);
  });
  after(() => t.stop());

  // What the refused requests could have stored: a contact with the name, address or number they
  // carry, an interaction of such a contact or of the website without one, the agent. Earlier tests'
  // background work (a callback's retry, mail fetched) adds rows of its own meanwhile.
  const EMAIL = 'ada.unicode@example.com';
  const PHONE = '0612348888';
  const count = async () => {
    const db = t.sb.kernel.db;
    const contacts = (await db.getRepository(Contact).find({ where: [{ email: EMAIL }, { phone: In([PHONE, '+390612348888']) }], select: { id: true } })).map((c) => c.id);
    const interactions = db.getRepository(Interaction).createQueryBuilder('i').where("i.websiteId = 'example' AND i.contactId IS NULL");
    if (contacts.length) interactions.orWhere('i.contactId IN (:...contacts)', { contacts });
    const named = await db.getRepository(Contact).countBy({ name: Like('Ada%') });
    return [await interactions.getCount(), contacts.length, named, await db.getRepository(Agent).countBy({ username: 'uni.code' })];
  };
  const refused = (r: { status: number; body: any }, field: string) => {
    expect(r.status, JSON.stringify(r.body)).to.equal(400);
    expect(r.body.error.fields, JSON.stringify(r.body)).to.deep.equal([{ field, problem: INVALID_UNICODE }]);
  };

  it('refuses it in the forms of the widget (call, chat, callback, mail) and stores nothing', async () => {
    const before = await count();
    refused(await widget(t.url, 'POST', '/calls', { fields: { name: BAD } }), 'fields.name');
    refused(await widget(t.url, 'POST', '/calls', { name: BAD }), 'name');
    refused(await widget(t.url, 'POST', '/chats', { fields: { ...FORM, email: EMAIL, name: BAD }, option: 'orders' }), 'fields.name');
    refused(await widget(t.url, 'POST', '/callbacks', { fields: { phone: PHONE, message: BAD }, slot: 'asap' }), 'fields.message');
    refused(await widget(t.url, 'POST', '/mail', { fields: { email: EMAIL, subject: 'Hi', body: BAD } }), 'fields.body');
    // In a key as well as in a value.
    refused(await widget(t.url, 'POST', '/chats', { fields: { ...FORM, email: EMAIL, ['x\ud800']: 'y' } }), 'fields.x\ufffd');
    expect(await count()).to.deep.equal(before);
    expect((await api(t.url, 'GET', '/health')).status).to.equal(200);
  });

  it("refuses it in a visitor's and an agent's chat messages, on the socket and over HTTP", async () => {
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 8 }], available: true });
    const v = await startChat(t.url);
    const sent = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: BAD });
    expect(sent).to.include({ type: 'error', code: 'invalid_command' });
    expect(sent.message).to.contain(`body ${INVALID_UNICODE}`);
    refused(await widget(t.url, 'POST', `/chats/${v.interactionId}/messages`, { clientMessageId: cid(), body: BAD }, v.token), 'body');
    const desk = a.socket;
    const note = await command(desk, { type: 'chat.note', interactionId: v.interactionId, clientMessageId: cid(), body: BAD });
    expect(note.message).to.contain(`body ${INVALID_UNICODE}`);
    // The sockets stay open and usable.
    expect((await command(v.socket, { type: 'ping' })).type).to.equal('pong');
    expect((await command(desk, { type: 'ping' })).type).to.equal('pong');
    v.socket.close();
    desk.close();
  });

  it('refuses it in contacts and agents the desktop edits', async () => {
    const before = await count();
    refused(await api(t.url, 'POST', '/api/contacts', { name: BAD }, admin), 'name');
    refused(await api(t.url, 'POST', '/api/agents', { username: 'uni.code', name: BAD, role: 'agent', password: 'long-enough-1' }, admin), 'name');
    expect(await count()).to.deep.equal(before);
  });

  it('refuses it on every route that reads a body, before anything else looks at it', async () => {
    const withBody = t.sb.mounted.filter((r) => r.body);
    expect(withBody.length).to.be.greaterThan(20);
    for (const r of withBody) {
      const path = r.path.replace(':websiteId', 'example').replace(/:[a-zA-Z]+/g, '0'.repeat(32));
      const res = await api(t.url, r.method.toUpperCase(), path, { note: BAD }, r.access === 'website' ? undefined : admin, r.access === 'website' ? { origin: ORIGIN } : {});
      expect(res.status, `${r.method} ${r.path}: ${JSON.stringify(res.body)}`).to.equal(400);
      expect(res.body.error.fields, `${r.method} ${r.path}`).to.deep.equal([{ field: 'note', problem: INVALID_UNICODE }]);
    }
  });
});
