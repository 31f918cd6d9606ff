// Two server instances on one Prosody: each holds its own relay slot (component domain). The
// visitor's socket is on one, the agent's desktop on the other; every line must reach the other
// side once, and the two relays must not keep taking the visitor's nick from each other.
import { expect } from 'chai';
import { xml } from '@xmpp/client';
import { Message } from './message.entity.js';
import { api, login, makeAgent, setState, startRoutingServer, uniquePrefix, type TestServer } from '../../test/routing.js';
import { eventually } from '../../test/redis.js';
import { TestXmppClient, cid, command, startChat, takeChat } from '../../test/chat.js';

describe('chat: two server instances', () => {
  const servers: TestServer[] = [];
  let client: TestXmppClient | undefined;
  after(async () => {
    await client?.stop();
    for (const t of servers) await t.stop();
  });

  it('relays between a visitor on one instance and an agent on the other, each line once (XMPP client lines too), occupants stable', async () => {
    const prefix = uniquePrefix();
    for (let k = 0; k < 2; k++) servers.push(await startRoutingServer({}, { redisPrefix: prefix }));
    const [one, two] = servers as [TestServer, TestServer];
    for (const t of servers) await eventually(async () => t.sb.contexts.xmpp.status().ok, (ok) => ok);
    expect(one.sb.contexts.xmpp.domain).to.not.equal(two.sb.contexts.xmpp.domain);

    const a = await makeAgent(two.url, await login(two.url), { skills: [{ skill: 'english', level: 8 }] });
    const v = await startChat(one.url);
    await takeChat(two.url, a, v);
    const account = (await api(two.url, 'POST', '/api/chat/xmpp-account', {}, a.token)).body;
    client = await TestXmppClient.login(account);
    const room = two.sb.contexts.chat.chat.relay.room(v.interactionId);
    await client.xmpp.send(xml('presence', { to: `${room}/watcher` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await client.next((s) => s.is('presence') && s.attrs.from === `${room}/watcher`);

    const fromVisitor: string[] = [];
    const fromAgent: string[] = [];
    for (let k = 0; k < 4; k++) {
      fromVisitor.push((await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: `v${k}` })).message.id);
      fromAgent.push((await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: `a${k}` })).message.id);
    }
    await Promise.all(fromVisitor.map((id) => a.socket.next((m) => m.type === 'chat.message' && m.message.id === id, 10000)));
    await Promise.all(fromAgent.map((id) => v.socket.next((m) => m.type === 'chat.message' && m.message.id === id, 10000)));
    // The XMPP client's copies come over its own connection, possibly after the sockets' pushes.
    const bodies = ['v0', 'v3', 'a0', 'a3'];
    await Promise.all(bodies.map((body) => client!.next((s) => s.is('message') && s.getChildText('body') === body)));
    // A line more from each side, through the same paths: once the other side and the XMPP client
    // (through Prosody, which any relayed copy passes) have it, a copy of an earlier line has come too.
    const vEnd = (await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'v-end' })).message.id;
    const aEnd = (await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'a-end' })).message.id;
    await a.socket.next((m) => m.type === 'chat.message' && m.message.id === vEnd, 10000);
    await v.socket.next((m) => m.type === 'chat.message' && m.message.id === aEnd, 10000);
    await Promise.all(['v-end', 'a-end'].map((body) => client!.next((s) => s.is('message') && s.getChildText('body') === body)));
    // next() took each first copy; any copy left is a duplicate.
    const twice = (msgs: { type: string; message?: { id: string } }[], ids: string[]) => ids.filter((id) => msgs.some((m) => m.type === 'chat.message' && m.message?.id === id));
    expect(twice(a.socket.messages, fromVisitor), 'visitor lines the agent got twice').to.deep.equal([]);
    expect(twice(v.socket.messages, fromAgent), 'agent lines the visitor got twice').to.deep.equal([]);
    // The XMPP client saw every line once, and the visitor never left and rejoined.
    for (const body of bodies) expect(client.stanzas.filter((s) => s.is('message') && s.getChildText('body') === body), body).to.have.length(1);
    expect(client.stanzas.filter((s) => s.is('presence') && s.attrs.from === `${room}/Ada Visitor` && s.attrs.type === 'unavailable')).to.deep.equal([]);
    // A line from the agent's XMPP client reaches both instances' owners: stored and pushed once.
    await client.xmpp.send(xml('message', { to: room, type: 'groupchat', id: 'two-1' }, xml('body', {}, 'from my client'), xml('request', { xmlns: 'urn:xmpp:receipts' })));
    const got = await v.socket.next((m) => m.type === 'chat.message' && m.message.body === 'from my client', 10000);
    await client.next((s) => s.is('message') && s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'two-1');
    // The same again: once its push and receipt are back, a second push or receipt of the first has come.
    await client.xmpp.send(xml('message', { to: room, type: 'groupchat', id: 'two-2' }, xml('body', {}, 'from my client again'), xml('request', { xmlns: 'urn:xmpp:receipts' })));
    await v.socket.next((m) => m.type === 'chat.message' && m.message.body === 'from my client again', 10000);
    await client.next((s) => s.is('message') && s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'two-2');
    expect(twice(v.socket.messages, [got.message.id])).to.deep.equal([]);
    expect(client.stanzas.filter((s) => s.is('message') && s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'two-1')).to.have.length(1);
    expect(await one.sb.kernel.db.getRepository(Message).countBy({ interactionId: v.interactionId, body: 'from my client' })).to.equal(1);
    await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId });
    await setState(two.url, a, 'not-ready', 'lunch');
    v.socket.close();
  });
});
