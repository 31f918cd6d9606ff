// An administrator's change to an agent's skills or capacity, or to the queues, must count at
// once: an agent who becomes able to take something waiting gets it without having to change
// state first (the routing profile used to be read only when an agent became Available).
// Real Redis and MySQL; the changes go through the admin API and a configuration reload.
import { expect } from 'chai';
import { setYaml } from '../../test/config.js';
import { QUEUE, api, createInteraction, login, makeAgent, nextOffer, noOffer, setState, startRoutingServer, type TestServer } from '../../test/routing.js';

describe('routing: changes apply at once', () => {
  let t: TestServer;
  let admin: string;
  // No relaxation: only the queue's required level (english 5) ever qualifies.
  const start = async () => {
    t = await startRoutingServer({ 'queues.yaml:queues.0.relax': [] });
    admin = await login(t.url);
  };
  afterEach(() => t?.stop());

  /** Someone who could take the chat queue, logged in but Not ready: chats are queued, not refused. */
  const standby = async () => {
    const c = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }], available: false });
    await setState(t.url, c, 'not-ready', 'lunch');
    return c;
  };

  it("offers a waiting chat at once to an agent whose skills an administrator raised", async () => {
    await start();
    await standby();
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 2 }] });
    const id = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    await noOffer(a);
    const r = await api(t.url, 'PATCH', `/api/agents/${a.id}`, { skills: [{ skill: 'english', level: 6 }] }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect((await nextOffer(a)).interactionId).to.equal(id);
    expect((await api(t.url, 'GET', `/api/agents/${a.id}/state`, undefined, a.token)).body.state).to.equal('available');
  });

  it('offers the next chat at once to an agent whose chat capacity was raised, and none beyond a lowered one', async () => {
    await start();
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 8 }], capacity: { chat: 1, total: 4 } });
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const first = await nextOffer(a);
    expect((await api(t.url, 'POST', `/api/offers/${first.offerId}/accept`, undefined, a.token)).status).to.equal(200);
    const second = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    await noOffer(a);
    expect((await api(t.url, 'PATCH', `/api/agents/${a.id}`, { capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 2 } }, admin)).status).to.equal(200);
    const o = await nextOffer(a);
    expect(o.interactionId).to.equal(second);
    expect((await api(t.url, 'POST', `/api/offers/${o.offerId}/accept`, undefined, a.token)).status).to.equal(200);
    // The total of 2 is reached: a third waits.
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    await noOffer(a);
    expect((await t.sb.contexts.routing.engine.agentLoad(a.id))['cap:total']).to.equal('2');
  });

  it('refuses an unknown skill or a bad capacity with 400 and changes nothing, in MySQL or in routing', async () => {
    await start();
    await standby();
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 2 }] });
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const profile = await t.sb.contexts.routing.engine.agentLoad(a.id);
    const unknown = await api(t.url, 'PATCH', `/api/agents/${a.id}`, { skills: [{ skill: 'english', level: 9 }, { skill: 'klingon', level: 9 }] }, admin);
    expect(unknown.status).to.equal(400);
    expect(unknown.body.error.fields).to.deep.equal([{ field: 'skills.1.skill', problem: 'unknown skill "klingon"' }]);
    const bad = await api(t.url, 'PATCH', `/api/agents/${a.id}`, { capacity: { chat: -1, total: 'lots' } }, admin);
    expect(bad.status).to.equal(400);
    expect(bad.body.error.fields.map((f: { field: string }) => f.field)).to.include.members(['capacity.chat', 'capacity.total']);
    // A plain agent may not raise their own skills.
    expect((await api(t.url, 'PATCH', `/api/agents/${a.id}`, { skills: [{ skill: 'english', level: 9 }] }, a.token)).status).to.equal(403);
    expect(await t.sb.contexts.routing.engine.agentLoad(a.id)).to.deep.equal(profile);
    expect((await t.sb.contexts.agents.skillsOf([a.id])).get(a.id)!.map((x) => [x.skillId, x.level])).to.deep.equal([['english', 2]]);
    await noOffer(a);
  });

  it('leaves a logged-out agent out of routing when their skills change', async () => {
    await start();
    await standby();
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 2 }], available: false });
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    expect((await api(t.url, 'PATCH', `/api/agents/${a.id}`, { skills: [{ skill: 'english', level: 9 }] }, admin)).status).to.equal(200);
    await noOffer(a);
    expect(await t.sb.contexts.routing.engine.online()).to.not.include(a.id);
  });

  it('applies a queue requirement lowered by a configuration reload to the agents logged in', async () => {
    await start();
    await standby();
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 3 }] });
    const id = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    await noOffer(a);
    setYaml(t.configDir, 'queues.yaml', 'queues.0.skills', [{ skill: 'english', level: 3 }]);
    const r = await api(t.url, 'POST', '/api/admin/config/reload', undefined, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect((await nextOffer(a)).interactionId).to.equal(id);
  });
});
