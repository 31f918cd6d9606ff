// The stage the softphone e2e files share: rtpengine, a server with its SIP engine on free ports
// and its trunk on a port of its own (where a sipp PBX can answer), one agent logged in on screen
// with the JsSIP softphone registered, and a sipp PBX calling that agent's extension.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, startServer, UI, type E2eServer } from './harness.ts';

const support = (f: string) => path.join(REPO, 'sip/dist/test/support', f);
const { freePort, sipp, waitForUdpListener, rtpengineRelay, SCENARIOS } = await import(support('services.js'));
export type Sipp = { done: Promise<{ code: number | null; stderr: string; stdout: string }>; kill(): void };
/** Our scenarios live in e2e/sipp; sipp() resolves names inside sip/test/sipp. */
const ours = (name: string) => path.relative(SCENARIOS, path.join(UI, 'e2e/sipp', name));

export type SoftphoneAgent = { username: string; password: string; name: string; extension: string };

export interface SoftphoneDesk {
  server: E2eServer;
  page: Page;
  /** The SIP engine's UDP (and TCP) port, where a PBX sends its calls. */
  sipPort: number;
  /** The trunk's port: a sipp there answers the agent's outgoing calls. */
  trunkPort: number;
  /** Page errors and refusals by the page policy; any of them fails the test it happened in. */
  readonly errors: string[];
  /** The softphone's own warnings on the console (`softphone: …`). */
  readonly warnings: string[];
  /**
   * The PBX calls the agent's extension as Maria Rossi and waits for the agent to hang up
   * (e2e/sipp/uac-pbx-calls-agent-who-hangs-up-expect-200.xml); `echo` sends back the audio it gets.
   */
  pbxCallsAgent(opts: { timeoutS: number; echo?: boolean }): Promise<Sipp>;
  /** The PBX behind the trunk, listening (a scenario of sip/test/sipp) before this resolves. */
  pbxOnTrunk(opts: { scenario: string; timeoutS: number }): Promise<Sipp>;
}

/**
 * Sets the stage up in the calling describe's hooks and tears it down after; the returned object
 * is filled in once `before` has run. Any error the page throws fails the test it happened in.
 */
export function useSoftphoneDesk(agent: SoftphoneAgent): SoftphoneDesk {
  const procs: Sipp[] = [];
  const desk = { errors: [] as string[], warnings: [] as string[] } as SoftphoneDesk;
  /** A sipp process the stage kills at its end if it is still running. */
  const run = (p: Sipp) => (procs.push(p), p);
  desk.pbxCallsAgent = async ({ timeoutS, echo }) =>
    run(
      sipp({
        scenario: ours('uac-pbx-calls-agent-who-hangs-up-expect-200.xml'),
        port: await freePort(),
        remote: `127.0.0.1:${desk.sipPort}`,
        timeoutS,
        extra: [...(echo ? ['-rtp_echo'] : []), '-mp', String(await freePort())],
      }),
    );
  desk.pbxOnTrunk = async ({ scenario, timeoutS }) => {
    const pbx = run(sipp({ scenario, port: desk.trunkPort, timeoutS }));
    await waitForUdpListener(desk.trunkPort, pbx);
    return pbx;
  };
  let browser: Browser | undefined;
  before(async () => {
    await rtpengineRelay(); // the one the config names, or one of the SIP tests' own
    desk.sipPort = await freePort();
    desk.trunkPort = await freePort();
    desk.server = await startServer({
      ...alwaysOpen(),
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:sip.udpPort': desk.sipPort,
      'switchboard.yaml:sip.tcpPort': desk.sipPort,
      'switchboard.yaml:sip.wsPort': await freePort(),
      'trunks.yaml:trunks.0.port': desk.trunkPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
    });
    const admin = await login(desk.server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const r = await api(desk.server.url, 'POST', '/api/agents', { ...agent, role: 'agent' }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 760 }, permissions: ['microphone'] });
    desk.page = await context.newPage();
    desk.page.on('pageerror', (e) => desk.errors.push(e.message));
    desk.page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) desk.errors.push(m.text());
      if (m.type() === 'warning' && m.text().startsWith('softphone:')) desk.warnings.push(m.text());
    });
    await logInOnScreen(desk.page, desk.server.url, agent);
    await desk.page.locator('[data-test=phone-registration]').and(desk.page.locator('.registered')).waitFor({ timeout: 20_000 });
  });
  after(async () => {
    for (const p of procs) p.kill();
    await browser?.close();
    await desk.server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(desk.errors, desk.errors.join('\n')).to.deep.equal([]));
  return desk;
}
