// Handing a chat over from the desktop: a supervisor who holds a chat conferences an agent in
// (invitation offer → conference → end), then transfers it to that agent, who takes it over; the
// plain agent lists where to hand it on (transfer-targets), refreshes the list and sees a change.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, startServer, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';

const { startChat, command, cid } = await import(path.join(REPO, 'server/dist/test/chat.js'));

const SARA = { username: 'sara', password: 'correct-horse-battery', name: 'Sara Conti', role: 'supervisor' };
const BRUNO = { username: 'bruno', password: 'correct-horse-battery', name: 'Bruno Galli', role: 'agent' };
type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('transfer and conference (two agents in Chromium, a real server)', function () {
  this.timeout(90_000);
  let server: E2eServer;
  let browser: Browser;
  let sara: Page;
  let bruno: Page;
  let visitor: { interactionId: string; socket: { messages: Msg[]; next(pred: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg> } };
  const errors: string[] = [];

  const open = async (who: typeof SARA) => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`${who.username}: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    await logInOnScreen(page, server.url, who);
    await page.locator('[data-test=state-current]').click();
    await page.locator('[data-test=set-available]').click();
    await page.locator('[data-test=state-current][data-state=available]').waitFor();
    return page;
  };
  const row = (page: Page) => page.locator(`[data-test=interaction][data-interaction="${visitor.interactionId}"]`);

  before(async () => {
    server = await startServer(alwaysOpen());
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    for (const a of [SARA, BRUNO]) {
      const r = await api(server.url, 'POST', '/api/agents', { ...a, skills: [{ skill: 'english', level: 8 }] }, admin);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    }
    browser = await launchChromium();
    // Only Sara is Available when the chat arrives, so it is hers.
    sara = await open(SARA);
    visitor = await startChat(server.url);
    await sara.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click();
    await row(sara).waitFor();
    bruno = await open(BRUNO);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('conferences an agent in: invitation, both in the chat, then the conference ends', async () => {
    await sara.locator('[data-test=handover]').click();
    const brunoRow = sara.locator('[data-test=handover-panel] li', { hasText: 'Bruno Galli' });
    await brunoRow.waitFor();
    await expectAccessible(sara, 'transfer or conference');
    await brunoRow.locator('[data-test=conference]').click();
    await sara.locator('[data-test=handover-status]', { hasText: 'Conference requested: waiting for Bruno Galli.' }).waitFor();

    const invite = bruno.locator('[data-test=offer]');
    await invite.waitFor();
    expect(await invite.textContent()).to.contain('Conference invitation');
    await invite.getByRole('button', { name: 'Accept' }).click();
    await row(bruno).waitFor();
    await sara.locator('[data-test=handover-status]', { hasText: 'Conference with Bruno Galli.' }).waitFor();
    // The guest writes to the visitor too.
    await bruno.locator('[data-test=chat-input]').fill('Hello, I am joining to help');
    await bruno.locator('[data-test=chat-input]').press('Enter');
    await visitor.socket.next((m) => m.type === 'chat.message' && m.message.body === 'Hello, I am joining to help');

    await sara.locator('[data-test=end-conference]').click();
    await row(bruno).waitFor({ state: 'detached' });
    await sara.locator('[data-test=handover-status]').waitFor({ state: 'detached' });
    expect(await row(sara).count()).to.equal(1);
  });

  it('keeps the chat when the agent rejects the transfer, and says so', async () => {
    await sara.locator('[data-test=handover]').click();
    await sara.locator('[data-test=handover-panel] li', { hasText: 'Bruno Galli' }).locator('[data-test=to-agent]').click();
    const offer = bruno.locator('[data-test=offer]');
    await offer.waitFor();
    await offer.getByRole('button', { name: 'Reject' }).click();
    await sara.locator('[data-test=handover-declined]', { hasText: 'Bruno Galli did not take the transfer' }).waitFor();
    await sara.locator('[data-test=handover-status]').waitFor({ state: 'detached' });
    expect(await row(sara).count()).to.equal(1);
    expect(await row(bruno).count()).to.equal(0);
  });

  it('transfers the chat to the agent, who accepts it: it leaves the supervisor and the agent answers the visitor', async () => {
    await sara.locator('[data-test=handover]').click();
    const brunoRow = sara.locator('[data-test=handover-panel] li', { hasText: 'Bruno Galli' });
    await brunoRow.locator('[data-test=to-agent]').click();
    await sara.locator('[data-test=handover-status]', { hasText: 'Transfer offered to Bruno Galli' }).waitFor();
    const offer = bruno.locator('[data-test=offer]');
    await offer.waitFor();
    expect(await offer.textContent()).to.contain('Transfer to you');
    await offer.getByRole('button', { name: 'Accept' }).click();
    await row(bruno).waitFor();
    await row(sara).waitFor({ state: 'detached' });
    await row(bruno).click();
    // The history came along, the guest line included.
    await bruno.locator('[data-test=chat-line]', { hasText: 'Hello, I am joining to help' }).waitFor();
    await bruno.locator('[data-test=chat-input]').fill('I have your chat now');
    await bruno.locator('[data-test=chat-input]').press('Enter');
    await visitor.socket.next((m) => m.type === 'chat.message' && m.message.body === 'I have your chat now');
  });

  it('lets a plain agent list the targets, refresh them after a change, and transfer to a queue', async () => {
    await bruno.locator('[data-test=handover]').click();
    const panel = bruno.locator('[data-test=handover-panel]');
    const saraRow = panel.locator('li[data-agent]', { hasText: 'Sara Conti' });
    await saraRow.waitFor();
    expect(await saraRow.textContent()).to.contain('Available');
    expect(await panel.locator('[data-test=handover-error]').count()).to.equal(0);
    // Sara steps away: the open list still says Available until it is refreshed.
    await sara.locator('[data-test=state-current]').click();
    await sara.locator('[data-test^=set-not-ready-]').first().click();
    await sara.locator('[data-test=state-current][data-state=not-ready]').waitFor();
    expect(await saraRow.textContent()).to.contain('Available');
    await panel.locator('[data-test=handover-refresh]').click();
    await panel.locator('li[data-agent]', { hasText: 'Not ready' }).waitFor();
    // The chat's queue is listed with the other chat queues, never a phone queue.
    const queues = await panel.locator('li[data-queue]').allTextContents();
    expect(queues.join('|')).to.contain('Support (chat)');
    expect(queues.join('|')).to.not.contain('Support (phone)');
    const r = await command(visitor.socket, { type: 'chat.send', interactionId: visitor.interactionId, clientMessageId: cid(), body: 'Thanks' });
    expect(r.type).to.equal('chat.ack');
    // Back to the queue: nobody is Available, so it leaves Bruno and waits there.
    await panel.locator('li[data-queue]', { hasText: 'Support (chat)' }).locator('[data-test^=to-queue-]').click();
    await row(bruno).waitFor({ state: 'detached' });
  });
});
