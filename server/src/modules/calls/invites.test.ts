// An agent in a chat invites the visitor to a video call: who may invite, who may answer, what
// happens to an invitation nobody answers, and the call itself — from the visitor's one-call
// token, through the SIP engine and rtpengine, to the inviting agent's registered softphone
// (a sip.js phone with a WebRTC-shaped SDP), never to the PBX.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { SessionState } from 'sip.js';
import { accept, api, login, makeAgent, nextOffer, type TestAgent, type TestServer } from '../../test/routing.js';
import { command, openVisitor, startChat, startChatServer, takeChat, widget, type TestVisitor } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { Call } from './call.entity.js';
import { softphone, waitForState, type Softphone } from '../../../../sip/dist/test/support/softphone.js';

const english = [{ skill: 'english', level: 8 }];
const wsPort = (url: string) => Number(new URL(url).port);
// Registrations are keyed by extension: two agents of one test must never share one.
let nextExtension = 2000 + (randomBytes(2).readUInt16BE() % 5000);

describe('calls: invitations from a chat', function () {
  this.timeout(60000);
  let t: TestServer;
  let admin: string;
  const phones: Softphone[] = [];

  beforeEach(async () => {
    // The trunk points nowhere that answers: an invitation's call must never need the PBX.
    t = await startChatServer({ 'switchboard.yaml:sip.enabled': true, 'trunks.yaml:trunks.0.optionsPingSeconds': 0 });
    admin = await login(t.url);
  });
  afterEach(async () => {
    for (const p of phones.splice(0)) await p.stop().catch(() => undefined);
    await t?.stop();
  });

  /** An agent with an extension; with `phone`, its softphone registered through Switchboard. */
  async function agentWithPhone(phone = true): Promise<{ a: TestAgent; ext: string; phone?: Softphone }> {
    const a = await makeAgent(t.url, admin, { skills: english });
    const ext = String(nextExtension++);
    expect((await api(t.url, 'PATCH', `/api/agents/${a.id}`, { extension: ext }, admin)).status).to.equal(200);
    if (!phone) return { a, ext };
    const cred = (await api(t.url, 'GET', '/api/sip/credentials', undefined, a.token)).body;
    const p = await softphone({ wsPort: wsPort(cred.wsUrl), username: cred.username, password: cred.password, user: ext, autoAnswer: true, video: true });
    phones.push(p);
    expect(await p.register()).to.equal(200);
    return { a, ext, phone: p };
  }

  async function invite(a: TestAgent, v: TestVisitor, video = true) {
    const r = await command(a.socket, { type: 'call.invite', interactionId: v.interactionId, video });
    expect(r.type, JSON.stringify(r)).to.equal('call.invite.state');
    return r.invite;
  }

  const join = (v: TestVisitor, inviteId: string, token = v.token, interactionId = v.interactionId) => widget(t.url, 'POST', '/calls', { interactionId, inviteId, video: true }, token);

  it("rings the inviting agent's softphone with the invitation's headers; video both ways; the call is recorded on the chat, which stays open", async () => {
    const { a, phone } = await agentWithPhone();
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);

    const sent = await invite(a, v);
    expect(sent).to.include({ interactionId: v.interactionId, video: true, state: 'pending', agentName: a.username });
    expect(sent.inviteId).to.match(/^[0-9a-f]{32}$/);
    expect(Date.parse(sent.expiresAt) - Date.now()).to.be.within(30_000, 61_000);
    const shown = await v.socket.next((m) => m.type === 'call.invite');
    expect(shown.invite).to.deep.equal(sent);

    // Two tabs joining at once: the invitation is accepted once.
    const both = (await Promise.all([join(v, sent.inviteId), join(v, sent.inviteId)])).sort((x, y) => x.status - y.status);
    const r = both[0]!;
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect([both[1]!.status, both[1]!.body.error.code]).to.deep.equal([409, 'invite_accepted']);
    expect(r.body.sip.target).to.match(/^sip:invite@/);
    expect(r.body.video).to.equal(true);
    expect((await v.socket.next((m) => m.type === 'call.invite' && m.invite.state === 'accepted')).invite.inviteId).to.equal(sent.inviteId);
    await a.socket.next((m) => m.type === 'call.invite.state' && m.invite.state === 'accepted');

    // The widget's call: a one-call token, as for any widget call, dialling the ticket's target.
    const visitor = await softphone({ wsPort: wsPort(r.body.sip.wsUrl), username: r.body.sip.username, password: r.body.sip.password, user: 'visitor', video: true });
    phones.push(visitor);
    const session = await visitor.call(r.body.sip.target);
    await waitForState(session, SessionState.Established);
    const incoming = phone!.incoming[0]!;
    expect(incoming.request.getHeader('X-Switchboard-Invite')).to.equal(sent.inviteId);
    expect(incoming.request.getHeader('X-Switchboard-Interaction')).to.equal(v.interactionId);
    expect(incoming.request.from.displayName).to.equal('Ada Visitor');
    // rtpengine kept the camera: the phone's offer and the visitor's answer both carry video.
    expect(phone!.remoteSdps[0]).to.match(/^m=video /m);
    expect(visitor.remoteSdps[0]).to.match(/^m=video /m);

    const repo = <T extends object>(e: new () => T) => t.sb.kernel.db.getRepository(e);
    const call = await eventually(() => repo(Call).findOneBy({ interactionId: v.interactionId }), (c) => !!c?.answeredAt);
    expect(call!.video).to.equal(true);
    await session.bye();
    await eventually(() => repo(Call).findOneByOrFail({ id: call!.id }), (c) => !!c.endedAt);
    const types = await eventually(async () => (await repo(InteractionEvent).findBy({ interactionId: v.interactionId })).map((e) => e.type), (ev) => ev.includes('call.ended'));
    expect(types).to.include.members(['call.invite.sent', 'call.invite.accepted', 'call.answered', 'call.ended']);
    // The call ended, the chat did not.
    expect((await repo(Interaction).findOneByOrFail({ id: v.interactionId })).state).to.equal('assigned');

    // The token outlives the call; replaying it must not ring the agent again.
    const replay = await visitor.call(r.body.sip.target);
    await waitForState(replay, SessionState.Established).then(
      () => expect.fail('a replayed invitation token was connected'),
      (err: Error) => expect(err.message).to.equal('session terminated'),
    );
    // Nor can it be turned into a queue call through the PBX: it belongs to a chat, not a call.
    const toPbx = await visitor.call(r.body.sip.target.replace(/^sip:invite@/, 'sip:call@'));
    await waitForState(toPbx, SessionState.Established).then(
      () => expect.fail('an invitation token reached the PBX'),
      (err: Error) => expect(err.message).to.equal('session terminated'),
    );
    expect(phone!.incoming).to.have.length(1);
    // Refused before any leg was set up: the chat still has its one call.
    await t.sb.contexts.calls()!.recorder.flush();
    expect(await repo(Call).countBy({ interactionId: v.interactionId })).to.equal(1);
  });

  it('lets only an agent handling the open chat invite, and answers garbage with clear errors', async () => {
    const { a } = await agentWithPhone();
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const other = await agentWithPhone();
    const noExt = await makeAgent(t.url, admin, { skills: [], available: false });

    expect(await command(other.a.socket, { type: 'call.invite', interactionId: v.interactionId, video: true })).to.include({ type: 'error', code: 'not_yours' });
    expect(await command(a.socket, { type: 'call.invite', interactionId: randomBytes(16).toString('hex'), video: true })).to.include({ type: 'error', code: 'not_found' });
    expect(await command(noExt.socket, { type: 'call.invite', interactionId: v.interactionId, video: false })).to.include({ type: 'error', code: 'not_yours' });
    for (const bad of [
      { type: 'call.invite', interactionId: 'not-an-id', video: true },
      { type: 'call.invite', interactionId: v.interactionId },
      { type: 'call.invite', interactionId: v.interactionId, video: 'yes' },
      { type: 'call.invite', interactionId: v.interactionId, video: true, agentId: a.id },
      { type: 'call.invite.cancel', inviteId: '../../x' },
    ]) {
      const r = await command(a.socket, bad);
      expect(r, JSON.stringify(bad)).to.include({ type: 'error', code: 'invalid_command' });
      expect(r.message).to.match(/^Malformed call\.invite/);
    }
    // Invitations are the agent's command; a visitor socket does not know it.
    expect(await command(v.socket, { type: 'call.invite', interactionId: v.interactionId, video: true })).to.include({ type: 'error', code: 'invalid_command' });
    expect(await command(v.socket, { type: 'call.invite.decline', inviteId: 42 })).to.include({ type: 'error', code: 'invalid_command' });

    // An invitation on offer when the chat ends goes with it, on both sides.
    const open = await invite(a, v);
    // Once the chat is over, nobody invites into it.
    await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId });
    const gone = await a.socket.next((m) => m.type === 'call.invite.state' && m.invite.inviteId === open.inviteId && m.invite.state === 'cancelled');
    expect(gone.invite.reason).to.equal('The chat ended.');
    await v.socket.next((m) => m.type === 'call.invite' && m.invite.inviteId === open.inviteId && m.invite.state === 'cancelled');
    const closed = await command(a.socket, { type: 'call.invite', interactionId: v.interactionId, video: true });
    expect(closed.type).to.equal('error');
    expect(['not_yours', 'chat_closed']).to.include(closed.code);
    expect(v.socket.messages.filter((m) => m.type === 'call.invite' && m.invite.inviteId !== open.inviteId)).to.deep.equal([]);
  });

  it("tells an agent without extension or connected softphone why the visitor cannot be invited", async () => {
    const { a, ext } = await agentWithPhone(false);
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const r = await command(a.socket, { type: 'call.invite', interactionId: v.interactionId, video: true });
    expect(r).to.include({ type: 'error', code: 'no_softphone' });
    expect(r.message).to.match(/softphone is not connected/);
    expect(ext).to.match(/^\d+$/);
    expect((await api(t.url, 'PATCH', `/api/agents/${a.id}`, { extension: null }, admin)).status).to.equal(200);
    expect(await command(a.socket, { type: 'call.invite', interactionId: v.interactionId, video: true })).to.include({ type: 'error', code: 'no_extension' });
  });

  it("never lets visitor B accept or decline A's invitation, nor see it", async () => {
    const { a } = await agentWithPhone();
    const va = await startChat(t.url);
    await takeChat(t.url, a, va);
    const vb = await startChat(t.url);
    await takeChat(t.url, a, vb);
    const sent = await invite(a, va);
    await va.socket.next((m) => m.type === 'call.invite');

    // B's token on A's chat, B's chat with A's invitation, no token at all: all refused.
    expect((await join(va, sent.inviteId, vb.token)).status).to.equal(403);
    const crossed = await join(vb, sent.inviteId);
    expect(crossed.status).to.equal(404);
    expect(crossed.body.error.code).to.equal('invite_not_found');
    expect((await widget(t.url, 'POST', '/calls', { interactionId: va.interactionId, inviteId: sent.inviteId, video: true })).status).to.equal(401);
    // Half an invitation is a malformed request, not a queue call.
    const half = await widget(t.url, 'POST', '/calls', { inviteId: sent.inviteId, video: true }, va.token);
    expect(half.status).to.equal(400);
    expect(JSON.stringify(half.body)).to.contain('interactionId and inviteId go together');
    // B's socket follows B's chat only: declining A's invitation reads as an unknown one.
    expect(await command(vb.socket, { type: 'call.invite.decline', inviteId: sent.inviteId })).to.include({ type: 'error', code: 'invite_not_found' });
    // A socket following no chat at all, the same.
    const stranger = await openVisitor(t.url);
    expect(await command(stranger, { type: 'call.invite.decline', inviteId: sent.inviteId })).to.include({ type: 'error', code: 'invite_not_found' });
    stranger.ws.close();
    expect(vb.socket.messages.filter((m) => m.type === 'call.invite')).to.deep.equal([]);
    // A widget that was away asks for the chat's pending invitation: with its own chat's token only.
    const pending = (v: TestVisitor, token = v.token) => widget(t.url, 'GET', `/calls/invites/${v.interactionId}`, undefined, token);
    expect((await pending(va)).body.invite).to.deep.equal(sent);
    expect((await pending(va, vb.token)).status).to.equal(403);
    expect((await pending(vb)).body.invite).to.equal(null);
    const garbage = await widget(t.url, 'GET', '/calls/invites/..%2F..%2Fadmin', undefined, va.token);
    expect([garbage.status, garbage.body.error.code]).to.deep.equal([400, 'invalid_request']);

    // Still A's to answer.
    expect(await command(va.socket, { type: 'call.invite.decline', inviteId: sent.inviteId })).to.include({ type: 'ok' });
    expect((await a.socket.next((m) => m.type === 'call.invite.state' && m.invite.state === 'declined')).invite.inviteId).to.equal(sent.inviteId);
    const late = await join(va, sent.inviteId);
    expect(late.status).to.equal(409);
    expect(late.body.error.code).to.equal('invite_declined');
  });

  it('cancels, expires and refuses unknown invitations with clear errors, one open invitation per chat', async () => {
    const { a } = await agentWithPhone();
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);

    const first = await invite(a, v);
    expect(await command(a.socket, { type: 'call.invite', interactionId: v.interactionId, video: false })).to.include({ type: 'error', code: 'invite_pending' });
    const other = await agentWithPhone();
    expect(await command(other.a.socket, { type: 'call.invite.cancel', inviteId: first.inviteId })).to.include({ type: 'error', code: 'invite_not_found' });
    const cancelled = await command(a.socket, { type: 'call.invite.cancel', inviteId: first.inviteId });
    expect(cancelled.invite).to.include({ inviteId: first.inviteId, state: 'cancelled' });
    await v.socket.next((m) => m.type === 'call.invite' && m.invite.inviteId === first.inviteId && m.invite.state === 'cancelled');
    const afterCancel = await join(v, first.inviteId);
    expect([afterCancel.status, afterCancel.body.error.code]).to.deep.equal([410, 'invite_cancelled']);
    expect(afterCancel.body.error.message).to.equal('The agent cancelled the invitation.');

    // Its minute is up (the clock moved on in Redis, as if the timer's instance had died).
    const second = await invite(a, v, false);
    await t.sb.kernel.redis.client.hset(t.sb.kernel.redis.key('call-invite', second.inviteId), 'expiresAt', String(Date.now() - 1));
    const expired = await join(v, second.inviteId);
    expect([expired.status, expired.body.error.code]).to.deep.equal([410, 'invite_expired']);
    expect(expired.body.error.message).to.match(/expired\. Ask the agent to invite you again/);
    await v.socket.next((m) => m.type === 'call.invite' && m.invite.inviteId === second.inviteId && m.invite.state === 'expired');
    await a.socket.next((m) => m.type === 'call.invite.state' && m.invite.inviteId === second.inviteId && m.invite.state === 'expired');
    expect(await command(v.socket, { type: 'call.invite.decline', inviteId: second.inviteId })).to.include({ type: 'error', code: 'invite_expired' });

    const unknown = await join(v, randomBytes(16).toString('hex'));
    expect([unknown.status, unknown.body.error.code]).to.deep.equal([404, 'invite_not_found']);
    // The expired one no longer blocks a new invitation.
    expect((await invite(a, v)).state).to.equal('pending');
  });

  it("fails the invitation on both sides when the agent's softphone went away before the visitor joined", async () => {
    const { a, ext, phone } = await agentWithPhone();
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const sent = await invite(a, v);
    await phone!.stop();
    await eventually(async () => t.sb.contexts.calls()!.control.registrar.lookup(ext), (b) => !b);
    const r = await join(v, sent.inviteId);
    expect([r.status, r.body.error.code]).to.deep.equal([409, 'agent_unreachable']);
    expect(r.body.error.message).to.match(/phone is not connected/);
    const failed = await a.socket.next((m) => m.type === 'call.invite.state' && m.invite.state === 'failed');
    expect(failed.invite.reason).to.match(/phone is not connected/);
    await v.socket.next((m) => m.type === 'call.invite' && m.invite.state === 'failed');
  });

  it('refuses to ring an agent who left the chat since the invitation (transferred), telling both sides', async () => {
    const { a } = await agentWithPhone();
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    const sent = await invite(a, v);
    const b = await makeAgent(t.url, admin, { skills: english });
    const moved = await command(a.socket, { type: 'interaction.transfer', interactionId: v.interactionId, toAgent: b.id });
    expect(moved.type, JSON.stringify(moved)).to.not.equal('error');
    const offer = await nextOffer(b, 10000);
    expect((await accept(t.url, b, offer.offerId)).status).to.equal(200);
    const r = await join(v, sent.inviteId);
    expect([r.status, r.body.error.code]).to.deep.equal([409, 'agent_left']);
    const failed = await a.socket.next((m) => m.type === 'call.invite.state' && m.invite.inviteId === sent.inviteId && m.invite.state === 'failed');
    expect(failed.invite.reason).to.equal('The agent who sent the invitation has left the chat.');
  });
});
