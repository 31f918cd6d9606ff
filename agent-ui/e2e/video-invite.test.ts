// A video call started from a chat: the agent clicks Video call, the visitor (the widget API, then
// a sip.js phone in Node as the widget's call) joins the invitation, and the call rings the
// agent's JsSIP softphone with the invitation's id. The desktop answers it by itself, because the
// agent asked for it, and shows it inside the chat's tab rather than as a separate call. Then the
// same with the real widget in a second browser: the visitor joins from the website, both sides
// show the call connected, and audio flows both ways through rtpengine.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, screenshotPath, serveShop, startServer, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';
import { eventually, received, remoteAudioPeak, watchPeerConnections } from './media.ts';

const { startChat, widget, ORIGIN } = await import(path.join(REPO, 'server/dist/test/chat.js'));
const { freePort, rtpengineRelay } = await import(path.join(REPO, 'sip/dist/test/support/services.js'));
const { softphone, waitForState } = await import(path.join(REPO, 'sip/dist/test/support/softphone.js'));
const { SessionState } = await import('sip.js');

const AGENT = { username: 'viola', password: 'correct-horse-battery', name: 'Viola Russo', extension: '241' };
type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('video call from a chat (JsSIP in Chromium, the SIP engine, rtpengine; the visitor as sip.js, then the real widget)', function () {
  this.timeout(90_000);
  let server: E2eServer;
  let browser: Browser;
  let page: Page;
  const phones: { stop(): Promise<void> }[] = [];
  const errors: string[] = [];

  let site: { close(): Promise<void> } | undefined;
  let siteOrigin: string;

  before(async () => {
    await rtpengineRelay();
    const sipPort = await freePort();
    const sitePort = await freePort();
    siteOrigin = `http://127.0.0.1:${sitePort}`;
    server = await startServer({
      ...alwaysOpen(),
      // The real website's page, and the origin the widget-API visitor of the first test speaks from.
      'websites/example.yaml:origins': [siteOrigin, ORIGIN],
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:sip.udpPort': sipPort,
      'switchboard.yaml:sip.tcpPort': sipPort,
      'switchboard.yaml:sip.wsPort': await freePort(),
      // The trunk answers nowhere: an invitation's call must never need the PBX.
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
    });
    site = await serveShop(sitePort, server.url);
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...AGENT, role: 'agent', skills: [{ skill: 'english', level: 8 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 }, permissions: ['microphone', 'camera'] });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    await logInOnScreen(page, server.url, AGENT);
    await page.locator('[data-test=phone-registration].registered').waitFor({ timeout: 20_000 });
    await page.locator('[data-test=state-current]').click();
    await page.locator('[data-test=set-available]').click();
    await page.locator('[data-test=state-current][data-state=available]').waitFor();
  });
  after(async () => {
    for (const p of phones) await p.stop().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await site?.close();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('invites the visitor, answers their call by itself and shows it in the chat’s tab; the chat stays open after it', async () => {
    const visitor: { interactionId: string; token: string; socket: { next(p: (m: Msg) => boolean, t?: number): Promise<Msg> } } = await startChat(server.url);
    await page.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click();
    await page.locator('[data-test=chat-log]').waitFor();

    await page.locator('[data-test=video-call]').click();
    const shown = await visitor.socket.next((m) => m.type === 'call.invite' && m.invite.state === 'pending');
    expect(shown.invite.video).to.equal(true);
    await page.locator('[data-test=call-invite][data-state=pending]').waitFor();

    const r = await widget(server.url, 'POST', '/calls', { interactionId: visitor.interactionId, inviteId: shown.invite.inviteId, video: true }, visitor.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const caller = await softphone({ wsPort: Number(new URL(r.body.sip.wsUrl).port), username: r.body.sip.username, password: r.body.sip.password, user: 'visitor', video: true });
    phones.push(caller);
    const session = await caller.call(r.body.sip.target);
    // Nobody clicks Answer: the desktop knows this call is the one it asked for.
    await waitForState(session, SessionState.Established, 20_000);

    const call = page.locator('[data-test=chat-call][data-state=connected]');
    await call.waitFor();
    await call.locator('[data-test=remote-video]').waitFor();
    // Inside the chat's tab: the chat is still what is on screen, with its composer.
    await page.locator('[data-test=chat-input]').waitFor();
    expect(await page.locator('[data-test=interaction-detail] [data-test=chat-call]').count()).to.equal(1);
    await page.screenshot({ path: screenshotPath('video-call') });
    await expectAccessible(page, 'video call in a chat');

    await session.bye();
    await call.waitFor({ state: 'detached' });
    await page.locator('[data-test=video-call]').waitFor();
    await page.locator('[data-test=chat-input]').waitFor();
  });

  it('rings the softphone from the real widget: both sides connected, audio both ways', async () => {
    const context = await browser.newContext({ locale: 'en-GB', permissions: ['microphone', 'camera'] });
    const visitorPage = await context.newPage();
    visitorPage.on('pageerror', (e) => errors.push(`visitor: ${e.message}`));
    // Every peer connection the widget makes, to read what it received.
    await visitorPage.addInitScript(watchPeerConnections);
    await visitorPage.goto(siteOrigin + '/');
    await visitorPage.locator('[data-switchboard-widget] button').click();
    const widget = visitorPage.frameLocator('[data-switchboard-widget] iframe');
    await widget.getByRole('button', { name: 'Chat' }).click();
    await widget.getByLabel('Name').fill('Grace Visitor');
    await widget.getByLabel('Email').fill('grace@example.com');
    await widget.getByLabel('I accept the privacy policy').check();
    await widget.getByLabel('Where is my order?').check();
    await widget.getByRole('button', { name: 'Start chat' }).click();
    await page.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click();
    await widget.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();

    await page.locator('[data-test=video-call]').click();
    await widget.getByRole('button', { name: 'Join' }).click();
    // No click on the desktop: the call is the one the agent offered.
    const call = page.locator('[data-test=chat-call][data-state=connected]');
    await call.waitFor({ timeout: 20_000 });
    await widget.locator('.sb-call-state', { hasText: 'Connected' }).waitFor({ timeout: 20_000 });

    // Visitor → agent: the fake microphone's beep is in the desktop's remote audio.
    const peak = await remoteAudioPeak(page, 5);
    expect(peak, 'remote audio level on the desktop').to.be.greaterThan(5);
    // Agent → visitor: the widget's connection keeps receiving audio — its count grows past what it
    // had already, rather than holding a first packet or two.
    const frame = visitorPage.frames().find((f) => f.url().includes('/widget/frame/'))!;
    const before = await received(frame, 'audio');
    await eventually(() => received(frame, 'audio'), (r) => r.bytes > before.bytes, 'audio bytes received by the widget growing');

    await call.locator('[data-test=hang-up]').click();
    // The visitor is back in the conversation, told the call ended.
    await widget.locator('.sb-invite-notice', { hasText: 'The call has ended.' }).waitFor();
    await call.waitFor({ state: 'detached' });
    await context.close();
  });
});
