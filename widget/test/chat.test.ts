// Live chat from the website's page to an agent's desktop socket, through the real server and
// Prosody: the pre-chat form's warnings, the queue, lines both ways with checks and typing,
// files within the website's limits, the end with confirmation, and "Start chat" again.
import { expect } from 'chai';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { accept, api, cid, entity, eventually, fillChatForm, setState, command, hostSite, launchChromium, login, makeAgent, nextOffer, openWidget, smtpSink, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';
import { expectAccessible } from './axe.ts';

const files = mkdtempSync(path.join(os.tmpdir(), 'sb-widget-files-'));
function file(name: string, bytes: number): string {
  const p = path.join(files, name);
  writeFileSync(p, Buffer.alloc(bytes, 'a'));
  return p;
}

describe('widget: chat with an agent', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let page: Page;
  let admin: string;
  let mail: Awaited<ReturnType<typeof smtpSink>>;
  before(async () => {
    mail = await smtpSink();
    sb = await startSwitchboard({ 'switchboard.yaml:smtp.port': mail.port });
    site = await hostSite(sb.url);
    browser = await launchChromium();
    admin = await login(sb.url);
  });
  beforeEach(async () => {
    page = await browser.newPage({ locale: 'en-GB' });
  });
  afterEach(() => page.close());
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
    await mail?.close();
  });

  it('refuses an empty name and email with visible warnings', async () => {
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const warnings = await frame.locator('.sb-warn:visible').allTextContents();
    expect(warnings).to.include('Please fill in this field.');
    expect(warnings).to.include('Please accept to continue.');
    expect(await frame.getByLabel('Name').getAttribute('aria-invalid')).to.equal('true');
    expect(await frame.getByLabel('Email').getAttribute('aria-invalid')).to.equal('true');
    await frame.getByLabel('Email').fill('not an email');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    expect(await frame.locator('.sb-warn:visible').allTextContents()).to.include('Please enter a valid email address.');
    await expectAccessible(page, 'chat form');
  });

  it('reaches an agent: lines both ways with checks and typing, ends with confirmation and starts again', async () => {
    const agent = await makeAgent(sb.url, admin, { skills: [{ skill: 'english', level: 8 }] });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    await fillChatForm(frame);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await frame.locator('.sb-line.sb-bot', { hasText: 'Thanks! An agent will look up your order.' }).waitFor();
    const offer = await nextOffer(agent);
    expect((await accept(sb.url, agent, offer.offerId)).status).to.equal(200);
    await frame.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();

    const input = frame.getByLabel('Type a message');
    await input.fill('Hello, where is my order?');
    await input.press('Enter');
    const got = await agent.socket.next((m: any) => m.type === 'chat.message' && m.message.body === 'Hello, where is my order?', 30_000);
    expect(got.message.authorName).to.equal('Ada Visitor');
    const mine = frame.locator('.sb-line.sb-visitor', { hasText: 'Hello, where is my order?' });
    await mine.locator('.sb-sent').waitFor();
    await command(agent.socket, { type: 'chat.received', interactionId: offer.interactionId, messageIds: [got.message.id] });
    await mine.locator('.sb-delivered').waitFor();
    expect(await mine.locator('.sb-status').textContent()).to.equal('\u2713\u2713');

    await command(agent.socket, { type: 'chat.typing', interactionId: offer.interactionId, state: 'composing' });
    await frame.locator('.sb-typing', { hasText: 'is typing' }).waitFor();
    const sent = await command(agent.socket, { type: 'chat.send', interactionId: offer.interactionId, clientMessageId: cid(), body: 'It ships today.' });
    await frame.locator('.sb-line.sb-agent', { hasText: 'It ships today.' }).waitFor();
    // The widget confirms it showed the agent's line: the agent gets the double check.
    const delivered = await agent.socket.next((m: any) => m.type === 'chat.delivery' && m.messageIds.includes(sent.message.id), 30_000);
    expect(delivered.state).to.equal('delivered');
    await expectAccessible(page, 'chat');

    await frame.getByRole('button', { name: 'End chat' }).click();
    await frame.getByRole('alertdialog').waitFor();
    await expectAccessible(page, 'end confirmation');
    await frame.getByRole('button', { name: 'No' }).click();
    expect(await frame.getByRole('alertdialog').count()).to.equal(0);
    await frame.getByRole('button', { name: 'End chat' }).click();
    await frame.getByRole('button', { name: 'Yes, end it' }).click();
    await frame.getByRole('heading', { name: 'The chat has ended.' }).waitFor();
    await expectAccessible(page, 'chat ended');
    const Interaction = await entity('Interaction', 'modules/interactions/interaction.entity.js');
    const closed = await sb.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: offer.interactionId });
    expect(closed.state).to.equal('closed');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await frame.getByLabel('Name').waitFor();
    agent.socket.close();
  });

  it('shows a line that could not be sent in the red strip at the top, and Retry sends it', async () => {
    // The network loses the visitor's lines (the socket stays up, nothing is acknowledged).
    let lose = false;
    await page.routeWebSocket(/\/ws\/widget/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        if (lose && JSON.parse(String(m)).type === 'chat.send') return;
        server.send(m);
      });
      server.onMessage((m) => ws.send(m));
    });
    const agent = await makeAgent(sb.url, admin, { skills: [{ skill: 'english', level: 8 }] });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    await fillChatForm(frame);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const offer = await nextOffer(agent);
    await accept(sb.url, agent, offer.offerId);
    await frame.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();
    lose = true;
    const input = frame.getByLabel('Type a message');
    await input.fill('Is anyone reading this?');
    await input.press('Enter');
    const strip = frame.locator('.sb-error[role=alert]');
    await strip.waitFor();
    expect(await strip.locator('span').textContent()).to.equal('Your message could not be sent.');
    await frame.locator('.sb-line.sb-visitor .sb-failed').waitFor();
    await expectAccessible(page, 'chat with a failed line');
    lose = false;
    await strip.getByRole('button', { name: 'Retry' }).click();
    await frame.locator('.sb-line.sb-visitor', { hasText: 'Is anyone reading this?' }).locator('.sb-sent, .sb-delivered').waitFor();
    expect(await strip.isVisible()).to.equal(false);
    expect(await frame.locator('.sb-line.sb-visitor', { hasText: 'Is anyone reading this?' }).count()).to.equal(1);
    // Stored once: the lost attempt never reached Switchboard, the retry did.
    const history = await api(sb.url, 'GET', `/api/chats/${offer.interactionId}/messages`, undefined, agent.token);
    expect(history.body.messages.filter((m: any) => m.body === 'Is anyone reading this?').map((m: any) => m.authorKind)).to.deep.equal(['visitor']);
    await command(agent.socket, { type: 'interaction.close', interactionId: offer.interactionId });
    agent.socket.close();
  });

  it('keeps the chat across pages of the website: reopened with its history, lines still flow', async () => {
    const agent = await makeAgent(sb.url, admin, { skills: [{ skill: 'english', level: 8 }] });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    await fillChatForm(frame);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const offer = await nextOffer(agent);
    await accept(sb.url, agent, offer.offerId);
    const input = frame.getByLabel('Type a message');
    await input.fill('Before moving on');
    await input.press('Enter');
    await frame.locator('.sb-line.sb-visitor .sb-sent, .sb-line.sb-visitor .sb-delivered').first().waitFor();
    await page.goto(`${site.origin}/?page=2`);
    const again = page.frameLocator('[data-switchboard-widget] iframe');
    await again.locator('.sb-line.sb-visitor', { hasText: 'Before moving on' }).waitFor();
    expect(await page.locator('[data-switchboard-widget] button').getAttribute('aria-expanded')).to.equal('true');
    await command(agent.socket, { type: 'chat.send', interactionId: offer.interactionId, clientMessageId: cid(), body: 'Still here.' });
    await again.locator('.sb-line.sb-agent', { hasText: 'Still here.' }).waitFor();
    await again.getByRole('button', { name: 'End chat' }).click();
    await again.getByRole('button', { name: 'Yes, end it' }).click();
    await again.getByRole('heading', { name: 'The chat has ended.' }).waitFor();
    // Ended: the next page starts fresh.
    await page.goto(`${site.origin}/?page=3`);
    await page.frameLocator('[data-switchboard-widget] iframe').locator('.sb-channel-chat').waitFor();
    agent.socket.close();
  });

  it('shows the queue position until an agent takes the chat, and mails the transcript on request after the end', async () => {
    const agent = await makeAgent(sb.url, admin, { skills: [{ skill: 'english', level: 8 }], available: false });
    // Logged in but Not ready: the chat queues for them (with nobody logged in it would be unmanaged).
    await setState(sb.url, agent, 'not-ready', 'break');
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    await fillChatForm(frame);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await frame.locator('.sb-queue', { hasText: 'You are number 1 in the queue.' }).waitFor();
    await expectAccessible(page, 'chat waiting in the queue');
    await setState(sb.url, agent, 'available');
    const offer = await nextOffer(agent);
    await accept(sb.url, agent, offer.offerId);
    await frame.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();
    await frame.locator('.sb-queue').waitFor({ state: 'hidden' });
    // Escape first closes the confirmation only, then the whole widget.
    await frame.getByRole('button', { name: 'End chat' }).click();
    await frame.getByRole('alertdialog').press('Escape');
    expect(await frame.getByRole('alertdialog').count()).to.equal(0);
    expect(await page.locator('[data-switchboard-widget] button[aria-expanded="true"]').count()).to.equal(1);
    await frame.getByRole('button', { name: 'End chat' }).click();
    await frame.getByRole('button', { name: 'Yes, end it' }).click();
    await frame.getByRole('button', { name: 'Email me the transcript' }).click();
    expect(await frame.locator('.sb-transcript-sent').textContent()).to.equal('The transcript was sent to ada@example.com');
    // The transcript leaves through the mail queue: once the outbox has nothing of this chat left
    // to send, every copy it was going to send has reached the mail server; then count them.
    const OutgoingMail = await entity('OutgoingMail', 'modules/mail/outgoing-mail.entity.js');
    const outbox = () => sb.sb.kernel.db.getRepository(OutgoingMail).findBy({ interactionId: offer.interactionId, kind: 'transcript' }) as Promise<{ state: string }[]>;
    const rows = await eventually(outbox, (r: { state: string }[]) => r.length > 0 && r.every((m) => m.state !== 'queued'));
    expect(rows.map((m: { state: string }) => m.state)).to.deep.equal(['sent']);
    const transcripts = mail.mails.filter((m) => /^To: ada@example\.com/m.test(m) && /^Subject: Your chat with Example shop/m.test(m));
    expect(transcripts).to.have.length(1);
    await frame.getByRole('button', { name: 'Start chat' }).press('Escape');
    await page.locator('[data-switchboard-widget] button[aria-expanded="false"]').waitFor();
    agent.socket.close();
  });

  it('lets the visitor cancel an upload in progress and send it again', async () => {
    const agent = await makeAgent(sb.url, admin, { skills: [{ skill: 'english', level: 8 }] });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    await fillChatForm(frame);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const offer = await nextOffer(agent);
    await accept(sb.url, agent, offer.offerId);
    await frame.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();
    // Uploads hang until released, so the progress bar and its cancel button stay up.
    await page.route('**/files?name=*', () => undefined);
    await frame.locator('.sb-picker').setInputFiles(file('notes.txt', 2000));
    const input = frame.getByLabel('Type a message');
    await input.fill('See the notes');
    await input.press('Enter');
    await frame.getByRole('progressbar', { name: 'Uploading notes.txt' }).waitFor();
    await frame.getByRole('button', { name: 'Cancel' }).click();
    await frame.getByRole('progressbar').waitFor({ state: 'detached' });
    expect(await input.inputValue()).to.equal('See the notes');
    expect(await frame.locator('.sb-pending-file').count()).to.equal(1);
    expect(await frame.locator('.sb-line.sb-visitor').count()).to.equal(0);
    await page.unroute('**/files?name=*');
    await input.press('Enter');
    const got = await agent.socket.next((m: any) => m.type === 'chat.message' && m.message.body === 'See the notes', 30_000);
    expect(got.message.attachments.map((a: any) => a.fileName)).to.deep.equal(['notes.txt']);
    agent.socket.close();
  });

  it('keeps files within the limits with clear alerts, uploads with progress and gives download links', async () => {
    const agent = await makeAgent(sb.url, admin, { skills: [{ skill: 'english', level: 8 }] });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    await fillChatForm(frame);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const offer = await nextOffer(agent);
    await accept(sb.url, agent, offer.offerId);
    await frame.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();

    const picker = frame.locator('.sb-picker');
    await picker.setInputFiles(file('big.pdf', 5 * 1024 * 1024 + 1));
    expect(await frame.getByRole('alert').textContent()).to.contain('"big.pdf" is too big: at most 5.0 MB per file.');
    await picker.setInputFiles(file('tool.exe', 10));
    expect(await frame.getByRole('alert').textContent()).to.contain('"tool.exe" is not accepted');
    await picker.setInputFiles(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => file(`${n}.txt`, 100)));
    expect(await frame.getByRole('alert').textContent()).to.contain('At most 5 files at a time.');
    expect(await frame.locator('.sb-pending-file').count()).to.equal(5);
    // Review: remove four before sending.
    for (const n of ['b', 'c', 'd', 'e']) await frame.getByRole('button', { name: `Remove ${n}.txt` }).click();
    expect(await frame.locator('.sb-pending-file').count()).to.equal(1);
    const input = frame.getByLabel('Type a message');
    await input.fill('Here is the receipt');
    await input.press('Enter');
    const got = await agent.socket.next((m: any) => m.type === 'chat.message' && m.message.body === 'Here is the receipt', 30_000);
    expect(got.message.attachments.map((a: any) => a.fileName)).to.deep.equal(['a.txt']);
    const link = frame.getByRole('link', { name: 'Download a.txt' });
    await link.waitFor();
    const href = await link.getAttribute('href');
    const res = await fetch(new URL(href!, sb.url), { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(res.status).to.equal(200);
    expect((await res.arrayBuffer()).byteLength).to.equal(100);
    agent.socket.close();
  });
});

describe('widget: a chat form with every kind of field', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  const form = [
    { type: 'label', text: 'Tell us about you' },
    { type: 'text', name: 'name', label: 'Name', required: true, mapsTo: { contact: 'name' } },
    { type: 'email', name: 'email', label: 'Email', required: true, mapsTo: { contact: 'email' } },
    { type: 'number', name: 'order_no', label: 'Order number', required: true, mapsTo: { variable: 'order' } },
    { type: 'select', name: 'topic', label: 'Topic', options: [{ value: 'order', label: 'An order' }, { value: 'product', label: 'A product' }], mapsTo: { variable: 'topic' } },
    { type: 'radio', name: 'urgency', label: 'Urgency', required: true, options: [{ value: 'low', label: 'Low' }, { value: 'high', label: 'High' }], mapsTo: { variable: 'urgency' } },
    { type: 'checkboxes', name: 'reach', label: 'Reach me by', options: [{ value: 'mail', label: 'Mail' }, { value: 'phone', label: 'Phone' }], mapsTo: { variable: 'reach' } },
    { type: 'textarea', name: 'details', label: 'Details', maxLength: 500 },
    { type: 'agreement', name: 'privacy', label: 'Privacy', text: 'I accept the privacy policy', required: true },
    { type: 'attachment', name: 'photo', label: 'Photo', maxBytes: 1048576, acceptedTypes: ['.png', '.txt'] },
  ];
  before(async () => {
    sb = await startSwitchboard({ 'websites/example.yaml:forms.chat': form });
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });

  it('warns about each missing or wrong answer, then starts the chat with every answer and the attached file', async () => {
    // Someone who could take it, so that the chat is queued rather than turned into a message.
    const agent = await makeAgent(sb.url, await login(sb.url), { skills: [{ skill: 'english', level: 8 }] });
    const page = await browser.newPage({ locale: 'en-GB' });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    expect(await frame.getByText('Tell us about you').count()).to.equal(1);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    for (const label of ['Name', 'Email', 'Order number']) expect(await frame.getByLabel(label).getAttribute('aria-invalid'), label).to.equal('true');
    expect(await frame.locator('.sb-warn:visible').allTextContents()).to.include.members(['Please fill in this field.', 'Please accept to continue.']);
    await frame.getByLabel('Name').fill('Ada Visitor');
    await frame.getByLabel('Email').fill('ada@example.com');
    await frame.getByLabel('Order number').fill('4711');
    await frame.getByLabel('Topic').selectOption({ label: 'A product' });
    await frame.getByLabel('High').check();
    await frame.getByRole('checkbox', { name: 'Mail' }).check();
    await frame.getByRole('checkbox', { name: 'Phone' }).check();
    await frame.getByLabel('Details').fill('The box arrived open.');
    await frame.getByLabel('I accept the privacy policy').check();
    await frame.getByLabel('Photo').setInputFiles(file('notes.txt', 2000));
    await frame.getByLabel('Where is my order?').check();
    await frame.getByRole('button', { name: 'Start chat' }).click();
    // The file went up once the chat existed, as the chat's first file.
    await frame.locator('.sb-line.sb-visitor .sb-files a', { hasText: 'notes.txt' }).waitFor();
    // This tab's chat (the database holds other tests' chats too).
    const frameHandle = page.frames().find((f) => f.url().includes('/widget/frame/'))!;
    const { interactionId } = await frameHandle.evaluate(() => JSON.parse(sessionStorage.getItem('switchboard.chat.example')!));
    const Interaction = await entity('Interaction', 'modules/interactions/interaction.entity.js');
    const chats = await sb.sb.kernel.db.getRepository(Interaction).find({ where: { id: interactionId, channel: 'chat' } });
    expect(chats).to.have.length(1);
    expect(chats[0].routingVariables).to.deep.include({ order: '4711', topic: 'product', urgency: 'high', reach: 'mail,phone' });
    const Attachment = await entity('Attachment', 'modules/chat/message.entity.js');
    const files = await sb.sb.kernel.db.getRepository(Attachment).findBy({ interactionId: chats[0].id });
    expect(files.map((f: { fileName: string; size: number; messageId: string | null }) => [f.fileName, f.size, !!f.messageId])).to.deep.equal([['notes.txt', 2000, true]]);
    agent.socket.close();
    await page.close();
  });
});
