// Keep my place, as the visitor sees it: waiting in the chat queue, they choose "Call me back
// instead", leave their number, and the widget says they keep their place. The callback is queued
// since the chat was, and the chat is over (no ended screen in the way).
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { entity, eventually, fillChatForm, hostSite, launchChromium, login, makeAgent, openWidget, setState, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';
import { expectAccessible } from './axe.ts';

describe('widget: keep my place in the queue', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let page: Page;
  before(async () => {
    sb = await startSwitchboard({ 'queues.yaml:queues.3.callback.mode': 'preview' });
    site = await hostSite(sb.url);
    browser = await launchChromium();
    const agent = await makeAgent(sb.url, await login(sb.url), { skills: [{ skill: 'english', level: 8 }], available: false });
    // Logged in but on a break: the chat waits in its queue.
    await setState(sb.url, agent, 'not-ready', 'break');
  });
  after(async () => {
    await page?.close();
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });

  it('switches a waiting chat to a callback that keeps its place, and says so', async () => {
    // The run's database holds other files' chats: this test's chat is the one that was not there before.
    const Interaction = await entity('Interaction', 'modules/interactions/interaction.entity.js');
    const chatIds = async () => (await sb.sb.kernel.db.getRepository(Interaction).findBy({ channel: 'chat' })).map((c: { id: string }) => c.id);
    const earlier = new Set(await chatIds());
    page = await browser.newPage({ locale: 'en-GB' });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    await fillChatForm(frame);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await frame.locator('.sb-queue:visible').waitFor();
    const offer = frame.getByRole('button', { name: 'Call me back instead' });
    await offer.waitFor();
    await expectAccessible(page, 'waiting with the callback offer');
    await offer.click();

    // Back returns to the wait unchanged; the second time the visitor goes through with it.
    await frame.getByRole('button', { name: /Back/ }).click();
    await frame.locator('.sb-queue:visible').waitFor();
    await frame.getByRole('button', { name: 'Call me back instead' }).click();
    await frame.getByLabel('Phone number').fill('call me');
    await frame.getByRole('button', { name: 'Send' }).click();
    expect(await frame.locator('.sb-warn:visible').first().textContent()).to.contain('valid phone number');
    await frame.getByLabel('Phone number').fill('+39 06 5151 2468');
    await frame.getByRole('button', { name: 'Send' }).click();

    const card = frame.locator('.sb-done .sb-callback');
    await card.waitFor();
    expect(await card.locator('.sb-callback-state').textContent()).to.equal('You keep your place in the queue: we will call you when it is your turn.');
    const reference = /CB-[0-9A-F]{8}/.exec((await card.locator('.sb-reference').textContent())!)![0];
    await expectAccessible(page, 'callback keeping the place');

    const Callback = await entity('Callback', 'modules/callbacks/callback.entity.js');
    const db = sb.sb.kernel.db;
    const cb = (await db.getRepository(Callback).find()).find((r: { id: string }) => `CB-${r.id.slice(0, 8).toUpperCase()}` === reference);
    expect(cb).to.include({ phoneNumber: '+390651512468', state: 'queued', asap: true });
    const chats = (await db.getRepository(Interaction).findBy({ channel: 'chat' })).filter((c: { id: string }) => !earlier.has(c.id));
    expect(chats, 'chats this test started').to.have.length(1);
    const chat = chats[0];
    await eventually(() => db.getRepository(Interaction).findOneByOrFail({ id: chat.id }), (i: { state: string }) => i.state === 'abandoned' || i.state === 'closed');
    const held = await db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId });
    expect(held.queuedAt.getTime(), 'the callback waits since the chat did').to.equal(chat.queuedAt.getTime());

    // Home: the channels again, not the chat's ended screen.
    await frame.getByRole('button', { name: 'Home' }).click();
    await frame.locator('.sb-channels').waitFor();
    expect(await frame.locator('.sb-ended').count()).to.equal(0);
  });
});
