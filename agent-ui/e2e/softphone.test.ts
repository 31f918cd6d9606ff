// The desktop's softphone against the real SIP path: JsSIP in Chromium registers through
// Switchboard's SIP engine as the agent's extension, media goes through rtpengine, and sipp
// plays the PBX on the other side (the SIP package's helpers and scenarios, plus one of ours
// in e2e/sipp/). Both directions: the PBX calls the agent, and the agent calls out, holds,
// resumes, sends a keypad tone and transfers.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, screenshotPath, startServer, UI, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';

const support = (f: string) => path.join(REPO, 'sip/dist/test/support', f);
const { freePort, sipp, waitForUdpListener, rtpengineRelay, SCENARIOS } = await import(support('services.js'));
type Sipp = { done: Promise<{ code: number | null; stderr: string; stdout: string }>; kill(): void };
/** Our scenarios live beside this test; sipp() resolves names inside sip/test/sipp. */
const ours = (name: string) => path.relative(SCENARIOS, path.join(UI, 'e2e/sipp', name));

const AGENT = { username: 'paolo', password: 'correct-horse-battery', name: 'Paolo Neri', extension: '201' };

describe('softphone (JsSIP in Chromium, the SIP engine, rtpengine, sipp as the PBX)', function () {
  this.timeout(90_000);
  let server: E2eServer;
  let browser: Browser;
  let page: Page;
  let sipPort: number;
  let trunkPort: number;
  const procs: Sipp[] = [];
  const errors: string[] = [];

  before(async () => {
    await rtpengineRelay(); // the one the config names, or one of the SIP tests' own
    sipPort = await freePort();
    trunkPort = await freePort();
    server = await startServer({
      ...alwaysOpen(),
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:sip.udpPort': sipPort,
      'switchboard.yaml:sip.tcpPort': sipPort,
      'switchboard.yaml:sip.wsPort': await freePort(),
      'trunks.yaml:trunks.0.port': trunkPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
    });
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(server.url, 'POST', '/api/agents', { ...AGENT, role: 'agent' }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 760 }, permissions: ['microphone'] });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    await logInOnScreen(page, server.url, AGENT);
  });
  after(async () => {
    for (const p of procs) p.kill();
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  const run = (p: Sipp) => (procs.push(p), p);
  const callPanel = () => page.locator('[data-test=call-panel]');
  const callState = () => page.locator('[data-test=call-state]');

  /** The loudest sample of the remote audio over ~2 s (Chromium's fake microphone beeps). */
  const remotePeak = () =>
    page.evaluate(async () => {
      const el = document.querySelector<HTMLMediaElement>('audio.sb-remote-audio')!;
      const ctx = new AudioContext();
      const analyser = ctx.createAnalyser();
      ctx.createMediaStreamSource(el.srcObject as MediaStream).connect(analyser);
      const buf = new Uint8Array(analyser.fftSize);
      let max = 0;
      for (let n = 0; n < 20; n++) {
        await new Promise((r) => setTimeout(r, 100));
        analyser.getByteTimeDomainData(buf);
        for (const v of buf) max = Math.max(max, Math.abs(v - 128));
      }
      await ctx.close();
      return max;
    });

  it('registers as the agent extension and says so in the header', async () => {
    const reg = page.locator('[data-test=phone-registration]');
    await reg.and(page.locator('.registered')).waitFor({ timeout: 20_000 });
    expect((await reg.textContent())?.replace(/\s+/g, ' ').trim()).to.equal('Phone ready 201');
  });

  it('rings on a PBX call, answers with audio both ways, mutes, and hangs up (the PBX gets the BYE)', async () => {
    const pbx = run(sipp({ scenario: ours('uac-pbx-calls-agent-who-hangs-up-expect-200.xml'), port: await freePort(), remote: `127.0.0.1:${sipPort}`, timeoutS: 60, extra: ['-rtp_echo', '-mp', String(await freePort())] }));
    const row = page.locator('[data-test=call]');
    await row.waitFor({ timeout: 20_000 });
    // The SIP engine passes the PBX caller's display name on, and the number beside it.
    expect(await row.locator('.name').textContent()).to.equal('Maria Rossi');
    expect(await row.locator('.state').textContent()).to.equal('Ringing');
    await callPanel().and(page.locator('[data-call-state=ringing]')).waitFor();
    expect(await callPanel().locator('h2').textContent()).to.equal('Maria Rossi');
    expect(await callPanel().textContent()).to.contain('+390212345');
    expect(await callPanel().locator('.channel').textContent()).to.equal('Phone · Incoming call');
    await page.screenshot({ path: screenshotPath('incoming-call') });
    await expectAccessible(page, 'incoming call');

    await page.locator('[data-test=answer]').click();
    await callPanel().and(page.locator('[data-call-state=connected]')).waitFor({ timeout: 20_000 });
    expect(await callState().textContent()).to.match(/^\s*Connected/);
    // sipp echoes what it receives: hearing the fake microphone's beep proves media both ways.
    expect(await remotePeak()).to.be.greaterThan(5);

    await page.locator('[data-test=mute]').click();
    await page.locator('[data-test=mute][aria-pressed=true]').waitFor();
    expect(await page.locator('[data-test=mute]').textContent()).to.equal('Unmute');
    await page.locator('[data-test=mute]').click();
    await page.locator('[data-test=mute][aria-pressed=false]').waitFor();
    await page.screenshot({ path: screenshotPath('call-connected') });
    await expectAccessible(page, 'call');

    await page.locator('[data-test=hang-up]').click();
    await callPanel().and(page.locator('[data-call-state=ended]')).waitFor();
    const r = await pbx.done;
    expect(r.code, r.stderr.slice(-1500) + r.stdout.slice(-1500)).to.equal(0);
    expect(await page.locator('audio.sb-remote-audio').count()).to.equal(0);
    await page.locator('[data-test=dismiss]').click();
    await page.locator('[data-test=call]').waitFor({ state: 'detached' });
  });

  it('calls out through the PBX, holds, resumes, sends a keypad tone and transfers blind to 8000', async () => {
    // The PBX checks each step: sendonly re-INVITE, sendrecv re-INVITE, INFO Signal=5, REFER to 8000.
    const pbx = run(sipp({ scenario: 'uas-answer-hold-resume-info-refer.xml', port: trunkPort, timeoutS: 60 }));
    await waitForUdpListener(trunkPort, pbx);
    await page.locator('[data-test=dial-number]').fill('abc');
    await page.locator('[data-test=dial]').click();
    expect(await page.locator('sb-phone-status [role=alert]').textContent()).to.equal('Type digits only (and + * #).');
    await page.locator('[data-test=dial-number]').fill('0612 345 678');
    await page.locator('[data-test=dial]').click();
    await callPanel().and(page.locator('[data-call-state=connected]')).waitFor({ timeout: 20_000 });
    expect(await callPanel().locator('h2').textContent()).to.equal('0612345678');

    await page.locator('[data-test=hold]').click();
    await page.locator('[data-test=hold][aria-pressed=true]').waitFor();
    expect(await callState().textContent()).to.match(/^\s*On hold/);
    await page.locator('[data-test=hold]').click();
    await page.locator('[data-test=hold][aria-pressed=false]').waitFor();

    await page.locator('[data-test=keypad-toggle]').click();
    await page.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: '5', exact: true }).click();
    // The screen updates after the click returns: wait for it rather than read it at once.
    await page.locator('[data-test=dtmf-sent]', { hasText: /^5$/ }).waitFor();

    await page.locator('[data-test=transfer-toggle]').click();
    await page.locator('[data-test=transfer-target]').fill('8000');
    await page.locator('[data-test=transfer]').click();
    await callPanel().and(page.locator('[data-call-state=ended]')).waitFor({ timeout: 20_000 });
    expect(await callState().textContent()).to.match(/Transferred to 8000/);
    const r = await pbx.done;
    expect(r.code, r.stderr.slice(-1500) + r.stdout.slice(-1500)).to.equal(0);
  });
});
