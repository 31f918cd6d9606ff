// The whole call loop as a deployment runs it, with a record-routing PBX and with one that does
// not record-route: the real widget (a page with the snippet on its own origin) calls,
// Switchboard sends the call to the phone queue's number at the PBX (Kamailio, e2e/pbx.ts), the
// PBX forwards it to the agent's extension back at Switchboard, and JsSIP in the desktop answers.
// The call is kept past 64·T1 (T1 is not configurable in the server: 34 s, where a lost ACK
// would have ended it at 32 s), carries a keypad tone, is put on hold and resumed (also with both
// clicks back to back), and the agent hangs up. RTP flows both ways by rtpengine's counts, again
// after each resume; afterwards no media session is left, the call is one closed record, and the
// interaction — the agent's while the call lasted — is closed with the agent in wrap-up.
import { expect } from 'chai';
import { api, login } from './harness.ts';
import type { Frame, Page } from 'playwright-core';
import { eventually, received } from './media.ts';
import { expectNothingLeft, expectRtpBothWays, mediaSessionId, startPbxStage, type PbxStage, type Relay } from './pbx-stage.ts';

const AGENT = { username: 'loris', password: 'correct-horse-battery', name: 'Loris Gallo', extension: '261', skills: [{ skill: 'english', level: 5 }] };
/** The phone queue's number at the PBX (queues.yaml, support-phone). */
const PHONE_QUEUE_NUMBER = '600';
/** 64·T1 with RFC 3261's default T1 (500 ms) is 32 s: a call whose ACK got lost ends then. */
const PAST_64_T1_MS = 34_000;

/**
 * Audio flows both ways from now on: each side decodes more of the other, and rtpengine counts
 * fresh packets from both legs (a resume whose re-INVITE went nowhere leaves one side silent).
 */
async function expectAudioBothWays(page: Page, widgetFrame: Frame, relay: Relay, sessionId: string, when: string): Promise<void> {
  const desktop0 = (await received(page, 'audio')).bytes;
  const widget0 = (await received(widgetFrame, 'audio')).bytes;
  await expectRtpBothWays(relay, sessionId, ['audio'], when);
  await eventually(() => received(page, 'audio'), (r) => r.bytes > desktop0 + 2000, `audio received by the desktop ${when}`);
  await eventually(() => received(widgetFrame, 'audio'), (r) => r.bytes > widget0 + 2000, `audio received by the widget ${when}`);
}

for (const recordRoute of [true, false]) describe(`the call loop through a PBX${recordRoute ? ' that record-routes' : ' without record-routing'} (the real widget, Kamailio, JsSIP in the desktop)`, function () {
  this.timeout(180_000);
  let stage: PbxStage;

  before(async () => {
    stage = await startPbxStage({ agent: AGENT, queueNumber: PHONE_QUEUE_NUMBER, recordRoute });
  });
  after(() => stage?.close());
  afterEach(() => expect(stage.errors, stage.errors.join('\n')).to.deep.equal([]));

  it('stays up past 64·T1 with audio both ways, sends a tone, holds and resumes through the PBX; the agent hangs up and nothing is left', async () => {
    const { server, page, relay, agentId, agentToken } = stage;
    const { visitorPage, widget, interactionId } = await stage.placeCall('audio');

    // The PBX's queue hands the call to the agent's extension: it rings in the desktop.
    const panel = page.locator('[data-test=call-panel]');
    await panel.and(page.locator('[data-call-state=ringing]')).waitFor({ timeout: 20_000 });
    await panel.locator('[data-test=answer]').click();
    await panel.and(page.locator('[data-call-state=connected]')).waitFor({ timeout: 20_000 });
    await widget.locator('.sb-call-state', { hasText: 'Connected' }).waitFor({ timeout: 20_000 });

    // The agent holds the interaction while the call lasts (Busy), shown in the desktop's list.
    const state = async () => (await api(server.url, 'GET', `/api/agents/${agentId}/state`, undefined, agentToken)).body.state as string;
    await eventually(state, (s) => s === 'busy', 'the agent Busy on the call');
    const record = async () => (await api(server.url, 'GET', `/api/history/interactions/${interactionId}`, undefined, await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD))).body;
    const during = await record();
    expect(during.calls, JSON.stringify(during)).to.have.length(1);
    const sessionId = mediaSessionId(during.calls[0].id);

    // Past 64·T1: a 2xx whose ACK missed the proxy would have been given up by now.
    await new Promise((r) => setTimeout(r, PAST_64_T1_MS));
    expect(await panel.getAttribute('data-call-state')).to.equal('connected');
    expect(await widget.locator('.sb-call-state').textContent()).to.match(/Connected/);

    // Audio both ways: each side decodes the other, and rtpengine counted packets on both legs.
    await eventually(() => received(page, 'audio'), (r) => r.bytes > 0, 'audio received by the desktop');
    const frame = visitorPage.frames().find((f) => f.url().includes('/widget/frame/'))!;
    await eventually(() => received(frame, 'audio'), (r) => r.bytes > 0, 'audio received by the widget');
    await expectRtpBothWays(relay, sessionId, ['audio'], 'past 64·T1', 100);

    await page.locator('[data-test=keypad-toggle]').click();
    await page.getByRole('group', { name: 'Keypad' }).getByRole('button', { name: '5', exact: true }).click();
    await page.locator('[data-test=dtmf-sent]', { hasText: /^5$/ }).waitFor();
    expect(await panel.getAttribute('data-call-state')).to.equal('connected');
    // Hold: the re-INVITE goes from the desktop through the PBX's route set to the widget, and
    // Switchboard, having relayed it on both sessions, writes it in the journey.
    const holdSteps = async () => ((await record()).journey as { type: string }[]).map((j) => j.type).filter((t) => /^call\.(held|resumed)$/.test(t));
    const holdButton = page.locator('[data-test=hold]');
    await holdButton.click();
    await page.locator('[data-test=hold][aria-pressed=true]').waitFor({ timeout: 15_000 });
    await page.locator('[data-test=call-state]', { hasText: /On hold/ }).waitFor({ timeout: 15_000 });
    await eventually(holdSteps, (t) => t.join() === 'call.held', 'the hold in the journey');
    // Resume: the next re-INVITE takes the same path, and audio flows both ways again.
    await holdButton.click();
    await page.locator('[data-test=hold][aria-pressed=false]').waitFor({ timeout: 15_000 });
    await eventually(holdSteps, (t) => t.join() === 'call.held,call.resumed', 'the resume in the journey');
    await expectAudioBothWays(page, frame, relay, sessionId, 'after resume');
    // Hold and resume clicked back to back: the resume waits for the hold's answer instead of
    // being dropped (JsSIP sends no offer while one is open), and the call ends up resumed.
    await holdButton.click();
    await holdButton.click();
    await eventually(holdSteps, (t) => t.join() === 'call.held,call.resumed,call.held,call.resumed', 'a quick hold and resume in the journey');
    expect(await holdButton.getAttribute('aria-pressed')).to.equal('false');
    await expectAudioBothWays(page, frame, relay, sessionId, 'after a quick hold and resume');

    await panel.locator('[data-test=hang-up]').click();
    await widget.getByRole('heading', { name: 'The call has ended.' }).waitFor({ timeout: 15_000 });
    await panel.and(page.locator('[data-call-state=ended]')).waitFor();

    // Nothing left: no media session, no dialog, one closed call record, the interaction closed, the agent in wrap-up.
    await expectNothingLeft(stage, { interactionId, sessionId, video: false, cause: 'callee-hangup', agentNames: [AGENT.name] });
  });
});
