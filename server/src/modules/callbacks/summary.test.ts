// The supervisor's callback figures per queue, read from MySQL: each request shows up where its
// state says (scheduled in its hour, due now, ended today), and agents may not read them.
import { expect } from 'chai';
import { Callback } from './callback.entity.js';
import { api, login, makeAgent, startRoutingServer, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';

describe('callbacks: supervisor summary', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startRoutingServer();
    admin = await login(t.url);
  });
  after(() => t.stop());

  const summary = async () => {
    const r = await api(t.url, 'GET', '/api/callbacks/summary', undefined, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const q = r.body.queues.find((x: { queueId: string }) => x.queueId === 'callbacks');
    const scheduled = Object.values(q.scheduledByHour as Record<string, number>).reduce((a, b) => a + b, 0);
    return { scheduled, dueNow: q.dueNow as number, cancelled: (q.today.cancelled ?? 0) as number };
  };

  it('counts scheduled, due and cancelled callbacks of the callback queue', async () => {
    const before = await summary();
    const slots = await widget(t.url, 'GET', '/callbacks/slots');
    const soon = slots.body.slots.find((x: { start: string }) => new Date(x.start).getTime() < Date.now() + 20 * 3600_000);
    expect(soon, 'a slot within the next day').to.not.equal(undefined);
    expect((await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 6060 1111' }, slot: soon.start })).status).to.equal(201);
    const asap = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 6060 2222' }, slot: 'asap' });
    await eventually(() => t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id: asap.body.callbackId }), (c) => c.state === 'queued');
    const gone = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 6060 3333' }, slot: slots.body.slots[8].start });
    expect((await widget(t.url, 'POST', `/callbacks/${gone.body.callbackId}/cancel`)).status).to.equal(200);
    const after = await summary();
    expect(after.scheduled - before.scheduled).to.equal(1);
    expect(after.dueNow - before.dueNow).to.equal(1);
    expect(after.cancelled - before.cancelled).to.equal(1);
  });

  it('is for supervisors: an agent gets 403, nobody signed in 401', async () => {
    const agent = await makeAgent(t.url, admin, { available: false });
    expect((await api(t.url, 'GET', '/api/callbacks/summary', undefined, agent.token)).status).to.equal(403);
    expect((await api(t.url, 'GET', '/api/callbacks/summary')).status).to.equal(401);
    agent.socket.close();
  });
});
