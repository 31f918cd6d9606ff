// Exactly once for customer-first callbacks when an instance dies: a real server process calls
// the customer and is killed with -9; another instance takes the job over (BullMQ's stalled-job
// check), finds the attempt's row written before the INVITE, records it as interrupted and
// schedules the next attempt instead of calling again. Killed while the customer's phone rings,
// the call dies with it; killed while the customer, answered, waits for an agent, the other
// instance ends the call from its live-call record (BYE in the customer's dialog, rtpengine
// session deleted) and settles the attempt and withdraws its offer then, not when the job is
// taken over: until then an agent could accept a call that is over.
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { RtpEngineRelay } from '@switchboard/sip';
import { spawnServer, startTestServer, type TestServer } from '../../test/server.js';
import { makeConfigDir, testConfig } from '../../test/config.js';
import { TEST_DB } from '../../test/env.js';
import { eventually } from '../../test/redis.js';
import { login, makeAgent, nextOffer, noOffer, openDesktop, openQueues, setState, uniquePrefix } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/index.js';
import { Call } from '../calls/index.js';
import { Callback } from './callback.entity.js';
import { CallbackAttempt } from './attempt.entity.js';
import { CallbackDueJob } from './due-job.js';
import { CustomerFirstJob } from './customer-first.js';
import { freePort, rtpengineRelay, sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';

/** Calls the customer's phone got: INVITEs counted by Call-ID (a UDP retransmission is the same call). */
const invitesTo = (trace: string, number: string) => new Set(
  readFileSync(trace, 'utf8').split(/^-{20,}.*$/m)
    .filter((m) => new RegExp(`^INVITE sip:${number}@`, 'm').test(m))
    .map((m) => /^Call-ID:\s*(\S+)/im.exec(m)?.[1] ?? m),
).size;

/** The SIP messages of a sipp trace, each with whether sipp received or sent it. */
function sippMessages(trace: string): { received: boolean; text: string }[] {
  return readFileSync(trace, 'utf8').split(/^-{20,}.*$/m).flatMap((chunk) => {
    const start = /^(?:[A-Z]+ \S+ SIP\/2\.0|SIP\/2\.0 \d{3}.*)$/m.exec(chunk);
    return start ? [{ received: /message received/i.test(chunk.slice(0, start.index)), text: chunk.slice(start.index) }] : [];
  });
}
const header = (text: string, name: string) => new RegExp(`^${name}:\\s*(.*?)\\s*$`, 'im').exec(text)?.[1];
const tag = (value: string | undefined) => /;\s*tag=([^;>\s]+)/i.exec(value ?? '')?.[1];
const cseq = (text: string) => Number(/^CSeq:\s*(\d+)/im.exec(text)?.[1]);
/** Requests of `method` the phone received, one per transaction (a UDP retransmission is the same one). */
const requestsTo = (trace: string, method: string) => [...new Map(sippMessages(trace)
  .filter((m) => m.received && m.text.startsWith(`${method} `))
  .map((m) => [`${header(m.text, 'Call-ID')} ${header(m.text, 'Via')}`, m.text])).values()];
/** The requests of a dialog the phone received from us, but its BYE. */
const ours = (trace: string, callId: string) => sippMessages(trace).filter((m) => m.received && !m.text.startsWith('SIP/2.0') && !m.text.startsWith('BYE ') && header(m.text, 'Call-ID') === callId).map((m) => m.text);
/** The phone's 200 to the INVITE: its To carries the phone's tag. */
const answerTo = (trace: string) => sippMessages(trace).find((m) => !m.received && m.text.startsWith('SIP/2.0 200') && /^CSeq:\s*\d+ INVITE/im.test(m.text))?.text;
/** The session id rtpengine knows (the attempt's callId is it without dashes). */
const sessionIdOf = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** The call of a callback's first attempt, read from MySQL (the instance holding it is another process). */
async function firstAttemptCall(callbackId: string): Promise<string | null> {
  const cfg = testConfig().main.database;
  const c = await mysql.createConnection({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: TEST_DB });
  try {
    const [rows] = await c.query('SELECT callId FROM callback_attempts WHERE callbackId = ? AND attempt = 1', [callbackId]);
    return (rows as { callId: string | null }[])[0]?.callId ?? null;
  } finally {
    await c.end();
  }
}

describe('callbacks: customer first, exactly once across a kill -9', function () {
  this.timeout(240_000);
  let pbx: ReturnType<typeof sipp> | undefined;
  let customer: ReturnType<typeof sipp> | undefined;
  let first: Awaited<ReturnType<typeof spawnServer>> | undefined;
  let second: TestServer | undefined;
  let rtp: RtpEngineRelay;
  before(async () => {
    rtp = await rtpengineRelay();
  });
  afterEach(async () => {
    pbx?.kill();
    customer?.kill();
    if (first?.proc.exitCode === null) first.proc.kill('SIGKILL');
    await second?.stop();
    [pbx, customer, first, second] = [undefined, undefined, undefined, undefined];
  });
  after(() => rtp?.close());

  it('does not call the customer twice when the instance calling them dies; the next attempt waits for its backoff', async () => {
    const pbxPort = await freePort();
    const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-cf-crash-')), 'pbx.log');
    pbx = sipp({ scenario: 'uas-no-answer.xml', port: pbxPort, calls: 2, timeoutS: 200, extra: ['-trace_msg', '-message_file', trace] });
    await waitForUdpListener(pbxPort, pbx);
    const redisPrefix = uniquePrefix();
    const set = openQueues({
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:redis.jobLockSeconds': 3,
      'switchboard.yaml:redis.jobStalledCheckSeconds': 1,
      'trunks.yaml:trunks.0.port': pbxPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'queues.yaml:queues.3.callback': {
        attempts: 3, retryMinutes: 60, answerTimeoutSeconds: 300,
        order: 'customer-first', announcement: 'prompts/callback-connecting.en.wav',
      },
    });
    const [udp, ws] = [await freePort(), await freePort()];
    first = await spawnServer(makeConfigDir({ redisPrefix, set: { ...set, 'switchboard.yaml:sip.udpPort': udp, 'switchboard.yaml:sip.tcpPort': udp, 'switchboard.yaml:sip.wsPort': ws } }));

    // Due now: the customer's phone rings before any agent is involved.
    const r = await widget(first.url, 'POST', '/callbacks', { fields: { phone: '+39 06 4444 3333' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    await eventually(async () => invitesTo(trace, '0644443333'), (n) => n === 1, 300, 100);

    first.proc.kill('SIGKILL');
    second = await startTestServer({ redisPrefix, set: { ...set } });
    const db = second.sb.kernel.db;
    const attempt = await eventually(() => db.getRepository(CallbackAttempt).findOneBy({ callbackId: r.body.callbackId, attempt: 1 }), (a) => a?.outcome !== 'dialling', 300, 200);
    expect(attempt).to.include({ outcome: 'failed', agentId: null });
    expect(attempt!.cause).to.contain('interrupted');
    const cb = await eventually(() => db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId }), (c) => c.state === 'scheduled', 100, 200);
    expect(cb.jobId).to.equal(`${cb.id}-2`);
    // The row says scheduled before the retry's job is in the queue (retryAfterFailure): wait for the job.
    await eventually(() => new CallbackDueJob(second!.sb.contexts.callbacks).stateOf(cb.jobId!), (state) => state === 'delayed', 100, 200);
    expect(await db.getRepository(CallbackAttempt).countBy({ callbackId: cb.id })).to.equal(1);
    // The run that found the attempt's row ended without calling: the customer got one INVITE.
    expect(invitesTo(trace, '0644443333'), 'calls the customer got').to.equal(1);
  });

  it('ends the call of a customer waiting for an agent when their instance dies: BYE in their dialog, media deleted, the offer withdrawn and the attempt settled at once, retried once after the backoff', async () => {
    const customerPort = await freePort();
    const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-cf-crash-waiting-')), 'customer.log');
    // Answers, then waits for a BYE and answers it 200: it ends well only if our BYE reaches it.
    customer = sipp({ scenario: 'uas-answer-any.xml', port: customerPort, calls: 1, timeoutS: 200, extra: ['-trace_msg', '-message_file', trace] });
    await waitForUdpListener(customerPort, customer);
    const redisPrefix = uniquePrefix();
    const set = openQueues({
      'switchboard.yaml:sip.enabled': true,
      // The dead instance's job is taken over once its lock lapsed, 30 to 60 s after the kill, well
      // after a survivor ended the call (heartbeat 15 s, a look every 5 s): what is settled while
      // the job is still the dead instance's is the survivor's doing.
      'switchboard.yaml:redis.jobLockSeconds': 60,
      'switchboard.yaml:redis.jobStalledCheckSeconds': 1,
      'trunks.yaml:trunks.0.port': customerPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'queues.yaml:queues.3.offerTimeoutSeconds': 120,
      'queues.yaml:queues.3.callback': {
        attempts: 3, retryMinutes: 60, answerTimeoutSeconds: 60, customerWaitSeconds: 600,
        order: 'customer-first', announcement: 'prompts/callback-connecting.en.wav',
      },
    });
    const [udp, ws] = [await freePort(), await freePort()];
    first = await spawnServer(makeConfigDir({ redisPrefix, set: { ...set, 'switchboard.yaml:sip.udpPort': udp, 'switchboard.yaml:sip.tcpPort': udp, 'switchboard.yaml:sip.wsPort': ws } }));
    const agent = await makeAgent(first.url, await login(first.url));

    const r = await widget(first.url, 'POST', '/callbacks', { fields: { phone: '+39 06 4444 3333' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    // Offered once the customer answered: they are on the line, waiting, hearing the announcement.
    const offer = await nextOffer(agent, 60_000);
    expect(offer.callback?.waiting).to.equal(true);
    const session = sessionIdOf((await eventually(() => firstAttemptCall(r.body.callbackId), (id) => !!id, 300, 100))!);
    expect(await rtp.list(), 'the waiting call has its rtpengine session').to.include(session);

    first.proc.kill('SIGKILL');
    agent.socket.close();
    second = await startTestServer({ redisPrefix, set: { ...set } });
    const db = second.sb.kernel.db;
    const kit = second.sb.contexts.callbacks;
    const attemptJob = new CustomerFirstJob(kit, { ...kit, retry: () => Promise.reject(new Error('not used')) });
    const token = await login(second.url, agent.username, 'routing-test-password');
    const again = { ...agent, token, socket: await openDesktop(second.url, token) };

    // The customer gets a BYE in their dialog and answers it 200; sipp ends its one call cleanly.
    const result = await customer.done;
    expect(result.code, `${result.stdout}\n${result.stderr}`).to.equal(0);
    const [invite, ...more] = requestsTo(trace, 'INVITE');
    expect(more, 'the customer was called once').to.deep.equal([]);
    const [bye] = requestsTo(trace, 'BYE');
    expect(bye, 'a BYE reached the customer').to.not.equal(undefined);
    expect(header(bye!, 'Call-ID')).to.equal(header(invite!, 'Call-ID'));
    expect(tag(header(bye!, 'From')), 'our tag').to.equal(tag(header(invite!, 'From')));
    expect(tag(header(bye!, 'To')), 'their tag').to.equal(tag(header(answerTo(trace)!, 'To')));
    expect(cseq(bye!), 'CSeq ahead of every request we sent in the dialog').to.be.greaterThan(Math.max(...ours(trace, header(invite!, 'Call-ID')!).map(cseq)));
    // rtpengine no longer has the session.
    await eventually(() => rtp.list(), (ids) => !ids.includes(session), 240, 250);
    expect((await rtp.query(session)).result).to.equal('error');

    // The survivor that ended the call settled the attempt and withdrew the offer at once, while
    // the attempt's job is still held by the dead instance: no agent can take a call that is over.
    const attempt = await eventually(() => db.getRepository(CallbackAttempt).findOneBy({ callbackId: r.body.callbackId, attempt: 1 }), (a) => a?.outcome !== 'dialling', 300, 200);
    expect(attempt).to.include({ outcome: 'failed', agentId: null, cause: 'interrupted: the instance holding the call stopped' });
    const jobId = `${r.body.callbackId}-cf-1`;
    expect(await attemptJob.stateOf(jobId), 'the attempt\'s job, not taken over yet').to.equal('active');
    const withdrawn = await again.socket.next((m) => m.type === 'offer.ended' && m.offerId === offer.offerId, 30_000);
    expect(withdrawn.reason).to.equal('withdrawn');
    const cb = await eventually(() => db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId }), (c) => c.state === 'scheduled', 100, 200);
    expect(cb.jobId).to.equal(`${cb.id}-2`);
    // The row says scheduled before the retry's job is in the queue (retryAfterFailure): wait for the job.
    await eventually(() => new CallbackDueJob(kit).stateOf(cb.jobId!), (state) => state === 'delayed', 100, 200);
    expect((await second.sb.contexts.routing.engine.interactionLive(offer.interactionId)).state ?? 'gone').to.not.equal('queued');
    await setState(second.url, again, 'available');
    await noOffer(again, 3000);

    // The waiting interaction is over, for the records too.
    const waited = await db.getRepository(Interaction).findOneByOrFail({ id: offer.interactionId });
    expect(waited.state).to.be.oneOf(['abandoned', 'closed']);
    expect(waited.closedAt).to.be.instanceOf(Date);
    const call = await eventually(() => db.getRepository(Call).findOneByOrFail({ id: attempt!.callId! }), (c) => !!c.endedAt, 100, 200);
    expect(call.endCause).to.equal('server-lost');

    // The job's run after the takeover finds the attempt settled: no second settling, retry or INVITE.
    await eventually(() => attemptJob.stateOf(jobId), (state) => state === 'completed', 600, 250);
    expect(await db.getRepository(CallbackAttempt).countBy({ callbackId: cb.id })).to.equal(1);
    const now = await db.getRepository(Callback).findOneByOrFail({ id: cb.id });
    expect([now.state, now.jobId, now.interactionId]).to.deep.equal(['scheduled', cb.jobId, cb.interactionId]);
    expect(await new CallbackDueJob(kit).stateOf(cb.jobId!), 'the next attempt still waits for the backoff').to.equal('delayed');
    // Withdrawn by the retry (by the system), not closed by the call's end: until an agent is on
    // the call, its events, the lost call's end included, carry no interaction.
    const journey = await db.getRepository(InteractionEvent).find({ where: { interactionId: offer.interactionId }, order: { seq: 'ASC' } });
    expect(journey.map((e) => e.type)).to.include.members(['callback.answered']).and.not.include('call.ended');
    expect(journey.filter((e) => e.type === 'callback.attempt'), 'the attempt settled once').to.have.length(1);
    expect(await db.getRepository(InteractionEvent).countBy({ interactionId: cb.interactionId, type: 'callback.retry' }), 'one retry').to.equal(1);
    expect(requestsTo(trace, 'INVITE'), 'calls the customer got').to.have.length(1);
  });
});
