// The path end to end, with the real widget: a visitor on a website (a second browser
// context, the widget's loader and frame) starts a chat; the offer appears on the agent's
// desktop; they talk both ways with double checks on both sides; a note never reaches the widget;
// the chat is transferred to a second agent, who closes it with a disposition; the PDF transcript
// downloads and its text holds the conversation.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, freePort, launchChromium, logInOnScreen, login, serveShop, startServer, type E2eServer } from './harness.ts';

const CHIARA = { username: 'chiara', password: 'correct-horse-battery', name: 'Chiara Bianchi', role: 'agent' };
const BRUNO = { username: 'bruno', password: 'correct-horse-battery', name: 'Bruno Galli', role: 'agent' };

describe('from the website’s widget to the desktop and back (two agents, a visitor, a real server)', function () {
  this.timeout(120_000);
  let server: E2eServer;
  let site: { close(): Promise<void> } | undefined;
  let siteOrigin: string;
  let browser: Browser;
  let chiara: Page;
  let bruno: Page;
  let visitorPage: Page;
  let widget: FrameLocator;
  let interactionId: string;
  const errors: string[] = [];

  const open = async (who: typeof CHIARA, available: boolean) => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`${who.username}: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    await logInOnScreen(page, server.url, who);
    if (available) {
      await page.locator('[data-test=state-current]').click();
      await page.locator('[data-test=set-available]').click();
      await page.locator('[data-test=state-current][data-state=available]').waitFor();
    }
    return page;
  };

  before(async () => {
    const port = await freePort();
    siteOrigin = `http://127.0.0.1:${port}`;
    server = await startServer({ ...alwaysOpen(), 'websites/example.yaml:origins': [siteOrigin] });
    // The website: one page with the snippet an administrator pastes.
    site = await serveShop(port, server.url);
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    for (const a of [CHIARA, BRUNO]) {
      const r = await api(server.url, 'POST', '/api/agents', { ...a, skills: [{ skill: 'english', level: 8 }] }, admin);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    }
    browser = await launchChromium();
    chiara = await open(CHIARA, true);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await site?.close();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('offers the widget’s chat to the Available agent, who accepts it', async () => {
    visitorPage = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    visitorPage.on('pageerror', (e) => errors.push(`visitor: ${e.message}`));
    await visitorPage.goto(siteOrigin + '/');
    await visitorPage.locator('[data-switchboard-widget] button').click();
    widget = visitorPage.frameLocator('[data-switchboard-widget] iframe');
    await widget.getByRole('button', { name: 'Chat' }).click();
    await widget.getByLabel('Name').fill('Grace Visitor');
    await widget.getByLabel('Email').fill('grace@example.com');
    await widget.getByLabel('I accept the privacy policy').check();
    await widget.getByLabel('Where is my order?').check();
    await widget.getByRole('button', { name: 'Start chat' }).click();

    const offer = chiara.locator('[data-test=offer]');
    await offer.waitFor({ timeout: 20_000 });
    expect(await offer.textContent()).to.contain('Grace Visitor');
    await offer.getByRole('button', { name: 'Accept' }).click();
    const row = chiara.locator('[data-test=interaction][aria-selected=true]');
    await row.waitFor();
    interactionId = (await row.getAttribute('data-interaction'))!;
    await widget.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();
  });

  it('carries lines both ways with double checks on both sides, and never shows the widget a note', async () => {
    const input = widget.getByLabel('Type a message');
    await input.fill('WIDGET-1 my order 5521 is late');
    await input.press('Enter');
    await chiara.locator('[data-test=chat-line][data-kind=visitor]', { hasText: 'WIDGET-1' }).waitFor();
    // The agent has it on screen: the visitor's line gets its second check.
    await widget.locator('.sb-line.sb-visitor', { hasText: 'WIDGET-1' }).locator('.sb-delivered').waitFor();

    await chiara.locator('[data-test=mode-note]').click();
    await chiara.locator('[data-test=chat-input]').fill('WIDGET-NOTE check the courier');
    await chiara.locator('[data-test=chat-input]').press('Enter');
    await chiara.locator('[data-test=chat-line][data-kind=note]', { hasText: 'WIDGET-NOTE' }).waitFor();
    await chiara.locator('[data-test=mode-reply]').click();
    await chiara.locator('[data-test=chat-input]').fill('DESK-1 I am checking with the courier');
    await chiara.locator('[data-test=chat-input]').press('Enter');
    await widget.locator('.sb-line.sb-agent', { hasText: 'DESK-1' }).waitFor();
    await chiara.locator('[data-test=chat-line][data-kind=agent]', { hasText: 'DESK-1' }).locator('[data-test=chat-state][data-state=delivered]').waitFor();
    // The note was written before the reply the widget shows: it would be there by now.
    expect(await widget.locator('.sb-line', { hasText: 'WIDGET-NOTE' }).count()).to.equal(0);
  });

  it('transfers the chat to a second agent, who answers the visitor', async () => {
    bruno = await open(BRUNO, true);
    await chiara.locator('[data-test=handover]').click();
    await chiara.locator('[data-test=handover-panel] li[data-agent]', { hasText: 'Bruno Galli' }).locator('[data-test=to-agent]').click();
    const offer = bruno.locator('[data-test=offer]');
    await offer.waitFor();
    await offer.getByRole('button', { name: 'Accept' }).click();
    await chiara.locator(`[data-test=interaction][data-interaction="${interactionId}"]`).waitFor({ state: 'detached' });
    await bruno.locator('[data-test=chat-line][data-kind=visitor]', { hasText: 'WIDGET-1' }).waitFor();
    await bruno.locator('[data-test=chat-input]').fill('DESK-2 Bruno here, a new parcel leaves today');
    await bruno.locator('[data-test=chat-input]').press('Enter');
    await widget.locator('.sb-line.sb-agent', { hasText: 'DESK-2' }).waitFor();
  });

  it('wraps up with a disposition, and the PDF transcript downloads with the messages in it', async () => {
    await bruno.locator('[data-test=close-dispose]').click();
    await bruno.locator('[data-test=dispose-resolved]').click();
    await bruno.locator('[data-test=state-current][data-state=wrap-up]').waitFor();
    await widget.getByRole('heading', { name: 'The chat has ended.' }).waitFor();

    await bruno.locator('[data-test=nav-history]').click();
    await bruno.locator(`[data-test=history-item][data-interaction="${interactionId}"]`).click();
    await bruno.locator('[data-test=history-disposition]', { hasText: 'Resolved' }).waitFor();
    const [download] = await Promise.all([bruno.waitForEvent('download'), bruno.locator('[data-test=transcript-pdf]').click()]);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sb-transcript-')), 'transcript.pdf');
    await download.saveAs(file);
    // pdfkit writes glyph ids, not words: read it the way a person's PDF viewer would.
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    for (const line of ['WIDGET-1 my order 5521 is late', 'DESK-1 I am checking with the courier', 'DESK-2 Bruno here, a new parcel leaves today']) expect(text).to.contain(line);
  });
});
