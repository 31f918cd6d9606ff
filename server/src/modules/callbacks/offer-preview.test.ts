// A callback's offer shows the customer's name, its number, slot, attempts and message. Offered as it enters its queue, the
// due job has the callback in hand; offered later (an agent comes free), routing reads the
// interaction, and the callback with it. The number, slot and attempts go as fields, the message
// as the customer's words: the desktop words the rest in the agent's language, so the offer
// carries no sentence of the server's.
import { expect } from 'chai';
import { Callback } from './callback.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { makeAgent, nextOffer, noOffer, setState, startRoutingServer, login, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { statementsFrom } from '../../test/database.js';
import { CallbackDueJob } from './due-job.js';
import { websiteZone } from './confirmation.js';

describe('callbacks: the offer of a waiting callback', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startRoutingServer({ 'websites/example.yaml:forms.callback.2': { type: 'text', name: 'name', label: 'Name', maxLength: 80, mapsTo: { contact: 'name' } } });
    admin = await login(t.url);
  });
  after(() => t.stop());

  it("shows the customer's name, the slot they picked, their number and message when the slot's job runs, not before", async () => {
    const agent = await makeAgent(t.url, admin);
    try {
      const slots = await widget(t.url, 'GET', '/callbacks/slots');
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 7777 4321', name: 'Maria Rossi', message: 'The blue one' }, slot: slots.body.slots[1].start });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await noOffer(agent);
      expect(await new CallbackDueJob(t.sb.contexts.callbacks).runNow(r.body.callbackId)).to.equal(true);
      const offer = await nextOffer(agent, 15_000);
      const cb = await t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId });
      expect(offer.interactionId).to.equal(cb.interactionId);
      expect(offer.customerName).to.equal('Maria Rossi');
      const config = t.sb.kernel.config();
      expect(cb.slotStart, 'a slot, not "as soon as possible"').to.not.equal(null);
      expect(offer.preview).to.deep.equal(['The blue one']);
      expect(offer.callback).to.deep.equal({
        phoneNumber: cb.phoneNumber,
        slot: { start: cb.slotStart!.toISOString(), end: cb.slotEnd!.toISOString() },
        dueAt: cb.dueAt.toISOString(),
        timeZone: websiteZone(config, config.websites.find((w) => w.id === 'example')!),
        attempt: 1,
        maxAttempts: config.queues.find((q) => q.id === offer.queueId)!.callback.attempts,
        lastCause: null,
        waiting: false,
      });
    } finally {
      agent.socket.close();
    }
  });

  it('shows the number and the message when an agent comes free, the callback read with its interaction in one statement', async () => {
    const agent = await makeAgent(t.url, admin);
    try {
      await setState(t.url, agent, 'not-ready', 'break');
      const r = await widget(t.url, 'POST', '/callbacks', { fields: { phone: '+39 06 7777 1234', message: 'About my order' }, slot: 'asap' });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const cb = await eventually(() => t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id: r.body.callbackId }), (c) => c.state === 'queued');
      await eventually(() => t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: cb.interactionId }), (i) => i.state === 'queued');

      const sent = statementsFrom(t.sb.kernel.db);
      await setState(t.url, agent, 'available');
      const offer = await nextOffer(agent, 15_000);
      sent.stop();
      expect(offer.interactionId).to.equal(cb.interactionId);
      expect(offer.preview).to.deep.equal(['About my order']);
      expect(offer.callback).to.deep.include({ phoneNumber: cb.phoneNumber, slot: null, dueAt: cb.dueAt.toISOString(), attempt: 1, waiting: false });
      expect(sent.texts.filter((q) => /^SELECT .* FROM `?(interactions|callbacks)`?\s/.test(q))).to.have.length(1);
    } finally {
      agent.socket.close();
    }
  });
});
