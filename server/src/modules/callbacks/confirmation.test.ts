// The customer's confirmation: a mail through the real local Postfix into their Dovecot mailbox,
// with the reference, when we call, and a cancel link. Opening the link cancels nothing (mail
// scanners open links); its button does — job removed, interaction closed, journey written — and
// pressing it again changes nothing. A link that is malformed or names no callback is refused.
import { expect } from 'chai';
import { Callback } from './callback.entity.js';
import { CallbackDueJob } from './due-job.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { startRoutingServer, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { customerAddress, waitForMails } from '../../test/mailbox.js';
import { eventually } from '../../test/redis.js';

const EMAIL_FIELD = { type: 'email', name: 'email', label: 'Email', mapsTo: { contact: 'email' } };

describe('callbacks: the confirmation mail and its cancel link', () => {
  let t: TestServer;
  before(async () => {
    t = await startRoutingServer({ 'websites/example.yaml:forms.callback.2': EMAIL_FIELD, 'switchboard.yaml:imap.enabled': false });
  });
  after(() => t.stop());
  const row = (id: string) => t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id });
  const page = async (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(t.url + path, { method, headers });
    return { status: res.status, type: res.headers.get('content-type') ?? '', csp: res.headers.get('content-security-policy') ?? '', html: await res.text() };
  };

  it('mails the reference, the slot and a cancel link; the link shows a button, the button cancels, and again changes nothing', async () => {
    const to = customerAddress('callback');
    const slots = await widget(t.url, 'GET', '/callbacks/slots');
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 7070 1234', email: to, message: '<b>about my order</b>' }, slot: slots.body.slots[3].start, language: 'it' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.mailed).to.equal(true);

    const [mail] = await waitForMails(t.config.main.imap!, to, 1);
    expect(mail, 'the confirmation mail').to.not.equal(undefined);
    expect(mail!.subject).to.contain(r.body.reference);
    expect(mail!.text).to.contain(r.body.reference).and.contain('…1234').and.not.contain('7070');
    expect(mail!.text).to.match(/Ti richiameremo/);
    const link = /https?:\/\/\S+\/callbacks\/cancel\/([A-Za-z0-9_-]{43})/.exec(mail!.text ?? '');
    expect(link, mail!.text).to.not.equal(null);
    const path = `/callbacks/cancel/${link![1]}`;
    // Only the hash is kept.
    expect((await row(r.body.callbackId)).tokenHash).to.have.length(64).and.not.equal(link![1]);

    const shown = await page('GET', path, { 'accept-language': 'en' });
    expect(shown.status).to.equal(200);
    expect(shown.type).to.contain('text/html');
    expect(shown.csp).to.contain("default-src 'none'");
    expect(shown.html).to.contain(r.body.reference).and.contain('<form method="post">').and.contain('Cancel the callback');
    expect((await row(r.body.callbackId)).state, 'opening the link cancels nothing').to.equal('scheduled');

    const cancelled = await page('POST', path, { 'accept-language': 'en' });
    expect(cancelled.status, cancelled.html).to.equal(200);
    expect(cancelled.html).to.contain('This callback is cancelled');
    const cb = await row(r.body.callbackId);
    expect(cb.state).to.equal('cancelled');
    expect(await new CallbackDueJob(t.sb.contexts.callbacks).stateOf(r.body.callbackId)).to.equal(null);
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId })).state).to.equal('closed');
    const journey = await t.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId: cb.interactionId, type: 'callback.cancelled' });
    expect(journey.map((e) => e.data)).to.deep.equal([{ by: 'customer', via: 'mail' }]);

    const again = await page('POST', path);
    expect([again.status, again.html.includes('This callback is cancelled')]).to.deep.equal([200, true]);
    expect(await t.sb.kernel.db.getRepository(InteractionEvent).countBy({ interactionId: cb.interactionId, type: 'callback.cancelled' })).to.equal(1);
    expect((await widget(t.url, 'GET', `/callbacks/${r.body.callbackId}`)).body.state).to.equal('cancelled');
  });

  it('refuses malformed links with 400 and unknown ones with 404, touching no callback', async () => {
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 7070 2222', email: customerAddress('callback') }, slot: 'asap' });
    expect(r.body.mailed).to.equal(true);
    for (const bad of ['abc', 'A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}%3C`, "x'%20OR%20'1'='1", r.body.callbackId]) {
      for (const method of ['GET', 'POST'] as const) {
        const p = await page(method, `/callbacks/cancel/${bad}`);
        expect(p.status, `${method} ${bad}`).to.equal(400);
        expect(p.html).to.contain('data-code="bad_request"').and.not.contain('<script');
      }
    }
    for (const method of ['GET', 'POST'] as const) {
      const p = await page(method, `/callbacks/cancel/${'A'.repeat(43)}`);
      expect(p.status).to.equal(404);
      expect(p.html).to.contain('data-code="not_found"');
    }
    expect(['scheduled', 'queued']).to.include((await row(r.body.callbackId)).state);
  });

  it('says it is too late once dialling has begun (409) and cancels nothing', async () => {
    const to = customerAddress('callback');
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 7070 3333', email: to }, slot: 'asap' });
    const [mail] = await waitForMails(t.config.main.imap!, to, 1);
    const token = /\/callbacks\/cancel\/([A-Za-z0-9_-]{43})/.exec(mail!.text ?? '')![1];
    await eventually(() => row(r.body.callbackId), (cb) => cb.state === 'queued');
    await t.sb.kernel.db.getRepository(Callback).update({ id: r.body.callbackId }, { state: 'dialling' });
    const p = await page('POST', `/callbacks/cancel/${token}`);
    expect(p.status).to.equal(409);
    expect(p.html).to.contain('dialling');
    expect((await row(r.body.callbackId)).state).to.equal('dialling');
  });

  it('sends nothing without an address, and keeps no token', async () => {
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 7070 4444' }, slot: 'asap' });
    expect(r.status).to.equal(201);
    expect(r.body.mailed).to.equal(false);
    expect((await row(r.body.callbackId)).tokenHash).to.equal(null);
  });
});
