// The stage the dialled-callback e2e files share: a server with its SIP engine and the callback
// queue's trunk on a sipp "customer", one agent logged in on screen with the JsSIP softphone
// registered, and the steps every dialled callback ends with (a call like any other, then nothing
// left).
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, startServer, UI, type E2eServer } from './harness.ts';

const support = (f: string) => path.join(REPO, 'sip/dist/test/support', f);
const { freePort, sipp, waitForUdpListener, rtpengineRelay, SCENARIOS } = await import(support('services.js'));
export type Sipp = { done: Promise<{ code: number | null; stderr: string; stdout: string }>; kill(): void };
const ours = (name: string) => path.relative(SCENARIOS, path.join(UI, 'e2e/sipp', name));

const AGENT = { username: 'giulia', password: 'correct-horse-battery', name: 'Giulia Conti', extension: '201' };
export const SHOP = 'http://shop.example.test';

export interface CallbackDesk {
  server: E2eServer;
  page: Page;
  admin: string;
  trunkPort: number;
  /** The customers' phones started on the stage, killed at its end if still running. */
  readonly customers: Sipp[];
}

/** Polls until `ok` (the server acts on its own time: wait for the condition, not a delay). */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let n = 0; n < 200; n++) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: still ${JSON.stringify(last)}`);
}

/**
 * Sets the stage up in the calling describe's hooks (`set` = the callback queue's own settings)
 * and tears it down after; the returned object is filled in once `before` has run. Any error the
 * page throws fails the test it happened in.
 */
export function useCallbackDesk(set: Record<string, unknown>): CallbackDesk {
  const desk = { customers: [] as Sipp[] } as CallbackDesk;
  let browser: Browser | undefined;
  const errors: string[] = [];
  before(async () => {
    await rtpengineRelay();
    const sipPort = await freePort();
    desk.trunkPort = await freePort();
    desk.server = await startServer({
      ...alwaysOpen(),
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:sip.udpPort': sipPort,
      'switchboard.yaml:sip.tcpPort': sipPort,
      'switchboard.yaml:sip.wsPort': await freePort(),
      'trunks.yaml:trunks.0.port': desk.trunkPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'websites/example.yaml:origins': [SHOP],
      'queues.yaml:queues.3.offerTimeoutSeconds': 60,
      'queues.yaml:queues.3.wrapUpSeconds': 0,
      ...set,
    });
    desk.admin = await login(desk.server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(desk.server.url, 'POST', '/api/agents', { ...AGENT, role: 'agent', skills: [{ skill: 'english', level: 8 }], capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, desk.admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 760 }, permissions: ['microphone'] });
    desk.page = await context.newPage();
    desk.page.on('pageerror', (e) => errors.push(e.message));
    await logInOnScreen(desk.page, desk.server.url, AGENT);
    await desk.page.locator('[data-test=phone-registration]').and(desk.page.locator('.registered')).waitFor({ timeout: 20_000 });
  });
  after(async () => {
    for (const p of desk.customers) p.kill();
    await browser?.close();
    await desk.server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));
  return desk;
}

/** The customer's phone behind the trunk: answers, checks hold, resume and a tone, and takes the BYE. */
export function customerPhone(desk: CallbackDesk): Promise<Sipp> {
  return trunkPhone(desk, 'uas-customer-answer-hold-resume-info-bye.xml');
}

/** What answers behind the trunk, playing one of our sipp scenarios (e2e/sipp/). */
export async function trunkPhone(desk: CallbackDesk, scenario: string): Promise<Sipp> {
  const customer: Sipp = sipp({ scenario: ours(scenario), port: desk.trunkPort, timeoutS: 120 });
  desk.customers.push(customer);
  await waitForUdpListener(desk.trunkPort, customer);
  return customer;
}

/** The agent goes Available and a visitor asks the shop's widget for a callback as soon as possible. */
export async function availableAndAsked(desk: CallbackDesk): Promise<string> {
  const { page } = desk;
  const state = page.locator('[data-test=state-current]');
  await state.click();
  await page.locator('[data-test=set-available]').click();
  await state.and(page.locator('[data-state=available]')).waitFor();
  const asked = await api(desk.server.url, 'POST', '/api/widget/example/callbacks', { fields: { phone: '+39 06 1234 5678', message: 'About my order' }, slot: 'asap' }, undefined, { origin: SHOP });
  expect(asked.status, JSON.stringify(asked.body)).to.equal(201);
  return asked.body.callbackId as string;
}

/** The callback's state as the widget reads it by its id. */
export async function callbackState(desk: CallbackDesk, callbackId: string): Promise<{ state: string; attempts: number }> {
  return (await api(desk.server.url, 'GET', `/api/widget/example/callbacks/${callbackId}`, undefined, undefined, { origin: SHOP })).body;
}

const callPanel = (page: Page) => page.locator('[data-test=call-panel]');

/** The agent's own phone rings as a call in the same list as the callback; the agent answers it. */
export async function answerTheRingingCall(page: Page): Promise<void> {
  const row = page.locator('[data-test=call]');
  await row.waitFor({ timeout: 30_000 });
  expect(await page.locator('[data-test=interaction]').count(), 'the callback beside its call').to.equal(1);
  await row.click();
  await callPanel(page).and(page.locator('[data-call-state=ringing]')).waitFor();
  await page.locator('[data-test=answer]').click();
  await callPanel(page).and(page.locator('[data-call-state=connected]')).waitFor({ timeout: 20_000 });
}

/**
 * Hold and resume, mute and unmute, a keypad 5, then the agent hangs up: the customer's phone
 * checked every step (sendonly, sendrecv, Signal=5) and got the BYE; then nothing is left — no
 * dialog or call session in the SIP engine, the callback completed at its first attempt, the
 * screen clear.
 */
export async function workTheCallAndHangUp(desk: CallbackDesk, customer: Sipp, callbackId: string): Promise<void> {
  const { page } = desk;
  await page.locator('[data-test=hold]').click();
  await page.locator('[data-test=hold][aria-pressed=true]').waitFor();
  await page.locator('[data-test=hold]').click();
  // The customer's phone takes the resume before the keypad tone: the button is busy until it has answered.
  await page.locator('[data-test=hold][aria-pressed=false]:not([aria-busy])').waitFor();
  await page.locator('[data-test=mute]').click();
  await page.locator('[data-test=mute][aria-pressed=true]').waitFor();
  await page.locator('[data-test=mute]').click();
  await page.locator('[data-test=mute][aria-pressed=false]').waitFor();
  await page.locator('[data-test=keypad-toggle]').click();
  await page.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: '5', exact: true }).click();
  await page.locator('[data-test=dtmf-sent]', { hasText: /^5$/ }).waitFor();

  await page.locator('[data-test=hang-up]').click();
  await callPanel(page).and(page.locator('[data-call-state=ended]')).waitFor({ timeout: 20_000 });
  const r = await customer.done;
  expect(r.code, r.stderr.slice(-1500) + r.stdout.slice(-1500)).to.equal(0);

  await until(async () => (await api(desk.server.url, 'GET', '/api/admin/sip', undefined, desk.admin)).body, (b) => b.dialogs === 0 && b.calls === 0, 'SIP engine');
  const done = await until(() => callbackState(desk, callbackId), (b) => b.state === 'completed', 'callback');
  expect(done.attempts).to.equal(1);
  expect(await page.locator('audio.sb-remote-audio').count()).to.equal(0);
  await page.locator('[data-test=dismiss]').click();
  await page.locator('[data-test=call]').waitFor({ state: 'detached' });
  await page.locator('[data-test=interaction]').waitFor({ state: 'detached', timeout: 20_000 });
}
