// Exactly once for customer-first callbacks when an instance dies: a real server process calls
// the customer (their sipp phone rings, never answered) and is killed with -9; another instance
// takes the job over (BullMQ's stalled-job check), finds the attempt's row written before the
// INVITE, records it as interrupted and schedules the next attempt instead of calling again.
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnServer, startTestServer, type TestServer } from '../../test/server.js';
import { makeConfigDir } from '../../test/config.js';
import { eventually } from '../../test/redis.js';
import { openQueues, uniquePrefix } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { Callback } from './callback.entity.js';
import { CallbackAttempt } from './attempt.entity.js';
import { CallbackDueJob } from './due-job.js';
import { freePort, sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';

/** Calls the customer's phone got: INVITEs counted by Call-ID (a UDP retransmission is the same call). */
const invitesTo = (trace: string, number: string) => new Set(
  readFileSync(trace, 'utf8').split(/^-{20,}.*$/m)
    .filter((m) => new RegExp(`^INVITE sip:${number}@`, 'm').test(m))
    .map((m) => /^Call-ID:\s*(\S+)/im.exec(m)?.[1] ?? m),
).size;

describe('callbacks: customer first, exactly once across a kill -9', function () {
  this.timeout(240_000);
  let pbx: ReturnType<typeof sipp> | undefined;
  let first: Awaited<ReturnType<typeof spawnServer>> | undefined;
  let second: TestServer | undefined;
  after(async () => {
    pbx?.kill();
    if (first?.proc.exitCode === null) first.proc.kill('SIGKILL');
    await second?.stop();
  });

  it('does not call the customer twice when the instance calling them dies; the next attempt waits for its backoff', async () => {
    const pbxPort = await freePort();
    const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-cf-crash-')), 'pbx.log');
    pbx = sipp({ scenario: 'uas-no-answer.xml', port: pbxPort, calls: 2, timeoutS: 200, extra: ['-trace_msg', '-message_file', trace] });
    await waitForUdpListener(pbxPort, pbx);
    const redisPrefix = uniquePrefix();
    const set = openQueues({
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:redis.jobLockSeconds': 3,
      'switchboard.yaml:redis.jobStalledCheckSeconds': 1,
      'trunks.yaml:trunks.0.port': pbxPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'queues.yaml:queues.3.callback': {
        attempts: 3, retryMinutes: 60, answerTimeoutSeconds: 300,
        order: 'customer-first', announcement: 'prompts/callback-connecting.en.wav',
      },
    });
    const [udp, ws] = [await freePort(), await freePort()];
    first = await spawnServer(makeConfigDir({ redisPrefix, set: { ...set, 'switchboard.yaml:sip.udpPort': udp, 'switchboard.yaml:sip.tcpPort': udp, 'switchboard.yaml:sip.wsPort': ws } }));

    // Due now: the customer's phone rings before any agent is involved.
    const r = await widget(first.url, 'POST', '/callbacks', { fields: { phone: '+39 06 4444 3333' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    await eventually(async () => invitesTo(trace, '0644443333'), (n) => n === 1, 300, 100);

    first.proc.kill('SIGKILL');
    second = await startTestServer({ redisPrefix, set: { ...set } });
    const db = second.sb.kernel.db;
    const attempt = await eventually(() => db.getRepository(CallbackAttempt).findOneBy({ callbackId: r.body.callbackId, attempt: 1 }), (a) => a?.outcome !== 'dialling', 300, 200);
    expect(attempt).to.include({ outcome: 'failed', agentId: null });
    expect(attempt!.cause).to.contain('interrupted');
    const cb = await eventually(() => db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId }), (c) => c.state === 'scheduled', 100, 200);
    expect(cb.jobId).to.equal(`${cb.id}-2`);
    expect(await new CallbackDueJob(second.sb.contexts.callbacks).stateOf(cb.jobId!)).to.equal('delayed');
    expect(await db.getRepository(CallbackAttempt).countBy({ callbackId: cb.id })).to.equal(1);
    // The run that found the attempt's row ended without calling: the customer got one INVITE.
    expect(invitesTo(trace, '0644443333'), 'calls the customer got').to.equal(1);
  });
});
