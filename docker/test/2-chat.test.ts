// A visitor's chat from the widget in Chromium, answered by an agent in the desktop, both served
// by the server container, relayed through the Prosody container and stored in the MariaDB one;
// then `compose restart switchboard` in the middle of it: both sides reconnect by themselves, every
// line is still there and the chat goes on.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { api, hostSite, launchChromium, login, openWidget, type HostSite } from '../../widget/test/harness.ts';
import { shared, stackUp, type Stack } from './stack.ts';

const AGENT = { username: 'dora', password: 'correct-horse-battery', name: 'Dora Docker', role: 'agent' };

describe('Docker: a widget chat answered in the desktop, across a restart of the server container', function () {
  this.timeout(180_000);
  let s: Stack;
  let site: HostSite;
  let browser: Browser;
  let desk: Page;
  let widget: FrameLocator;
  let interactionId: string;
  const lines: string[] = [];
  const errors: string[] = [];

  const visitorSays = async (text: string) => {
    await widget.getByLabel('Type a message').fill(text);
    await widget.getByLabel('Type a message').press('Enter');
    await desk.locator('[data-test=chat-line][data-kind=visitor]', { hasText: text }).waitFor();
    await widget.locator('.sb-line.sb-visitor', { hasText: text }).locator('.sb-delivered').waitFor();
    lines.push(text);
  };
  const agentSays = async (text: string) => {
    await desk.locator('[data-test=chat-input]').fill(text);
    await desk.locator('[data-test=chat-input]').press('Enter');
    await widget.locator('.sb-line.sb-agent', { hasText: text }).waitFor();
    await desk.locator('[data-test=chat-line][data-kind=agent]', { hasText: text }).locator('[data-test=chat-state][data-state=delivered]').waitFor();
    lines.push(text);
  };

  before(async () => {
    s = await stackUp();
    const admin = await login(s.url, 'admin', s.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(s.url, 'POST', '/api/agents', { ...AGENT, skills: [{ skill: 'english', level: 8 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    shared.agent = AGENT;
    site = await hostSite(s.url, s.sitePort);
    browser = await launchChromium();
    desk = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } })).newPage();
    desk.on('pageerror', (e) => errors.push(`desktop: ${e.message}`));
    await desk.goto(s.url + '/login');
    await desk.getByLabel('Username').fill(AGENT.username);
    await desk.getByLabel('Password').fill(AGENT.password);
    await desk.getByRole('button', { name: 'Log in' }).click();
    await desk.locator('[data-test=connection][data-state=online]').waitFor();
    await desk.locator('[data-test=state-current]').click();
    await desk.locator('[data-test=set-available]').click();
    await desk.locator('[data-test=state-current][data-state=available]').waitFor();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('offers the widget’s chat to the agent, who accepts it; lines and a file go both ways with double checks', async () => {
    const visitor = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    visitor.on('pageerror', (e) => errors.push(`visitor: ${e.message}`));
    widget = await openWidget(visitor, site);
    await widget.getByRole('button', { name: 'Chat' }).click();
    await widget.getByLabel('Name').fill('Vera Visitor');
    await widget.getByLabel('Email').fill('vera@example.com');
    await widget.getByLabel('I accept the privacy policy').check();
    await widget.getByLabel('Where is my order?').check();
    await widget.getByRole('button', { name: 'Start chat' }).click();

    const offer = desk.locator('[data-test=offer]');
    await offer.waitFor({ timeout: 30_000 });
    expect(await offer.textContent()).to.contain('Vera Visitor');
    await offer.getByRole('button', { name: 'Accept' }).click();
    const row = desk.locator('[data-test=interaction][aria-selected=true]');
    await row.waitFor();
    interactionId = (await row.getAttribute('data-interaction'))!;
    await widget.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();

    await visitorSays('DOCKER-V1 my parcel has not arrived');
    await agentSays('DOCKER-A1 let me look it up');

    // A file from the visitor: it lands in the uploads volume (checked again after down and up).
    const content = `order 5521, photo of the label ${Date.now()}\n`;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sb-docker-file-')), 'label.txt');
    writeFileSync(file, content);
    await widget.locator('.sb-picker').setInputFiles(file);
    await visitorSays('DOCKER-V2 here is the label');
    await desk.locator('[data-test=chat-line][data-kind=visitor]', { hasText: 'DOCKER-V2' }).getByText('label.txt').waitFor();
    const token = await login(s.url, AGENT.username, AGENT.password);
    const record = await api(s.url, 'GET', `/api/history/interactions/${interactionId}`, undefined, token);
    const attachment = record.body.messages.flatMap((m: { attachments: { id: string; sha256: string }[] }) => m.attachments)[0];
    expect(attachment.sha256).to.equal(createHash('sha256').update(content).digest('hex'));
    shared.chat = { interactionId, lines, fileId: attachment.id, fileSha256: attachment.sha256 };
  });

  it('survives `compose restart switchboard` mid-chat: both sides reconnect, every line is kept, the chat goes on', async () => {
    await s.docker('restart', 'switchboard');
    await s.docker('wait', '120');
    await desk.locator('[data-test=connection][data-state=online]').waitFor({ timeout: 60_000 });
    // The chat is still the agent's, with its lines.
    await desk.locator(`[data-test=interaction][data-interaction="${interactionId}"]`).waitFor();
    for (const line of lines) await desk.locator('[data-test=chat-line]', { hasText: line }).waitFor();

    await visitorSays('DOCKER-V3 are you still there?');
    await agentSays('DOCKER-A2 yes, a new parcel leaves today');
    for (const line of lines) expect(await widget.locator('.sb-line', { hasText: line }).count(), line).to.equal(1);

    // The record holds each line once, in order.
    const token = await login(s.url, AGENT.username, AGENT.password);
    const record = await api(s.url, 'GET', `/api/history/interactions/${interactionId}`, undefined, token);
    expect(record.status).to.equal(200);
    const bodies = (record.body.messages as { body: string }[]).map((m) => m.body).filter((b) => /^DOCKER-/.test(b));
    expect(bodies).to.deep.equal(lines);
  });
});
