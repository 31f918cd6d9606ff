// A callback's offer shows its number, attempts and message. Offered as it enters its queue, the
// due job has the callback in hand; offered later (an agent comes free), routing reads the
// interaction, and the callback with it.
import { expect } from 'chai';
import { Callback } from './callback.entity.js';
import { Interaction } from '../interactions/interaction.entity.js';
import { makeAgent, nextOffer, setState, startRoutingServer, login, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { statementsFrom } from '../../test/database.js';

describe('callbacks: the offer of a waiting callback', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startRoutingServer();
    admin = await login(t.url);
  });
  after(() => t.stop());

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
      expect(offer.preview?.[0]).to.equal(cb.phoneNumber);
      expect(offer.preview).to.include('About my order');
      expect(sent.texts.filter((q) => /^SELECT .* FROM `?(interactions|callbacks)`?\s/.test(q))).to.have.length(1);
    } finally {
      agent.socket.close();
    }
  });
});
