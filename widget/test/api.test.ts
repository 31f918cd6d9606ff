// The site's own bot drives the widget through its JavaScript API: it sees availability change
// when an agent becomes available, hands over only then, and hears the chat's events.
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { accept, api, command, cid, hostSite, launchChromium, login, makeAgent, nextOffer, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';

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
    // Availability is worked out once a second per website (the page-view path): the agent shows within that.
    const availability = () => page.evaluate(() => (window as any).Switchboard.getAvailability('chat'));
    let chat = await availability();
    for (let n = 0; n < 150 && !chat.available; n++) {
      await new Promise((r) => setTimeout(r, 200));
      chat = await availability();
    }
    expect(chat).to.include({ open: true, available: true, agentsAvailable: 1 });
    await ask('Please, a person');
    await page.locator('#bot-log li', { hasText: 'Chat started (queued).' }).waitFor();
    const offer = await nextOffer(agent);
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

  it('tells the page open/close, chat started, agent joined, agent lines and chat ended; off() stops a listener; a bot missing a required field gets a rejection and the form', async () => {
    const p = await browser.newPage({ locale: 'en-GB' });
    await p.goto(site.origin);
    await p.waitForFunction(() => (window as any).Switchboard);
    await p.evaluate(() => {
      const w = window as any;
      w.seen = [];
      w.dropped = 0;
      for (const name of ['open', 'close', 'chat.started', 'chat.message', 'agent.joined', 'chat.ended']) w.Switchboard.on(name, (d: unknown) => w.seen.push([name, d]));
      const dropped = () => w.dropped++;
      w.Switchboard.on('chat.message', dropped);
      w.Switchboard.off('chat.message', dropped);
    });
    const seen = (): Promise<[string, any][]> => p.evaluate(() => (window as any).seen);
    const waitFor = (name: string) => p.waitForFunction((n) => (window as any).seen.some((e: [string]) => e[0] === n), name);

    // No email: the promise rejects with the server's reason, and the visitor gets the form, filled in.
    const refused = await p.evaluate(() => (window as any).Switchboard.startChat({ name: 'Eve Bot', fields: { privacy: true }, option: 'orders' }).then(() => 'resolved', (e: Error) => e.message));
    expect(refused).to.not.equal('resolved');
    expect(refused).to.match(/email/i);
    const frame = p.frameLocator('[data-switchboard-widget] iframe');
    expect(await frame.getByLabel('Name').inputValue()).to.equal('Eve Bot');
    expect(await frame.getByLabel('Email').inputValue()).to.equal('');

    const agent = await makeAgent(sb.url, await login(sb.url), { skills: [{ skill: 'english', level: 8 }] });
    const started = await p.evaluate(() => (window as any).Switchboard.startChat({ name: 'Eve Bot', email: 'eve@example.com', fields: { privacy: true }, option: 'orders', message: 'Hi from the bot' }));
    expect(started.outcome).to.equal('queued');
    const offer = await nextOffer(agent);
    expect(offer.interactionId).to.equal(started.interactionId);
    await accept(sb.url, agent, offer.offerId);
    await waitFor('agent.joined');
    await command(agent.socket, { type: 'chat.send', interactionId: started.interactionId, clientMessageId: cid(), body: 'Hello Eve' });
    await p.waitForFunction(() => (window as any).seen.some((e: [string, any]) => e[0] === 'chat.message' && e[1].body === 'Hello Eve'));
    await command(agent.socket, { type: 'interaction.close', interactionId: started.interactionId });
    await waitFor('chat.ended');
    await p.evaluate(() => (window as any).Switchboard.close());
    await waitFor('close');

    const events = await seen();
    expect(events.map((e) => e[0]).filter((n) => n !== 'chat.message')).to.deep.equal(['open', 'chat.started', 'agent.joined', 'chat.ended', 'close']);
    expect(events.find((e) => e[0] === 'chat.started')![1]).to.deep.equal({ interactionId: started.interactionId, outcome: 'queued' });
    expect(events.find((e) => e[0] === 'agent.joined')![1]).to.deep.equal({ interactionId: started.interactionId, name: agent.username });
    // Agent and system lines reach the page; the visitor's own (the bot's first line) are not echoed.
    const lines = events.filter((e) => e[0] === 'chat.message').map((e) => e[1]);
    expect(lines.map((l) => l.authorKind)).to.not.include('visitor');
    expect(lines.find((l) => l.body === 'Hello Eve')).to.include({ interactionId: started.interactionId, authorKind: 'agent', authorName: agent.username });
    expect(events.find((e) => e[0] === 'chat.ended')![1]).to.deep.equal({ interactionId: started.interactionId, by: 'agent' });
    expect(await p.evaluate(() => (window as any).dropped)).to.equal(0);
    agent.socket.close();
    await p.close();
  });
});
