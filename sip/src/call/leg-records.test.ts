// A call torn down ends its legs together: a recorder that takes them at once is told once.
import { expect } from 'chai';
import { pino } from 'pino';
import { LegRecords } from './leg-records.js';
import { InMemoryCallRecorder, type EndCause, type LegEnd, type LegInfo } from './recorder.js';

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

  it("writes a leg's ringing with its answer when both wait behind another write, and at once otherwise", async () => {
    const writes: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const recorder = new (class extends InMemoryCallRecorder {
      override legCreated(leg: LegInfo): Promise<void> {
        writes.push('created');
        super.legCreated(leg);
        return slow;
      }
      override legRinging(legId: string, when: Date): void {
        writes.push('ringing');
        super.legRinging(legId, when);
      }
      override legAnswered(legId: string, when: Date, tag: string, ringingAt?: Date): void {
        writes.push(ringingAt ? 'answered, rang' : 'answered');
        super.legAnswered(legId, when, tag, ringingAt);
      }
    })();
    const legs = new LegRecords(recorder, { callSessionId: 's3', info: {} }, () => log);
    const a = legs.created('outbound', { callId: 'a', ...ids }, 'sip:sb@x', 'sip:201@x');
    legs.ringing(a);
    legs.ringing(a);
    legs.answered(a, 'tag-a');
    release();
    await legs.settled;
    expect(writes).to.deep.equal(['created', 'answered, rang']);
    expect(recorder.legs.get(a)?.ringingAt).to.be.instanceOf(Date);
    expect(recorder.legs.get(a)?.answeredAt).to.be.instanceOf(Date);
    // Nothing to wait for: ringing is written when it happens; behind a write with no answer after it, as soon as its turn comes.
    const b = legs.created('outbound', { callId: 'b', ...ids }, 'sip:sb@x', 'sip:0612@x');
    await legs.settled;
    legs.ringing(b);
    expect(writes.at(-1)).to.equal('ringing');
    legs.answered(b, 'tag-b');
    await legs.settled;
    expect(writes.slice(-2)).to.deep.equal(['ringing', 'answered']);
  });

  it('writes a leg answered before its record was sent (waiting behind another write) answered, in that one write', async () => {
    const writes: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const recorder = new (class extends InMemoryCallRecorder {
      override legCreated(leg: LegInfo): void {
        writes.push(leg.answeredAt ? `created ${leg.callId}, answered ${leg.remoteTag}${leg.ringingAt ? ', rang' : ''}` : `created ${leg.callId}`);
        super.legCreated(leg);
      }
      override legAnswered(legId: string, when: Date, tag: string, ringingAt?: Date): Promise<void> {
        writes.push(`answered ${tag}`);
        super.legAnswered(legId, when, tag, ringingAt);
        return slow;
      }
    })();
    const legs = new LegRecords(recorder, { callSessionId: 's4', info: {} }, () => log);
    const a = legs.created('outbound', { callId: 'a', ...ids }, 'sip:sb@x', 'sip:201@x');
    legs.answered(a, 'tag-a');
    const b = legs.created('outbound', { callId: 'b', ...ids }, 'sip:sb@x', 'sip:0612@x');
    legs.ringing(b);
    legs.answered(b, 'tag-b');
    release();
    await legs.settled;
    expect(writes).to.deep.equal(['created a', 'answered tag-a', 'created b, answered tag-b, rang']);
    expect(recorder.legs.get(b)).to.include({ remoteTag: 'tag-b' });
    expect(recorder.legs.get(b)?.answeredAt).to.be.instanceOf(Date);
    // Sent before its answer: answered on its own, as before.
    const c = legs.created('outbound', { callId: 'c', ...ids }, 'sip:sb@x', 'sip:0613@x');
    legs.answered(c, 'tag-c');
    await legs.settled;
    expect(writes.slice(-2)).to.deep.equal(['created c', 'answered tag-c']);
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
