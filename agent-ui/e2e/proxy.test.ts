// Two instances behind the shipped HAProxy configuration (docker/haproxy/haproxy.cfg, Debian's
// haproxy): the desktop and the widget reach Switchboard only through the proxy. Under a chat
// stream the instance holding their sockets is killed with -9: both reconnect through the proxy to
// the survivor, every visitor line stored is shown once on both sides, and every line the agent
// typed is either stored once or shown "not sent" with Retry, which stores it once. Before, clients
// only knew the host that served their page and an agent line in flight was lost without a word.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { REPO, alwaysOpen, api, dropTestDatabase, freePort, launchChromium, logInOnScreen, login, serveShop, startServer, type E2eServer } from './harness.ts';

const { spawnServer } = await import(path.join(REPO, 'server/dist/test/server.js'));
const { setYaml } = await import(path.join(REPO, 'server/dist/test/config.js'));

const AGENT = { username: 'pia', password: 'correct-horse-battery', name: 'Pia Rossi', role: 'agent' };

/** Debian's haproxy with the shipped configuration, on this test's ports, and its state over a stats socket. */
async function startProxy(port: number, backends: [number, number]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-haproxy-'));
  const shipped = readFileSync(path.join(REPO, 'docker/haproxy/haproxy.cfg'), 'utf8');
  const sock = path.join(dir, 'admin.sock');
  const cfg = shipped
    .replace(/^(\s*)bind :80$/m, `$1bind 127.0.0.1:${port}`)
    .replace(/^(\s*server sb1) 127\.0\.0\.1:\d+/m, `$1 127.0.0.1:${backends[0]}`)
    .replace(/^(\s*server sb2) 127\.0\.0\.1:\d+/m, `$1 127.0.0.1:${backends[1]}`)
    .replace(/^global$/m, `global\n    stats socket ${sock} mode 600 level admin`);
  expect(cfg).to.contain(`bind 127.0.0.1:${port}`).and.to.contain(`127.0.0.1:${backends[1]} check`);
  writeFileSync(path.join(dir, 'haproxy.cfg'), cfg);
  const log: string[] = [];
  const proc: ChildProcess = spawn('haproxy', ['-db', '-f', path.join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  const ask = (command: string) =>
    new Promise<string>((resolve, reject) => {
      let out = '';
      const c = connect(sock, () => c.end(command + '\n'));
      c.on('data', (d) => (out += d.toString()));
      c.on('end', () => resolve(out));
      c.on('error', reject);
    });
  for (let i = 0; ; i++) {
    if (await ask('show info').then(() => true, () => false)) break;
    if (i > 200 || proc.exitCode !== null) throw new Error(`haproxy did not start:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    /** Waits until the proxy's health checks see this backend server up (or down). */
    async until(server: 'sb1' | 'sb2', up: boolean) {
      for (let i = 0; i < 600; i++) {
        // `show servers state`: … srv_name … srv_op_state (2 = running) …
        const line = (await ask('show servers state switchboard')).split('\n').find((l) => l.split(' ')[3] === server);
        if (line && (line.split(' ')[5] === '2') === up) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`haproxy never saw ${server} ${up ? 'up' : 'down'}`);
    },
    stop: async () => {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

describe('two instances behind HAProxy: one killed under a chat stream (desktop and widget)', function () {
  this.timeout(300_000);
  let a: E2eServer;
  let b: { url: string; proc: ChildProcess; stop(): Promise<void> } | undefined;
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  let site: { close(): Promise<void> } | undefined;
  let browser: Browser | undefined;
  const errors: string[] = [];

  after(async () => {
    await browser?.close();
    await proxy?.stop();
    await b?.stop();
    await a?.stop();
    await site?.close();
    await dropTestDatabase();
  });

  it('reconnects both to the survivor, shows every stored line once, and leaves no agent line silently lost', async () => {
    const [proxyPort, shopPort, bPort] = [await freePort(), await freePort(), await freePort()];
    const proxyUrl = `http://127.0.0.1:${proxyPort}`;
    const shopOrigin = `http://127.0.0.1:${shopPort}`;
    a = await startServer({ ...alwaysOpen(), 'websites/example.yaml:origins': [shopOrigin], 'switchboard.yaml:server.publicUrl': proxyUrl, 'switchboard.yaml:server.trustProxy': true });
    const aPort = Number(new URL(a.url).port);
    // The second instance: the same configuration (database, Redis prefix, Prosody) on its own port.
    const bDir = mkdtempSync(path.join(tmpdir(), 'sb-config-b-'));
    cpSync(a.configDir, bDir, { recursive: true });
    setYaml(bDir, 'switchboard.yaml', 'server.port', bPort);
    proxy = await startProxy(proxyPort, [aPort, bPort]);
    await proxy.until('sb1', true);
    site = await serveShop(shopPort, proxyUrl);
    const admin = await login(proxyUrl, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const made = await api(proxyUrl, 'POST', '/api/agents', { ...AGENT, skills: [{ skill: 'english', level: 8 }] }, admin);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);

    // While only the first instance runs, the desktop and the widget open their sockets on it.
    browser = await launchChromium();
    const desk: Page = await (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } })).newPage();
    desk.on('pageerror', (e) => errors.push(`desk: ${e.message}`));
    await logInOnScreen(desk, proxyUrl, AGENT);
    await desk.locator('[data-test=state-current]').click();
    await desk.locator('[data-test=set-available]').click();
    await desk.locator('[data-test=state-current][data-state=available]').waitFor();
    const visitor = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    visitor.on('pageerror', (e) => errors.push(`visitor: ${e.message}`));
    await visitor.goto(shopOrigin + '/');
    await visitor.locator('[data-switchboard-widget] button').click();
    const widget: FrameLocator = visitor.frameLocator('[data-switchboard-widget] iframe');
    await widget.getByRole('button', { name: 'Chat' }).click();
    await widget.getByLabel('Name').fill('Ugo Visitor');
    await widget.getByLabel('Email').fill('ugo@example.com');
    await widget.getByLabel('I accept the privacy policy').check();
    await widget.getByLabel('Where is my order?').check();
    await widget.getByRole('button', { name: 'Start chat' }).click();
    const offer = desk.locator('[data-test=offer]');
    await offer.waitFor({ timeout: 30_000 });
    await offer.getByRole('button', { name: 'Accept' }).click();
    const row = desk.locator('[data-test=interaction][aria-selected=true]');
    await row.waitFor();
    const interactionId = (await row.getAttribute('data-interaction'))!;
    await widget.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();
    const frame = visitor.frames().find((f) => f.url().includes('/widget/'))!;
    expect(frame.url().startsWith(proxyUrl), 'the widget frame comes through the proxy').to.equal(true);
    const visitorToken = await frame.evaluate(() => {
      for (let i = 0; i < sessionStorage.length; i++) {
        const k = sessionStorage.key(i)!;
        if (k.startsWith('switchboard.chat.')) return (JSON.parse(sessionStorage.getItem(k)!) as { token: string }).token;
      }
      throw new Error('no chat in the widget’s sessionStorage');
    });

    b = await spawnServer(bDir);
    await proxy.until('sb2', true);

    // The visitor streams lines through the proxy (a refused send is retried with the same id, as
    // the widget does); the agent types a line every 300 ms on the desktop.
    let streaming = true;
    let sent = 0;
    let retried = 0;
    const visitorStream = (async () => {
      while (streaming) {
        sent++;
        const body = { clientMessageId: `LB-${sent}`.padEnd(16, 'x'), body: `LB-${sent}` };
        for (;;) {
          const status = await fetch(`${proxyUrl}/api/widget/example/chats/${interactionId}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${visitorToken}`, origin: shopOrigin },
            body: JSON.stringify(body),
          }).then((x) => x.status, () => 0);
          if (status === 200 || status === 201) break;
          retried++;
          await new Promise((r) => setTimeout(r, 100));
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const typed: string[] = [];
    const input = desk.locator('[data-test=chat-input]');
    const agentStream = (async () => {
      while (streaming) {
        const text = `DESK-${typed.length + 1}`;
        typed.push(text);
        await input.fill(text);
        await input.press('Enter');
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    // Whole-text matches: 'LB-5' as a substring is also LB-50…LB-59, which a loaded machine has
    // already rendered by the time it looks.
    const line = (kind: string, text: string) => desk.locator(`[data-test=chat-line][data-kind=${kind}] [data-test=chat-body]`, { hasText: new RegExp(`^\\s*${text}\\s*$`) });
    await line('visitor', 'LB-5').waitFor();
    await line('agent', 'DESK-3').waitFor();
    await a.kill();
    const killedAt = performance.now();
    const afterKill = sent + 1;
    // Both are live again when a line sent after the kill reaches them through the survivor.
    const exactly = (n: number) => new RegExp(`^\\s*LB-${n}\\s*$`);
    const deskBack = desk.locator('[data-test=chat-line][data-kind=visitor] [data-test=chat-body]', { hasText: exactly(afterKill + 1) }).first().waitFor({ timeout: 90_000 }).then(() => Math.round(performance.now() - killedAt));
    const widgetBack = widget.locator('.sb-line.sb-visitor .sb-text', { hasText: exactly(afterKill + 1) }).first().waitFor({ timeout: 90_000 }).then(() => Math.round(performance.now() - killedAt));
    const online = desk.locator('[data-test=connection][data-state=online]');
    const [deskMs, widgetMs] = await Promise.all([deskBack, widgetBack]);
    await online.waitFor({ timeout: 60_000 });
    // The proxy took the dead instance out; everything now goes to the survivor.
    await proxy.until('sb1', false);
    // A few more lines through the survivor alone, shown on the desktop, before the streams stop.
    await line('visitor', `LB-${sent + 3}`).waitFor();
    streaming = false;
    await Promise.all([visitorStream, agentStream]);

    // Visitor lines: exactly the messages table's, once each, on both sides.
    // The test reads the messages table from the survivor itself, not through the proxy.
    const messages = async () => (await api(b!.url, 'GET', `/api/chats/${interactionId}/messages`, undefined, admin)).body.messages as { body: string; authorKind: string }[];
    const stored = (await messages()).filter((m) => m.authorKind === 'visitor' && m.body.startsWith('LB-')).map((m) => m.body);
    expect(new Set(stored).size, 'each visitor line stored once').to.equal(stored.length);
    const shownOnDesk = () => desk.locator('[data-test=chat-line][data-kind=visitor] [data-test=chat-body]').evaluateAll((els) => els.map((e) => e.textContent!.trim()).filter((t) => t.startsWith('LB-')));
    const shownInWidget = () => widget.locator('.sb-line.sb-visitor .sb-text').evaluateAll((els) => els.map((e) => e.textContent!.trim()).filter((t) => t.startsWith('LB-')));
    let onDesk: string[] = [];
    let inWidget: string[] = [];
    for (let i = 0; i < 300; i++) {
      [onDesk, inWidget] = [await shownOnDesk(), await shownInWidget()];
      if (onDesk.length === stored.length && inWidget.length === stored.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([...onDesk].sort(), 'the desktop shows each stored visitor line once').to.deep.equal([...stored].sort());
    expect([...inWidget].sort(), 'the widget shows each stored visitor line once').to.deep.equal([...stored].sort());

    // Agent lines: none left "sending"; each stored once and shown sent, or not stored and shown failed.
    const deskLine = (text: string) => desk.locator('[data-test=chat-line][data-kind=agent]', { has: desk.locator('[data-test=chat-body]', { hasText: new RegExp(`^\\s*${text}\\s*$`) }) });
    const stateOf = async (text: string) => (await deskLine(text).locator('[data-test=chat-state]').getAttribute('data-state')) ?? 'none';
    for (let i = 0; i < 300; i++) {
      const states = await Promise.all(typed.map(stateOf));
      if (!states.includes('sending')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const agentRows = (await messages()).filter((m) => m.authorKind === 'agent' && m.body.startsWith('DESK-')).map((m) => m.body);
    const failed: string[] = [];
    for (const text of typed) {
      const times = agentRows.filter((b) => b === text).length;
      const state = await stateOf(text);
      expect(times, `${text} stored at most once`).to.be.at.most(1);
      expect(await deskLine(text).count(), `${text} shown once on the desktop`).to.equal(1);
      if (times === 1) expect(state, `${text} is stored: shown sent`).to.be.oneOf(['sent', 'delivered', 'read']);
      else {
        expect(state, `${text} is not stored: shown failed`).to.equal('failed');
        failed.push(text);
      }
    }
    for (const text of failed) await deskLine(text).getByRole('button', { name: 'Retry' }).click();
    for (let i = 0; i < 300; i++) {
      const rows = (await messages()).filter((m) => m.authorKind === 'agent' && m.body.startsWith('DESK-')).map((m) => m.body);
      if (typed.every((t) => rows.filter((x) => x === t).length === 1)) break;
      if (i === 299) expect(typed.filter((t) => rows.filter((x) => x === t).length !== 1), 'every agent line stored once after Retry').to.deep.equal([]);
      await new Promise((r) => setTimeout(r, 100));
    }
    const agentInWidget = () => widget.locator('.sb-line.sb-agent .sb-text').evaluateAll((els) => els.map((e) => e.textContent!.trim()).filter((t) => t.startsWith('DESK-')));
    let shownAgent: string[] = [];
    for (let i = 0; i < 300; i++) {
      shownAgent = await agentInWidget();
      if (shownAgent.length >= typed.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([...shownAgent].sort(), 'the widget shows each agent line once').to.deep.equal([...typed].sort());
    expect(errors, errors.join('\n')).to.deep.equal([]);
    console.log(`      kill -9 behind HAProxy: ${sent} visitor lines (${retried} sends retried), ${typed.length} agent lines (${failed.length} failed, sent again with Retry); desktop live again ${deskMs} ms after the kill, widget ${widgetMs} ms`);
  });
});
