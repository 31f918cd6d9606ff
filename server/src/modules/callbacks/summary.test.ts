// The supervisor's callback figures per queue, read from MySQL: each request shows up where its
// state says (scheduled in its hour, due now, ended today), and agents may not read them.
import { expect } from 'chai';
import { In } from 'typeorm';
import { Callback } from './callback.entity.js';
import { accept, api, login, makeAgent, nextOffer, startRoutingServer, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';

describe('callbacks: supervisor summary', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startRoutingServer({ 'queues.yaml:queues.3.callback': { attempts: 1 } });
    admin = await login(t.url);
  });
  after(() => t.stop());

  const summary = async () => {
    const r = await api(t.url, 'GET', '/api/callbacks/summary', undefined, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const q = r.body.queues.find((x: { queueId: string }) => x.queueId === 'callbacks');
    const scheduled = Object.values(q.scheduledByHour as Record<string, number>).reduce((a, b) => a + b, 0);
    return { scheduled, byHour: q.scheduledByHour as Record<string, number>, dueNow: q.dueNow as number, overdue: q.overdue as number, cancelled: (q.today.cancelled ?? 0) as number, unreached: (q.today.unreached ?? 0) as number };
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
    // Counted in the hour its slot starts.
    const hour = new Date(soon.start);
    hour.setUTCMinutes(0, 0, 0);
    expect((after.byHour[hour.toISOString()] ?? 0) - (before.byHour[hour.toISOString()] ?? 0)).to.equal(1);
  });

  it('counts a scheduled callback whose due time passed without its job running as overdue, and an unreached one in the outcomes of the day', async () => {
    const before = await summary();
    const slots = await widget(t.url, 'GET', '/callbacks/slots');
    const late = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 6060 4444' }, slot: slots.body.slots[5].start });
    expect(late.status, JSON.stringify(late.body)).to.equal(201);
    // Its job lost: the row says it fell due two minutes ago.
    await t.sb.kernel.db.getRepository(Callback).update({ id: late.body.callbackId }, { dueAt: new Date(Date.now() - 120_000) });
    expect((await summary()).overdue - before.overdue).to.equal(1);

    // The last attempt fails (SIP is off here): unreached today.
    const agent = await makeAgent(t.url, admin);
    try {
      const asap = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 6060 5555' }, slot: 'asap' });
      const mine = await eventually(() => t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id: asap.body.callbackId }), (c) => c.state === 'queued');
      // Callbacks queued before it (the test above) are offered first, and end the same way.
      const taken: string[] = [];
      while (!taken.includes(mine.interactionId)) {
        const offer = await nextOffer(agent, 15_000);
        expect((await accept(t.url, agent, offer.offerId)).status).to.equal(200);
        taken.push(offer.interactionId);
      }
      await eventually(() => t.sb.kernel.db.getRepository(Callback).countBy({ interactionId: In(taken), state: 'unreached' }), (n) => n === taken.length);
      expect((await summary()).unreached - before.unreached).to.equal(taken.length);
    } finally {
      agent.socket.close();
    }
  });

  it('is for supervisors: an agent gets 403, nobody signed in 401', async () => {
    const agent = await makeAgent(t.url, admin, { available: false });
    expect((await api(t.url, 'GET', '/api/callbacks/summary', undefined, agent.token)).status).to.equal(403);
    expect((await api(t.url, 'GET', '/api/callbacks/summary')).status).to.equal(401);
    agent.socket.close();
  });
});
