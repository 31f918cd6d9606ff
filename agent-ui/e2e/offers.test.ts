// Offers as the agent meets them: the popover with its chime, Accept into the list, Close &
// dispose from a searchable list, wrap-up, and RONA when an offer is ignored. Interactions are
// created through the routing API, as the channels do.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, screenshotPath, startServer, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';

// wfuzz's XSS list (Debian package wfuzz, wordlist/Injections/XSS.txt), copied verbatim.
const XSS = readFileSync(new URL('./fixtures/xss-wfuzz.txt', import.meta.url), 'utf8').split('\n').filter((l) => l !== '');

const AGENT = { username: 'olga', password: 'correct-horse-battery', name: 'Olga Rossi' };

describe('offers and interactions (Chromium against a real server)', function () {
  this.timeout(60_000);
  let server: E2eServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: string;
  const errors: string[] = [];

  const state = () => page.locator('[data-test=state-current]');
  const route = async (subject: string) => {
    const r = await api(server.url, 'POST', '/api/routing/interactions', { channel: 'chat', queueId: 'support-chat', subject, routingVariables: { order: 'A-1042' } }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return r.body.interaction.id as string;
  };
  const setAvailable = async () => {
    await state().click();
    await page.locator('[data-test=set-available]').click();
    await state().and(page.locator('[data-state=available]')).waitFor();
  };

  before(async () => {
    server = await startServer({
      ...alwaysOpen(),
      'queues.yaml:queues.0.offerTimeoutSeconds': 6,
      'queues.yaml:queues.0.wrapUpSeconds': 60,
      'queues.yaml:queues.0.autoNotReadyAfterMissed': undefined,
    });
    admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...AGENT, role: 'agent', skills: [{ skill: 'english', level: 8 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 760 } });
    // Counts the chimes: the notification is synthesised, so the oscillators are what to watch.
    await context.addInitScript(() => {
      const w = window as unknown as { __chimes: number };
      w.__chimes = 0;
      const create = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function (this: AudioContext) {
        w.__chimes++;
        return create.call(this);
      };
    });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    await logInOnScreen(page, server.url, AGENT);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('shows an offer with queue, subject and countdown, chimes, and Accept puts it in the list', async () => {
    await setAvailable();
    const id = await route('My order has not arrived');
    const card = page.locator('[data-test=offer]');
    await card.waitFor();
    expect(await card.locator('[data-test=offer-customer]').textContent()).to.equal('Visitor');
    expect(await card.textContent()).to.include('Support (chat)');
    expect(await card.locator('[data-test=offer-subject]').textContent()).to.equal('My order has not arrived');
    expect(await card.locator('[data-test=offer-left]').textContent()).to.match(/^[0-6] s to answer$/);
    expect(await page.evaluate(() => (window as unknown as { __chimes: number }).__chimes)).to.be.greaterThan(0);
    expect(await page.title()).to.equal('(1) New offers · Switchboard');
    await page.screenshot({ path: screenshotPath('offer') });
    await expectAccessible(page, 'offer');

    await card.locator('[data-test=offer-accept]').click();
    await card.waitFor({ state: 'detached' });
    const item = page.locator(`[data-interaction="${id}"]`);
    await item.waitFor();
    expect(await item.textContent()).to.include('My order has not arrived');
    const detail = page.locator('[data-test=interaction-detail]');
    expect(await detail.textContent()).to.include('A-1042');
    await page.screenshot({ path: screenshotPath('interaction') });
    await expectAccessible(page, 'interactions list');
  });

  it('closes with a wrap-up reason picked from a searchable list, then shows wrap-up', async () => {
    await page.locator('[data-test=close-dispose]').click();
    await page.locator('[data-test=disposition-search]').fill('follow');
    // The list is drawn again after the input event: wait for the others to go, not read it at once.
    const reasons = page.locator('[data-test^=dispose-]');
    await reasons.nth(1).waitFor({ state: 'detached' });
    expect(await reasons.evaluateAll((els) => els.map((e) => e.getAttribute('data-test')))).to.deep.equal(['dispose-follow-up']);
    await page.screenshot({ path: screenshotPath('dispose') });
    await expectAccessible(page, 'close & dispose');
    await page.locator('[data-test=dispose-follow-up]').click();
    await page.locator('[data-test=interaction]').waitFor({ state: 'detached' });
    await state().and(page.locator('[data-state=wrap-up]')).waitFor();
    expect(await page.locator('[data-test=state-banner]').textContent()).to.include('Finish your notes');
    // The queue's wrapUpSeconds is 60: the selector counts down from there.
    await page.locator('[data-test=wrap-up-left]').waitFor();
    expect(await page.locator('[data-test=wrap-up-left]').textContent()).to.match(/^0:5\d left$|^1:00 left$/);
    await page.screenshot({ path: screenshotPath('wrap-up') });
    await expectAccessible(page, 'wrap-up');
    await page.locator('[data-test=back-to-available]').click();
    await state().and(page.locator('[data-state=available]')).waitFor();
  });

  it('puts an agent who ignores an offer in RONA, says so, and leads back to Available', async () => {
    const ignored = await route('Nobody answers me');
    const card = page.locator('[data-test=offer]');
    await card.waitFor();
    await card.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await page.locator('[data-test=offer-note]').textContent()).to.include('Visitor: not answered in time.');
    await state().and(page.locator('[data-state=rona]')).waitFor();
    expect(await page.locator('[data-test=state-banner]').textContent()).to.include('An offer was not answered in time');
    await page.screenshot({ path: screenshotPath('rona') });
    await expectAccessible(page, 'RONA');
    // Withdrawn before going Available, so the next tests get only the offers they create.
    expect((await api(server.url, 'POST', `/api/routing/interactions/${ignored}/cancel`, {}, admin)).status).to.equal(200);
    await page.locator('[data-test=back-to-available]').click();
    await state().and(page.locator('[data-state=available]')).waitFor();
  });

  it('shows the offer in every tab of the agent; accepted in one, it leaves the other for the list', async () => {
    const other = await context.newPage();
    other.on('pageerror', (e) => errors.push(e.message));
    await other.goto(server.url + '/');
    await other.locator('[data-test=connection][data-state=online]').waitFor();
    const id = await route('Two tabs, one answer');
    await page.locator('[data-test=offer]').waitFor();
    await other.locator('[data-test=offer]').waitFor();
    await page.locator('[data-test=offer-accept]').click();
    await other.locator('[data-test=offer]').waitFor({ state: 'detached' });
    await other.locator(`[data-interaction="${id}"]`).waitFor();
    expect(await other.locator('[data-test=offer-note]').count()).to.equal(0);
    await other.locator('[data-test=close]').click();
    await page.locator(`[data-interaction="${id}"]`).waitFor({ state: 'detached' });
    await other.close();
    await page.locator('[data-test=back-to-available]').click();
    await state().and(page.locator('[data-state=available]')).waitFor();
  });

  it('rejects an offer with the keyboard (Alt+R): it leaves this agent', async () => {
    const card = page.locator('[data-test=offer]');
    await route('Second thoughts');
    await card.first().waitFor();
    await page.keyboard.press('Alt+KeyR');
    await card.first().waitFor({ state: 'detached' });
    const mine = await page.evaluate(() => fetch('/api/interactions/mine').then((r) => r.json()));
    expect(mine.interactions ?? []).to.have.length(0);
  });

  it('shows what customers typed (an XSS payload list) as text, never as markup or script', async () => {
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const variables = Object.fromEntries(XSS.map((p, i) => [`field_${i}`, p]));
    const r = await api(server.url, 'POST', '/api/routing/interactions', { channel: 'chat', queueId: 'support-chat', subject: XSS[0], routingVariables: variables }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const card = page.locator('[data-test=offer]');
    await card.waitFor();
    expect(await card.locator('[data-test=offer-subject]').textContent()).to.equal(XSS[0]);
    const markup = page.locator(':is(main, sb-offer-popover) :is(img, script, iframe, svg, object, embed, style, link)');
    expect(await markup.count()).to.equal(0);
    await card.locator('[data-test=offer-accept]').click();
    const detail = page.locator('[data-test=interaction-detail]');
    await detail.waitFor();
    const shown = await detail.locator('dd').allTextContents();
    for (const p of XSS) expect(shown, p).to.include(p);
    // Nothing the payloads describe became an element, and none of their handlers ran.
    expect(await markup.count()).to.equal(0);
    expect(dialogs).to.deep.equal([]);
    await page.locator('[data-test=close]').click();
    await detail.waitFor({ state: 'detached' });
  });
});
