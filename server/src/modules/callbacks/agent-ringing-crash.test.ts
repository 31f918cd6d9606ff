// The instance holding a customer-first callback dies (kill -9) while the agent's extension rings:
// another instance, finding the call's live-call record once the heartbeat lapsed, hangs up on the
// waiting customer and CANCELs the agent's INVITE — RFC 3261 §9.1, with the dead instance's own
// Via and branch — so the agent's phone stops ringing at once rather than at its own timeout.
// Directly, and through a record-routing Kamailio (a stateful proxy: it matches the CANCEL to its
// INVITE transaction by that Via and relays it). An agent-first callback's agent leg the same way,
// the attempt still settled by its job's takeover.
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnServer, startTestServer, type TestServer } from '../../test/server.js';
import { makeConfigDir } from '../../test/config.js';
import { eventually } from '../../test/redis.js';
import { accept, api, login, nextOffer, openDesktop, openQueues, setState, uniquePrefix } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { kamailioFront } from '../../test/callbacks.js';
import { Call } from '../calls/index.js';
import { Callback } from './callback.entity.js';
import { CallbackAttempt } from './attempt.entity.js';
import { freePort, sipp, waitForUdpListener, type SippProcess } from '../../../../sip/dist/test/support/services.js';
import type { Kamailio } from '../../../../sip/dist/test/support/kamailio.js';

/** The requests of `method` a sipp phone received, as text (a UDP retransmission counted once). */
function received(trace: string, method: string): string[] {
  return [...new Set(readFileSync(trace, 'utf8').split(/^-{20,}.*$/m).flatMap((chunk) => {
    const start = new RegExp(`^${method} \\S+ SIP/2\\.0$`, 'm').exec(chunk);
    return start && /message received/i.test(chunk.slice(0, start.index)) ? [chunk.slice(start.index).replace(/\s+$/, '')] : [];
  }))];
}
const header = (text: string, name: string) => new RegExp(`^${name}:\\s*(.*?)\\s*$`, 'im').exec(text)?.[1];
const branch = (text: string) => /;branch=([^;\s]+)/.exec(header(text, 'Via') ?? '')?.[1];

describe('callbacks: the agent\'s phone ringing when the instance that rang it dies', function () {
  this.timeout(240_000);
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  function phone(scenario: string, port: number): { p: SippProcess; trace: string } {
    const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-ring-crash-')), 'trace.log');
    const p = sipp({ scenario, port, calls: 1, timeoutS: 200, extra: ['-trace_msg', '-message_file', trace] });
    cleanup.push(() => p.kill());
    return { p, trace };
  }

  /** The CANCEL the phone got is the one §9.1 asks for the INVITE it got (directly: same Via). */
  function expectCancelOf(invite: string, cancel: string): void {
    expect(cancel.split('\n')[0]!.replace('CANCEL', 'INVITE')).to.equal(invite.split('\n')[0]);
    for (const h of ['Call-ID', 'From', 'To']) expect(header(cancel, h), h).to.equal(header(invite, h));
    expect(header(cancel, 'CSeq')).to.equal(header(invite, 'CSeq')!.replace('INVITE', 'CANCEL'));
    expect(header(cancel, 'Via'), 'the INVITE\'s Via: sent-by and branch').to.equal(header(invite, 'Via'));
  }

  /**
   * The instance to be killed (a process, on SIP ports of its own), an agent with `extension`
   * available on it, and a visitor's ASAP callback offered to and accepted by that agent.
   */
  async function acceptedOnFirstInstance(set: Record<string, unknown>, extension: string) {
    const redisPrefix = uniquePrefix();
    const [udp, ws] = [await freePort(), await freePort()];
    const first = await spawnServer(makeConfigDir({ redisPrefix, set: { ...set, 'switchboard.yaml:sip.udpPort': udp, 'switchboard.yaml:sip.tcpPort': udp, 'switchboard.yaml:sip.wsPort': ws } }));
    cleanup.push(() => first.proc.exitCode === null && first.proc.kill('SIGKILL'));
    const admin = await login(first.url);
    const username = `ring-${extension}`;
    const made = await api(first.url, 'POST', '/api/agents', { username, name: 'Ringing Agent', role: 'agent', password: 'callback-password-1', extension, capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const token = await login(first.url, username, 'callback-password-1');
    const agent = { id: made.body.agent.id as string, username, token, socket: await openDesktop(first.url, token) };
    cleanup.push(() => agent.socket.close());
    await setState(first.url, agent, 'available');

    const r = await widget(first.url, 'POST', '/callbacks', { fields: { phone: '06 1234 5678' }, slot: 'asap' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const offer = await nextOffer(agent, 60_000);
    const accepted = await accept(first.url, agent, offer.offerId);
    expect(accepted.status, JSON.stringify(accepted.body)).to.equal(200);
    return { redisPrefix, first, r };
  }

  it('agent first: the agent\'s extension ringing for an accepted callback is CANCELled; the attempt is settled by its job\'s takeover, the customer never called', async () => {
    const extension = String(400000 + Math.floor(Math.random() * 499999));
    const agentPort = await freePort();
    const agentPhone = phone('uas-ring-until-cancel.xml', agentPort);
    await waitForUdpListener(agentPort, agentPhone.p);
    const set = openQueues({
      'switchboard.yaml:sip.enabled': true,
      'switchboard.yaml:redis.jobLockSeconds': 3,
      'switchboard.yaml:redis.jobStalledCheckSeconds': 1,
      'trunks.yaml:trunks.0.port': agentPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
      'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 60, answerTimeoutSeconds: 180 },
    });
    const { redisPrefix, first, r } = await acceptedOnFirstInstance(set, extension);
    const [invite] = await eventually(async () => received(agentPhone.trace, 'INVITE'), (l) => l.length === 1, 600, 100);
    expect(invite, 'leg A: the agent\'s extension').to.match(new RegExp(`^INVITE sip:${extension}@`));

    first.proc.kill('SIGKILL');
    const second: TestServer = await startTestServer({ redisPrefix, set: { ...set } });
    cleanup.push(() => second.stop());

    const agentDone = await agentPhone.p.done;
    expect(agentDone.code, `${agentDone.stdout}\n${agentDone.stderr}`).to.equal(0);
    const [cancel, ...more] = received(agentPhone.trace, 'CANCEL');
    expect(more, 'one CANCEL').to.deep.equal([]);
    expectCancelOf(invite!, cancel!);
    expect(received(agentPhone.trace, 'INVITE'), 'the customer (same trunk) was never called').to.have.length(1);

    // The survivor closed the call; the attempt is the job's to settle, as before: interrupted, retried.
    const db = second.sb.kernel.db;
    const attempt = await eventually(() => db.getRepository(CallbackAttempt).findOneBy({ callbackId: r.body.callbackId, attempt: 1 }), (a) => a?.outcome !== 'dialling', 300, 200);
    expect(attempt!.outcome).to.equal('failed');
    expect(attempt!.cause).to.contain('interrupted');
    const cb = await eventually(() => db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId }), (c) => c.state === 'scheduled', 100, 200);
    expect(cb.jobId).to.equal(`${cb.id}-2`);
    const call = await eventually(() => db.getRepository(Call).findOneBy({ id: attempt!.callId! }), (c) => !!c?.endedAt, 100, 200);
    expect(call!.endCause).to.equal('server-lost');
  });

  for (const viaProxy of [false, true]) {
    it(viaProxy
      ? 'through a record-routing Kamailio: the survivor\'s CANCEL reaches the proxy with the INVITE\'s Via, the proxy relays it, the phone stops ringing'
      : 'the survivor CANCELs the ringing extension\'s INVITE with its Request-URI, Call-ID, From, To, CSeq and Via branch, and hangs up on the customer', async () => {
      const extension = String(400000 + Math.floor(Math.random() * 499999));
      const [agentPort, customerPort] = [await freePort(), await freePort()];
      const agentPhone = phone(viaProxy ? 'uas-behind-proxy-ring-until-cancel.xml' : 'uas-ring-until-cancel.xml', agentPort);
      // Answers, then waits for a BYE: it ends well only if the survivor hangs up on it.
      const customerPhone = phone('uas-answer-any.xml', customerPort);
      await waitForUdpListener(agentPort, agentPhone.p);
      await waitForUdpListener(customerPort, customerPhone.p);
      let k: Kamailio | undefined;
      if (viaProxy) {
        k = await kamailioFront(extension, agentPort, customerPort);
        cleanup.push(() => k!.stop());
      }
      const dialPlan = { countryCode: '39', outsideLinePrefix: '0' };
      const set = openQueues({
        'switchboard.yaml:sip.enabled': true,
        'trunks.yaml:trunks.0.port': k ? k.port : agentPort,
        'trunks.yaml:trunks.0.optionsPingSeconds': 0,
        'trunks.yaml:trunks.0.dialPlan': dialPlan,
        'queues.yaml:queues.3.offerTimeoutSeconds': 120,
        ...(k ? {} : { 'trunks.yaml:trunks.1': { id: 'customers', name: 'Customers', host: '127.0.0.1', port: customerPort, optionsPingSeconds: 0, dialPlan } }),
        'queues.yaml:queues.3.callback': {
          ...(k ? {} : { trunk: 'customers' }),
          attempts: 3, retryMinutes: 60, answerTimeoutSeconds: 180, customerWaitSeconds: 600,
          order: 'customer-first', announcement: 'prompts/callback-connecting.en.wav',
        },
      });
      const { redisPrefix, first } = await acceptedOnFirstInstance(set, extension);
      // The agent's extension rings (it answered 180) and never answers.
      const [invite] = await eventually(async () => received(agentPhone.trace, 'INVITE'), (l) => l.length === 1, 600, 100);

      first.proc.kill('SIGKILL');
      const second: TestServer = await startTestServer({ redisPrefix, set: { ...set } });
      cleanup.push(() => second.stop());

      // Both phones' scenarios end well: the agent's only on a CANCEL, the customer's only on a BYE.
      const [agentDone, customerDone] = await Promise.all([agentPhone.p.done, customerPhone.p.done]);
      expect(agentDone.code, `${agentDone.stdout}\n${agentDone.stderr}`).to.equal(0);
      expect(customerDone.code, `${customerDone.stdout}\n${customerDone.stderr}`).to.equal(0);
      const [cancel, ...more] = received(agentPhone.trace, 'CANCEL');
      expect(more, 'one CANCEL').to.deep.equal([]);
      if (k) {
        expect(cancel!.split('\n')[0]!.replace('CANCEL', 'INVITE')).to.equal(invite!.split('\n')[0]);
        for (const h of ['Call-ID', 'From', 'To']) expect(header(cancel!, h), h).to.equal(header(invite!, h));
        expect(header(cancel!, 'CSeq')).to.equal(header(invite!, 'CSeq')!.replace('INVITE', 'CANCEL'));
        // The proxy relayed it with its own Via on top, for its own branch of the INVITE.
        expect(branch(cancel!), 'the proxy\'s branch of the INVITE').to.equal(branch(invite!));
        // The proxy would CANCEL the INVITE on its own after its fr_inv_timer (120 s): this one is
        // the survivor's, sent from the survivor's SIP port.
        const sightings = k.seen().filter((s) => s.method === 'CANCEL' && s.callId === header(invite!, 'Call-ID'));
        expect(sightings.map((s) => s.source), 'the survivor\'s CANCEL went through the proxy').to.deep.equal([`127.0.0.1:${second.sb.contexts.calls()!.engine.stack.local('udp').port}`]);
      } else {
        expectCancelOf(invite!, cancel!);
      }
    });
  }
});
