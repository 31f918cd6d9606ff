// The desktop's side of chat: internal notes that never reach the visitor, silent supervisor
// monitoring, transfer and conference announced to the visitor, the visitor ending, unattended
// chats closing as Timeout, and the history over REST for the chat's agents and supervisors only.
import { expect } from 'chai';
import { Interaction } from '../interactions/interaction.entity.js';
import { accept, api, login, makeAgent, nextOffer, type TestServer } from '../../test/routing.js';
import { cid, command, startChat, takeChat, widget , startChatServer } from '../../test/chat.js';

const english = [{ skill: 'english', level: 8 }];

describe('chat: agent side', () => {
  let t: TestServer;
  let admin: string;
  // A server per test: a chat left open by one test must not be offered to the next one's agents.
  beforeEach(async () => {
    t = await startChatServer();
    admin = await login(t.url);
  });
  afterEach(() => t.stop());

  it('keeps internal notes and silent monitoring away from the visitor; the supervisor’s note reaches the agent only', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const sup = await makeAgent(t.url, admin, { role: 'supervisor', available: false });
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);

    const mon = await command(sup.socket, { type: 'chat.monitor', interactionId: v.interactionId });
    expect(mon.type, JSON.stringify(mon)).to.equal('chat.history');
    const note = await command(a.socket, { type: 'chat.note', interactionId: v.interactionId, clientMessageId: cid(), body: 'SECRET-NOTE customer seems upset' });
    expect(note.type).to.equal('chat.ack');
    expect(note.message.authorKind).to.equal('note');
    expect((await sup.socket.next((m) => m.type === 'chat.message' && m.message.id === note.message.id)).message.body).to.include('SECRET-NOTE');
    const supNote = await command(sup.socket, { type: 'chat.note', interactionId: v.interactionId, clientMessageId: cid(), body: 'SECRET-SUPERVISOR offer a voucher' });
    expect(supNote.type, JSON.stringify(supNote)).to.equal('chat.ack');
    await a.socket.next((m) => m.type === 'chat.message' && m.message.id === supNote.message.id);
    // A supervisor only watches: writing to the visitor is for the chat's agents.
    expect(await command(sup.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'hi' })).to.include({ type: 'error', code: 'not_yours' });

    // The monitor sees the conversation as it happens.
    const line = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'Are you there?' });
    await sup.socket.next((m) => m.type === 'chat.message' && m.message.id === line.message.id);
    // A later line reaches the visitor, so anything sent before it would have arrived by now.
    const reply = await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'Yes!' });
    await v.socket.next((m) => m.type === 'chat.message' && m.message.id === reply.message.id);
    const seen = [...v.socket.messages.map((m) => JSON.stringify(m)), JSON.stringify(v.subscribed)].join('\n');
    expect(seen).to.not.include('SECRET');
    expect(seen).to.not.include('"note"');
    expect(seen).to.not.match(/monitor/i);
    const history = await widget(t.url, 'GET', `/chats/${v.interactionId}`, undefined, v.token);
    expect(history.body.messages.map((m: { authorKind: string }) => m.authorKind)).to.not.include('note');
    expect(JSON.stringify(history.body)).to.not.include('SECRET');
    // The agents' history has the notes.
    const full = await api(t.url, 'GET', `/api/chats/${v.interactionId}/messages`, undefined, a.token);
    expect(full.body.messages.filter((m: { authorKind: string }) => m.authorKind === 'note')).to.have.length(2);
    // A plain agent cannot monitor.
    const other = await makeAgent(t.url, admin, { skills: [], available: false });
    expect(await command(other.socket, { type: 'chat.monitor', interactionId: v.interactionId })).to.include({ type: 'error', code: 'forbidden' });
    expect(await command(other.socket, { type: 'chat.note', interactionId: v.interactionId, clientMessageId: cid(), body: 'x' })).to.include({ type: 'error', code: 'not_yours' });
    await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId });
    v.socket.close();
  });

  it('announces a transferred-to agent and a conference guest to the visitor; only the current agents may write', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const b = await makeAgent(t.url, admin, { skills: english });
    const c = await makeAgent(t.url, admin, { skills: english });

    expect((await command(a.socket, { type: 'interaction.transfer', interactionId: v.interactionId, toAgent: b.id })).type).to.equal('ok');
    const offer = await nextOffer(b);
    expect((await accept(t.url, b, offer.offerId)).status).to.equal(200);
    const joined = await v.socket.next((m) => m.type === 'chat.message' && m.message.authorKind === 'system' && m.message.body === `${b.username} joined the chat.`);
    expect(joined.message.authorName).to.equal(null);
    expect(await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'still me?' })).to.include({ type: 'error', code: 'not_yours' });
    const fromB = await command(b.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'B here' });
    expect((await v.socket.next((m) => m.type === 'chat.message' && m.message.id === fromB.message.id)).message.authorName).to.equal(b.username);

    expect((await command(b.socket, { type: 'interaction.conference', interactionId: v.interactionId, agentId: c.id })).type).to.equal('ok');
    const inv = await nextOffer(c);
    expect((await accept(t.url, c, inv.offerId)).status).to.equal(200);
    await v.socket.next((m) => m.type === 'chat.message' && m.message.body === `${c.username} joined the chat.`);
    // Both agents of the conference get the visitor's lines.
    const line = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'to both' });
    await Promise.all([b, c].map((x) => x.socket.next((m) => m.type === 'chat.message' && m.message.id === line.message.id)));
    expect((await command(b.socket, { type: 'interaction.conference.end', interactionId: v.interactionId })).type).to.equal('ok');
    await v.socket.next((m) => m.type === 'chat.message' && m.message.body === `${c.username} left the chat.`);
    await command(b.socket, { type: 'interaction.close', interactionId: v.interactionId, disposition: 'resolved' });
    v.socket.close();
  });

  it('closes the chat for the agent when the visitor ends it, and a new chat starts afresh', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    expect((await widget(t.url, 'POST', `/chats/${v.interactionId}/end`, undefined, v.token)).status).to.equal(200);
    expect(await a.socket.next((m) => m.type === 'chat.ended' && m.interactionId === v.interactionId)).to.include({ by: 'customer' });
    await a.socket.next((m) => m.type === 'interaction.removed' && m.interactionId === v.interactionId);
    expect(await v.socket.next((m) => m.type === 'chat.ended')).to.include({ by: 'customer' });
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: v.interactionId })).state).to.equal('closed');
    // Writing into the ended chat is refused, with what to do.
    const late = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'late' });
    expect(late).to.include({ type: 'error', code: 'chat_closed' });
    expect(await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'late' })).to.include({ type: 'error' });
    // Restart: a new chat, a new token; the old token does not open it.
    const again = await startChat(t.url);
    expect(again.interactionId).to.not.equal(v.interactionId);
    expect((await widget(t.url, 'GET', `/chats/${again.interactionId}`, undefined, v.token)).status).to.equal(403);
    await command(again.socket, { type: 'chat.end', interactionId: again.interactionId });
    v.socket.close();
    again.socket.close();
  });

  it('closes an unattended chat with disposition timeout after the queue’s time, telling both sides', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const { lifecycle } = t.sb.contexts.chat;
    // support-chat waits 15 minutes; 14 minutes of silence are not enough.
    expect(await lifecycle.sweepUnattended(new Date(Date.now() + 14 * 60_000))).to.not.include(v.interactionId);
    expect(await lifecycle.sweepUnattended(new Date(Date.now() + 16 * 60_000))).to.include(v.interactionId);
    expect(await v.socket.next((m) => m.type === 'chat.ended')).to.include({ by: 'system', timedOut: true });
    expect(await a.socket.next((m) => m.type === 'chat.ended')).to.include({ timedOut: true });
    const i = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: v.interactionId });
    expect(i).to.include({ state: 'closed', dispositionId: 'timeout', timedOut: true });
    v.socket.close();
  });

  it('gives the history only to the chat’s agents and supervisors', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'hello' });
    const outsider = await makeAgent(t.url, admin, { available: false });
    const path = `/api/chats/${v.interactionId}/messages`;
    const mine = await api(t.url, 'GET', path, undefined, a.token);
    expect(mine.status).to.equal(200);
    expect(mine.body.messages.map((m: { body: string }) => m.body)).to.include('hello');
    expect((await api(t.url, 'GET', path, undefined, outsider.token)).status).to.equal(403);
    expect((await api(t.url, 'GET', path, undefined, admin)).status).to.equal(200);
    expect((await api(t.url, 'GET', path)).status).to.equal(401);
    expect((await api(t.url, 'GET', '/api/chats/0123456789abcdef0123456789abcdef/messages', undefined, admin)).status).to.equal(404);
    expect((await api(t.url, 'GET', '/api/chats/garbage/messages', undefined, admin)).status).to.equal(400);
    await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId });
    v.socket.close();
  });
});
