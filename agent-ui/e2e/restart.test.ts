// Nothing missed across a server crash or a Redis outage (#15 points 5 and 6): a visitor streams
// lines through the widget's API while the server is killed with -9 and started again, or while
// its Redis is away; afterwards the agent's open desktop and the widget show exactly the lines of
// the messages table, each once, and receipts go on. An agent line Redis refuses shows Retry.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, freePort, launchChromium, logInOnScreen, login, serveShop, startServer, type E2eServer } from './harness.ts';

const AGENT = { username: 'rosa', password: 'correct-horse-battery', name: 'Rosa Neri', role: 'agent' };

/**
 * A redis-server of the test's own, so stopping it touches no other test. Killed with -9 like a
 * crash; its append-only file brings the agent's session back, as production's AOF would.
 */
async function scratchRedis(port: number): Promise<{ port: number; running(): boolean; start(): Promise<void>; stop(): Promise<void> }> {
  let proc: ChildProcess | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-redis-'));
  const r = {
    port,
    running: () => proc !== undefined,
    start: async () => {
      proc = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir], { stdio: 'ignore' });
      for (let i = 0; i < 200; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}`).then(() => true, (e: Error & { cause?: { code?: string } }) => e.cause?.code !== 'ECONNREFUSED');
        if (ok) return;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error('redis-server did not start');
    },
    stop: async () => {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      p.kill('SIGKILL');
      await once(p, 'exit');
    },
  };
  await r.start();
  return r;
}

describe('nothing missed across a server crash or a Redis outage (desktop and widget)', function () {
  this.timeout(180_000);
  let server: E2eServer;
  let redis: Awaited<ReturnType<typeof scratchRedis>>;
  let site: { close(): Promise<void> } | undefined;
  let siteOrigin: string;
  let browser: Browser;
  let desk: Page;
  let widget: FrameLocator;
  let interactionId: string;
  let visitorToken: string;
  let admin: string;
  const errors: string[] = [];

  /** Sends visitor lines one after the other until stopped; a refused or unreachable send is retried with the same id. */
  function stream(prefix: string) {
    let stop = false;
    let n = 0;
    let refused = 0;
    const done = (async () => {
      while (!stop) {
        n++;
        const body = { clientMessageId: `${prefix}-${n}`.padEnd(16, 'x'), body: `${prefix}-${n}` };
        for (;;) {
          const r = await fetch(`${server.url}/api/widget/example/chats/${interactionId}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${visitorToken}`, origin: siteOrigin },
            body: JSON.stringify(body),
          }).then((x) => x.status, () => 0);
          if (r === 200 || r === 201) break;
          refused++;
          await new Promise((res) => setTimeout(res, 100));
        }
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    return { stop: async () => ((stop = true), await done, { sent: n, refused }) };
  }

  const storedVisitorLines = async (prefix: string): Promise<string[]> => {
    const r = await api(server.url, 'GET', `/api/chats/${interactionId}/messages`, undefined, admin);
    return (r.body.messages as { body: string; authorKind: string }[]).filter((m) => m.authorKind === 'visitor' && m.body.startsWith(prefix + '-')).map((m) => m.body);
  };
  const shownOnDesk = (prefix: string) =>
    desk.locator('[data-test=chat-line][data-kind=visitor] [data-test=chat-body]').evaluateAll((els, p) => els.map((e) => e.textContent!.trim()).filter((t) => t.startsWith(p + '-')), prefix);
  const shownInWidget = (prefix: string) =>
    widget.locator('.sb-line.sb-visitor .sb-text').evaluateAll((els, p) => els.map((e) => e.textContent!.trim()).filter((t) => t.startsWith(p + '-')), prefix);

  /** Waits until the desktop and the widget show every stored line once; returns how long it took. */
  async function expectCaughtUp(prefix: string): Promise<number> {
    const t0 = performance.now();
    const stored = await storedVisitorLines(prefix);
    expect(new Set(stored).size, 'each line stored once').to.equal(stored.length);
    const has = (shown: string[], line: string) => shown.filter((s) => s === line).length;
    let desktop: string[] = [];
    let visitor: string[] = [];
    for (let i = 0; i < 300; i++) {
      desktop = await shownOnDesk(prefix);
      visitor = await shownInWidget(prefix);
      if (stored.every((l) => has(desktop, l) === 1 && has(visitor, l) === 1)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const missingDesk = stored.filter((l) => has(desktop, l) !== 1);
    const missingWidget = stored.filter((l) => has(visitor, l) !== 1);
    expect(missingDesk, `desktop shows ${desktop.length} of ${stored.length} stored lines`).to.deep.equal([]);
    expect(missingWidget, `widget shows ${visitor.length} of ${stored.length} stored lines`).to.deep.equal([]);
    expect(desktop.length, 'nothing shown twice on the desktop').to.equal(stored.length);
    return Math.round(performance.now() - t0);
  }

  /** The visitor's stored lines all reach "delivered" or better: the desktop's receipts went on. */
  async function expectReceipts(prefix: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const r = await api(server.url, 'GET', `/api/chats/${interactionId}/messages`, undefined, admin);
      const lines = (r.body.messages as { body: string; authorKind: string; deliveryState: string }[]).filter((m) => m.authorKind === 'visitor' && m.body.startsWith(prefix + '-'));
      const behind = lines.filter((m) => m.deliveryState !== 'delivered' && m.deliveryState !== 'read');
      if (behind.length === 0) return;
      if (i === 199) expect(behind.map((m) => `${m.body}:${m.deliveryState}`), 'receipts stopped').to.deep.equal([]);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  before(async () => {
    const port = await freePort();
    siteOrigin = `http://127.0.0.1:${port}`;
    redis = await scratchRedis(await freePort());
    server = await startServer({ ...alwaysOpen(), 'websites/example.yaml:origins': [siteOrigin], 'switchboard.yaml:redis.port': redis.port });
    site = await serveShop(port, server.url);
    admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...AGENT, skills: [{ skill: 'english', level: 8 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    desk = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } })).newPage();
    desk.on('pageerror', (e) => errors.push(`desk: ${e.message}`));
    await logInOnScreen(desk, server.url, AGENT);
    await desk.locator('[data-test=state-current]').click();
    await desk.locator('[data-test=set-available]').click();
    await desk.locator('[data-test=state-current][data-state=available]').waitFor();

    const visitor = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    visitor.on('pageerror', (e) => errors.push(`visitor: ${e.message}`));
    await visitor.goto(siteOrigin + '/');
    await visitor.locator('[data-switchboard-widget] button').click();
    widget = visitor.frameLocator('[data-switchboard-widget] iframe');
    await widget.getByRole('button', { name: 'Chat' }).click();
    await widget.getByLabel('Name').fill('Ivo Visitor');
    await widget.getByLabel('Email').fill('ivo@example.com');
    await widget.getByLabel('I accept the privacy policy').check();
    await widget.getByLabel('Where is my order?').check();
    await widget.getByRole('button', { name: 'Start chat' }).click();
    const offer = desk.locator('[data-test=offer]');
    await offer.waitFor({ timeout: 30_000 });
    await offer.getByRole('button', { name: 'Accept' }).click();
    const row = desk.locator('[data-test=interaction][aria-selected=true]');
    await row.waitFor();
    interactionId = (await row.getAttribute('data-interaction'))!;
    await widget.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();
    const frame = visitor.frames().find((f) => f.url().includes('/widget/'))!;
    visitorToken = await frame.evaluate(() => {
      for (let i = 0; i < sessionStorage.length; i++) {
        const k = sessionStorage.key(i)!;
        if (k.startsWith('switchboard.chat.')) return (JSON.parse(sessionStorage.getItem(k)!) as { token: string }).token;
      }
      throw new Error('no chat in the widget’s sessionStorage');
    });
  });
  after(async () => {
    await browser?.close();
    // A server stopping gracefully talks to Redis one last time: bring it back if a test left it down.
    if (redis && !redis.running()) await redis.start();
    await server?.stop();
    await redis?.stop();
    await site?.close();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('shows every line once on both sides after the server is killed with -9 under a stream, and receipts go on', async () => {
    const s = stream('KILL');
    await desk.locator('[data-test=chat-line][data-kind=visitor] [data-test=chat-body]', { hasText: /^\s*KILL-5\s*$/ }).waitFor();
    await server.kill();
    const down = performance.now();
    await new Promise((res) => setTimeout(res, 500));
    await server.start();
    await desk.locator('[data-test=connection][data-state=online]').waitFor({ timeout: 60_000 });
    const reconnectMs = Math.round(performance.now() - down);
    // Lines keep coming after the restart too (the ones the old code pushed to nobody).
    await new Promise((res) => setTimeout(res, 1500));
    const { sent, refused } = await s.stop();
    const catchUpMs = await expectCaughtUp('KILL');
    await expectReceipts('KILL');
    console.log(`      kill -9: ${sent} lines (${refused} sends retried while down); desktop online ${reconnectMs} ms after the kill; all shown ${catchUpMs} ms after the stream stopped`);
  });

  it('delivers what the visitor sent while Redis was down once it returns, and shows a refused agent line as failed with Retry', async () => {
    const s = stream('REDIS');
    await desk.locator('[data-test=chat-line][data-kind=visitor] [data-test=chat-body]', { hasText: /^\s*REDIS-3\s*$/ }).waitFor();
    await redis.stop();
    const down = performance.now();
    // The agent answers meanwhile: the server refuses it (redis_unavailable) and the desktop says so.
    await desk.locator('[data-test=chat-input]').fill('DESK-DURING-OUTAGE');
    await desk.locator('[data-test=chat-input]').press('Enter');
    const line = desk.locator('[data-test=chat-line][data-kind=agent]', { hasText: 'DESK-DURING-OUTAGE' });
    await line.locator('[data-test=chat-state][data-state=failed]').waitFor({ timeout: 30_000 });
    await new Promise((res) => setTimeout(res, 2000));
    await redis.start();
    const back = performance.now();
    await new Promise((res) => setTimeout(res, 1500));
    const { sent, refused } = await s.stop();
    const catchUpMs = await expectCaughtUp('REDIS');
    await expectReceipts('REDIS');
    // Retry sends it again with the same id: stored once, shown to the visitor once.
    await line.getByRole('button', { name: 'Retry' }).click();
    await widget.locator('.sb-line.sb-agent', { hasText: 'DESK-DURING-OUTAGE' }).waitFor();
    expect(await widget.locator('.sb-line.sb-agent', { hasText: 'DESK-DURING-OUTAGE' }).count()).to.equal(1);
    console.log(`      redis down ${Math.round(back - down)} ms: ${sent} lines (${refused} sends refused); all shown ${catchUpMs} ms after the stream stopped`);
  });
});
