// A customer-first callback on the desktop: the customer's phone (sipp behind the trunk) is
// called when the callback is due and answers; only then is the live call offered to the agent,
// whose softphone (JsSIP in Chromium, registered through Switchboard's SIP engine) rings once they
// accept. The call is a call like any other in the desktop's list: hold and resume, mute and a
// keypad tone reach the customer; the agent hangs up, the customer gets the BYE, and nothing is
// left — no dialog, no call session, no call on the screen.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, startServer, UI, type E2eServer } from './harness.ts';

const support = (f: string) => path.join(REPO, 'sip/dist/test/support', f);
const { freePort, sipp, waitForUdpListener, rtpengineRelay, SCENARIOS } = await import(support('services.js'));
type Sipp = { done: Promise<{ code: number | null; stderr: string; stdout: string }>; kill(): void };
const ours = (name: string) => path.relative(SCENARIOS, path.join(UI, 'e2e/sipp', name));

const AGENT = { username: 'giulia', password: 'correct-horse-battery', name: 'Giulia Conti', extension: '201' };
const SHOP = 'http://shop.example.test';

describe('a customer-first callback on the desktop (the customer answers first; JsSIP in Chromium)', function () {
  this.timeout(150_000);
  let server: E2eServer;
  let browser: Browser;
  let page: Page;
  let admin: string;
  let trunkPort: number;
  const procs: Sipp[] = [];
  const errors: string[] = [];

  before(async () => {
    await rtpengineRelay();
    const sipPort = await freePort();
    trunkPort = await freePort();
    server = await startServer({
      ...alwaysOpen(),
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:sip.udpPort': sipPort,
      'switchboard.yaml:sip.tcpPort': sipPort,
      'switchboard.yaml:sip.wsPort': await freePort(),
      'trunks.yaml:trunks.0.port': trunkPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'websites/example.yaml:origins': [SHOP],
      'queues.yaml:queues.3.callback.order': 'customer-first',
      'queues.yaml:queues.3.callback.announcement': 'prompts/callback-connecting.en.wav',
      'queues.yaml:queues.3.offerTimeoutSeconds': 60,
      'queues.yaml:queues.3.wrapUpSeconds': 0,
    });
    admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...AGENT, role: 'agent', skills: [{ skill: 'english', level: 8 }], capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 760 }, permissions: ['microphone'] });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await logInOnScreen(page, server.url, AGENT);
    await page.locator('[data-test=phone-registration]').and(page.locator('.registered')).waitFor({ timeout: 20_000 });
  });
  after(async () => {
    for (const p of procs) p.kill();
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  const callPanel = () => page.locator('[data-test=call-panel]');
  /** Polls until `ok` (the server acts on its own time: wait for the condition, not a delay). */
  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
    let last: T | undefined;
    for (let n = 0; n < 200; n++) {
      last = await read();
      if (ok(last)) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${what}: still ${JSON.stringify(last)}`);
  }

  it('calls the customer, offers the answered call, rings the agent on accept; hold, resume, mute, a tone, hang-up leaving nothing', async () => {
    const customer: Sipp = sipp({ scenario: ours('uas-customer-answer-hold-resume-info-bye.xml'), port: trunkPort, timeoutS: 120 });
    procs.push(customer);
    await waitForUdpListener(trunkPort, customer);

    const state = page.locator('[data-test=state-current]');
    await state.click();
    await page.locator('[data-test=set-available]').click();
    await state.and(page.locator('[data-state=available]')).waitFor();
    const asked = await api(server.url, 'POST', '/api/widget/example/callbacks', { fields: { phone: '+39 06 1234 5678', message: 'About my order' }, slot: 'asap' }, undefined, { origin: SHOP });
    expect(asked.status, JSON.stringify(asked.body)).to.equal(201);

    // The offer comes once the customer answered, and says they are on the line.
    const card = page.locator('[data-test=offer]');
    await card.waitFor({ timeout: 60_000 });
    await card.getByText('on the line, waiting').waitFor();
    expect((await api(server.url, 'GET', `/api/widget/example/callbacks/${asked.body.callbackId}`, undefined, undefined, { origin: SHOP })).body.state).to.equal('dialling');
    expect(await page.locator('[data-test=call]').count(), 'the agent is not rung before accepting').to.equal(0);
    await card.locator('[data-test=offer-accept]').click();
    await card.waitFor({ state: 'detached' });

    // The agent's own phone rings, as a call in the same list as the callback.
    const row = page.locator('[data-test=call]');
    await row.waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-test=interaction]').count(), 'the callback beside its call').to.equal(1);
    await row.click();
    await callPanel().and(page.locator('[data-call-state=ringing]')).waitFor();
    await page.locator('[data-test=answer]').click();
    await callPanel().and(page.locator('[data-call-state=connected]')).waitFor({ timeout: 20_000 });
    await until(async () => (await api(server.url, 'GET', `/api/widget/example/callbacks/${asked.body.callbackId}`, undefined, undefined, { origin: SHOP })).body.state, (s) => s === 'completed', 'callback state');

    await page.locator('[data-test=hold]').click();
    await page.locator('[data-test=hold][aria-pressed=true]').waitFor();
    await page.locator('[data-test=hold]').click();
    await page.locator('[data-test=hold][aria-pressed=false]').waitFor();
    await page.locator('[data-test=mute]').click();
    await page.locator('[data-test=mute][aria-pressed=true]').waitFor();
    await page.locator('[data-test=mute]').click();
    await page.locator('[data-test=mute][aria-pressed=false]').waitFor();
    await page.locator('[data-test=keypad-toggle]').click();
    await page.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: '5', exact: true }).click();
    await page.locator('[data-test=dtmf-sent]', { hasText: /^5$/ }).waitFor();

    await page.locator('[data-test=hang-up]').click();
    await callPanel().and(page.locator('[data-call-state=ended]')).waitFor({ timeout: 20_000 });
    // The customer's phone checked every step (sendonly, sendrecv, Signal=5) and got the BYE.
    const r = await customer.done;
    expect(r.code, r.stderr.slice(-1500) + r.stdout.slice(-1500)).to.equal(0);

    // Nothing left: no dialog or call session in the SIP engine, the callback done, the screen clear.
    await until(async () => (await api(server.url, 'GET', '/api/admin/sip', undefined, admin)).body, (b) => b.dialogs === 0 && b.calls === 0, 'SIP engine');
    const done = await until(async () => (await api(server.url, 'GET', `/api/widget/example/callbacks/${asked.body.callbackId}`, undefined, undefined, { origin: SHOP })).body, (b) => b.state === 'completed', 'callback');
    expect(done.attempts).to.equal(1);
    expect(await page.locator('audio.sb-remote-audio').count()).to.equal(0);
    await page.locator('[data-test=dismiss]').click();
    await page.locator('[data-test=call]').waitFor({ state: 'detached' });
    await page.locator('[data-test=interaction]').waitFor({ state: 'detached', timeout: 20_000 });
  });
});
