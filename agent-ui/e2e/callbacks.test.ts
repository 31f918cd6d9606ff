// A callback as the agent meets it, in preview mode: the offer says whom to call, when they asked
// and what they wrote; accepted, the callback pane shows the number, the slot, the attempts and
// the message with Call, Reschedule and Close with disposition; closing ends it for good.
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, screenshotPath, startServer, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';

const AGENT = { username: 'carla', password: 'correct-horse-battery', name: 'Carla Bruni' };
const SHOP = 'http://shop.example.test';

describe('callbacks on the desktop (Chromium against a real server)', function () {
  this.timeout(120_000);
  let server: E2eServer;
  let browser: Browser;
  let page: Page;
  let admin: string;
  const errors: string[] = [];

  before(async () => {
    // queues.yaml: 3 is the callback queue; preview mode, so accepting dials nobody.
    server = await startServer({ ...alwaysOpen(), 'websites/example.yaml:origins': [SHOP], 'queues.yaml:queues.3.callback.mode': 'preview', 'queues.yaml:queues.3.offerTimeoutSeconds': 60 });
    admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...AGENT, role: 'agent', skills: [{ skill: 'english', level: 8 }], capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 760 } });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await logInOnScreen(page, server.url, AGENT);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('offers the callback with number, time and message, shows it with its actions, and closes it with a disposition', async () => {
    const state = page.locator('[data-test=state-current]');
    await state.click();
    await page.locator('[data-test=set-available]').click();
    await state.and(page.locator('[data-state=available]')).waitFor();

    const asked = await api(server.url, 'POST', '/api/widget/example/callbacks', { fields: { phone: '+39 06 1234 5678', message: 'About order A-1042 — after 3 pm please' }, slot: 'asap' }, undefined, { origin: SHOP });
    expect(asked.status, JSON.stringify(asked.body)).to.equal(201);

    const card = page.locator('[data-test=offer]');
    await card.waitFor({ timeout: 60_000 });
    expect(await card.locator('[data-test=offer-callback-number]').textContent()).to.equal('+390612345678');
    expect(await card.locator('[data-test=offer-callback-when]').textContent()).to.match(/^as soon as possible \(/);
    expect(await card.locator('[data-test=offer-preview]').textContent()).to.include('About order A-1042');
    await page.screenshot({ path: screenshotPath('callback-offer') });
    await card.locator('[data-test=offer-accept]').click();
    await card.waitFor({ state: 'detached' });

    const pane = page.locator('[data-test=callback-pane]');
    await pane.waitFor();
    expect(await pane.locator('[data-test=callback-number]').textContent()).to.equal('+390612345678');
    expect(await pane.locator('[data-test=callback-when]').textContent()).to.equal('As soon as possible');
    expect(await pane.locator('[data-test=callback-attempts]').textContent()).to.include('0 of 3');
    expect(await pane.locator('[data-test=callback-state]').textContent()).to.include(asked.body.reference);
    expect(await pane.locator('[data-test=callback-message]').textContent()).to.equal('About order A-1042 — after 3 pm please');
    expect(await pane.locator('[data-test=callback-call]').textContent()).to.equal('Call');
    await pane.locator('[data-test=callback-reschedule]').click();
    await pane.locator('[data-test=callback-at]').waitFor();
    await page.screenshot({ path: screenshotPath('callback') });
    await expectAccessible(page, 'callback pane');

    await pane.locator('[data-test=callback-close]').click();
    await pane.locator('[data-test=callback-dispose-resolved]').click();
    // Closed for good: the visitor's status says so (no more attempts will be made).
    let visitorState = '';
    for (let i = 0; i < 120 && visitorState !== 'closed'; i++) {
      visitorState = (await api(server.url, 'GET', `/api/widget/example/callbacks/${asked.body.callbackId}`, undefined, undefined, { origin: SHOP })).body.state;
      if (visitorState !== 'closed') await new Promise((r) => setTimeout(r, 500));
    }
    expect(visitorState).to.equal('closed');
  });
});
