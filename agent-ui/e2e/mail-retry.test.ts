// The reply editor's formatting and a reply the mail server refuses, on the desktop: the agent
// marks words bold and a list with the toolbar, sends; the mail server (the test's own, told to
// answer 550) refuses it, and the reply says so with the server's words and a Retry button; once
// the server takes mail again, Retry sends it once, with the HTML part made of the marks.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, startServer, type E2eServer } from './harness.ts';

const { smtpSink } = await import(path.join(REPO, 'server/dist/test/smtp.js'));

const NORA = { username: 'nora-mail', password: 'correct-horse-battery', name: 'Nora Blu', role: 'agent' };

describe('a refused mail reply on the desktop, formatted, sent again with Retry (Chromium)', function () {
  this.timeout(180_000);
  let server: E2eServer;
  let browser: Browser;
  let page: Page;
  let sink: { port: number; mails: string[]; rcptReply: string | null; rcptCount: number; close(): Promise<void> };
  const errors: string[] = [];

  before(async () => {
    sink = await smtpSink();
    server = await startServer({ ...alwaysOpen(), 'switchboard.yaml:smtp.port': sink.port, 'switchboard.yaml:imap.enabled': false });
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...NORA, skills: [{ skill: 'english', level: 8 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    page = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await logInOnScreen(page, server.url, NORA);
    await page.locator('[data-test=state-current]').click();
    await page.locator('[data-test=set-available]').click();
    await page.locator('[data-test=state-current][data-state=available]').waitFor();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await sink?.close();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('shows the refusal with its reason and a Retry that sends the formatted reply once', async () => {
    const r = await fetch(`${server.url}/api/widget/example/mail`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:8081' },
      body: JSON.stringify({ fields: { email: 'carla@example.com', subject: 'Order 77', body: 'Where is it?' } }),
    });
    expect(r.status).to.equal(201);
    await page.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click({ timeout: 90_000 });
    const pane = page.locator('[data-test=mail-pane]');
    await pane.locator('[data-test=mail-message]', { hasText: 'Where is it?' }).waitFor({ timeout: 30_000 });

    sink.rcptReply = '550 5.1.1 <carla@example.com>: Recipient address rejected: mailbox full for good';
    const box = pane.locator('[data-test=mail-reply]');
    await box.fill('Your order ');
    await pane.locator('[data-test=mail-bold]').click();
    await page.keyboard.type('left today');
    await box.press('End');
    await page.keyboard.type('.\n\nTracking <b>AB123</b>');
    await pane.locator('[data-test=mail-list]').click();
    expect(await box.inputValue()).to.equal('Your order **left today**.\n\n- Tracking <b>AB123</b>');
    expect(await pane.locator('[data-test=mail-formatted]').isChecked()).to.equal(true);
    await pane.locator('[data-test=mail-send]').click();

    const failed = pane.locator('[data-test=mail-delivery][data-state=failed]');
    await failed.waitFor({ timeout: 60_000 });
    expect(await failed.textContent()).to.contain('550').and.to.contain('mailbox full for good');
    expect(sink.mails).to.have.length(0);

    sink.rcptReply = null;
    await pane.locator('[data-test=mail-retry]').click();
    await pane.locator('[data-test=mail-delivery][data-state=sent]').waitFor({ timeout: 60_000 });
    expect(await pane.locator('[data-test=mail-retry]').count()).to.equal(0);
    expect(sink.mails).to.have.length(1);
    const mail = sink.mails[0]!;
    expect(mail).to.match(/Content-Type: multipart\/alternative/i);
    expect(mail).to.contain('<strong>left today</strong>').and.to.contain('<ul><li>Tracking &lt;b&gt;AB123&lt;/b&gt;</li></ul>');
  });
});
