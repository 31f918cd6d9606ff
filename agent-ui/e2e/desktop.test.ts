// The desktop against a real server in Debian's Chromium: what an agent does first every day
// (log in, go Available), what must hold across tabs (one state, one logout), and that the page
// runs under the server's strict CSP without a single violation.
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, dropTestDatabase, launchChromium, login, screenshotPath, startServer, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';

const ADA = { username: 'ada', password: 'correct-horse-battery', name: 'Ada Lovelace' };

describe('agent desktop (Chromium against a real server)', function () {
  this.timeout(60_000);
  let server: E2eServer;
  let browser: Browser;
  let context: BrowserContext;
  const violations: string[] = [];

  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
  };
  const newPage = async () => {
    const page = await context.newPage();
    watch(page);
    return page;
  };
  const state = (page: Page) => page.locator('[data-test=state-current]');
  const connection = (page: Page) => page.locator('[data-test=connection]');

  before(async () => {
    server = await startServer();
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { username: ADA.username, name: ADA.name, role: 'agent', password: ADA.password }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
  });
  beforeEach(async () => {
    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 760 } });
  });
  afterEach(async () => {
    await context.close();
    expect(violations, violations.join('\n')).to.deep.equal([]);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });

  async function logIn(page: Page, password = ADA.password) {
    await page.goto(server.url + '/');
    await page.waitForURL(/\/login/);
    await page.getByLabel('Username').fill(ADA.username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  it('shows a clear error for a wrong password, then logs in and connects', async () => {
    const page = await newPage();
    await logIn(page, 'not-the-password');
    await expect(await page.getByRole('alert').textContent()).to.equal('Wrong username or password.');
    await page.screenshot({ path: screenshotPath('login-error') });
    await expectAccessible(page, 'login');
    await page.getByLabel('Password').fill(ADA.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(server.url + '/');
    await connection(page).and(page.locator('[data-state=online]')).waitFor();
    expect(await state(page).getAttribute('data-state')).to.equal('logged-out');
    expect(await page.locator('[data-test=state-banner]').textContent()).to.include('Set Available to start working');
    // Logged in, the login screen leads back to the desktop.
    await page.goto(server.url + '/login');
    await page.waitForURL(server.url + '/');
    await state(page).waitFor();
  });

  it('the accessibility check fails on a critical violation (so that passing means something)', async () => {
    const page = await newPage();
    await page.goto(server.url + '/login');
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await expectAccessible(page, 'login');
    await page.evaluate(() => {
      const list = document.createElement('div');
      list.setAttribute('role', 'tablist');
      list.append(document.createElement('button'));
      document.body.append(list);
    });
    const failure = await expectAccessible(page, 'login').then(() => null, (e: Error) => e.message);
    expect(failure).to.include('critical aria-required-children');
  });

  it('goes Available and Not ready with a reason; a second tab follows in real time', async () => {
    const one = await newPage();
    await logIn(one);
    await connection(one).and(one.locator('[data-state=online]')).waitFor();
    const two = await newPage();
    await two.goto(server.url + '/');
    await connection(two).and(two.locator('[data-state=online]')).waitFor();

    await state(one).click();
    await one.locator('[data-test=set-available]').click();
    await state(one).and(one.locator('[data-state=available]')).waitFor();
    await state(two).and(two.locator('[data-state=available]')).waitFor();
    expect(await state(two).textContent()).to.include('Available');
    await one.screenshot({ path: screenshotPath('available') });
    await expectAccessible(one, 'shell');

    await state(one).click();
    await one.locator('[data-test=state-menu]').waitFor();
    await one.screenshot({ path: screenshotPath('state-menu') });
    await expectAccessible(one, 'state menu');
    await one.locator('[data-test=set-not-ready-lunch]').click();
    await state(two).and(two.locator('[data-state=not-ready]')).waitFor();
    expect(await state(two).textContent()).to.include('Lunch');

    // The server is the source of truth: it says the same.
    const me = await one.evaluate(() => fetch('/api/auth/me').then((r) => r.json()));
    expect(me.status.state).to.equal('not-ready');
    expect(me.status.reason).to.equal('lunch');
  });

  it('sets Available with the Alt+A shortcut', async () => {
    const page = await newPage();
    await logIn(page);
    await connection(page).and(page.locator('[data-state=online]')).waitFor();
    await page.keyboard.press('Alt+KeyA');
    await state(page).and(page.locator('[data-state=available]')).waitFor();
  });

  it('logging out in one tab ends the other tab’s socket and shows it the login screen', async () => {
    const one = await newPage();
    await logIn(one);
    await connection(one).and(one.locator('[data-state=online]')).waitFor();
    const two = await newPage();
    await two.goto(server.url + '/');
    await connection(two).and(two.locator('[data-state=online]')).waitFor();

    await one.locator('[data-test=user-menu]').click();
    await expectAccessible(one, 'account menu');
    await one.locator('[data-test=logout]').click();
    await one.waitForURL(/\/login\?ended=logged-out/);
    expect(await one.locator('[data-test=login-notice]').textContent()).to.equal('You are logged out.');

    await two.waitForURL(/\/login\?ended=revoked/);
    expect(await two.locator('[data-test=login-notice]').textContent()).to.include('You were logged out');
    // And the cookie no longer opens the desktop.
    await two.goto(server.url + '/');
    await two.waitForURL(/\/login/);
  });

  it('reconnects after a server restart and says so meanwhile', async () => {
    const page = await newPage();
    await logIn(page);
    await connection(page).and(page.locator('[data-state=online]')).waitFor();
    await server.stop();
    await connection(page).and(page.locator('[data-state=reconnecting]')).waitFor();
    expect(await connection(page).textContent()).to.include('Connection lost');
    await page.screenshot({ path: screenshotPath('reconnecting') });
    await server.start();
    await connection(page).and(page.locator('[data-state=online]')).waitFor({ timeout: 45_000 });
    expect(page.url()).to.equal(server.url + '/');
  });

  it('changes the password: every session ends, the new password works', async () => {
    const page = await newPage();
    await logIn(page);
    await page.locator('[data-test=user-menu]').click();
    await page.locator('[data-test=open-password]').click();
    await page.getByLabel('Current password').fill('wrong-current-password');
    await page.getByLabel('New password', { exact: true }).fill('an-even-better-password');
    await page.getByLabel('Repeat the new password').fill('an-even-better-password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('[data-test=password-error]').waitFor();
    await page.screenshot({ path: screenshotPath('password-error') });
    await expectAccessible(page, 'password');

    await page.getByLabel('Current password').fill(ADA.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(/\/login\?ended=password-changed/);
    await logIn(page, 'an-even-better-password');
    await connection(page).and(page.locator('[data-state=online]')).waitFor();
    ADA.password = 'an-even-better-password';
  });

  it('speaks Italian to an Italian browser, and French when the agent picks it', async () => {
    await context.close();
    context = await browser.newContext({ locale: 'it-IT', viewport: { width: 1280, height: 760 } });
    const page = await newPage();
    await page.goto(server.url + '/login');
    await page.getByRole('button', { name: 'Accedi' }).waitFor();
    await page.locator('[data-test=language]').selectOption('fr');
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).to.equal('fr');
    await page.locator('[data-test=language]').selectOption('it');
    await page.getByLabel('Nome utente').fill(ADA.username);
    await page.getByLabel('Password').fill(ADA.password);
    await page.getByRole('button', { name: 'Accedi' }).click();
    await connection(page).and(page.locator('[data-state=online]')).waitFor();
    expect(await connection(page).textContent()).to.include('Connesso');
    await page.screenshot({ path: screenshotPath('italian') });
    await expectAccessible(page, 'Italian shell');
  });
});
