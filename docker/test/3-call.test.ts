// A widget call from Chromium through the server container's SIP engine to a sipp "PBX" on the
// host that echoes RTP, the media relayed by the rtpengine container: the browser hears its own
// fake microphone come back, and rtpengine counts packets on both legs.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { hostSite, launchChromium, openWidget, remoteAudioPeak, widgetFrame, type HostSite } from '../../widget/test/harness.ts';
import { REPO, stackUp, type Stack } from './stack.ts';

const sipDist = (p: string) => path.join(REPO, 'sip/dist', p);
const { freePort, sipp, waitForUdpListener } = await import(sipDist('test/support/services.js'));
const { RtpEngineRelay } = await import(sipDist('media/relay.js'));

type Relay = { list(): Promise<string[]>; query(id: string): Promise<Record<string, unknown>>; close(): void };

/** Packets rtpengine counted on each leg of a call (summed over the leg's streams). */
async function legPackets(relay: Relay, callId: string): Promise<number[]> {
  const q = (await relay.query(callId)) as { tags?: Record<string, { medias?: { streams?: { stats?: { packets?: number } }[] }[] }> };
  return Object.values(q.tags ?? {}).map((t) => (t.medias ?? []).flatMap((m) => m.streams ?? []).reduce((n, st) => n + (st.stats?.packets ?? 0), 0));
}

describe('Docker: a widget call bridged to a sipp PBX, media through the rtpengine container', function () {
  this.timeout(180_000);
  let s: Stack;
  let site: HostSite;
  let browser: Browser;
  let relay: Relay;
  let pbx: { kill(): void; done: Promise<{ code: number | null; stderr: string }> };

  before(async () => {
    s = await stackUp();
    // The PBX on the port the test configuration's trunk names; it echoes every RTP packet.
    pbx = sipp({ scenario: 'uas-answer-any.xml', port: s.pbxPort, calls: 1, timeoutS: 120, extra: ['-rtp_echo', '-mp', String(await freePort())] });
    await waitForUdpListener(s.pbxPort, pbx);
    relay = new RtpEngineRelay({ host: '127.0.0.1', port: Number(s.env.SWITCHBOARD_RTPENGINE_PORT), timeout: 1000 });
    site = await hostSite(s.url, s.sitePort);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    pbx?.kill();
    relay?.close();
  });

  it('connects, carries audio both ways through rtpengine, and hangs up cleanly', async () => {
    const page = await browser.newPage({ locale: 'en-GB' });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Call', exact: true }).click();
    await frame.getByRole('button', { name: 'Test my devices' }).click();
    await frame.getByRole('button', { name: 'Continue' }).click({ timeout: 20_000 });
    await frame.getByRole('button', { name: 'Call now' }).click();
    await frame.locator('.sb-call-state', { hasText: 'Connected' }).waitFor({ timeout: 30_000 });

    // The browser hears its fake microphone's beeps echoed by the PBX: both directions work.
    const peak = await remoteAudioPeak(widgetFrame(page), 5);
    expect(peak, 'loudness of the echoed audio').to.be.greaterThan(5);

    // And the containerised rtpengine relayed it: one call (besides the device test's own media
    // probe, which expires by itself), packets on the browser's leg and the PBX's.
    const calls = (await relay.list()).filter((id) => !id.startsWith('probe-'));
    expect(calls).to.have.length(1);
    const callId = calls[0]!;
    let legs: number[] = [];
    for (let i = 0; i < 50 && !(legs.length === 2 && legs.every((n) => n > 50)); i++) {
      legs = await legPackets(relay, callId);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(legs, 'rtpengine packet counts per leg').to.have.length(2);
    for (const n of legs) expect(n).to.be.greaterThan(50);

    await frame.getByRole('button', { name: 'Hang up' }).click();
    await frame.getByRole('heading', { name: 'The call has ended.' }).waitFor();
    const r = await pbx.done;
    expect(r.code, r.stderr.slice(-800)).to.equal(0);
    for (let i = 0; i < 50 && (await relay.list()).includes(callId); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await relay.list(), 'the call’s media session is gone from rtpengine').to.not.include(callId);
  });
});
