// An agent in a chat invites the visitor to a video call. The agent is a desktop socket on
// /ws/agent plus a softphone registered through Switchboard's SIP engine (sip.js in Node with a
// WebRTC-shaped SDP: it answers, it has no media stack); the visitor is Chromium with fake devices.
// The invitation appears in the chat, can be declined or withdrawn, and joining it places the
// call the way a widget call goes (POST …/calls, sip.js, rtpengine) to that agent's softphone.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { accept, api, cid, command, eventually, hostSite, launchChromium, login, makeAgent, nextOffer, openWidget, REPO, startSwitchboard, type HostSite, type Switchboard } from './harness.ts';
import { expectAccessible } from './axe.ts';

const { softphone } = await import(path.join(REPO, 'sip/dist/test/support/softphone.js'));

// The agent's display name is the agent's to choose: it must reach the visitor as text only.
const AGENT_NAME = '<img src=x onerror=alert(1)> Bob';

describe('widget: joining a video call the agent offers in the chat', () => {
  let sb: Switchboard;
  let site: HostSite;
  let browser: Browser;
  let page: Page;
  let frame: FrameLocator;
  let agent: Awaited<ReturnType<typeof makeAgent>>;
  let phone: { incoming: any[]; remoteSdps: string[]; register(): Promise<number>; stop(): Promise<void> };
  let interactionId: string;
  const dialogs: string[] = [];

  before(async () => {
    sb = await startSwitchboard({ 'switchboard.yaml:sip.enabled': true, 'trunks.yaml:trunks.0.optionsPingSeconds': 0 });
    await eventually(async () => sb.sb.contexts.xmpp.status().ok, (ok: boolean) => ok);
    site = await hostSite(sb.url);
    browser = await launchChromium();
    const admin = await login(sb.url);
    agent = await makeAgent(sb.url, admin, { skills: [{ skill: 'english', level: 8 }] });
    expect((await api(sb.url, 'PATCH', `/api/agents/${agent.id}`, { extension: '3901', name: AGENT_NAME }, admin)).status).to.equal(200);
    const cred = (await api(sb.url, 'GET', '/api/sip/credentials', undefined, agent.token)).body;
    phone = await softphone({ wsPort: Number(new URL(cred.wsUrl).port), username: cred.username, password: cred.password, user: '3901', video: true });
    expect(await phone.register()).to.equal(200);

    page = await browser.newPage({ locale: 'en-GB' });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // Every peer connection the frame makes, so the test can read what was negotiated.
    await page.addInitScript(() => {
      const Native = window.RTCPeerConnection;
      if (!Native) return;
      const seen: RTCPeerConnection[] = [];
      (window as any).__pcs = seen;
      window.RTCPeerConnection = class extends Native {
        constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
          super(...args);
          seen.push(this);
        }
      } as typeof RTCPeerConnection;
    });
    frame = await openWidget(page, site);
    await frame.getByRole('button', { name: 'Chat' }).click();
    await frame.getByLabel('Name').fill('Ada Visitor');
    await frame.getByLabel('Email').fill('ada@example.com');
    await frame.getByLabel('I accept the privacy policy').check();
    await frame.getByLabel('Where is my order?').check();
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const offer = await nextOffer(agent);
    interactionId = offer.interactionId;
    expect((await accept(sb.url, agent, offer.offerId)).status).to.equal(200);
    await frame.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();
  });
  after(async () => {
    await phone?.stop();
    await browser?.close();
    await site?.close();
    await sb?.stop();
  });

  async function invite(video = true) {
    const r = await command(agent.socket, { type: 'call.invite', interactionId, video });
    expect(r.type, JSON.stringify(r)).to.equal('call.invite.state');
    return r.invite;
  }
  const focused = () => frame.locator(':focus').textContent();

  it('shows the invitation as text, with focus on Join; Decline tells the agent; a withdrawn one goes away', async () => {
    const first = await invite();
    const card = frame.locator('.sb-invite');
    await card.waitFor();
    expect(await card.locator('p').textContent()).to.equal(`${AGENT_NAME} invites you to a video call.`);
    expect(await card.locator('img').count()).to.equal(0);
    expect(await frame.locator('.sb-invite-slot').getAttribute('aria-live')).to.equal('assertive');
    expect(await focused()).to.equal('Join');
    await expectAccessible(page, 'chat with a call invitation');
    await frame.getByRole('button', { name: 'Decline' }).click();
    await card.waitFor({ state: 'detached' });
    const declined = await agent.socket.next((m: any) => m.type === 'call.invite.state' && m.invite.inviteId === first.inviteId && m.invite.state === 'declined');
    expect(declined.invite.state).to.equal('declined');
    // Focus goes back to the message box, not to the page's start.
    expect(await frame.locator('.sb-input').evaluate((el) => el === document.activeElement)).to.equal(true);

    // While the visitor is writing, the invitation does not take the keyboard away.
    await frame.getByLabel('Type a message').pressSequentially('I am typing');
    const second = await invite(false);
    await frame.locator('.sb-invite p', { hasText: 'invites you to a call.' }).waitFor();
    await frame.getByLabel('Type a message').press(' ');
    expect(await frame.locator('.sb-input').evaluate((el) => el === document.activeElement)).to.equal(true);
    expect(await frame.getByLabel('Type a message').inputValue()).to.equal('I am typing ');
    await frame.getByLabel('Type a message').fill('');
    const cancelled = await command(agent.socket, { type: 'call.invite.cancel', inviteId: second.inviteId });
    expect(cancelled.invite.state).to.equal('cancelled');
    await card.waitFor({ state: 'detached' });
    expect(await frame.locator('.sb-invite-notice').textContent()).to.equal('The call invitation was withdrawn.');
    expect(dialogs).to.deep.equal([]);
  });

  it('still offers an invitation sent while the visitor was moving to another page of the website', async () => {
    // Sent while no page of the website is open: no socket hears it, so the next page must ask.
    await page.goto('about:blank');
    const sent = await invite(true);
    await page.goto(`${site.origin}/?page=2`);
    await frame.locator('.sb-invite').waitFor();
    expect(await frame.locator('.sb-invite p').textContent()).to.equal(`${AGENT_NAME} invites you to a video call.`);
    await frame.getByRole('button', { name: 'Decline' }).click();
    await agent.socket.next((m: any) => m.type === 'call.invite.state' && m.invite.inviteId === sent.inviteId && m.invite.state === 'declined');
  });

  it('tells a visitor whose devices cannot be opened, places no call, and keeps the invitation on offer', async () => {
    const frameHandle = page.frames().find((f) => f.url().includes('/widget/frame/'))!;
    await frameHandle.evaluate(() => {
      const md = navigator.mediaDevices as any;
      md.realGetUserMedia = md.getUserMedia;
      md.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    const posted: string[] = [];
    const track = (r: { method(): string; url(): string }) => void (r.method() === 'POST' && /\/calls$/.test(r.url()) && posted.push(r.url()));
    page.on('request', track);
    try {
      const sent = await invite(true);
      await frame.getByRole('button', { name: 'Join' }).click();
      await frame.getByText('Allow access to your microphone (and camera) to call us.').waitFor();
      expect(posted).to.deep.equal([]);
      await frame.getByRole('button', { name: 'Back' }).click();
      await frame.getByRole('button', { name: 'Decline' }).click();
      await agent.socket.next((m: any) => m.type === 'call.invite.state' && m.invite.inviteId === sent.inviteId && m.invite.state === 'declined');
      expect(posted).to.deep.equal([]);
    } finally {
      page.off('request', track);
      await frameHandle.evaluate(() => {
        const md = navigator.mediaDevices as any;
        md.getUserMedia = md.realGetUserMedia;
      });
    }
  });

  it('counts an invitation and agent lines on the bubble while the widget is closed', async () => {
    await frame.getByRole('button', { name: 'Minimise' }).click();
    const bubble = page.locator('[data-switchboard-widget] button');
    await page.locator('[data-switchboard-widget] button[aria-expanded="false"]').waitFor();
    const sent = await invite(true);
    await page.locator('[data-switchboard-widget] button[aria-label="Talk to us (1 new)"]').waitFor();
    expect(await bubble.locator('span').textContent()).to.equal('1');
    await command(agent.socket, { type: 'chat.send', interactionId, clientMessageId: cid(), body: 'I sent you a video call invitation.' });
    await page.locator('[data-switchboard-widget] button[aria-label="Talk to us (2 new)"]').waitFor();
    await bubble.click();
    expect(await bubble.getAttribute('aria-label')).to.equal('Talk to us');
    expect(await bubble.locator('span').isVisible()).to.equal(false);
    await frame.locator('.sb-invite').waitFor();
    await frame.getByRole('button', { name: 'Decline' }).click();
    await agent.socket.next((m: any) => m.type === 'call.invite.state' && m.invite.inviteId === sent.inviteId && m.invite.state === 'declined');
    // Open, nothing is counted.
    await command(agent.socket, { type: 'chat.send', interactionId, clientMessageId: cid(), body: 'No problem.' });
    await frame.locator('.sb-line.sb-agent', { hasText: 'No problem.' }).waitFor();
    expect(await bubble.getAttribute('aria-label')).to.equal('Talk to us');
  });

  it('explains, in the visitor\'s words, an invitation that ran out just before Join', async () => {
    const sent = await invite(true);
    await frame.locator('.sb-invite').waitFor();
    // Its minute is up on the server (as if the visitor had waited); the page has not heard yet.
    const redis = sb.sb.kernel.redis;
    await redis.client.hset(redis.key('call-invite', sent.inviteId), 'expiresAt', String(Date.now() - 1));
    await frame.getByRole('button', { name: 'Join' }).click();
    // Back in the conversation at once, told why there is no call.
    await frame.locator('.sb-invite-notice', { hasText: 'The call failed: The call invitation has expired.' }).waitFor();
    expect(await frame.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).count()).to.equal(1);
    expect(phone.incoming).to.have.length(0);
    expect(await frame.locator('.sb-invite').count()).to.equal(0);

    // Declining one that ran out is no error: it simply goes, saying why.
    const late = await invite(true);
    await frame.locator('.sb-invite').waitFor();
    await redis.client.hset(redis.key('call-invite', late.inviteId), 'expiresAt', String(Date.now() - 1));
    await frame.getByRole('button', { name: 'Decline' }).click();
    await frame.locator('.sb-invite-notice', { hasText: 'The call invitation has expired.' }).waitFor();
    expect(await frame.locator('.sb-error[role=alert]').isVisible()).to.equal(false);
  });

  it("joins: the agent's softphone gets the INVITE with the invitation's headers, answers, and the widget is connected with video; hanging up returns to the conversation, with what was said meanwhile", async () => {
    const sent = await invite(true);
    await frame.getByRole('button', { name: 'Join' }).click();
    await eventually(async () => phone.incoming.length, (n: number) => n === 1, 15000);
    const ringing = phone.incoming[0];
    expect(ringing.request.getHeader('X-Switchboard-Invite')).to.equal(sent.inviteId);
    expect(ringing.request.getHeader('X-Switchboard-Interaction')).to.equal(interactionId);
    await ringing.accept();
    await frame.locator('.sb-call-state', { hasText: 'Connected' }).waitFor();
    await agent.socket.next((m: any) => m.type === 'call.invite.state' && m.invite.inviteId === sent.inviteId && m.invite.state === 'accepted');
    // Video was offered by the browser, reached the agent, and came back in the answer.
    expect(phone.remoteSdps[0]).to.match(/^m=video /m);
    const frameHandle = page.frames().find((f) => f.url().includes('/widget/frame/'))!;
    const sdps = await frameHandle.evaluate(() => ((window as any).__pcs as RTCPeerConnection[]).filter((pc) => pc.remoteDescription).map((pc) => [pc.localDescription!.sdp, pc.remoteDescription!.sdp]));
    expect(sdps).to.have.length(1);
    expect(sdps[0]![0]).to.match(/^m=video /m);
    expect(sdps[0]![1]).to.match(/^m=video /m);
    // The visitor sees their own camera while talking.
    expect(await frame.getByLabel('Your camera').evaluate((v: HTMLVideoElement) => !!v.srcObject)).to.equal(true);
    // Camera off stops sending the picture without ending the call; on again sends it.
    const cameraTracks = () => frame.getByLabel('Your camera').evaluate((v: HTMLVideoElement) => (v.srcObject as MediaStream).getVideoTracks().map((tr) => tr.enabled));
    await frame.getByRole('button', { name: 'Camera off' }).click();
    expect(await frame.getByRole('button', { name: 'Camera on' }).getAttribute('aria-pressed')).to.equal('true');
    expect(await cameraTracks()).to.deep.equal([false]);
    await frame.getByRole('button', { name: 'Camera on' }).click();
    expect(await cameraTracks()).to.deep.equal([true]);
    await expectAccessible(page, 'video call');

    // The chat goes on during the call.
    await command(agent.socket, { type: 'chat.send', interactionId, clientMessageId: cid(), body: 'Can you see me?' });

    await frame.getByRole('button', { name: 'Hang up' }).click();
    // Straight back to the conversation: its history, the line sent during the call, a word on the call.
    await frame.locator('.sb-invite-notice', { hasText: 'The call has ended.' }).waitFor();
    await frame.getByLabel('Type a message').waitFor();
    expect(await frame.locator('.sb-line.sb-agent', { hasText: 'Can you see me?' }).count()).to.equal(1);
    expect(await frame.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).count()).to.equal(1);
    expect(await frame.getByRole('heading', { name: 'The call has ended.' }).count()).to.equal(0);
    // The invitation was answered: it is gone from the chat.
    expect(await frame.locator('.sb-invite').count()).to.equal(0);
    expect(dialogs).to.deep.equal([]);
  });

  it('returns to the conversation when the agent hangs up, and the chat still carries lines both ways', async () => {
    const before = phone.incoming.length;
    await invite(true);
    await frame.getByRole('button', { name: 'Join' }).click();
    await eventually(async () => phone.incoming.length, (n: number) => n === before + 1, 15000);
    const ringing = phone.incoming[before];
    await ringing.accept();
    await frame.locator('.sb-call-state', { hasText: 'Connected' }).waitFor();
    await ringing.bye();
    await frame.locator('.sb-invite-notice', { hasText: 'The call has ended.' }).waitFor();
    expect(await frame.locator('.sb-line.sb-agent', { hasText: 'Can you see me?' }).count()).to.equal(1);
    const input = frame.getByLabel('Type a message');
    await input.fill('Thanks for the call');
    await input.press('Enter');
    await agent.socket.next((m: any) => m.type === 'chat.message' && m.message.body === 'Thanks for the call', 30_000);
    expect(dialogs).to.deep.equal([]);
  });
});
