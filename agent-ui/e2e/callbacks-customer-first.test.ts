// A customer-first callback on the desktop: the customer's phone (sipp behind the trunk) is
// called when the callback is due and answers; only then is the live call offered to the agent,
// whose softphone (JsSIP in Chromium, registered through Switchboard's SIP engine) rings once they
// accept. The call is a call like any other in the desktop's list: hold and resume, mute and a
// keypad tone reach the customer; the agent hangs up, the customer gets the BYE, and nothing is
// left — no dialog, no call session, no call on the screen.
import { expect } from 'chai';
import { answerTheRingingCall, availableAndAsked, callbackState, customerPhone, until, useCallbackDesk, workTheCallAndHangUp } from './callback-stage.ts';

describe('a customer-first callback on the desktop (the customer answers first; JsSIP in Chromium)', function () {
  this.timeout(150_000);
  const desk = useCallbackDesk({
    'queues.yaml:queues.3.callback.order': 'customer-first',
    'queues.yaml:queues.3.callback.announcement': 'prompts/callback-connecting.en.wav',
  });

  it('calls the customer, offers the answered call, rings the agent on accept; hold, resume, mute, a tone, hang-up leaving nothing', async () => {
    const { page } = desk;
    const customer = await customerPhone(desk);
    const callbackId = await availableAndAsked(desk);

    // The offer comes once the customer answered, and says they are on the line.
    const card = page.locator('[data-test=offer]');
    await card.waitFor({ timeout: 60_000 });
    await card.getByText('on the line, waiting').waitFor();
    expect((await callbackState(desk, callbackId)).state).to.equal('dialling');
    expect(await page.locator('[data-test=call]').count(), 'the agent is not rung before accepting').to.equal(0);
    await card.locator('[data-test=offer-accept]').click();
    await card.waitFor({ state: 'detached' });

    // The agent's own phone rings, as a call in the same list as the callback.
    await answerTheRingingCall(page);
    await until(async () => (await callbackState(desk, callbackId)).state, (s) => s === 'completed', 'callback state');
    await workTheCallAndHangUp(desk, customer, callbackId);
  });
});
