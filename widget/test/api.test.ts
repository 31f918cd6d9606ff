// The site's own bot drives the widget through its JavaScript API: it sees availability change
// when an agent becomes available, hands over only then, and hears the chat's events.
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { accept, api, hostSite, launchChromium, login, makeAgent, nextOffer, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';

describe('widget: JavaScript API for the site bot (demo page)', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let page: Page;
  before(async () => {
    sb = await startSwitchboard();
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  after(async () => {
    await page?.close();
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });

  it('answers two questions itself and hands over to an agent only once one is available', async () => {
    page = await browser.newPage({ locale: 'en-GB' });
    await page.goto(`${site.origin}/demo/index.html`);
    await page.locator('#bot-status[data-available="false"]').waitFor();
    // The bot has not opened the widget: no frame is loaded until someone needs it.
    expect(await page.locator('[data-switchboard-widget] iframe').count()).to.equal(0);
    const ask = async (q: string) => {
      await page.locator('#bot-input').fill(q);
      await page.locator('#bot-input').press('Enter');
    };
    await ask('What are your opening hours?');
    await ask('How long does shipping take?');
    await ask('I want to talk to a person');
    await page.locator('#bot-log li', { hasText: 'Nobody can take a chat right now.' }).waitFor();
    expect(await page.locator('#bot-log li').allTextContents()).to.include.members(['Bot: We are open Monday to Friday, 8:30–13:00 and 14:00–18:00.', 'Bot: Orders ship within 24 hours; delivery takes 2–3 working days.']);
    expect(await page.locator('[data-switchboard-widget] iframe').count()).to.equal(0);

    const agent = await makeAgent(sb.url, await login(sb.url), { skills: [{ skill: 'english', level: 8 }] });
    const chat = await page.evaluate(() => (window as any).Switchboard.getAvailability('chat'));
    expect(chat).to.include({ open: true, available: true, agentsAvailable: 1 });
    await ask('Please, a person');
    await page.locator('#bot-log li', { hasText: 'Chat started (queued).' }).waitFor();
    const offer = await nextOffer(agent, 10000);
    await accept(sb.url, agent, offer.offerId);
    await page.locator('#bot-log li', { hasText: 'joined the chat.' }).waitFor();
    // The bot's question became the chat's first line.
    const frame = page.frameLocator('[data-switchboard-widget] iframe');
    await frame.locator('.sb-line.sb-visitor', { hasText: 'Please, a person' }).locator('.sb-sent, .sb-delivered').waitFor();
    const history = await api(sb.url, 'GET', `/api/chats/${offer.interactionId}/messages`, undefined, agent.token);
    expect(history.body.messages.filter((m: any) => m.authorKind === 'visitor').map((m: any) => m.body)).to.deep.equal(['Please, a person']);
    agent.socket.close();
  });

  it('queues calls made before the frame is ready and exposes only the whitelisted API', async () => {
    const p = await browser.newPage();
    await p.goto(site.origin);
    await p.waitForFunction(() => (window as any).Switchboard);
    const keys = await p.evaluate(() => Object.keys((window as any).Switchboard).sort());
    expect(keys).to.deep.equal(['close', 'getAvailability', 'init', 'off', 'on', 'open', 'setContact', 'startChat']);
    expect(await p.evaluate(() => Object.isFrozen((window as any).Switchboard))).to.equal(true);
    // setContact before the frame exists: the chat form opens pre-filled.
    await p.evaluate(() => {
      const sb = (window as any).Switchboard;
      sb.init({ language: 'it', contact: { name: 'Lia' } });
      void sb.setContact({ email: 'lia@example.com' });
      sb.open();
    });
    const frame = p.frameLocator('[data-switchboard-widget] iframe');
    await frame.getByRole('button', { name: 'Chat' }).click();
    expect(await frame.getByLabel('Name').inputValue()).to.equal('Lia');
    expect(await frame.getByLabel('Email').inputValue()).to.equal('lia@example.com');
    expect(await frame.getByRole('button', { name: 'Inizia la chat' }).count()).to.equal(1);
    await p.close();
  });
});
