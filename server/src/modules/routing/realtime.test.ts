// The agent real-time API: numbered events that a reconnecting desktop resumes without loss, two
// tabs that agree, and bad commands that get a clear error while nothing changes.
import { expect } from 'chai';
import { Interaction, Offer } from '../interactions/interaction.entity.js';
import { AgentRealtimeClient } from '../../test/agent-client.js';
import { QUEUE, accept, api, createInteraction, login, makeAgent, nextOffer, openDesktop, startRoutingServer, stateOf, type TestAgent, type TestServer } from '../../test/routing.js';

describe('routing: agent real-time API', () => {
  let t: TestServer;
  let admin: string;
  beforeEach(async () => {
    t = await startRoutingServer();
    admin = await login(t.url);
  });
  afterEach(() => t.stop());
  const english = [{ skill: 'english', level: 8 }];

  async function assigned(a: TestAgent): Promise<string> {
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const o = await nextOffer(a);
    expect((await accept(t.url, a, o.offerId)).status).to.equal(200);
    return r.interaction.id;
  }
  const release = async (a: TestAgent, id: string) => expect((await api(t.url, 'POST', `/api/interactions/${id}/close`, {}, a.token)).status).to.equal(200);

  it('shows the same offer and outcome on both tabs of an agent', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const tab2 = await openDesktop(t.url, a.token);
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const [o1, o2] = await Promise.all([a.socket.next((m) => m.type === 'offer'), tab2.next((m) => m.type === 'offer')]);
    expect(o1).to.deep.equal(o2);
    tab2.send({ type: 'offer.accept', offerId: o2.offer.offerId, ref: 'acc' });
    expect((await tab2.next((m) => m.ref === 'acc')).type).to.equal('ok');
    const [e1, e2] = await Promise.all([a.socket.next((m) => m.type === 'offer.ended'), tab2.next((m) => m.type === 'offer.ended')]);
    expect(e1).to.deep.equal(e2);
    expect(e1.reason).to.equal('accepted');
    await release(a, o1.offer.interactionId);
    tab2.close();
  });

  it('shows on the offer what the channel gives as the customer\'s first lines', async () => {
    t.sb.contexts.routing.previewFor('chat', async (i) => ({ preview: [`Hello from ${i.id.slice(0, 4)}`, 'My order is late'] }));
    const a = await makeAgent(t.url, admin, { skills: english });
    const r = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat, subject: 'Order' });
    const o = await nextOffer(a);
    expect(o).to.deep.include({ preview: [`Hello from ${r.interaction.id.slice(0, 4)}`, 'My order is late'] });
    const mine = await api(t.url, 'GET', '/api/interactions/mine', undefined, a.token);
    expect(mine.body.offers[0].preview).to.deep.equal(o.preview);
  });

  it('resumes after a reconnect with every event missed, in order, and a snapshot when too far behind', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const client = await AgentRealtimeClient.connect(t.url, a.token);
    const id = await assigned(a);
    await client.until(() => client.interactions.has(id));
    const seenSeq = client.seq;
    client.disconnect();
    // While the desktop is away: the interaction is closed and a new offer arrives.
    await release(a, id);
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const o = await nextOffer(a);
    await client.reconnect();
    await client.until(() => client.offers.has(o.offerId));
    expect(client.interactions.has(id)).to.equal(false);
    expect(client.resumedFrom).to.equal(seenSeq);
    expect(client.gaps).to.equal(0);
    expect(client.seq).to.equal(await t.sb.contexts.routing.events.current(a.id));
    // A desktop claiming a seq from the future cannot be resumed: it gets the whole picture.
    client.ws!.send({ type: 'resume', afterSeq: client.seq + 1000, ref: 'far' });
    const snap = await client.ws!.next((m) => m.ref === 'far');
    expect(snap.type).to.equal('snapshot');
    expect(snap.offers.map((x: { offerId: string }) => x.offerId)).to.deep.equal([o.offerId]);
    client.disconnect();
    expect((await api(t.url, 'POST', `/api/offers/${o.offerId}/reject`, undefined, a.token)).status).to.equal(204);
  });

  it("refuses to accept another agent's offer, and the offer stays with its agent", async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const b = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 5 }], available: false });
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const o = await nextOffer(a);
    const r = await accept(t.url, b, o.offerId);
    expect(r.status).to.equal(403);
    expect(r.body.error.code).to.equal('not_yours');
    b.socket.send({ type: 'offer.reject', offerId: o.offerId, ref: 'x' });
    expect(await b.socket.next((m) => m.ref === 'x')).to.include({ type: 'error', code: 'not_yours' });
    expect((await t.sb.kernel.db.getRepository(Offer).findOneByOrFail({ id: o.offerId })).state).to.equal('pending');
    expect((await accept(t.url, a, o.offerId)).status).to.equal(200);
    await release(a, o.interactionId);
  });

  it("refuses to close someone else's interaction and an unknown disposition; nothing changes", async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const b = await makeAgent(t.url, admin, { skills: english, available: false });
    const id = await assigned(a);
    const other = await api(t.url, 'POST', `/api/interactions/${id}/close`, {}, b.token);
    expect(other.status).to.equal(403);
    expect(other.body.error.code).to.equal('not_yours');
    const unknown = await api(t.url, 'POST', `/api/interactions/${id}/close`, { disposition: 'made-up' }, a.token);
    expect(unknown.status).to.equal(400);
    expect(unknown.body.error.fields[0]).to.include({ field: 'disposition' });
    const garbage = await api(t.url, 'POST', `/api/interactions/${id}/close`, { disposition: 42, extra: true }, a.token);
    expect(garbage.status).to.equal(400);
    expect(garbage.body.error.fields.map((f: { field: string }) => f.field)).to.include.members(['disposition', 'extra']);
    const row = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id });
    expect(row).to.include({ state: 'assigned', assignedAgentId: a.id, dispositionId: null });
    expect(await stateOf(t.url, a)).to.equal('busy');
    await release(a, id);
  });

  it('refuses a transfer to a logged-out agent, to a queue of another channel and to nobody, keeping the owner', async () => {
    const a = await makeAgent(t.url, admin, { skills: english });
    const gone = await makeAgent(t.url, admin, { skills: english, available: false });
    const id = await assigned(a);
    const out = await api(t.url, 'POST', `/api/interactions/${id}/transfer`, { toAgent: gone.id }, a.token);
    expect(out.status).to.equal(409);
    expect(out.body.error).to.deep.include({ code: 'agent_logged_out', fields: [{ field: 'toAgent', problem: 'is logged out' }] });
    const wrongQueue = await api(t.url, 'POST', `/api/interactions/${id}/transfer`, { toQueue: QUEUE.phone }, a.token);
    expect(wrongQueue.status).to.equal(400);
    expect(wrongQueue.body.error.fields[0].field).to.equal('toQueue');
    expect((await api(t.url, 'POST', `/api/interactions/${id}/transfer`, {}, a.token)).status).to.equal(400);
    expect((await api(t.url, 'POST', `/api/interactions/${id}/transfer`, { toAgent: 'not-an-id' }, a.token)).status).to.equal(400);
    a.socket.send({ type: 'interaction.conference', interactionId: id, agentId: gone.id, ref: 'cf' });
    expect(await a.socket.next((m) => m.ref === 'cf')).to.include({ type: 'error', code: 'agent_logged_out' });
    const row = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id });
    expect(row).to.include({ state: 'assigned', assignedAgentId: a.id });
    expect((await t.sb.contexts.routing.payload(id)).transferTo).to.equal(null);
    await release(a, id);
  });

  it('answers malformed routing commands with an error naming the field, and unknown ids with 404', async () => {
    const a = await makeAgent(t.url, admin, { skills: english, available: false });
    a.socket.send({ type: 'offer.accept', ref: 'm1' });
    expect(await a.socket.next((m) => m.ref === 'm1')).to.deep.include({ type: 'error', code: 'invalid_command' });
    a.socket.send({ type: 'interaction.close', interactionId: 'x'.repeat(32), ref: 'm2' });
    const e2 = await a.socket.next((m) => m.ref === 'm2');
    expect(e2.message).to.match(/interactionId/);
    a.socket.send({ type: 'resume', afterSeq: -1, ref: 'm3' });
    expect((await a.socket.next((m) => m.ref === 'm3')).message).to.match(/afterSeq/);
    a.socket.send({ type: 'offer.accept', offerId: '0'.repeat(32), ref: 'm4' });
    expect(await a.socket.next((m) => m.ref === 'm4')).to.include({ type: 'error', code: 'not_found' });
    expect((await api(t.url, 'POST', `/api/offers/${'0'.repeat(32)}/accept`, undefined, a.token)).status).to.equal(404);
    expect((await api(t.url, 'POST', '/api/routing/interactions', { channel: 'chat', queueId: 'nope' }, admin)).body.error.fields[0].field).to.equal('queueId');
    expect((await api(t.url, 'POST', '/api/routing/interactions', { channel: 'chat', queueId: QUEUE.chat }, a.token)).status).to.equal(403);
    a.socket.send({ type: 'queues.watch', ref: 'w' });
    expect(await a.socket.next((m) => m.ref === 'w')).to.include({ type: 'error', code: 'forbidden' });
  });

  it('pushes queue statistics to supervisors', async () => {
    const sup = await makeAgent(t.url, admin, { role: 'supervisor', available: false });
    const stats = await sup.socket.next((m) => m.type === 'queue.stats');
    expect(stats.queues.map((q: { queueId: string }) => q.queueId)).to.include(QUEUE.chat);
    sup.socket.send({ type: 'queues.watch', ref: 'w' });
    expect((await sup.socket.next((m) => m.ref === 'w')).type).to.equal('queue.stats');
  });
});
