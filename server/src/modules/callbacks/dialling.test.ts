// Accept → dial: the agent's softphone (sip.js over WebSocket, auto-answering) is leg A, a sipp
// "PBX" behind the trunk is the customer's phone (leg B), rtpengine bridges them. The number
// leaves normalised by the trunk's dial plan; each attempt is recorded with its outcome and SIP
// cause; busy is retried by a new due job and the last failure leaves the callback unreached.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CallbackDueJob } from './due-job.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';
import { attemptsOf, callbackOf, closeStage as teardown, dialStage as setup, takeOffer, type DialStage as Setup } from '../../test/callbacks.js';

describe('callbacks: accept → dial (agent first, then the customer through the trunk)', function () {
  this.timeout(120_000);

  it("rings the agent's softphone, dials the customer's number as the dial plan says, bridges them and records the answer", async () => {
    let x: Setup | undefined;
    try {
      x = await setup('uas-answer-any.xml', 1);
      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await takeOffer(x);
      const cb = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'completed', 200);
      expect(cb.attempts).to.equal(1);
      const [attempt] = await attemptsOf(x.t, cb.id);
      expect(attempt).to.include({ attempt: 1, outcome: 'answered', dialled: '00612345678', agentId: x.agent.id });
      expect(attempt!.callId).to.match(/^[0-9a-f]{32}$/);
      // National number of the trunk's country (+39 06…), after the outside-line 0.
      expect(readFileSync(x.trace, 'utf8')).to.match(/^INVITE sip:00612345678@127\.0\.0\.1:\d+ SIP\/2\.0/m);
      await x.phone.incoming[0]!.bye();
      await eventually(() => x!.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId }), (i) => i.state === 'closed');
    } finally {
      await teardown(x);
    }
  });

  it('records busy with its SIP cause, retries with a new job after the backoff, and leaves the callback unreached after the last attempt', async () => {
    let x: Setup | undefined;
    try {
      x = await setup('uas-busy.xml', 2, { 'queues.yaml:queues.3.callback': { attempts: 2, retryMinutes: 5 } });
      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '+44 20 7123 4567' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await takeOffer(x);
      const retry = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'scheduled' && c.attempts === 1, 200);
      expect(retry.jobId).to.equal(`${retry.id}-2`);
      expect(retry.lastCause).to.equal('486 busy');
      // The retry waits for its backoff (5 minutes), on a new held interaction.
      expect(retry.dueAt.getTime()).to.be.greaterThan(Date.now() + 4 * 60_000);
      const due = new CallbackDueJob(x.t.sb.contexts.callbacks);
      await eventually(() => due.stateOf(retry.jobId!), (st) => st === 'delayed');
      expect((await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: retry.interactionId })).state).to.equal('new');

      await due.runNow(retry.jobId!);
      await takeOffer(x);
      const done = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'unreached', 200);
      expect(done.attempts).to.equal(2);
      const attempts = await attemptsOf(x.t, done.id);
      expect(attempts.map((a) => [a.attempt, a.outcome, a.cause, a.dialled])).to.deep.equal([
        [1, 'busy', '486 busy', '000442071234567'],
        [2, 'busy', '486 busy', '000442071234567'],
      ]);
      expect((await x.pbx.done).code).to.equal(0);
    } finally {
      await teardown(x);
    }
  });
  it("dials a queue's callbacks through the queue's own trunk, with that trunk's dial plan and caller id", async () => {
    let x: Setup | undefined;
    const port = await freePort();
    const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-cb-sipp2-')), 'pbx.log');
    const second = sipp({ scenario: 'uas-answer-any.xml', port, calls: 1, timeoutS: 120, extra: ['-trace_msg', '-message_file', trace] });
    try {
      await waitForUdpListener(port, second);
      x = await setup('uas-busy.xml', 1, {
        'trunks.yaml:trunks.1': { id: 'uk-pbx', name: 'UK PBX', host: '127.0.0.1', port, optionsPingSeconds: 0, callerId: { number: '02071110000' }, dialPlan: { countryCode: '44', trunkPrefix: '0', dialE164: true } },
        'queues.yaml:queues.3.callback': { trunk: 'uk-pbx', attempts: 1, retryMinutes: 5 },
      });
      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '020 7123 4567' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await takeOffer(x);
      const cb = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'completed', 200);
      expect((await attemptsOf(x.t, cb.id)).map((a) => [a.outcome, a.dialled])).to.deep.equal([['answered', '+442071234567']]);
      const got = readFileSync(trace, 'utf8');
      expect(got).to.match(new RegExp(`^INVITE sip:\\+442071234567@127\\.0\\.0\\.1:${port} SIP/2\\.0`, 'm'));
      expect(got).to.match(/^From:\s*<sip:02071110000@127\.0\.0\.1>/m);
      // The first trunk's PBX got nothing.
      expect(readFileSync(x.trace, 'utf8')).to.not.match(/^INVITE /m);
      await x.phone.incoming[0]!.bye();
    } finally {
      second.kill();
      await teardown(x);
    }
  });

  for (const [scenario, outcome, cause, extra] of [
    ['uas-down.xml', 'failed', '503 service-unavailable', {}],
    ['uas-no-answer.xml', 'no-answer', '408 no-answer', { answerTimeoutSeconds: 10 }],
  ] as const) {
    it(`records "${outcome}" (${cause}) when the customer's side answers ${scenario}, and with one attempt left none, unreached`, async () => {
      let x: Setup | undefined;
      try {
        x = await setup(scenario, 1, { 'queues.yaml:queues.3.callback': { attempts: 1, retryMinutes: 5, ...extra } });
        const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '0612345678' }, slot: 'asap' });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        await takeOffer(x);
        const cb = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'unreached', 300, 200);
        expect(cb.lastCause).to.equal(cause);
        const attempts = await attemptsOf(x.t, cb.id);
        expect(attempts.map((a) => [a.outcome, a.cause])).to.deep.equal([[outcome, cause]]);
        expect(readFileSync(x.trace, 'utf8')).to.match(/^INVITE sip:00612345678@/m);
      } finally {
        await teardown(x);
      }
    });
  }
});
