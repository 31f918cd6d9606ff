// A callback for a slot is retried only inside that slot: the customer asked to be called between
// its start and its end. Real services as in dialling.test.ts: sipp answers busy as the customer's
// phone behind the trunk, the agent's softphone answers. Every queue is open round the clock, so
// the first slot ends 60 to 90 minutes from now: a 120-minute backoff passes it, a 5-minute one
// does not.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CallbackDueJob } from './due-job.js';
import { callbackSummary } from './summary.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { attemptsOf, callbackOf, closeStage as teardown, dialStage as setup, takeOffer, type DialStage as Setup } from '../../test/callbacks.js';
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

/** Asks for the first slot; its job is run now, as if the slot had begun, and the agent takes the offer. */
async function slotCallbackDialled(x: Setup, email?: string, phone = ownNumber(), asked?: (callbackId: string) => Promise<void>) {
  const slots = await widget(x.t.url, 'GET', '/callbacks/slots');
  expect(slots.status).to.equal(200);
  const slot = slots.body.slots[0] as { start: string; end: string };
  const r = await widget(x.t.url, 'POST', '/callbacks', { fields: { phone, ...(email ? { email } : {}) }, slot: slot.start });
  expect(r.status, JSON.stringify(r.body)).to.equal(201);
  await asked?.(r.body.callbackId);
  const due = new CallbackDueJob(x.t.sb.contexts.callbacks);
  expect(await due.runNow(r.body.callbackId)).to.equal(true);
  const queueId = (await x.t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: (await callbackOf(x.t, r.body.callbackId)).interactionId })).queueId!;
  const unreachedBefore = (await callbackSummary(x.t.sb.contexts.callbacks)).find((q) => q.queueId === queueId)?.today.unreached ?? 0;
  const interactionId = await takeOffer(x);
  // The busy attempt has ended, and with it what comes next was decided.
  const cb = await eventually(() => callbackOf(x.t, r.body.callbackId), (c) => c.attempts === 1 && c.state !== 'dialling' && c.state !== 'queued', 200);
  expect(readFileSync(x.trace, 'utf8').match(/^INVITE sip:/gm), 'one INVITE').to.have.length(1);
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

      const isUnreached = (m: { subject?: string }) => !!m.subject?.includes('We could not reach you');
      const mails = await eventually(() => mailboxOf(x!.t.config.main.imap!, to), (ms) => ms.some(isUnreached), 200, 300).catch(() => mailboxOf(x!.t.config.main.imap!, to));
      const unreached = mails.filter(isUnreached);
      expect(unreached, mails.map((m) => m.subject).join(' | ')).to.have.length(1);
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
});
