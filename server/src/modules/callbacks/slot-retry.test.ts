// A callback for a slot is retried only inside that slot: the customer asked to be called between
// its start and its end. Real services as in dialling.test.ts: sipp answers busy as the customer's
// phone behind the trunk, the agent's softphone answers. Every queue is open round the clock, so
// the first slot ends 60 to 90 minutes from now: a 120-minute backoff passes it, a 5-minute one
// does not. Where the queue's hours matter the server runs on a clock the test moves (to the
// slot's start, a retry's due time, past the slot's end), and the queue's hours change under it
// as an administrator's would: closed for a while from a given moment.
import { expect } from 'chai';
import { In } from 'typeorm';
import { readFileSync } from 'node:fs';
import { CallbackDueJob } from './due-job.js';
import { callbackSummary } from './summary.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { attemptsOf, callbackOf, closeStage as teardown, dialStage, ringingAgent, takeOffer, type DialStage } from '../../test/callbacks.js';
import { accept, nextOffer, setState } from '../../test/routing.js';
import { ManualClock } from '../../test/clock.js';
import { InteractionEvent } from '../journey/index.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { customerAddress, mailboxOf } from '../../test/mailbox.js';
import { Contact } from '../contacts/index.js';
import { newId } from '../../kernel/db/ids.js';
import { normalisePhone } from './schema.js';

/** A number of its own, so that its contact (matched by phone) is not another test's, nor later tests' this one's. */
function ownNumber(): string {
  const digits = String(Date.now() % 1e8).padStart(8, '0');
  return `06 ${digits.slice(0, 4)} ${digits.slice(4)}`;
}

/** The dialling stage, and the server's clock when the test moves it. */
type Setup = DialStage & { clock?: ManualClock };

async function setup(scenario: string, calls: number, extra: Record<string, unknown> = {}, clock?: ManualClock): Promise<Setup> {
  return { ...(await dialStage(scenario, calls, extra, clock)), clock };
}

/** Moves the server's clock to `at` (timers falling due on the way run). */
function moveTo(x: Setup, at: Date | string): void {
  x.clock!.at((new Date(at).getTime() - x.clock!.start.getTime()) / 1000);
}

/**
 * The callback queue's hours change: open round the clock but closed from `from` until `to` (UTC,
 * whole minutes), written as the days that differ, as an administrator would close the office.
 */
function closeQueue(x: Setup, from: Date, to: Date): void {
  const day = 86_400_000;
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const holidays: { date: string; name: string; open?: string[] }[] = [];
  for (let d = Math.floor(from.getTime() / day) * day; d < to.getTime(); d += day) {
    const open = [...(from.getTime() > d ? [`00:00-${hhmm(from.getTime())}`] : []), ...(to.getTime() < d + day ? [`${hhmm(to.getTime())}-24:00`] : [])];
    holidays.push({ date: new Date(d).toISOString().slice(0, 10), name: 'Closed', ...(open.length ? { open } : {}) });
  }
  const id = `closed-${from.getTime()}`;
  const always = ['00:00-24:00'];
  x.t.config.calendars.push({ id, name: 'Closed for a while', timezone: 'UTC', weekly: { mon: always, tue: always, wed: always, thu: always, fri: always, sat: always, sun: always }, holidays } as unknown as (typeof x.t.config.calendars)[number]);
  x.t.sb.contexts.routing.queue('callbacks')!.hours = id;
}

const invitesAt = (x: Setup) => readFileSync(x.trace, 'utf8').match(/^INVITE sip:/gm)?.length ?? 0;

const isUnreached = (m: { subject?: string }) => !!m.subject?.includes('We could not reach you');

/** The unreached mails `to` got, once the first has arrived (or after the wait, none). */
async function unreachedMails(x: Setup, to: string) {
  const mails = await eventually(() => mailboxOf(x.t.config.main.imap!, to), (ms) => ms.some(isUnreached), 200, 300).catch(() => mailboxOf(x.t.config.main.imap!, to));
  return { unreached: mails.filter(isUnreached), subjects: mails.map((m) => m.subject).join(' | ') };
}

/** The journey entry that ended the callback, once written (after the callback's row). */
async function unreachedEntry(x: Setup, interactionId: string) {
  const journey = await eventually(() => x.t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId }, order: { seq: 'ASC' } }), (j) => j.some((e) => e.type === 'callback.unreached'));
  return { types: journey.map((e) => e.type), data: journey.find((e) => e.type === 'callback.unreached')!.data };
}

/**
 * Asks for the first slot; its job is run now, as if the slot had begun (on the test's clock,
 * when it has one: moved to the slot's start), and the agent takes the offer.
 */
async function slotCallbackDialled(x: Setup, email?: string, phone = ownNumber(), asked?: (callbackId: string) => Promise<void>) {
  const slots = await widget(x.t.url, 'GET', '/callbacks/slots');
  expect(slots.status).to.equal(200);
  const slot = slots.body.slots[0] as { start: string; end: string };
  const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone, ...(email ? { email } : {}) }, slot: slot.start });
  expect(r.status, JSON.stringify(r.body)).to.equal(201);
  await asked?.(r.body.callbackId);
  if (x.clock) moveTo(x, slot.start);
  const due = new CallbackDueJob(x.t.sb.contexts.callbacks);
  expect(await due.runNow(r.body.callbackId)).to.equal(true);
  const queueId = (await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: (await callbackOf(x.t, r.body.callbackId)).interactionId })).queueId!;
  const unreachedBefore = (await callbackSummary(x.t.sb.contexts.callbacks)).find((q) => q.queueId === queueId)?.today.unreached ?? 0;
  const interactionId = await takeOffer(x);
  // The busy attempt has ended, and with it what comes next was decided.
  const cb = await eventually(() => callbackOf(x.t, r.body.callbackId), (c) => c.attempts === 1 && c.state !== 'dialling' && c.state !== 'queued', 200);
  expect(invitesAt(x), 'one INVITE').to.equal(1);
  return { r, slot, due, cb, interactionId, queueId, unreachedBefore };
}

describe('callbacks: a slot callback is retried only inside its slot', function () {
  this.timeout(120_000);

  it('ends unreached after a busy attempt whose retry would fall after the slot: no new job, the journey says why, the customer is mailed, and the widget and the supervisor see it unreached', async () => {
    let x: Setup | undefined;
    try {
      x = await setup('uas-busy.xml', 1, {
        'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 120 },
        'websites/example.yaml:forms.callback.2': { type: 'email', name: 'email', label: 'Email', mapsTo: { contact: 'email' } },
        'switchboard.yaml:imap.enabled': false,
      });
      const to = customerAddress('slot-ended');
      // The number is also an earlier contact's, with another address (a shared line): the customer
      // is a contact of their own. And their contact's address changes while they wait (an agent
      // edits it): the mails about this request still go where its confirmation went.
      const phone = ownNumber();
      const earlier = customerAddress('slot-ended-earlier');
      const contacts = x.t.sb.kernel.db.getRepository(Contact);
      const line = await contacts.insert({ id: newId(), name: null, email: earlier, phone: normalisePhone(phone)!, customFields: {} }).then((ins) => ins.identifiers[0]!.id as string);
      const edited = customerAddress('slot-ended-edited');
      const { r, slot, due, cb, interactionId, queueId, unreachedBefore } = await slotCallbackDialled(x, to, phone, async (id) => {
        const held = await x!.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: (await callbackOf(x!.t, id)).interactionId });
        expect(held.contactId, 'not the line\'s earlier contact').to.not.equal(line);
        expect((await contacts.findOneByOrFail({ id: held.contactId! })).email).to.equal(to);
        await contacts.update({ id: held.contactId! }, { email: edited });
      });
      expect(cb.state).to.equal('unreached');
      expect(cb.lastCause).to.equal('486 busy');
      expect(cb.jobId, 'no retry was scheduled').to.equal(cb.id);
      expect(await due.stateOf(`${cb.id}-2`), 'no job for a second attempt').to.equal(null);
      expect((await attemptsOf(x.t, cb.id)).map((a) => [a.attempt, a.outcome, a.cause])).to.deep.equal([[1, 'busy', '486 busy']]);
      expect((await x.pbx.done).code).to.equal(0);
      const journey = await x.t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId }, order: { seq: 'ASC' } });
      expect(journey.map((e) => e.type)).to.not.include('callback.retry');
      expect(journey.find((e) => e.type === 'callback.unreached')?.data).to.deep.include({ attempts: 1, cause: '486 busy', reason: 'slot-ended', slotEnd: slot.end });

      const status = await widget(x.t.url, 'GET', `/callbacks/${cb.id}`);
      expect(status.status).to.equal(200);
      expect(status.body).to.include({ state: 'unreached', attempts: 1 });
      const summary = (await callbackSummary(x.t.sb.contexts.callbacks)).find((q) => q.queueId === queueId)!;
      expect(summary.today.unreached).to.equal(unreachedBefore + 1);

      const { unreached, subjects } = await unreachedMails(x, to);
      expect(unreached, subjects).to.have.length(1);
      expect(unreached[0]!.subject).to.contain(r.body.reference);
      expect(unreached[0]!.text).to.contain('(1 attempt)');
      for (const elsewhere of [earlier, edited]) expect((await mailboxOf(x.t.config.main.imap!, elsewhere)).filter(isUnreached), `nothing to ${elsewhere}`).to.have.length(0);
    } finally {
      await teardown(x);
    }
  });

  it('retries a busy attempt as before when the backoff ends inside the slot', async () => {
    let x: Setup | undefined;
    try {
      x = await setup('uas-busy.xml', 1, { 'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 5 } });
      const { slot, due, cb, interactionId } = await slotCallbackDialled(x);
      expect(cb.state).to.equal('scheduled');
      expect(cb.jobId).to.equal(`${cb.id}-2`);
      expect(cb.lastCause).to.equal('486 busy');
      expect(cb.dueAt.getTime(), 'within the slot').to.be.at.most(Date.parse(slot.end));
      expect(cb.interactionId, 'on a new held interaction').to.not.equal(interactionId);
      await eventually(() => due.stateOf(cb.jobId!), (st) => st === 'delayed');
      expect((await x.pbx.done).code).to.equal(0);
    } finally {
      await teardown(x);
    }
  });

  it('ends unreached when a retry finds the queue closed until after the slot\'s end: not deferred past it, nothing dialled, the customer mailed once', async () => {
    let x: Setup | undefined;
    try {
      x = await setup('uas-busy.xml', 1, {
        'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 5 },
        'websites/example.yaml:forms.callback.2': { type: 'email', name: 'email', label: 'Email', mapsTo: { contact: 'email' } },
        'switchboard.yaml:imap.enabled': false,
      }, new ManualClock(new Date()));
      const to = customerAddress('slot-closed');
      const { r, slot, due, cb } = await slotCallbackDialled(x, to);
      expect(cb.state).to.equal('scheduled');
      // The office closes from the retry's due time until an hour after the slot's end.
      closeQueue(x, cb.dueAt, new Date(Date.parse(slot.end) + 3_600_000));
      await eventually(() => due.stateOf(cb.jobId!), (st) => st === 'delayed');
      moveTo(x, cb.dueAt);
      expect(await due.runNow(cb.jobId!)).to.equal(true);
      await eventually(() => due.stateOf(cb.jobId!), (st) => st === 'completed');

      const ended = await callbackOf(x.t, cb.id);
      expect(ended.state, 'not deferred to the next opening').to.equal('unreached');
      expect(ended.lastCause).to.equal('486 busy');
      expect(ended.jobId).to.equal(cb.jobId);
      expect(await due.stateOf(`${cb.id}-3`), 'no job at the next opening').to.equal(null);
      expect((await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId })).state, 'its held interaction is closed').to.equal('closed');
      const { types, data } = await unreachedEntry(x, cb.interactionId);
      expect(types).to.not.include('callback.deferred');
      expect(data).to.deep.include({ attempts: 1, cause: '486 busy', reason: 'slot-ended', slotEnd: slot.end, notRoutable: 'outside-hours', nextTry: new Date(Date.parse(slot.end) + 3_600_000).toISOString() });
      expect((await widget(x.t.url, 'GET', `/callbacks/${cb.id}`)).body).to.include({ state: 'unreached', attempts: 1 });

      const { unreached, subjects } = await unreachedMails(x, to);
      expect(unreached, subjects).to.have.length(1);
      expect(unreached[0]!.subject).to.contain(r.body.reference);
      expect(unreached[0]!.text).to.contain('(1 attempt)');
      expect(invitesAt(x), 'the customer was dialled once, inside the slot').to.equal(1);
      expect((await attemptsOf(x.t, cb.id)).map((a) => [a.attempt, a.outcome])).to.deep.equal([[1, 'busy']]);
      expect((await x.pbx.done).code).to.equal(0);
    } finally {
      await teardown(x);
    }
  });

  it('defers a retry that finds the queue closed to its opening when that is still inside the slot, and dials it then', async () => {
    let x: Setup | undefined;
    try {
      x = await setup('uas-busy.xml', 2, { 'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 5 } }, new ManualClock(new Date()));
      const { slot, due, cb } = await slotCallbackDialled(x);
      const opens = new Date(cb.dueAt.getTime() + 10 * 60_000);
      expect(opens.getTime(), 'opens inside the slot').to.be.below(Date.parse(slot.end));
      closeQueue(x, cb.dueAt, opens);
      await eventually(() => due.stateOf(cb.jobId!), (st) => st === 'delayed');
      moveTo(x, cb.dueAt);
      expect(await due.runNow(cb.jobId!)).to.equal(true);
      const deferred = await eventually(() => callbackOf(x!.t, cb.id), (c) => c.jobId !== cb.jobId);
      expect([deferred.state, deferred.jobId, deferred.dueAt.toISOString()]).to.deep.equal(['scheduled', `${cb.id}-3`, opens.toISOString()]);
      expect((await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId })).state, 'still held').to.equal('new');

      await eventually(() => due.stateOf(deferred.jobId!), (st) => st === 'delayed');
      moveTo(x, opens);
      expect(await due.runNow(deferred.jobId!)).to.equal(true);
      await takeOffer(x);
      const again = await eventually(() => callbackOf(x!.t, cb.id), (c) => c.attempts === 2 && c.state !== 'dialling' && c.state !== 'queued', 200);
      expect((await attemptsOf(x.t, cb.id)).map((a) => [a.attempt, a.outcome])).to.deep.equal([[1, 'busy'], [2, 'busy']]);
      expect(invitesAt(x), 'dialled again once the queue opened').to.equal(2);
      // Opened 15 minutes into the slot, the third attempt (10 minutes later) still falls inside it.
      expect(again.state).to.equal('scheduled');
      expect((await x.pbx.done).code).to.equal(0);
    } finally {
      await teardown(x);
    }
  });

  it('ends unreached, never called, a slot callback whose queue is closed from its slot\'s start until after its end: the mail says it could not be called in the time chosen', async () => {
    let x: Setup | undefined;
    try {
      x = await setup('uas-answer-any.xml', 1, {
        'websites/example.yaml:forms.callback.2': { type: 'email', name: 'email', label: 'Email', mapsTo: { contact: 'email' } },
        'switchboard.yaml:imap.enabled': false,
      }, new ManualClock(new Date()));
      const to = customerAddress('slot-never');
      const slots = await widget(x.t.url, 'GET', '/callbacks/slots');
      const slot = slots.body.slots[0] as { start: string; end: string };
      const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: ownNumber(), email: to }, slot: slot.start });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      // The office closes for the whole slot after it was chosen, reopening an hour after its end.
      const reopens = new Date(Date.parse(slot.end) + 3_600_000);
      closeQueue(x, new Date(slot.start), reopens);
      moveTo(x, slot.start);
      const due = new CallbackDueJob(x.t.sb.contexts.callbacks);
      expect(await due.runNow(r.body.callbackId)).to.equal(true);
      await eventually(() => due.stateOf(r.body.callbackId), (st) => st === 'completed');

      const cb = await callbackOf(x.t, r.body.callbackId);
      expect([cb.state, cb.attempts, cb.jobId], 'not deferred to the opening').to.deep.equal(['unreached', 0, cb.id]);
      expect((await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId })).state, 'never offered').to.equal('closed');
      const { types, data } = await unreachedEntry(x, cb.interactionId);
      expect(types).to.not.include('queued');
      expect(data).to.deep.include({ attempts: 0, reason: 'slot-ended', slotEnd: slot.end, notRoutable: 'outside-hours', nextTry: reopens.toISOString() });
      const { unreached, subjects } = await unreachedMails(x, to);
      expect(unreached, subjects).to.have.length(1);
      expect(unreached[0]!.text).to.contain('could not call you back').and.contain('within the time you chose').and.not.contain('attempt');
      expect(invitesAt(x)).to.equal(0);
    } finally {
      await teardown(x);
    }
  });

  it('ends unreached a retry whose due job runs only after the slot\'s end (its instance was down): not queued, not dialled', async () => {
    let x: Setup | undefined;
    try {
      x = await setup('uas-busy.xml', 1, { 'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 5 } }, new ManualClock(new Date()));
      const { slot, due, cb } = await slotCallbackDialled(x);
      expect(cb.state).to.equal('scheduled');
      await eventually(() => due.stateOf(cb.jobId!), (st) => st === 'delayed');
      const ranAt = new Date(Date.parse(slot.end) + 10 * 60_000);
      moveTo(x, ranAt);
      expect(await due.runNow(cb.jobId!)).to.equal(true);
      await eventually(() => due.stateOf(cb.jobId!), (st) => st === 'completed');

      const ended = await callbackOf(x.t, cb.id);
      expect(ended.state, 'not queued after its slot').to.equal('unreached');
      expect((await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId })).state).to.equal('closed');
      const { types, data } = await unreachedEntry(x, cb.interactionId);
      expect(types).to.not.include('queued');
      expect(data).to.deep.include({ attempts: 1, cause: '486 busy', reason: 'slot-ended', slotEnd: slot.end, nextTry: ranAt.toISOString() });
      expect(invitesAt(x), 'dialled once, inside the slot').to.equal(1);
      expect((await x.pbx.done).code).to.equal(0);
    } finally {
      await teardown(x);
    }
  });

  for (const when of ['after the slot\'s end', 'inside the slot, the queue closed meanwhile until after its end'] as const) {
    it(`ends unreached when the agent's phone refuses ${when}: not put back in its queue, the customer never dialled, mailed once`, async () => {
      let x: Setup | undefined;
      let ringing: Awaited<ReturnType<typeof ringingAgent>> | undefined;
      try {
        x = await setup('uas-answer-any.xml', 1, {
          'queues.yaml:queues.3.callback': { attempts: 3, retryMinutes: 5 },
          'websites/example.yaml:forms.callback.2': { type: 'email', name: 'email', label: 'Email', mapsTo: { contact: 'email' } },
          'switchboard.yaml:imap.enabled': false,
        }, new ManualClock(new Date()));
        // The stage's agent, whose phone answers, is on a break: only the refusing agent is offered it.
        await setState(x.t.url, x.agent, 'not-ready', 'break');
        ringing = await ringingAgent(x.t);
        const to = customerAddress('slot-refused');
        const slots = await widget(x.t.url, 'GET', '/callbacks/slots');
        const slot = slots.body.slots[0] as { start: string; end: string };
        const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone: ownNumber(), email: to }, slot: slot.start });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        moveTo(x, slot.start);
        expect(await new CallbackDueJob(x.t.sb.contexts.callbacks).runNow(r.body.callbackId)).to.equal(true);
        const offer = await nextOffer(ringing.agent, 20_000);
        expect((await accept(x.t.url, ringing.agent, offer.offerId)).status).to.equal(200);
        await eventually(async () => ringing!.phone.incoming.length, (n) => n === 1);
        const reopens = new Date(Date.parse(slot.end) + 3_600_000);
        // The phone rings on past the slot's end; or the office closes while it rings, reopening after the slot.
        if (when === 'after the slot\'s end') moveTo(x, new Date(Date.parse(slot.end) + 60_000));
        else closeQueue(x, x.clock!.now(), reopens);
        await ringing.phone.incoming[0]!.reject({ statusCode: 486 });

        // What comes after the refusal is decided once its journey entry is written (unreached, or a retry).
        const { cb, decided } = await eventually(async () => {
          const cb = await callbackOf(x!.t, r.body.callbackId);
          const decided = await x!.t.sb.kernel.db.getRepository(InteractionEvent).find({ where: { interactionId: In([offer.interactionId, cb.interactionId]), type: In(['callback.unreached', 'callback.retry']) } });
          return { cb, decided };
        }, (v) => v.decided.length > 0, 200);
        expect(cb.state, 'not back in its queue, nor waiting for the opening').to.equal('unreached');
        expect(decided.map((e) => e.type)).to.deep.equal(['callback.unreached']);
        expect(cb.lastCause).to.match(/^agent: 486/);
        expect(decided[0]!.data).to.deep.include({ attempts: 1, reason: 'slot-ended', slotEnd: slot.end });
        if (when === 'after the slot\'s end') expect(cb.interactionId, 'no new interaction').to.equal(offer.interactionId);
        else {
          expect(decided[0]!.data).to.deep.include({ notRoutable: 'outside-hours', nextTry: reopens.toISOString(), previous: offer.interactionId });
          expect((await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId })).state, 'its held interaction is closed').to.equal('closed');
          expect(await new CallbackDueJob(x.t.sb.contexts.callbacks).stateOf(`${cb.id}-2`), 'no job at the opening').to.equal(null);
        }
        expect((await attemptsOf(x.t, cb.id)).map((a) => [a.attempt, a.outcome, a.agentId])).to.deep.equal([[1, 'failed', ringing.agent.id]]);

        const { unreached, subjects } = await unreachedMails(x, to);
        expect(unreached, subjects).to.have.length(1);
        expect(unreached[0]!.subject).to.contain(r.body.reference);
        expect(invitesAt(x), 'the customer was never dialled').to.equal(0);
      } finally {
        await ringing?.stop();
        await teardown(x);
      }
    });
  }
});
