// A visitor on the website asks for a callback and opens a mail ticket through the widget; what
// they typed ends up in MySQL, and the widget shows the reference the server gave.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { entity, eventually, hostSite, launchChromium, openWidget, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';
import { expectAccessible } from './axe.ts';

describe('widget: bubble, callback and mail as a visitor', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let page: Page;
  before(async () => {
    sb = await startSwitchboard();
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'en-GB' });
  });
  afterEach(() => page.close());
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });

  it("draws the bubble in the website's look and opens the frame from Switchboard's origin", async () => {
    await page.goto(site.origin);
    const bubble = page.locator('[data-switchboard-widget] button');
    expect(await bubble.getAttribute('aria-label')).to.equal('Talk to us');
    expect(await bubble.evaluate((b) => getComputedStyle(b).backgroundColor)).to.equal('rgb(26, 115, 232)');
    expect(await page.locator('[data-switchboard-widget] iframe').count()).to.equal(0);
    await bubble.click();
    expect(await bubble.getAttribute('aria-expanded')).to.equal('true');
    const frame = page.frameLocator('[data-switchboard-widget] iframe');
    expect(await frame.locator('.sb-title').textContent()).to.equal('Talk to us');
    const src = await page.locator('[data-switchboard-widget] iframe').getAttribute('src');
    expect(new URL(src!).origin).to.equal(sb.url);
    expect(await frame.locator('.sb-channel').allTextContents()).to.deep.equal(['Chat', 'Call', 'Video call', 'Call me back', 'Send an email']);
    await expectAccessible(page, 'home');
    // The page cannot reach into the frame: it is another origin.
    const peek = await page.evaluate(() => {
      const f = document.querySelector('[data-switchboard-widget]')!.shadowRoot!.querySelector('iframe')!;
      try {
        return String(f.contentDocument?.body?.textContent ?? 'blocked');
      } catch {
        return 'blocked';
      }
    });
    expect(peek).to.equal('blocked');
    await frame.getByRole('button', { name: 'Minimise' }).click();
    await page.locator('[data-switchboard-widget] button[aria-expanded="false"]').waitFor();
    expect(await page.locator('[data-switchboard-widget] iframe').isVisible()).to.equal(false);
  });

  it('works from the keyboard with readable contrast: Tab to the bubble, Enter opens, Escape closes and returns focus', async () => {
    await page.goto(site.origin);
    await page.locator('[data-switchboard-widget] button').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.getAttribute('aria-label'))).to.equal('Talk to us');
    await page.keyboard.press('Enter');
    const frame = page.frameLocator('[data-switchboard-widget] iframe');
    await frame.locator('.sb-channel-mail').focus();
    await page.keyboard.press('Enter');
    await frame.getByLabel('Email').waitFor();
    expect(await frame.locator(':focus').evaluate((el) => el.tagName)).to.equal('H2');
    // WCAG AA: at least 4.5:1 for the header text on the website's colour and for the error strip.
    const ratios = await frame.locator('body').evaluate(() => {
      const lum = (c: string) => {
        const [r, g, b] = c.match(/\d+/g)!.slice(0, 3).map((v) => {
          const x = Number(v) / 255;
          return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
        }) as [number, number, number];
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const ratio = (el: Element) => {
        const s = getComputedStyle(el);
        const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x) as [number, number];
        return (a + 0.05) / (b + 0.05);
      };
      return [ratio(document.querySelector('.sb-header')!), ratio(document.querySelector('.sb-error')!)];
    });
    for (const r of ratios) expect(r).to.be.at.least(4.5);
    await page.keyboard.press('Escape');
    await page.locator('[data-switchboard-widget] button[aria-expanded="false"]').waitFor();
    expect(await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.getAttribute('aria-label'))).to.equal('Talk to us');
  });

  it('speaks Italian and French from the browser', async () => {
    for (const [locale, text] of [['it-IT', 'Richiamami'], ['fr-FR', 'Être rappelé']] as const) {
      const p = await browser.newPage({ locale });
      const frame = await openWidget(p, site);
      expect(await frame.locator('.sb-channel-callback').textContent()).to.equal(text);
      await p.close();
    }
  });

  it('offers callback slots in the visitor\'s own time, naming its zone', async () => {
    const rome = await browser.newPage({ locale: 'en-GB', timezoneId: 'Europe/Rome' });
    try {
      const frame = await openWidget(rome, site);
      await frame.getByRole('button', { name: 'Call me back' }).click();
      await frame.locator('#sb-slot option').nth(1).waitFor({ state: 'attached' });
      const [value, text] = await frame.locator('#sb-slot option').nth(1).evaluate((o: HTMLOptionElement) => [o.value, o.textContent!]);
      // Rome is one or two hours ahead of UTC, whatever the season and however English names it.
      expect(text).to.match(/ (GMT\+[12]|CES?T)$/);
      const hour = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Rome' }).format(new Date(value));
      expect(text).to.contain(hour);
    } finally {
      await rome.close();
    }
  });

  it('stores a callback request with a valid phone and shows its reference; refuses a bad number visibly', async () => {
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Call me back' }).click();
    const phone = frame.getByLabel('Phone number');
    await phone.fill('call me');
    await frame.getByRole('button', { name: 'Send' }).click();
    expect(await frame.locator('.sb-warn:visible').first().textContent()).to.contain('valid phone number');
    expect(await phone.getAttribute('aria-invalid')).to.equal('true');
    await expectAccessible(page, 'callback form');
    await phone.fill('+39 06 1234 5678');
    await frame.getByLabel('Message').fill('After lunch please');
    const options = await frame.locator('#sb-slot option').count();
    expect(options).to.be.greaterThan(1);
    await frame.locator('#sb-slot').selectOption({ index: 2 });
    const slot = await frame.locator('#sb-slot').inputValue();
    await frame.getByRole('button', { name: 'Send' }).click();
    const text = await frame.locator('.sb-reference').textContent();
    await expectAccessible(page, 'callback sent');
    const ref = /CB-[0-9A-F]{8}/.exec(text!)![0];
    const Callback = await entity('Callback', 'modules/callbacks/callback.entity.js');
    const rows = await sb.sb.kernel.db.getRepository(Callback).find();
    const row = rows.find((r: { id: string }) => `CB-${r.id.slice(0, 8).toUpperCase()}` === ref);
    expect(row).to.include({ phoneNumber: '+390612345678', message: 'After lunch please', asap: false, state: 'scheduled' });
    expect(row.dueAt.toISOString()).to.equal(slot);
  });

  it('asks for a callback as soon as possible, without a message (the default choice)', async () => {
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Call me back' }).click();
    expect(await frame.locator('#sb-slot option:checked').textContent()).to.equal('As soon as possible');
    await frame.getByLabel('Phone number').fill('+44 20 7946 0018');
    await frame.getByRole('button', { name: 'Send' }).click();
    const ref = /CB-[0-9A-F]{8}/.exec((await frame.locator('.sb-reference').textContent())!)![0];
    const Callback = await entity('Callback', 'modules/callbacks/callback.entity.js');
    const row = (await sb.sb.kernel.db.getRepository(Callback).find()).find((r: { id: string }) => `CB-${r.id.slice(0, 8).toUpperCase()}` === ref);
    expect(row).to.include({ phoneNumber: '+442079460018', asap: true });
    expect(row.message ?? '').to.equal('');
  });

  it('opens a mail ticket from the website form and shows the ticket reference', async () => {
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Send an email' }).click();
    await frame.getByRole('button', { name: 'Send' }).click();
    expect(await frame.locator('.sb-warn:visible').count()).to.equal(3);
    await expectAccessible(page, 'mail form');
    await frame.getByLabel('Email').fill('visitor@example.com');
    await frame.getByLabel('Subject').fill('Invoice copy');
    await frame.getByLabel('Message').fill('Please send the invoice again.');
    const pdf = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-mail-')), 'order.pdf');
    writeFileSync(pdf, '%PDF-1.4\n%%EOF\n');
    await frame.getByLabel('Attachment').setInputFiles(pdf);
    await frame.getByRole('button', { name: 'Send' }).click();
    const ref = /T-[0-9A-F]{8}/.exec((await frame.locator('.sb-reference').textContent())!)![0];
    const MailThread = await entity('MailThread', 'modules/mail/mail-thread.entity.js');
    const threads = await sb.sb.kernel.db.getRepository(MailThread).find();
    const thread = threads.find((x: { id: string }) => `T-${x.id.slice(0, 8).toUpperCase()}` === ref);
    expect(thread).to.include({ subject: 'Invoice copy', customerAddress: 'visitor@example.com' });
    const Attachment = await entity('Attachment', 'modules/chat/message.entity.js');
    const files = await eventually(() => sb.sb.kernel.db.getRepository(Attachment).findBy({ interactionId: thread.interactionId }), (f: { messageId: string | null }[]) => f.length > 0 && f.every((x) => !!x.messageId));
    expect(files.map((f: { fileName: string; messageId: string | null }) => [f.fileName, !!f.messageId])).to.deep.equal([['order.pdf', true]]);
    expect(await frame.getByRole('alert').isVisible()).to.equal(false);
  });
});

describe("widget: another website's look", () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  const logo = 'https://cdn.example.com/brand/logo.png';
  before(async () => {
    sb = await startSwitchboard({
      'websites/example.yaml:look.title': 'Assistenza Rossi',
      'websites/example.yaml:look.primaryColor': '#ffd33d',
      'websites/example.yaml:look.position': 'left',
      'websites/example.yaml:look.logoUrl': logo,
      'websites/example.yaml:messages.welcome': { en: 'Hello! <b>How</b> can we help?', it: 'Ciao! Come possiamo aiutarti?' },
    });
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });

  it('puts the bubble on the left in its colour, with readable text, and shows its title, logo and greeting', async () => {
    const page = await browser.newPage({ locale: 'en-GB', viewport: { width: 1200, height: 800 } });
    await page.goto(site.origin);
    const bubble = page.locator('[data-switchboard-widget] button');
    expect(await bubble.getAttribute('aria-label')).to.equal('Assistenza Rossi');
    const box = (await bubble.boundingBox())!;
    expect(box.x).to.be.below(100);
    // A light brand colour gets dark text, a dark one light text.
    expect(await bubble.evaluate((b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color])).to.deep.equal(['rgb(255, 211, 61)', 'rgb(0, 0, 0)']);
    await bubble.click();
    const frame = page.frameLocator('[data-switchboard-widget] iframe');
    expect(await frame.locator('.sb-title').textContent()).to.equal('Assistenza Rossi');
    expect(await frame.locator('img.sb-logo').getAttribute('src')).to.equal(logo);
    // Decorative: the title next to it already names the website.
    expect(await frame.locator('img.sb-logo').getAttribute('alt')).to.equal('');
    // The website's greeting, in the visitor's language, as text.
    expect(await frame.locator('.sb-welcome').textContent()).to.equal('Hello! <b>How</b> can we help?');
    expect(await frame.locator('.sb-welcome b').count()).to.equal(0);
    await expectAccessible(page, 'home in a light colour');
    const panel = (await page.locator('[data-switchboard-widget] iframe').boundingBox())!;
    expect(panel.x).to.be.below(100);
    await page.close();
  });
});
