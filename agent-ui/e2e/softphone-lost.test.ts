// A softphone call ringing when the server that sent its INVITE dies (kill -9): the WebSocket it
// came over is gone, so no answer could ever reach the caller (RFC 7118 §5), and the desktop ends
// the ringing call itself with the reason instead of ringing until JsSIP's own timers give up.
import { expect } from 'chai';
import { useSoftphoneDesk } from './softphone-stage.ts';

// Extension 201: the one the PBX scenario calls.
const AGENT = { username: 'lucia', password: 'correct-horse-battery', name: 'Lucia Fabbri', extension: '201' };

describe('softphone: a ringing call is lost with the connection to the server', function () {
  this.timeout(120_000);
  const desk = useSoftphoneDesk(AGENT);

  it('ends the ringing call with "the call was lost with the connection" when the server is killed, and leaves an answered call as it is', async () => {
    const { page, server, warnings } = desk;
    const ring = () => desk.pbxCallsAgent({ timeoutS: 90 });
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

    await page.locator('[data-test=dismiss]').click();
    await rows.nth(1).waitFor({ state: 'detached' });
    expect(await rows.count()).to.equal(1);
  });
});
