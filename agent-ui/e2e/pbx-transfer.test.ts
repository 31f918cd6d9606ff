// A blind transfer in the whole call loop, through a record-routing PBX: the visitor's call (the
// real widget) reaches the first agent's desktop through the PBX's queue number; the agent
// transfers it to another PBX number, which the PBX forwards to a second agent's extension. The
// PBX stand-in is a proxy (Kamailio), so the agent's REFER reaches the visitor's own call at
// Switchboard, which carries it out for the browser: the visitor goes on with the second agent
// (audio both ways, counted at rtpengine), the first agent's leg ends, the interaction moves
// with the call. When the visitor hangs up nothing is left.
import { expect } from 'chai';
import type { Frame, Page } from 'playwright-core';
import { api, login } from './harness.ts';
import { eventually, received } from './media.ts';
import { expectNothingLeft, expectRtpBothWays, mediaSessionId, startPbxStage, type PbxStage } from './pbx-stage.ts';

const AGENT = { username: 'bruno', password: 'correct-horse-battery', name: 'Bruno Ferri', extension: '281', skills: [{ skill: 'english', level: 5 }] };
const SECOND = { username: 'carla', password: 'correct-horse-battery', name: 'Carla Neri', extension: '282', skills: [{ skill: 'english', level: 5 }] };
/** The phone queue's number at the PBX (queues.yaml, support-phone), and the number the agent transfers to. */
const PHONE_QUEUE_NUMBER = '600';
const TRANSFER_NUMBER = '700';

/** Each side decodes more of the other's audio from now on. */
async function expectAudioBetween(page: Page, widgetFrame: Frame, when: string): Promise<void> {
  const desk0 = (await received(page, 'audio')).bytes;
  const widget0 = (await received(widgetFrame, 'audio')).bytes;
  await eventually(() => received(page, 'audio'), (r) => r.bytes > desk0 + 2000, `audio received by the desktop ${when}`);
  await eventually(() => received(widgetFrame, 'audio'), (r) => r.bytes > widget0 + 2000, `audio received by the widget ${when}`);
}

describe('a blind transfer through a record-routing PBX (the real widget, Kamailio, JsSIP in two desktops)', function () {
  this.timeout(180_000);
  let stage: PbxStage;

  before(async () => {
    stage = await startPbxStage({ agent: AGENT, queueNumber: PHONE_QUEUE_NUMBER, recordRoute: true, forward: { [TRANSFER_NUMBER]: SECOND.extension } });
  });
  after(() => stage?.close());
  afterEach(() => expect(stage.errors, stage.errors.join('\n')).to.deep.equal([]));

  it('moves the visitor to the second agent with audio both ways; the first agent’s leg ends, the interaction goes with the call, and nothing is left after the visitor hangs up', async () => {
    const { server, page, relay } = stage;
    const second = await stage.addAgent(SECOND);
    const { visitorPage, widget, interactionId } = await stage.placeCall('audio');
    const panel = page.locator('[data-test=call-panel]');
    await panel.and(page.locator('[data-call-state=ringing]')).waitFor({ timeout: 20_000 });
    await panel.locator('[data-test=answer]').click();
    await panel.and(page.locator('[data-call-state=connected]')).waitFor({ timeout: 20_000 });
    await widget.locator('.sb-call-state', { hasText: 'Connected' }).waitFor({ timeout: 20_000 });
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const record = async () => (await api(server.url, 'GET', `/api/history/interactions/${interactionId}`, undefined, admin)).body;
    await eventually(record, (r) => r.interaction?.agentNames?.includes(AGENT.name), 'the interaction the first agent’s');
    const sessionId = mediaSessionId((await record()).calls[0].id);
    const frame = visitorPage.frames().find((f) => f.url().includes('/widget/frame/'))!;
    await expectAudioBetween(page, frame, 'before the transfer');

    // The agent transfers to the PBX's number 700, which rings the second agent.
    await page.locator('[data-test=transfer-toggle]').click();
    await page.locator('[data-test=transfer-target]').fill(TRANSFER_NUMBER);
    await page.locator('[data-test=transfer]').click();
    const panel2 = second.page.locator('[data-test=call-panel]');
    await panel2.and(second.page.locator('[data-call-state=ringing]')).waitFor({ timeout: 20_000 });
    await panel2.locator('[data-test=answer]').click();
    await panel2.and(second.page.locator('[data-call-state=connected]')).waitFor({ timeout: 20_000 });
    // The first agent's leg ends as transferred; the visitor never left the call.
    await panel.and(page.locator('[data-call-state=ended]')).waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-test=call-state]').textContent()).to.match(/Transferred to 700/);
    expect(await widget.locator('.sb-call-state').textContent()).to.match(/Connected/);

    // Audio both ways between the visitor and the second agent: decoded on both sides, and
    // counted at rtpengine from the visitor's leg and the PBX side (the new leg in the old one's place).
    await expectAudioBetween(second.page, frame, 'after the transfer');
    await expectRtpBothWays(relay, sessionId, ['audio'], 'after the transfer');
    // The interaction went with the call: the second agent's, the transfer in the journey.
    const moved = await eventually(record, (r) => r.journey?.some((j: { type: string }) => j.type === 'transferred'), 'the transfer in the journey');
    expect(moved.interaction.state).to.not.equal('closed');
    const state2 = async () => (await api(server.url, 'GET', `/api/agents/${second.agentId}/state`, undefined, second.token)).body.state as string;
    await eventually(state2, (st) => st === 'busy', 'the second agent Busy on the call');

    // The visitor hangs up: the BYE reaches the second agent through the new leg.
    await widget.getByRole('button', { name: 'Hang up' }).click();
    await panel2.and(second.page.locator('[data-call-state=ended]')).waitFor({ timeout: 15_000 });
    await expectNothingLeft(stage, { interactionId, sessionId, video: false, cause: 'caller-hangup', agentNames: [SECOND.name], lastAgent: second });
  });
});
