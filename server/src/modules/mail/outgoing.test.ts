// Mail that Switchboard sends goes through one outbox: stored, queued as a job, sent through the
// real local Postfix into the customer's Dovecot mailbox. An agent's reply carries the thread's
// headers and files; a mail server that is away delays a reply (queued, with the reason), never
// loses or doubles it. The SMTP outage is a port this test controls in front of the shared
// Postfix, which keeps running for every other test.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { accept, api, login, makeAgent, nextOffer, startRoutingServer, type TestAgent, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { customerAddress, mailboxOf, waitForMails } from '../../test/mailbox.js';
import { tcpProxy } from '../../test/tcp-proxy.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { OutgoingMail } from './outgoing-mail.entity.js';
import { Attachment } from '../chat/message.entity.js';
import { newId } from '../../kernel/db/ids.js';

const cid = () => randomBytes(8).toString('hex');
const POSTFIX = 2525;

/** A mail ticket from the widget, offered to and taken by the agent. */
async function takeTicket(t: TestServer, a: TestAgent, from: string, subject = 'Broken lamp') {
  const r = await widget(t.url, 'POST', '/mail', { fields: { email: from, subject, body: 'It flickers since Monday.' } });
  expect(r.status, JSON.stringify(r.body)).to.equal(201);
  const offer = await nextOffer(a, 20_000);
  expect((await accept(t.url, a, offer.offerId)).status).to.equal(200);
  return { interactionId: offer.interactionId, reference: r.body.reference as string };
}

const upload = (t: TestServer, a: TestAgent, id: string, name: string, body: string) =>
  fetch(`${t.url}/api/mail/${id}/files?name=${encodeURIComponent(name)}`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/octet-stream' }, body });

describe('mail replies through the outbox (real Postfix and Dovecot)', function () {
  this.timeout(180_000);
  let t: TestServer;
  let smtp: Awaited<ReturnType<typeof tcpProxy>>;
  let a: TestAgent;
  let admin: string;

  before(async () => {
    smtp = await tcpProxy(POSTFIX);
    t = await startRoutingServer({ 'switchboard.yaml:smtp.port': smtp.port, 'switchboard.yaml:imap.enabled': false });
    admin = await login(t.url);
    a = await makeAgent(t.url, admin, { capacity: { mail: 50, total: 50 } });
  });
  after(async () => {
    a?.socket.close();
    await t?.stop();
    await smtp?.stop();
  });

  it("answers the customer: the reply with its file is in the customer's mailbox with the thread's headers", async () => {
    const customer = customerAddress();
    const { interactionId, reference } = await takeTicket(t, a, customer);
    const thread = await api(t.url, 'GET', `/api/mail/${interactionId}`, undefined, a.token);
    expect(thread.status, JSON.stringify(thread.body)).to.equal(200);
    expect(thread.body).to.include({ reference, subject: 'Broken lamp', customerAddress: customer });
    expect(thread.body.messages[0].body).to.contain('It flickers since Monday.');

    const file = await upload(t, a, interactionId, 'steps.txt', 'Unplug it for ten seconds.\n');
    expect(file.status).to.equal(201);
    const fileId = ((await file.json()) as { file: { id: string } }).file.id;
    const first = { clientMessageId: cid(), body: 'Hello, please try the steps attached.', attachmentIds: [fileId] };
    const r1 = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, first, a.token);
    expect(r1.status, JSON.stringify(r1.body)).to.equal(201);
    expect(r1.body.message.delivery.state).to.be.oneOf(['queued', 'sent']);
    // The desktop retrying the same send stores and mails it once.
    const again = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, first, a.token);
    expect(again.body.message.id).to.equal(r1.body.message.id);
    const r2 = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body: 'And one more thing.' }, a.token);
    expect(r2.status).to.equal(201);

    const mails = await waitForMails(t.config.main.imap!, customer, 2);
    expect(mails).to.have.length(2);
    const [m1, m2] = [mails.find((m) => m.text?.includes('steps attached'))!, mails.find((m) => m.text?.includes('one more thing'))!];
    expect(m1.subject).to.equal(`Re: Broken lamp [${reference}]`);
    expect(m1.messageId).to.match(/^<[0-9a-f]{32}@switchboard\.localhost>$/);
    expect(m1.replyTo?.text).to.equal('support@switchboard.localhost');
    expect(m1.from?.text).to.contain('no-reply@switchboard.localhost');
    expect(m1.attachments.map((x) => [x.filename, x.content.toString()])).to.deep.equal([['steps.txt', 'Unplug it for ten seconds.\n']]);
    // The second answer threads under the first, for every mail client.
    expect(m2.inReplyTo).to.equal(m1.messageId);
    expect([m2.references].flat()).to.include(m1.messageId);
    expect(m2.subject).to.equal(`Re: Broken lamp [${reference}]`);

    const view = await eventually(() => api(t.url, 'GET', `/api/mail/${interactionId}`, undefined, a.token), (v) => v.body.messages.filter((m: { delivery?: { state: string } }) => m.delivery?.state === 'sent').length === 2, 200, 250);
    const replies = view.body.messages.filter((m: { authorKind: string }) => m.authorKind === 'agent');
    expect(replies.map((m: { deliveryState: string }) => m.deliveryState)).to.deep.equal(['sent', 'sent']);
    expect(replies[0].attachments.map((f: { fileName: string }) => f.fileName)).to.deep.equal(['steps.txt']);
    const journey = await t.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId });
    expect(journey.filter((e) => e.type === 'mail.sent')).to.have.length(2);
  });

  it('sends a reply\'s files in the order they were uploaded, as the thread lists them', async () => {
    const customer = customerAddress();
    const { interactionId } = await takeTicket(t, a, customer, 'Two files please');
    const ids: string[] = [];
    for (const [name, first] of [['first.txt', 'f'], ['second.txt', '0']]) {
      const file = await upload(t, a, interactionId, name, `${name}\n`);
      expect(file.status).to.equal(201);
      // Ids that sort the other way round from the uploads.
      const id = first + newId().slice(1);
      await t.sb.kernel.db.getRepository(Attachment).update({ id: ((await file.json()) as { file: { id: string } }).file.id }, { id });
      ids.push(id);
    }
    const r = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body: 'Both files attached.', attachmentIds: [...ids].reverse() }, a.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.message.attachments.map((f: { fileName: string }) => f.fileName)).to.deep.equal(['first.txt', 'second.txt']);
    const [mail] = await waitForMails(t.config.main.imap!, customer, 1);
    expect(mail!.attachments.map((x) => x.filename)).to.deep.equal(['first.txt', 'second.txt']);
  });

  it("gives the mail thread's PDF transcript with the customer's mail and the agent's reply", async () => {
    const { interactionId } = await takeTicket(t, a, customerAddress(), 'Transcript please');
    const r = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body: 'REPLY-IN-PDF the parcel is on its way.' }, a.token);
    expect(r.status).to.equal(201);
    const pdf = await fetch(`${t.url}/api/history/interactions/${interactionId}/transcript.pdf`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(pdf.status).to.equal(200);
    expect(pdf.headers.get('content-type')).to.contain('application/pdf');
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-mail-pdf-'));
    writeFileSync(path.join(dir, 't.pdf'), Buffer.from(await pdf.arrayBuffer()));
    const text = execFileSync('pdftotext', ['-layout', path.join(dir, 't.pdf'), '-'], { encoding: 'utf8' });
    expect(text, text).to.contain('It flickers since').and.to.contain('REPLY-IN-PDF the parcel is on its way.');
  });

  it('keeps a reply queued with the reason while the mail server is away, and sends it once when it returns', async () => {
    const customer = customerAddress();
    const { interactionId } = await takeTicket(t, a, customer, 'Where is my parcel');
    await smtp.stop();
    try {
      const r = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body: 'It left our warehouse today.' }, a.token);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const waiting = await eventually(() => api(t.url, 'GET', `/api/mail/${interactionId}`, undefined, a.token), (v) => !!v.body.messages.at(-1)?.delivery?.lastError, 300, 200);
      const d = waiting.body.messages.at(-1).delivery;
      expect(d.state).to.equal('queued');
      expect(d.attempts).to.be.at.least(1);
      expect(d.lastError).to.match(/ECONNREFUSED|connect/i);
      expect(await mailboxOf(t.config.main.imap!, customer)).to.have.length(0);
    } finally {
      await smtp.start();
    }
    const sent = await eventually(() => api(t.url, 'GET', `/api/mail/${interactionId}`, undefined, a.token), (v) => v.body.messages.at(-1)?.delivery?.state === 'sent', 300, 500);
    expect(sent.body.messages.at(-1).deliveryState).to.equal('sent');
    // Sent once: when the outbox has nothing of this ticket left to send, a second copy would be
    // with Postfix already; a reply after it, through the same outbox and Postfix, comes after it.
    await eventually(() => t.sb.kernel.db.getRepository(OutgoingMail).findBy({ interactionId }), (rows) => rows.length > 0 && rows.every((m) => m.state !== 'queued'));
    expect((await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body: 'One more thing.' }, a.token)).status).to.equal(201);
    const mails = await eventually(() => mailboxOf(t.config.main.imap!, customer), (ms) => ms.some((m) => m.text?.includes('One more thing.')), 300, 200);
    expect(mails.filter((m) => m.text?.includes('It left our warehouse today.'))).to.have.length(1);
  });

  it('queues again what Redis lost: a stored reply whose job is gone is still sent', async () => {
    const customer = customerAddress();
    const { interactionId } = await takeTicket(t, a, customer, 'Lost job');
    await smtp.stop();
    let mailId: string;
    try {
      await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body: 'Survives a lost queue.' }, a.token);
      const row = await eventually(() => t.sb.kernel.db.getRepository(OutgoingMail).findOneBy({ interactionId }), (x) => !!x && x.attempts >= 1, 300, 200);
      mailId = row!.id;
      // What a Redis restart without persistence does to the queue.
      const { Queue } = await import('bullmq');
      const q = new Queue('mail-send', { connection: { host: '127.0.0.1', port: t.config.main.redis.port }, prefix: t.sb.kernel.jobs.scope });
      await (await q.getJob(mailId))?.remove();
      expect(await q.getJob(mailId)).to.equal(undefined);
      await q.close();
    } finally {
      await smtp.start();
    }
    await t.sb.contexts.outbox.sweep();
    await eventually(() => t.sb.kernel.db.getRepository(OutgoingMail).findOneBy({ id: mailId }), (x) => x?.state === 'sent', 300, 500);
    expect(await waitForMails(t.config.main.imap!, customer, 1)).to.have.length(1);
  });

  it('lets only the agent handling the mail answer it, and refuses garbage naming the field', async () => {
    const customer = customerAddress();
    const { interactionId } = await takeTicket(t, a, customer, 'Mine');
    const other = await makeAgent(t.url, admin, { available: false });
    try {
      expect((await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body: 'Not mine' }, other.token)).status).to.equal(403);
      expect((await api(t.url, 'GET', `/api/mail/${interactionId}`, undefined, other.token)).status).to.equal(403);
      expect((await api(t.url, 'GET', `/api/mail/${'0'.repeat(32)}`, undefined, a.token)).status).to.equal(404);
      const cases: [unknown, string][] = [
        [{ clientMessageId: cid(), body: '   ' }, 'body'],
        [{ body: 'x' }, 'clientMessageId'],
        [{ clientMessageId: cid(), body: 'x', attachmentIds: ['../../etc/passwd'] }, 'attachmentIds'],
        [{ clientMessageId: cid(), body: 'x', attachmentIds: ['f'.repeat(32)] }, 'attachmentIds'],
        [{ clientMessageId: cid(), body: 'x', bcc: 'someone@example.com' }, 'bcc'],
      ];
      for (const [body, field] of cases) {
        const r = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, body, a.token);
        expect(r.status, JSON.stringify(body)).to.equal(400);
        expect(JSON.stringify(r.body.error.fields), JSON.stringify(r.body)).to.contain(field);
      }
      expect(await t.sb.kernel.db.getRepository(OutgoingMail).countBy({ interactionId })).to.equal(0);
    } finally {
      other.socket.close();
    }
  });

  it("sends a formatted reply as text and as HTML made only of the editor's marks, whatever the agent typed", async () => {
    const customer = customerAddress();
    const { interactionId } = await takeTicket(t, a, customer, 'Formatting');
    const body = [
      'Hello **Marta**, *sorry* for the wait.',
      '',
      '- unplug it\n- wait [ten seconds](https://help.example/lamp?x=1&y=2)',
      '',
      '1. <script>alert(1)</script> <img src=x onerror="alert(2)">',
      '2. [bad](javascript:alert(3)) <a href="https://evil.example">evil</a> <b onclick="x()">b</b>',
    ].join('\n');
    const r = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body, format: 'formatted' }, a.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const plain = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body: 'Plain **as typed**' }, a.token);
    expect(plain.status).to.equal(201);
    const bad = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body: 'x', format: 'html' }, a.token);
    expect(bad.status).to.equal(400);
    expect(JSON.stringify(bad.body.error.fields)).to.contain('format');

    const mails = await waitForMails(t.config.main.imap!, customer, 2);
    const m = mails.find((x) => x.text?.includes('Marta'))!;
    const html = String(m.html);
    expect(html).to.contain('<strong>Marta</strong>').and.to.contain('<em>sorry</em>');
    expect(html).to.contain('<ul><li>unplug it</li><li>wait <a href="https://help.example/lamp?x=1&amp;y=2">ten seconds</a></li></ul>');
    expect(html).to.match(/<ol><li>&lt;script&gt;alert\(1\)&lt;\/script&gt; &lt;img src=x onerror=(&quot;|")alert\(2\)(&quot;|")&gt;<\/li>/);
    // The only elements are the marks' own: nothing typed became markup.
    const tags = [...html.matchAll(/<([a-z0-9]+)[\s>]/gi)].map((x) => x[1]!.toLowerCase());
    expect([...new Set(tags)].sort()).to.deep.equal(['a', 'em', 'li', 'ol', 'p', 'strong', 'ul']);
    expect([...html.matchAll(/<a\s[^>]*>/g)].map((x) => x[0])).to.deep.equal(['<a href="https://help.example/lamp?x=1&amp;y=2">']);
    // The text part reads as typed, the link with its address.
    expect(m.text).to.contain('Hello **Marta**').and.to.contain('ten seconds <https://help.example/lamp?x=1&y=2>').and.to.contain('<script>alert(1)</script>');
    const p = mails.find((x) => x.text?.includes('Plain'))!;
    expect(p.html).to.equal(false);
    expect(p.text?.trim()).to.equal('Plain **as typed**');
  });

  it("keeps a header injection in the widget's subject inside one Subject header", async () => {
    const customer = customerAddress();
    const victim = customerAddress('victim');
    const { interactionId, reference } = await takeTicket(t, a, customer, `Hello\r\nBcc: ${victim}\r\nX-Evil: 1`);
    const r = await api(t.url, 'POST', `/api/mail/${interactionId}/replies`, { clientMessageId: cid(), body: 'Hi' }, a.token);
    expect(r.status).to.equal(201);
    const [mail] = await waitForMails(t.config.main.imap!, customer, 1);
    expect(mail!.subject).to.equal(`Re: Hello Bcc: ${victim} X-Evil: 1 [${reference}]`);
    expect(mail!.headers.has('x-evil')).to.equal(false);
    expect(mail!.bcc).to.equal(undefined);
    expect(await mailboxOf(t.config.main.imap!, victim)).to.have.length(0);
  });
});
