// The website picks the widget's colour (look.primaryColor); the visitor must still read every
// button on it. Light and dark brand colours, and the mid-tones where black and white text come
// closest, are checked by axe's color-contrast rule (WCAG AA, 4.5:1) on the screens that use the
// colour: the bubble, the header, the channel buttons, the form and chat buttons.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { chatWithAgent, hostSite, launchChromium, login, makeAgent, openWidget, startSwitchboard } from './harness.ts';
import { expectAccessible, widgetFrame } from './axe.ts';

/** Text against background of every element painted in the website's colour (and of the bubble), as WCAG measures it. */
const RATIOS = (selector: string) => {
  const lum = (c: string) => {
    const [r, g, b] = c.match(/\d+/g)!.slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const root = document.querySelector('[data-switchboard-widget]')?.shadowRoot ?? document;
  return [...root.querySelectorAll<HTMLElement>(selector)].map((el) => {
    const s = getComputedStyle(el);
    const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x) as [number, number];
    return [el.className || el.tagName, Math.round(((a + 0.05) / (b + 0.05)) * 100) / 100] as [string, number];
  });
};

const COLOURS = { light: '#ffd33d', pale: '#f0f4f8', dark: '#0b1f33', 'mid-tone': '#7a7a7a', 'mid-tone red': '#e5534b', 'mid-tone green': '#2da44e' };

describe('widget: readable buttons in any website colour', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it("draws the bubble's emoji from a colour emoji font, as visitors' browsers do (fonts-noto-color-emoji, services.sh tools)", async () => {
    const sb = await startSwitchboard();
    const site = await hostSite(sb.url);
    const page = await browser.newPage({ locale: 'en-GB' });
    try {
      await page.goto(site.origin);
      await page.locator('[data-switchboard-widget] button').waitFor();
      // Drawn in red: a monochrome glyph (or a missing-glyph box) comes out red, a colour emoji in its own colours.
      const pixels = await page.evaluate(() => {
        const bubble = document.querySelector('[data-switchboard-widget]')!.shadowRoot!.querySelector('button')!;
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 64;
        const ctx = canvas.getContext('2d')!;
        ctx.font = `48px ${getComputedStyle(bubble).fontFamily}`;
        ctx.fillStyle = '#ff0000';
        ctx.fillText(bubble.firstChild!.textContent!, 4, 52);
        const d = ctx.getImageData(0, 0, 64, 64).data;
        let drawn = 0;
        let ownColour = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3]! < 200) continue;
          drawn++;
          if (!(d[i]! > 200 && d[i + 1]! < 60 && d[i + 2]! < 60)) ownColour++;
        }
        return { glyph: bubble.firstChild!.textContent, drawn, ownColour };
      });
      expect(pixels.glyph).to.equal('\u{1F4AC}');
      expect(pixels.drawn).to.be.greaterThan(200);
      expect(pixels.ownColour).to.be.greaterThan(pixels.drawn / 2);
    } finally {
      await page.close();
      await site.close();
      await sb.stop();
    }
  });

  for (const [name, colour] of Object.entries(COLOURS)) {
    it(`keeps every text on the ${name} colour ${colour} at 4.5:1 or more`, async () => {
      const sb = await startSwitchboard({ 'websites/example.yaml:look.primaryColor': colour });
      const site = await hostSite(sb.url);
      const page = await browser.newPage({ locale: 'en-GB' });
      try {
        const frame = await openWidget(page, site);
        await expectAccessible(page, `home in ${colour}`);
        for (const [what, ratio] of await widgetFrame(page).evaluate(RATIOS, '.sb-channel')) expect(ratio, what).to.be.at.least(4.5);
        await frame.getByRole('button', { name: 'Chat' }).click();
        await expectAccessible(page, `chat form in ${colour}`);
        await frame.getByRole('button', { name: 'Back' }).click();
        const agent = await makeAgent(sb.url, await login(sb.url), { skills: [{ skill: 'english', level: 8 }] });
        await chatWithAgent(frame, sb.url, agent);
        await frame.getByRole('button', { name: 'End chat' }).click();
        await frame.getByRole('alertdialog').waitFor();
        await expectAccessible(page, `chat in ${colour}`);
        // Measured here too, so that a button axe could not judge cannot slip through.
        const measured = [...(await page.evaluate(RATIOS, 'button')), ...(await widgetFrame(page).evaluate(RATIOS, '.sb-header, .sb-primary'))];
        expect(measured.map(([what]) => what)).to.include.members(['BUTTON', 'sb-header', 'sb-send sb-primary', 'sb-primary sb-confirm-yes']);
        for (const [what, ratio] of measured) expect(ratio, what).to.be.at.least(4.5);
        agent.socket.close();
      } finally {
        await page.close();
        await site.close();
        await sb.stop();
      }
    });
  }
});
