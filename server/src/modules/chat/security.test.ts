// Bad input and other people's chats: every refusal is clear (400/401/403/404/413) and leaves
// nothing stored; hostile strings are kept and delivered exactly as typed, as text.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Interaction } from '../interactions/interaction.entity.js';
import { Message } from './message.entity.js';
import { eventually } from '../../test/redis.js';
import { api, login, makeAgent, type TestServer } from '../../test/routing.js';
import { TestSocket } from '../../test/server.js';
import { REPO } from '../../test/env.js';
import { FORM, ORIGIN, WEBSITE, cid, command, openVisitor, startChat, startChatServer, takeChat, widget } from '../../test/chat.js';

const english = [{ skill: 'english', level: 8 }];
// The XSS list shipped by wfuzz (Debian package wfuzz, wordlist/Injections/XSS.txt), plus
// characters XML cannot carry, which must not break the XMPP relay.
const XSS = readFileSync(path.join(REPO, 'server/src/modules/chat/fixtures/xss-wfuzz.txt'), 'utf8').split('\n').filter((l) => l !== '');
// (A lone surrogate cannot be sent at all: UTF-8 has no encoding for it.)
const CONTROL = ['nul\u0000bell\u0007esc\u001b[31m', ']]><!-- </body></message><presence type="unavailable"/>', 'emoji 👩‍💻 and RTL \u202e txt.exe'];

describe('chat: bad input and security', () => {
  let t: TestServer;
  let admin: string;
  beforeEach(async () => {
    t = await startChatServer();
    admin = await login(t.url);
  });
  afterEach(() => t.stop());
  const messages = (interactionId: string) => t.sb.kernel.db.getRepository(Message).countBy({ interactionId });

  it('stores and delivers strings from an XSS payload list verbatim, both ways, without breaking the relay', async () => {
    expect(XSS.length).to.be.above(30);
    const a = await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    for (const body of [...XSS, ...CONTROL]) {
      const ack = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body });
      expect(ack.type, JSON.stringify(ack)).to.equal('chat.ack');
      const got = await a.socket.next((m) => m.type === 'chat.message' && m.message.id === ack.message.id);
      expect(got.message.body).to.equal(body);
      expect((await t.sb.kernel.db.getRepository(Message).findOneByOrFail({ id: ack.message.id })).body).to.equal(body);
      const back = await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body });
      expect((await v.socket.next((m) => m.type === 'chat.message' && m.message.id === back.message.id)).message.body).to.equal(body);
    }
    expect(t.sb.contexts.xmpp.status().ok).to.equal(true);
    // The visitor's name is hostile too.
    const w = await startChat(t.url, { fields: { ...FORM, email: 'hostile@example.com', name: '<img src=x onerror=alert(1)>\u0000' }, option: 'orders' });
    const line = await command(w.socket, { type: 'chat.send', interactionId: w.interactionId, clientMessageId: cid(), body: 'hi' });
    expect(line.message.authorName).to.equal('<img src=x onerror=alert(1)>\u0000');
    // In the room the visitor is an occupant under the name without what XMPP cannot carry (a NUL
    // in a stanza would make Prosody drop the relay's connection, every room with it): the line
    // goes through and the relay stays connected. A bidi override (forbidden in a nickname) too.
    await eventually(() => t.sb.kernel.db.getRepository(Message).findOneByOrFail({ id: line.message.id }), (m) => m.deliveryState === 'sent');
    const relay = t.sb.contexts.chat.chat.relay;
    expect(relay.rooms.realJid(relay.room(w.interactionId), '<img src=x onerror=alert(1)>')).to.match(new RegExp(`^visitor-${w.interactionId}@`));
    const rtl = await startChat(t.url, { fields: { ...FORM, email: 'rtl@example.com', name: 'Eve \u202etxt.exe' }, option: 'orders' });
    const rtlLine = await command(rtl.socket, { type: 'chat.send', interactionId: rtl.interactionId, clientMessageId: cid(), body: 'hello' });
    await eventually(() => t.sb.kernel.db.getRepository(Message).findOneByOrFail({ id: rtlLine.message.id }), (m) => m.deliveryState === 'sent');
    expect(relay.rooms.realJid(relay.room(rtl.interactionId), 'Eve txt.exe')).to.match(/^visitor-/);
    expect(t.sb.contexts.xmpp.status().ok).to.equal(true);
    rtl.socket.close();
    v.socket.close();
    w.socket.close();
  });

  it('refuses a message over the size limit with 413 and stores nothing', async () => {
    await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    const before = await messages(v.interactionId);
    const http = await widget(t.url, 'POST', `/chats/${v.interactionId}/messages`, { clientMessageId: cid(), body: 'x'.repeat(5001) }, v.token);
    expect(http.status).to.equal(413);
    expect(http.body.error.message).to.equal('The message is 5001 characters long; the limit is 5000. Split it into shorter messages.');
    const ws = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'y'.repeat(6000) });
    expect(ws).to.include({ type: 'error', code: 'too_large' });
    const empty = await widget(t.url, 'POST', `/chats/${v.interactionId}/messages`, { clientMessageId: cid(), body: '   ' }, v.token);
    expect(empty.status).to.equal(400);
    expect(empty.body.error.fields[0].field).to.equal('body');
    expect(await messages(v.interactionId)).to.equal(before);
    // Exactly at the limit is fine.
    expect((await widget(t.url, 'POST', `/chats/${v.interactionId}/messages`, { clientMessageId: cid(), body: 'z'.repeat(5000) }, v.token)).status).to.equal(201);
    v.socket.close();
  });

  it("keeps visitor A out of visitor B's chat: posting, reading, ending, downloading, subscribing", async () => {
    await makeAgent(t.url, admin, { skills: english });
    const va = await startChat(t.url);
    const vb = await startChat(t.url);
    const before = await messages(vb.interactionId);
    const stateBefore = (await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: vb.interactionId })).state;
    const asA = (method: string, p: string, body?: unknown) => widget(t.url, method, `/chats/${vb.interactionId}${p}`, body, va.token);
    for (const r of [await asA('GET', ''), await asA('POST', '/messages', { clientMessageId: cid(), body: 'intruder' }), await asA('POST', '/end'), await asA('POST', '/transcript', {})]) {
      expect(r.status).to.equal(403);
      expect(r.body.error.message).to.equal('This chat token is not valid for this chat.');
    }
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const up = await fetch(`${t.url}/api/widget/${WEBSITE}/chats/${vb.interactionId}/files?name=b.png`, { method: 'POST', headers: { origin: ORIGIN, authorization: `Bearer ${vb.token}` }, body: png });
    expect(up.status).to.equal(201);
    const file = ((await up.json()) as { file: { id: string } }).file.id;
    expect((await asA('GET', `/files/${file}`)).status).to.equal(403);
    expect((await widget(t.url, 'GET', `/chats/${va.interactionId}/files/${file}`, undefined, va.token)).status).to.equal(404);
    expect(await command(va.socket, { type: 'chat.subscribe', interactionId: vb.interactionId, token: va.token })).to.include({ type: 'error', code: 'forbidden' });
    expect(await command(va.socket, { type: 'chat.send', interactionId: vb.interactionId, clientMessageId: cid(), body: 'x' })).to.include({ type: 'error', code: 'forbidden' });
    expect(await command(va.socket, { type: 'chat.end', interactionId: vb.interactionId })).to.include({ type: 'error', code: 'forbidden' });
    expect(await messages(vb.interactionId)).to.equal(before);
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: vb.interactionId })).state).to.equal(stateBefore);
    va.socket.close();
    vb.socket.close();
  });

  it('refuses forged, missing and stale tokens, unknown and malformed chat ids', async () => {
    await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    const forged = await widget(t.url, 'GET', `/chats/${v.interactionId}`, undefined, `${v.token.slice(0, -2)}AA`);
    expect(forged.status).to.equal(403);
    const missing = await widget(t.url, 'GET', `/chats/${v.interactionId}`);
    expect(missing.status).to.equal(401);
    expect(missing.body.error.message).to.include('Authorization: Bearer');
    // Unknown ids get the same answer as a wrong token: ids cannot be probed.
    expect((await widget(t.url, 'GET', '/chats/0123456789abcdef0123456789abcdef', undefined, v.token)).status).to.equal(403);
    const bad = await widget(t.url, 'GET', '/chats/../../etc', undefined, v.token);
    expect(bad.status).to.be.oneOf([400, 404]);
    const malformed = await widget(t.url, 'POST', '/chats/not-an-id/messages', { clientMessageId: cid(), body: 'x' }, v.token);
    expect(malformed.status).to.equal(400);
    expect(malformed.body.error.fields).to.deep.equal([{ field: 'interactionId', problem: 'must be an id' }]);
    // Stale: the chat ended; its token still reads it but cannot write.
    await command(v.socket, { type: 'chat.end', interactionId: v.interactionId });
    await v.socket.next((m) => m.type === 'chat.ended');
    const before = await messages(v.interactionId);
    const stale = await widget(t.url, 'POST', `/chats/${v.interactionId}/messages`, { clientMessageId: cid(), body: 'late' }, v.token);
    expect(stale.status).to.equal(409);
    expect(stale.body.error.message).to.equal('This chat has ended. Start a new chat to write again.');
    expect(await messages(v.interactionId)).to.equal(before);
    v.socket.close();
  });

  it('refuses pages from origins the website does not allow, on HTTP and on the socket, storing nothing', async () => {
    await makeAgent(t.url, admin, { skills: english });
    // A refused chat could only have stored a chat: earlier tests' callbacks (a retry) and fetched mail add interactions meanwhile.
    const count = () => t.sb.kernel.db.getRepository(Interaction).countBy({ channel: 'chat' });
    const before = await count();
    const evil = await widget(t.url, 'POST', '/chats', { fields: FORM, option: 'orders' }, undefined, 'https://evil.example');
    expect(evil.status).to.equal(403);
    expect(evil.body.error.message).to.include('origin is not allowed');
    expect((await api(t.url, 'POST', `/api/widget/${WEBSITE}/chats`, { fields: FORM, option: 'orders' })).status).to.equal(403);
    expect((await api(t.url, 'POST', '/api/widget/nope/chats', { fields: FORM }, undefined, { origin: ORIGIN })).status).to.equal(404);
    expect(await count()).to.equal(before);
    let refused = '';
    await openVisitor(t.url, 'https://evil.example').catch((err: Error) => (refused = err.message));
    expect(refused).to.equal('HTTP 403');
    await TestSocket.open(`${t.url.replace('http', 'ws')}/ws/widget?website=nope`, { origin: ORIGIN }).catch((err: Error) => (refused = err.message));
    expect(refused).to.equal('HTTP 404');
  });

  it('answers garbage on the visitor socket with an error naming the problem, and keeps the socket open', async () => {
    const s = await openVisitor(t.url);
    s.send('not json');
    expect(await s.next((m) => m.type === 'error')).to.include({ code: 'invalid_command', message: 'Send JSON text frames.' });
    expect(await command(s, { type: 'chat.send', interactionId: 'x', body: 1 })).to.include({ type: 'error', code: 'invalid_command' });
    const e = await command(s, { type: 'chat.send', interactionId: '0123456789abcdef0123456789abcdef', clientMessageId: 'a', body: 'x', extra: true });
    expect(e.message).to.include('Malformed chat.send');
    expect((await command(s, { type: 'chat.typing', interactionId: '0123456789abcdef0123456789abcdef', state: 'dancing' })).message).to.include('state');
    expect((await command(s, { type: 'ping' })).type).to.equal('pong');
    s.close();
  });
});
