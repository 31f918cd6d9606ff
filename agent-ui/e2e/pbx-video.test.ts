// A visitor's video call through the company's PBX to the agent's softphone: the real widget (a
// page with the snippet on its own origin) places a video call, Switchboard sends it to the video
// queue's number on the trunk, the PBX (Kamailio, e2e/pbx.ts) forwards that number to the agent's
// extension, and it comes back through Switchboard to JsSIP in the desktop. The offer carries
// video: the desktop must answer with the camera and show both videos, and each side must decode
// the other's video frames (not only receive packets), and rtpengine counts audio and video from
// both legs. Once the agent hangs up, nothing of the call is left.
import { expect } from 'chai';
import { api, login, screenshotPath } from './harness.ts';
import { expectAccessible } from './axe.ts';
import { answerVideoBothWays, expectNothingLeft, expectRtpBothWays, mediaSessionId, startPbxStage, type PbxStage } from './pbx-stage.ts';

const AGENT = { username: 'vera', password: 'correct-horse-battery', name: 'Vera Conti', extension: '251' };
/** The video queue's number at the PBX (queues.yaml, support-video). */
const VIDEO_QUEUE_NUMBER = '601';

describe('a video call through the PBX (the real widget, Kamailio as the PBX, JsSIP in the desktop)', function () {
  this.timeout(120_000);
  let stage: PbxStage;

  before(async () => {
    stage = await startPbxStage({ agent: AGENT, queueNumber: VIDEO_QUEUE_NUMBER, recordRoute: false, camera: true, strictCsp: true });
  });
  after(() => stage?.close());
  afterEach(() => expect(stage.errors, stage.errors.join('\n')).to.deep.equal([]));

  it('rings as a video call, is answered with the camera, shows both videos, and each side decodes the other’s video', async () => {
    const { page, server, relay } = stage;
    const { visitorPage, widget, interactionId } = await stage.placeCall('video');
    const panel = await answerVideoBothWays(stage, visitorPage, widget, () => expectAccessible(page, 'incoming video call'));
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const during = (await api(server.url, 'GET', `/api/history/interactions/${interactionId}`, undefined, admin)).body;
    const sessionId = mediaSessionId(during.calls[0].id);
    await expectRtpBothWays(relay, sessionId, ['audio', 'video'], 'once answered');

    await page.screenshot({ path: screenshotPath('pbx-video-call') });
    await expectAccessible(page, 'video call through the PBX');

    await panel.locator('[data-test=hang-up]').click();
    await widget.getByRole('heading', { name: 'The call has ended.' }).waitFor({ timeout: 15_000 });
    await panel.and(page.locator('[data-call-state=ended]')).waitFor();
    // The camera is off once the call is over.
    expect(await page.evaluate(() => [...document.querySelectorAll('video')].length)).to.equal(0);
    await expectNothingLeft(stage, { interactionId, sessionId, video: true, cause: 'callee-hangup', agentNames: [AGENT.name] });
  });
});
