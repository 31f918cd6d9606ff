// Live chat end to end against real Prosody, MariaDB and Redis: a visitor starts a chat, an agent
// takes it, lines flow both ways through the interaction's XMPP room with receipts and typing,
// and closing destroys the room.
import { expect } from 'chai';
import { Interaction } from '../interactions/interaction.entity.js';
import { Message } from './message.entity.js';
import { ChatStore } from './store.js';
import { ManualClock } from '../../test/clock.js';
import { api, login, makeAgent, type TestServer } from '../../test/routing.js';
import { eventually } from '../../test/redis.js';
import { cid, command, startChat, takeChat , startChatServer } from '../../test/chat.js';

describe('chat: relay through XMPP rooms', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startChatServer();
    admin = await login(t.url);
    await eventually(async () => t.sb.contexts.xmpp.status().ok, (ok) => ok);
  });
  after(() => t.stop());
  const english = [{ skill: 'english', level: 8 }];

  it('relays lines both ways through a members-only room with single then double checks, typing, and destroys the room on close', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    // The bot option's welcome line comes first, from the bot, and goes through the room.
    const welcome = v.subscribed.messages[0];
    expect(welcome).to.include({ authorKind: 'bot', body: 'Thanks! An agent will look up your order.' });
    await eventually(() => t.sb.kernel.db.getRepository(Message).findOneByOrFail({ id: welcome.id }), (m) => m.deliveryState === 'sent');
    await takeChat(t.url, a, v);

    const parts = t.sb.contexts.chat;
    const room = parts.chat.relay.room(v.interactionId);
    expect(room).to.not.include(v.interactionId);
    expect(await parts.chat.relay.features(v.interactionId)).to.include('muc_membersonly');

    // Visitor → agent: acknowledged once stored, then delivered to the desktop through the room.
    const ack = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'Hello, where is my order?' });
    expect(ack.type).to.equal('chat.ack');
    expect(ack.message.deliveryState).to.equal('stored');
    const got = await a.socket.next((m) => m.type === 'chat.message' && m.message.id === ack.message.id);
    expect(got.message).to.include({ body: 'Hello, where is my order?', authorKind: 'visitor', authorName: 'Ada Visitor', deliveryState: 'sent' });
    expect((await t.sb.kernel.db.getRepository(Message).findOneByOrFail({ id: ack.message.id })).externalId).to.be.a('string');

    // The desktop shows it: the visitor's line gets its double check.
    expect((await command(a.socket, { type: 'chat.received', interactionId: v.interactionId, messageIds: [ack.message.id] })).type).to.equal('ok');
    const dv = await v.socket.next((m) => m.type === 'chat.delivery');
    expect(dv).to.deep.include({ messageIds: [ack.message.id], state: 'delivered' });

    // Agent → visitor, and the visitor's page confirms it.
    const aack = await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'Let me check.' });
    expect(aack.type, JSON.stringify(aack)).to.equal('chat.ack');
    const vgot = await v.socket.next((m) => m.type === 'chat.message' && m.message.id === aack.message.id);
    expect(vgot.message.deliveryState).to.equal('sent');
    await command(v.socket, { type: 'chat.received', interactionId: v.interactionId, messageIds: [aack.message.id] });
    const da = await a.socket.next((m) => m.type === 'chat.delivery' && m.messageIds.includes(aack.message.id));
    expect(da.state).to.equal('delivered');
    expect((await t.sb.kernel.db.getRepository(Message).findOneByOrFail({ id: aack.message.id })).deliveryState).to.equal('delivered');

    // Typing both ways.
    await command(v.socket, { type: 'chat.typing', interactionId: v.interactionId, state: 'composing' });
    expect(await a.socket.next((m) => m.type === 'chat.typing')).to.include({ authorKind: 'visitor', state: 'composing', authorName: 'Ada Visitor' });
    await command(a.socket, { type: 'chat.typing', interactionId: v.interactionId, state: 'paused' });
    expect(await v.socket.next((m) => m.type === 'chat.typing')).to.include({ authorKind: 'agent', state: 'paused' });

    // Closing with a disposition ends it for the visitor and destroys the room.
    const closed = await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId, disposition: 'resolved' });
    expect(closed.type, JSON.stringify(closed)).to.equal('ok');
    expect(await v.socket.next((m) => m.type === 'chat.ended')).to.include({ by: 'agent', timedOut: false });
    await eventually(
      () => parts.chat.relay.features(v.interactionId).then(() => 'exists', (err: Error) => err.message),
      (r) => r !== 'exists',
    );
    const i = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: v.interactionId });
    expect(i).to.include({ state: 'closed', dispositionId: 'resolved' });
    v.socket.close();
  });

  it('stores a retried line once and answers the retry with the same message', async () => {
    const v = await startChat(t.url);
    const id = cid();
    const first = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: id, body: 'once' });
    const again = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: id, body: 'once' });
    const http = await api(t.url, 'POST', `/api/widget/example/chats/${v.interactionId}/messages`, { clientMessageId: id, body: 'once' }, v.token, { origin: 'http://127.0.0.1:8081' });
    expect(http.status).to.equal(201);
    expect(again.message.id).to.equal(first.message.id);
    expect(http.body.message.id).to.equal(first.message.id);
    expect(await t.sb.kernel.db.getRepository(Message).countBy({ interactionId: v.interactionId, clientMessageId: id })).to.equal(1);
    await command(v.socket, { type: 'chat.end', interactionId: v.interactionId });
    v.socket.close();
  });

  it('reads lines stored in the same millisecond back in the order they were stored, on both sides', async () => {
    const v = await startChat(t.url);
    // A clock that never moves: every line gets the same createdAt, as a line and its answer can.
    const store = new ChatStore(t.sb.kernel.db, new ManualClock(new Date()));
    const bodies = Array.from({ length: 12 }, (_, k) => `line ${k}`);
    for (const [k, body] of bodies.entries()) {
      await store.add({ interactionId: v.interactionId, authorKind: k % 2 ? 'agent' : 'visitor', authorName: null, body, clientMessageId: cid() });
    }
    const own = (m: { body: string }) => bodies.includes(m.body);
    const desk = await api(t.url, 'GET', `/api/chats/${v.interactionId}/messages`, undefined, admin);
    expect(desk.status).to.equal(200);
    expect(desk.body.messages.filter(own).map((m: { body: string }) => m.body)).to.deep.equal(bodies);
    const page = await command(v.socket, { type: 'chat.subscribe', interactionId: v.interactionId, token: v.token });
    expect(page.messages.filter(own).map((m: { body: string }) => m.body)).to.deep.equal(bodies);
    await command(v.socket, { type: 'chat.end', interactionId: v.interactionId });
    v.socket.close();
  });

  it('marks echoes arriving together as sent in one batch, each line won exactly once', async () => {
    const v = await startChat(t.url);
    const store = t.sb.contexts.chat.chat.store;
    const rows = await Promise.all(['a', 'b', 'c', 'd'].map((body) => store.add({ interactionId: v.interactionId, authorKind: 'system', authorName: null, body: `batch ${body}` })));
    const ids = rows.map((r) => r.message.id);
    // The same echo twice (a resend's echo racing the first) and one line already sent elsewhere.
    await t.sb.kernel.db.getRepository(Message).update({ id: ids[3] }, { deliveryState: 'sent' });
    const won = await Promise.all([...ids, ids[0]!, ids[1]!].map((id) => store.markSent(id, `ext-${id}`)));
    expect(won.slice(0, 4)).to.deep.equal(['sent', 'sent', 'sent', null]);
    expect(won.slice(4)).to.deep.equal([null, null]);
    const after = await t.sb.kernel.db.getRepository(Message).findBy(ids.map((id) => ({ id })));
    expect(after.every((m) => m.deliveryState === 'sent')).to.equal(true);
    expect(after.find((m) => m.id === ids[0])!.externalId).to.equal(`ext-${ids[0]}`);
    expect(after.find((m) => m.id === ids[3])!.externalId).to.equal(null);
    await command(v.socket, { type: 'chat.end', interactionId: v.interactionId });
    v.socket.close();
  });

});
