// A dial job waits for its own call's answer or end among every call in progress: the events of
// all calls come through one pair of listeners and each reaches the job of its call only.
import { expect } from 'chai';
import { CallEvents, type EndCause } from '@switchboard/sip';
import { CallEnds, type Settled } from './call-ends.js';

const HOUR = 3_600_000;

/** What the promise gave, or 'waiting' when it has not settled. */
function now(p: Promise<Settled>): Promise<Settled | 'waiting'> {
  return Promise.race([p, Promise.resolve('waiting' as const)]);
}

function session(id: string, teardowns: string[] = []) {
  return { id, teardown: async (cause: EndCause) => void teardowns.push(`${id} ${cause}`) };
}

function ended(events: CallEvents, callSessionId: string, cause: EndCause, status?: number, detail?: string): void {
  events.emit('ended', { callSessionId, at: new Date(), cause, description: cause, ...(status ? { status } : {}), ...(detail ? { detail } : {}) });
}

describe('callbacks: a dial job hears its own call', () => {
  it("gives each call's end or answer to the job of that call, and to no other", async () => {
    const events = new CallEvents();
    const ends = new CallEnds(events);
    const teardowns: string[] = [];
    const a = ends.settled(session('a', teardowns), HOUR);
    const b = ends.settled(session('b', teardowns), HOUR);
    const c = ends.settled(session('c', teardowns), HOUR);

    ended(events, 'b', 'busy', 486);
    expect(await now(b)).to.deep.equal({ answered: false, cause: 'busy', status: 486 });
    expect(await now(a)).to.equal('waiting');
    expect(await now(c)).to.equal('waiting');

    events.emit('answered', { callSessionId: 'c', at: new Date() });
    expect(await now(c)).to.deep.equal({ answered: true });
    expect(await now(a)).to.equal('waiting');

    // Another call's events, and a settled call's later end, reach nobody.
    events.emit('answered', { callSessionId: 'elsewhere', at: new Date() });
    ended(events, 'c', 'callee-hangup', 200);
    expect(await now(a)).to.equal('waiting');

    ended(events, 'a', 'media-failed', undefined, 'no ports');
    expect(await now(a)).to.deep.equal({ answered: false, cause: 'media-failed', detail: 'no ports' });
    expect(ends.size).to.equal(0);
    expect(teardowns).to.deep.equal([]);
  });

  it('listens with one pair of listeners however many calls are waited on, the same for every job of one server', () => {
    const events = new CallEvents();
    const ends = CallEnds.of(events);
    for (let i = 0; i < 50; i++) void ends.settled(session(`call-${i}`), HOUR);
    expect(CallEnds.of(events)).to.equal(ends);
    expect(ends.size).to.equal(50);
    expect(events.listenerCount('answered')).to.equal(1);
    expect(events.listenerCount('ended')).to.equal(1);
    for (let i = 0; i < 50; i++) ended(events, `call-${i}`, 'canceled', 487);
    expect(ends.size).to.equal(0);
  });

  it('tears a call down as not answered when the timeout passes, and its end settles the job', async () => {
    const events = new CallEvents();
    const ends = new CallEnds(events);
    const teardowns: string[] = [];
    const s = session('slow', teardowns);
    const settled = ends.settled({ id: s.id, teardown: async (cause: EndCause, status: number) => (await s.teardown(cause), ended(events, s.id, cause, status)) }, 0);
    expect(await settled).to.deep.equal({ answered: false, cause: 'no-answer', status: 408 });
    expect(teardowns).to.deep.equal(['slow no-answer']);
  });
});
