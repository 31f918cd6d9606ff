// History and transcripts: agents find what they handled (and only that), supervisors find
// everything; the PDF holds the conversation as text, notes marked, and the files only for the
// roles allowed to export them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { newId } from '../../kernel/db/ids.js';
import { Interaction, Offer } from '../interactions/interaction.entity.js';
import { Call, CallLeg } from '../calls/call.entity.js';
import { Attachment, Message } from '../chat/message.entity.js';
import { api, login, makeAgent, type TestAgent, type TestServer } from '../../test/routing.js';
import { ORIGIN, cid, command, startChat, startChatServer, takeChat, type TestVisitor } from '../../test/chat.js';

const english = [{ skill: 'english', level: 8 }];
// A real 1×1 PNG, so the transcript can draw it.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const XSS = '<img src=x onerror=alert(1)>"\'&';

async function pdfText(pdf: Buffer): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-pdf-'));
  const file = path.join(dir, 't.pdf');
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

async function download(url: string, p: string, token: string): Promise<{ status: number; type: string | null; disposition: string | null; body: Buffer }> {
  const res = await fetch(url + p, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), body: Buffer.from(await res.arrayBuffer()) };
}

describe('history and PDF transcripts', () => {
  let t: TestServer;
  let admin: string;
  let a: TestAgent;
  let other: TestAgent;
  let sup: TestAgent;
  let v: TestVisitor;

  before(async () => {
    t = await startChatServer();
    admin = await login(t.url);
    a = await makeAgent(t.url, admin, { skills: english });
    other = await makeAgent(t.url, admin, { skills: [], available: false });
    sup = await makeAgent(t.url, admin, { role: 'supervisor', available: false });
    v = await startChat(t.url);
    await takeChat(t.url, a, v);
    await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'Hello, my order 4411 is late — Grüße, 日本語 ok' });
    await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'Sorry about that, checking order 4411 now.' });
    await command(a.socket, { type: 'chat.note', interactionId: v.interactionId, clientMessageId: cid(), body: 'NOTE-FOR-TEAM courier delay' });
    await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: XSS });
    const up = await fetch(`${t.url}/api/widget/example/chats/${v.interactionId}/files?name=receipt.png`, {
      method: 'POST',
      headers: { origin: ORIGIN, authorization: `Bearer ${v.token}`, 'content-type': 'application/octet-stream' },
      body: PNG,
    });
    expect(up.status).to.equal(201);
    const file = ((await up.json()) as { file: { id: string } }).file;
    const sent = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'Here is the receipt', attachmentIds: [file.id] });
    expect(sent.type, JSON.stringify(sent)).to.equal('chat.ack');
    const closed = await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId, disposition: 'resolved' });
    expect(closed.type, JSON.stringify(closed)).to.equal('ok');
  });
  after(() => t?.stop());

  it('finds the interaction for the agent who handled it and for supervisors, not for other agents', async () => {
    const mine = await api(t.url, 'GET', '/api/history/interactions?q=ada&channel=chat', undefined, a.token);
    expect(mine.status, JSON.stringify(mine.body)).to.equal(200);
    const item = mine.body.items.find((i: { id: string }) => i.id === v.interactionId);
    expect(item, JSON.stringify(mine.body)).to.include({ channel: 'chat', contactName: 'Ada Visitor', contactEmail: 'ada@example.com', disposition: 'Resolved', state: 'closed' });
    expect(item.agentNames).to.deep.equal([a.username]);
    expect(item.closedAt).to.be.a('string');
    expect(JSON.stringify(mine.body)).to.not.include('visitorTokenHash');

    const theirs = await api(t.url, 'GET', '/api/history/interactions?q=ada', undefined, other.token);
    expect(theirs.body).to.deep.equal({ items: [], total: 0 });
    const all = await api(t.url, 'GET', `/api/history/interactions?q=${v.interactionId}`, undefined, sup.token);
    expect(all.body.items.map((i: { id: string }) => i.id)).to.deep.equal([v.interactionId]);
    // Filters narrow: another channel, or a day before it happened, finds nothing.
    expect((await api(t.url, 'GET', '/api/history/interactions?q=ada&channel=mail', undefined, a.token)).body.total).to.equal(0);
    expect((await api(t.url, 'GET', '/api/history/interactions?q=ada&to=2020-01-01', undefined, a.token)).body.total).to.equal(0);
    // The day it was made (midnight may have passed since) finds it.
    const day = item.createdAt.slice(0, 10);
    expect((await api(t.url, 'GET', `/api/history/interactions?q=ada&from=${day}&to=${day}`, undefined, a.token)).body.total).to.be.greaterThan(0);
    // LIKE wildcards are literal.
    expect((await api(t.url, 'GET', '/api/history/interactions?q=%25', undefined, sup.token)).body.total).to.equal(0);
  });

  it('opens the record with notes and files for its agent; 403 for others, 404 for unknown ids', async () => {
    const r = await api(t.url, 'GET', `/api/history/interactions/${v.interactionId}`, undefined, a.token);
    expect(r.status).to.equal(200);
    const kinds = r.body.messages.map((m: { authorKind: string }) => m.authorKind);
    expect(kinds).to.include.members(['visitor', 'agent', 'note']);
    expect(r.body.messages.map((m: { body: string }) => m.body)).to.include(XSS);
    const withFile = r.body.messages.find((m: { body: string }) => m.body === 'Here is the receipt');
    expect(withFile.attachments.map((f: { fileName: string }) => f.fileName)).to.deep.equal(['receipt.png']);
    expect(r.body.journey.map((e: { type: string }) => e.type)).to.include('closed');
    expect(r.body.calls).to.deep.equal([]);

    expect((await api(t.url, 'GET', `/api/history/interactions/${v.interactionId}`, undefined, other.token)).status).to.equal(403);
    expect((await api(t.url, 'GET', `/api/history/interactions/${'a'.repeat(32)}`, undefined, sup.token)).status).to.equal(404);
    expect((await api(t.url, 'GET', '/api/history/interactions/..%2F..%2Fetc', undefined, sup.token)).status).to.equal(404);
    expect((await api(t.url, 'GET', `/api/history/interactions/${v.interactionId}`)).status).to.equal(401);
  });

  it('writes the conversation into the PDF as text, notes marked, the visitor’s markup verbatim', async () => {
    const pdf = await download(t.url, `/api/history/interactions/${v.interactionId}/transcript.pdf`, a.token);
    expect(pdf.status).to.equal(200);
    expect(pdf.type).to.equal('application/pdf');
    expect(pdf.disposition).to.equal(`attachment; filename="transcript-${v.interactionId}.pdf"`);
    expect(pdf.body.subarray(0, 5).toString()).to.equal('%PDF-');
    const text = await pdfText(pdf.body);
    expect(text, text).to.include('Hello, my order 4411 is late — Grüße, 日本語 ok');
    expect(text).to.include('Sorry about that, checking order 4411 now.');
    expect(text).to.match(/Internal note\)?[\s\S]*NOTE-FOR-TEAM courier delay/);
    expect(text).to.include(XSS);
    expect(text).to.include('Attachment: receipt.png');
    expect(text).to.include('Resolved');
    // Without the permission, no file is embedded.
    expect(pdf.body.includes(Buffer.from('/EmbeddedFile'))).to.equal(false);
  });

  it('embeds the files only for roles allowed to export them, and says so in /api/auth/me', async () => {
    const me = await api(t.url, 'GET', '/api/auth/me', undefined, a.token);
    expect(me.body.permissions).to.deep.equal([]);
    expect((await api(t.url, 'GET', '/api/auth/me', undefined, sup.token)).body.permissions).to.deep.equal(['transcript.attachments']);
    const refused = await api(t.url, 'GET', `/api/history/interactions/${v.interactionId}/transcript.pdf?attachments=1`, undefined, a.token);
    expect(refused.status).to.equal(403);
    const pdf = await download(t.url, `/api/history/interactions/${v.interactionId}/transcript.pdf?attachments=1`, sup.token);
    expect(pdf.status).to.equal(200);
    expect(pdf.body.includes(Buffer.from('/EmbeddedFile'))).to.equal(true);
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-pdf-'));
    writeFileSync(path.join(dir, 't.pdf'), pdf.body);
    const listed = execFileSync('pdfdetach', ['-list', path.join(dir, 't.pdf')], { encoding: 'utf8' });
    expect(listed).to.include('receipt.png');
    execFileSync('pdfdetach', ['-save', '1', '-o', path.join(dir, 'out.png'), path.join(dir, 't.pdf')]);
    expect(execFileSync('sha256sum', [path.join(dir, 'out.png')], { encoding: 'utf8' }).split(' ')[0]).to.equal(
      (await import('node:crypto')).createHash('sha256').update(PNG).digest('hex'),
    );
    // Someone who never handled it gets nothing, with or without files.
    expect((await api(t.url, 'GET', `/api/history/interactions/${v.interactionId}/transcript.pdf`, undefined, other.token)).status).to.equal(403);
  });

  it('lists who took part, a call\'s legs and a message\'s files in the order they came, when they came in the same millisecond', async () => {
    const db = t.sb.kernel.db;
    // Made one after the other on a clock that does not move; their ids sort the other way round.
    const at = new Date();
    const idFrom = (first: string) => first + newId().slice(1);
    const id = newId();
    await db.getRepository(Interaction).insert({
      id, channel: 'phone', direction: 'inbound', state: 'closed', queueId: null, websiteId: 'example', contactId: null, assignedAgentId: null, routingVariables: {}, subject: null,
      dispositionId: null, unmanaged: false, offline: false, timedOut: false, visitorTokenHash: null, queuedAt: at, assignedAt: at, closedAt: at,
    });
    const offer = (agentId: string, first: string, kind: 'route' | 'conference') => ({ id: idFrom(first), interactionId: id, agentId, state: 'accepted' as const, kind, offeredAt: at, expiresAt: at, respondedAt: at });
    await db.getRepository(Offer).insert(offer(a.id, 'f', 'route'));
    await db.getRepository(Offer).insert(offer(other.id, '0', 'conference'));
    const callId = newId();
    await db.getRepository(Call).insert({ id: callId, interactionId: id, kind: 'inbound', video: false, trunkId: null, setupAt: at, answeredAt: at, endedAt: at, endCause: 'caller-hangup' });
    const leg = (side: string, first: string, direction: 'inbound' | 'outbound') => ({
      id: idFrom(first), callId, side, direction, sipCallId: newId(), localTag: null, remoteTag: null, remoteUri: `sip:${side}@example.com`,
      setupAt: at, ringingAt: null, answeredAt: at, endedAt: at, finalStatus: 200, cause: 'bye',
    });
    await db.getRepository(CallLeg).insert(leg('a', 'f', 'inbound'));
    await db.getRepository(CallLeg).insert(leg('b', '0', 'outbound'));
    // A mail's files, stored one after the other.
    const messageId = newId();
    await db.getRepository(Message).insert({ id: messageId, interactionId: id, authorKind: 'visitor', authorAgentId: null, authorName: null, body: 'Two files', deliveryState: 'delivered', clientMessageId: null, externalId: null, deliveredAt: null, createdAt: at });
    for (const [fileName, first] of [['first.pdf', 'f'], ['second.pdf', '0']]) {
      await db.getRepository(Attachment).insert({ id: idFrom(first), interactionId: id, messageId, fileName, size: 9, sha256: '0'.repeat(64), detectedType: 'application/pdf', storageKey: `00/${idFrom('0')}`, uploadedByKind: 'visitor', createdAt: at });
    }

    const r = await api(t.url, 'GET', `/api/history/interactions/${id}`, undefined, sup.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.interaction.agentNames).to.deep.equal([a.username, other.username]);
    expect(r.body.messages[0].attachments.map((f: { fileName: string }) => f.fileName)).to.deep.equal(['first.pdf', 'second.pdf']);
    const pdf = await download(t.url, `/api/history/interactions/${id}/transcript.pdf`, sup.token);
    expect(pdf.status).to.equal(200);
    const text = await pdfText(pdf.body);
    expect(text.match(/leg [ab] \w+/g), text).to.deep.equal(['leg a inbound', 'leg b outbound']);
    expect(text).to.include(`Agents: ${a.username}, ${other.username}`);
  });

  it('lists interactions created in the same millisecond in one order (by id), each once across the pages', async () => {
    const db = t.sb.kernel.db;
    // Created one after the other on a clock that does not move; their ids sort the other way round.
    const at = new Date();
    const subject = `tie-${newId().slice(0, 8)}`;
    const ids: string[] = [];
    for (const first of 'fedcba9') {
      const id = first + newId().slice(1);
      ids.push(id);
      await db.getRepository(Interaction).insert({
        id, channel: 'mail', direction: 'inbound', state: 'closed', queueId: null, websiteId: 'example', contactId: null, assignedAgentId: null, routingVariables: {}, subject,
        dispositionId: null, unmanaged: false, offline: false, timedOut: false, visitorTokenHash: null, queuedAt: at, assignedAt: at, closedAt: at,
      });
    }
    await db.query('UPDATE interactions SET createdAt = ? WHERE subject = ?', [at, subject]);
    const listed: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const r = await api(t.url, 'GET', `/api/history/interactions?q=${subject}&pageSize=3&page=${page}`, undefined, sup.token);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      expect(r.body.total).to.equal(7);
      listed.push(...r.body.items.map((i: { id: string }) => i.id));
    }
    expect(listed).to.deep.equal([...ids].sort().reverse());
  });

  it('refuses garbage queries naming the field', async () => {
    for (const [q, field] of [
      ['channel=fax', 'channel'],
      ['from=yesterday', 'from'],
      ['to=2026-02-31', 'to'],
      ['pageSize=1000', 'pageSize'],
      ['page=0', 'page'],
      ['q=' + 'x'.repeat(201), 'q'],
      ['sort=id', 'sort'],
    ]) {
      const r = await api(t.url, 'GET', `/api/history/interactions?${q}`, undefined, sup.token);
      expect(r.status, q).to.equal(400);
      expect(JSON.stringify(r.body.error.fields), q).to.include(field);
    }
    const r = await api(t.url, 'GET', `/api/history/interactions/${v.interactionId}/transcript.pdf?attachments=yes`, undefined, sup.token);
    expect(r.status).to.equal(400);
  });
});
