// A call torn down ends its legs together: a recorder that takes them at once is told once.
import { expect } from 'chai';
import { pino } from 'pino';
import { LegRecords } from './leg-records.js';
import { InMemoryCallRecorder, type EndCause, type LegEnd } from './recorder.js';

describe('leg records: legs ending together', () => {
  const log = pino({ level: 'silent' });
  const at = new Date('2026-12-06T10:00:00.000Z');
  const ids = { localTag: 'l' };

  class Together extends InMemoryCallRecorder {
    readonly writes: string[][] = [];
    override legEnded(end: LegEnd): void {
      this.writes.push([end.legId]);
      super.legEnded(end);
    }
    legsEnded(legIds: string[], when: Date, cause: EndCause, status?: number): void {
      this.writes.push(legIds);
      for (const legId of legIds) super.legEnded({ legId, at: when, cause, ...(status ? { status } : {}) });
    }
  }

  it('hands the legs of a torn-down call to the recorder in one write, and a lone leg as before', async () => {
    const recorder = new Together();
    const legs = new LegRecords(recorder, { callSessionId: 's1', info: {} }, () => log);
    const a = legs.created('outbound', { callId: 'a', ...ids }, 'sip:sb@x', 'sip:201@x');
    const b = legs.created('outbound', { callId: 'b', ...ids }, 'sip:sb@x', 'sip:0612@x');
    legs.allEnded([a, b], at, 'callee-hangup', 200);
    await legs.settled;
    expect(recorder.writes).to.deep.equal([[a, b]]);
    for (const id of [a, b]) expect(recorder.legs.get(id)?.ended).to.deep.equal({ legId: id, at, cause: 'callee-hangup', status: 200 });
    const c = legs.created('outbound', { callId: 'c', ...ids }, 'sip:sb@x', 'sip:202@x');
    legs.allEnded([c], at, 'caller-hangup');
    await legs.settled;
    expect(recorder.writes).to.deep.equal([[a, b], [c]]);
  });

  it('ends each leg on its own with a recorder that does not take them together', async () => {
    const recorder = new InMemoryCallRecorder();
    const legs = new LegRecords(recorder, { callSessionId: 's2', info: {} }, () => log);
    const a = legs.created('outbound', { callId: 'a', ...ids }, 'sip:sb@x', 'sip:201@x');
    const b = legs.created('outbound', { callId: 'b', ...ids }, 'sip:sb@x', 'sip:0612@x');
    legs.allEnded([a, b], at, 'media-lost');
    await legs.settled;
    for (const id of [a, b]) expect(recorder.legs.get(id)?.ended).to.deep.equal({ legId: id, at, cause: 'media-lost' });
  });
});
