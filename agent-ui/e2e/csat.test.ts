// Customer satisfaction end to end, with the real widget and the real desktop: a visitor chats
// with an agent, ends the chat, and rates it on the widget's end screen (four of five, with a
// comment); the rating is stored once, and the agent reads it in History, the comment as text.
import { expect } from 'chai';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, freePort, launchChromium, logInOnScreen, login, serveShop, startServer, type E2eServer } from './harness.ts';

const DORA = { username: 'dora-csat', password: 'correct-horse-battery', name: 'Dora Neri', role: 'agent' };
const COMMENT = 'Fast <b>and</b> kind';

describe('CSAT from the widget’s end screen to History (Chromium, a real server)', function () {
  this.timeout(180_000);
  let server: E2eServer;
  let site: { close(): Promise<void> } | undefined;
  let siteOrigin: string;
  let browser: Browser;
  let desk: Page;
  let visitor: Page;
  let widget: FrameLocator;
  const errors: string[] = [];

  before(async () => {
    const port = await freePort();
    siteOrigin = `http://127.0.0.1:${port}`;
    server = await startServer({ ...alwaysOpen(), 'websites/example.yaml:origins': [siteOrigin], 'websites/example.yaml:csat': { enabled: true } });
    site = await serveShop(port, server.url);
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...DORA, skills: [{ skill: 'english', level: 8 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    desk = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } })).newPage();
    desk.on('pageerror', (e) => errors.push(`desk: ${e.message}`));
    await logInOnScreen(desk, server.url, DORA);
    await desk.locator('[data-test=state-current]').click();
    await desk.locator('[data-test=set-available]').click();
    await desk.locator('[data-test=state-current][data-state=available]').waitFor();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await site?.close();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('asks for a rating at the end of the chat, stores it, and History shows it', async () => {
    visitor = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    visitor.on('pageerror', (e) => errors.push(`visitor: ${e.message}`));
    await visitor.goto(siteOrigin + '/');
    await visitor.locator('[data-switchboard-widget] button').click();
    widget = visitor.frameLocator('[data-switchboard-widget] iframe');
    await widget.getByRole('button', { name: 'Chat' }).click();
    await widget.getByLabel('Name').fill('Rita Rating');
    await widget.getByLabel('Email').fill('rita@example.com');
    await widget.getByLabel('I accept the privacy policy').check();
    await widget.getByLabel('Where is my order?').check();
    await widget.getByRole('button', { name: 'Start chat' }).click();
    await desk.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click({ timeout: 30_000 });
    const row = desk.locator('[data-test=interaction][aria-selected=true]');
    await row.waitFor();
    const interactionId = (await row.getAttribute('data-interaction'))!;
    await widget.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();

    await widget.getByRole('button', { name: 'End chat' }).click();
    await widget.getByRole('button', { name: 'Yes, end it' }).click();
    await widget.getByRole('heading', { name: 'The chat has ended.' }).waitFor();
    const send = widget.getByRole('button', { name: 'Send rating' });
    // Nothing chosen yet: nothing to send.
    expect(await send.isDisabled()).to.equal(true);
    await widget.getByRole('radio', { name: '4 of 5' }).check();
    await widget.getByLabel('Anything to add? (optional)').fill(COMMENT);
    await send.click();
    await widget.getByText('Thank you for your feedback!').waitFor();
    expect(await widget.getByRole('button', { name: 'Send rating' }).count()).to.equal(0);

    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const stored = await api(server.url, 'GET', `/api/history/interactions/${interactionId}`, undefined, admin);
    expect(stored.body.interaction.csat).to.include({ rating: 4, comment: COMMENT });

    // The agent closes the chat (it ended on the visitor's side) and finds the rating in History.
    if (await desk.locator('[data-test=close-dispose]').count()) {
      await desk.locator('[data-test=close-dispose]').click();
      await desk.locator('[data-test=dispose-resolved]').click();
    }
    await desk.locator('[data-test=nav-history]').click();
    await desk.locator('[data-test=history-q]').fill('Rita Rating');
    await desk.locator('[data-test=history-search]').click();
    await desk.locator(`[data-test=history-item][data-interaction="${interactionId}"]`).click();
    const csat = desk.locator(`[data-test=history-record][data-interaction="${interactionId}"] [data-test=history-csat]`);
    await csat.waitFor();
    expect(await csat.getAttribute('data-rating')).to.equal('4');
    expect(await csat.textContent()).to.contain('4 of 5').and.to.contain(COMMENT);
    expect(await desk.locator('[data-test=history-record] b').count()).to.equal(0);
    expect(await desk.locator('[data-test=history-journey] li', { hasText: 'Customer rated the chat' }).textContent()).to.contain('Customer rated the chat · 4 of 5');
  });
});
