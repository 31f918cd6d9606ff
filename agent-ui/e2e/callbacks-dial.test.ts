// A dialled callback on the desktop, agent first: the agent's softphone (JsSIP in Chromium,
// registered through Switchboard's SIP engine) rings, the agent answers, then the customer's
// phone (sipp behind the callback trunk) is dialled and bridged through rtpengine. The call is a
// call like any other in the desktop's list: hold and resume, mute and a keypad tone reach the
// customer; the agent hangs up, the customer gets the BYE, and nothing is left — no dialog, no call
// session, no call on the screen. Once in automatic mode (dialled on accept), once in preview
// mode (the agent presses Call in the callback pane).
import { expect } from 'chai';
import { answerTheRingingCall, availableAndAsked, callbackState, customerPhone, until, useCallbackDesk, workTheCallAndHangUp } from './callback-stage.ts';

for (const mode of ['automatic', 'preview'] as const) {
  describe(`a dialled callback on the desktop (${mode} mode; JsSIP in Chromium, sipp as the customer)`, function () {
    this.timeout(150_000);
    const desk = useCallbackDesk({ 'queues.yaml:queues.3.callback.mode': mode });

    it('rings the agent, dials the customer, holds, resumes, mutes, sends a tone and hangs up leaving nothing', async () => {
      const { page } = desk;
      const customer = await customerPhone(desk);
      const callbackId = await availableAndAsked(desk);

      const card = page.locator('[data-test=offer]');
      await card.waitFor({ timeout: 60_000 });
      await card.locator('[data-test=offer-accept]').click();
      await card.waitFor({ state: 'detached' });
      if (mode === 'preview') {
        const pane = page.locator('[data-test=callback-pane]');
        await pane.waitFor();
        // Nothing is dialled until the agent presses Call.
        expect(await page.locator('[data-test=call]').count()).to.equal(0);
        await pane.locator('[data-test=callback-call]').click();
      }

      // Leg A: the agent's own phone rings, as a call in the same list as the callback.
      await answerTheRingingCall(page);
      // Leg B answered and bridged: the callback says so.
      await until(async () => (await callbackState(desk, callbackId)).state, (s) => s === 'completed' || s === 'dialling', 'callback state');
      await workTheCallAndHangUp(desk, customer, callbackId);
    });
  });
}
