// The rating mail of a mail ticket end to end: the customer writes through the widget's mail form,
// an agent takes the ticket on the desktop and closes it; the customer's real mailbox gets "How did
// we do?" with a link; the page it opens in Chromium rates the ticket (four of five, a comment with
// markup shown as text), once; History has the rating.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, SCREENSHOTS, startServer, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';

const { widget } = await import(path.join(REPO, 'server/dist/test/chat.js'));
const { mailboxOf, customerAddress } = await import(path.join(REPO, 'server/dist/test/mailbox.js'));

const ELSA = { username: 'elsa-rate', password: 'correct-horse-battery', name: 'Elsa Neri', role: 'agent' };
const COMMENT = 'Quick <b>and</b> clear';

describe('CSAT by mail: a closed mail ticket rated from the link in the mail (Chromium, a real server, a real mailbox)', function () {
  this.timeout(180_000);
  let server: E2eServer;
  let browser: Browser;
  let desk: Page;
  const customer = customerAddress('rate');
  const imap = { host: '127.0.0.1', port: 1143, secure: false, password: 'switchboard-mail-secret' };
  const errors: string[] = [];

  before(async () => {
    server = await startServer({ ...alwaysOpen(), 'websites/example.yaml:csat': { enabled: true } });
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...ELSA, skills: [{ skill: 'english', level: 8 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    desk = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } })).newPage();
    desk.on('pageerror', (e) => errors.push(`desk: ${e.message}`));
    await logInOnScreen(desk, server.url, ELSA);
    await desk.locator('[data-test=state-current]').click();
    await desk.locator('[data-test=set-available]').click();
    await desk.locator('[data-test=state-current][data-state=available]').waitFor();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('mails the link when the ticket closes; the page rates it once and History shows it', async () => {
    const asked = await widget(server.url, 'POST', '/mail', { fields: { email: customer, subject: 'Parcel 77', body: 'It has not arrived.' } });
    expect(asked.status, JSON.stringify(asked.body)).to.equal(201);
    await desk.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click({ timeout: 30_000 });
    const token = await login(server.url, ELSA.username, ELSA.password);
    let interactionId = '';
    for (let n = 0; !interactionId; n++) {
      const mine = await api(server.url, 'GET', '/api/interactions/mine', undefined, token);
      interactionId = mine.body.interactions?.find((i: { channel: string }) => i.channel === 'mail')?.id ?? '';
      if (!interactionId && n === 100) throw new Error(`no mail interaction: ${JSON.stringify(mine.body)}`);
      if (!interactionId) await new Promise((done) => setTimeout(done, 200));
    }
    expect((await api(server.url, 'POST', `/api/interactions/${interactionId}/close`, {}, token)).status).to.equal(200);

    // The customer's mailbox: the rating mail, whatever else the ticket sent them.
    let rating: { subject?: string; text?: string } | undefined;
    for (let n = 0; !rating; n++) {
      rating = (await mailboxOf(imap, customer)).find((m: { subject?: string }) => m.subject?.startsWith('How did we do?'));
      if (!rating && n === 200) throw new Error('no rating mail');
      if (!rating) await new Promise((done) => setTimeout(done, 300));
    }
    expect(rating.subject).to.equal('How did we do? – Example shop');
    const link = /https?:\/\/\S+\/rate\/[0-9a-f]{32}\/[A-Za-z0-9_-]{43}\?lang=en/.exec(rating.text ?? '')?.[0];
    expect(link, rating.text).to.be.a('string');
    const at = new URL(link!);
    expect(at.pathname).to.contain(`/rate/${interactionId}/`);

    const page = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 700, height: 640 } })).newPage();
    page.on('pageerror', (e) => errors.push(`rating page: ${e.message}`));
    await page.goto(`${server.url}${at.pathname}${at.search}`);
    await page.getByRole('heading', { name: 'How did we do?' }).waitFor();
    await expectAccessible(page, 'rating');
    await page.getByLabel('4').check();
    await page.getByLabel('Anything you want to tell us (optional)').fill(COMMENT);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'csat-mail-rating.png'), fullPage: true });
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('Thank you for your rating.').waitFor();
    // Once: the link now says so.
    await page.goto(`${server.url}${at.pathname}${at.search}`);
    await page.getByText('This was rated already. Thank you.').waitFor();

    const record = await api(server.url, 'GET', `/api/history/interactions/${interactionId}`, undefined, token);
    expect(record.body.interaction.csat).to.include({ rating: 4, comment: COMMENT });
  });
});
