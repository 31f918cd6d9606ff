// Exactly once when an instance dies. A real server process dials a callback (the agent's
// softphone answered leg A, the customer's sipp phone is ringing on leg B) and is killed with -9;
// another instance takes the dial job over (BullMQ's stalled-job check), finds the attempt's
// record written before the INVITE, and does not dial again: the customer's phone got one INVITE.
// A callback whose job was waiting for its slot on the dead instance is routed once by the other.
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, login, spawnServer, startTestServer, TestSocket, type TestServer } from '../../test/server.js';
import { makeConfigDir } from '../../test/config.js';
import { eventually } from '../../test/redis.js';
import { openQueues, uniquePrefix } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { Callback } from './callback.entity.js';
import { CallbackAttempt } from './attempt.entity.js';
import { CallbackDueJob } from './due-job.js';
import { CallbackDialJob } from './dial-job.js';
import { softphone, type Softphone } from '../../../../sip/dist/test/support/softphone.js';
import { freePort, sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';

const invitesTo = (trace: string, number: string) => (readFileSync(trace, 'utf8').match(new RegExp(`^INVITE sip:${number}@`, 'gm')) ?? []).length;

describe('callbacks: exactly once across a kill -9', function () {
  this.timeout(240_000);
  let pbx: ReturnType<typeof sipp> | undefined;
  let phone: Softphone | undefined;
  let first: Awaited<ReturnType<typeof spawnServer>> | undefined;
  let second: TestServer | undefined;
  after(async () => {
    await phone?.stop();
    pbx?.kill();
    if (first?.proc.exitCode === null) first.proc.kill('SIGKILL');
    await second?.stop();
  });

  it('neither dials a customer twice when the dialling instance dies, nor loses or doubles a callback waiting for its slot', async () => {
    const pbxPort = await freePort();
    const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-cb-crash-')), 'pbx.log');
    // The customer's phone rings and is never answered.
    pbx = sipp({ scenario: 'uas-no-answer.xml', port: pbxPort, calls: 2, timeoutS: 200, extra: ['-trace_msg', '-message_file', trace] });
    await waitForUdpListener(pbxPort, pbx);
    const redisPrefix = uniquePrefix();
    const set = openQueues({
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:redis.jobLockSeconds': 3,
      'switchboard.yaml:redis.jobStalledCheckSeconds': 1,
      'trunks.yaml:trunks.0.port': pbxPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 60, answerTimeoutSeconds: 300 },
    });
    const [udp, ws] = [await freePort(), await freePort()];
    first = await spawnServer(makeConfigDir({ redisPrefix, set: { ...set, 'switchboard.yaml:sip.udpPort': udp, 'switchboard.yaml:sip.tcpPort': udp, 'switchboard.yaml:sip.wsPort': ws } }));

    const admin = await login(first.url);
    const username = `crash-${Math.random().toString(16).slice(2, 10)}`;
    const extension = String(300000 + Math.floor(Math.random() * 699999));
    const made = await api(first.url, 'POST', '/api/agents', { username, name: 'Crash Agent', role: 'agent', password: 'crash-password-1', extension, capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const token = await login(first.url, username, 'crash-password-1');
    const cred = (await api(first.url, 'GET', '/api/sip/credentials', undefined, token)).body;
    phone = await softphone({ wsPort: ws, username: cred.username, password: cred.password, user: extension, autoAnswer: true });
    expect(await phone.register()).to.equal(200);
    const desk = await TestSocket.open(first.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${token}` });
    expect((await api(first.url, 'PUT', '/api/agents/me/state', { state: 'available' }, token)).status).to.equal(200);

    // One callback waits for a slot; the other is due now, offered, accepted and dialled.
    const slots = await widget(first.url, 'GET', '/callbacks/slots');
    const waiting = await widget(first.url, 'POST', '/callbacks', { fields: { phone: '+39 06 4444 1111' }, slot: slots.body.slots[3].start });
    expect(waiting.status).to.equal(201);
    const dialled = await widget(first.url, 'POST', '/callbacks', { fields: { phone: '+39 06 4444 2222' }, slot: 'asap' });
    expect(dialled.status).to.equal(201);
    const offer = (await desk.next((m) => m.type === 'offer', 30_000)).offer;
    expect((await api(first.url, 'POST', `/api/offers/${offer.offerId}/accept`, undefined, token)).status).to.equal(200);
    await eventually(async () => invitesTo(trace, '0644442222'), (n) => n === 1, 300, 100);

    first.proc.kill('SIGKILL');
    desk.close();
    second = await startTestServer({ redisPrefix, set: { ...set } });
    const db = second.sb.kernel.db;

    const attempt = await eventually(() => db.getRepository(CallbackAttempt).findOneBy({ callbackId: dialled.body.callbackId, attempt: 1 }), (a) => a?.outcome !== 'dialling', 300, 200);
    expect(attempt!.outcome).to.equal('failed');
    expect(attempt!.cause).to.contain('interrupted');
    // The next attempt waits for its backoff.
    const cb = await eventually(() => db.getRepository(Callback).findOneByOrFail({ id: dialled.body.callbackId }), (c) => c.state === 'scheduled', 100, 200);
    expect(await db.getRepository(CallbackAttempt).countBy({ callbackId: cb.id })).to.equal(1);
    // The killed instance's dial job, stalled, ran again here and is over: a second dial would
    // have been sent from it (and would keep it running while the customer's phone rings).
    const dial = new CallbackDialJob(second.sb.contexts.callbacks, () => undefined);
    await eventually(() => dial.stateOf(`${cb.id}-dial-1`), (state) => state === 'completed' || state === 'failed', 300, 200);
    expect(invitesTo(trace, '0644442222'), 'INVITEs the customer got').to.equal(1);

    // The callback waiting for its slot: its job survived the instance and runs once on the other.
    const due = new CallbackDueJob(second.sb.contexts.callbacks);
    expect(await due.stateOf(waiting.body.callbackId)).to.equal('delayed');
    expect(await due.runNow(waiting.body.callbackId)).to.equal(true);
    // Until the run is over: the callback turns queued before the run queues it and writes its step.
    await eventually(() => due.stateOf(waiting.body.callbackId), (state) => state === 'completed', 300, 200);
    const w = await db.getRepository(Callback).findOneByOrFail({ id: waiting.body.callbackId });
    expect(w.state).to.equal('queued');
    // The row says queued before the queueing is journaled: wait for the journey, then count.
    const dues = await eventually(() => db.getRepository(InteractionEvent).countBy({ interactionId: w.interactionId, type: 'callback.due' }), (n) => n > 0, 100, 200);
    expect(dues).to.equal(1);
  });
});
