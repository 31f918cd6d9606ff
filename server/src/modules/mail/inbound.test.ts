// Incoming mail read from a support mailbox of the real Dovecot, delivered through the real
// Postfix: matched to its ticket by the thread's headers, by the reference in the subject or by
// the sender's open ticket, otherwise a new ticket; stored once; a closed ticket reopens; the
// reader reconnects when IMAP goes away and misses nothing. Each test server reads a mailbox of
// its own (any address logs in on the local Dovecot), so tests never take each other's mail.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { accept, api, login, makeAgent, nextOffer, startRoutingServer, type TestAgent, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { customerAddress, mailboxOf, waitForMails } from '../../test/mailbox.js';
import { tcpProxy } from '../../test/tcp-proxy.js';
import { MailThread } from './mail-thread.entity.js';
import { IncomingMail } from './incoming-mail.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';

const POSTFIX = 2525;
const DOVECOT = 1143;
const cid = () => randomBytes(8).toString('hex');
const postfix = nodemailer.createTransport({ host: '127.0.0.1', port: POSTFIX, secure: false });

type Thread = { messages: { id: string; authorKind: string; body: string; html?: string; attachments: { id: string; fileName: string }[] }[]; reference: string; interactionId: string };

describe('incoming mail (real Postfix and Dovecot)', function () {
  this.timeout(240_000);
  let t: TestServer;
  let a: TestAgent;
  let imap: Awaited<ReturnType<typeof tcpProxy>>;
  let admin: string;
  const support = `support-${randomBytes(5).toString('hex')}@switchboard.localhost`;

  before(async () => {
    imap = await tcpProxy(DOVECOT);
    t = await startRoutingServer({ 'switchboard.yaml:imap.enabled': true, 'switchboard.yaml:imap.user': support, 'switchboard.yaml:imap.port': imap.port, 'switchboard.yaml:imap.pollSeconds': 10 });
    admin = await login(t.url);
    a = await makeAgent(t.url, admin, { capacity: { mail: 50, total: 50 } });
  });
  after(async () => {
    a?.socket.close();
    await t?.stop();
    await imap?.stop();
  });

  const view = (id: string, token = a.token) => api(t.url, 'GET', `/api/mail/${id}`, undefined, token).then((r) => r.body as Thread);
  const take = async () => {
    const offer = await nextOffer(a, 60_000);
    expect((await accept(t.url, a, offer.offerId)).status).to.equal(200);
    return offer.interactionId;
  };
  const threadOf = (address: string) => eventually(() => t.sb.kernel.db.getRepository(MailThread).findOne({ where: { customerAddress: address }, order: { createdAt: 'DESC' } }), (x) => !!x, 600, 200);

  it('takes a ticket from the widget to a reply in the customer’s mailbox and the customer’s answer back into the same ticket', async () => {
    const customer = customerAddress();
    const r = await widget(t.url, 'POST', '/mail', { fields: { email: customer, subject: 'Broken lamp', body: 'It flickers.', file: { fileName: 'photo.png', size: 8 } } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const up = await fetch(`${t.url}/api/widget/example/mail/${r.body.ticketId}/files?field=file&name=photo.png`, { method: 'POST', headers: { origin: 'http://127.0.0.1:8081', authorization: `Bearer ${r.body.uploadToken}`, 'content-type': 'application/octet-stream' }, body: png });
    expect(up.status).to.equal(201);
    const id = await take();

    // The agent reads the body and the file.
    const first = await view(id);
    expect(first.messages[0]!.body).to.contain('It flickers.');
    const file = first.messages[0]!.attachments[0]!;
    const dl = await fetch(`${t.url}/api/mail/${id}/files/${file.id}`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(Buffer.from(await dl.arrayBuffer()).equals(png)).to.equal(true);
    expect(dl.headers.get('content-disposition')).to.match(/^attachment/);

    // The agent answers with a file.
    const upload = await fetch(`${t.url}/api/mail/${id}/files?name=manual.txt`, { method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/octet-stream' }, body: 'Turn it off and on.\n' });
    const fileId = ((await upload.json()) as { file: { id: string } }).file.id;
    expect((await api(t.url, 'POST', `/api/mail/${id}/replies`, { clientMessageId: cid(), body: 'Please read the manual attached.', attachmentIds: [fileId] }, a.token)).status).to.equal(201);
    const [reply] = await waitForMails(t.config.main.imap!, customer, 1);
    expect(reply!.subject).to.equal(`Re: Broken lamp [${r.body.reference}]`);
    expect(reply!.replyTo?.text).to.equal(support);
    expect(reply!.attachments.map((x) => x.filename)).to.deep.equal(['manual.txt']);

    // The customer answers from their mail client: to the Reply-To, threaded under the reply.
    await postfix.sendMail({ from: customer, to: support, subject: `Re: ${reply!.subject}`, text: 'Still flickering, sorry.\n\n> Please read the manual attached.', inReplyTo: reply!.messageId, references: [reply!.messageId!] });
    // The agent's desktop hears of it at once (counted unread until the thread is on screen).
    const pushed = await a.socket.next((m) => m.type === 'chat.message' && m.message.interactionId === id && String(m.message.body).includes('Still flickering'), 60_000);
    expect(pushed.message.authorKind).to.equal('visitor');
    const after = await eventually(() => view(id), (v) => v.messages.some((m) => m.body.includes('Still flickering')), 600, 200);
    expect(after.messages.map((m) => m.authorKind)).to.deep.equal(['visitor', 'agent', 'visitor']);
    expect(await t.sb.kernel.db.getRepository(MailThread).countBy({ customerAddress: customer })).to.equal(1);

    // Marked on the server as stored: a restart does not take it again.
    const c = new ImapFlow({ host: '127.0.0.1', port: DOVECOT, secure: false, auth: { user: support, pass: t.config.main.imap!.password }, logger: false });
    await c.connect();
    await c.mailboxOpen('INBOX');
    const flagged = await eventually(() => c.search({ keyword: '$Switchboard' }, { uid: true }).then((x) => x || []), (x) => x.length >= 1);
    expect(flagged.length).to.be.at.least(1);
    await c.logout();
  });

  it('opens a new ticket for a mail that answers nothing, matches the reference in a subject, and stores a second delivery once', async () => {
    const customer = customerAddress('newcomer');
    const messageId = `<${cid()}@customer.example>`;
    await postfix.sendMail({ from: `"Nina Newcomer" <${customer}>`, to: support, subject: 'Question about invoices', text: 'Where do I find my invoices?', messageId });
    const thread = await threadOf(customer);
    const id = await take();
    expect(id).to.equal(thread!.interactionId);
    const i = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id });
    expect(i).to.include({ channel: 'mail', queueId: 'mail', subject: 'Question about invoices' });
    const v = await view(id);
    expect(v.messages.map((m) => m.body)).to.deep.equal(['Where do I find my invoices?']);

    // The same mail delivered again (same Message-ID): stored once.
    await postfix.sendMail({ from: customer, to: support, subject: 'Question about invoices', text: 'Where do I find my invoices?', messageId });
    await eventually(() => t.sb.kernel.db.getRepository(IncomingMail).findBy({ headerMessageId: messageId }), (x) => x.length === 2, 600, 200);
    expect((await t.sb.kernel.db.getRepository(IncomingMail).findBy({ headerMessageId: messageId })).map((x) => x.outcome).sort()).to.deep.equal(['duplicate', 'stored']);
    expect((await view(id)).messages).to.have.length(1);

    // From another address, but naming the ticket in the subject: the same ticket.
    await postfix.sendMail({ from: customerAddress('colleague'), to: support, subject: `Fwd: invoices [${v.reference}]`, text: 'My colleague asks the same.' });
    await eventually(() => view(id), (x) => x.messages.length === 2, 600, 200);
  });

  it('reopens a closed ticket with the whole conversation when the customer writes again', async () => {
    const customer = customerAddress('returning');
    await postfix.sendMail({ from: customer, to: support, subject: 'Refund', text: 'I want a refund.' });
    await threadOf(customer);
    const id = await take();
    expect((await api(t.url, 'POST', `/api/mail/${id}/replies`, { clientMessageId: cid(), body: 'Refund done.' }, a.token)).status).to.equal(201);
    const [reply] = await waitForMails(t.config.main.imap!, customer, 1);
    expect((await api(t.url, 'POST', `/api/interactions/${id}/close`, {}, a.token)).status).to.equal(200);

    await postfix.sendMail({ from: customer, to: support, subject: reply!.subject!, text: 'It did not arrive.', inReplyTo: reply!.messageId, references: [reply!.messageId!] });
    const again = await take();
    expect(again).to.not.equal(id);
    const v = await view(again);
    expect(v.messages.map((m) => m.body)).to.deep.equal(['I want a refund.', 'Refund done.', 'It did not arrive.']);
    const thread = await t.sb.kernel.db.getRepository(MailThread).findOneByOrFail({ interactionId: again });
    expect(thread.previousInteractionId).to.equal(id);
    const i = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: again });
    expect(i.routingVariables.previousAgent).to.equal(a.id);
    expect(v.reference).to.equal((await view(id)).reference);
  });

  it('connects again when IMAP goes away and takes what arrived meanwhile', async () => {
    await imap.stop();
    const customer = customerAddress('while-down');
    try {
      await postfix.sendMail({ from: customer, to: support, subject: 'Sent while IMAP was down', text: 'Hello?' });
      // Delivered to Dovecot by Postfix meanwhile (read there past the stopped way in); Switchboard cannot see it yet.
      const delivered = () => mailboxOf({ ...t.config.main.imap!, port: DOVECOT }, support).then((ms) => ms.filter((m) => m.from?.value[0]?.address === customer).length);
      await eventually(delivered, (n) => n === 1, 300, 200);
      expect(await t.sb.kernel.db.getRepository(MailThread).countBy({ customerAddress: customer })).to.equal(0);
    } finally {
      await imap.start();
    }
    const thread = await threadOf(customer);
    expect(thread!.subject).to.equal('Sent while IMAP was down');
    await take();
  });

  it('keeps HTML inert: scripts, handlers and remote images are removed, the text is kept', async () => {
    const customer = customerAddress('html');
    const html = '<p onclick="alert(1)">Hello <b>there</b></p><script>alert("x")</script><img src="https://tracker.example/p.gif" onerror="alert(2)"><a href="javascript:alert(3)">x</a><a href="https://ok.example/">ok</a><iframe src="https://evil.example"></iframe>';
    await postfix.sendMail({ from: customer, to: support, subject: 'Fancy mail', html });
    const thread = await threadOf(customer);
    const id = await take();
    expect(id).to.equal(thread!.interactionId);
    const [m] = (await view(id)).messages;
    expect(m!.body).to.contain('Hello').and.to.contain('there').and.not.contain('alert');
    expect(m!.html).to.contain('<b>there</b>').and.to.contain('href="https://ok.example/"');
    for (const bad of ['<script', 'onclick', 'onerror', '<img', 'tracker.example', 'javascript:', '<iframe']) expect(m!.html).to.not.contain(bad);
  });

  it('survives garbage: a malformed MIME tree, an unknown charset, a refused attachment and a 30 MB mail', async () => {
    const send = (from: string, raw: string | Buffer) => postfix.sendMail({ envelope: { from, to: [support] }, raw });
    const broken = customerAddress('broken');
    await send(broken, `From: ${broken}\r\nTo: ${support}\r\nSubject: Broken MIME\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: multipart/alternative; boundary="b2"\r\n\r\n--b2\r\nContent-Type: text/plain\r\n\r\nThe part that can be read.\r\n--b1--\r\n--b2\r\nContent-Type: text/html\r\n\r\n<p>never closed\r\n`);
    const charset = customerAddress('charset');
    await send(charset, `From: ${charset}\r\nTo: ${support}\r\nSubject: Odd charset\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset="x-unknown-42"\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 ordered\r\n`);
    const exe = customerAddress('exe');
    await postfix.sendMail({ from: exe, to: support, subject: 'A program', text: 'Run this', attachments: [{ filename: 'setup.exe', content: Buffer.from('MZ....') }, { filename: 'fake.pdf', content: Buffer.from('not a pdf') }] });
    const big = customerAddress('big');
    await postfix.sendMail({ from: big, to: support, subject: 'Huge scan', text: 'See attached', attachments: [{ filename: 'scan.pdf', content: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(22 * 1024 * 1024)]) }] });

    for (const [who, check] of [
      [broken, (b: string) => b.includes('The part that can be read.')],
      [charset, (b: string) => b.includes('ordered')],
      [exe, (b: string) => b.includes('Run this') && b.includes('file not kept: setup.exe') && b.includes('file not kept: fake.pdf')],
      [big, (b: string) => /larger than the 25\.0 MB/.test(b)],
    ] as [string, (b: string) => boolean][]) {
      const thread = await threadOf(who);
      // Not taken by the agent: read as a supervisor would.
      const m = await eventually(() => view(thread!.interactionId, admin), (v) => v.messages?.length === 1, 600, 200);
      expect(m.messages, who).to.have.length(1);
      expect(check(m.messages[0]!.body), `${who}: ${m.messages[0]!.body}`).to.equal(true);
      expect(m.messages[0]!.attachments).to.deep.equal([]);
    }
    expect((await api(t.url, 'GET', '/health')).status).to.equal(200);
  });
});

// Every instance of a deployment reads the support mailbox; a mail must still make one message
// and one ticket, whichever instance sees it first (a lock per UID in the shared Redis and the
// unique record of each UID).
describe('two instances reading the same support mailbox', function () {
  this.timeout(240_000);
  const servers: TestServer[] = [];
  let agent: TestAgent | undefined;
  const support = `support-${randomBytes(5).toString('hex')}@switchboard.localhost`;

  before(async () => {
    const redisPrefix = `sbtest:${randomBytes(4).toString('hex')}:two-readers:`;
    const set = { 'switchboard.yaml:imap.enabled': true, 'switchboard.yaml:imap.user': support, 'switchboard.yaml:imap.pollSeconds': 10 };
    for (let n = 0; n < 2; n++) servers.push(await startRoutingServer(set, { redisPrefix }));
    // Someone is signed in to the mail queue: tickets wait for them instead of ending unmanaged.
    agent = await makeAgent(servers[0]!.url, await login(servers[0]!.url), { capacity: { mail: 50, total: 50 } });
  });
  after(async () => {
    agent?.socket.close();
    for (const s of servers) await s.stop();
  });

  it('stores each mail once and opens one ticket per customer', async () => {
    const [t] = servers as [TestServer];
    const customers = Array.from({ length: 6 }, () => customerAddress('both'));
    const sent: string[] = [];
    for (const [n, c] of customers.entries()) {
      for (let k = 0; k < 3; k++) {
        const messageId = `<${cid()}@customer.example>`;
        sent.push(messageId);
        await postfix.sendMail({ from: c, to: support, subject: `Two readers ${n}`, text: `Mail ${k} of customer ${n}`, messageId });
      }
    }
    const incoming = t.sb.kernel.db.getRepository(IncomingMail);
    await eventually(() => incoming.findBy({ mailbox: `${support}/INBOX` }), (x) => x.length >= sent.length, 900, 200);
    // Nothing more comes: each UID was recorded once. Once each instance has read the mailbox
    // again from here, every take of either has ended (a pass waits for the one before it).
    await Promise.all(servers.map((s) => s.sb.contexts.mailbox.readNow()));
    const all = await incoming.findBy({ mailbox: `${support}/INBOX` });
    expect(all).to.have.length(sent.length);
    expect(new Set(all.map((r) => r.uid)).size).to.equal(sent.length);
    expect(all.every((r) => r.outcome === 'stored')).to.equal(true);
    expect(all.map((r) => r.headerMessageId).sort()).to.deep.equal([...sent].sort());
    for (const c of customers) {
      const threads = await t.sb.kernel.db.getRepository(MailThread).findBy({ customerAddress: c });
      expect(threads, c).to.have.length(1);
      const v = await api(t.url, 'GET', `/api/mail/${threads[0]!.interactionId}`, undefined, await login(t.url));
      expect(v.body.messages.map((m: { body: string }) => m.body).sort(), c).to.have.length(3);
    }
  });
});
