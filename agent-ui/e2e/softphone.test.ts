// The desktop's softphone against the real SIP path: JsSIP in Chromium registers through
// Switchboard's SIP engine as the agent's extension, media goes through rtpengine, and sipp
// plays the PBX on the other side (the SIP package's helpers and scenarios, plus one of ours
// in e2e/sipp/). Both directions: the PBX calls the agent, and the agent calls out, holds,
// resumes, sends a keypad tone and transfers.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { screenshotPath } from './harness.ts';
import { expectAccessible } from './axe.ts';
import { remoteAudioPeak } from './media.ts';
import { useSoftphoneDesk } from './softphone-stage.ts';

const AGENT = { username: 'paolo', password: 'correct-horse-battery', name: 'Paolo Neri', extension: '201' };

describe('softphone (JsSIP in Chromium, the SIP engine, rtpengine, sipp as the PBX)', function () {
  this.timeout(90_000);
  const desk = useSoftphoneDesk(AGENT);
  let page: Page;
  before(() => {
    page = desk.page;
  });

  const callPanel = () => page.locator('[data-test=call-panel]');
  const callState = () => page.locator('[data-test=call-state]');

  it('registers as the agent extension and says so in the header', async () => {
    const reg = page.locator('[data-test=phone-registration]');
    await reg.and(page.locator('.registered')).waitFor({ timeout: 20_000 });
    expect((await reg.textContent())?.replace(/\s+/g, ' ').trim()).to.equal('Phone ready 201');
  });

  it('rings on a PBX call, answers with audio both ways, mutes, and hangs up (the PBX gets the BYE)', async () => {
    const pbx = await desk.pbxCallsAgent({ timeoutS: 60, echo: true });
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
    expect(await remoteAudioPeak(page, 5)).to.be.greaterThan(5);

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
    const pbx = await desk.pbxOnTrunk({ scenario: 'uas-answer-hold-resume-info-refer.xml', timeoutS: 60 });
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
    // The PBX takes the resume before the keypad tone: the button is busy until it has answered.
    await page.locator('[data-test=hold][aria-pressed=false]:not([aria-busy])').waitFor();

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
