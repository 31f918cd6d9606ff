// Keep my place from a call, as the visitor sees it: their call waits in the PBX's queue (a sipp
// PBX answering like a queue playing music), they choose "Call me back instead" under the call,
// leave their number, and the widget says they keep their place, with the reference. The call
// ends cleanly (the PBX gets its BYE) and no "call ended" screen gets in the way.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { entity, eventually, hostSite, launchChromium, login, makeAgent, openWidget, REPO, setState, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';
import { expectAccessible } from './axe.ts';

const support = (f: string) => path.join(REPO, 'sip/dist/test/support', f);
const { freePort, sipp, waitForUdpListener } = await import(support('services.js'));

// The run's database holds other files' phone calls too: a test finds its own as the one that was not there before it.
async function phoneCallsNow(sb: Switchboard): Promise<Set<string>> {
  const Interaction = await entity('Interaction', 'modules/interactions/interaction.entity.js');
  return new Set((await sb.sb.kernel.db.getRepository(Interaction).find({ where: { channel: 'phone', websiteId: 'example' } })).map((c: { id: string }) => c.id));
}
async function newPhoneCall(sb: Switchboard, earlier: Set<string>): Promise<any> {
  const Interaction = await entity('Interaction', 'modules/interactions/interaction.entity.js');
  const calls = (await sb.sb.kernel.db.getRepository(Interaction).find({ where: { channel: 'phone', websiteId: 'example' } })).filter((c: { id: string }) => !earlier.has(c.id));
  expect(calls, 'phone calls this test made').to.have.length(1);
  return calls[0];
}

describe('widget: keep my place from a call', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let page: Page;
  let pbx: { kill(): void; done: Promise<{ code: number; stderr: string }> };
  before(async () => {
    const pbxPort = await freePort();
    pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort, calls: 1, timeoutS: 80 });
    await waitForUdpListener(pbxPort, pbx);
    sb = await startSwitchboard({
      'switchboard.yaml:sip.enabled': true,
      'trunks.yaml:trunks.0.port': pbxPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'queues.yaml:queues.3.callback.mode': 'preview',
    });
    const agent = await makeAgent(sb.url, await login(sb.url), { skills: [{ skill: 'english', level: 8 }], available: false });
    // Logged in but on a break: the callback waits in its queue.
    await setState(sb.url, agent, 'not-ready', 'break');
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  after(async () => {
    await page?.close();
    await browser?.close();
    await site?.close();
    await sb?.stop();
    pbx?.kill();
  });

  it('switches the waiting call to a callback that keeps its place, ends the call and shows the reference', async () => {
    const earlier = await phoneCallsNow(sb);
    page = await browser.newPage({ locale: 'en-GB' });
    const frame = await openWidget(page, site);
    await page.evaluate(() => {
      const w = window as any;
      w.callsEnded = [];
      w.Switchboard.on('call.ended', (d: unknown) => w.callsEnded.push(d));
    });
    await frame.getByRole('button', { name: 'Call', exact: true }).click();
    await frame.getByRole('button', { name: 'Test my devices' }).click();
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('button', { name: 'Call now' }).click();
    await frame.locator('.sb-call-state', { hasText: 'Connected' }).waitFor();

    // Back closes the form and the call goes on; the second time the visitor goes through with it.
    const offer = frame.getByRole('button', { name: 'Call me back instead' });
    await offer.click();
    await frame.getByRole('button', { name: /Back/ }).click();
    await offer.click();
    await expectAccessible(page, 'call with the callback form');
    await frame.getByLabel('Phone number').fill('+39 06 4545 7878');
    await frame.getByRole('button', { name: 'Send' }).click();

    const card = frame.locator('.sb-done .sb-callback');
    await card.waitFor();
    expect(await card.locator('.sb-callback-state').textContent()).to.equal('You keep your place in the queue: we will call you when it is your turn.');
    const reference = /CB-[0-9A-F]{8}/.exec((await card.locator('.sb-reference').textContent())!)![0];
    await expectAccessible(page, 'callback keeping the call\'s place');

    const Callback = await entity('Callback', 'modules/callbacks/callback.entity.js');
    const Interaction = await entity('Interaction', 'modules/interactions/interaction.entity.js');
    const Call = await entity('Call', 'modules/calls/call.entity.js');
    const db = sb.sb.kernel.db;
    const cb = (await db.getRepository(Callback).find()).find((r: { id: string }) => `CB-${r.id.slice(0, 8).toUpperCase()}` === reference);
    expect(cb).to.include({ phoneNumber: '+390645457878', state: 'queued', asap: true });
    const phoneCall = await newPhoneCall(sb, earlier);
    const held = await db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId });
    expect(held.queuedAt.getTime(), 'the callback waits since the call did').to.equal(phoneCall.queuedAt.getTime());
    // The call is over on every side: the PBX's scenario ended with the BYE, the record is closed.
    const result = await pbx.done;
    expect(result.code, result.stderr).to.equal(0);
    await eventually(() => db.getRepository(Call).findOneBy({ interactionId: phoneCall.id }), (c: { endedAt: Date | null } | null) => !!c?.endedAt);
    expect((await db.getRepository(Interaction).findOneByOrFail({ id: phoneCall.id })).state).to.equal('closed');
    // The widget's call has taken its end in (the page hears of it): the confirmation stays, no "ended" screen.
    await page.waitForFunction(() => (window as any).callsEnded.length > 0);
    expect(await page.evaluate(() => (window as any).callsEnded)).to.deep.equal([{ interactionId: phoneCall.id, keptPlace: true }]);
    expect(await card.isVisible()).to.equal(true);
    expect(await frame.getByRole('heading', { name: 'The call has ended.' }).count()).to.equal(0);
    await frame.getByRole('button', { name: 'Home' }).click();
    await frame.locator('.sb-channels').waitFor();
  });
});

describe('widget: keep my place once an agent has the call', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let pbx: { kill(): void };
  let agentId: string;
  before(async () => {
    const pbxPort = await freePort();
    pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort, calls: 1, timeoutS: 80 });
    await waitForUdpListener(pbxPort, pbx);
    sb = await startSwitchboard({ 'switchboard.yaml:sip.enabled': true, 'trunks.yaml:trunks.0.port': pbxPort, 'trunks.yaml:trunks.0.optionsPingSeconds': 0 });
    agentId = (await makeAgent(sb.url, await login(sb.url), { skills: [{ skill: 'english', level: 8 }], available: false })).id;
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
    pbx?.kill();
  });

  it('says the call is no longer waiting, drops the offer and leaves the call up', async () => {
    const earlier = await phoneCallsNow(sb);
    const page = await browser.newPage({ locale: 'en-GB' });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Call', exact: true }).click();
    await frame.getByRole('button', { name: 'Test my devices' }).click();
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByRole('button', { name: 'Call now' }).click();
    await frame.locator('.sb-call-state', { hasText: 'Connected' }).waitFor();
    await frame.getByRole('button', { name: 'Call me back instead' }).click();
    // Meanwhile the PBX handed the call to an agent's extension, who answered (calls/pbx-calls.ts).
    const Interaction = await entity('Interaction', 'modules/interactions/interaction.entity.js');
    const repo = sb.sb.kernel.db.getRepository(Interaction);
    const phoneCall = await newPhoneCall(sb, earlier);
    await repo.update({ id: phoneCall.id }, { state: 'assigned', assignedAgentId: agentId });
    await frame.getByLabel('Phone number').fill('+39 06 4545 1111');
    await frame.getByRole('button', { name: 'Send' }).click();
    await frame.getByText(/not waiting in a queue any more \(it is with an agent\)/).waitFor();
    await frame.locator('.sb-keep-place-call').waitFor({ state: 'detached' });
    expect(await frame.getByRole('button', { name: 'Call me back instead' }).isVisible()).to.equal(false);
    expect(await frame.locator('.sb-call-state').textContent()).to.contain('Connected');
    await frame.getByRole('button', { name: 'Hang up' }).click();
    await frame.getByRole('heading', { name: 'The call has ended.' }).waitFor();
    await page.close();
  });
});
