// Chat rooms are real XMPP rooms: the visitor and each agent are occupants under their display
// names, and an agent can take part from any XMPP client with the account the server gives them.
// Here that client is @xmpp/client logged in to the shared Prosody as the agent.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { xml, type XmlElement } from '@xmpp/client';
import { REPO } from '../../test/env.js';
import { Message } from './message.entity.js';
import { accept, api, login, makeAgent, nextOffer, setState, type TestAgent, type TestServer } from '../../test/routing.js';
import { eventually } from '../../test/redis.js';
import { MAX_MESSAGE_CHARS } from './service.js';
import { ORIGIN, TestXmppClient, cid, command, startChat, startChatServer, takeChat } from '../../test/chat.js';

const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const RECEIPTS = 'urn:xmpp:receipts';
const english = [{ skill: 'english', level: 8 }];

describe('chat: occupants and agents on their own XMPP clients', () => {
  let t: TestServer;
  let admin: string;
  const clients: TestXmppClient[] = [];
  before(async () => {
    t = await startChatServer();
    admin = await login(t.url);
  });
  after(async () => {
    for (const c of clients) await c.stop();
    await t.stop();
  });

  const credentials = new Map<TestXmppClient, { jid: string; password: string; host: string; port: number; tls: string }>();
  async function account(a: TestAgent): Promise<TestXmppClient> {
    const r = await api(t.url, 'POST', '/api/chat/xmpp-account', {}, a.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.jid).to.equal(`agent-${a.id}@${t.sb.kernel.config().main.xmpp.domain}`);
    const c = await TestXmppClient.login(r.body);
    clients.push(c);
    credentials.set(c, r.body);
    return c;
  }

  const joinRoom = async (c: TestXmppClient, room: string, nick: string) => {
    await c.xmpp.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
    return c.next((s) => s.is('presence') && s.attrs.from === `${room}/${nick}`);
  };

  it('gives XMPP passwords to the agent themselves and to admins only; garbage and unknown agents get clear errors', async () => {
    const a = await makeAgent(t.url, admin, { available: false });
    const b = await makeAgent(t.url, admin, { available: false });
    const forOther = await api(t.url, 'POST', '/api/chat/xmpp-account', { agentId: b.id }, a.token);
    expect(forOther.status).to.equal(403);
    expect(forOther.body.error.code).to.equal('forbidden');
    const garbage = await api(t.url, 'POST', '/api/chat/xmpp-account', { agentId: '../admin', extra: 1 }, a.token);
    expect(garbage.status).to.equal(400);
    expect(JSON.stringify(garbage.body.error.fields)).to.include('agentId').and.to.include('extra');
    expect((await api(t.url, 'POST', '/api/chat/xmpp-account', { agentId: 'f'.repeat(32) }, admin)).status).to.equal(404);
    expect((await api(t.url, 'POST', '/api/chat/xmpp-account', {})).status).to.equal(401);
    const byAdmin = await api(t.url, 'POST', '/api/chat/xmpp-account', { agentId: b.id }, admin);
    expect(byAdmin.status, JSON.stringify(byAdmin.body)).to.equal(201);
    expect(byAdmin.body.jid).to.equal(`agent-${b.id}@${t.sb.kernel.config().main.xmpp.domain}`);
    expect(byAdmin.body.password).to.be.a('string').with.length.greaterThan(15);
    // What a client needs to connect: Prosody's client port, which takes nothing before STARTTLS.
    const x = t.sb.kernel.config().main.xmpp;
    expect(byAdmin.body).to.include({ host: x.host, port: x.port, tls: 'starttls', directTlsPort: null });
  });

  it('switchboard agents xmpp-password prints a working account, a new password on each run, and refuses an unknown username', async () => {
    const a = await makeAgent(t.url, admin, { available: false });
    const cli = (username: string) => spawnSync(process.execPath, [path.join(REPO, 'server/dist/cli.js'), 'agents', 'xmpp-password', username, '--config', t.configDir], { encoding: 'utf8', timeout: 30000 });
    const field = (out: string, name: string) => new RegExp(`^${name} +(\\S+)`, 'm').exec(out)?.[1];
    const first = cli(a.username);
    expect(first.status, first.stderr).to.equal(0);
    const x = t.sb.kernel.config().main.xmpp;
    const account = { jid: field(first.stdout, 'jid')!, password: field(first.stdout, 'password')!, host: field(first.stdout, 'host')!, port: Number(field(first.stdout, 'port')), tls: field(first.stdout, 'tls')! };
    expect(account).to.include({ jid: `agent-${a.id}@${x.domain}`, host: x.host, port: x.port, tls: 'starttls' });
    expect(first.stdout).to.match(/^tls +starttls \(required/m);
    const c = await TestXmppClient.login(account);
    clients.push(c);

    const second = cli(a.username);
    expect(second.status, second.stderr).to.equal(0);
    const password = field(second.stdout, 'password')!;
    expect(password).to.not.equal(account.password);
    const refused = await TestXmppClient.login(account).then(() => null, (e: Error) => e);
    expect(refused?.message, 'the previous password no longer logs in').to.match(/not-authorized/);
    clients.push(await TestXmppClient.login({ ...account, password }));

    const unknown = cli('nobody-here');
    expect(unknown.status).to.equal(1);
    expect(unknown.stderr).to.contain('no agent "nobody-here"');
    expect(unknown.stdout).to.equal('');
  });

  it('an invited agent joins from an XMPP client, reads the visitor and writes back: stored, relayed, receipted', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const c = await account(a);
    const v = await startChat(t.url);
    const relay = t.sb.contexts.chat.chat.relay;
    const room = relay.room(v.interactionId);
    // Before an agent takes it, the room holds the visitor and the bot (its welcome line), each
    // an occupant of its own under its display name, as the room's owner sees them.
    await eventually(async () => [relay.rooms.realJid(room, 'Ada Visitor'), relay.rooms.realJid(room, 'Talk to us')], ([vj, bj]) => !!vj && !!bj);
    expect(relay.rooms.realJid(room, 'Ada Visitor')).to.match(new RegExp(`^visitor-${v.interactionId}@relay-\\d+\\.`));
    expect(relay.rooms.realJid(room, 'Talk to us')).to.match(/^bot@relay-\d+\./);
    await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'Order 42 is late & <b>broken</b>' });
    await takeChat(t.url, a, v);
    await command(a.socket, { type: 'chat.note', interactionId: v.interactionId, clientMessageId: cid(), body: 'SECRET-NOTE check the courier' });

    // XEP-0249 invitation to the agent's own account, from our component.
    const invite = await c.next((s) => s.is('message') && !!s.getChild('x', 'jabber:x:conference'));
    expect(invite.getChild('x', 'jabber:x:conference')!.attrs.jid).to.equal(room);
    const self = await joinRoom(c, room, 'ada-on-xmpp');
    expect(self.attrs.type, self.toString()).to.equal(undefined);
    // Rooms keep no history: the client gets the chat so far from the room's owner, privately,
    // verbatim (the XML escaping is the transport's), without internal notes.
    const earlier = await c.next((s) => s.is('message') && s.attrs.type === 'chat' && /^Earlier in this chat/.test(s.getChildText('body') ?? ''));
    expect(earlier.attrs.from).to.equal(`${room}/Switchboard`);
    const replay = earlier.getChildText('body')!;
    expect(replay).to.match(/\d\d:\d\d Ada Visitor: Order 42 is late & <b>broken<\/b>/);
    expect(replay).to.include(`${a.username} joined the chat.`);
    expect(replay).to.not.include('SECRET-NOTE');
    // The visitor and the agent are occupants under their display names (the bot, "Talk to us",
    // left when the agent took over); besides them only the room's owner and this client.
    const nicks = () => c.stanzas.filter((s) => s.is('presence') && s.attrs.from?.startsWith(`${room}/`) && s.attrs.type !== 'unavailable').map((s) => s.attrs.from!.slice(room.length + 1));
    await eventually(async () => nicks(), (n) => n.includes('Ada Visitor') && n.includes(a.username));
    expect([...new Set(nicks())].sort()).to.deep.equal(['Ada Visitor', 'Switchboard', a.username, 'ada-on-xmpp'].sort());

    // The visitor's line reaches the XMPP client, from the visitor's occupant.
    const ack = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'Is anyone there?' });
    const line = await c.next((s) => s.is('message') && s.getChildText('body') === 'Is anyone there?');
    expect(line.attrs.from).to.equal(`${room}/Ada Visitor`);
    expect(ack.message.deliveryState).to.equal('stored');

    // A file from the visitor: the client reads its name (the file stays behind Switchboard's checks).
    const up = await fetch(`${t.url}/api/widget/example/chats/${v.interactionId}/files?name=order-42.txt`, { method: 'POST', headers: { origin: ORIGIN, authorization: `Bearer ${v.token}` }, body: Buffer.from('order 42\n') });
    expect(up.status).to.equal(201);
    const { file } = (await up.json()) as { file: { id: string } };
    await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: '', attachmentIds: [file.id] });
    const named = await c.next((s) => s.is('message') && s.attrs.type === 'groupchat' && /order-42\.txt/.test(s.getChildText('body') ?? ''));
    expect(named.getChildText('body')).to.equal('[file: order-42.txt, 1 KB — open it in the Switchboard desktop]');

    // The client writes (asking for a receipt): the visitor's widget gets it as the agent's line.
    await c.xmpp.send(xml('message', { to: room, type: 'groupchat', id: 'x-line-1' }, xml('body', {}, 'Yes, from my XMPP client'), xml('request', { xmlns: RECEIPTS })));
    const got = await v.socket.next((m) => m.type === 'chat.message' && m.message.body === 'Yes, from my XMPP client');
    expect(got.message).to.include({ authorKind: 'agent', authorName: a.username, deliveryState: 'sent' });
    await a.socket.next((m) => m.type === 'chat.message' && m.message.id === got.message.id);
    const receipt = await c.next((s) => s.is('message') && s.getChild('received', RECEIPTS)?.attrs.id === 'x-line-1');
    expect(receipt.attrs.from).to.equal(`${room}/Switchboard`);
    const row = await t.sb.kernel.db.getRepository(Message).findOneByOrFail({ id: got.message.id });
    expect(row).to.include({ authorKind: 'agent', authorAgentId: a.id, body: 'Yes, from my XMPP client' });

    // The visitor's page shows it: the client gets the visitor's receipt under its own stanza id.
    await command(v.socket, { type: 'chat.received', interactionId: v.interactionId, messageIds: [got.message.id] });
    const read = await c.next((s) => s.is('message') && s.attrs.type === 'groupchat' && s.getChildren('received', RECEIPTS).some((r) => r.attrs.id === 'x-line-1'));
    expect(read.attrs.from).to.equal(`${room}/Ada Visitor`);
    expect((await a.socket.next((m) => m.type === 'chat.delivery')).messageIds).to.deep.equal([got.message.id]);

    // A resend of the same stanza (a client retrying) is stored once.
    await c.xmpp.send(xml('message', { to: room, type: 'groupchat', id: 'x-line-1' }, xml('body', {}, 'Yes, from my XMPP client'), xml('request', { xmlns: RECEIPTS })));
    await c.next((s) => s.is('message') && s.getChild('received', RECEIPTS)?.attrs.id === 'x-line-1' && s !== receipt);
    expect(await t.sb.kernel.db.getRepository(Message).countBy({ interactionId: v.interactionId, body: 'Yes, from my XMPP client' })).to.equal(1);

    // Typing from the client reaches the visitor (XEP-0085).
    await c.xmpp.send(xml('message', { to: room, type: 'groupchat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    expect(await v.socket.next((m) => m.type === 'chat.typing')).to.include({ authorKind: 'agent', state: 'composing', authorName: a.username });

    // Oversized: a clear private error from the room's owner, nothing stored, nothing to the visitor.
    const before = await t.sb.kernel.db.getRepository(Message).countBy({ interactionId: v.interactionId });
    await c.xmpp.send(xml('message', { to: room, type: 'groupchat', id: 'x-big' }, xml('body', {}, 'x'.repeat(MAX_MESSAGE_CHARS + 1))));
    const refusal = await c.next((s) => s.is('message') && s.attrs.type === 'chat' && /limit is 5000/.test(s.getChildText('body') ?? ''));
    expect(refusal.attrs.from).to.equal(`${room}/Switchboard`);
    await c.xmpp.send(xml('message', { to: room, type: 'groupchat', id: 'x-empty' }, xml('body', {}, '   ')));
    await c.next((s) => s.is('message') && s.attrs.type === 'chat' && /empty/.test(s.getChildText('body') ?? ''));
    expect(await t.sb.kernel.db.getRepository(Message).countBy({ interactionId: v.interactionId })).to.equal(before);
    expect(v.socket.messages.some((m) => m.type === 'chat.message' && m.message.body.startsWith('xxxx'))).to.equal(false);

    // Closing the chat destroys the room: the client is told.
    await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId });
    const gone = await c.next((s) => s.is('presence') && s.attrs.type === 'unavailable' && s.attrs.from === `${room}/ada-on-xmpp`);
    expect(gone.getChild('x', MUC_USER)?.getChild('destroy')).to.not.equal(undefined);
    // Out of the next test's routing.
    await setState(t.url, a, 'not-ready', 'lunch');
    v.socket.close();
  });

  it('refuses a non-member XMPP account (members-only room), stores nothing from a stanza over the size limit, and keeps a monitoring supervisor out of the room', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const other = await makeAgent(t.url, admin, { available: false });
    const sup = await makeAgent(t.url, admin, { role: 'supervisor', available: false });
    const c = await account(a);
    const outsider = await account(other);
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const room = t.sb.contexts.chat.chat.relay.room(v.interactionId);
    await joinRoom(c, room, 'agent-client');

    const refused = await joinRoom(outsider, room, 'intruder');
    expect(refused.attrs.type).to.equal('error');
    expect(refused.getChild('error')?.getChild('registration-required', 'urn:ietf:params:xml:ns:xmpp-stanzas')).to.not.equal(undefined);
    // Nor can it write into the room.
    await outsider.xmpp.send(xml('message', { to: room, type: 'groupchat', id: 'intrude' }, xml('body', {}, 'let me in')));
    await outsider.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'intrude');

    // A stanza over Prosody's size limit (256 KB) ends that client's session; nothing is stored.
    const big = await TestXmppClient.login(credentials.get(c)!);
    clients.push(big);
    await joinRoom(big, room, 'agent-big');
    const stored = await t.sb.kernel.db.getRepository(Message).countBy({ interactionId: v.interactionId });
    const closed = new Promise((resolve) => big.xmpp.once('disconnect', resolve));
    await big.xmpp.send(xml('message', { to: room, type: 'groupchat', id: 'huge' }, xml('body', {}, 'h'.repeat(300 * 1024)))).catch(() => undefined);
    await closed;
    // A line after it through the same room: once that one is stored and receipted, the room has
    // passed on whatever came before it.
    await c.xmpp.send(xml('message', { to: room, type: 'groupchat', id: 'after-huge' }, xml('body', {}, 'after the huge one'), xml('request', { xmlns: RECEIPTS })));
    await c.next((s) => s.is('message') && s.getChild('received', RECEIPTS)?.attrs.id === 'after-huge');
    const rows = await t.sb.kernel.db.getRepository(Message).findBy({ interactionId: v.interactionId });
    expect(rows.length).to.equal(stored + 1);
    expect(rows.some((m) => m.body === 'after the huge one')).to.equal(true);

    // A supervisor monitors and writes a note: no new occupant, no presence the visitor side could see.
    const presences = () => c.stanzas.filter((s) => s.is('presence') && s.attrs.from?.startsWith(`${room}/`)).length;
    const n = presences();
    expect((await command(sup.socket, { type: 'chat.monitor', interactionId: v.interactionId })).type).to.equal('chat.history');
    await command(sup.socket, { type: 'chat.note', interactionId: v.interactionId, clientMessageId: cid(), body: 'watching' });
    await command(sup.socket, { type: 'chat.received', interactionId: v.interactionId, messageIds: [] });
    const line = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'still there?' });
    await c.next((s) => s.is('message') && s.getChildText('body') === 'still there?');
    expect(line.type).to.equal('chat.ack');
    expect(presences(), 'no presence after monitoring').to.equal(n);
    expect(c.stanzas.some((s: XmlElement) => s.getChildText('body') === 'watching')).to.equal(false);
    await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId });
    await setState(t.url, a, 'not-ready', 'lunch');
    v.socket.close();
  });

  it('occupants follow the chat: transferred-away agent and their XMPP account leave, the new agent and a conference guest enter and leave', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const ac = await account(a);
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const b = await makeAgent(t.url, admin, { skills: english });
    const g = await makeAgent(t.url, admin, { skills: english });
    const bc = await account(b);
    const room = t.sb.contexts.chat.chat.relay.room(v.interactionId);
    await joinRoom(ac, room, 'a-client');
    const presence = (cl: TestXmppClient, nick: string, type?: string) => cl.next((s) => s.is('presence') && s.attrs.from === `${room}/${nick}` && s.attrs.type === type && s.attrs.to?.includes('/test-') === true);

    expect((await command(a.socket, { type: 'interaction.transfer', interactionId: v.interactionId, toAgent: b.id })).type).to.equal('ok');
    expect((await accept(t.url, b, (await nextOffer(b)).offerId)).status).to.equal(200);
    // A's own client is no longer a member: Prosody removes it (status 321, affiliation change).
    const out = await presence(ac, 'a-client', 'unavailable');
    expect(out.getChild('x', MUC_USER)?.getChildren('status').map((x) => x.attrs.code)).to.include('321');
    await bc.next((s) => s.is('message') && s.getChild('x', 'jabber:x:conference')?.attrs.jid === room);
    await joinRoom(bc, room, 'b-client');
    const nicks = new Set(bc.stanzas.filter((s) => s.is('presence') && s.attrs.from?.startsWith(`${room}/`) && s.attrs.type !== 'unavailable').map((s) => s.attrs.from!.slice(room.length + 1)));
    expect(nicks.has(b.username), 'the new agent is an occupant').to.equal(true);
    expect(nicks.has(a.username), 'the previous agent left').to.equal(false);

    expect((await command(b.socket, { type: 'interaction.conference', interactionId: v.interactionId, agentId: g.id })).type).to.equal('ok');
    expect((await accept(t.url, g, (await nextOffer(g)).offerId)).status).to.equal(200);
    await presence(bc, g.username);
    expect((await command(b.socket, { type: 'interaction.conference.end', interactionId: v.interactionId })).type).to.equal('ok');
    await presence(bc, g.username, 'unavailable');
    await command(b.socket, { type: 'interaction.close', interactionId: v.interactionId });
    for (const x of [a, b, g]) await setState(t.url, x, 'not-ready', 'lunch');
    v.socket.close();
  });
});
