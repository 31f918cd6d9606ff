// A media server that cannot set up a callback's call (out of ports, or not answering) is a
// temporary shortage on our side, not the customer being unreachable: the attempt is recorded as
// failed with rtpengine's own reason, every phone already in the call gets a proper end, and the
// callback is tried again after the queue's backoff. Each test runs an rtpengine of its own, so
// its port range can be too small on purpose without touching the shared one.
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CallbackDueJob } from './due-job.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, login, setState, startRoutingServer, openDesktop, type TestServer } from '../../test/routing.js';
import { freePort, sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';
import { privateRtpengine, type PrivateRtpengine } from '../../../../sip/dist/test/support/private-rtpengine.js';
import { attemptsOf, callbackOf, closeStage, dialStage, takeOffer, type DialStage } from '../../test/callbacks.js';

interface Family { name: string; metrics: { labels?: Record<string, string>; value?: string }[] }
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];
const TOKEN = 'media-failure-metrics-token-0123456789';
const traceFile = (name: string) => path.join(mkdtempSync(path.join(os.tmpdir(), `sb-cb-media-${name}-`)), 'trace.log');
const uuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** An available agent with an extension at the PBX and no softphone: leg A rings the extension. */
async function extensionAgent(t: TestServer) {
  const extension = String(300000 + Math.floor(Math.random() * 599999));
  const admin = await login(t.url);
  const username = `cbmf-${extension}`;
  const made = await api(t.url, 'POST', '/api/agents', { username, name: 'Media Failure Agent', role: 'agent', password: 'callback-password-1', extension, capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
  expect(made.status, JSON.stringify(made.body)).to.equal(201);
  const token = await login(t.url, username, 'callback-password-1');
  const agent = { id: made.body.agent.id as string, token, socket: await openDesktop(t.url, token) };
  await setState(t.url, agent, 'available');
  return agent;
}
const requests = (trace: string, method: string) => readFileSync(trace, 'utf8').match(new RegExp(`^${method} sip:`, 'gm'))?.length ?? 0;

describe('callbacks: the media server fails a callback call', function () {
  this.timeout(180_000);

  it("out of ports once leg B answered: both phones get a BYE, the attempt is failed with rtpengine's reason, and after the backoff the callback is dialled again and answered", async () => {
    // Leg A rings the agent's extension at the PBX (plain RTP, as in the benchmark): moving it onto
    // the customer's media takes 2 ports more than ringing it, and 4 are all there are.
    let rtp: PrivateRtpengine | undefined = await privateRtpengine({ ports: 4 });
    const [portA, portB] = [await freePort(), await freePort()];
    const [traceA, traceB] = [traceFile('agent'), traceFile('customer')];
    let agentPbx = sipp({ scenario: 'uas-answer-any.xml', port: portA, calls: 1, timeoutS: 150, extra: ['-trace_msg', '-message_file', traceA] });
    const customerPbx = sipp({ scenario: 'uas-answer-any.xml', port: portB, calls: 2, timeoutS: 150, extra: ['-trace_msg', '-message_file', traceB] });
    let t: TestServer | undefined;
    try {
      await waitForUdpListener(portA, agentPbx);
      await waitForUdpListener(portB, customerPbx);
      const dialPlan = { countryCode: '39', outsideLinePrefix: '0' };
      t = await startRoutingServer({
        'switchboard.yaml:sip.enabled': true,
        'switchboard.yaml:rtpengine.ngPort': rtp.ngPort,
        'trunks.yaml:trunks.0.port': portA,
        'trunks.yaml:trunks.0.optionsPingSeconds': 0,
        'trunks.yaml:trunks.0.dialPlan': dialPlan,
        'trunks.yaml:trunks.1': { id: 'customers', name: 'Customers', host: '127.0.0.1', port: portB, optionsPingSeconds: 0, dialPlan },
        'queues.yaml:queues.3.callback': { trunk: 'customers', attempts: 3, retryMinutes: 5 },
      });
      const agent = await extensionAgent(t);
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await takeOffer({ t, agent });
      const retry = await eventually(() => callbackOf(t!, r.body.callbackId), (c) => c.state === 'scheduled' && c.attempts === 1, 300, 200);
      expect(retry.lastCause).to.equal('media-failed: Ran out of ports');
      expect(rtp.log()).to.match(/Ran out of ports/);
      expect((await attemptsOf(t, retry.id)).map((a) => [a.attempt, a.outcome, a.cause])).to.deep.equal([[1, 'failed', 'media-failed: Ran out of ports']]);
      // Both phones answered and were hung up on properly (each sipp call ends only with a BYE).
      expect((await agentPbx.done).code, "agent's extension: answered, then BYE").to.equal(0);
      await eventually(async () => [requests(traceB, 'INVITE'), requests(traceB, 'BYE')], (n) => n[0] === 1 && n[1] === 1);
      // Not unreached: a new attempt after the backoff (5 minutes), with a job of its own.
      expect(retry.jobId).to.equal(`${retry.id}-2`);
      expect(retry.dueAt.getTime()).to.be.greaterThan(Date.now() + 4 * 60_000);
      const due = new CallbackDueJob(t.sb.contexts.callbacks);
      await eventually(() => due.stateOf(retry.jobId!), (st) => st === 'delayed');

      // The shortage is over (a media server with room, at the same address): the retry goes through.
      await rtp.stop();
      rtp = await privateRtpengine({ ports: 40, ngPort: rtp.ngPort });
      agentPbx = sipp({ scenario: 'uas-answer-reinvite-media.xml', port: portA, calls: 1, timeoutS: 150, extra: ['-set', 'rtp_port', '9'] });
      await waitForUdpListener(portA, agentPbx);
      await due.runNow(retry.jobId!);
      await takeOffer({ t, agent });
      const done = await eventually(() => callbackOf(t!, r.body.callbackId), (c) => c.state === 'completed', 300, 200);
      const attempts = await attemptsOf(t, done.id);
      expect(attempts.map((a) => [a.attempt, a.outcome, a.cause])).to.deep.equal([
        [1, 'failed', 'media-failed: Ran out of ports'],
        [2, 'answered', null],
      ]);
      // One INVITE per attempt, never two for the same one.
      expect(requests(traceB, 'INVITE')).to.equal(2);
      expect(await t.sb.contexts.calls()!.control.hangup(uuid(attempts[1]!.callId!))).to.equal(true);
      expect((await agentPbx.done).code, "agent's extension, second attempt").to.equal(0);
      expect((await customerPbx.done).code, 'customer phone: both calls ended with a BYE').to.equal(0);
      agent.socket.close();
    } finally {
      agentPbx.kill();
      customerPbx.kill();
      await t?.stop();
      await rtp?.stop();
    }
  });

  it('no reply from the media server: nobody is dialled, the attempt is failed with the timeout as cause and retried, and /metrics counts the failure', async () => {
    let x: DialStage | undefined;
    try {
      x = await dialStage('uas-answer-any.xml', 1, {
        // Nothing listens on this ng port: every command times out.
        'switchboard.yaml:rtpengine.ngPort': await freePort(),
        'switchboard.yaml:rtpengine.timeoutMs': 400,
        'switchboard.yaml:metrics.token': TOKEN,
        'queues.yaml:queues.3.callback': { attempts: 2, retryMinutes: 5 },
      });
      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await takeOffer(x);
      const retry = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'scheduled' && c.attempts === 1, 300, 200);
      expect(retry.lastCause).to.equal('media-failed: no reply within 400 ms (2 tries)');
      expect(requests(x.trace, 'INVITE'), 'the customer was not dialled').to.equal(0);
      expect(x.phone.incoming, "the agent's phone did not ring").to.have.length(0);
      const res = await fetch(`${x.t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const family = parse(await res.text()).find((f) => f.name === 'switchboard_rtpengine_failures_total');
      const offers = family?.metrics.find((m) => m.labels?.command === 'offer' && m.labels?.kind === 'timeout');
      expect(Number(offers?.value ?? 0), JSON.stringify(family)).to.be.at.least(1);
    } finally {
      await closeStage(x);
    }
  });
});
