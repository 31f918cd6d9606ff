// What the mail server answers decides what happens to a reply: a permanent refusal (5xx, e.g. an
// unknown recipient) fails it at once with the server's words, because no retry changes it; a
// temporary one (4xx) is retried until the server takes it. A failed reply can be sent again from
// the desktop. The mail server here is the test's own (test/smtp.ts), told what to answer.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { accept, api, login, makeAgent, nextOffer, startRoutingServer, type TestAgent, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { customerAddress } from '../../test/mailbox.js';
import { smtpSink, type SmtpSink } from '../../test/smtp.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { OutgoingMail } from './outgoing-mail.entity.js';

const cid = () => randomBytes(8).toString('hex');
type Reply = { id: string; deliveryState: string; delivery?: { state: string; attempts: number; lastError: string | null } };

describe('mail replies refused by the mail server', function () {
  this.timeout(180_000);
  let t: TestServer;
  let smtp: SmtpSink;
  let a: TestAgent;
  let admin: string;

  before(async () => {
    smtp = await smtpSink();
    t = await startRoutingServer({ 'switchboard.yaml:smtp.port': smtp.port, 'switchboard.yaml:imap.enabled': false });
    admin = await login(t.url);
    a = await makeAgent(t.url, admin, { capacity: { mail: 50, total: 50 } });
  });
  after(async () => {
    a?.socket.close();
    await t?.stop();
    await smtp?.close();
  });
  afterEach(() => {
    smtp.rcptReply = null;
  });

  async function ticket(subject: string) {
    const r = await widget(t.url, 'POST', '/mail', { fields: { email: customerAddress(), subject, body: 'Hello' } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const offer = await nextOffer(a, 20_000);
    expect((await accept(t.url, a, offer.offerId)).status).to.equal(200);
    return offer.interactionId;
  }
  const reply = async (id: string, body: string) => {
    const r = await api(t.url, 'POST', `/api/mail/${id}/replies`, { clientMessageId: cid(), body }, a.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return r.body.message as Reply;
  };
  const replyNow = (id: string, messageId: string, until: (m: Reply) => boolean) =>
    eventually(
      async () => ((await api(t.url, 'GET', `/api/mail/${id}`, undefined, a.token)).body.messages as Reply[]).find((m) => m.id === messageId)!,
      (m) => !!m && until(m),
      600,
      200,
    );

  it('fails a reply the server refuses for good (550) at once, with its answer, and tries no more', async () => {
    const id = await ticket('Refused for good');
    smtp.rcptReply = '550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown';
    const before = smtp.rcptCount;
    const m = await reply(id, 'This cannot arrive.');
    const failed = await replyNow(id, m.id, (x) => x.delivery?.state === 'failed');
    expect(failed.deliveryState).to.equal('failed');
    expect(failed.delivery!.attempts).to.equal(1);
    expect(failed.delivery!.lastError).to.contain('550').and.to.contain('User unknown');
    const journey = await eventually(() => t.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId: id, type: 'mail.failed' }), (x) => x.length === 1);
    expect(journey[0]!.data).to.include({ messageId: m.id });
    expect(String(journey[0]!.data.error)).to.contain('550');
    // Its job has failed for good, not waiting for a retry: no other try can come.
    const row = await t.sb.kernel.db.getRepository(OutgoingMail).findOneByOrFail({ messageId: m.id });
    await eventually(() => t.sb.contexts.mail.outbox.job.stateOf(row.id), (state) => state === 'failed');
    expect(smtp.rcptCount - before).to.equal(1);
    expect(smtp.mails).to.have.length(0);
  });

  it('retries a reply the server puts off (451) until it takes it, and sends it once', async () => {
    const id = await ticket('Put off');
    smtp.rcptReply = '451 4.3.0 Temporary lookup failure, try again later';
    const mailsBefore = smtp.mails.length;
    const m = await reply(id, 'This arrives later.');
    const waiting = await replyNow(id, m.id, (x) => (x.delivery?.attempts ?? 0) >= 2);
    expect(waiting.delivery!.state).to.equal('queued');
    expect(waiting.delivery!.lastError).to.contain('451');
    smtp.rcptReply = null;
    const sent = await replyNow(id, m.id, (x) => x.delivery?.state === 'sent');
    expect(sent.deliveryState).to.equal('sent');
    expect(sent.delivery!.lastError).to.equal(null);
    expect(smtp.mails.slice(mailsBefore).filter((x) => x.includes('This arrives later.'))).to.have.length(1);
  });

  it('sends a failed reply again when its agent retries it, once however often Retry is pressed', async () => {
    const id = await ticket('Retry me');
    smtp.rcptReply = '554 5.7.1 Relay access denied';
    const m = await reply(id, 'Second chance.');
    await replyNow(id, m.id, (x) => x.delivery?.state === 'failed');
    smtp.rcptReply = null;

    const other = await makeAgent(t.url, admin, { available: false });
    try {
      expect((await api(t.url, 'POST', `/api/mail/${id}/replies/${m.id}/retry`, {}, other.token)).status).to.equal(403);
    } finally {
      other.socket.close();
    }
    expect((await api(t.url, 'POST', `/api/mail/${id}/replies/${'0'.repeat(32)}/retry`, {}, a.token)).status).to.equal(404);
    expect((await api(t.url, 'POST', `/api/mail/${id}/replies/..%2f..%2fetc/retry`, {}, a.token)).status).to.equal(404);

    const [r1, r2] = await Promise.all([1, 2].map(() => api(t.url, 'POST', `/api/mail/${id}/replies/${m.id}/retry`, {}, a.token)));
    expect([r1!.status, r2!.status], JSON.stringify([r1!.body, r2!.body])).to.deep.equal([200, 200]);
    expect(r1!.body.message.delivery.state).to.be.oneOf(['queued', 'sent']);
    const sent = await replyNow(id, m.id, (x) => x.delivery?.state === 'sent');
    expect(sent.deliveryState).to.equal('sent');
    // Both retries were answered, so whatever they queued is queued under the row's id: once that
    // job has completed, nothing of this reply is left to send.
    const row = await t.sb.kernel.db.getRepository(OutgoingMail).findOneByOrFail({ messageId: m.id });
    await eventually(() => t.sb.contexts.mail.outbox.job.stateOf(row.id), (state) => state === 'completed');
    expect(smtp.mails.filter((x) => x.includes('Second chance.'))).to.have.length(1);
    expect(await t.sb.kernel.db.getRepository(OutgoingMail).countBy({ interactionId: id })).to.equal(1);
    const journey = await t.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId: id, type: 'mail.queued' });
    expect(journey.filter((e) => e.data.retry === true)).to.have.length(1);

    // Sent: nothing to retry.
    const again = await api(t.url, 'POST', `/api/mail/${id}/replies/${m.id}/retry`, {}, a.token);
    expect(again.status).to.equal(409);
    expect(again.body.error.code).to.equal('not_failed');
  });
});
