// A mail ticket on the desktop, with the real local mail system: a customer's mail (text with a
// quote, an HTML part full of script, a PDF) reaches the support mailbox through Postfix,
// Switchboard reads it over IMAP and offers it; the agent reads the thread (the quote folded, the
// HTML never rendered, the file a download), answers with a file and a canned reply, sees the
// reply sent, and the customer's mailbox has it, threaded; then the agent closes with a disposition.
import { expect } from 'chai';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import nodemailer from 'nodemailer';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, startServer, type E2eServer } from './harness.ts';

const { waitForMails, customerAddress } = await import(path.join(REPO, 'server/dist/test/mailbox.js'));

const LUCA = { username: 'luca', password: 'correct-horse-battery', name: 'Luca Verdi', role: 'agent' };
const MARKUP = ':is(img, script, iframe, svg, object, embed, style, link, video, audio, form input:not([type=file], [data-test=mail-formatted]))';

describe('mail tickets on the desktop (Chromium, real Postfix and Dovecot)', function () {
  this.timeout(180_000);
  let server: E2eServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const dialogs: string[] = [];
  const support = `support-${randomBytes(5).toString('hex')}@switchboard.localhost`;
  const customer = customerAddress('desk');
  const imap = { host: '127.0.0.1', port: 1143, secure: false, password: 'switchboard-mail-secret' };

  before(async () => {
    server = await startServer({ ...alwaysOpen(), 'switchboard.yaml:imap.enabled': true, 'switchboard.yaml:imap.user': support, 'switchboard.yaml:imap.pollSeconds': 10 });
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...LUCA, skills: [{ skill: 'english', level: 8 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await logInOnScreen(page, server.url, LUCA);
    await page.locator('[data-test=state-current]').click();
    await page.locator('[data-test=set-available]').click();
    await page.locator('[data-test=state-current][data-state=available]').waitFor();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('shows the thread inert with the quote folded, sends a reply with a file, and closes with a disposition', async () => {
    const postfix = nodemailer.createTransport({ host: '127.0.0.1', port: 2525, secure: false });
    await postfix.sendMail({
      from: `"Marta Rossi" <${customer}>`,
      to: support,
      subject: 'Invoice 2291 is wrong',
      text: 'The amount is twice what I ordered.\n\nOn Monday, Shop wrote:\n> Your invoice is attached.\n> Regards',
      html: '<p>The amount is twice <img src="https://tracker.example/p.gif" onerror="alert(1)"></p><script>alert(2)</script>',
      attachments: [{ filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4\n% invoice\n') }],
    });
    await page.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click({ timeout: 90_000 });
    const pane = page.locator('[data-test=mail-pane]');
    await pane.locator('[data-test=mail-message]', { hasText: 'twice what I ordered' }).waitFor({ timeout: 30_000 });
    await expect(await pane.locator('[data-test=mail-subject]').textContent()).to.match(/Invoice 2291 is wrong \[T-[0-9A-F]{8}\]/);
    // The quote is folded; nothing the customer sent is markup on the page; no script ran.
    const quote = pane.locator('details.quoted');
    expect(await quote.count()).to.equal(1);
    expect(await quote.evaluate((d) => (d as HTMLDetailsElement).open)).to.equal(false);
    expect(await pane.locator(MARKUP).count()).to.equal(0);
    expect(dialogs).to.deep.equal([]);
    // The customer's file downloads.
    const [download] = await Promise.all([page.waitForEvent('download'), pane.locator('[data-test=mail-file]', { hasText: 'invoice.pdf' }).click()]);
    expect(download.suggestedFilename()).to.equal('invoice.pdf');

    // The reply: a canned text, the agent's words and a file.
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-mail-'));
    writeFileSync(path.join(dir, 'credit-note.txt'), 'Credit note for invoice 2291\n');
    await pane.getByRole('button', { name: 'Canned replies' }).click();
    await pane.getByRole('button', { name: 'Greeting' }).click();
    const box = pane.locator('[data-test=mail-reply]');
    // The canned text reaches the box on the next render, not with the click.
    await page.waitForFunction(
      (greeting) => (document.querySelector('[data-test=mail-reply]') as HTMLTextAreaElement | null)?.value.includes(greeting),
      'Hello Marta Rossi, I am Luca Verdi.',
    );
    await box.fill(`${await box.inputValue()}\nThe credit note is attached.`);
    await pane.locator('[data-test=mail-attach]').setInputFiles(path.join(dir, 'credit-note.txt'));
    await pane.getByText('credit-note.txt').waitFor();
    await pane.locator('[data-test=mail-send]').click();
    await pane.locator('[data-test=mail-delivery][data-state=sent]').waitFor({ timeout: 60_000 });

    const [mail] = await waitForMails(imap, customer, 1);
    expect(mail.subject).to.match(/^Re: Invoice 2291 is wrong \[T-[0-9A-F]{8}\]$/);
    expect(mail.text).to.contain('Hello Marta Rossi, I am Luca Verdi.').and.to.contain('The credit note is attached.');
    expect(mail.attachments.map((a: { filename: string }) => a.filename)).to.deep.equal(['credit-note.txt']);
    expect(mail.inReplyTo).to.match(/^<.+>$/);

    await page.locator('[data-test=close-dispose]').click();
    await page.locator('[data-test=disposition-search]').fill('reso');
    await page.locator('[data-test=dispose-resolved]').click();
    await page.locator('[data-test=mail-pane]').waitFor({ state: 'detached' });
  });
});
