// A blind transfer of a dialled callback from the desktop: the agent's softphone (JsSIP in
// Chromium) is leg A, the customer at the PBX behind the callback trunk (sipp) leg B. The agent
// transfers to 700 from the call panel as on any call; Switchboard hands the REFER to the PBX
// (Refer-To 700, Referred-By the agent's extension), which takes it, reports the new call up and
// hangs up on the agent. The desktop says where the call went, the call leaves the agent's list
// and they are free again, the callback counts as completed at its first attempt, and the call
// ended as transferred (not as the customer hanging up) in its record and the callback's journey.
import { expect } from 'chai';
import { api } from './harness.ts';
import { availableAndAsked, answerTheRingingCall, callbackState, trunkPhone, until, useCallbackDesk } from './callback-stage.ts';

describe('a blind transfer of a dialled callback on the desktop (JsSIP in Chromium, sipp as the PBX with the customer)', function () {
  this.timeout(150_000);
  const desk = useCallbackDesk({ 'queues.yaml:queues.3.callback.mode': 'automatic' });

  it('hands the REFER to 700 to the PBX; the call ends as transferred on the desktop, in its record and the journey; the agent is free, the callback completed', async () => {
    const { page } = desk;
    const pbx = await trunkPhone(desk, 'uas-customer-answer-refer-700.xml');
    const callbackId = await availableAndAsked(desk);
    const card = page.locator('[data-test=offer]');
    await card.waitFor({ timeout: 60_000 });
    await card.locator('[data-test=offer-accept]').click();
    await card.waitFor({ state: 'detached' });
    await answerTheRingingCall(page);
    await until(async () => (await callbackState(desk, callbackId)).state, (s) => s === 'completed', 'callback state');

    const panel = page.locator('[data-test=call-panel]');
    await page.locator('[data-test=transfer-toggle]').click();
    await page.locator('[data-test=transfer-target]').fill('700');
    await page.locator('[data-test=transfer]').click();
    await panel.and(page.locator('[data-call-state=ended]')).waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-test=call-state]').textContent()).to.match(/Transferred to 700/);
    // The PBX got the REFER with its target and transferor, confirmed it, and its BYE was answered.
    const r = await pbx.done;
    expect(r.code, r.stderr.slice(-1500) + r.stdout.slice(-1500)).to.equal(0);

    await until(async () => (await api(desk.server.url, 'GET', '/api/admin/sip', undefined, desk.admin)).body, (b) => b.dialogs === 0 && b.calls === 0, 'SIP engine');
    const cb = (await api(desk.server.url, 'GET', `/api/callbacks/${callbackId}`, undefined, desk.admin)).body.callback;
    expect(cb.state).to.equal('completed');
    expect(cb.attempts).to.equal(1);
    const record = async () => (await api(desk.server.url, 'GET', `/api/history/interactions/${cb.interactionId}`, undefined, desk.admin)).body;
    const done = await until(record, (b) => b.calls?.[0]?.endedAt != null, 'the callback’s call ended in its record');
    // Transferred, not hung up by the customer: in the call's record and in the journey.
    expect(done.calls.map((c: { cause: string }) => c.cause)).to.deep.equal(['transferred']);
    expect(done.journey.filter((j: { type: string }) => j.type === 'call.ended').map((j: { data: { cause: string } }) => j.data.cause)).to.deep.equal(['transferred']);

    await page.locator('[data-test=dismiss]').click();
    await page.locator('[data-test=call]').waitFor({ state: 'detached' });
    await page.locator('[data-test=interaction]').waitFor({ state: 'detached', timeout: 20_000 });
    await page.locator('[data-test=state-current]').and(page.locator('[data-state=available]')).waitFor({ timeout: 20_000 });
  });
});
