// The supervisor's view: queues and agents live (a chat that queues while the only agent is Not
// ready shows up as waiting; the agent's state change arrives by push), and silent monitoring of
// a chat: the visitor's lines stream in, and the supervisor's note reaches the agent only.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, screenshotPath, startServer, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';

const { startChat, command, cid } = await import(path.join(REPO, 'server/dist/test/chat.js'));

const CHIARA = { username: 'chiara', password: 'correct-horse-battery', name: 'Chiara Bianchi', role: 'agent' };
const SARA = { username: 'sara', password: 'correct-horse-battery', name: 'Sara Conti', role: 'supervisor' };
type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Visitor = { interactionId: string; socket: { messages: Msg[]; next(pred: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg> } };

describe('supervisor view (a supervisor and an agent in Chromium, a real server)', function () {
  this.timeout(90_000);
  let server: E2eServer;
  let browser: Browser;
  let chiara: Page;
  let sara: Page;
  let visitor: Visitor;
  let queueId: string;
  const errors: string[] = [];

  const open = async (who: typeof SARA) => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`${who.username}: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    await logInOnScreen(page, server.url, who);
    return page;
  };

  before(async () => {
    server = await startServer(alwaysOpen());
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    for (const a of [CHIARA, SARA]) {
      const r = await api(server.url, 'POST', '/api/agents', { ...a, skills: [{ skill: 'english', level: 8 }] }, admin);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    }
    browser = await launchChromium();
    chiara = await open(CHIARA);
    await chiara.locator('[data-test=state-current]').click();
    await chiara.locator('[data-test=set-available]').click();
    await chiara.locator('[data-test=state-current][data-state=available]').waitFor();
    visitor = await startChat(server.url);
    await chiara.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click();
    await chiara.locator('[data-test=chat-log]').waitFor();
    const r = await api(server.url, 'GET', `/api/interactions/${visitor.interactionId}`, undefined, admin);
    queueId = r.body.interaction.queueId;
    sara = await open(SARA);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('keeps the supervisor view from plain agents', async () => {
    expect(await chiara.locator('[data-test=nav-supervisor]').count()).to.equal(0);
    await chiara.goto(server.url + '/supervisor');
    await chiara.locator('[data-test=connection][data-state=online]').waitFor();
    expect(new URL(chiara.url()).pathname).to.equal('/');
    await chiara.locator(`[data-test=interaction][data-interaction="${visitor.interactionId}"]`).click();
    await chiara.locator('[data-test=chat-log]').waitFor();
  });

  it('shows queues and agents live: a chat waiting for the queue, the agent going Not ready', async () => {
    await sara.locator('[data-test=nav-supervisor]').click();
    const queue = sara.locator(`[data-test=sup-queue][data-queue="${queueId}"]`);
    await queue.waitFor();
    const agent = sara.locator('[data-test=sup-agent]', { hasText: 'Chiara Bianchi' });
    await agent.locator(`[data-test=sup-monitor][data-interaction="${visitor.interactionId}"]`).waitFor();
    expect(await queue.locator('[data-test=sup-waiting]').textContent()).to.equal('0');

    await chiara.locator('[data-test=state-current]').click();
    await chiara.locator('[data-test^=set-not-ready-]').first().click();
    await agent.locator('[data-test=sup-agent-state][data-state=not-ready]').waitFor();
    // Nobody can take a new chat now: it waits, and the pushed statistics say so.
    const waiting: Visitor = await startChat(server.url);
    await queue.locator('[data-test=sup-waiting]', { hasText: '1' }).waitFor();
    await command(waiting.socket, { type: 'chat.end', interactionId: waiting.interactionId });
    await queue.locator('[data-test=sup-waiting]', { hasText: '0' }).waitFor();
  });

  it('monitors a chat silently: the visitor’s lines stream in, and a note reaches the agent but never the visitor', async () => {
    const agent = sara.locator('[data-test=sup-agent]', { hasText: 'Chiara Bianchi' });
    await agent.locator(`[data-test=sup-monitor][data-interaction="${visitor.interactionId}"]`).click();
    const monitor = sara.locator('sb-monitor-panel');
    await monitor.locator('[data-test=chat-log]').waitFor();
    // Notes only: no reply mode for the supervisor.
    expect(await monitor.locator('[data-test=mode-reply]').count()).to.equal(0);
    await monitor.locator('[data-test=monitor-mode]').waitFor();
    await expectAccessible(sara, 'monitoring a chat');

    const v = await command(visitor.socket, { type: 'chat.send', interactionId: visitor.interactionId, clientMessageId: cid(), body: 'MONITOR-LIVE is anyone there?' });
    expect(v.type, JSON.stringify(v)).to.equal('chat.ack');
    await monitor.locator('[data-test=chat-line][data-kind=visitor]', { hasText: 'MONITOR-LIVE' }).waitFor();

    await monitor.locator('[data-test=chat-input]').fill('SUP-NOTE offer the voucher');
    await monitor.locator('[data-test=chat-input]').press('Enter');
    await chiara.locator('[data-test=chat-line][data-kind=note]', { hasText: 'SUP-NOTE offer the voucher' }).waitFor();
    await sara.screenshot({ path: screenshotPath('supervisor') });
    await expectAccessible(sara, 'supervisor');

    // A later line reaches the visitor: had the note (or any sign of the supervisor) been sent, it came first.
    await chiara.locator('[data-test=chat-input]').fill('AFTER-NOTE here is a voucher');
    await chiara.locator('[data-test=chat-input]').press('Enter');
    await visitor.socket.next((m) => m.type === 'chat.message' && m.message.body === 'AFTER-NOTE here is a voucher');
    const seen = JSON.stringify(visitor.socket.messages);
    expect(seen).to.not.include('SUP-NOTE');
    expect(seen).to.not.include('Sara');
    // And the supervisor follows the agent's reply as well.
    await monitor.locator('[data-test=chat-line][data-kind=agent]', { hasText: 'AFTER-NOTE' }).waitFor();
  });
});
