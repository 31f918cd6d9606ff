// Keep my place from a widget call: the visitor's call waits in the PBX's queue (a sipp PBX that
// answers, as a queue playing music does) and switches to a callback. The call must end cleanly
// (the PBX gets its BYE, the visitor's phone too), the callback must wait since the call did,
// and only the token the call was set up with may do it.
import { expect } from 'chai';
import { SessionState, type Session } from 'sip.js';
import { Callback } from './callback.entity.js';
import { Call } from '../calls/call.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { makeAgent, setState, startRoutingServer, type TestServer } from '../../test/routing.js';
import { login } from '../../test/server.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { softphone, waitForState, type Softphone } from '../../../../sip/dist/test/support/softphone.js';
import { freePort, sipp, waitForUdpListener, type SippProcess } from '../../../../sip/dist/test/support/services.js';

const wsPort = (url: string) => Number(new URL(url).port);

describe('callbacks: keep my place from a widget call', function () {
  this.timeout(90000);
  let t: TestServer;
  let pbx: SippProcess;
  let agentId: string;
  const phones: Softphone[] = [];
  before(async () => {
    const pbxPort = await freePort();
    pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort, calls: 1, timeoutS: 80 });
    await waitForUdpListener(pbxPort, pbx);
    t = await startRoutingServer({
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:sip.udpPort': await freePort(),
      'switchboard.yaml:sip.tcpPort': await freePort(),
      'switchboard.yaml:sip.wsPort': await freePort(),
      'trunks.yaml:trunks.0.port': pbxPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'queues.yaml:queues.3.callback.mode': 'preview',
    });
    // Logged in but on a break: the callback waits in its queue, nobody is offered it here.
    const agent = await makeAgent(t.url, await login(t.url), { skills: [{ skill: 'english', level: 9 }], available: false });
    await setState(t.url, agent, 'not-ready', 'break');
    agentId = agent.id;
  });
  after(async () => {
    for (const p of phones) await p.stop().catch(() => undefined);
    await t?.stop();
    pbx?.kill();
  });
  const repo = <T extends object>(e: new () => T) => t.sb.kernel.db.getRepository(e);

  /** A widget call set up as the widget does: the answer carries the SIP ticket and the visitor token. */
  async function startCall(): Promise<{ interactionId: string; token: string; sip: { wsUrl: string; username: string; password: string; target: string } }> {
    const r = await widget(t.url, 'POST', '/calls', { name: 'Carla Bianchi' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.token).to.match(/^[A-Za-z0-9_-]{43}$/);
    return r.body;
  }

  it('ends the waiting call and keeps its place for the callback', async () => {
    const call = await startCall();
    const phone = await softphone({ wsPort: wsPort(call.sip.wsUrl), username: call.sip.username, password: call.sip.password, user: 'visitor' });
    phones.push(phone);
    const session: Session = await phone.call(call.sip.target);
    await waitForState(session, SessionState.Established);
    // The PBX's queue answered (music): no agent has the call, the visitor still waits.
    const waiting = await eventually(() => repo(Interaction).findOneByOrFail({ id: call.interactionId }), (i) => i.state === 'assigned');
    expect(waiting.assignedAgentId).to.equal(null);

    const r = await widget(t.url, 'POST', '/callbacks/keep-place', { interactionId: call.interactionId, fields: { phone: '+39 06 7070 1234' }, language: 'en' }, call.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body).to.include({ keptPlace: true, position: 1, asap: true });
    expect(r.body.reference).to.match(/^CB-[0-9A-F]{8}$/);
    const cb = await repo(Callback).findOneByOrFail({ id: r.body.callbackId });
    expect(cb).to.include({ state: 'queued', phoneNumber: '+390670701234' });
    expect((await repo(Interaction).findOneByOrFail({ id: cb.interactionId })).queuedAt!.getTime(), 'queued since the call was').to.equal(waiting.queuedAt!.getTime());

    // The call ends cleanly from our side: a BYE to the visitor and to the PBX (sipp's scenario completes).
    await waitForState(session, SessionState.Terminated);
    const ended = await eventually(() => repo(Call).findOneBy({ interactionId: call.interactionId }), (c) => !!c?.endedAt);
    expect(ended!.endCause).to.equal('callee-hangup');
    const result = await pbx.done;
    expect(result.code, result.stderr).to.equal(0);
    expect((await repo(Interaction).findOneByOrFail({ id: call.interactionId })).state).to.equal('closed');
    // The call's end reaches the journey after the call's row (calls/lifecycle.ts writes it as its own step).
    const steps = async () => (await repo(InteractionEvent).find({ where: { interactionId: call.interactionId }, order: { seq: 'ASC' } })).map((e) => e.type);
    const journey = await eventually(steps, (types) => types.includes('call.ended'));
    expect(journey.filter((x) => x !== 'call.ringing')).to.deep.equal(['call.requested', 'call.answered', 'callback.kept-place', 'call.ended']);
    expect((await repo(InteractionEvent).findOneByOrFail({ interactionId: cb.interactionId, type: 'callback.kept-place' })).data).to.deep.include({ from: call.interactionId, priority: 7 });

    // The call is over: its token switches nothing any more.
    const again = await widget(t.url, 'POST', '/callbacks/keep-place', { interactionId: call.interactionId, fields: { phone: '+39 06 7070 9999' } }, call.token);
    expect([again.status, again.body.error?.code]).to.deep.equal([409, 'not_waiting']);
  });

  it('refuses a missing or wrong token, an unknown call, another origin, a call an agent has, and garbage — creating nothing', async () => {
    const a = await startCall();
    const b = await startCall();
    // Only the number these requests carry: earlier tests' callbacks (a retry is a new row) come and go meanwhile.
    const mine = () => repo(Callback).countBy({ phoneNumber: '+390670705555' });
    const before = await mine();
    const body = { interactionId: a.interactionId, fields: { phone: '+39 06 7070 5555' } };
    const keep = (payload: unknown, token?: string, origin?: string) => widget(t.url, 'POST', '/callbacks/keep-place', payload, token, origin);
    expect((await keep(body)).status).to.equal(401);
    const wrong = await keep(body, b.token);
    expect([wrong.status, wrong.body.error.code]).to.deep.equal([403, 'forbidden']);
    expect((await keep(body, 'x'.repeat(43))).status).to.equal(403);
    expect((await keep({ ...body, interactionId: 'e'.repeat(32) }, a.token)).status, 'unknown call').to.equal(403);
    expect((await keep(body, a.token, 'http://evil.example')).status, 'another origin').to.equal(403);
    for (const bad of [{}, { ...body, interactionId: 'not-an-id' }, { ...body, fields: [] }, { ...body, extra: true }, { ...body, language: 'xx' }]) {
      expect((await keep(bad, a.token)).status, JSON.stringify(bad)).to.equal(400);
    }
    const noPhone = await keep({ ...body, fields: { phone: '12' } }, a.token);
    expect([noPhone.status, noPhone.body.error.fields?.[0]?.field]).to.deep.equal([400, 'fields.phone']);
    // An agent's extension answered b through the PBX (calls/pbx-calls.ts): the wait is over.
    await repo(Interaction).update({ id: b.interactionId }, { state: 'assigned', assignedAgentId: agentId });
    const taken = await keep({ ...body, interactionId: b.interactionId }, b.token);
    expect([taken.status, taken.body.error.code]).to.deep.equal([409, 'not_waiting']);
    expect(await mine()).to.equal(before);
    expect((await repo(Interaction).findOneByOrFail({ id: a.interactionId })).state, 'the call still waits').to.equal('queued');
  });
});

describe('callbacks: keep my place from a widget call still ringing in the PBX queue', function () {
  this.timeout(90000);
  let t: TestServer;
  let pbx: SippProcess;
  let phone: Softphone | undefined;
  before(async () => {
    const pbxPort = await freePort();
    // A queue that lets the call ring until someone answers: it must get the CANCEL.
    pbx = sipp({ scenario: 'uas-no-answer.xml', port: pbxPort, calls: 1, timeoutS: 80 });
    await waitForUdpListener(pbxPort, pbx);
    t = await startRoutingServer({
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:sip.udpPort': await freePort(),
      'switchboard.yaml:sip.tcpPort': await freePort(),
      'switchboard.yaml:sip.wsPort': await freePort(),
      'trunks.yaml:trunks.0.port': pbxPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'queues.yaml:queues.3.callback.mode': 'preview',
    });
  });
  after(async () => {
    await phone?.stop().catch(() => undefined);
    await t?.stop();
    pbx?.kill();
  });

  it('cancels the ringing call towards the PBX, answers the visitor with a final response, and keeps the place', async () => {
    const r = await widget(t.url, 'POST', '/calls', {});
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const call = r.body;
    phone = await softphone({ wsPort: wsPort(call.sip.wsUrl), username: call.sip.username, password: call.sip.password, user: 'visitor' });
    const session = await phone.call(call.sip.target);
    const repo = t.sb.kernel.db.getRepository(InteractionEvent);
    await eventually(() => repo.findOneBy({ interactionId: call.interactionId, type: 'call.ringing' }), (e) => !!e);

    const kept = await widget(t.url, 'POST', '/callbacks/keep-place', { interactionId: call.interactionId, fields: { phone: '+39 06 7070 4321' } }, call.token);
    expect(kept.status, JSON.stringify(kept.body)).to.equal(201);
    expect(kept.body.keptPlace).to.equal(true);
    await waitForState(session, SessionState.Terminated);
    const result = await pbx.done;
    expect(result.code, result.stderr).to.equal(0);
    const ended = await eventually(() => t.sb.kernel.db.getRepository(Call).findOneBy({ interactionId: call.interactionId }), (c) => !!c?.endedAt);
    expect(ended!.answeredAt).to.equal(null);
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: call.interactionId })).state).to.equal('closed');
  });
});
