// A softphone call ringing when the server that sent its INVITE dies (kill -9): the WebSocket it
// came over is gone, so no answer could ever reach the caller (RFC 7118 §5), and the desktop ends
// the ringing call itself with the reason instead of ringing until JsSIP's own timers give up.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, startServer, UI, type E2eServer } from './harness.ts';

const support = (f: string) => path.join(REPO, 'sip/dist/test/support', f);
const { freePort, sipp, rtpengineRelay, SCENARIOS } = await import(support('services.js'));
type Sipp = { done: Promise<{ code: number | null; stderr: string; stdout: string }>; kill(): void };
const ours = (name: string) => path.relative(SCENARIOS, path.join(UI, 'e2e/sipp', name));

// Extension 201: the one the PBX scenario calls.
const AGENT = { username: 'lucia', password: 'correct-horse-battery', name: 'Lucia Fabbri', extension: '201' };

describe('softphone: a ringing call is lost with the connection to the server', function () {
  this.timeout(120_000);
  let server: E2eServer;
  let browser: Browser;
  let page: Page;
  let sipPort: number;
  const pbx: Sipp[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];

  before(async () => {
    await rtpengineRelay();
    sipPort = await freePort();
    server = await startServer({
      ...alwaysOpen(),
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:sip.udpPort': sipPort,
      'switchboard.yaml:sip.tcpPort': sipPort,
      'switchboard.yaml:sip.wsPort': await freePort(),
      'trunks.yaml:trunks.0.port': await freePort(),
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
    });
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...AGENT, role: 'agent' }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 760 }, permissions: ['microphone'] });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'warning' && m.text().startsWith('softphone:') && warnings.push(m.text()));
    await logInOnScreen(page, server.url, AGENT);
    await page.locator('[data-test=phone-registration]').and(page.locator('.registered')).waitFor({ timeout: 20_000 });
  });
  after(async () => {
    for (const p of pbx) p.kill();
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });

  it('ends the ringing call with "the call was lost with the connection" when the server is killed, and leaves an answered call as it is', async () => {
    const ring = async () =>
      pbx.push(sipp({ scenario: ours('uac-pbx-calls-agent-who-hangs-up-expect-200.xml'), port: await freePort(), remote: `127.0.0.1:${sipPort}`, timeoutS: 90, extra: ['-mp', String(await freePort())] }));
    const panel = page.locator('[data-test=call-panel]');
    const rows = page.locator('[data-test=call]');
    // The first call is answered: its media does not go through the server, and it stays.
    await ring();
    await panel.and(page.locator('[data-call-state=ringing]')).waitFor({ timeout: 20_000 });
    await page.locator('[data-test=answer]').click();
    await panel.and(page.locator('[data-call-state=connected]')).waitFor({ timeout: 20_000 });
    // The second rings (it comes forward on its own) when the server dies.
    await ring();
    await rows.nth(1).and(page.locator('.ringing')).waitFor({ timeout: 20_000 });
    await panel.and(page.locator('[data-call-state=ringing]')).waitFor();

    await server.kill();

    // JsSIP's own no-answer timer would end it only after a minute, with another cause.
    await panel.and(page.locator('[data-call-state=ended]')).waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-test=call-lost]').textContent()).to.equal('The call was lost with the connection.');
    expect(await rows.nth(1).locator('.state').textContent()).to.equal('Call ended');
    expect(await page.locator('[data-test=call].ringing').count()).to.equal(0);
    expect(await rows.nth(0).locator('.state').textContent()).to.equal('Connected');
    expect(warnings.filter((w) => w.includes('lost with the connection'))).to.have.length(1);
    expect(errors, errors.join('\n')).to.deep.equal([]);

    await page.locator('[data-test=dismiss]').click();
    await rows.nth(1).waitFor({ state: 'detached' });
    expect(await rows.count()).to.equal(1);
  });
});
