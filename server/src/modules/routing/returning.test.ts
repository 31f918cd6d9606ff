// A customer who writes again about a closed mail ticket is best served by the agent who knew the
// case: their new interaction waits a while (the queue's previousAgentSeconds) for that agent,
// then goes to anyone, as it does at once when that agent is not signed in or declines it.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { QUEUE, accept, api, login, makeAgent, nextOffer, noOffer, setState, startRoutingServer, type TestAgent, type TestServer } from '../../test/routing.js';

describe('routing: a returning customer waits for the agent who had the ticket', function () {
  this.timeout(120_000);
  let t: TestServer;
  let admin: string;
  let longest: TestAgent;
  let previous: TestAgent;

  before(async () => {
    t = await startRoutingServer({ 'queues.yaml:queues.4.previousAgentSeconds': 6 });
    admin = await login(t.url);
    // Available first, so without a preference the next mail is theirs.
    longest = await makeAgent(t.url, admin, { capacity: { mail: 50, total: 50 } });
    previous = await makeAgent(t.url, admin, { capacity: { mail: 50, total: 50 } });
  });
  after(async () => {
    longest?.socket.close();
    previous?.socket.close();
    await t?.stop();
  });
  beforeEach(() => {
    longest.socket.messages.length = 0;
    previous.socket.messages.length = 0;
  });

  // As the mailbox reader opens a reopened ticket's interaction: previousAgent is set by the server only.
  const mail = (previousAgent?: string) =>
    t.sb.contexts.routing.create({ channel: 'mail', queueId: QUEUE.mail, subject: 'Again', routingVariables: previousAgent ? { previousAgent } : {} }).then((r) => r.interaction.id);
  const take = async (a: TestAgent, id: string) => {
    const o = await nextOffer(a, 20_000);
    expect(o.interactionId).to.equal(id);
    expect((await accept(t.url, a, o.offerId)).status).to.equal(200);
  };

  it('offers it to the agent who had it, though another agent has waited longer', async () => {
    // Without a preference the longest-waiting agent gets a mail…
    await take(longest, await mail());
    await noOffer(previous, 500);
    // …with one, the agent who had the ticket does.
    await take(previous, await mail(previous.id));
    await noOffer(longest, 1500);
  });

  it('gives it to anyone at once when that agent is not signed in or declines it', async () => {
    await take(longest, await mail(randomBytes(16).toString('hex')));

    const declined = await mail(previous.id);
    const o = await nextOffer(previous, 20_000);
    expect(o.interactionId).to.equal(declined);
    expect((await api(t.url, 'POST', `/api/offers/${o.offerId}/reject`, undefined, previous.token)).status).to.equal(204);
    await take(longest, declined);
  });

  it('waits for an agent on a break only for the queue’s time, then gives it to anyone', async () => {
    await setState(t.url, previous, 'not-ready', 'break');
    try {
      const id = await mail(previous.id);
      // Within the 6 s it waits for the agent on a break: nobody else is offered it.
      await noOffer(longest, 1500);
      expect(await t.sb.contexts.routing.position(id)).to.include({ state: 'queued' });
      await take(longest, id);
      expect(previous.socket.messages.filter((m) => m.type === 'offer')).to.deep.equal([]);
    } finally {
      await setState(t.url, previous, 'available');
    }
  });

  it('lets nobody outside name the agent to wait for, and waits for nobody when the name is not an agent id', async () => {
    const r = await api(t.url, 'POST', '/api/routing/interactions', { channel: 'mail', queueId: QUEUE.mail, routingVariables: { previousAgent: previous.id } }, admin);
    expect(r.status).to.equal(400);
    expect(JSON.stringify(r.body.error.fields)).to.contain('routingVariables.previousAgent');
    await take(longest, await mail('../../not-an-id'));
  });
});
