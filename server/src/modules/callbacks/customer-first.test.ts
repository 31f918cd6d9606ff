// Customer-first callbacks against real services: the customer's phone is a sipp UAS behind the
// queue's trunk, the agent's extension another sipp UAS at the PBX; each phone's media is a UDP
// socket of this test, so the announcement and the conversation are counted where they arrive.
// Due → customer dialled → announcement at the customer → offered → accept → agent rung →
// bridged, RTP both ways; busy → retried; the customer hanging up while queued → the offer is
// withdrawn; nobody free → ended after customerWaitSeconds. Nothing is left in rtpengine.
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RtpEngineRelay } from '@switchboard/sip';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/index.js';
import { Call, CallLeg } from '../calls/index.js';
import { CallbackDueJob } from './due-job.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { statementsFrom } from '../../test/database.js';
import { api, login, nextOffer, accept, setState, startRoutingServer, openDesktop, uniquePrefix, type TestServer } from '../../test/routing.js';
import { attemptsOf, callbackOf, kamailioFront } from '../../test/callbacks.js';
import { freePort, sipp, waitForUdpListener, type SippProcess } from '../../../../sip/dist/test/support/services.js';
import type { Kamailio } from '../../../../sip/dist/test/support/kamailio.js';
import { softphone } from '../../../../sip/dist/test/support/softphone.js';
import { invitesIn, rtpPeer, talk, type RtpPeer } from '../../../../sip/dist/test/support/rtp.js';

const traceFile = (name: string) => path.join(mkdtempSync(path.join(os.tmpdir(), `sb-cf-${name}-`)), 'trace.log');
const uuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
const journeyOf = (t: TestServer, interactionId: string) => t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId }, order: { seq: 'ASC' } });

interface Stage {
  t: TestServer;
  agent: { id: string; token: string; username: string; socket: Awaited<ReturnType<typeof openDesktop>> };
  relay: RtpEngineRelay;
}

const CUSTOMER_FIRST = {
  order: 'customer-first',
  announcement: { en: 'prompts/callback-connecting.en.wav', fr: 'prompts/callback-connecting.fr.wav' },
};

describe('callbacks: customer first (the customer is called when due, then offered to an agent)', function () {
  this.timeout(180_000);
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  function phone(scenario: string, rtp: RtpPeer | undefined, port: number, extra: string[] = []): { p: SippProcess; trace: string } {
    const trace = traceFile(scenario.replace(/\.xml$/, ''));
    const p = sipp({ scenario, port, calls: 1, timeoutS: 150, extra: [...(rtp ? ['-set', 'rtp_port', String(rtp.port)] : []), '-trace_msg', '-message_file', trace, ...extra] });
    cleanup.push(() => p.kill());
    return { p, trace };
  }

  /** A server whose callback queue is customer-first, the customer behind `customerPort`, an agent whose extension is at `agentPort`. */
  async function stage(agentPort: number, customerPort: number, callback: Record<string, unknown>, k?: Kamailio, extension = String(400000 + Math.floor(Math.random() * 499999))): Promise<Stage> {
    const dialPlan = { countryCode: '39', outsideLinePrefix: '0' };
    const t = await startRoutingServer({
      'switchboard.yaml:sip.enabled': true,
      'trunks.yaml:trunks.0.port': k ? k.port : agentPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'trunks.yaml:trunks.0.dialPlan': dialPlan,
      // The test decides when the agent accepts; an offer must not time out (RONA) meanwhile.
      'queues.yaml:queues.3.offerTimeoutSeconds': 120,
      ...(k ? { 'queues.yaml:queues.3.callback': { ...CUSTOMER_FIRST, ...callback } } : {
        'trunks.yaml:trunks.1': { id: 'customers', name: 'Customers', host: '127.0.0.1', port: customerPort, optionsPingSeconds: 0, dialPlan },
        'queues.yaml:queues.3.callback': { trunk: 'customers', ...CUSTOMER_FIRST, ...callback },
      }),
    });
    cleanup.push(() => t.stop());
    const admin = await login(t.url);
    const username = `cf-${extension}`;
    const made = await api(t.url, 'POST', '/api/agents', { username, name: 'First Agent', role: 'agent', password: 'callback-password-1', extension, capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const token = await login(t.url, username, 'callback-password-1');
    const socket = await openDesktop(t.url, token);
    cleanup.push(() => socket.close());
    const c = t.sb.kernel.config().main.rtpengine;
    const relay = new RtpEngineRelay({ host: c.host, port: c.ngPort, timeout: c.timeoutMs });
    cleanup.push(() => relay.close());
    return { t, relay, agent: { id: made.body.agent.id as string, token, username, socket } };
  }

  /** The callback's call is gone everywhere: no dialog, no call session, nothing in rtpengine. */
  async function nothingLeft(x: Stage, sessionId: string): Promise<void> {
    const calls = x.t.sb.contexts.calls()!;
    await eventually(
      async () => ({ dialogs: calls.engine.dialogs.size, sessions: calls.control.activeSessions.size, media: (await x.relay.list()).includes(sessionId) }),
      (r) => r.dialogs === 0 && r.sessions === 0 && !r.media,
    );
  }

  for (const viaProxy of [false, true]) {
    it(viaProxy
      ? 'through a record-routing Kamailio: the customer, then the agent, reached through the proxy; announcement, bridge and RTP both ways'
      : "due → the customer is dialled through the queue's trunk → hears the announcement in their language → offered → accepted → the agent's extension is rung and bridged, RTP both ways, nothing left", async () => {
      const extension = String(400000 + Math.floor(Math.random() * 499999));
      const [agentRtp, customerRtp] = [await rtpPeer(), await rtpPeer()];
      cleanup.push(() => agentRtp.socket.close(), () => customerRtp.socket.close());
      const [agentPort, customerPort] = [await freePort(), await freePort()];
      const agentPhone = phone('uas-answer-media.xml', agentRtp, agentPort);
      const customerPhone = phone('uas-answer-media.xml', customerRtp, customerPort);
      await waitForUdpListener(agentPort, agentPhone.p);
      await waitForUdpListener(customerPort, customerPhone.p);
      let k: Kamailio | undefined;
      if (viaProxy) {
        k = await kamailioFront(extension, agentPort, customerPort);
        cleanup.push(() => k!.stop());
      }
      const x = await stage(agentPort, customerPort, { attempts: 1 }, k, extension);
      await setState(x.t.url, x.agent, 'available');

      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap', language: 'fr' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      // The customer's phone rings first, through the trunk, with the dial plan's number.
      const offer = await nextOffer({ ...x.agent }, 30_000);
      expect(offer.channel).to.equal('callback');
      // The offer says the customer is on the line now, in the first attempt.
      expect(offer.callback).to.deep.include({ phoneNumber: '0612345678', waiting: true, attempt: 1, lastCause: null });
      const [toCustomer] = invitesIn(customerPhone.trace);
      expect(toCustomer?.text).to.match(/^INVITE sip:00612345678@/m);
      expect(invitesIn(agentPhone.trace), "the agent's phone does not ring before they accept").to.deep.equal([]);
      // The announcement (the French prompt) reaches the customer while the offer waits.
      await eventually(async () => customerRtp.received, (n) => n >= 50);
      expect(agentRtp.received).to.equal(0);
      const cbBefore = await callbackOf(x.t, r.body.callbackId);
      expect(cbBefore.state).to.equal('dialling');
      const answered = (await journeyOf(x.t, cbBefore.interactionId)).find((e) => e.type === 'callback.answered');
      expect(answered?.data).to.deep.include({ attempt: 1, language: 'fr', announcement: 'callback-connecting.fr.wav' });

      const accepted = await accept(x.t.url, { ...x.agent }, offer.offerId);
      expect(accepted.status, JSON.stringify(accepted.body)).to.equal(200);
      const cb = await eventually(() => callbackOf(x.t, r.body.callbackId), (c) => c.state === 'completed', 300, 200);
      const [attempt] = await attemptsOf(x.t, cb.id);
      expect(attempt).to.include({ attempt: 1, outcome: 'answered', agentId: x.agent.id, dialled: '00612345678' });
      const sessionId = uuid(attempt!.callId!);
      const [toAgent] = invitesIn(agentPhone.trace);
      expect(toAgent?.text, 'the agent is rung at their extension, with the interaction').to.match(new RegExp(`^INVITE sip:${extension}@`, 'm')).and.match(new RegExp(`^X-Switchboard-Interaction: ${cb.interactionId}`, 'im'));
      expect(invitesIn(customerPhone.trace), 'the customer is never re-INVITEd').to.have.length(1);
      // The desktop's call: the interaction's, answered.
      const call = await eventually(() => x.t.sb.kernel.db.getRepository(Call).findOneBy({ interactionId: cb.interactionId }), (c) => !!c?.answeredAt);
      expect(call!.kind).to.equal('originate');

      let talking = true;
      const enough = () => (agentRtp.voice >= 50 && customerRtp.voice >= 50) || !talking;
      const sent = await Promise.all([talk(agentRtp, toAgent!, enough), talk(customerRtp, toCustomer!, enough)]);
      talking = false;
      expect(customerRtp.voice, `the agent's voice at the customer (sent ${sent[0]})`).to.be.at.least(50);
      expect(agentRtp.voice, `the customer's voice at the agent (sent ${sent[1]})`).to.be.at.least(50);
      if (k) expect(k.seen().filter((s) => s.method === 'INVITE').length, 'both INVITEs went through the proxy').to.be.at.least(2);

      expect(await x.t.sb.contexts.calls()!.control.hangup(sessionId)).to.equal(true);
      expect((await agentPhone.p.done).code, 'agent phone').to.equal(0);
      expect((await customerPhone.p.done).code, 'customer phone').to.equal(0);
      await eventually(() => x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId }), (i) => i.state === 'closed');
      await nothingLeft(x, sessionId);
    });
  }

  it("the accepting agent's softphone refuses: the call goes back to its queue at its place, ahead of a later callback, the customer keeps waiting, the next agent takes it", async () => {
    const customerRtp = await rtpPeer();
    cleanup.push(() => customerRtp.socket.close());
    const [pbxPort, customerPort] = [await freePort(), await freePort()];
    const pbxPhone = phone('uas-answer-media.xml', await rtpPeer(), pbxPort);
    const customerPhone = phone('uas-answer-media.xml', customerRtp, customerPort);
    await waitForUdpListener(pbxPort, pbxPhone.p);
    await waitForUdpListener(customerPort, customerPhone.p);
    const x = await stage(pbxPort, customerPort, { attempts: 1 });
    // The first agent answers on the desktop's softphone (WebSocket, WebRTC-shaped SDP).
    const cred = (await api(x.t.url, 'GET', '/api/sip/credentials', undefined, x.agent.token)).body;
    const agentExtension = /^cf-(\d+)$/.exec(x.agent.username)![1]!;
    const phone1 = await softphone({ wsPort: Number(new URL(cred.wsUrl).port), username: cred.username, password: cred.password, user: agentExtension });
    cleanup.push(() => phone1.stop());
    expect(await phone1.register()).to.equal(200);
    // The second agent's extension is at the PBX (sipp); not ready until the first refuses.
    const admin = await login(x.t.url);
    const ext2 = String(400000 + Math.floor(Math.random() * 499999));
    const made = await api(x.t.url, 'POST', '/api/agents', { username: `cf2-${ext2}`, name: 'Second Agent', role: 'agent', password: 'callback-password-1', extension: ext2, capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const token2 = await login(x.t.url, `cf2-${ext2}`, 'callback-password-1');
    const socket2 = await openDesktop(x.t.url, token2);
    cleanup.push(() => socket2.close());
    const agent2 = { id: made.body.agent.id as string, token: token2, username: `cf2-${ext2}`, socket: socket2 };
    await setState(x.t.url, agent2, 'not-ready', 'break');
    await setState(x.t.url, x.agent, 'available');

    const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const first = await nextOffer({ ...x.agent }, 30_000);
    expect((await accept(x.t.url, { ...x.agent }, first.offerId)).status).to.equal(200);
    await eventually(async () => phone1.incoming.length, (n) => n === 1);
    const invite = phone1.incoming[0]!.request;
    // rtpengine offered the customer's call to the browser as WebRTC.
    expect(invite.body).to.match(/UDP\/TLS\/RTP\/SAVPF/).and.match(/^a=fingerprint:/m).and.match(/^a=ice-ufrag:/m);
    expect(invite.getHeader('X-Switchboard-Interaction')).to.equal((await callbackOf(x.t, r.body.callbackId)).interactionId);
    // Another callback of the same priority enters the queue while the agent's phone rings.
    const later = await api(x.t.url, 'POST', '/api/routing/interactions', { channel: 'callback', queueId: 'callbacks' }, admin);
    expect(later.status, JSON.stringify(later.body)).to.equal(201);
    await setState(x.t.url, x.agent, 'not-ready', 'break');
    await phone1.incoming[0]!.reject({ statusCode: 486 });
    await eventually(() => x.t.sb.contexts.routing.engine.interactionLive(first.interactionId), (l) => l.state === 'queued');
    // Back at its place: the customer on the line is the next one served, waiting since they first entered.
    expect(await x.t.sb.contexts.routing.position(first.interactionId)).to.include({ position: 1 });
    expect((await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: first.interactionId })).queuedAt!.toISOString()).to.equal(first.waitingSince);
    await setState(x.t.url, agent2, 'available');

    const second = await nextOffer(agent2, 30_000);
    expect(second.interactionId, 'the customer on the line is offered before the later callback').to.equal(first.interactionId);
    expect(second.waitingSince).to.equal(first.waitingSince);
    expect((await accept(x.t.url, agent2, second.offerId)).status).to.equal(200);
    const cb = await eventually(() => callbackOf(x.t, r.body.callbackId), (c) => c.state === 'completed', 300, 200);
    const [attempt] = await attemptsOf(x.t, cb.id);
    expect(attempt).to.include({ attempt: 1, outcome: 'answered', agentId: agent2.id });
    expect(invitesIn(pbxPhone.trace)[0]?.text).to.match(new RegExp(`^INVITE sip:${ext2}@`, 'm'));
    expect(invitesIn(customerPhone.trace), 'the customer is never re-INVITEd').to.have.length(1);
    const requeued = (await journeyOf(x.t, cb.interactionId)).find((e) => e.type === 'requeued');
    expect(requeued?.agentId).to.equal(x.agent.id);
    expect(requeued?.data).to.include({ reason: 'agent-not-connected', status: 486, position: 1 });
    expect(await x.t.sb.contexts.calls()!.control.hangup(uuid(attempt!.callId!))).to.equal(true);
    expect((await pbxPhone.p.done).code).to.equal(0);
    expect((await customerPhone.p.done).code).to.equal(0);
    await nothingLeft(x, uuid(attempt!.callId!));
  });

  it('two instances: the agent accepts on the one that does not hold the customer; the one that does rings the agent and bridges', async () => {
    const [agentPort, customerPort] = [await freePort(), await freePort()];
    const agentPhone = phone('uas-answer-media.xml', await rtpPeer(), agentPort);
    const customerPhone = phone('uas-answer-media.xml', await rtpPeer(), customerPort);
    await waitForUdpListener(agentPort, agentPhone.p);
    await waitForUdpListener(customerPort, customerPhone.p);
    const redisPrefix = uniquePrefix();
    const dialPlan = { countryCode: '39', outsideLinePrefix: '0' };
    const set = {
      'switchboard.yaml:sip.enabled': true,
      'trunks.yaml:trunks.0.port': agentPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'trunks.yaml:trunks.0.dialPlan': dialPlan,
      'trunks.yaml:trunks.1': { id: 'customers', name: 'Customers', host: '127.0.0.1', port: customerPort, optionsPingSeconds: 0, dialPlan },
      'queues.yaml:queues.3.offerTimeoutSeconds': 120,
      'queues.yaml:queues.3.callback': { trunk: 'customers', attempts: 1, ...CUSTOMER_FIRST },
    };
    // Alone at first: this instance calls the customer and holds the call.
    const a = await startRoutingServer(set, { redisPrefix });
    cleanup.push(() => a.stop());
    const r = await widget(a.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const waiting = await eventually(() => callbackOf(a, r.body.callbackId), (c) => c.state === 'dialling', 300, 100);
    await eventually(async () => (await journeyOf(a, waiting.interactionId)).some((e) => e.type === 'callback.answered'), (v) => v, 300, 100);

    // The agent works on the second instance.
    const b = await startRoutingServer(set, { redisPrefix });
    cleanup.push(() => b.stop());
    const admin = await login(b.url);
    const extension = String(400000 + Math.floor(Math.random() * 499999));
    const made = await api(b.url, 'POST', '/api/agents', { username: `cfb-${extension}`, name: 'Other Instance', role: 'agent', password: 'callback-password-1', extension, capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const token = await login(b.url, `cfb-${extension}`, 'callback-password-1');
    const socket = await openDesktop(b.url, token);
    cleanup.push(() => socket.close());
    const agent = { id: made.body.agent.id as string, token, username: `cfb-${extension}`, socket };
    await setState(b.url, agent, 'available');
    const offer = await nextOffer(agent, 30_000);
    expect(offer.interactionId).to.equal(waiting.interactionId);
    expect((await accept(b.url, agent, offer.offerId)).status).to.equal(200);

    const cb = await eventually(() => callbackOf(a, r.body.callbackId), (c) => c.state === 'completed', 300, 200);
    const [attempt] = await attemptsOf(a, cb.id);
    expect(attempt).to.include({ outcome: 'answered', agentId: agent.id });
    const sessionId = uuid(attempt!.callId!);
    expect(a.sb.contexts.calls()!.control.session(sessionId), 'the call is on the instance that called the customer').to.not.equal(undefined);
    expect(b.sb.contexts.calls()!.control.activeSessions.size).to.equal(0);
    expect(invitesIn(agentPhone.trace)[0]?.text).to.match(new RegExp(`^INVITE sip:${extension}@`, 'm'));
    expect(await a.sb.contexts.calls()!.control.hangup(sessionId)).to.equal(true);
    expect((await agentPhone.p.done).code).to.equal(0);
    expect((await customerPhone.p.done).code).to.equal(0);
  });

  it('a busy customer is recorded with its SIP cause and retried by the next due job, then unreached; each attempt names its call from its insert', async () => {
    const customerPort = await freePort();
    const busy = sipp({ scenario: 'uas-busy.xml', port: customerPort, calls: 2, timeoutS: 150 });
    cleanup.push(() => busy.kill());
    await waitForUdpListener(customerPort, busy);
    const x = await stage(await freePort(), customerPort, { attempts: 2, retryMinutes: 5 });
    await setState(x.t.url, x.agent, 'available');
    const sent = statementsFrom(x.t.sb.kernel.db);
    cleanup.push(() => sent.stop());
    const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const retry = await eventually(() => callbackOf(x.t, r.body.callbackId), (c) => c.state === 'scheduled' && c.attempts === 1, 300, 200);
    expect(retry.lastCause).to.equal('486 busy');
    expect(retry.jobId).to.equal(`${retry.id}-2`);
    expect(retry.dueAt.getTime()).to.be.greaterThan(Date.now() + 4 * 60_000);
    const due = new CallbackDueJob(x.t.sb.contexts.callbacks);
    await eventually(() => due.stateOf(retry.jobId!), (st) => st === 'delayed');
    await due.runNow(retry.jobId!);
    const done = await eventually(() => callbackOf(x.t, r.body.callbackId), (c) => c.state === 'unreached', 300, 200);
    expect((await attemptsOf(x.t, done.id)).map((a) => [a.attempt, a.outcome, a.cause, a.agentId])).to.deep.equal([
      [1, 'busy', '486 busy', null],
      [2, 'busy', '486 busy', null],
    ]);
    expect((await busy.done).code).to.equal(0);
    // Each attempt's row carries its call's id from its insert, before the INVITE: an instance
    // dying right after it leaves a row naming the call that was placed, and nothing writes it later.
    sent.stop();
    const inserted = sent.sent.filter((q) => /^INSERT INTO `?callback_attempts`?/.test(q.text));
    const attempts = await attemptsOf(x.t, done.id);
    expect(inserted).to.have.length(2);
    for (const [i, a] of attempts.entries()) {
      expect(a.callId).to.match(/^[0-9a-f]{32}$/);
      expect(inserted[i]!.params, `attempt ${a.attempt}'s insert`).to.include(a.callId);
      expect(await x.t.sb.kernel.db.getRepository(CallLeg).countBy({ callId: a.callId! }), `attempt ${a.attempt}'s call, its customer leg`).to.equal(1);
    }
  });

  it('SIP off: the attempt is recorded failed without a call (none was placed) and retried', async () => {
    const t = await startRoutingServer({ 'queues.yaml:queues.3.callback': { ...CUSTOMER_FIRST, attempts: 2, retryMinutes: 5 } });
    cleanup.push(() => t.stop());
    const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const cb = await eventually(() => callbackOf(t, r.body.callbackId), (c) => c.state === 'scheduled' && c.attempts === 1, 300, 200);
    expect(cb.lastCause).to.equal('SIP is not enabled on this server');
    expect((await attemptsOf(t, cb.id)).map((a) => [a.attempt, a.outcome, a.callId])).to.deep.equal([[1, 'failed', null]]);
  });

  it('the customer hangs up while queued: the offer is withdrawn, the attempt is abandoned, the journey says so', async () => {
    const customerRtp = await rtpPeer();
    cleanup.push(() => customerRtp.socket.close());
    const customerPort = await freePort();
    // Stays on the line 8 s after answering: long enough to be offered, not to be accepted.
    const customerPhone = phone('uas-answer-media-then-bye.xml', customerRtp, customerPort, ['-d', '8000']);
    await waitForUdpListener(customerPort, customerPhone.p);
    const x = await stage(await freePort(), customerPort, { attempts: 3 });
    await setState(x.t.url, x.agent, 'available');
    const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const offer = await nextOffer({ ...x.agent }, 30_000);
    const ended = await x.agent.socket.next((m) => m.type === 'offer.ended' && m.offerId === offer.offerId, 30_000);
    expect(ended.reason).to.equal('withdrawn');
    const cb = await eventually(() => callbackOf(x.t, r.body.callbackId), (c) => c.state === 'cancelled', 300, 200);
    expect(cb.lastCause).to.equal('answered, then hung up while waiting for an agent');
    const [attempt] = await attemptsOf(x.t, cb.id);
    expect(attempt).to.include({ outcome: 'abandoned', agentId: null });
    expect((await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId })).state).to.equal('abandoned');
    const journey = (await journeyOf(x.t, cb.interactionId)).map((e) => e.type);
    expect(journey).to.include.members(['callback.answered', 'abandoned', 'callback.attempt']);
    expect(customerRtp.received, 'the announcement played while they waited').to.be.greaterThan(0);
    expect((await customerPhone.p.done).code).to.equal(0);
    await nothingLeft(x, uuid(attempt!.callId!));
  });

  it('a waiting call lost for another reason than the customer hanging up is a failed attempt, retried', async () => {
    const customerPort = await freePort();
    const customerPhone = phone('uas-answer-media.xml', await rtpPeer(), customerPort);
    await waitForUdpListener(customerPort, customerPhone.p);
    const x = await stage(await freePort(), customerPort, { attempts: 2, retryMinutes: 5 });
    await setState(x.t.url, x.agent, 'available');
    const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const offer = await nextOffer({ ...x.agent }, 30_000);
    const [attempt] = await attemptsOf(x.t, r.body.callbackId);
    const session = x.t.sb.contexts.calls()!.control.session(uuid(attempt!.callId!));
    expect(session, 'the waiting call').to.not.equal(undefined);
    await session!.teardown('transport-lost');
    const ended = await x.agent.socket.next((m) => m.type === 'offer.ended' && m.offerId === offer.offerId, 30_000);
    expect(ended.reason).to.equal('withdrawn');
    const cb = await eventually(() => callbackOf(x.t, r.body.callbackId), (c) => c.state === 'scheduled' && c.attempts === 1, 300, 200);
    expect(cb.lastCause).to.equal('call lost while waiting: transport-lost');
    expect((await attemptsOf(x.t, cb.id))[0]).to.include({ outcome: 'failed' });
    expect((await customerPhone.p.done).code, 'the customer gets our BYE').to.equal(0);
    await nothingLeft(x, uuid(attempt!.callId!));
  });

  it("nobody free: the customer hears the announcement until customerWaitSeconds, then the call is ended and the attempt is 'no agent'", async () => {
    const customerRtp = await rtpPeer();
    cleanup.push(() => customerRtp.socket.close());
    const customerPort = await freePort();
    const customerPhone = phone('uas-answer-media.xml', customerRtp, customerPort);
    await waitForUdpListener(customerPort, customerPhone.p);
    const x = await stage(await freePort(), customerPort, { attempts: 1, customerWaitSeconds: 5 });
    // Logged in but not ready: the callback is queued and waits.
    await setState(x.t.url, x.agent, 'not-ready', 'break');
    const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const cb = await eventually(() => callbackOf(x.t, r.body.callbackId), (c) => c.state === 'unreached', 300, 200);
    expect(cb.lastCause).to.equal('no agent within 5 s');
    const [attempt] = await attemptsOf(x.t, cb.id);
    expect(attempt).to.include({ outcome: 'no-agent', agentId: null });
    // The prompt lasts 2.8 s: heard more than once in the 5 s.
    expect(customerRtp.received, 'announcement packets').to.be.greaterThan(150);
    expect((await customerPhone.p.done).code, 'the customer gets our BYE').to.equal(0);
    const i = await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId });
    expect(i.state).to.equal('abandoned');
    await nothingLeft(x, uuid(attempt!.callId!));
  });
});
