// Redis away for 30 s under a running server (a scratch Redis with its append-only file, as in
// production): callback requests are refused at once with 503 and nothing is half-made in MySQL;
// when Redis is back, a job that was waiting for its slot is still there, and one that fell due
// during the outage runs, once.
import { expect } from 'chai';
import { Like } from 'typeorm';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScratchRedis, eventually } from '../../test/redis.js';
import { startRoutingServer, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { Callback } from './callback.entity.js';
import { CallbackDueJob } from './due-job.js';

describe('callbacks while Redis is down', function () {
  this.timeout(180_000);
  let redis: ScratchRedis;
  let t: TestServer;
  before(async () => {
    redis = new ScratchRedis(await ScratchRedis.freePort(), ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', mkdtempSync(path.join(os.tmpdir(), 'sb-cb-redis-'))]);
    await redis.start();
    t = await startRoutingServer({ 'switchboard.yaml:redis.port': redis.port });
  });
  after(async () => {
    await t?.stop();
    await redis?.stop();
  });

  it('answers 503 for 30 s without storing anything, then runs the waiting and the overdue jobs once', async () => {
    const db = t.sb.kernel.db;
    const due = new CallbackDueJob(t.sb.contexts.callbacks);
    const slots = await widget(t.url, 'GET', '/callbacks/slots');
    const waiting = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 2222 1111' }, slot: slots.body.slots[4].start });
    const overdue = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 2222 3333' }, slot: slots.body.slots[5].start });
    expect([waiting.status, overdue.status]).to.deep.equal([201, 201]);
    // The second falls due while Redis is away.
    expect(await due.unschedule(overdue.body.callbackId)).to.equal(true);
    await due.schedule({ callbackId: overdue.body.callbackId }, { id: overdue.body.callbackId, at: new Date(Date.now() + 5000) });

    await redis.stop();
    const until = Date.now() + 30_000;
    let refused = 0;
    // For 30 s, and at least six times however slowly the machine answers: one request after
    // each of the server's attempts to reach Redis again, so each finds it still failing.
    while (Date.now() < until || refused < 6) {
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: `+39 06 2222 ${4000 + refused}` }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(503);
      expect(r.body.error.code).to.equal('redis_unavailable');
      refused++;
      await new Promise((res) => t.sb.kernel.redis.client.once('reconnecting', res));
    }
    // The refused requests' numbers (+39 06 2222 4000…): the run's other files share the table.
    expect(await db.getRepository(Callback).countBy({ phoneNumber: Like('+390622224%') }), 'nothing half-made').to.equal(0);
    await redis.start();

    // A try that Redis came back in the middle of may have stored the callback and still failed:
    // the next one answers with that callback (200, existing), as for any repeated request.
    const r = await eventually(() => widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 2222 9999' }, slot: slots.body.slots[6].start }), (x) => x.status !== 503, 100, 300);
    expect([[201, false], [200, true]], JSON.stringify(r.body)).to.deep.include([r.status, r.body.existing]);
    // Neither lost nor made twice by the tries.
    const stored = await db.getRepository(Callback).findBy({ phoneNumber: '+390622229999' });
    expect(stored.map((c) => [c.id, c.state])).to.deep.equal([[r.body.callbackId, 'scheduled']]);
    expect(await due.stateOf(waiting.body.callbackId)).to.equal('delayed');
    const o = await eventually(() => db.getRepository(Callback).findOneByOrFail({ id: overdue.body.callbackId }), (c) => c.state === 'queued', 150, 200);
    const dueEntries = () => db.getRepository(InteractionEvent).countBy({ interactionId: o.interactionId, type: 'callback.due' });
    // Its run writes the entry before the job is completed, and a completed job is not run again.
    await eventually(() => due.stateOf(overdue.body.callbackId), (s) => s === 'completed', 150, 200);
    expect(await dueEntries(), 'the overdue job ran once').to.equal(1);
  });
});
