// Mail tickets from the widget: the website's mail form (and the offline form) become a contact,
// a mail interaction, its thread and first message; garbage is refused field by field.
import { expect } from 'chai';
import { In } from 'typeorm';
import { MailThread } from './mail-thread.entity.js';
import { Attachment, Message } from '../chat/message.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { Contact } from '../contacts/contact.entity.js';
import { startRoutingServer, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { smtpSink } from '../../test/smtp.js';
import { eventually } from '../../test/redis.js';
import { OutgoingMail } from './outgoing-mail.entity.js';

describe('mail tickets from the widget', () => {
  let t: TestServer;
  before(async () => {
    t = await startRoutingServer();
  });
  after(() => t.stop());

  it('opens a ticket with thread, first message and a reference', async () => {
    const r = await widget(t.url, 'POST', '/mail', { fields: { email: 'Mail.Visitor@Example.com', subject: 'Broken lamp', body: 'It <b>flickers</b>.', file: { fileName: 'photo.jpg', size: 1000 } } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.reference).to.match(/^T-[0-9A-F]{8}$/);
    const thread = await t.sb.kernel.db.getRepository(MailThread).findOneByOrFail({ id: r.body.ticketId });
    expect(thread).to.include({ subject: 'Broken lamp', customerAddress: 'Mail.Visitor@Example.com' });
    const i = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: thread.interactionId });
    expect(i).to.include({ channel: 'mail', queueId: 'mail', websiteId: 'example', offline: false, subject: 'Broken lamp' });
    const m = await t.sb.kernel.db.getRepository(Message).findOneByOrFail({ interactionId: i.id });
    expect(m.body).to.contain('Message: It <b>flickers</b>.').and.to.contain('Attachment: photo.jpg');
    const c = await t.sb.kernel.db.getRepository(Contact).findOneByOrFail({ id: i.contactId! });
    expect(c.email).to.equal('mail.visitor@example.com');
  });

  it("takes the form's file with the ticket's upload token, once, within the field's limits", async () => {
    const r = await widget(t.url, 'POST', '/mail', { fields: { email: 'f@example.com', subject: 'Receipt', body: 'Attached', file: { fileName: 'receipt.pdf', size: 9 } } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const token = r.body.uploadToken as string;
    expect(token).to.be.a('string');
    const up = (query: string, body: string | Buffer, bearer = token) =>
      fetch(`${t.url}/api/widget/example/mail/${r.body.ticketId}/files?${query}`, { method: 'POST', headers: { origin: 'http://127.0.0.1:8081', authorization: `Bearer ${bearer}`, 'content-type': 'application/octet-stream' }, body });
    expect((await up('field=file&name=receipt.pdf', '%PDF-1.4\n', 'wrong-token')).status).to.equal(403);
    expect((await up('field=body&name=receipt.pdf', '%PDF-1.4\n')).status).to.equal(400);
    expect((await up('field=file&name=tool.exe', 'MZ')).status).to.equal(400);
    expect((await up('field=file&name=fake.pdf', 'not a pdf')).status).to.equal(400);
    expect((await up('field=file&name=big.pdf', Buffer.concat([Buffer.from('%PDF-'), Buffer.alloc(5 * 1024 * 1024)]))).status).to.equal(413);
    const ok = await up('field=file&name=receipt.pdf', '%PDF-1.4\n');
    expect(ok.status).to.equal(201);
    expect((await up('field=file&name=receipt.pdf', '%PDF-1.4\n')).status).to.equal(409);
    const thread = await t.sb.kernel.db.getRepository(MailThread).findOneByOrFail({ id: r.body.ticketId });
    const files = await t.sb.kernel.db.getRepository(Attachment).findBy({ interactionId: thread.interactionId });
    const first = await t.sb.kernel.db.getRepository(Message).findOneByOrFail({ interactionId: thread.interactionId });
    expect(files.map((f) => [f.fileName, f.size, f.messageId])).to.deep.equal([['receipt.pdf', 9, first.id]]);
    // Without a file in the form there is nothing to upload and no token.
    const plain = await widget(t.url, 'POST', '/mail', { fields: { email: 'f@example.com', subject: 'S', body: 'B' } });
    expect(plain.body.uploadToken).to.equal(undefined);
  });

  it('stores the offline form as an offline mail interaction', async () => {
    const r = await widget(t.url, 'POST', '/mail', { offline: true, fields: { name: 'Olga', email: 'olga@example.com', message: 'Call me tomorrow' } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const thread = await t.sb.kernel.db.getRepository(MailThread).findOneByOrFail({ id: r.body.ticketId });
    const i = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: thread.interactionId });
    expect(i.offline).to.equal(true);
  });

  it('refuses garbage with a problem per field and stores nothing', async () => {
    // Only threads with the addresses these requests carry: mail fetched for earlier tests comes in meanwhile.
    const addresses = ['refused.form@example.com', 'refused.offline@example.com', 'not-an-email', '"><img src=x onerror=alert(1)>@x.y', ''];
    const mine = () => t.sb.kernel.db.getRepository(MailThread).countBy({ customerAddress: In(addresses) });
    const before = await mine();
    const ok = { email: 'refused.form@example.com', subject: 'S', body: 'B' };
    const cases: [unknown, string][] = [
      [{ fields: { ...ok, email: 'not-an-email' } }, 'fields.email'],
      [{ fields: { ...ok, email: '"><img src=x onerror=alert(1)>@x.y' } }, 'fields.email'],
      [{ fields: { ...ok, subject: '' } }, 'fields.subject'],
      [{ fields: { ...ok, body: '   ' } }, 'fields.body'],
      [{ fields: { ...ok, subject: 'x'.repeat(201) } }, 'fields.subject'],
      [{ fields: { ...ok, file: { fileName: 'run.exe', size: 10 } } }, 'fields.file'],
      [{ fields: { ...ok, file: { fileName: 'big.pdf', size: 6 * 1024 * 1024 } } }, 'fields.file'],
      [{ fields: { ...ok, file: 'photo.jpg' } }, 'fields.file'],
      [{ fields: { ...ok, subject: { $gt: '' } } }, 'fields.subject'],
      [{ fields: { ...ok, extra: 1 } }, 'fields.extra'],
      [{ fields: ok, offline: 'yes' }, 'offline'],
      [{ fields: { name: 'N', email: 'refused.offline@example.com' }, offline: true }, 'fields.message'],
      [{}, 'fields'],
    ];
    for (const [body, field] of cases) {
      const r = await widget(t.url, 'POST', '/mail', body);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(r.body.error.fields.map((f: { field: string }) => f.field).join(' '), JSON.stringify(r.body)).to.contain(field);
    }
    expect((await widget(t.url, 'POST', '/mail', 'x'.repeat(10))).status).to.equal(400);
    expect(await mine()).to.equal(before);
  });

  it('refuses a page whose origin is not one of the website, and an unknown website', async () => {
    const r = await widget(t.url, 'POST', '/mail', { fields: { email: 'a@example.com', subject: 'S', body: 'B' } }, undefined, 'http://localhost:9999');
    expect(r.status).to.equal(403);
    const u = await fetch(`${t.url}/api/widget/nope/mail`, { method: 'POST', headers: { origin: 'http://127.0.0.1:8081', 'content-type': 'application/json' }, body: '{}' });
    expect(u.status).to.equal(404);
  });
});

describe('offline forms forwarded by mail', () => {
  it('mails the offline form to the forwarding address with the visitor as Reply-To, and stores no ticket', async () => {
    const sink = await smtpSink();
    const t = await startRoutingServer({ 'switchboard.yaml:smtp.port': sink.port, 'websites/example.yaml:offline': { action: 'mail', forwardTo: 'desk@example.com' } });
    try {
      const mine = () => t.sb.kernel.db.getRepository(MailThread).countBy({ customerAddress: 'olga.forwarded@example.com' });
      const before = await mine();
      const r = await widget(t.url, 'POST', '/mail', { offline: true, fields: { name: 'Olga', email: 'olga.forwarded@example.com', message: 'Call me <tomorrow>' } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await eventually(async () => sink.mails.length, (n) => n === 1);
      const mail = sink.mails[0]!;
      expect(mail).to.match(/^To: desk@example\.com/m).and.to.match(/^Reply-To: olga\.forwarded@example\.com/m).and.to.contain(`[${r.body.reference}]`);
      expect(mail).to.contain('Message: Call me <tomorrow>');
      expect(await mine()).to.equal(before);
    } finally {
      await t.stop();
      await sink.close();
    }
  });

  it('keeps the form when the mail server is down and forwards it once it returns', async () => {
    const down = await smtpSink();
    await down.close();
    const t = await startRoutingServer({ 'switchboard.yaml:smtp.port': down.port, 'websites/example.yaml:offline': { action: 'mail', forwardTo: 'desk@example.com' } });
    let sink: Awaited<ReturnType<typeof smtpSink>> | undefined;
    try {
      const r = await widget(t.url, 'POST', '/mail', { offline: true, fields: { name: 'Olga', email: 'olga@example.com', message: 'Hello while down' } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const row = await eventually(() => t.sb.kernel.db.getRepository(OutgoingMail).findOneBy({ dedupeKey: `forward:${r.body.ticketId}` }), (x) => !!x?.lastError);
      expect(row).to.include({ state: 'queued', toAddress: 'desk@example.com' });
      sink = await smtpSink(down.port);
      await eventually(async () => sink!.mails.length, (n) => n === 1, 300, 200);
      expect(sink.mails[0]).to.contain('Message: Hello while down').and.to.contain(`[${r.body.reference}]`);
      await eventually(() => t.sb.kernel.db.getRepository(OutgoingMail).findOneBy({ id: row!.id }), (x) => x?.state === 'sent');
    } finally {
      await t.stop();
      await sink?.close();
    }
  });
});
