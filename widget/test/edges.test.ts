// What a visitor meets when things are not simple: closed, nobody free, a page the website did
// not allow, hostile text in every field and message, and a call before the call service exists.
import { expect } from 'chai';
import type { Browser, Dialog, Page } from 'playwright-core';
import { cid, command, accept, entity, freePort, hostSite, launchChromium, login, makeAgent, nextOffer, openWidget, startPlainSwitchboard, startSwitchboard, withoutSip, xssPayloads, type HostSite, type Switchboard } from './harness.ts';
import { expectAccessible } from './axe.ts';

const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
const CLOSED = {
  'websites/example.yaml:hours': 'closed',
  'hours.yaml:calendars.2': { id: 'closed', name: 'Closed', timezone: 'UTC', weekly: {}, holidays: [{ date: tomorrow, name: 'Open day', open: ['10:00-11:00'] }] },
};

describe('widget: outside hours', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  before(async () => {
    sb = await startPlainSwitchboard(CLOSED);
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });

  it('shows the closed message, the next opening and the offline form, stored as an offline mail interaction', async () => {
    const page = await browser.newPage({ locale: 'en-GB', timezoneId: 'UTC' });
    const frame = await openWidget(page, site);
    expect(await frame.locator('.sb-notice').textContent()).to.contain('We are closed right now. Leave us a message and we will get back to you.');
    const next = await frame.locator('.sb-next').textContent();
    expect(next).to.contain('We open again').and.to.contain('10:00').and.to.contain(String(new Date(`${tomorrow}T00:00:00Z`).getUTCDate()));
    expect(await frame.locator('.sb-channel').count()).to.equal(0);
    await expectAccessible(page, 'closed (offline form)');
    await frame.getByLabel('Name').fill('Olga');
    await frame.getByLabel('Email').fill('olga@example.com');
    await frame.getByLabel('Message').fill('Please call me tomorrow');
    await frame.getByRole('button', { name: 'Send' }).click();
    const text = await frame.locator('.sb-reference').textContent();
    expect(text).to.contain('Your message has been sent.');
    const ref = /T-[0-9A-F]{8}/.exec(text!)![0];
    const MailThread = await entity('MailThread', 'modules/mail/mail-thread.entity.js');
    const Interaction = await entity('Interaction', 'modules/interactions/interaction.entity.js');
    const thread = (await sb.sb.kernel.db.getRepository(MailThread).find()).find((x: { id: string }) => `T-${x.id.slice(0, 8).toUpperCase()}` === ref);
    const i = await sb.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: thread.interactionId });
    // Held until the opening (see server/src/modules/mail/held.test.ts), not unmanaged.
    expect(i).to.include({ channel: 'mail', offline: true, state: 'new', unmanaged: false });
    await page.close();
  });
});

describe('widget: unmanaged, refused origins, hostile input, calls', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const onDialog = (d: Dialog) => {
    dialogs.push(d.message());
    void d.dismiss();
  };
  before(async () => {
    sb = await startSwitchboard(withoutSip());
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'en-GB' });
    page.on('dialog', onDialog);
  });
  afterEach(() => page.close());
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });

  it('tells the visitor nobody is free and keeps a left message when no agent can take the chat', async () => {
    // The run's database holds other files' offline chats: look only at the ones this test made.
    const Interaction = await entity('Interaction', 'modules/interactions/interaction.entity.js');
    const offlineChats = () => sb.sb.kernel.db.getRepository(Interaction).find({ where: { channel: 'chat', offline: true } });
    const earlier = new Set((await offlineChats()).map((r: { id: string }) => r.id));
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    await frame.getByLabel('Name').fill('Nina');
    await frame.getByLabel('Email').fill('nina@example.com');
    await frame.getByLabel('I accept the privacy policy').check();
    await frame.getByLabel('Where is my order?').check();
    await frame.getByRole('button', { name: 'Start chat' }).click();
    expect(await frame.locator('.sb-notice').textContent()).to.contain('All our agents are busy. Leave us a message and we will get back to you.');
    expect(await frame.getByLabel('Name').inputValue()).to.equal('Nina');
    await expectAccessible(page, 'nobody free (offline form)');
    await frame.getByLabel('Message').fill('Where is order 42?');
    await frame.getByRole('button', { name: 'Send' }).click();
    await frame.getByText('Your message has been sent. We will get back to you.').waitFor();
    await expectAccessible(page, 'message left');
    const rows = (await offlineChats()).filter((r: { id: string }) => !earlier.has(r.id));
    expect(rows.some((r: { state: string; unmanaged: boolean }) => r.state === 'unmanaged' && r.unmanaged)).to.equal(true);
  });

  it('shows nothing on a page whose origin the website does not allow, and the frame refuses to be embedded there', async () => {
    // A port of its own: a fixed one may be taken by another run on the machine.
    const other = await hostSite(sb.url, await freePort());
    try {
      const warning = page.waitForEvent('console', (m) => m.text().includes('refused this page'));
      await page.goto(other.origin);
      expect((await warning).text()).to.contain(`Check that the website's origins include ${other.origin}.`);
      expect(await page.locator('[data-switchboard-widget]').count()).to.equal(0);
      expect(await page.evaluate(() => typeof (window as any).Switchboard)).to.equal('undefined');
      // Framing the widget page directly is blocked by its frame-ancestors policy.
      await page.goto(`${other.origin}/embed`);
      await page.waitForLoadState('load');
      const child = page.frames().find((f) => f !== page.mainFrame())!;
      expect(await child.locator('.sb-title').count()).to.equal(0);
      expect(child.url()).to.not.contain('/widget/frame/');
    } finally {
      await other.close();
    }
  });

  it('never runs nor renders as HTML any XSS payload typed into the forms or the chat, in either direction', async function () {
    // Over forty payloads through every form and the chat both ways: 24 s of 60 on a loaded machine.
    this.timeout(180_000);
    const payloads = await xssPayloads();
    expect(payloads.length).to.be.greaterThan(40);
    const frame = await openWidget(page, site);
    // Mail form: every payload in the subject and message (the email field refuses it visibly).
    for (const p of payloads.slice(0, 15)) {
      await frame.getByRole('button', { name: 'Send an email' }).click();
      await frame.getByLabel('Email').fill(p);
      await frame.getByLabel('Subject').fill(p);
      await frame.getByLabel('Message').fill(p);
      await frame.getByRole('button', { name: 'Send' }).click();
      expect(await frame.locator('.sb-warn:visible').first().textContent()).to.contain('valid email');
      await frame.getByLabel('Email').fill('xss@example.com');
      await frame.getByRole('button', { name: 'Send' }).click();
      await frame.locator('.sb-reference').waitFor();
      await frame.getByRole('button', { name: 'Home' }).click();
    }
    // Callback: the phone field refuses it, the message keeps it as text.
    await frame.getByRole('button', { name: 'Call me back' }).click();
    await frame.getByLabel('Phone number').fill(payloads[0]!);
    await frame.getByRole('button', { name: 'Send' }).click();
    expect(await frame.locator('.sb-warn:visible').first().textContent()).to.contain('valid phone number');
    await frame.getByLabel('Phone number').fill('+39 02 1234567');
    await frame.getByLabel('Message').fill(payloads[1]!.slice(0, 500));
    await frame.getByRole('button', { name: 'Send' }).click();
    await frame.locator('.sb-reference').waitFor();
    await frame.getByRole('button', { name: 'Home' }).click();

    // Chat: the name is a payload; every payload goes to the agent and comes back from the agent.
    // The callback asked for above is due at once and the mail tickets wait in their queue: they
    // would be offered first, so this agent takes chats only.
    const agent = await makeAgent(sb.url, await login(sb.url), { skills: [{ skill: 'english', level: 8 }], capacity: { callback: 0, mail: 0 } });
    await frame.getByRole('button', { name: 'Chat' }).click();
    await frame.getByLabel('Name').fill(payloads[2]!);
    await frame.getByLabel('Email').fill('xss@example.com');
    await frame.getByLabel('I accept the privacy policy').check();
    await frame.getByLabel('Where is my order?').check();
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const offer = await nextOffer(agent);
    await accept(sb.url, agent, offer.offerId);
    await frame.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();
    const input = frame.getByLabel('Type a message');
    for (const p of payloads) {
      await input.fill(p);
      await input.press('Enter');
      await command(agent.socket, { type: 'chat.send', interactionId: offer.interactionId, clientMessageId: cid(), body: p });
    }
    await frame.locator('.sb-line.sb-agent').nth(payloads.length - 1).waitFor();
    await frame.locator('.sb-line.sb-visitor .sb-sent, .sb-line.sb-visitor .sb-delivered').nth(payloads.length - 1).waitFor();
    // Exactly the typed text, every one of them (the order of lines is not what this test is about).
    const shown = await frame.locator('.sb-line.sb-agent .sb-text').allTextContents();
    expect([...shown].sort()).to.deep.equal([...payloads].sort());
    expect((await frame.locator('.sb-line.sb-visitor .sb-text').allTextContents()).sort()).to.deep.equal([...payloads].sort());
    expect(await frame.locator('.sb-log script, .sb-log img, .sb-log svg, .sb-log iframe, .sb-log xss, .sb-log [onerror], .sb-log [onload], .sb-log a[href^="javascript"]').count()).to.equal(0);
    expect(dialogs).to.deep.equal([]);
    // Nothing of it reached the website's page.
    expect(await page.content()).to.not.contain('WXSS');
    agent.socket.close();
  });

  it('tests the devices for a video call and fails the call with a clear reason while no call service answers; sip.js loads only for the call', async () => {
    const scripts: string[] = [];
    page.on('request', (r) => scripts.push(r.url()));
    const frame = await openWidget(page, site);
    expect(scripts.some((u) => /\/call-[A-Z0-9]+\.js$/.test(u))).to.equal(false);
    await frame.getByRole('button', { name: 'Video call' }).click();
    await frame.getByLabel('Microphone').waitFor();
    expect(await frame.getByLabel('Camera').locator('option').count()).to.be.greaterThan(0);
    await expectAccessible(page, 'call devices');
    expect(scripts.some((u) => /\/call-[A-Z0-9]+\.js$/.test(u))).to.equal(true);
    await frame.getByRole('button', { name: 'Test my devices' }).click();
    await frame.locator('.sb-preview').waitFor();
    await frame.locator('.sb-results li').nth(3).waitFor();
    // No call service: the test says so before the visitor calls, without blaming their network.
    expect(await frame.locator('.sb-results li').allTextContents()).to.deep.equal(['\u2713 Microphone works', '\u2713 Camera works', '\u2713 Connection to our server works', '\u2715 Calls are not available right now: the call service did not answer.']);
    await expectAccessible(page, 'device test');
    await frame.getByRole('button', { name: 'Continue' }).click();
    await expectAccessible(page, 'call form');
    await frame.getByRole('button', { name: 'Call now' }).click();
    expect(await frame.getByRole('alert').textContent()).to.contain('Calls are not available right now');
    await expectAccessible(page, 'call not available');
    expect(scripts.some((u) => /sip-call-/.test(u))).to.equal(false);
  });
});

describe('widget: messages from other windows', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  before(async () => {
    sb = await startSwitchboard();
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });

  // A third party's page, on its own origin: it posts the widget's messages to whatever it can reach.
  const forger = `<!doctype html><script>
    const msg = (o) => Object.assign({ ns: 'switchboard.widget', v: 1 }, o);
    const forge = (w) => {
      w.postMessage(msg({ type: 'event', name: 'chat.started', data: { interactionId: 'forged', outcome: 'queued' } }), '*');
      w.postMessage(msg({ type: 'close' }), '*');
      w.postMessage(msg({ type: 'request', id: 1, method: 'startChat', args: { name: 'Forged', email: 'forged@example.com', fields: { privacy: true }, option: 'orders' } }), '*');
      w.postMessage(msg({ type: 'init', options: { language: 'fr' } }), '*');
    };
    let popup = null;
    addEventListener('message', (e) => {
      if (e.data === 'forge-parent') { forge(parent); parent.postMessage('forged', '*'); }
      if (typeof e.data === 'string' && e.data.startsWith('open-popup ')) { popup = open(e.data.slice(11)); parent.postMessage('opened', '*'); }
      // Last, a message of its own: the popup has been handed every forged one when this one reaches it.
      if (e.data === 'forge-popup') { forge(popup); popup.postMessage('forged', '*'); parent.postMessage('forged', '*'); }
    });
  </script>`;
  const Contact = () => entity('Contact', 'modules/contacts/contact.entity.js');
  const forgedContacts = async () => sb.sb.kernel.db.getRepository(await Contact()).countBy({ email: 'forged@example.com' });

  async function withForger(page: Page): Promise<(order: string, done?: string) => Promise<void>> {
    await page.route('http://third-party.test/**', (r) => r.fulfill({ contentType: 'text/html', body: forger }));
    await page.evaluate(() => new Promise<void>((resolve) => {
      const f = document.createElement('iframe');
      f.id = 'ad';
      f.src = 'http://third-party.test/ad.html';
      f.onload = () => resolve();
      document.body.append(f);
    }));
    return (order, done = 'forged') => page.evaluate(([o, d]) => new Promise<void>((resolve) => {
      addEventListener('message', (e) => e.data === d && resolve());
      (document.getElementById('ad') as HTMLIFrameElement).contentWindow!.postMessage(o, '*');
    }), [order, done]);
  }

  it("does not let a third party's frame on the page fire the page's widget events or close the widget", async () => {
    const page = await browser.newPage({ locale: 'en-GB' });
    const frame = await openWidget(page, site);
    await page.evaluate(() => {
      const w = window as any;
      w.heard = [];
      for (const name of ['chat.started', 'close']) w.Switchboard.on(name, (d: unknown) => w.heard.push([name, d]));
    });
    const order = await withForger(page);
    await order('forge-parent');
    // The loader handles a message in the turn it arrives, and the forger's reply left after its forged ones: all have been handled.
    expect(await page.evaluate(() => (window as any).heard)).to.deep.equal([]);
    expect(await page.locator('[data-switchboard-widget] button').getAttribute('aria-expanded')).to.equal('true');
    expect(await frame.locator('.sb-channel-chat').textContent()).to.equal('Chat');
    await page.close();
  });

  it('does not let a page that opens the frame by itself drive it', async () => {
    const page = await browser.newPage({ locale: 'en-GB' });
    await page.goto(site.origin);
    const order = await withForger(page);
    const popup = page.waitForEvent('popup');
    // The frame's URL claims the website's own origin as its parent; only a real parent counts.
    await order(`open-popup ${sb.url}/widget/frame/example#origin=${encodeURIComponent(site.origin)}`, 'opened');
    const opened = await popup;
    await opened.locator('.sb-standalone').waitFor();
    // Listening before the forger starts: its last message must not arrive unheard.
    await opened.evaluate(() => {
      (window as any).forgedHeard = new Promise<void>((resolve) => addEventListener('message', (e) => e.data === 'forged' && resolve()));
    });
    await order('forge-popup');
    await opened.evaluate(() => (window as any).forgedHeard);
    expect(await opened.locator('.sb-title').count()).to.equal(0);
    expect(await forgedContacts()).to.equal(0);
    await page.close();
  });
});

describe('widget: what it sends is text', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  before(async () => {
    sb = await startSwitchboard({ ...withoutSip(), 'websites/example.yaml:forms.call': [{ type: 'textarea', name: 'details', label: 'Details', required: true, maxLength: 2000 }] });
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });

  it("cuts a long answer of the call form to the server's 500 characters without splitting an emoji in two", async () => {
    const page = await browser.newPage({ locale: 'en-GB' });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Call', exact: true }).click();
    await frame.getByRole('button', { name: 'Test my devices' }).click();
    await frame.getByRole('button', { name: 'Continue' }).click();
    // The emoji straddles the 500th unit: half of it would be a lone surrogate, which no server can store.
    await frame.getByLabel('Details').fill(`${'a'.repeat(499)}\u{1F600} and more`);
    const sent = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/widget\/example\/calls$/.test(r.url()));
    await frame.getByRole('button', { name: 'Call now' }).click();
    const details: string = JSON.parse((await sent).postData()!).fields.details;
    expect(details.isWellFormed()).to.equal(true);
    expect(details).to.equal('a'.repeat(499));
    await page.close();
  });
});
