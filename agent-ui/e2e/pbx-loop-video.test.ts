// A visitor's video call through a record-routing PBX (Kamailio with record_route, e2e/pbx.ts),
// forwarded from the video queue's number to the agent's extension and answered with the camera
// in the desktop: each side decodes the other's video, the call outlives 64·T1 (34 s; T1 is not
// configurable in the server) with audio and video counted both ways at rtpengine, and this time the
// visitor hangs up. Afterwards no media session and no dialog is left, the call is one closed video
// record, and the interaction is closed with the agent in wrap-up.
import { expect } from 'chai';
import { api, login } from './harness.ts';
import { answerVideoBothWays, expectNothingLeft, expectRtpBothWays, mediaSessionId, startPbxStage, type PbxStage } from './pbx-stage.ts';

const AGENT = { username: 'gaia', password: 'correct-horse-battery', name: 'Gaia Serra', extension: '271' };
const PAST_64_T1_MS = 34_000;
/** The video queue's number at the PBX (queues.yaml, support-video). */
const VIDEO_QUEUE_NUMBER = '601';

describe('a video call through a record-routing PBX, ended by the visitor (the real widget, Kamailio, JsSIP in the desktop)', function () {
  this.timeout(180_000);
  let stage: PbxStage;

  before(async () => {
    stage = await startPbxStage({ agent: AGENT, queueNumber: VIDEO_QUEUE_NUMBER, recordRoute: true, camera: true, strictCsp: true });
  });
  after(() => stage?.close());
  afterEach(() => expect(stage.errors, stage.errors.join('\n')).to.deep.equal([]));

  it('is answered with the camera, each side decodes the other’s video, stays up past 64·T1, and the visitor hangs up; nothing is left', async () => {
    const { server, page, relay } = stage;
    const { visitorPage, widget, interactionId } = await stage.placeCall('video');
    // The PBX hands the call to the agent's extension: it rings in the desktop as a video call.
    const panel = await answerVideoBothWays(stage, visitorPage, widget);

    // Past 64·T1, still up on both sides.
    await new Promise((r) => setTimeout(r, PAST_64_T1_MS));
    expect(await panel.getAttribute('data-call-state')).to.equal('connected');
    expect(await widget.locator('.sb-call-state').textContent()).to.match(/Connected/);
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const record = async () => (await api(server.url, 'GET', `/api/history/interactions/${interactionId}`, undefined, admin)).body;
    const during = await record();
    expect(during.calls, JSON.stringify(during)).to.have.length(1);
    const sessionId = mediaSessionId(during.calls[0].id);
    expect(await relay.list()).to.include(sessionId);

    // RTP both ways by rtpengine's counts: audio and video from both legs, still flowing past 64·T1.
    await expectRtpBothWays(relay, sessionId, ['audio', 'video'], 'past 64·T1');

    // The visitor hangs up: the BYE goes through the PBX to the desktop.
    await widget.getByRole('button', { name: 'Hang up' }).click();
    await panel.and(page.locator('[data-call-state=ended]')).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => [...document.querySelectorAll('video')].length)).to.equal(0);
    await expectNothingLeft(stage, { interactionId, sessionId, video: true, cause: 'caller-hangup', agentNames: [AGENT.name] });
  });
});
