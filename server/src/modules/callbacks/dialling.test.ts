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
import { attemptsOf, callbackOf, closeStage as teardown, dialStage as setup, ringingAgent, takeOffer, type DialStage as Setup } from '../../test/callbacks.js';
import { InteractionEvent } from '../journey/index.js';
import { statementsFrom } from '../../test/database.js';
import { customerAddress, mailboxOf } from '../../test/mailbox.js';
import { accept, nextOffer, setState } from '../../test/routing.js';
describe('callbacks: accept → dial (agent first, then the customer through the trunk)', function () {
  this.timeout(120_000);

  it("rings the agent's softphone, dials the customer's number as the dial plan says, bridges them and records the answer", async () => {
    let x: Setup | undefined;
    try {
      x = await setup('uas-answer-any.xml', 1);
      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const offer = await nextOffer({ ...x.agent, username: '' }, 20_000);
      const sent = statementsFrom(x.t.sb.kernel.db);
      expect((await accept(x.t.url, { ...x.agent, username: '' }, offer.offerId)).status).to.equal(200);
      const cb = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'completed', 200);
      sent.stop();
      expect(cb.attempts).to.equal(1);
      // The accept read the interaction, and with it what the dial needs: the dial read nothing again.
      expect(sent.texts.filter((q) => /^SELECT .* FROM (interactions|callbacks)\b/.test(q))).to.have.length(1);
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

  it('records busy with its SIP cause, retries with a new job after the backoff, and leaves the callback unreached after the last attempt, the customer mailed so', async () => {
    let x: Setup | undefined;
    try {
      x = await setup('uas-busy.xml', 2, {
        'queues.yaml:queues.3.callback': { attempts: 2, retryMinutes: 5 },
        'websites/example.yaml:forms.callback.2': { type: 'email', name: 'email', label: 'Email', mapsTo: { contact: 'email' } },
        'switchboard.yaml:imap.enabled': false,
      });
      const to = customerAddress('unreached');
      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '+44 20 7123 4567', email: to }, slot: 'asap', language: 'fr' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      expect(r.body.mailed).to.equal(true);
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
      // The retry's offer says which attempt it is and how the last one ended.
      const again = await nextOffer({ ...x.agent, username: '' }, 20_000);
      expect(again.callback).to.deep.include({ attempt: 2, maxAttempts: 2, lastCause: '486 busy', waiting: false });
      expect((await accept(x.t.url, { ...x.agent, username: '' }, again.offerId)).status).to.equal(200);
      const done = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'unreached', 200);
      expect(done.attempts).to.equal(2);
      const attempts = await attemptsOf(x.t, done.id);
      expect(attempts.map((a) => [a.attempt, a.outcome, a.cause, a.dialled])).to.deep.equal([
        [1, 'busy', '486 busy', '000442071234567'],
        [2, 'busy', '486 busy', '000442071234567'],
      ]);
      expect((await x.pbx.done).code).to.equal(0);
      // The confirmation, then the mail saying the customer could not be reached, in their language.
      const isUnreached = (m: { subject?: string }) => !!m.subject?.includes("Nous n'avons pas pu vous joindre");
      const mails = await eventually(() => mailboxOf(x!.t.config.main.imap!, to), (ms) => ms.some(isUnreached), 200, 300).catch(() => mailboxOf(x!.t.config.main.imap!, to));
      const unreached = mails.find(isUnreached);
      expect(unreached, mails.map((m) => m.subject).join(' | ')).to.not.equal(undefined);
      expect(mails.filter(isUnreached), 'mailed once').to.have.length(1);
      expect(unreached!.subject).to.contain(r.body.reference);
      expect(unreached!.text).to.contain(r.body.reference).and.contain('(2 tentatives)').and.contain('…4567').and.not.contain('7123');
    } finally {
      await teardown(x);
    }
  });
  it('busy, then after the backoff the retry reaches the customer: answered and completed, the busy attempt in the journey with its SIP cause, one INVITE per attempt', async () => {
    let x: Setup | undefined;
    let answering: ReturnType<typeof sipp> | undefined;
    try {
      x = await setup('uas-busy.xml', 1, { 'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 5 } });
      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const firstInteraction = await takeOffer(x);
      const retry = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'scheduled' && c.attempts === 1, 200);
      expect(retry.lastCause).to.equal('486 busy');
      expect(retry.dueAt.getTime(), 'after the backoff').to.be.greaterThan(Date.now() + 4 * 60_000);
      expect((await x.pbx.done).code).to.equal(0);
      const busyAttempt = (await x.t.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId: firstInteraction, type: 'callback.attempt' })).map((e) => e.data);
      expect(busyAttempt).to.have.length(1);
      expect(busyAttempt[0]).to.include({ attempt: 1, outcome: 'busy', cause: '486 busy' });

      // The customer's line is free now: the same number, answering.
      const port = x.t.sb.kernel.config().trunks[0]!.port;
      const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-cb-retry-')), 'pbx.log');
      answering = sipp({ scenario: 'uas-answer-any.xml', port, calls: 1, timeoutS: 120, extra: ['-trace_msg', '-message_file', trace] });
      await waitForUdpListener(port, answering);
      const due = new CallbackDueJob(x.t.sb.contexts.callbacks);
      await eventually(() => due.stateOf(retry.jobId!), (st) => st === 'delayed');
      await due.runNow(retry.jobId!);
      await takeOffer(x);
      const done = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'completed', 200);
      expect(done).to.include({ attempts: 2, lastCause: null });
      const attempts = await attemptsOf(x.t, done.id);
      expect(attempts.map((a) => [a.attempt, a.outcome, a.cause])).to.deep.equal([[1, 'busy', '486 busy'], [2, 'answered', null]]);
      expect(readFileSync(x.trace, 'utf8').match(/^INVITE sip:/gm), 'the busy attempt: one INVITE').to.have.length(1);
      expect(readFileSync(trace, 'utf8').match(/^INVITE sip:00612345678@/gm), 'the answered one: one INVITE').to.have.length(1);
      await x.phone.incoming[1]!.bye();
      expect((await answering.done).code).to.equal(0);
      await eventually(() => x!.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: done.interactionId }), (i) => i.state === 'closed');
    } finally {
      answering?.kill();
      await teardown(x);
    }
  });

  it("the accepting agent's phone refuses (486): the customer is not called, the callback goes back to its queue at its place, ahead of a later one, and the next agent's call reaches the customer", async () => {
    let x: Setup | undefined;
    const stops: Array<() => unknown> = [];
    try {
      x = await setup('uas-answer-any.xml', 1, { 'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 30 } });
      const t = x.t;
      await setState(t.url, x.agent, 'not-ready', 'break');
      // The first agent's softphone rings without answering; the test refuses the call.
      const ringing = await ringingAgent(t);
      stops.push(ringing.stop);
      const { agent: refusing, phone } = ringing;

      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const first = await nextOffer(refusing, 20_000);
      expect((await accept(t.url, refusing, first.offerId)).status).to.equal(200);
      await eventually(async () => phone.incoming.length, (n) => n === 1);
      // Another callback is asked for while the agent's phone rings; it waits (nobody free).
      const later = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 6060 1111' }, slot: 'asap' });
      expect(later.status, JSON.stringify(later.body)).to.equal(201);
      const laterRow = await eventually(() => callbackOf(t, later.body.callbackId), (c) => c.state === 'queued');
      // On a break before refusing, so that freeing them does not hand them the later callback.
      await setState(t.url, refusing, 'not-ready', 'break');
      await phone.incoming[0]!.reject({ statusCode: 486 });

      const back = await eventually(() => callbackOf(t, r.body.callbackId), (c) => c.state === 'queued' && c.interactionId !== first.interactionId, 300, 200);
      await eventually(() => t.sb.kernel.db.getRepository(InteractionEvent).findOneBy({ interactionId: back.interactionId, type: 'callback.retry' }), (e) => !!e);
      const [failed] = await attemptsOf(t, back.id);
      expect(failed).to.include({ attempt: 1, outcome: 'failed', agentId: refusing.id });
      expect(failed!.cause).to.match(/^agent: 486/);
      expect(readFileSync(x.trace, 'utf8'), 'the customer was not called').to.not.match(/^INVITE /m);
      // At its place: ahead of the later callback, waiting since it first entered.
      expect(await t.sb.contexts.routing.position(back.interactionId)).to.include({ state: 'queued', position: 1 });
      expect(await t.sb.contexts.routing.position(laterRow.interactionId)).to.include({ state: 'queued', position: 2 });
      expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: back.interactionId })).queuedAt!.toISOString()).to.equal(first.waitingSince);
      expect(Number((await t.sb.contexts.routing.engine.interactionLive(back.interactionId)).queuedAt)).to.equal(Date.parse(first.waitingSince!));

      // The agent whose phone refused it is passed over for the cool-down: they get the later one.
      await setState(t.url, refusing, 'available');
      expect((await nextOffer(refusing, 20_000)).interactionId).to.equal(laterRow.interactionId);
      await setState(t.url, x.agent, 'available');
      const second = await nextOffer({ ...x.agent, username: '' }, 20_000);
      expect(second.interactionId, 'the callback that kept its place, before the later one').to.equal(back.interactionId);
      expect(second.interactionId).to.not.equal(laterRow.interactionId);
      expect(second.waitingSince).to.equal(first.waitingSince);
      expect((await accept(t.url, { ...x.agent, username: '' }, second.offerId)).status).to.equal(200);
      const cb = await eventually(() => callbackOf(t, r.body.callbackId), (c) => c.state === 'completed', 300, 200);
      expect((await attemptsOf(t, cb.id)).map((a) => [a.attempt, a.outcome, a.agentId])).to.deep.equal([[1, 'failed', refusing.id], [2, 'answered', x.agent.id]]);
      await x.phone.incoming[0]!.bye();
    } finally {
      for (const stop of stops.reverse()) await stop();
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
        // The journey says it too: the attempt with its outcome and SIP cause, then unreached.
        const journey = await x.t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: cb.interactionId }, order: { seq: 'ASC' } });
        expect(journey.filter((e) => e.type === 'callback.attempt').map((e) => [e.data.outcome, e.data.cause])).to.deep.equal([[outcome, cause]]);
        expect(journey.find((e) => e.type === 'callback.unreached')?.data).to.include({ attempts: 1, cause });
      } finally {
        await teardown(x);
      }
    });
  }
});
