// The loader runs on pages we do not control. Whatever the page did to window.fetch, however many
// times the snippet is pasted, and wherever the page is framed, the visitor gets one working
// bubble — or, where the browser would refuse the widget itself, nothing at all.
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { freePort, hostSite, launchChromium, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';

describe('widget: the loader on unusual pages', () => {
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

  it("draws the bubble and answers availability on a page that replaced window.fetch, without ever calling the page's fetch", async () => {
    await page.goto(`${site.origin}/replaced-fetch`);
    await page.waitForFunction(() => (window as any).Switchboard);
    const bubble = page.locator('[data-switchboard-widget] button');
    expect(await bubble.getAttribute('aria-label')).to.equal('Talk to us');
    expect(await bubble.isVisible()).to.equal(true);
    const chat = await page.evaluate(() => (window as any).Switchboard.getAvailability('chat'));
    expect(chat).to.include({ open: true });
    // Replaced again after the widget arrived: still not used.
    await page.evaluate(() => {
      window.fetch = () => Promise.reject(new TypeError('replaced again'));
    });
    expect(await page.evaluate(() => (window as any).Switchboard.getAvailability().then((a: any) => a.channels.chat.open))).to.equal(true);
    expect(await page.evaluate(() => (window as any).pageFetches)).to.equal(0);
    await bubble.click();
    await page.frameLocator('[data-switchboard-widget] iframe').locator('.sb-channel-chat').waitFor();
  });

  it('draws one bubble and opens one widget when the snippet is on the page twice, or added once more later', async () => {
    await page.goto(`${site.origin}/twice`);
    await page.waitForFunction(() => (window as any).Switchboard);
    // A third copy, as a single-page site re-inserting its head would add it.
    await page.evaluate((src) => new Promise((resolve) => {
      const s = document.createElement('script');
      s.src = src;
      s.dataset.switchboardWebsite = 'example';
      s.onload = resolve;
      document.head.append(s);
    }), `${sb.url}/widget/loader.js`);
    await page.evaluate(() => {
      const w = window as any;
      w.opens = 0;
      w.Switchboard.on('open', () => w.opens++);
    });
    await page.locator('[data-switchboard-widget] button').click();
    await page.frameLocator('[data-switchboard-widget] iframe').locator('.sb-channel-chat').waitFor();
    expect(await page.locator('[data-switchboard-widget]').count()).to.equal(1);
    expect(await page.locator('[data-switchboard-widget] button').count()).to.equal(1);
    expect(await page.locator('[data-switchboard-widget] iframe').count()).to.equal(1);
    expect(await page.evaluate(() => (window as any).opens)).to.equal(1);
  });

  it("works on a page of the website's origin framed by another of its pages", async () => {
    await page.goto(`${site.origin}/frame?src=${encodeURIComponent(`${site.origin}/`)}`);
    const inner = page.frameLocator('#inner');
    await inner.locator('[data-switchboard-widget] button').click();
    await inner.frameLocator('[data-switchboard-widget] iframe').locator('.sb-channel-chat').waitFor();
  });

  it("draws nothing on the website's page when a site the website does not allow frames it", async () => {
    const other = await hostSite(sb.url, await freePort());
    try {
      const warning = page.waitForEvent('console', (m) => m.text().includes('Switchboard widget'));
      await page.goto(`${other.origin}/frame?src=${encodeURIComponent(`${site.origin}/`)}`);
      expect((await warning).text()).to.equal(`Switchboard widget: website "example" cannot be shown inside a page of another origin. Check that the website's origins include ${other.origin}.`);
      const inner = page.frames().find((f) => f.url().startsWith(site.origin))!;
      expect(await inner.locator('[data-switchboard-widget]').count()).to.equal(0);
      expect(await inner.evaluate(() => typeof (window as any).Switchboard)).to.equal('undefined');
    } finally {
      await other.close();
    }
  });
});
