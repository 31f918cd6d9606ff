// Accept → leg A → leg B → bridged, with audio both ways: the agent's extension (leg A, at the
// PBX) and the customer's phone (leg B) are sipp UASes whose media is each a UDP socket of this
// test. Each socket sends RTP to the address rtpengine gave its leg and counts what arrives from
// the other side; rtpengine's own per-leg counters (ng `query`) must show both legs too. Run
// once with the PBXs reached directly (the queue's own trunk for B) and once through a
// record-routing Kamailio in front of them, where the re-INVITE of leg A follows the route set.
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RtpEngineRelay } from '@switchboard/sip';
import { Interaction } from '../interactions/interaction.entity.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { api, login, setState, startRoutingServer, openDesktop, type TestServer } from '../../test/routing.js';
import { attemptsOf, callbackOf, kamailioFront, takeOffer } from '../../test/callbacks.js';
import { freePort, sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';
import type { Kamailio } from '../../../../sip/dist/test/support/kamailio.js';
import { lastOfferedMedia, legPackets, rtpPeer, talk } from '../../../../sip/dist/test/support/rtp.js';

const traceFile = (name: string) => path.join(mkdtempSync(path.join(os.tmpdir(), `sb-cb-${name}-`)), 'trace.log');
const uuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

describe('callbacks: an accepted callback is bridged with RTP both ways', function () {
  this.timeout(180_000);

  for (const viaProxy of [false, true]) {
    it(viaProxy
      ? "through a record-routing Kamailio: the agent's extension and the customer are reached through the proxy, RTP flows both ways"
      : "the agent's extension (leg A) and the customer through the queue's trunk (leg B) hear each other: RTP both ways, counted by both ends and by rtpengine", async () => {
      const extension = String(300000 + Math.floor(Math.random() * 599999));
      const [rtpA, rtpB] = [await rtpPeer(), await rtpPeer()];
      const [portA, portB] = [await freePort(), await freePort()];
      const [traceA, traceB] = [traceFile('leg-a'), traceFile('leg-b')];
      const agentPbx = sipp({ scenario: 'uas-answer-reinvite-media.xml', port: portA, calls: 1, timeoutS: 150, extra: ['-set', 'rtp_port', String(rtpA.port), '-trace_msg', '-message_file', traceA] });
      const customerPbx = sipp({ scenario: 'uas-answer-media.xml', port: portB, calls: 1, timeoutS: 150, extra: ['-set', 'rtp_port', String(rtpB.port), '-trace_msg', '-message_file', traceB] });
      let k: Kamailio | undefined;
      let t: TestServer | undefined;
      let talking = true;
      try {
        await waitForUdpListener(portA, agentPbx);
        await waitForUdpListener(portB, customerPbx);
        const dialPlan = { countryCode: '39', outsideLinePrefix: '0' };
        if (viaProxy) {
          k = await kamailioFront(extension, portA, portB);
        }
        t = await startRoutingServer({
          'switchboard.yaml:sip.enabled': true,
          'trunks.yaml:trunks.0.port': k ? k.port : portA,
          'trunks.yaml:trunks.0.optionsPingSeconds': 0,
          'trunks.yaml:trunks.0.dialPlan': dialPlan,
          ...(k ? {} : {
            'trunks.yaml:trunks.1': { id: 'customers', name: 'Customers', host: '127.0.0.1', port: portB, optionsPingSeconds: 0, dialPlan },
            'queues.yaml:queues.3.callback': { trunk: 'customers', attempts: 1, retryMinutes: 5 },
          }),
        });
        const admin = await login(t.url);
        const username = `cbm-${extension}`;
        const made = await api(t.url, 'POST', '/api/agents', { username, name: 'Media Agent', role: 'agent', password: 'callback-password-1', extension, capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
        expect(made.status, JSON.stringify(made.body)).to.equal(201);
        const token = await login(t.url, username, 'callback-password-1');
        // No softphone registered: leg A rings the agent's extension at the PBX.
        const agent = { id: made.body.agent.id as string, token, socket: await openDesktop(t.url, token) };
        await setState(t.url, agent, 'available');

        const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        await takeOffer({ t, agent });
        const cb = await eventually(() => callbackOf(t!, r.body.callbackId), (c) => c.state === 'completed', 300, 200);
        const [attempt] = await attemptsOf(t, cb.id);
        const sessionId = uuid(attempt!.callId!);

        const toA = lastOfferedMedia(traceA);
        const toB = lastOfferedMedia(traceB);
        const enough = () => rtpA.received >= 50 && rtpB.received >= 50;
        const sent = await Promise.all([talk(rtpA, toA, () => enough() || !talking), talk(rtpB, toB, () => enough() || !talking)]);
        expect(rtpB.received, `RTP from the agent's side reaching the customer (sent ${sent[0]})`).to.be.at.least(50);
        expect(rtpA.received, `RTP from the customer reaching the agent's side (sent ${sent[1]})`).to.be.at.least(50);
        const c = t.sb.kernel.config().main.rtpengine;
        const relay = new RtpEngineRelay({ host: c.host, port: c.ngPort, timeout: c.timeoutMs });
        const counted = await legPackets(relay, sessionId);
        expect(counted, 'rtpengine packets per leg').to.have.length(2);
        for (const n of counted) expect(n, `rtpengine packets per leg: ${counted.join(', ')}`).to.be.at.least(50);

        if (k) {
          // The re-INVITE moving leg A onto the customer's media went through the proxy (route set).
          expect(k.seen().filter((s) => s.method === 'INVITE').map((s) => s.kind)).to.include.members(['initial', 'routed']);
        }
        expect(await t.sb.contexts.calls()!.control.hangup(sessionId)).to.equal(true);
        expect((await agentPbx.done).code, 'agent PBX').to.equal(0);
        expect((await customerPbx.done).code, 'customer PBX').to.equal(0);
        await eventually(() => t!.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId }), (i) => i.state === 'closed');
        agent.socket.close();
      } finally {
        talking = false;
        agentPbx.kill();
        customerPbx.kill();
        rtpA.socket.close();
        rtpB.socket.close();
        await t?.stop();
        await k?.stop();
      }
    });
  }
});
