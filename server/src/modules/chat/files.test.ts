// Chat files: streamed uploads checked by size, count, extension and content; downloads only for
// the chat's own visitor (its token) and agents, as attachments with nosniff; refusals store nothing.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Attachment } from './message.entity.js';
import { api, login, makeAgent, type TestServer } from '../../test/routing.js';
import { ORIGIN, cid, command, startChat, takeChat, widget , startChatServer } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';

const english = [{ skill: 'english', level: 8 }];
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
const MB = 1024 * 1024;

/** A raw upload through node:http, so the body can be streamed in chunks or cut off. */
function upload(url: string, p: string, token: string | undefined, chunks: Buffer[], opts: { length?: number; abortAfter?: number; origin?: string; auth?: string } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { origin: opts.origin ?? ORIGIN, 'content-type': 'application/octet-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.auth) headers.authorization = `Bearer ${opts.auth}`;
    if (opts.length !== undefined) headers['content-length'] = opts.length;
    const req = http.request(url + p, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', (err) => (opts.abortAfter !== undefined ? resolve({ status: 0, body: undefined }) : reject(err)));
    let sent = 0;
    const write = async () => {
      for (const c of chunks) {
        if (req.destroyed) return;
        if (!req.write(c)) await new Promise((r) => req.once('drain', r));
        sent++;
        if (opts.abortAfter !== undefined && sent >= opts.abortAfter) {
          await new Promise((r) => setTimeout(r, 100));
          req.destroy();
          return;
        }
      }
      req.end();
    };
    write().catch(() => undefined);
  });
}

describe('chat: files', () => {
  let t: TestServer;
  let admin: string;
  beforeEach(async () => {
    t = await startChatServer();
    admin = await login(t.url);
  });
  afterEach(() => t.stop());
  const uploads = () => path.resolve(t.config.main.storage.uploadsDir);
  const stored = (interactionId: string) => t.sb.kernel.db.getRepository(Attachment).countBy({ interactionId });
  /** Visitor uploads the server is done refusing (400), from its request counter. */
  const uploadsRefused = async () => {
    const requests = await t.sb.contexts.metrics.registry.getSingleMetric('switchboard_http_requests_total')!.get();
    const upload = (l: Record<string, unknown>) => l.method === 'POST' && l.route === '/api/widget/:websiteId/chats/:interactionId/files' && l.status === '400';
    return requests.values.filter((v) => upload(v.labels)).reduce((n, v) => n + v.value, 0);
  };
  const filesOnDisk = () => (existsSync(uploads()) ? readdirSync(uploads(), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length : 0);

  it('sends a file from the visitor to the agent and back, downloadable as an attachment with nosniff', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const up = await upload(t.url, `/api/widget/example/chats/${v.interactionId}/files?name=${encodeURIComponent('photo é.png')}`, v.token, [PNG], { length: PNG.length });
    expect(up.status, JSON.stringify(up.body)).to.equal(201);
    expect(up.body.file).to.deep.include({ fileName: 'photo é.png', size: PNG.length, type: 'image/png', sha256: createHash('sha256').update(PNG).digest('hex') });
    const ack = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: '', attachmentIds: [up.body.file.id] });
    expect(ack.type, JSON.stringify(ack)).to.equal('chat.ack');
    const got = await a.socket.next((m) => m.type === 'chat.message' && m.message.id === ack.message.id);
    expect(got.message.attachments.map((x: { id: string }) => x.id)).to.deep.equal([up.body.file.id]);

    const res = await fetch(`${t.url}/api/chats/${v.interactionId}/files/${up.body.file.id}`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(res.status).to.equal(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).to.equal(true);
    expect(res.headers.get('content-disposition')).to.match(/^attachment; /).and.include("filename*=UTF-8''photo%20%C3%A9.png");
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('content-type')).to.equal('image/png');
    const vr = await fetch(`${t.url}/api/widget/example/chats/${v.interactionId}/files/${up.body.file.id}?token=${v.token}`, { headers: { origin: ORIGIN } });
    expect(vr.status).to.equal(200);
    expect(vr.headers.get('x-content-type-options')).to.equal('nosniff');

    // The agent sends one back.
    const txt = Buffer.from('Your invoice: 42 €\n');
    const aup = await upload(t.url, `/api/chats/${v.interactionId}/files?name=invoice.txt`, undefined, [txt], { length: txt.length, auth: a.token });
    expect(aup.status, JSON.stringify(aup.body)).to.equal(201);
    const sent = await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'here', attachmentIds: [aup.body.file.id] });
    const vgot = await v.socket.next((m) => m.type === 'chat.message' && m.message.id === sent.message.id);
    expect(vgot.message.attachments[0]).to.include({ fileName: 'invoice.txt', type: 'text/plain; charset=utf-8' });
    // A file already sent cannot be attached again.
    expect(await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'again', attachmentIds: [aup.body.file.id] })).to.include({ type: 'error', code: 'invalid_request' });
    v.socket.close();
  });

  it('refuses a 6 MB file with a clear 413, declared or streamed, keeps nothing and keeps the chat open', async () => {
    await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    const p = `/api/widget/example/chats/${v.interactionId}/files?name=big.pdf`;
    const chunk = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(MB - 9, 0x20)]);
    const six = Array.from({ length: 6 }, (_, k) => (k === 0 ? chunk : Buffer.alloc(MB, 0x20)));
    const declared = await upload(t.url, p, v.token, six, { length: 6 * MB });
    expect(declared.status).to.equal(413);
    expect(declared.body.error).to.include({ code: 'file_too_large', message: '"big.pdf" is larger than the 5 MB limit per file.' });
    const streamed = await upload(t.url, p, v.token, six);
    expect(streamed.status).to.equal(413);
    expect(streamed.body.error.code).to.equal('file_too_large');
    expect(await stored(v.interactionId)).to.equal(0);
    expect(filesOnDisk()).to.equal(0);
    const still = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'still here' });
    expect(still.type, JSON.stringify(still)).to.equal('chat.ack');
    // Exactly 5 MB is accepted.
    const five = await upload(t.url, p, v.token, six.slice(0, 5), { length: 5 * MB });
    expect(five.status, JSON.stringify(five.body)).to.equal(201);
    v.socket.close();
  });

  it('checks the type by extension and by content, and refuses a cancelled upload, keeping nothing', async () => {
    await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    const p = (name: string) => `/api/widget/example/chats/${v.interactionId}/files?name=${encodeURIComponent(name)}`;
    const exe = await upload(t.url, p('setup.exe'), v.token, [Buffer.from([0x4d, 0x5a, 0x90, 0x00])], { length: 4 });
    expect(exe.status, JSON.stringify(exe)).to.equal(400);
    expect(exe.body.error.code).to.equal('file_type_not_accepted');
    expect(exe.body.error.message).to.include('.pdf, .png, .jpg, .jpeg, .txt');
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    const fake = await upload(t.url, p('cat.png'), v.token, [html], { length: html.length });
    expect(fake.status).to.equal(400);
    expect(fake.body.error).to.include({ code: 'file_content_mismatch', message: '"cat.png" does not contain what its name says (.png); it was refused.' });
    const bin = await upload(t.url, p('notes.txt'), v.token, [Buffer.from([0x41, 0x00, 0xff, 0xfe])], { length: 4 });
    expect(bin.body.error.code).to.equal('file_content_mismatch');
    const pdfAsJpg = await upload(t.url, p('x.jpg'), v.token, [Buffer.from('%PDF-1.4 hello')], { length: 14 });
    expect(pdfAsJpg.body.error.code).to.equal('file_content_mismatch');
    const empty = await upload(t.url, p('e.pdf'), v.token, [], { length: 0 });
    expect(empty.status).to.equal(400);
    expect((await upload(t.url, `/api/widget/example/chats/${v.interactionId}/files`, v.token, [PNG], { length: PNG.length })).body.error.fields).to.deep.equal([{ field: 'name', problem: 'is required' }]);
    // Cancelled half-way: the server drops what it got. The client cannot hear the answer; the
    // request is counted once the server is done with it (its part of the body removed).
    const refused = await uploadsRefused();
    await upload(t.url, p('half.pdf'), v.token, [Buffer.from('%PDF-1.7\n'), Buffer.alloc(64 * 1024), Buffer.alloc(64 * 1024)], { length: 3 * MB, abortAfter: 2 });
    await eventually(uploadsRefused, (n) => n === refused + 1);
    expect(await stored(v.interactionId)).to.equal(0);
    expect(filesOnDisk()).to.equal(0);
    v.socket.close();
  });

  it('limits files per batch to the website setting', async () => {
    await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    const ids: string[] = [];
    for (let k = 0; k < 5; k++) {
      const r = await upload(t.url, `/api/widget/example/chats/${v.interactionId}/files?name=p${k}.png`, v.token, [PNG], { length: PNG.length });
      expect(r.status).to.equal(201);
      ids.push(r.body.file.id);
    }
    const sixth = await upload(t.url, `/api/widget/example/chats/${v.interactionId}/files?name=p5.png`, v.token, [PNG], { length: PNG.length });
    expect(sixth.status).to.equal(413);
    expect(sixth.body.error).to.include({ code: 'too_many_files', message: 'At most 5 files can be sent at once; send or remove some first.' });
    // Removing one from the batch makes room.
    expect((await widget(t.url, 'DELETE', `/chats/${v.interactionId}/files/${ids.pop()}`, undefined, v.token)).status).to.equal(204);
    expect(await stored(v.interactionId)).to.equal(4);
    const ok = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'four files', attachmentIds: ids });
    expect(ok.message.attachments).to.have.length(4);
    v.socket.close();
  });

  it('lets the agent side remove its unsent uploads, and only those: each side its own, never a sent file', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const outsider = await makeAgent(t.url, admin, { available: false });
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const txt = Buffer.from('notes\n');
    const agentUpload = (k: number) => upload(t.url, `/api/chats/${v.interactionId}/files?name=n${k}.txt`, undefined, [txt], { length: txt.length, auth: a.token });
    const ids: string[] = [];
    for (let k = 0; k < 5; k++) ids.push((await agentUpload(k)).body.file.id);
    expect((await agentUpload(5)).status, 'five unsent files fill the batch').to.equal(413);
    const vfile = (await upload(t.url, `/api/widget/example/chats/${v.interactionId}/files?name=v.png`, v.token, [PNG], { length: PNG.length })).body.file.id;

    // Neither side removes the other's file, nor anyone outside the chat; garbage ids are refused.
    expect((await widget(t.url, 'DELETE', `/chats/${v.interactionId}/files/${ids[0]}`, undefined, v.token)).status).to.equal(404);
    expect((await api(t.url, 'DELETE', `/api/chats/${v.interactionId}/files/${vfile}`, undefined, a.token)).status).to.equal(404);
    expect((await api(t.url, 'DELETE', `/api/chats/${v.interactionId}/files/${ids[0]}`, undefined, outsider.token)).status).to.equal(403);
    expect((await api(t.url, 'DELETE', `/api/chats/${v.interactionId}/files/..%2F..%2Fetc`, undefined, a.token)).status).to.equal(400);
    expect((await api(t.url, 'DELETE', `/api/chats/${v.interactionId}/files/${ids[0]}`)).status).to.equal(401);
    expect(await stored(v.interactionId)).to.equal(6);

    // Taken off the list: room for the next upload, and the file is gone from disk too.
    const onDisk = filesOnDisk();
    expect((await api(t.url, 'DELETE', `/api/chats/${v.interactionId}/files/${ids.pop()}`, undefined, a.token)).status).to.equal(204);
    expect(filesOnDisk()).to.equal(onDisk - 1);
    const again = await agentUpload(6);
    expect(again.status).to.equal(201);
    ids.push(again.body.file.id);
    const sent = await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'five', attachmentIds: ids });
    expect(sent.message.attachments).to.have.length(5);
    const gone = await api(t.url, 'DELETE', `/api/chats/${v.interactionId}/files/${ids[0]}`, undefined, a.token);
    expect(gone.status).to.equal(409);
    expect(gone.body.error.message).to.equal('This file was already sent and stays in the chat.');
    v.socket.close();
  });

  it("lets only the chat's participants download its files", async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const va = await startChat(t.url);
    await takeChat(t.url, a, va);
    const vb = await startChat(t.url);
    const up = await upload(t.url, `/api/widget/example/chats/${va.interactionId}/files?name=a.png`, va.token, [PNG], { length: PNG.length });
    const file = up.body.file.id;
    const dl = (chat: string, token?: string) => widget(t.url, 'GET', `/chats/${chat}/files/${file}`, undefined, token);
    expect((await command(va.socket, { type: 'chat.send', interactionId: va.interactionId, clientMessageId: cid(), body: '', attachmentIds: [file] })).type).to.equal('chat.ack');
    expect((await dl(va.interactionId, va.token)).status).to.equal(200);
    expect((await dl(va.interactionId, vb.token)).status).to.equal(403);
    expect((await dl(va.interactionId)).status).to.equal(401);
    // B's own chat and token, A's file: the file's room does not match.
    expect((await dl(vb.interactionId, vb.token)).status).to.equal(404);
    expect((await widget(t.url, 'GET', `/chats/${va.interactionId}/files/${file}`, undefined, va.token, 'https://evil.example')).status).to.equal(403);
    // B cannot upload into A's chat either.
    expect((await upload(t.url, `/api/widget/example/chats/${va.interactionId}/files?name=b.png`, vb.token, [PNG], { length: PNG.length })).status).to.equal(403);
    const outsider = await makeAgent(t.url, admin, { available: false });
    expect((await api(t.url, 'GET', `/api/chats/${va.interactionId}/files/${file}`, undefined, outsider.token)).status).to.equal(403);
    expect((await api(t.url, 'GET', `/api/chats/${va.interactionId}/files/${file}`, undefined, admin)).status).to.equal(200);
    expect(await stored(va.interactionId)).to.equal(1);
    va.socket.close();
    vb.socket.close();
  });

  it('shows the visitor a file only once it is part of a sent message, not while the agent keeps it back', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const txt = Buffer.from('Internal price list\n');
    const kept = await upload(t.url, `/api/chats/${v.interactionId}/files?name=prices.txt`, undefined, [txt], { length: txt.length, auth: a.token });
    expect(kept.status, JSON.stringify(kept.body)).to.equal(201);
    const own = await upload(t.url, `/api/widget/example/chats/${v.interactionId}/files?name=mine.png`, v.token, [PNG], { length: PNG.length });
    const visitorGets = (fileId: string) => widget(t.url, 'GET', `/chats/${v.interactionId}/files/${fileId}`, undefined, v.token);
    const agentGets = (fileId: string) => api(t.url, 'GET', `/api/chats/${v.interactionId}/files/${fileId}`, undefined, a.token);
    // Unsent: the agent's upload (its id leaked or guessed) and the visitor's own are not served to the visitor.
    for (const id of [kept.body.file.id, own.body.file.id]) {
      const r = await visitorGets(id);
      expect(r.status, id).to.equal(404);
      expect(JSON.stringify(r.body)).not.to.include('Internal price list');
      expect((await agentGets(id)).status).to.equal(200);
    }
    // Sent, each becomes visible to the visitor.
    const sent = await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'the list', attachmentIds: [kept.body.file.id] });
    expect(sent.type, JSON.stringify(sent)).to.equal('chat.ack');
    expect((await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: '', attachmentIds: [own.body.file.id] })).type).to.equal('chat.ack');
    const got = await visitorGets(kept.body.file.id);
    expect(got.status).to.equal(200);
    expect(got.body).to.equal('Internal price list\n');
    expect((await visitorGets(own.body.file.id)).status).to.equal(200);
    // Garbage ids are named as such.
    expect((await widget(t.url, 'GET', `/chats/${v.interactionId}/files/not-an-id`, undefined, v.token)).status).to.equal(400);
    v.socket.close();
  });
});
