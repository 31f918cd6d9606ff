// Widget calls and softphones through the whole server: HTTP hands out SIP credentials, a
// sip.js client places the call over WebSocket, the SIP engine bridges it to a sipp "PBX" over
// UDP with rtpengine in the middle, and MySQL ends up with the call, its legs and the journey.
import { expect } from 'chai';
import { readFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { SessionState, type Inviter } from 'sip.js';
import type { LegInfo } from '@switchboard/sip';
import { api, login, startTestServer, type TestServer } from '../../test/server.js';
import { eventually } from '../../test/redis.js';
import { Call, CallLeg } from './call.entity.js';
import { MysqlCallRecorder } from './recorder.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
// The SIP package's own test peers: a sip.js softphone over WebSocket and sipp runners.
import { softphone, waitForState, webrtcSdp } from '../../../../sip/dist/test/support/softphone.js';
import { freePort, sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';

const ORIGIN = { origin: 'http://localhost:8081' };

describe('calls: widget calls and softphones through the SIP engine', function () {
  this.timeout(60000);
  let t: TestServer;
  let pbxPort: number;
  let pbx: ReturnType<typeof sipp>;
  const traceDir = mkdtempSync(path.join(os.tmpdir(), 'sb-sipp-'));
  const trace = path.join(traceDir, 'pbx-messages.log');

  before(async () => {
    pbxPort = await freePort();
    pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort, calls: 2, timeoutS: 50, extra: ['-trace_msg', '-message_file', trace] });
    await waitForUdpListener(pbxPort, pbx);
    t = await startTestServer({
      set: {
        'switchboard.yaml:sip.enabled': true,
        'trunks.yaml:trunks.0.port': pbxPort,
        'trunks.yaml:trunks.0.optionsPingSeconds': 0,
        'websites/example.yaml:hours': 'always',
      },
    });
    await api(t.url, 'POST', '/api/agents', { username: 'ext.agent', name: 'Ext Agent', role: 'agent', password: 'ext-password-1', extension: '201' }, await login(t.url));
  });
  after(async () => {
    pbx?.kill();
    await t?.stop();
  });

  const wsPort = (url: string) => Number(new URL(url).port);
  const repo = <T extends object>(e: new () => T) => t.sb.kernel.db.getRepository(e);

  it("originates: rings the agent's softphone, then dials the customer through the PBX, and bridges them", async () => {
    const token = await login(t.url, 'ext.agent', 'ext-password-1');
    const cred = (await api(t.url, 'GET', '/api/sip/credentials', undefined, token)).body;
    const phone = await softphone({ wsPort: wsPort(cred.wsUrl), username: cred.username, password: cred.password, user: '201', autoAnswer: true });
    const heard: { event: string; callId: string }[] = [];
    const off = t.sb.kernel.bus.on((e) => void (e.type === 'call.event' && heard.push(e)));
    try {
      expect(await phone.register()).to.equal(200);
      const r = await api(t.url, 'POST', '/api/calls/originate', { number: '0612345678' }, token);
      expect(r.status, JSON.stringify(r.body)).to.equal(202);
      const callId = r.body.callId;
      const call = await eventually(() => repo(Call).findOneBy({ id: callId }), (c) => !!c?.answeredAt);
      const legs = await eventually(() => repo(CallLeg).find({ where: { callId: call!.id }, order: { side: 'ASC' } }), (l) => l.length === 2 && l.every((x) => x.answeredAt));
      expect(legs.map((l) => [l.side, l.direction])).to.deep.equal([['a', 'outbound'], ['b', 'outbound']]);
      expect(legs[1]!.remoteUri).to.contain('0612345678@127.0.0.1');
      // Both legs answered is not yet bridged (leg A is re-INVITEd onto B's media first): a BYE
      // before that ends the call without its 'answered'.
      const events = () => heard.filter((e) => e.callId === callId).map((e) => e.event);
      await eventually(async () => events(), (ev) => ev.includes('answered'));
      await phone.incoming[0]!.bye();
      await eventually(() => repo(Call).findOneByOrFail({ id: callId }), (c) => !!c.endedAt);
      await eventually(async () => events(), (ev) => ev.includes('answered') && ev.includes('ended'));
    } finally {
      off();
      await phone.stop();
    }
  });

  it('refuses to originate for another agent, to an agent without extension, or to a non-number', async () => {
    const token = await login(t.url, 'ext.agent', 'ext-password-1');
    const admin = await login(t.url);
    const adminId = (await api(t.url, 'GET', '/api/auth/me', undefined, admin)).body.agent.id;
    expect((await api(t.url, 'POST', '/api/calls/originate', { number: '123456', agentId: adminId }, token)).status).to.equal(403);
    const noExt = await api(t.url, 'POST', '/api/calls/originate', { number: '123456' }, admin);
    expect(noExt.status).to.equal(400);
    expect(noExt.body.error.fields[0].field).to.equal('agentId');
    const bad = await api(t.url, 'POST', '/api/calls/originate', { number: 'call me maybe' }, token);
    expect(bad.status).to.equal(400);
    expect(bad.body.error.fields[0].field).to.equal('number');
  });

  it('bridges a widget call to the PBX with the context headers, records it and closes the interaction at hang-up', async () => {
    const r = await api(t.url, 'POST', '/api/widget/example/calls', { name: 'Maria Rossi', email: 'maria@example.com', phone: '+39 02 5550199', fields: { order: 'A-17' } }, undefined, ORIGIN);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const { interactionId, sip } = r.body;
    expect(sip.username).to.match(/^ct-[0-9a-f]{18}$/);
    const phone = await softphone({ wsPort: wsPort(sip.wsUrl), username: sip.username, password: sip.password, user: 'visitor' });
    try {
      const session = await phone.call(sip.target);
      await waitForState(session, SessionState.Established);
      // What reached the PBX: ordinary SIP with plain RTP and the interaction's context.
      const answer = phone.remoteSdps[0]!;
      expect(answer).to.match(/UDP\/TLS\/RTP\/SAVPF/);
      await eventually(async () => (await repo(Interaction).findOneByOrFail({ id: interactionId })).state, (s) => s === 'assigned');
      await session.bye();
      const call = await eventually(() => repo(Call).findOneBy({ interactionId }), (c) => !!c?.endedAt);
      expect(call!.endCause).to.equal('caller-hangup');
      expect([call!.kind, call!.video, call!.trunkId]).to.deep.equal(['widget', false, 'main-pbx']);
      expect(call!.answeredAt).to.be.instanceOf(Date);
      const legs = await repo(CallLeg).find({ where: { callId: call!.id }, order: { side: 'ASC' } });
      expect(legs.map((l) => [l.side, l.direction])).to.deep.equal([['a', 'inbound'], ['b', 'outbound']]);
      expect(legs.every((l) => l.sipCallId && l.answeredAt && l.endedAt)).to.equal(true);
      const i = await eventually(() => repo(Interaction).findOneByOrFail({ id: interactionId }), (x) => x.state === 'closed');
      expect(i.channel).to.equal('phone');
      const journey = (await repo(InteractionEvent).find({ where: { interactionId }, order: { seq: 'ASC' } })).map((e) => e.type);
      expect(journey).to.include.members(['call.requested', 'call.answered', 'call.ended']);
      const result = await pbx.done;
      expect(result.code, result.stderr).to.equal(0);
      const invite = readFileSync(trace, 'utf8');
      // The trunk is addressed as configured, port included, so a proxy routing on the Request-URI finds it.
      expect(invite).to.match(new RegExp(`^INVITE sip:600@127\\.0\\.0\\.1:${pbxPort} SIP/2\\.0`, 'm'));
      expect(invite).to.match(new RegExp(`^X-Switchboard-Interaction: ${interactionId}`, 'mi'));
      expect(invite).to.match(/^X-Switchboard-Name: Maria Rossi/mi);
      // What leaves for the PBX is what trunks.yaml's contextHeaders lists: no phone, no form fields.
      expect(invite).not.to.match(/^X-Customer-Phone|^X-Form-|5550199|A-17/mi);
      expect(invite).to.match(/^m=audio \d+ RTP\/AVP /m);
      expect(invite).not.to.match(/a=fingerprint|a=ice-ufrag/);
    } finally {
      await phone.stop();
    }
  });

  it('refuses a call token used a second time, a wrong secret and a forged token', async () => {
    const r = await api(t.url, 'POST', '/api/widget/example/calls', {}, undefined, ORIGIN);
    const { sip, interactionId } = r.body;
    await repo(Call).insert({ id: '0'.repeat(31) + '1', interactionId, kind: 'widget', video: false, trunkId: null, setupAt: new Date(), answeredAt: null, endedAt: new Date(), endCause: 'caller-hangup' });
    const sipCallIds: string[] = [];
    for (const creds of [
      { username: sip.username, password: sip.password },
      { username: sip.username, password: 'not-the-secret' },
      { username: 'ct-000000000000000000', password: 'x' },
    ]) {
      const phone = await softphone({ wsPort: wsPort(sip.wsUrl), ...creds, user: 'visitor' });
      try {
        const session = await phone.call(sip.target);
        sipCallIds.push((session as Inviter).request.callId);
        await waitForState(session, SessionState.Terminated);
      } finally {
        await phone.stop();
      }
    }
    // None of them ever reached the PBX: no leg with their SIP Call-ID, none in a call of this
    // interaction. Other tests' calls record legs meanwhile: the whole table is not this test's.
    expect(sipCallIds).to.have.length(3);
    const legs = repo(CallLeg).createQueryBuilder('l').leftJoin('l.call', 'c').where('l.sipCallId IN (:...sipCallIds) OR c.interactionId = :interactionId', { sipCallIds, interactionId });
    expect(await legs.getCount()).to.equal(0);
  });

  it('gives an agent SIP credentials that register, and stop working after logout', async () => {
    const token = await login(t.url, 'ext.agent', 'ext-password-1');
    const cred = (await api(t.url, 'GET', '/api/sip/credentials', undefined, token)).body;
    expect(cred.username).to.equal('ext.agent');
    expect(cred.extension).to.equal('201');
    expect(cred.password).to.have.length.greaterThan(20);
    const again = (await api(t.url, 'GET', '/api/sip/credentials', undefined, token)).body;
    expect(again.password).to.equal(cred.password); // a second tab gets the same account
    const phone = await softphone({ wsPort: wsPort(cred.wsUrl), username: cred.username, password: cred.password, user: '201' });
    try {
      expect(await phone.register()).to.equal(200);
    } finally {
      await phone.stop();
    }
    await api(t.url, 'POST', '/api/auth/logout', undefined, token);
    const after = await softphone({ wsPort: wsPort(cred.wsUrl), username: cred.username, password: cred.password, user: '201' });
    try {
      expect(await eventually(() => after.register(), (code) => code === 401 || code === 403)).to.be.oneOf([401, 403]);
    } finally {
      await after.stop();
    }
  });

  it('refuses bad call requests with clear errors', async () => {
    const bad = await api(t.url, 'POST', '/api/widget/example/calls', { video: 'yes', email: 'nope', fields: { 'Bad Key': 'x' } }, undefined, ORIGIN);
    expect(bad.status).to.equal(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).to.include.members(['video', 'email', 'fields.Bad Key']);
    expect((await api(t.url, 'POST', '/api/widget/example/calls', {}, undefined, { origin: 'https://evil.example' })).status).to.equal(403);
    expect((await api(t.url, 'GET', '/api/sip/credentials')).status).to.equal(401);
  });

  it("answers the device test's media probe with the media server's ICE and DTLS, and refuses what is not an offer", async () => {
    const probe = (body: unknown, origin = ORIGIN) => api(t.url, 'POST', '/api/widget/example/calls/probe', body, undefined, origin);
    const r = await probe({ sdp: webrtcSdp() });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    // What a browser needs to reach rtpengine as in a call: its candidates, ICE credentials, DTLS.
    expect(r.body.sdp).to.match(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m);
    expect(r.body.sdp).to.match(/^a=candidate:/m);
    expect(r.body.sdp).to.match(/^a=fingerprint:sha-256 /m);
    expect(r.body.sdp).to.match(/^a=setup:active/m);
    const bad = await probe({ sdp: 'v=0\r\nthis is not an offer at all' });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.message).to.match(/^The offer is not usable/);
    expect((await probe({ sdp: 42 })).status).to.equal(400);
    expect((await probe({ sdp: webrtcSdp() }, { origin: 'https://evil.example' })).status).to.equal(403);
  });
});

describe('calls: refused when the website does not offer them', () => {
  it('answers 409 outside working hours and 400 for a channel that is off', async () => {
    const t = await startTestServer({
      set: {
        'switchboard.yaml:sip.enabled': true,
        'hours.yaml:calendars.0.weekly': { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
        'websites/example.yaml:channels.video.enabled': false,
      },
    });
    try {
      // Other test files share the database: count what these requests could add, a widget call of the website.
      const widgetCalls = () => t.sb.kernel.db.getRepository(Interaction).countBy({ websiteId: 'example', channel: In(['phone', 'video']) });
      const before = await widgetCalls();
      const closed = await api(t.url, 'POST', '/api/widget/example/calls', {}, undefined, ORIGIN);
      expect(closed.status).to.equal(409);
      expect(closed.body.error.message).to.match(/closed/);
      const video = await api(t.url, 'POST', '/api/widget/example/calls', { video: true }, undefined, ORIGIN);
      expect(video.status).to.equal(400);
      expect(await widgetCalls()).to.equal(before);
    } finally {
      await t.stop();
    }
  });
});

describe('calls: placed about an interaction', function () {
  this.timeout(60000);
  let t: TestServer;
  // The PBX is a port nobody answers on: these calls are refused or accepted, never bridged.
  before(async () => {
    t = await startTestServer({
      set: { 'switchboard.yaml:sip.enabled': true, 'trunks.yaml:trunks.0.port': await freePort(), 'trunks.yaml:trunks.0.optionsPingSeconds': 0, 'websites/example.yaml:hours': 'always' },
    });
  });
  after(() => t?.stop());

  it("refuses to attach a call to another agent's interaction; its own agent and supervisors may", async () => {
    const admin = await login(t.url);
    for (const [username, role, extension] of [['own.agent', 'agent', '211'], ['other.agent', 'agent', '213'], ['own.sup', 'supervisor', '214']] as const) {
      const r = await api(t.url, 'POST', '/api/agents', { username, name: username, role, password: 'ext-password-1', extension }, admin);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    }
    const created = await api(t.url, 'POST', '/api/widget/example/calls', { name: 'Ola Nordmann' }, undefined, ORIGIN);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const interactionId = created.body.interactionId as string;
    const ownAgent = await login(t.url, 'own.agent', 'ext-password-1');
    const other = await login(t.url, 'other.agent', 'ext-password-1');
    const sup = await login(t.url, 'own.sup', 'ext-password-1');
    const originate = (token: string, body: object) => api(t.url, 'POST', '/api/calls/originate', { number: '0612345678', interactionId, ...body }, token);
    // Nobody handles it yet: no agent may attach a call to it.
    const refused = await originate(other, {});
    expect(refused.status, JSON.stringify(refused.body)).to.equal(403);
    expect(refused.body.error.code).to.equal('not_yours');
    // The agent it is assigned to may; another agent still may not; a supervisor may, for anyone's phone.
    const ownAgentId = (await api(t.url, 'GET', '/api/auth/me', undefined, ownAgent)).body.agent.id as string;
    await t.sb.kernel.db.getRepository(Interaction).update({ id: interactionId }, { assignedAgentId: ownAgentId });
    expect((await originate(other, {})).status).to.equal(403);
    expect((await originate(ownAgent, {})).status).to.equal(202);
    expect((await originate(sup, {})).status).to.equal(202);
    expect((await originate(sup, { agentId: ownAgentId })).status).to.equal(202);
    // Garbage and unknown ids: named, not a 500.
    expect((await originate(other, { interactionId: 'f'.repeat(32) })).status).to.equal(404);
    const bad = await originate(other, { interactionId: '../etc' });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.fields[0].field).to.equal('interactionId');
  });

  it('records the call as ended when its last leg ends, not before', async () => {
    const recorder = new MysqlCallRecorder(t.sb.kernel.db, t.sb.kernel.log);
    const session = randomUUID();
    const leg = (legId: string, to: string): LegInfo => ({ legId, callSessionId: session, kind: 'originate', direction: 'outbound', callId: `${legId}@test`, from: 'sip:switchboard@127.0.0.1', to, createdAt: new Date() });
    const [a, b] = [randomUUID(), randomUUID()];
    await recorder.legCreated(leg(a, 'sip:201@127.0.0.1'));
    await recorder.legCreated(leg(b, 'sip:0612345678@127.0.0.1'));
    const callId = session.replace(/-/g, '');
    await recorder.legEnded({ legId: b, at: new Date(), cause: 'callee-hangup', status: 200 });
    // Leg A is still up: the call goes on.
    expect((await t.sb.kernel.db.getRepository(Call).findOneByOrFail({ id: callId })).endedAt).to.equal(null);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    await recorder.legEnded({ legId: a, at, cause: 'caller-hangup', status: 200 });
    const call = await t.sb.kernel.db.getRepository(Call).findOneByOrFail({ id: callId });
    expect(call.endedAt?.getTime()).to.equal(at.getTime());
    expect(call.endCause).to.equal('callee-hangup');
    expect(call.interactionId).to.equal(null);
  });

  it('records a call that names an interaction under it, and one naming an interaction that does not exist under none', async () => {
    const recorder = new MysqlCallRecorder(t.sb.kernel.db, t.sb.kernel.log);
    const created = await api(t.url, 'POST', '/api/widget/example/calls', {}, undefined, ORIGIN);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const recorded: Record<string, string | null> = {};
    for (const [name, interactionId] of [['existing', created.body.interactionId as string], ['missing', 'f'.repeat(32)]] as const) {
      const session = randomUUID();
      await recorder.legCreated({ legId: randomUUID(), callSessionId: session, interactionId, kind: 'originate', direction: 'outbound', callId: `${session}@test`, from: 'sip:switchboard@127.0.0.1', to: 'sip:201@127.0.0.1', createdAt: new Date() });
      recorded[name] = (await t.sb.kernel.db.getRepository(Call).findOneByOrFail({ id: session.replace(/-/g, '') })).interactionId;
    }
    expect(recorded).to.deep.equal({ existing: created.body.interactionId, missing: null });
  });
});
