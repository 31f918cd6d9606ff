// The desktop's transfer and conference picker is open to plain agents, who may not see the
// supervisor views: this route must give the owner of an interaction just enough (its channel's
// queues; the other logged-in agents' names, states and whether they could take it) and nobody
// else anything. Real Redis and MySQL.
import { expect } from 'chai';
import { newId } from '../../kernel/db/ids.js';
import { QUEUE, accept, api, createInteraction, login, makeAgent, nextOffer, noOffer, setState, startRoutingServer, type TestAgent, type TestServer } from '../../test/routing.js';

describe('routing: transfer targets for the desktop', () => {
  let t: TestServer;
  let admin: string;
  after(() => t?.stop());

  const strong = [{ skill: 'english', level: 8 }];
  // Below the chat queue's level (no relaxation here): never offered its chats, yet a transfer may reach them.
  const weak = [{ skill: 'english', level: 2 }];
  const one = { chat: 1, total: 1 };
  let a: TestAgent;
  let b: TestAgent;
  let c: TestAgent;
  let d: TestAgent;
  let e: TestAgent;
  let c1: string;

  const targets = (token: string | undefined, query: string) => api(t.url, 'GET', `/api/routing/transfer-targets${query}`, undefined, token);

  before(async () => {
    t = await startRoutingServer({ 'queues.yaml:queues.0.relax': [] });
    admin = await login(t.url);
    const assign = async (x: TestAgent) => {
      const id = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
      const o = await nextOffer(x);
      expect((await accept(t.url, x, o.offerId)).status).to.equal(200);
      return id;
    };
    a = await makeAgent(t.url, admin, { skills: strong, capacity: one });
    c1 = await assign(a);
    d = await makeAgent(t.url, admin, { skills: strong, capacity: one });
    await assign(d);
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat }); // waits: a and d are full
    b = await makeAgent(t.url, admin, { skills: weak });
    c = await makeAgent(t.url, admin, { skills: weak, available: false });
    await setState(t.url, c, 'not-ready', 'lunch');
    e = await makeAgent(t.url, admin, { skills: weak, available: false }); // logged in, never chose a state
    await noOffer(b, 300);
  });

  it("gives the owner exactly its channel's queues and the other logged-in agents with whether they could take it now", async () => {
    const r = await targets(a.token, `?interactionId=${c1}`);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(Object.keys(r.body)).to.deep.equal(['queues', 'agents']);
    expect(r.body.queues).to.deep.equal([{ id: QUEUE.chat, name: 'Support (chat)', channel: 'chat', open: true, waiting: 1 }]);
    const byId = new Map(r.body.agents.map((x: { id: string }) => [x.id, x]));
    expect([...byId.keys()].sort()).to.deep.equal([b.id, c.id, d.id].sort());
    expect(byId.get(b.id)).to.deep.equal({ id: b.id, displayName: b.username, state: 'available', canTake: true });
    expect(byId.get(c.id)).to.deep.equal({ id: c.id, displayName: c.username, state: 'not-ready', canTake: false });
    expect(byId.get(d.id)).to.deep.equal({ id: d.id, displayName: d.username, state: 'busy', canTake: false });
    expect(byId.has(e.id)).to.equal(false);
    // canTake says what a transfer would meet.
    const toC = await api(t.url, 'POST', `/api/interactions/${c1}/conference`, { agentId: c.id }, a.token);
    expect(toC.status).to.equal(409);
    const toD = await api(t.url, 'POST', `/api/interactions/${c1}/conference`, { agentId: d.id }, a.token);
    expect(toD.body.error.code).to.equal('agent_full');
    expect((await api(t.url, 'POST', `/api/interactions/${c1}/conference`, { agentId: b.id }, a.token)).status).to.equal(200);
  });

  it("refuses a plain agent asking about someone else's interaction, and a supervisor who does not hold it", async () => {
    const other = await targets(d.token, `?interactionId=${c1}`);
    expect(other.status).to.equal(403);
    expect(other.body.error.code).to.equal('not_yours');
    expect(other.body).to.not.have.nested.property('agents');
    expect((await targets(admin, `?interactionId=${c1}`)).status).to.equal(403);
    expect((await targets(undefined, `?interactionId=${c1}`)).status).to.equal(401);
    const unknown = await targets(a.token, `?interactionId=${newId()}`);
    expect(unknown.status).to.equal(404);
  });

  it('answers garbage queries with 400 naming the field', async () => {
    for (const q of ['', '?interactionId=', '?interactionId=../../etc', `?interactionId=${c1.toUpperCase()}`, `?interactionId=${c1}&interactionId=${c1}`, `?interactionId=${c1}&agents=all`]) {
      const r = await targets(a.token, q);
      expect(r.status, q).to.equal(400);
      expect(r.body.error.code, q).to.equal('invalid_request');
      expect(r.body.error.fields.map((f: { field: string }) => f.field).join(','), q).to.match(/interactionId|agents/);
    }
  });

  it('is described in the OpenAPI document with its query and response', async () => {
    const doc = (await api(t.url, 'GET', '/api/openapi.json')).body;
    const op = doc.paths['/api/routing/transfer-targets'].get;
    expect(op.parameters).to.deep.equal([{ name: 'interactionId', in: 'query', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } }]);
    expect(op['x-roles']).to.deep.equal(['agent', 'supervisor', 'admin']);
    const schema = op.responses['200'].content['application/json'].schema;
    expect(Object.keys(schema.properties)).to.deep.equal(['queues', 'agents']);
    expect(Object.keys(schema.properties.agents.items.properties)).to.deep.equal(['id', 'displayName', 'state', 'canTake']);
  });
});
