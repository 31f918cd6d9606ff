// A visitor's call as a deployment runs it: the widget's call goes to the queue's number at the
// PBX (Kamailio, record-routing), which forwards it to the agent's extension back at Switchboard,
// where the agent's softphone answers. What MySQL keeps of it: one call, its four legs, the
// trunk, the kind and the video flag; the interaction becomes the answering agent's (Busy, in
// their list, wrap-up after). A plain PBX call to the extension is an inbound call that becomes a
// phone interaction of the agent, with the contact found by the caller's number or created.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { SessionState, UserAgent } from 'sip.js';
import { api, login, startTestServer, type TestServer } from '../../test/server.js';
import { eventually } from '../../test/redis.js';
import { Call, CallLeg } from './call.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { Contact } from '../contacts/contact.entity.js';
import { AgentRealtimeClient } from '../../test/agent-client.js';
import { setState, stateOf, uniquePrefix, waitState } from '../../test/routing.js';
// The SIP package's own test peers and its Kamailio stand-in.
import { requestStatus, softphone, waitForState, type Softphone } from '../../../../sip/dist/test/support/softphone.js';
import { freePort, sipp } from '../../../../sip/dist/test/support/services.js';
import { startKamailio, type Kamailio } from '../../../../sip/dist/test/support/kamailio.js';

const ORIGIN = { origin: 'http://localhost:8081' };
const wsPort = (url: string) => Number(new URL(url).port);
/** Extensions are unique among agents, and other files of the run share the database. */
const EXTENSION = String(80000 + (randomBytes(2).readUInt16BE() % 9999));
/** A second agent's extension, and the PBX number that rings it (a blind transfer's target). */
const EXTENSION_2 = String(90000 + (randomBytes(2).readUInt16BE() % 9999));
const TRANSFER_NUMBER = '700';

describe('calls through a record-routing PBX: one call record per visitor call', function () {
  this.timeout(90000);
  let t: TestServer;
  let k: Kamailio;
  let agent: { id: string; token: string };
  let desk: AgentRealtimeClient;
  let agentPhone: Softphone;
  const phones: Softphone[] = [];

  before(async () => {
    const sbPort = await freePort();
    k = await startKamailio({
      recordRoute: true,
      routes: [
        { user: '^60[01]$', to: `sip:${EXTENSION}@127.0.0.1:${sbPort}` },
        // The sipp PBX dials 201; the proxy hands it to this test's extension.
        { user: '^201$', to: `sip:${EXTENSION}@127.0.0.1:${sbPort}` },
        { user: `^${TRANSFER_NUMBER}$`, to: `sip:${EXTENSION_2}@127.0.0.1:${sbPort}` },
      ],
    });
    t = await startTestServer({
      redisPrefix: uniquePrefix(),
      set: {
        'switchboard.yaml:sip.enabled': true,
        'switchboard.yaml:sip.udpPort': sbPort,
        'switchboard.yaml:sip.tcpPort': sbPort,
        'switchboard.yaml:sip.wsPort': await freePort(),
        'trunks.yaml:trunks.0.port': k.port,
        'trunks.yaml:trunks.0.optionsPingSeconds': 0,
        'websites/example.yaml:hours': 'always',
      },
    });
    const admin = await login(t.url);
    const r = await api(t.url, 'POST', '/api/agents', { username: `loop.${EXTENSION}`, name: 'Loop Agent', role: 'agent', password: 'loop-password-1', extension: EXTENSION, skills: [{ skill: 'english', level: 5 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    agent = { id: r.body.agent.id, token: await login(t.url, `loop.${EXTENSION}`, 'loop-password-1') };
    desk = await AgentRealtimeClient.connect(t.url, agent.token);
    await setState(t.url, agent, 'available');
    const cred = (await api(t.url, 'GET', '/api/sip/credentials', undefined, agent.token)).body;
    agentPhone = await softphone({ wsPort: wsPort(cred.wsUrl), username: cred.username, password: cred.password, user: EXTENSION, autoAnswer: true, video: true });
    expect(await agentPhone.register()).to.equal(200);
  });
  after(async () => {
    for (const p of phones) await p.stop().catch(() => undefined);
    await agentPhone?.stop().catch(() => undefined);
    desk?.disconnect();
    await t?.stop();
    await k?.stop();
  });

  const repo = <T extends object>(e: new () => T) => t.sb.kernel.db.getRepository(e);

  async function visitorCall(video: boolean) {
    const r = await api(t.url, 'POST', '/api/widget/example/calls', { name: 'Lia Verdi', phone: '+39 02 5550101', video, fields: { order: 'B-9' } }, undefined, ORIGIN);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const phone = await softphone({ wsPort: wsPort(r.body.sip.wsUrl), username: r.body.sip.username, password: r.body.sip.password, user: 'visitor', video });
    phones.push(phone);
    const incomingBefore = agentPhone.incoming.length;
    const session = await phone.call(r.body.sip.target);
    await waitForState(session, SessionState.Established, 20000);
    const agentCall = await eventually(async () => agentPhone.incoming[incomingBefore], (c) => !!c);
    return { interactionId: r.body.interactionId as string, session, agentCall: agentCall! };
  }

  for (const video of [false, true]) {
    it(`keeps a ${video ? 'video' : 'voice'} call from the widget through the PBX to the agent as one call with its four legs, the trunk${video ? ' and video' : ''}; the answering agent gets its interaction (list, Busy, wrap-up after)`, async () => {
      const { interactionId, session, agentCall } = await visitorCall(video);
      // Only the context the trunk lists (trunks.yaml: interactionId, website, name, email) reached the PBX and came back.
      expect(agentCall.request.getHeader('X-Switchboard-Interaction')).to.equal(interactionId);
      expect(agentCall.request.getHeader('X-Switchboard-Name')).to.equal('Lia Verdi');
      expect(agentCall.request.getHeader('X-Customer-Phone'), 'phone is not in the trunk\'s contextHeaders').to.equal(undefined);
      expect(agentCall.request.getHeader('X-Form-order'), 'form fields are not in the trunk\'s contextHeaders').to.equal(undefined);
      await waitForState(agentCall, SessionState.Established);
      // The agent whose softphone answered has the interaction: in their list with its context, Busy.
      const held = await eventually(() => repo(Interaction).findOneByOrFail({ id: interactionId }), (i) => i.assignedAgentId === agent.id);
      expect(held.state).to.equal('assigned');
      await desk.until(() => desk.interactions.has(interactionId), 10000);
      expect(desk.interactions.get(interactionId)).to.include({ channel: video ? 'video' : 'phone', customerName: 'Lia Verdi', ownerId: agent.id });
      expect(await stateOf(t.url, agent as never)).to.equal('busy');
      const hold = (x: typeof session, on: boolean): Promise<number> =>
        requestStatus((d) => x.invite({ requestDelegate: d, sessionDescriptionHandlerOptions: { hold: on } as never }));
      expect(await hold(agentCall, true), 'agent hold').to.equal(200);
      expect(await hold(agentCall, false), 'agent resume').to.equal(200);
      await session.bye();
      await waitForState(agentCall, SessionState.Terminated);
      // The call's end closes it; the agent's after-work follows (the queue's wrap-up time).
      await eventually(() => repo(Interaction).findOneByOrFail({ id: interactionId }), (i) => i.state === 'closed', 100);
      await waitState(t.url, agent as never, 'wrap-up', 15000);
      await desk.until(() => !desk.interactions.has(interactionId), 10000);
      const journey = await eventually(() => repo(InteractionEvent).find({ where: { interactionId }, order: { seq: 'ASC' } }), (j) => j.some((e) => e.type === 'closed'));
      expect(journey.filter((e) => e.type === 'assigned' || e.type === 'closed').map((e) => [e.type, e.agentId])).to.deep.equal([['assigned', agent.id], ['closed', agent.id]]);
      // Both sessions of the call relayed the hold and the resume: the journey says each once.
      expect(journey.map((e) => e.type).filter((x) => x === 'call.held' || x === 'call.resumed')).to.deep.equal(['call.held', 'call.resumed']);
      const calls = await eventually(() => repo(Call).findBy({ interactionId }), (c) => c.length > 0 && c.every((x) => !!x.endedAt));
      expect(calls.map((c) => [c.kind, c.video, c.trunkId])).to.deep.equal([['widget', video, 'main-pbx']]);
      const legs = await eventually(() => repo(CallLeg).find({ where: { callId: calls[0]!.id }, order: { side: 'ASC' } }), (l) => l.length === 4 && l.every((x) => !!x.endedAt));
      // Visitor → Switchboard, Switchboard → PBX queue, PBX → Switchboard, Switchboard → agent.
      expect(legs.map((l) => [l.side, l.direction])).to.deep.equal([['a', 'inbound'], ['b', 'outbound'], ['c', 'inbound'], ['d', 'outbound']]);
      expect(legs[1]!.remoteUri).to.contain('sip:60');
      expect(legs[3]!.remoteUri).to.equal(`sip:${EXTENSION}@127.0.0.1`);
      expect(legs.every((l) => l.answeredAt)).to.equal(true);
      await expectNothingLive();
    });
  }

  /** The engine, as the admin reads it, holds no dialog and no call once every call has ended. */
  async function expectNothingLive(): Promise<void> {
    const admin = await login(t.url);
    const live = await eventually(async () => (await api(t.url, 'GET', '/api/admin/sip', undefined, admin)).body, (b) => b.dialogs === 0 && b.calls === 0);
    expect(live).to.deep.equal({ dialogs: 0, calls: 0 });
  }

  it('carries out a blind transfer the proxy PBX passes on from the agent: the visitor goes on with the second agent, the first agent\'s leg ends, the interaction is transferred', async () => {
    const admin = await login(t.url);
    const r = await api(t.url, 'POST', '/api/agents', { username: `loop.${EXTENSION_2}`, name: 'Second Agent', role: 'agent', password: 'loop-password-2', extension: EXTENSION_2, skills: [{ skill: 'english', level: 5 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const agent2 = { id: r.body.agent.id as string, token: await login(t.url, `loop.${EXTENSION_2}`, 'loop-password-2') };
    await setState(t.url, agent2, 'available');
    const cred = (await api(t.url, 'GET', '/api/sip/credentials', undefined, agent2.token)).body;
    const phone2 = await softphone({ wsPort: wsPort(cred.wsUrl), username: cred.username, password: cred.password, user: EXTENSION_2, autoAnswer: true });
    phones.push(phone2);
    expect(await phone2.register()).to.equal(200);

    const { interactionId, session, agentCall } = await visitorCall(false);
    await waitForState(agentCall, SessionState.Established);
    await eventually(() => repo(Interaction).findOneByOrFail({ id: interactionId }), (i) => i.assignedAgentId === agent.id);
    // The agent REFERs the call to the PBX's number 700; the proxy PBX passes the REFER on to the
    // visitor's side of the call, where Switchboard carries it out (202, NOTIFYs back).
    const referTo = UserAgent.makeURI(`sip:${TRANSFER_NUMBER}@127.0.0.1`)!;
    expect(await requestStatus((d) => agentCall.refer(referTo, { requestDelegate: d })), 'REFER accepted').to.equal(200);
    // The PBX rings the second agent with the call's context; the first agent's leg ends.
    const second = await eventually(async () => phone2.incoming[0], (c) => !!c);
    expect(second!.request.getHeader('X-Switchboard-Interaction')).to.equal(interactionId);
    await waitForState(second!, SessionState.Established);
    await waitForState(agentCall, SessionState.Terminated);
    expect(session.state, 'the visitor stays in the call').to.equal(SessionState.Established);
    // The interaction went with the call: the second agent's now, the transfer in the journey.
    const moved = await eventually(() => repo(Interaction).findOneByOrFail({ id: interactionId }), (i) => i.assignedAgentId === agent2.id);
    expect(moved.state).to.equal('assigned');
    const journey = await eventually(() => repo(InteractionEvent).find({ where: { interactionId }, order: { seq: 'ASC' } }), (j) => j.some((e) => e.type === 'transferred'));
    expect(journey.find((e) => e.type === 'transferred')).to.include({ agentId: agent2.id });
    expect(await stateOf(t.url, agent2 as never)).to.equal('busy');

    // The visitor hangs up: the BYE reaches the second agent through the new leg.
    await session.bye();
    await waitForState(second!, SessionState.Terminated);
    await eventually(() => repo(Interaction).findOneByOrFail({ id: interactionId }), (i) => i.state === 'closed');
    await waitState(t.url, agent2 as never, 'wrap-up', 15000);
    // One call record: the visitor's legs, all ended. Transferred: the visitor's leg the new one
    // replaced, and the first agent's two (the PBX's call to their extension, Switchboard's to
    // their softphone), which ended once the NOTIFY said the call went on without them.
    const calls = await eventually(() => repo(Call).findBy({ interactionId }), (c) => c.length > 0 && c.every((x) => !!x.endedAt));
    expect(calls).to.have.length(1);
    const legs = await eventually(() => repo(CallLeg).findBy({ callId: calls[0]!.id }), (l) => l.length >= 5 && l.every((x) => !!x.endedAt));
    expect(legs.filter((l) => l.cause === 'transferred')).to.have.length(3);
    // The rest ended with the visitor's hang-up: theirs, the new leg to the PBX, the second agent's two.
    expect(legs.filter((l) => l.cause === 'caller-hangup')).to.have.length(4);
    await expectNothingLive();
  });

  it('keeps the call as it was when the transfer target is not reachable, and refuses a Refer-To that names no number with 400', async () => {
    const admin = await login(t.url);
    const { interactionId, session, agentCall } = await visitorCall(false);
    await waitForState(agentCall, SessionState.Established);
    const transfer = (uri: string) => requestStatus((d) => agentCall.refer(UserAgent.makeURI(uri)!, { requestDelegate: d }));
    // No user part: refused by the visitor's side of the call, the answer relayed back through the PBX.
    expect(await transfer('sip:127.0.0.1'), 'Refer-To without a number').to.equal(400);
    // The PBX knows no 799: the new leg fails (404) and is recorded so; the call goes on.
    expect(await transfer('sip:799@127.0.0.1'), 'REFER accepted').to.equal(200);
    const call = await eventually(() => repo(Call).findOneBy({ interactionId }), (c) => !!c);
    const failed = await eventually(() => repo(CallLeg).findBy({ callId: call!.id, cause: 'not-found' }), (l) => l.length === 1);
    expect(failed[0]!.remoteUri).to.contain('sip:799');
    expect([session.state, agentCall.state]).to.deep.equal([SessionState.Established, SessionState.Established]);
    expect((await api(t.url, 'GET', '/api/admin/sip', undefined, admin)).body).to.deep.equal({ dialogs: 4, calls: 2 });
    // The legs in place still carry in-dialog requests both ways.
    expect(await requestStatus((d) => agentCall.invite({ requestDelegate: d, sessionDescriptionHandlerOptions: { hold: true } as never })), 'hold after the failed transfer').to.equal(200);
    await session.bye();
    await waitForState(agentCall, SessionState.Terminated);
    expect((await repo(Interaction).findOneByOrFail({ id: interactionId })).assignedAgentId).to.equal(agent.id);
    await expectNothingLive();
  });

  it("shows the SIP engine's live dialogs and calls to admins only", async () => {
    const admin = await login(t.url);
    const { session, agentCall } = await visitorCall(false);
    await waitForState(agentCall, SessionState.Established);
    // Up: the visitor's session (visitor and PBX dialogs) and the agent's (PBX and softphone dialogs).
    expect((await api(t.url, 'GET', '/api/admin/sip', undefined, admin)).body).to.deep.equal({ dialogs: 4, calls: 2 });
    const asAgent = await api(t.url, 'GET', '/api/admin/sip', undefined, agent.token);
    expect([asAgent.status, asAgent.body.error.code]).to.deep.equal([403, 'forbidden']);
    expect((await api(t.url, 'GET', '/api/admin/sip')).status).to.equal(401);
    await session.bye();
    await waitForState(agentCall, SessionState.Terminated);
    await expectNothingLive();
  });

  it("records a plain PBX call to the extension as an inbound call through the trunk, a phone interaction of the agent with the caller's contact found or created", async () => {
    const before = agentPhone.incoming.length;
    const pbx = sipp({ scenario: 'uac-pbx-via-proxy-calls-extension-expect-200.xml', port: await freePort(), remote: `127.0.0.1:${k.port}`, extra: ['-d', '1500'] });
    const agentCall = await eventually(async () => agentPhone.incoming[before], (c) => !!c);
    await waitForState(agentCall!, SessionState.Established);
    const result = await pbx.done;
    expect(result.code, result.stderr.slice(-1500)).to.equal(0);
    const callId = agentCall!.request.callId;
    const leg = await eventually(() => repo(CallLeg).findOneBy({ sipCallId: callId }), (l) => !!l);
    const call = await eventually(() => repo(Call).findOneByOrFail({ id: leg!.callId }), (c) => !!c.endedAt);
    expect([call.kind, call.video, call.trunkId]).to.deep.equal(['inbound', false, 'main-pbx']);
    expect(await repo(CallLeg).countBy({ callId: call.id })).to.equal(2);
    // It became a phone interaction of the agent, with the caller as the contact, closed at hang-up.
    const i = await eventually(() => repo(Interaction).findOneByOrFail({ id: call.interactionId! }), (x) => x.state === 'closed');
    expect([i.channel, i.direction, i.assignedAgentId]).to.deep.equal(['phone', 'inbound', agent.id]);
    const contact = await repo(Contact).findOneByOrFail({ id: i.contactId! });
    expect([contact.phone, contact.name]).to.deep.equal(['+390212345', 'Customer']);
    const journey = await eventually(async () => (await repo(InteractionEvent).find({ where: { interactionId: i.id }, order: { seq: 'ASC' } })).map((e) => e.type), (j) => j.includes('closed'));
    expect(journey).to.include.members(['call.inbound', 'assigned', 'call.ended', 'closed']);
    // A second call from the same number finds the same contact.
    const again = sipp({ scenario: 'uac-pbx-via-proxy-calls-extension-expect-200.xml', port: await freePort(), remote: `127.0.0.1:${k.port}`, extra: ['-d', '500'] });
    expect((await again.done).code).to.equal(0);
    const second = await eventually(() => repo(Interaction).find({ where: { contactId: contact.id }, order: { queuedAt: 'ASC' } }), (l) => l.length === 2 && l.every((x) => x.state === 'closed'));
    expect(second.map((x) => x.assignedAgentId)).to.deep.equal([agent.id, agent.id]);
    await expectNothingLive();
  });
});
