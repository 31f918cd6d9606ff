// After the chat: the agent closes it with a disposition (the wrap-up countdown shows in every
// tab, from the status the server pushes), finds it again in History, reads it read-only with the
// note set apart, and downloads the PDF transcript, whose text (pdftotext) holds the messages.
// The with-attachments transcript is offered to supervisors only, and refused to agents. What the
// visitor typed (an XSS payload list) shows as text in the chat and in History.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, screenshotPath, startServer, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';

const { startChat, command, cid } = await import(path.join(REPO, 'server/dist/test/chat.js'));

const CHIARA = { username: 'chiara', password: 'correct-horse-battery', name: 'Chiara Bianchi', role: 'agent' };
const SARA = { username: 'sara', password: 'correct-horse-battery', name: 'Sara Conti', role: 'supervisor' };
type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
// wfuzz's XSS list (Debian package wfuzz), as the offers test uses it: the visitor types them all.
const XSS = readFileSync(new URL('./fixtures/xss-wfuzz.txt', import.meta.url), 'utf8').split('\n').filter((l) => l !== '');
const MARKUP = ':is(img, script, iframe, svg, object, embed, style, link, video, audio, form, input:not([type=search]):not([type=date]))';

/** The text of a PDF: pdfkit writes glyph ids, so only an extraction step can read the words. */
function pdfText(file: string): string {
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

describe('history and the PDF transcript (Chromium against a real server)', function () {
  this.timeout(90_000);
  let server: E2eServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let interactionId: string;
  const errors: string[] = [];
  const downloads = mkdtempSync(path.join(tmpdir(), 'sb-history-'));
  const dialogs: string[] = [];

  const signIn = async (ctx: BrowserContext, who: typeof CHIARA) => {
    const p = await ctx.newPage();
    p.on('pageerror', (e) => errors.push(`${who.username}: ${e.message}`));
    p.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    await logInOnScreen(p, server.url, who);
    return p;
  };

  before(async () => {
    server = await startServer(alwaysOpen());
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    for (const a of [CHIARA, SARA]) {
      const r = await api(server.url, 'POST', '/api/agents', { ...a, skills: [{ skill: 'english', level: 8 }] }, admin);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    }
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await signIn(context, CHIARA);
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.locator('[data-test=state-current]').click();
    await page.locator('[data-test=set-available]').click();
    await page.locator('[data-test=state-current][data-state=available]').waitFor();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('closes a chat with a disposition; the wrap-up countdown shows in a second tab too', async () => {
    const visitor: { interactionId: string; socket: { next(p: (m: Msg) => boolean): Promise<Msg> } } = await startChat(server.url);
    interactionId = visitor.interactionId;
    await page.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click();
    await page.locator('[data-test=chat-log]').waitFor();
    const v = await command(visitor.socket, { type: 'chat.send', interactionId, clientMessageId: cid(), body: 'PARCEL-4471 has not arrived' });
    expect(v.type, JSON.stringify(v)).to.equal('chat.ack');
    await page.locator('[data-test=chat-line][data-kind=visitor]', { hasText: 'PARCEL-4471' }).waitFor();
    // Then everything on an XSS payload list: lines on the desktop, and later in History, as text.
    for (const body of XSS) {
      const r = await command(visitor.socket, { type: 'chat.send', interactionId, clientMessageId: cid(), body });
      expect(r.type, JSON.stringify(r)).to.equal('chat.ack');
    }
    const bodies = page.locator('[data-test=chat-line][data-kind=visitor] [data-test=chat-body]');
    await bodies.nth(XSS.length).waitFor();
    const shown = await bodies.allTextContents();
    for (const p of XSS) expect(shown, p).to.include(p);
    expect(await page.locator(`[data-test=chat-log] ${MARKUP}`).count()).to.equal(0);
    await page.locator('[data-test=chat-input]').fill('A new parcel leaves today');
    await page.locator('[data-test=chat-input]').press('Enter');
    await visitor.socket.next((m) => m.type === 'chat.message' && m.message.body === 'A new parcel leaves today');
    await page.locator('[data-test=mode-note]').click();
    await page.locator('[data-test=chat-input]').fill('NOTE-HISTORY second parcel this month');
    await page.locator('[data-test=chat-input]').press('Enter');
    await page.locator('[data-test=chat-line][data-kind=note]', { hasText: 'NOTE-HISTORY' }).waitFor();
    // Stored before the chat closes (the note went by socket, the close goes by HTTP).
    for (let stored = false; !stored; ) {
      const r = await page.request.get(`${server.url}/api/chats/${interactionId}/messages`);
      stored = JSON.stringify(await r.json()).includes('NOTE-HISTORY');
    }

    // A second tab of the same browser: the session cookie opens the desktop directly.
    const second = await context.newPage();
    second.on('pageerror', (e) => errors.push(`second tab: ${e.message}`));
    await second.goto(server.url + '/');
    await second.locator('[data-test=connection][data-state=online]').waitFor();
    await second.locator(`[data-test=interaction][data-interaction="${interactionId}"]`).waitFor();
    // Alt+D opens the wrap-up reasons, as the Close & dispose tooltip says.
    await page.locator('[data-test=chat-input]').focus();
    await page.keyboard.press('Alt+D');
    await page.locator('[data-test=disposition-search]').fill('reso');
    await page.locator('[data-test=dispose-resolved]').click();
    await page.locator(`[data-test=interaction][data-interaction="${interactionId}"]`).waitFor({ state: 'detached' });
    // Both tabs count down the same wrap-up (the status carries its end): "0:2x left" of 30 s.
    for (const p of [page, second]) {
      await p.locator('[data-test=state-current][data-state=wrap-up]').waitFor();
      const left = (await p.locator('[data-test=wrap-up-left]').textContent())?.trim();
      expect(left).to.match(/^0:[0-3]\d left$/);
    }
    await second.close();
  });

  it('finds the chat in History and shows it read-only, the note set apart and the disposition given', async () => {
    await page.locator('[data-test=nav-history]').click();
    await page.locator('[data-test=history-q]').fill('Ada Visitor');
    await page.locator('[data-test=history-search]').click();
    const item = page.locator(`[data-test=history-item][data-interaction="${interactionId}"]`);
    await item.waitFor();
    expect(await item.textContent()).to.contain('Chiara Bianchi');
    // A search that matches nothing says so.
    await page.locator('[data-test=history-channel]').selectOption('mail');
    await page.locator('[data-test=history-search]').click();
    await page.locator('[data-test=history-empty]').waitFor();
    await page.locator('[data-test=history-channel]').selectOption('chat');
    await page.locator('[data-test=history-search]').click();
    await item.click();
    const record = page.locator(`[data-test=history-record][data-interaction="${interactionId}"]`);
    await record.waitFor();
    await record.locator('[data-test=history-line][data-kind=visitor]', { hasText: 'PARCEL-4471 has not arrived' }).waitFor();
    await record.locator('[data-test=history-line][data-kind=agent]', { hasText: 'A new parcel leaves today' }).waitFor();
    const note = record.locator('[data-test=history-line][data-kind=note]', { hasText: 'NOTE-HISTORY' });
    expect(await note.locator('.note-label').textContent()).to.equal('Internal note');
    expect(await record.locator('[data-test=history-disposition]').textContent()).to.equal('Resolved');
    const lines = await record.locator('[data-test=history-line][data-kind=visitor] .body').allTextContents();
    for (const p of XSS) expect(lines, p).to.include(p);
    expect(await record.locator(MARKUP).count()).to.equal(0);
    expect(dialogs).to.deep.equal([]);
    // Read-only: nothing to write with.
    expect(await record.locator('textarea, [data-test=chat-input]').count()).to.equal(0);
    // A plain agent may not export the files: the option is not offered.
    expect(await record.locator('[data-test=transcript-pdf-files]').count()).to.equal(0);
    await page.screenshot({ path: screenshotPath('history') });
    await expectAccessible(page, 'history');
  });

  it('downloads the PDF transcript, which contains the messages (and the note, marked)', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=transcript-pdf]').click()]);
    expect(download.suggestedFilename()).to.equal(`transcript-${interactionId}.pdf`);
    const file = path.join(downloads, 'plain.pdf');
    await download.saveAs(file);
    expect(readFileSync(file).subarray(0, 5).toString()).to.equal('%PDF-');
    const text = pdfText(file);
    expect(text).to.contain('PARCEL-4471 has not arrived');
    expect(text).to.contain('A new parcel leaves today');
    expect(text).to.contain('NOTE-HISTORY second parcel this month');
    // The agent cannot get the files either by asking the server directly.
    const r = await page.request.get(`${server.url}/api/history/interactions/${interactionId}/transcript.pdf?attachments=1`);
    expect(r.status()).to.equal(403);
  });

  it('offers a supervisor the transcript with attachments as well', async () => {
    const ctx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const sara = await signIn(ctx, SARA);
    await sara.locator('[data-test=nav-history]').click();
    // Supervisors see every interaction, including the ones they never handled.
    await sara.locator(`[data-test=history-item][data-interaction="${interactionId}"]`).click();
    const withFiles = sara.locator('[data-test=transcript-pdf-files]');
    await withFiles.waitFor();
    const [download] = await Promise.all([sara.waitForEvent('download'), withFiles.click()]);
    const file = path.join(downloads, 'files.pdf');
    await download.saveAs(file);
    expect(pdfText(file)).to.contain('PARCEL-4471 has not arrived');
    await ctx.close();
  });

  it('finds a contact made through the API in Contacts, by keyboard, for a supervisor and not for an agent it is out of sight of', async () => {
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const name = '<img src=x onerror=alert(1)>Lucia Marchetti-E2E';
    const made = await api(server.url, 'POST', '/api/contacts', { name, email: 'lucia.e2e@example.com', phone: '+39 06 5550 1234' }, admin);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const ctx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } });
    const sara = await signIn(ctx, SARA);
    await sara.locator('[data-test=nav-contacts]').click();
    await sara.locator('[data-test=contacts-q]').fill('Marchetti-E2E');
    await sara.locator('[data-test=contacts-q]').press('Enter');
    const item = sara.locator(`[data-test=contacts-item][data-contact="${made.body.contact.id}"]`);
    await item.waitFor();
    expect(await item.locator('[data-test=contacts-name]').textContent()).to.equal(name);
    expect(await item.locator('[data-test=contacts-email]').textContent()).to.equal('lucia.e2e@example.com');
    expect(await sara.locator('[data-test=contacts-results]').locator(MARKUP).count()).to.equal(0);
    await item.focus();
    await sara.keyboard.press('Enter');
    expect(await sara.locator('[data-test=contact-phone-value]').textContent()).to.equal('+39 06 5550 1234');
    await sara.locator('[data-test=journey-empty]').waitFor();
    await expectAccessible(sara, 'contacts');
    await ctx.close();
    // The agent's scope (security.contacts: the contacts of interactions they handled or could take)
    // leaves out a contact no interaction has; their chat's visitor is there, with that chat in the journey.
    await page.locator('[data-test=nav-contacts]').click();
    await page.locator('[data-test=contacts-q]').fill('Marchetti-E2E');
    await page.locator('[data-test=contacts-q]').press('Enter');
    await page.locator('[data-test=contacts-empty]').waitFor();
    await page.locator('[data-test=contacts-q]').fill('Ada Visitor');
    await page.locator('[data-test=contacts-q]').press('Enter');
    await page.locator('[data-test=contacts-item]', { hasText: 'Ada Visitor' }).first().click();
    await page.locator('[data-test=journey-entry]').first().waitFor();
    expect(dialogs).to.deep.equal([]);
  });
});
