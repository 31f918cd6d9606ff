// After asking for a callback the visitor sees when we call and can cancel; the widget remembers
// the request for their next visit, and finds one asked elsewhere by its reference and the
// number's last digits. The website is another origin than Switchboard, as on a real site.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { entity, eventually, hostSite, launchChromium, openWidget, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';
import { expectAccessible } from './axe.ts';

describe('widget: the state of a callback request', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  before(async () => {
    sb = await startSwitchboard({ 'websites/example.yaml:forms.callback.2': { type: 'email', name: 'email', label: 'Email', mapsTo: { contact: 'email' } } });
    site = await hostSite(sb.url);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });
  const rowOf = async (reference: string) => {
    const Callback = await entity('Callback', 'modules/callbacks/callback.entity.js');
    const rows = await sb.sb.kernel.db.getRepository(Callback).find();
    return rows.find((r: { id: string }) => `CB-${r.id.slice(0, 8).toUpperCase()}` === reference) as { id: string; state: string };
  };

  it('shows when we call and the mail on its way, remembers the request, and cancels it on the next visit', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Call me back' }).click();
    await frame.getByLabel('Phone number').fill('+39 06 9090 1357');
    await frame.getByLabel('Email').fill('visitor@example.com');
    await frame.locator('#sb-slot').selectOption({ index: 2 });
    const slotText = await frame.locator('#sb-slot option:checked').textContent();
    await frame.getByRole('button', { name: 'Send' }).click();
    const card = frame.locator('.sb-done .sb-callback');
    await card.waitFor();
    const reference = /CB-[0-9A-F]{8}/.exec((await card.locator('.sb-reference').textContent())!)![0];
    expect(await card.locator('.sb-callback-state').textContent()).to.equal(`We will call you ${slotText}.`);
    expect(await frame.locator('.sb-mailed').textContent()).to.contain('confirmation');
    await expectAccessible(page, 'callback confirmation');

    // The next visit (same browser): the request is listed with its state and can be cancelled.
    await page.close();
    const again = await context.newPage();
    const f2 = await openWidget(again, site);
    await f2.getByRole('button', { name: 'Call me back' }).click();
    await f2.getByRole('button', { name: 'Your callback requests' }).click();
    const listed = f2.locator(`.sb-callbacks .sb-callback[data-reference="${reference}"]`);
    await listed.waitFor();
    expect(await listed.getAttribute('data-state')).to.equal('scheduled');
    await expectAccessible(again, 'callback requests');
    await listed.getByRole('button', { name: 'Cancel the callback' }).click();
    await f2.locator(`.sb-callback[data-reference="${reference}"][data-state="cancelled"]`).waitFor();
    expect(await listed.locator('.sb-callback-state').textContent()).to.equal('Cancelled: we will not call you.');
    expect(await listed.getByRole('button', { name: 'Cancel the callback' }).count()).to.equal(0);
    await eventually(() => rowOf(reference), (r: { state: string }) => r.state === 'cancelled');
    await context.close();
  });

  it('finds a request asked elsewhere by its reference and the last digits, and says so when they do not match', async () => {
    const r = await fetch(`${sb.url}/api/widget/example/callbacks`, { method: 'POST', headers: { 'content-type': 'application/json', origin: site.origin }, body: JSON.stringify({ fields: { phone: '+39 06 9090 2468' }, slot: 'asap' }) });
    const asked = (await r.json()) as { reference: string };
    expect(r.status).to.equal(201);
    const page = await browser.newPage({ locale: 'en-GB' });
    const frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Call me back' }).click();
    await frame.getByRole('button', { name: 'Your callback requests' }).click();
    // Asked elsewhere: not listed once the list has loaded, until found.
    await frame.locator('.sb-callbacks[aria-busy="false"]').waitFor({ state: 'attached' });
    expect(await frame.locator('.sb-callbacks .sb-callback').count()).to.equal(0);
    await frame.getByLabel('Reference').fill(asked.reference.toLowerCase());
    await frame.getByLabel('Last 4 digits of the phone number').fill('1111');
    await frame.getByRole('button', { name: 'Find a request' }).click();
    const warning = frame.locator('.sb-lookup .sb-warn:visible');
    await warning.waitFor();
    expect(await warning.textContent()).to.equal('No request with this reference and number.');
    await frame.getByLabel('Last 4 digits of the phone number').fill('2468');
    await frame.getByRole('button', { name: 'Find a request' }).click();
    const card = frame.locator(`.sb-callbacks .sb-callback[data-reference="${asked.reference}"]`);
    await card.waitFor();
    expect(['scheduled', 'queued']).to.include(await card.getAttribute('data-state'));
    expect(await card.locator('.sb-callback-state').textContent()).to.equal('We will call you as soon as possible.');
    expect(await frame.locator('body').textContent()).to.not.contain('9090');
    await page.close();
  });
});
