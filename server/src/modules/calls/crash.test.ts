// No call outlives the server holding it. A real server process holds a widget call bridged to a
// sipp PBX through rtpengine; it is killed with -9 and a second instance, watching the first one's
// heartbeat in Redis, ends the call: BYE to the PBX, rtpengine session deleted, call records and
// interaction closed with a cause that says so. The first instance restarted on its ports answers
// the PBX's late BYE 200. A clean stop (SIGTERM) ends its calls with a cause of its own.
import { expect } from 'chai';
import { SessionState } from 'sip.js';
import { api, spawnServer, startTestServer, type TestServer } from '../../test/server.js';
import { makeConfigDir } from '../../test/config.js';
import { eventually } from '../../test/redis.js';
import { RUN_ID } from '../../test/env.js';
import { Call, CallLeg } from './call.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { softphone, waitForState, type Softphone } from '../../../../sip/dist/test/support/softphone.js';
import { freePort, rtpengineRelay, sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';
import { finalResponse, statusOf, udpClient } from '../../../../sip/dist/test/support/raw.js';
import type { RtpEngineRelay } from '@switchboard/sip';

const ORIGIN = { origin: 'http://localhost:8081' };
// Long enough for a heartbeat to lapse and a sweep to see it on a loaded machine.
const AFTER_HEARTBEAT = { attempts: 240, everyMs: 250 };

/** The call session id rtpengine knows (the `calls` row id is it without dashes). */
const sessionIdOf = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

describe('calls: no call outlives its server', function () {
  this.timeout(180000);
  const redisPrefix = `sbtest:${RUN_ID}:crash-${process.pid}:`;
  let survivor: TestServer;
  let rtp: RtpEngineRelay;
  const repo = <T extends object>(e: new () => T) => survivor.sb.kernel.db.getRepository(e);

  before(async () => {
    rtp = await rtpengineRelay();
    survivor = await startTestServer({ redisPrefix, set: { 'switchboard.yaml:sip.enabled': true, 'trunks.yaml:trunks.0.optionsPingSeconds': 0 } });
  });
  after(async () => {
    await survivor?.stop();
    rtp?.close();
  });

  /** A server process on fixed SIP ports (so that a restart listens where the PBX sends), with a sipp PBX. */
  async function serverWithPbx() {
    const pbxPort = await freePort();
    const pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort, calls: 1, timeoutS: 150 });
    await waitForUdpListener(pbxPort, pbx);
    const [udp, ws] = [await freePort(), await freePort()];
    const configDir = makeConfigDir({
      redisPrefix,
      set: {
        'switchboard.yaml:sip.enabled': true,
        'switchboard.yaml:sip.udpPort': udp,
        'switchboard.yaml:sip.tcpPort': udp,
        'switchboard.yaml:sip.wsPort': ws,
        'trunks.yaml:trunks.0.port': pbxPort,
        'trunks.yaml:trunks.0.optionsPingSeconds': 0,
        'websites/example.yaml:hours': 'always',
      },
    });
    return { pbx, configDir, udp, server: await spawnServer(configDir) };
  }

  /** A widget call through `url`, answered by the PBX; resolves with its ids once established. */
  async function widgetCall(url: string): Promise<{ phone: Softphone; interactionId: string; call: Call; sessionId: string }> {
    const r = await api(url, 'POST', '/api/widget/example/calls', { name: 'Ada' }, undefined, ORIGIN);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const { interactionId, sip } = r.body;
    const phone = await softphone({ wsPort: Number(new URL(sip.wsUrl).port), username: sip.username, password: sip.password, user: 'visitor' });
    const session = await phone.call(sip.target);
    await waitForState(session, SessionState.Established);
    const call = (await eventually(() => repo(Call).findOneBy({ interactionId }), (c) => !!c?.answeredAt))!;
    await eventually(async () => (await repo(Interaction).findOneByOrFail({ id: interactionId })).state, (s) => s === 'assigned');
    return { phone, interactionId, call, sessionId: sessionIdOf(call.id) };
  }

  it('ends the calls of an instance killed with -9 from another instance, and answers the late BYE 200 after a restart', async () => {
    const { pbx, configDir, udp, server } = await serverWithPbx();
    let restarted: Awaited<ReturnType<typeof spawnServer>> | undefined;
    const { phone, interactionId, call, sessionId } = await widgetCall(server.url);
    try {
      expect(await rtp.list()).to.include(sessionId);
      expect((await rtp.query(sessionId)).result).to.equal('ok');

      server.proc.kill('SIGKILL');
      // The survivor sees the heartbeat lapse and ends the call: the PBX gets its BYE ...
      const result = await pbx.done;
      expect(result.code, result.stderr).to.equal(0);
      // ... rtpengine forgets the session, the records say why, the interaction is closed.
      await eventually(() => rtp.list(), (ids) => !ids.includes(sessionId), AFTER_HEARTBEAT.attempts, AFTER_HEARTBEAT.everyMs);
      expect((await rtp.query(sessionId)).result).to.equal('error');
      const ended = await eventually(() => repo(Call).findOneByOrFail({ id: call.id }), (c) => !!c.endedAt, AFTER_HEARTBEAT.attempts, AFTER_HEARTBEAT.everyMs);
      expect(ended.endCause).to.equal('server-lost');
      const legs = await repo(CallLeg).find({ where: { callId: call.id }, order: { side: 'ASC' } });
      expect(legs.map((l) => [l.side, l.cause, !!l.endedAt])).to.deep.equal([['a', 'server-lost', true], ['b', 'server-lost', true]]);
      const i = await eventually(() => repo(Interaction).findOneByOrFail({ id: interactionId }), (x) => x.state === 'closed');
      expect(i.closedAt).to.be.instanceOf(Date);
      // The step writes the close, then its journey entry; routing's own close (the call's end on
      // the bus) may close the interaction first: the entry follows, it is not there before.
      const journey = await eventually(() => repo(InteractionEvent).findOneBy({ interactionId, type: 'call.ended' }), (e) => !!e);
      expect(journey!.data).to.deep.include({ cause: 'server-lost' });

      // The instance comes back on its ports; the PBX's own BYE, crossing ours, gets 200, not 481.
      restarted = await spawnServer(configDir);
      const b = legs[1]!;
      const peer = await udpClient(udp);
      try {
        peer.send([
          `BYE sip:switchboard@127.0.0.1:${udp} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-late-${Date.now()}`,
          'Max-Forwards: 70',
          `From: <sip:600@127.0.0.1>;tag=${b.remoteTag}`,
          `To: <sip:switchboard@127.0.0.1>;tag=${b.localTag}`,
          `Call-ID: ${b.sipCallId}`,
          'CSeq: 7 BYE',
          'Content-Length: 0',
          '', '',
        ].join('\r\n'));
        expect(statusOf(await finalResponse(peer))).to.equal(200);
        // A BYE for a dialog nobody ever had is still 481.
        peer.send([
          `BYE sip:switchboard@127.0.0.1:${udp} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-unknown-${Date.now()}`,
          'Max-Forwards: 70',
          'From: <sip:600@127.0.0.1>;tag=nobody',
          'To: <sip:switchboard@127.0.0.1>;tag=nothing',
          `Call-ID: never-seen-${Date.now()}`,
          'CSeq: 7 BYE',
          'Content-Length: 0',
          '', '',
        ].join('\r\n'));
        expect(statusOf(await finalResponse(peer))).to.equal(481);
      } finally {
        peer.close();
      }
    } finally {
      await phone.stop();
      pbx.kill();
      if (server.proc.exitCode === null) server.proc.kill('SIGKILL');
      await restarted?.stop();
    }
  });

  it('ends its calls with a shutdown cause and closes their interactions when stopped with SIGTERM', async () => {
    const { pbx, server } = await serverWithPbx();
    const { phone, interactionId, call, sessionId } = await widgetCall(server.url);
    try {
      await server.stop();
      const result = await pbx.done;
      expect(result.code, result.stderr).to.equal(0);
      const ended = await eventually(() => repo(Call).findOneByOrFail({ id: call.id }), (c) => !!c.endedAt);
      expect(ended.endCause).to.equal('server-shutdown');
      const i = await eventually(() => repo(Interaction).findOneByOrFail({ id: interactionId }), (x) => x.state === 'closed');
      expect(i.closedAt).to.be.instanceOf(Date);
      expect(await rtp.list()).not.to.include(sessionId);
    } finally {
      await phone.stop();
      pbx.kill();
    }
  });
});
