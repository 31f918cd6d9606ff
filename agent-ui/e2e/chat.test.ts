// Chat from the agent's chair: a visitor (the widget's HTTP and WebSocket API, driven from the
// test) starts a chat, the agent accepts it and they talk both ways with checks; an internal note
// never reaches the visitor; canned replies and the reserved < > characters; unread counts; emoji;
// files (reviewed before sending, the server's size limit, progress and cancel, the download).
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, screenshotPath, startServer, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';

const chatTesting = await import(path.join(REPO, 'server/dist/test/chat.js'));
const { startChat, command, cid } = chatTesting;

const AGENT = { username: 'chiara', password: 'correct-horse-battery', name: 'Chiara Bianchi' };
type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Visitor = { interactionId: string; token: string; socket: { messages: Msg[]; next(pred: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg>; close?(): void } };

describe('chat (Chromium against a real server, Prosody relay, visitor through the widget API)', function () {
  this.timeout(90_000);
  let server: E2eServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    // A small file limit, so that "too large" takes a few kilobytes.
    server = await startServer({ ...alwaysOpen(), 'websites/example.yaml:uploads.maxFileBytes': 600_000 });
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...AGENT, role: 'agent', skills: [{ skill: 'english', level: 8 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    await logInOnScreen(page, server.url, AGENT);
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

  const line = (kind: string, text: string) => page.locator(`[data-test=chat-line][data-kind=${kind}]`, { hasText: text });
  const input = () => page.locator('[data-test=chat-input]');
  let visitor: Visitor;
  let second: Visitor;

  it('takes a chat from the offer and talks both ways; the reply gets its double check once the visitor sees it', async () => {
    visitor = await startChat(server.url);
    await page.locator('[data-test=offer]').waitFor({ timeout: 20_000 });
    await page.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click();
    await page.locator('[data-test=chat-log]').waitFor();
    // The bot's welcome and the join line are already there.
    await page.locator('[data-test=chat-line]', { hasText: 'An agent will look up your order' }).waitFor();

    const v1 = await command(visitor.socket, { type: 'chat.send', interactionId: visitor.interactionId, clientMessageId: cid(), body: 'Hello, my parcel is late' });
    expect(v1.type, JSON.stringify(v1)).to.equal('chat.ack');
    await line('visitor', 'Hello, my parcel is late').waitFor();
    // On screen means read: the visitor's line is confirmed delivered to the visitor.
    await visitor.socket.next((m) => m.type === 'chat.delivery' && m.messageIds.includes(v1.message.id) && m.state === 'delivered');

    await input().fill('Let me check that for you');
    await input().press('Enter');
    expect(await input().inputValue()).to.equal('');
    const mine = line('agent', 'Let me check that for you');
    await mine.waitFor();
    await mine.locator('[data-test=chat-state][data-state=sent]').waitFor();
    const got = await visitor.socket.next((m) => m.type === 'chat.message' && m.message.body === 'Let me check that for you');
    expect(got.message.authorKind).to.equal('agent');
    // The visitor's screen confirms it: two checks for the agent.
    visitor.socket.messages.length = 0;
    await command(visitor.socket, { type: 'chat.received', interactionId: visitor.interactionId, messageIds: [got.message.id] });
    await mine.locator('[data-test=chat-state][data-state=delivered]').waitFor();
    expect(await mine.locator('[data-test=chat-state]').textContent()).to.equal('✓✓');
  });

  it('keeps an internal note on the agent side, styled as a note, and never sends it to the visitor', async () => {
    await page.locator('[data-test=mode-note]').click();
    await input().fill('NOTE-ONLY customer already called twice');
    await input().press('Enter');
    const note = line('note', 'NOTE-ONLY customer already called twice');
    await note.waitFor();
    expect(await note.locator('.note-label').textContent()).to.equal('Internal note');
    await page.locator('[data-test=mode-reply]').click();
    // A later line reaches the visitor: had the note been sent, it would have arrived first.
    await input().fill('Found it: it leaves today');
    await input().press('Enter');
    await visitor.socket.next((m) => m.type === 'chat.message' && m.message.body === 'Found it: it leaves today');
    expect(JSON.stringify(visitor.socket.messages)).to.not.include('NOTE-ONLY');
    await page.screenshot({ path: screenshotPath('chat') });
    await expectAccessible(page, 'chat');
  });

  it('refuses typed < and > (saying why), fills canned replies, and will not send a placeholder left in', async () => {
    await input().fill('');
    await input().pressSequentially('a<b>c');
    expect(await input().inputValue()).to.equal('abc');
    expect(await page.locator('[data-test=chat-hint]').textContent()).to.contain('cannot be typed');
    await input().fill('');

    await page.locator('[data-test=canned]').click();
    await expectAccessible(page, 'canned replies');
    await page.locator('[data-test=canned-greet]').click();
    // <customer> is the visitor's name from the pre-chat form, <agent> ours.
    expect(await input().inputValue()).to.equal('Hello Ada Visitor, I am Chiara Bianchi. How can I help you?');
    await input().fill('');
    await page.locator('[data-test=canned]').click();
    await page.locator('[data-test=canned-order]').click();
    expect(await input().inputValue()).to.equal('Could you give me your order number, please? It starts with <letter>.');
    await input().press('Enter');
    // The hint is already a warning (about the brackets): wait for the placeholder one.
    await page.locator('[data-test=chat-hint].warn', { hasText: 'Replace the highlighted' }).waitFor();
    expect(await input().inputValue()).to.contain('<letter>');
    // The placeholder is selected: typing replaces it.
    await input().pressSequentially('A');
    expect(await input().inputValue()).to.equal('Could you give me your order number, please? It starts with A.');
    await input().press('Enter');
    await visitor.socket.next((m) => m.type === 'chat.message' && m.message.body === 'Could you give me your order number, please? It starts with A.');
  });

  it('counts unread lines of a chat that is not on screen, and clears them when the agent opens it', async () => {
    second = await startChat(server.url);
    await page.locator('[data-test=offer]').waitFor({ timeout: 20_000 });
    await page.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click();
    await page.locator(`[data-test=interaction][data-interaction="${second.interactionId}"][aria-selected=true]`).waitFor();
    // Back to the first chat; the second one's visitor writes twice.
    await page.locator(`[data-test=interaction][data-interaction="${visitor.interactionId}"]`).click();
    await page.locator(`[data-test=interaction][data-interaction="${visitor.interactionId}"][aria-selected=true]`).waitFor();
    for (const body of ['Are you there?', 'Hello?']) {
      const r = await command(second.socket, { type: 'chat.send', interactionId: second.interactionId, clientMessageId: cid(), body });
      expect(r.type, JSON.stringify(r)).to.equal('chat.ack');
    }
    const badge = page.locator(`[data-test=interaction][data-interaction="${second.interactionId}"] [data-test=unread]`);
    await badge.filter({ hasText: '2' }).waitFor();
    expect(await badge.getAttribute('aria-label')).to.equal('2 unread');
    // Both chats are open as tabs; the other one's tab carries its count, and opens it.
    const tab = page.locator(`[data-test=tab][data-tab="${second.interactionId}"]`);
    expect(await tab.locator('[data-test=tab-unread]').textContent()).to.equal('2');
    expect(await page.locator(`[data-test=tab][data-tab="${visitor.interactionId}"] [data-test=tab-open]`).getAttribute('aria-current')).to.equal('true');
    await tab.locator('[data-test=tab-open]').click();
    await line('visitor', 'Hello?').waitFor();
    await badge.waitFor({ state: 'detached' });
    await tab.locator('[data-test=tab-unread]').waitFor({ state: 'detached' });
    await second.socket.next((m) => m.type === 'chat.delivery' && m.state === 'delivered');
  });

  it('shows the contact from the pre-chat form, saves an edit, refuses a bad phone, and lists the earlier chat in the journey', async () => {
    // The second chat (same visitor email, so the same contact) is on screen from the last test.
    const contact = page.locator('[data-test=contact]');
    await contact.locator('[data-test=contact-email-value]', { hasText: 'ada@example.com' }).waitFor();
    expect(await contact.locator('[data-test=contact-name-value]').textContent()).to.equal('Ada Visitor');
    const entries = page.locator('[data-test=journey-entry]');
    await entries.first().waitFor();
    expect(await entries.count()).to.equal(1);
    expect(await entries.first().textContent()).to.contain('Chat form sent');

    await contact.locator('[data-test=contact-edit]').click();
    await contact.locator('[data-test=contact-phone]').fill('not a phone');
    await contact.locator('[data-test=contact-save]').click();
    await contact.locator('[data-test=contact-phone-error]').waitFor();
    await contact.locator('[data-test=contact-phone]').fill('+39 02 555 0101');
    await contact.locator('[data-test=contact-name]').fill('Ada V. Lovelace');
    await contact.locator('[data-test=contact-save]').click();
    await contact.locator('[data-test=contact-phone-value]', { hasText: '+39 02 555 0101' }).waitFor();
    expect(await contact.locator('[data-test=contact-name-value]').textContent()).to.equal('Ada V. Lovelace');
    await page.screenshot({ path: screenshotPath('context') });
    await expectAccessible(page, 'context sidebar');
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const found = await api(server.url, 'GET', '/api/contacts?q=ada%40example.com', undefined, admin);
    expect(found.body.contacts.map((c: { name: string; phone: string }) => [c.name, c.phone])).to.deep.equal([['Ada V. Lovelace', '+39 02 555 0101']]);
  });

  it('inserts an emoji from the picker where the cursor is, and the visitor gets it', async () => {
    await input().fill('Thanks ');
    await page.locator('[data-test=emoji]').click();
    await page.locator('[data-test=emoji-picker]').waitFor();
    await expectAccessible(page, 'emoji picker');
    await page.locator('[data-test=emoji-picker] [data-emoji="👍"]').click();
    await page.locator('[data-test=emoji-picker]').waitFor({ state: 'detached' });
    expect(await input().inputValue()).to.equal('Thanks 👍');
    await input().press('Enter');
    await line('agent', 'Thanks 👍').waitFor();
    await second.socket.next((m) => m.type === 'chat.message' && m.message.body === 'Thanks 👍');
  });

  it('sends files after review: one removed, one over the limit refused with the server’s reason, the rest delivered and downloadable', async () => {
    const files = page.locator('[data-test=pending-file]');
    await page.locator('[data-test=file-input]').setInputFiles([
      { name: 'order-details.txt', mimeType: 'text/plain', buffer: Buffer.from('Order 4471: two parcels\n') },
      { name: 'not-this-one.txt', mimeType: 'text/plain', buffer: Buffer.from('wrong file\n') },
      { name: 'huge-log.txt', mimeType: 'text/plain', buffer: Buffer.alloc(700_000, 'a') },
    ]);
    await files.nth(2).waitFor();
    expect(await files.count()).to.equal(3);
    await files.filter({ hasText: 'not-this-one.txt' }).locator('[data-test=file-remove]').click();
    await files.filter({ hasText: 'not-this-one.txt' }).waitFor({ state: 'detached' });
    expect(await files.count()).to.equal(2);

    await input().fill('FILES-LINE the details are attached');
    await input().press('Enter');
    const huge = files.filter({ hasText: 'huge-log.txt' });
    await huge.locator('[data-test=file-error]').waitFor();
    expect(await huge.locator('[data-test=file-error]').textContent()).to.contain('larger than');
    await page.locator('[data-test=files-error]').waitFor();
    // Nothing went out: the text waits with the files.
    expect(await input().inputValue()).to.equal('FILES-LINE the details are attached');
    expect(await line('agent', 'FILES-LINE').count()).to.equal(0);

    await huge.locator('[data-test=file-remove]').click();
    await input().press('Enter');
    const sent = line('agent', 'FILES-LINE the details are attached');
    await sent.waitFor();
    await files.first().waitFor({ state: 'detached' });
    const link = sent.locator('[data-test=chat-file]');
    await link.waitFor();
    expect(await link.textContent()).to.contain('order-details.txt');
    const r = await page.request.get(server.url + (await link.getAttribute('href')));
    expect(r.status()).to.equal(200);
    expect(await r.text()).to.equal('Order 4471: two parcels\n');
    const got = await second.socket.next((m) => m.type === 'chat.message' && m.message.body === 'FILES-LINE the details are attached');
    expect(got.message.attachments.map((a: { fileName: string }) => a.fileName)).to.deep.equal(['order-details.txt']);
  });

  it('shows upload progress and cancels an upload: nothing is sent and the file stays for later', async () => {
    // A slow uplink, so that the upload is still running when Cancel is clicked.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 40_000 });
    try {
      await page.locator('[data-test=file-input]').setInputFiles([{ name: 'slow.txt', mimeType: 'text/plain', buffer: Buffer.alloc(500_000, 'b') }]);
      await input().fill('CANCELLED-LINE never sent');
      await input().press('Enter');
      await page.locator('[data-test=upload-progress]').waitFor();
      await page.locator('[data-test=upload-cancel]').click();
      const file = page.locator('[data-test=pending-file][data-state=ready]', { hasText: 'slow.txt' });
      await file.waitFor();
      expect(await input().inputValue()).to.equal('CANCELLED-LINE never sent');
      expect(await line('agent', 'CANCELLED-LINE').count()).to.equal(0);
      await file.locator('[data-test=file-remove]').click();
      await input().fill('');
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    }
  });
});
