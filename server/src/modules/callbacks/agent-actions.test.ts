// The agent's side of a callback: preview mode waits for the agent's Call, Call again dials a
// callback waiting for its retry at once (its pending job removed), reschedule replaces the job
// with one for the new time, close ends it for good with a disposition. Only the agent handling
// it may act; every malformed request is refused with a code and changes nothing.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CallbackDueJob } from './due-job.js';
import { CallbackDialJob } from './dial-job.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { api, login, makeAgent, startRoutingServer, type TestServer } from '../../test/routing.js';
import { attemptsOf, callbackOf, closeStage, dialStage, takeOffer, type DialStage } from '../../test/callbacks.js';

const PREVIEW = { 'queues.yaml:queues.3.callback': { mode: 'preview', attempts: 3, retryMinutes: 5 } };
const interactionOf = (t: TestServer, id: string) => t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id });
const invites = (trace: string) => (readFileSync(trace, 'utf8').match(/^INVITE sip:/gm) ?? []).length;

describe('callbacks: the agent calls, calls again, reschedules or closes', function () {
  this.timeout(180_000);

  it('preview mode: accepting dials nothing; the agent reads the callback, presses Call, and the customer is dialled once', async () => {
    let x: DialStage | undefined;
    try {
      x = await dialStage('uas-answer-any.xml', 1, PREVIEW);
      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678', message: 'about my order' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const interactionId = await takeOffer(x);
      const read = await api(x.t.url, 'GET', `/api/interactions/${interactionId}/callback`, undefined, x.agent.token);
      expect(read.status, JSON.stringify(read.body)).to.equal(200);
      expect(read.body.callback).to.include({ callbackId: r.body.callbackId, state: 'queued', mode: 'preview', attempts: 0, maxAttempts: 3, phoneNumber: '0612345678' });
      expect(await new CallbackDialJob(x.t.sb.contexts.callbacks, x.t.sb.contexts.calls).stateOf(`${r.body.callbackId}-dial-1`)).to.equal(null);

      const call = await api(x.t.url, 'POST', `/api/callbacks/${r.body.callbackId}/dial`, undefined, x.agent.token);
      expect(call.status, JSON.stringify(call.body)).to.equal(202);
      const done = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'completed', 200);
      expect((await attemptsOf(x.t, done.id)).map((a) => [a.attempt, a.outcome, a.agentId])).to.deep.equal([[1, 'answered', x.agent.id]]);
      expect(invites(x.trace)).to.equal(1);
      // Pressed again while the call is up: it is not dialled a second time.
      const again = await api(x.t.url, 'POST', `/api/callbacks/${r.body.callbackId}/dial`, undefined, x.agent.token);
      expect(again.status).to.be.oneOf([202, 409]);
      await x.phone.incoming[0]!.bye();
      await eventually(() => interactionOf(x!.t, done.interactionId), (i) => i.state === 'closed');
    } finally {
      await closeStage(x);
    }
  });

  it('Call again: a callback waiting for its retry is dialled now by the agent, its retry job removed', async () => {
    let x: DialStage | undefined;
    try {
      x = await dialStage('uas-busy.xml', 2, { 'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 30 } });
      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: '0612345678' }, slot: 'asap' });
      await takeOffer(x);
      const waiting = await eventually(() => callbackOf(x!.t, r.body.callbackId), (c) => c.state === 'scheduled' && c.attempts === 1, 200);
      const due = new CallbackDueJob(x.t.sb.contexts.callbacks);
      await eventually(() => due.stateOf(waiting.jobId!), (st) => st === 'delayed');

      const call = await api(x.t.url, 'POST', `/api/callbacks/${waiting.id}/dial`, undefined, x.agent.token);
      expect(call.status, JSON.stringify(call.body)).to.equal(202);
      expect(await due.stateOf(waiting.jobId!)).to.equal(null);
      const retried = await eventually(() => callbackOf(x!.t, waiting.id), (c) => c.state === 'scheduled' && c.attempts === 2, 200);
      const attempts = await attemptsOf(x.t, waiting.id);
      expect(attempts.map((a) => [a.attempt, a.outcome, a.agentId])).to.deep.equal([[1, 'busy', x.agent.id], [2, 'busy', x.agent.id]]);
      // The second attempt ran on the held retry interaction, taken by the agent.
      expect(attempts[1]!.interactionId).to.equal(waiting.interactionId);
      expect(retried.jobId).to.equal(`${waiting.id}-3`);
      expect(invites(x.trace)).to.equal(2);
    } finally {
      await closeStage(x);
    }
  });

  it('reschedule replaces the job with one at the new time on a held interaction; close ends it with a disposition and no job', async () => {
    const t = await startRoutingServer(PREVIEW);
    try {
      const admin = await login(t.url);
      const agent = await makeAgent(t.url, admin);
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 1234 5678' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const first = await takeOffer({ t, agent });
      const at = new Date(Date.now() + 2 * 3_600_000);
      const moved = await api(t.url, 'POST', `/api/callbacks/${r.body.callbackId}/reschedule`, { at: at.toISOString() }, agent.token);
      expect(moved.status, JSON.stringify(moved.body)).to.equal(200);
      expect(moved.body.callback).to.include({ state: 'scheduled', dueAt: at.toISOString() });
      const cb = await callbackOf(t, r.body.callbackId);
      expect(cb.jobId).to.equal(`${cb.id}-2`);
      expect(cb.interactionId).to.not.equal(first);
      expect((await interactionOf(t, first)).state).to.equal('closed');
      expect((await interactionOf(t, cb.interactionId)).state).to.equal('new');
      const due = new CallbackDueJob(t.sb.contexts.callbacks);
      expect(await due.stateOf(cb.jobId!)).to.equal('delayed');
      const journey = await t.sb.kernel.db.getRepository(InteractionEvent).findOneByOrFail({ interactionId: cb.interactionId, type: 'callback.rescheduled' });
      expect(journey.data).to.include({ dueAt: at.toISOString(), jobId: cb.jobId, previous: first });

      // Due at the new time: offered again, taken, then closed by the agent.
      await due.runNow(cb.jobId!);
      const second = await takeOffer({ t, agent });
      expect(second).to.equal(cb.interactionId);
      const closed = await api(t.url, 'POST', `/api/callbacks/${cb.id}/close`, { disposition: 'wrong-number' }, agent.token);
      expect(closed.status, JSON.stringify(closed.body)).to.equal(200);
      expect(closed.body.callback.state).to.equal('closed');
      expect(await interactionOf(t, second)).to.include({ state: 'closed', dispositionId: 'wrong-number' });
      expect(await due.stateOf(cb.jobId!)).to.be.oneOf([null, 'completed']);
      const after = await api(t.url, 'POST', `/api/callbacks/${cb.id}/dial`, undefined, agent.token);
      expect(after.status).to.equal(409);
      agent.socket.close();
    } finally {
      await t.stop();
    }
  });

  it('refuses other agents, anonymous callers and malformed requests with a clear code, and changes nothing', async () => {
    const t = await startRoutingServer(PREVIEW);
    try {
      const admin = await login(t.url);
      const agent = await makeAgent(t.url, admin);
      const other = await makeAgent(t.url, admin, { available: false });
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '0612345678' }, slot: 'asap' });
      const interactionId = await takeOffer({ t, agent });
      const id = r.body.callbackId as string;
      const future = new Date(Date.now() + 3_600_000).toISOString();

      for (const [method, path, body] of [
        ['GET', `/api/callbacks/${id}`, undefined],
        ['GET', `/api/interactions/${interactionId}/callback`, undefined],
        ['POST', `/api/callbacks/${id}/dial`, undefined],
        ['POST', `/api/callbacks/${id}/reschedule`, { at: future }],
        ['POST', `/api/callbacks/${id}/close`, { disposition: 'resolved' }],
      ] as const) {
        expect((await api(t.url, method, path, body)).status, `${method} ${path} anonymous`).to.equal(401);
        const mine = await api(t.url, method, path, body, other.token);
        expect([mine.status, mine.body.error?.code], `${method} ${path} by another agent`).to.deep.equal([403, 'not_yours']);
      }
      // Supervisors and admins may read any callback, not act on it.
      expect((await api(t.url, 'GET', `/api/callbacks/${id}`, undefined, admin)).status).to.equal(200);
      expect((await api(t.url, 'POST', `/api/callbacks/${id}/dial`, undefined, admin)).status).to.equal(403);

      const garbage: [string, string, unknown, string][] = [
        ['GET', '/api/callbacks/not-an-id', undefined, 'callbackId'],
        ['GET', '/api/interactions/zz/callback', undefined, 'interactionId'],
        ['POST', '/api/callbacks/123/dial', undefined, 'callbackId'],
        ['POST', `/api/callbacks/${id}/reschedule`, {}, 'at'],
        ['POST', `/api/callbacks/${id}/reschedule`, { at: 'tomorrow' }, 'at'],
        ['POST', `/api/callbacks/${id}/reschedule`, { at: new Date(Date.now() - 3_600_000).toISOString() }, 'at'],
        ['POST', `/api/callbacks/${id}/reschedule`, { at: new Date(Date.now() + 90 * 86_400_000).toISOString() }, 'at'],
        ['POST', `/api/callbacks/${id}/reschedule`, { at: future, agentId: other.id }, 'agentId'],
        ['POST', `/api/callbacks/${id}/close`, {}, 'disposition'],
        ['POST', `/api/callbacks/${id}/close`, { disposition: 'no-such-disposition' }, 'disposition'],
        ['POST', `/api/callbacks/${id}/close`, { disposition: 7 }, 'disposition'],
        ['POST', `/api/callbacks/${id}/close`, '{"disposition":', ''],
      ];
      for (const [method, path, body, field] of garbage) {
        const res = await api(t.url, method, path, body, agent.token);
        expect(res.status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`).to.equal(400);
        expect(res.body.error.code).to.equal('invalid_request');
        if (field) expect(JSON.stringify(res.body.error.fields ?? [])).to.include(field);
      }
      const unknown = await api(t.url, 'GET', `/api/callbacks/${randomBytes(16).toString('hex')}`, undefined, agent.token);
      expect([unknown.status, unknown.body.error.code]).to.deep.equal([404, 'not_found']);

      // Nothing changed: still the agent's, queued, never dialled.
      const still = await api(t.url, 'GET', `/api/callbacks/${id}`, undefined, agent.token);
      expect(still.body.callback).to.include({ state: 'queued', attempts: 0, interactionId });
      expect((await interactionOf(t, interactionId)).state).to.equal('assigned');
      agent.socket.close();
      other.socket.close();
    } finally {
      await t.stop();
    }
  });
});
