// The callback confirmation mail's cancel link in a real browser: the customer's mailbox gets the
// mail, the link opens a page in Chromium showing the callback, and its button cancels it (the
// page once sent `Referrer-Policy: no-referrer`, with which Chromium posts `Origin: null`: refused).
import { expect } from 'chai';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { alwaysOpen, dropTestDatabase, launchChromium, REPO, SCREENSHOTS, startServer, type E2eServer } from './harness.ts';

const { widget } = await import(path.join(REPO, 'server/dist/test/chat.js'));
const { mailboxOf, customerAddress } = await import(path.join(REPO, 'server/dist/test/mailbox.js'));

const EMAIL_FIELD = { type: 'email', name: 'email', label: 'Email', mapsTo: { contact: 'email' } };

describe('callback cancel link from the confirmation mail (Chromium, a real server, a real mailbox)', function () {
  this.timeout(180_000);
  let server: E2eServer;
  let browser: Browser;
  const customer = customerAddress('cancel');
  const imap = { host: '127.0.0.1', port: 1143, secure: false, password: 'switchboard-mail-secret' };

  before(async () => {
    server = await startServer({ ...alwaysOpen(), 'websites/example.yaml:forms.callback.2': EMAIL_FIELD });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });

  it('opens the callback from the mail and cancels it with the page’s button', async () => {
    const slots = await widget(server.url, 'GET', '/callbacks/slots');
    const asked = await widget(server.url, 'POST', '/callbacks', { fields: { phone: '+39 06 7070 4444', email: customer }, slot: slots.body.slots.at(-1).start });
    expect(asked.status, JSON.stringify(asked.body)).to.equal(201);
    let mail: { text?: string } | undefined;
    for (let n = 0; !mail; n++) {
      mail = (await mailboxOf(imap, customer))[0];
      if (!mail && n === 200) throw new Error('no confirmation mail');
      if (!mail) await new Promise((done) => setTimeout(done, 300));
    }
    const link = /https?:\/\/\S+\/callbacks\/cancel\/[A-Za-z0-9_-]{43}/.exec(mail.text ?? '')?.[0];
    expect(link, mail.text).to.be.a('string');
    const page = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 700, height: 480 } })).newPage();
    await page.goto(`${server.url}${new URL(link!).pathname}`);
    await page.getByRole('button', { name: 'Cancel the callback' }).click();
    await page.getByText('This callback is cancelled. We will not call you.').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'callback-cancel-link.png'), fullPage: true });
    const status = await widget(server.url, 'GET', `/callbacks/${asked.body.callbackId}`);
    expect(status.body.state).to.equal('cancelled');
  });
});
