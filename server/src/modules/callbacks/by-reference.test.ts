// A visitor finds their callback again by its reference: the reference alone is guessable (32
// bits), so it takes the number's last digits too (or the mail's token). Wrong digits and an
// unknown reference answer alike, and failed tries are limited per reference and per address.
import { expect } from 'chai';
import { startRoutingServer, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { customerAddress, waitForMails } from '../../test/mailbox.js';

describe('callbacks: finding a request again by its reference', () => {
  let t: TestServer;
  before(async () => {
    t = await startRoutingServer({ 'websites/example.yaml:forms.callback.2': { type: 'email', name: 'email', label: 'Email', mapsTo: { contact: 'email' } } });
  });
  after(() => t.stop());
  const ask = async (phone: string, extra: Record<string, unknown> = {}) => {
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone, ...extra }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.be.oneOf([200, 201]);
    return r.body as { reference: string; callbackId: string };
  };

  it('finds it by reference (any case) and the last 4 digits, and by the mail token; never shows the number', async () => {
    const to = customerAddress('lookup');
    const r = await ask('+39 06 8080 5678', { email: to });
    const found = await widget(t.url, 'POST', '/callbacks/lookup', { reference: r.reference.toLowerCase(), phoneEnd: '5678' });
    expect(found.status, JSON.stringify(found.body)).to.equal(200);
    expect(found.body).to.deep.include({ callbackId: r.callbackId, reference: r.reference, asap: true, attempts: 0 });
    expect(JSON.stringify(found.body)).to.not.contain('8080');
    const [mail] = await waitForMails(t.config.main.imap!, to, 1);
    const token = /\/callbacks\/cancel\/([A-Za-z0-9_-]{43})/.exec(mail!.text ?? '')![1];
    const byToken = await widget(t.url, 'POST', '/callbacks/lookup', { token });
    expect([byToken.status, byToken.body.callbackId]).to.deep.equal([200, r.callbackId]);
    // What it found is enough to cancel from the widget.
    expect((await widget(t.url, 'POST', `/callbacks/${found.body.callbackId}/cancel`)).body.state).to.equal('cancelled');
  });

  it('answers wrong digits and an unknown reference alike (404), and refuses other origins', async () => {
    const r = await ask('+39 06 8080 1111');
    const wrong = await widget(t.url, 'POST', '/callbacks/lookup', { reference: r.reference, phoneEnd: '2222' });
    const unknown = await widget(t.url, 'POST', '/callbacks/lookup', { reference: r.reference === 'CB-00000000' ? 'CB-00000001' : 'CB-00000000', phoneEnd: '1111' });
    expect([wrong.status, unknown.status]).to.deep.equal([404, 404]);
    expect(wrong.body).to.deep.equal(unknown.body);
    expect((await widget(t.url, 'POST', '/callbacks/lookup', { token: 'A'.repeat(43) })).status).to.equal(404);
    expect((await widget(t.url, 'POST', '/callbacks/lookup', { reference: r.reference, phoneEnd: '1111' }, undefined, 'http://evil.example')).status).to.equal(403);
  });

  it('refuses garbage with 400 naming the problem', async () => {
    for (const body of [{}, { reference: 'CB-1234', phoneEnd: '1234' }, { reference: 'T-12345678', phoneEnd: '1234' }, { reference: 'CB-1234567G', phoneEnd: '1234' }, { reference: 'CB-12345678', phoneEnd: '12a4' }, { reference: 'CB-12345678', phoneEnd: '12345' }, { reference: 'CB-12345678', phoneEnd: '1234', extra: 1 }, { reference: 'CB-12345678', phoneEnd: 1234 }, { token: 'short' }, { token: '<script>'.repeat(6) }, 'CB-12345678', [1]]) {
      const r = await widget(t.url, 'POST', '/callbacks/lookup', body);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(r.body.error.code, JSON.stringify(r.body)).to.be.a('string');
    }
  });

  it('stops answering a reference after 5 failed tries, even with the right digits, and an address after 10', async () => {
    const r = await ask('+39 06 8080 3333');
    for (let i = 0; i < 5; i++) expect((await widget(t.url, 'POST', '/callbacks/lookup', { reference: r.reference, phoneEnd: String(4000 + i) })).status).to.equal(404);
    const locked = await widget(t.url, 'POST', '/callbacks/lookup', { reference: r.reference, phoneEnd: '3333' });
    expect(locked.status).to.equal(429);
    expect(locked.body.error.code).to.equal('rate_limited');
    // The other references still answer until the address has failed 10 times in all
    // (3 failed above in the earlier tests, 5 here).
    const other = await ask('+39 06 8080 4444');
    expect((await widget(t.url, 'POST', '/callbacks/lookup', { reference: other.reference, phoneEnd: '4444' })).status).to.equal(200);
    for (let i = 0; i < 2; i++) expect((await widget(t.url, 'POST', '/callbacks/lookup', { reference: other.reference, phoneEnd: '0000' })).status).to.equal(404);
    expect((await widget(t.url, 'POST', '/callbacks/lookup', { reference: other.reference, phoneEnd: '4444' })).status).to.equal(429);
  });
});
