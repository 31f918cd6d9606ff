// Customer-first calls (callbacks): the customer (a sipp phone behind the trunk) is called with
// rtpengine in place of the agent, hears the announcement from rtpengine's player, and is then
// bridged to the agent's phone (another sipp) without being re-INVITEd. Both phones' media are
// UDP sockets of this test, so the announcement and the conversation are counted where they land.
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RtpEngineRelay } from '../media/relay.js';
import type { LiveCall, LiveCallStore } from '../call/live-calls.js';
import { freePort, rtpengineRelay, sipp, waitForUdpListener, type SippProcess } from './support/services.js';
import { startHarness, type Harness } from './support/harness.js';
import { invitesIn, rtpPeer, talk, toneWav, type RtpPeer } from './support/rtp.js';

const until = async (cond: () => boolean, what: string, tries = 300): Promise<void> => {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(cond(), what).to.equal(true);
};

/** The live-call store as another process would read it: the last record of each call. */
class RecordedLiveCalls implements LiveCallStore {
  readonly calls = new Map<string, LiveCall>();
  readonly dropped: string[] = [];
  /** Every record written, in order. */
  readonly saved: LiveCall[] = [];
  async save(call: LiveCall): Promise<void> {
    this.calls.set(call.callSessionId, structuredClone(call));
    this.saved.push(structuredClone(call));
  }
  async drop(id: string): Promise<void> {
    this.calls.delete(id);
    this.dropped.push(id);
  }
  async lostDialog(): Promise<undefined> {
    return undefined;
  }
  async lostEnded(): Promise<void> {}
}

describe('customer-first calls: the customer first, an announcement, then the agent', function () {
  this.timeout(60_000);
  let relay: RtpEngineRelay;
  let h: Harness | undefined;
  const cleanup: Array<() => void> = [];
  before(async () => {
    relay = await rtpengineRelay();
  });
  after(() => relay.close());
  afterEach(async () => {
    for (const c of cleanup.splice(0)) c();
    if (h) {
      try {
        await h.assertClean();
      } finally {
        await h.close();
        h = undefined;
      }
    }
  });

  async function phone(scenario: string, rtp?: RtpPeer, extra: string[] = []): Promise<{ port: number; p: SippProcess; trace: string }> {
    const port = await freePort();
    const trace = join(mkdtempSync(join(tmpdir(), 'sb-cf-')), 'trace.log');
    const p = sipp({ scenario, port, calls: 1, timeoutS: 50, extra: [...(rtp ? ['-set', 'rtp_port', String(rtp.port)] : []), '-trace_msg', '-message_file', trace, ...extra] });
    cleanup.push(p.kill);
    await waitForUdpListener(port, p);
    return { port, p, trace };
  }

  it('plays the announcement to the answered customer only, then bridges the agent with RTP both ways; nothing is left', async () => {
    const [customerRtp, agentRtp] = [await rtpPeer(), await rtpPeer()];
    cleanup.push(() => customerRtp.socket.close(), () => agentRtp.socket.close());
    const customer = await phone('uas-answer-media.xml', customerRtp);
    const agent = await phone('uas-answer-media.xml', agentRtp);
    const live = new RecordedLiveCalls();
    h = await startHarness({ pbxPort: customer.port, relay, liveCalls: live });
    const { session, answered } = h.cc.dialCustomer({ number: '0612345678', context: { interactionId: 'int-cf-1', name: 'Ada' }, callerId: '0200', placedBy: { context: 'callbacks', ref: 'cb-1/1' } });
    expect(await answered).to.deep.equal({ answered: true });
    // No agent yet: the call's events do not name the interaction (it waits in its queue).
    expect(h.events.filter((e) => (e.payload as { interactionId?: string }).interactionId)).to.deep.equal([]);
    // The waiting customer is on record for another process to hang up on if this one dies: their
    // dialog and the media session, without the interaction (routing withdraws it, not the call's end).
    await until(() => live.calls.has(session.id), 'the waiting call is recorded as live');
    const waiting = live.calls.get(session.id)!;
    expect(waiting.interactionId).to.equal(undefined);
    // Who placed it, for the process ending it to tell: nobody else would.
    expect(waiting.placedBy).to.deep.equal({ context: 'callbacks', ref: 'cb-1/1' });
    expect(waiting.media).to.deep.equal({ callId: session.id, fromTag: waiting.media?.fromTag });
    expect(waiting.legs.map((l) => [l.dialog?.callId, l.dialog?.remote.params.tag])).to.deep.equal([[session.bDialog!.callId, session.bDialog!.remoteTag]]);
    expect(await session.announce(toneWav(1))).to.equal(1000);
    await until(() => customerRtp.received >= 45, `announcement packets at the customer (${customerRtp.received})`);
    expect(agentRtp.received, 'nothing reaches the agent, who is not called yet').to.equal(0);
    // Played again when it ends, until an agent is connected.
    await until(() => customerRtp.received >= 95, `announcement played again (${customerRtp.received})`);

    const r = await h.cc.connectAgent(session, { a: { kind: 'uri', uri: `sip:agent@127.0.0.1:${agent.port}` }, context: { interactionId: 'int-cf-1', name: 'Ada' }, timeoutMs: 10_000 });
    expect(r).to.deep.equal({ connected: true });
    expect(session.state).to.equal('answered');
    const answeredEvent = h.events.find((e) => e.name === 'answered')?.payload as { interactionId?: string } | undefined;
    expect(answeredEvent?.interactionId, 'once bridged the call names its interaction').to.equal('int-cf-1');
    await until(() => live.calls.get(session.id)?.legs.length === 2, 'the record holds both legs once bridged');
    expect(live.calls.get(session.id)?.interactionId).to.equal('int-cf-1');
    // While the agent's phone rang the record named its INVITE (for a CANCEL by another process);
    // the write once bridged no longer does.
    const ringing = live.saved.filter((c) => c.ringing).map((c) => c.ringing!);
    expect(ringing, 'one write before the agent\'s INVITE').to.have.length(1);
    expect(ringing[0]!.map((i) => [i.uri, i.callId, i.cseq, i.flow.port])).to.deep.equal([[`sip:agent@127.0.0.1:${agent.port}`, session.aDialog!.callId, 1, agent.port]]);
    expect(live.calls.get(session.id)?.ringing).to.equal(undefined);

    const toCustomer = invitesIn(customer.trace);
    const toAgent = invitesIn(agent.trace);
    expect(toCustomer, 'the customer got one INVITE: never re-INVITEd').to.have.length(1);
    expect(toAgent).to.have.length(1);
    const agentInvite = readFileSync(agent.trace, 'utf8');
    expect(agentInvite, 'the agent sees who it is and the interaction').to.match(/^From: "Callback: Ada"/m).and.match(/^X-Interaction-Id: int-cf-1/im);
    const [heardByCustomer, heardByAgent] = [customerRtp.received, agentRtp.received];
    let talking = true;
    const enough = () => customerRtp.received >= heardByCustomer + 50 && agentRtp.received >= heardByAgent + 50;
    await Promise.all([talk(customerRtp, toCustomer[0]!, () => enough() || !talking), talk(agentRtp, toAgent[0]!, () => enough() || !talking)]);
    talking = false;
    expect(agentRtp.received - heardByAgent, 'RTP from the customer at the agent').to.be.at.least(50);
    expect(customerRtp.received - heardByCustomer, 'RTP from the agent at the customer').to.be.at.least(50);

    await session.teardown('callee-hangup');
    expect((await customer.p.done).code, 'customer phone (expects the BYE)').to.equal(0);
    expect((await agent.p.done).code, 'agent phone (expects the BYE)').to.equal(0);
    expect(live.calls.has(session.id), 'an ended call leaves no record').to.equal(false);
    expect(live.dropped).to.deep.equal([session.id]);
  });

  it('a busy customer is reported as such, with nothing to clean up', async () => {
    const customer = await phone('uas-busy.xml');
    h = await startHarness({ pbxPort: customer.port, relay });
    const { answered } = h.cc.dialCustomer({ number: '0612345678' });
    expect(await answered).to.deep.equal({ answered: false, status: 486 });
    expect((await customer.p.done).code).to.equal(0);
  });

  it('a customer who hangs up while waiting ends the call; the agent cannot be connected any more', async () => {
    const customer = await phone('uas-bye-first.xml');
    const live = new RecordedLiveCalls();
    h = await startHarness({ pbxPort: customer.port, relay, liveCalls: live });
    const { session, answered } = h.cc.dialCustomer({ number: '0612345678', context: { interactionId: 'int-cf-2' } });
    expect(await answered).to.deep.equal({ answered: true });
    const ended = await new Promise<string>((r) => session.once('ended', r));
    expect(ended).to.equal('callee-hangup');
    // The record (if it was written before the BYE came) is gone before the call says it ended.
    expect(live.calls.has(session.id), 'no record left').to.equal(false);
    const endedEvent = h.events.find((e) => e.name === 'ended')?.payload as { interactionId?: string } | undefined;
    expect(endedEvent, 'ended').to.not.equal(undefined);
    expect(endedEvent?.interactionId, 'the end of a call no agent had does not close the interaction').to.equal(undefined);
    const r = await h.cc.connectAgent(session, { a: { kind: 'uri', uri: 'sip:agent@127.0.0.1:9' }, timeoutMs: 1000 });
    expect(r.connected).to.equal(false);
    expect((await customer.p.done).code).to.equal(0);
  });

  it('an agent leg that fails leaves the customer waiting, and another agent can be connected', async () => {
    const customerRtp = await rtpPeer();
    cleanup.push(() => customerRtp.socket.close());
    const customer = await phone('uas-answer-media.xml', customerRtp);
    const busyAgent = await phone('uas-busy.xml');
    const agent = await phone('uas-answer-media.xml', await rtpPeer());
    const live = new RecordedLiveCalls();
    h = await startHarness({ pbxPort: customer.port, relay, liveCalls: live });
    const { session, answered } = h.cc.dialCustomer({ number: '0612345678' });
    expect(await answered).to.deep.equal({ answered: true });
    expect(await h.cc.connectAgent(session, { a: { kind: 'uri', uri: `sip:agent@127.0.0.1:${busyAgent.port}` }, timeoutMs: 10_000 })).to.deep.include({ connected: false, status: 486 });
    expect(session.state).to.not.equal('ended');
    // The customer still waits: their record no longer names the refused INVITE.
    await until(() => live.saved.length >= 3, 'the record written again after the refusal');
    expect(live.saved.map((c) => c.ringing?.map((i) => i.flow.port))).to.deep.equal([undefined, [busyAgent.port], undefined]);
    expect(await h.cc.connectAgent(session, { a: { kind: 'uri', uri: `sip:agent@127.0.0.1:${agent.port}` }, timeoutMs: 10_000 })).to.deep.equal({ connected: true });
    await session.teardown('callee-hangup');
    expect((await customer.p.done).code).to.equal(0);
    expect((await agent.p.done).code).to.equal(0);
  });
});
