// The red strip at the top says what failed. Once the same action goes through — the transcript
// mailed after the mail server came back, a failed line sent with its own Retry, a file uploaded
// after the network dropped it — the strip must go: a visitor reading "could not be sent" next
// to what was sent would try again, or give up.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { chatWithAgent, entity, eventually, freePort, hostSite, launchChromium, login, makeAgent, openWidget, smtpSink, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';

/** The test mail server behind a port that can go away and come back, as a mail server restarting would. */
async function switchableSmtp(target: number): Promise<{ port: number; up(): Promise<void>; down(): Promise<void> }> {
  const port = await freePort();
  let server: net.Server | null = null;
  const open = new Set<net.Socket>();
  const up = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const sink = net.connect(target, '127.0.0.1');
        for (const s of [client, sink]) {
          open.add(s);
          s.on('error', () => undefined).on('close', () => (open.delete(s), client.destroy(), sink.destroy()));
        }
        client.pipe(sink).pipe(client);
      });
      server.once('error', reject).listen(port, '127.0.0.1', () => resolve());
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      if (server) server.close(() => resolve());
      else resolve();
      server = null;
    });
  await up();
  return { port, up, down };
}

describe('widget: the error strip goes once the action that failed succeeds', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let page: Page;
  let admin: string;
  let mail: Awaited<ReturnType<typeof smtpSink>>;
  let smtp: Awaited<ReturnType<typeof switchableSmtp>>;
  before(async () => {
    mail = await smtpSink();
    smtp = await switchableSmtp(mail.port);
    sb = await startSwitchboard({ 'switchboard.yaml:smtp.port': smtp.port });
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
    await smtp?.down();
    await mail?.close();
  });

  async function talking(): Promise<{ frame: FrameLocator; agent: Awaited<ReturnType<typeof makeAgent>>; interactionId: string }> {
    const agent = await makeAgent(sb.url, admin, { skills: [{ skill: 'english', level: 8 }] });
    const frame = await openWidget(page, site);
    const interactionId = await chatWithAgent(frame, sb.url, agent);
    return { agent, frame, interactionId };
  }

  it('clears the strip when the transcript is mailed after the request failed', async () => {
    const { frame, agent, interactionId } = await talking();
    await frame.getByRole('button', { name: 'End chat' }).click();
    await frame.getByRole('button', { name: 'Yes, end it' }).click();
    // A transcript asked for while SMTP is down is queued and succeeds, so the failure is the
    // answer the server gives when it can neither send nor queue it: the first request gets it.
    await smtp.down();
    let refuse = true;
    await page.route(/\/transcript$/, (route) => {
      if (!refuse) return route.continue();
      refuse = false;
      return route.fulfill({ status: 502, contentType: 'application/json', body: JSON.stringify({ error: { code: 'mail_failed', message: 'The transcript could not be sent just now. Please try again in a moment.' } }) });
    });
    await frame.getByRole('button', { name: 'Email me the transcript' }).click();
    const strip = frame.locator('.sb-error[role=alert]');
    await strip.waitFor();
    expect(await strip.locator('span').textContent()).to.equal('Our mail server cannot be reached just now. Please try again in a moment.');
    expect(mail.mails).to.have.length(0);
    await smtp.up();
    await strip.getByRole('button', { name: 'Retry' }).waitFor();
    // The visitor tries the button itself again (not the strip's Retry, which hides the strip anyway).
    await frame.getByRole('button', { name: 'Email me the transcript' }).click();
    expect(await frame.locator('.sb-transcript-sent').textContent()).to.equal('The transcript was sent to ada@example.com');
    await strip.waitFor({ state: 'hidden' });
    // Once the outbox has nothing of this chat left to send, every copy reached the mail server.
    const OutgoingMail = await entity('OutgoingMail', 'modules/mail/outgoing-mail.entity.js');
    const outbox = () => sb.sb.kernel.db.getRepository(OutgoingMail).findBy({ interactionId, kind: 'transcript' }) as Promise<{ state: string }[]>;
    const rows = await eventually(outbox, (r: { state: string }[]) => r.length > 0 && r.every((m) => m.state !== 'queued'));
    expect(rows.map((m: { state: string }) => m.state)).to.deep.equal(['sent']);
    expect(mail.mails.filter((m) => /^To: ada@example\.com/m.test(m))).to.have.length(1);
    agent.socket.close();
  });

  it("clears the strip when a failed line goes through with the line's own Retry", async () => {
    let lose = false;
    await page.routeWebSocket(/\/ws\/widget/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        if (lose && JSON.parse(String(m)).type === 'chat.send') return;
        server.send(m);
      });
      server.onMessage((m) => ws.send(m));
    });
    const { frame, agent } = await talking();
    lose = true;
    const input = frame.getByLabel('Type a message');
    await input.fill('Are you there?');
    await input.press('Enter');
    const strip = frame.locator('.sb-error[role=alert]');
    await strip.waitFor();
    expect(await strip.locator('span').textContent()).to.equal('Your message could not be sent.');
    lose = false;
    await frame.locator('.sb-line.sb-visitor .sb-retry-line').click();
    await agent.socket.next((m: any) => m.type === 'chat.message' && m.message.body === 'Are you there?', 30_000);
    await frame.locator('.sb-line.sb-visitor', { hasText: 'Are you there?' }).locator('.sb-sent, .sb-delivered').waitFor();
    await strip.waitFor({ state: 'hidden' });
    agent.socket.close();
  });

  it('clears the strip when a file the network dropped is uploaded on the next try', async () => {
    const { frame, agent } = await talking();
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-strip-')), 'receipt.txt');
    writeFileSync(file, 'paid');
    await page.route('**/files?name=*', (r) => r.abort('connectionreset'));
    await frame.locator('.sb-picker').setInputFiles(file);
    const input = frame.getByLabel('Type a message');
    await input.fill('My receipt');
    await input.press('Enter');
    const strip = frame.locator('.sb-error[role=alert]');
    await strip.waitFor();
    expect(await strip.locator('span').textContent()).to.equal('Connection problem. Check your network and try again.');
    expect(await input.inputValue()).to.equal('My receipt');
    await page.unroute('**/files?name=*');
    await input.press('Enter');
    const got = await agent.socket.next((m: any) => m.type === 'chat.message' && m.message.body === 'My receipt', 30_000);
    expect(got.message.attachments.map((a: any) => a.fileName)).to.deep.equal(['receipt.txt']);
    await strip.waitFor({ state: 'hidden' });
    agent.socket.close();
  });
});
