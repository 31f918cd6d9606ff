// Routing decides each step in Redis and then writes it to the interaction's row. A step that read
// the state before another one changed it (on this instance or another) must not write over it:
// these tests make the other step happen in that gap, which two instances make possible.
import { expect } from 'chai';
import { QUEUE, api, createInteraction, login, makeAgent, nextOffer, startRoutingServer } from '../../test/routing.js';
import type { TestServer } from '../../test/server.js';
import { Interaction } from '../interactions/interaction.entity.js';

describe('routing: a step that comes after the interaction was closed', function () {
  this.timeout(120_000);
  let t: TestServer;
  before(async () => {
    t = await startRoutingServer();
  });
  after(() => t?.stop());

  it('a rejected offer does not put back in the queue an interaction its customer left meanwhile', async () => {
    const admin = await login(t.url);
    const agent = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }] });
    const { interaction } = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const o = await nextOffer(agent);
    // The reject has read the interaction back in its queue when the customer leaves.
    const engine = t.sb.contexts.routing.engine;
    const read = engine.interactionLive.bind(engine);
    let left = false;
    engine.interactionLive = async (id: string) => {
      const live = await read(id);
      if (id === interaction.id && live.state === 'queued' && !left) {
        left = true;
        await t.sb.contexts.routing.cancel(id);
      }
      return live;
    };
    try {
      expect((await api(t.url, 'POST', `/api/offers/${o.offerId}/reject`, undefined, agent.token)).status).to.equal(204);
    } finally {
      engine.interactionLive = read;
    }
    expect(left).to.equal(true);
    expect((await engine.interactionLive(interaction.id)).state).to.equal('abandoned');
    const row = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: interaction.id });
    expect(row.state).to.equal('abandoned');
    agent.socket.close();
  });
});
