// Keep my place: a visitor waiting in the chat queue switches to a callback. The callback must be
// served when their turn comes — before a callback asked for after they started waiting — not at
// the end of the queue; their chat ends. Both queues have the same priority here, so only the
// kept waiting time can put the switched visitor first.
import { expect } from 'chai';
import { Callback } from './callback.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { makeAgent, nextOffer, setState, startRoutingServer, type TestAgent, type TestServer } from '../../test/routing.js';
import { login } from '../../test/server.js';
import { startChat, widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';

describe('callbacks: keep my place (virtual hold)', () => {
  let t: TestServer;
  let agent: TestAgent;
  before(async () => {
    // queues.yaml: 0 support-chat (priority 5), 3 callbacks (priority 4 → 5, preview: no dialling here).
    t = await startRoutingServer({ 'queues.yaml:queues.3.priority': 5, 'queues.yaml:queues.3.callback.mode': 'preview' });
    const admin = await login(t.url);
    agent = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }], capacity: { chat: 1, callback: 1, total: 1 }, available: false });
    // Logged in, so the chat is queued (not unmanaged), but on a break: nothing is offered yet.
    await setState(t.url, agent, 'not-ready', 'break');
  });
  after(() => t.stop());
  const row = (id: string) => t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id });
  const interaction = (id: string) => t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id });

  it('puts the switched visitor ahead of a callback asked for after they started waiting, and ends their chat', async () => {
    const waiting = await startChat(t.url);
    expect(waiting.start.outcome).to.equal('queued');
    const later = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 6060 1111' }, slot: 'asap' });
    expect(later.status, JSON.stringify(later.body)).to.equal(201);
    const laterRow = await eventually(() => row(later.body.callbackId), (cb) => cb.state === 'queued');

    const r = await widget(t.url, 'POST', '/callbacks/keep-place', { interactionId: waiting.interactionId, fields: { phone: '+39 06 6060 2222' }, language: 'en' }, waiting.token);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body).to.include({ keptPlace: true, position: 1, asap: true });
    expect(r.body.reference).to.match(/^CB-[0-9A-F]{8}$/);
    const kept = await row(r.body.callbackId);
    expect(kept.state).to.equal('queued');
    const chat = await interaction(waiting.interactionId);
    expect((await interaction(kept.interactionId)).queuedAt!.getTime(), 'queued since the chat was').to.equal(chat.queuedAt!.getTime());
    // Routing counts its wait from there too: the supervisor's longest wait, the relaxation it has earned.
    expect(Number((await t.sb.contexts.routing.engine.interactionLive(kept.interactionId)).queuedAt), 'waiting since the chat was, for routing').to.equal(chat.queuedAt!.getTime());

    // The chat is over for the visitor, and both journeys say why.
    await waiting.socket.next((m) => m.type === 'chat.ended');
    expect(['abandoned', 'closed']).to.include((await interaction(waiting.interactionId)).state);
    const events = t.sb.kernel.db.getRepository(InteractionEvent);
    expect((await events.findOneByOrFail({ interactionId: waiting.interactionId, type: 'callback.kept-place' })).data).to.deep.include({ callbackId: r.body.callbackId });
    expect((await events.findOneByOrFail({ interactionId: kept.interactionId, type: 'callback.kept-place' })).data).to.deep.include({ from: waiting.interactionId, priority: 5 });

    // The agent comes back: the switched visitor's callback is offered first.
    await setState(t.url, agent, 'available');
    const first = await nextOffer(agent, 30_000);
    expect(first.interactionId, 'the callback that kept its place').to.equal(kept.interactionId);
    expect(first.interactionId).to.not.equal(laterRow.interactionId);
    expect(first.waitingSince).to.equal(chat.queuedAt!.toISOString());
    // The offer shows whom to call and when they asked for it.
    expect(first.callback).to.deep.include({ phoneNumber: '+390660602222', slot: null });
    await setState(t.url, agent, 'not-ready', 'break');
  });

  it('refuses without the chat token, with another chat token, for a chat no longer waiting, and garbage — creating nothing', async () => {
    const a = await startChat(t.url);
    const b = await startChat(t.url);
    // Only the number these requests carry: earlier tests' callbacks (a retry is a new row) come and go meanwhile.
    const mine = () => t.sb.kernel.db.getRepository(Callback).countBy({ phoneNumber: '+390660603333' });
    const before = await mine();
    const body = { interactionId: a.interactionId, fields: { phone: '+39 06 6060 3333' } };
    expect((await widget(t.url, 'POST', '/callbacks/keep-place', body)).status).to.equal(401);
    const wrong = await widget(t.url, 'POST', '/callbacks/keep-place', body, b.token);
    expect([wrong.status, wrong.body.error.code]).to.deep.equal([403, 'forbidden']);
    expect((await widget(t.url, 'POST', '/callbacks/keep-place', { ...body, interactionId: 'f'.repeat(32) }, a.token)).status).to.equal(403);
    expect((await widget(t.url, 'POST', '/callbacks/keep-place', body, a.token, 'http://evil.example')).status).to.equal(403);
    for (const bad of [{}, { ...body, interactionId: 'CB-12345678' }, { ...body, fields: 'x' }, { ...body, extra: 1 }, { ...body, language: 'de' }]) {
      const res = await widget(t.url, 'POST', '/callbacks/keep-place', bad, a.token);
      expect(res.status, JSON.stringify(bad)).to.equal(400);
    }
    const noPhone = await widget(t.url, 'POST', '/callbacks/keep-place', { ...body, fields: { phone: 'call me' } }, a.token);
    expect(noPhone.status).to.equal(400);
    expect(noPhone.body.error.fields[0].field).to.equal('fields.phone');
    expect(await mine()).to.equal(before);
    expect((await interaction(a.interactionId)).state, 'the chat still waits').to.equal('queued');

    const end = await widget(t.url, 'POST', `/chats/${b.interactionId}/end`, {}, b.token);
    expect(end.status, JSON.stringify(end.body)).to.be.oneOf([200, 204]);
    const late = await widget(t.url, 'POST', '/callbacks/keep-place', { ...body, interactionId: b.interactionId }, b.token);
    expect([late.status, late.body.error.code]).to.deep.equal([409, 'not_waiting']);
    expect(await mine()).to.equal(before);
  });
});
