// A line stored by an instance that died before relaying it: only MySQL has it, and no instance is
// relaying it. When a screen shows it from a history and confirms it, it goes out then, not when
// the resend sweep would find it: this server's clock stands still, so to the sweep the line
// is never old enough to be taken for an orphan, and only the confirmation can move it.
import { expect } from 'chai';
import { Message } from './message.entity.js';
import { ManualClock } from '../../test/clock.js';
import { api, login, makeAgent, type TestServer } from '../../test/routing.js';
import { cid, command, startChat, takeChat, startChatServer } from '../../test/chat.js';

describe('chat: a stranded line the other side confirmed from a history', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startChatServer({}, { clock: new ManualClock(new Date()) });
    admin = await login(t.url);
  });
  after(() => t.stop());

  it('is relayed and pushed as soon as the desktop confirms it, with the double check', async () => {
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 8 }] });
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const parts = t.sb.contexts.chat;
    const { message } = await parts.chat.store.add({ interactionId: v.interactionId, authorKind: 'visitor', authorName: 'Ada Visitor', body: 'stored, then its instance died', clientMessageId: cid() });
    // The desktop reconnects, reads the history, shows the line and confirms it.
    const hist = await api(t.url, 'GET', `/api/chats/${v.interactionId}/messages`, undefined, a.token);
    expect(hist.body.messages.find((m: { id: string }) => m.id === message.id)).to.include({ deliveryState: 'stored' });
    expect((await command(a.socket, { type: 'chat.received', interactionId: v.interactionId, messageIds: [message.id] })).type).to.equal('ok');
    // Relayed: the visitor's other pages and the desktop are told, with the double check.
    const pushed = await v.socket.next((m) => m.type === 'chat.message' && m.message.id === message.id);
    expect(pushed.message).to.include({ body: 'stored, then its instance died', deliveryState: 'delivered' });
    expect((await a.socket.next((m) => m.type === 'chat.message' && m.message.id === message.id)).message.deliveryState).to.equal('delivered');
    expect((await t.sb.kernel.db.getRepository(Message).findOneByOrFail({ id: message.id })).deliveryState).to.equal('delivered');
    await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId, disposition: 'resolved' });
    v.socket.close();
  });
});
