// A widget call end to end: the visitor tests the devices, calls, and sip.js (loaded only now)
// reaches a sipp "PBX" (echoing RTP) through Switchboard's SIP engine and rtpengine; mute, keypad, hang-up.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { entity, hostSite, launchChromium, openWidget, remoteAudioPeak, widgetFrame, REPO, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';
import { expectAccessible } from './axe.ts';

const support = (f: string) => path.join(REPO, 'sip/dist/test/support', f);
const { freePort, sipp, waitForUdpListener } = await import(support('services.js'));

describe('widget: a call through the SIP engine to the PBX', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let page: Page;
  let pbx: { kill(): void };
  before(async () => {
    const pbxPort = await freePort();
    // sipp echoes every RTP packet it gets: what the browser says comes back, so hearing it proves both directions.
    pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort, calls: 1, timeoutS: 50, extra: ['-rtp_echo', '-mp', String(await freePort())] });
    await waitForUdpListener(pbxPort, pbx);
    sb = await startSwitchboard({
      'switchboard.yaml:sip.enabled': true,
      'trunks.yaml:trunks.0.port': pbxPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      // A pre-call form: its answers ride with the call.
      'websites/example.yaml:forms.call': [{ type: 'text', name: 'order', label: 'Order number', required: true, maxLength: 20, mapsTo: { variable: 'order' } }],
    });
    site = await hostSite(sb.url);
    browser = await launchChromium();
    page = await browser.newPage({ locale: 'en-GB' });
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
    pbx?.kill();
  });

  it('connects with audio both ways, mutes, sends keypad tones and hangs up; the call is recorded', async () => {
    // The database is the whole run's: other files' phone calls are in it, so count only the new ones.
    const Interaction = await entity('Interaction', 'modules/interactions/interaction.entity.js');
    const phoneCalls = () => sb.sb.kernel.db.getRepository(Interaction).find({ where: { channel: 'phone', websiteId: 'example' } });
    const earlier = new Set((await phoneCalls()).map((c: { id: string }) => c.id));
    const sipLoaded: string[] = [];
    page.on('request', (r) => void (/sip-call-/.test(r.url()) && sipLoaded.push(r.url())));
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Call', exact: true }).click();
    await frame.getByRole('button', { name: 'Test my devices' }).click();
    await frame.locator('.sb-results li').nth(2).waitFor();
    expect(await frame.locator('.sb-results .sb-bad').count()).to.equal(0);
    expect(sipLoaded).to.deep.equal([]);
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('button', { name: 'Call now' }).click();
    expect(await frame.locator('.sb-warn:visible').textContent()).to.contain('Please fill in this field.');
    await frame.getByLabel('Order number').fill('A-17');
    await frame.getByRole('button', { name: 'Call now' }).click();
    await frame.locator('.sb-call-state', { hasText: 'Connected' }).waitFor();
    expect(sipLoaded).to.have.length(1);
    // Chromium's fake microphone beeps; its echo must be audible in the remote stream.
    const peak = await remoteAudioPeak(widgetFrame(page), 5);
    expect(peak).to.be.greaterThan(5);
    const mute = frame.getByRole('button', { name: 'Mute' });
    await mute.click();
    expect(await frame.getByRole('button', { name: 'Unmute' }).getAttribute('aria-pressed')).to.equal('true');
    await expectAccessible(page, 'call');
    await frame.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: '5' }).click();
    await frame.getByRole('button', { name: 'Hang up' }).click();
    await frame.getByRole('heading', { name: 'The call has ended.' }).waitFor();
    await expectAccessible(page, 'call ended');
    const calls = (await phoneCalls()).filter((c: { id: string }) => !earlier.has(c.id));
    expect(calls).to.have.length(1);
    expect(calls[0].routingVariables).to.deep.include({ order: 'A-17' });
  });
});

describe('widget: a call the PBX refuses', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let pbx: { kill(): void };
  before(async () => {
    const pbxPort = await freePort();
    pbx = sipp({ scenario: 'uas-busy.xml', port: pbxPort, calls: 1, timeoutS: 50 });
    await waitForUdpListener(pbxPort, pbx);
    sb = await startSwitchboard({ 'switchboard.yaml:sip.enabled': true, 'trunks.yaml:trunks.0.port': pbxPort, 'trunks.yaml:trunks.0.optionsPingSeconds': 0 });
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
    pbx?.kill();
  });

  it('ends the call with the reason the network gave', async () => {
    const page = await browser.newPage({ locale: 'en-GB' });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Call', exact: true }).click();
    await frame.getByRole('button', { name: 'Test my devices' }).click();
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('button', { name: 'Call now' }).click();
    await frame.getByRole('heading', { name: 'The call has ended.' }).waitFor();
    expect(await frame.locator('.sb-warn').textContent()).to.match(/^The call failed: 486 /);
    await page.close();
  });
});
