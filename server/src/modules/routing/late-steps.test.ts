// Routing decides each step in Redis and then writes it to the interaction's row. A step that read
// the state before another one changed it (on this instance or another) must not write over it:
// these tests make the other step happen in that gap, which two instances make possible.
import { AsyncLocalStorage } from 'node:async_hooks';
import { expect } from 'chai';
import { QUEUE, accept, api, createInteraction, login, makeAgent, nextOffer, noOffer, setState, startRoutingServer, type TestAgent } from '../../test/routing.js';
import type { TestServer } from '../../test/server.js';
import { Interaction, Offer } from '../interactions/interaction.entity.js';
import { interactionSteps } from './lifecycle.js';

/**
 * A close made once, by the first of several concurrent callers that finds the gap open. The
 * others wait for it, so none goes on ahead of the close; the close's own calls (it writes states
 * and reads rows too) go straight through rather than wait for themselves.
 */
function onceInTheGap(close: () => Promise<unknown>) {
  const inClose = new AsyncLocalStorage<true>();
  let closing: Promise<unknown> | undefined;
  return {
    async check(open: () => Promise<boolean>): Promise<void> {
      if (inClose.getStore()) return;
      if (!closing && (await open()) && !closing) closing = inClose.run(true, close);
      await closing;
    },
    done: () => closing !== undefined,
  };
}

describe('routing: a step that comes after the interaction was closed', function () {
  this.timeout(120_000);
  let t: TestServer;
  before(async () => {
    t = await startRoutingServer();
  });
  after(() => t?.stop());
  // The tests share the server: an agent of an earlier test left Available would be the longest
  // idle, and each chat of a later test would be offered to it first and wait for that offer to
  // time out before reaching the agent the test waits on. So every agent leaves for a break after
  // its test, keeping what it holds.
  const made: TestAgent[] = [];
  const newAgent = async (admin: string, opts: Parameters<typeof makeAgent>[2]) => {
    const a = await makeAgent(t.url, admin, opts);
    made.push(a);
    return a;
  };
  afterEach(async () => {
    for (const a of made.splice(0)) {
      await setState(t.url, a, 'not-ready', 'break');
      a.socket.close();
    }
  });
  /** The last entry of the interaction's journey, in the order written. */
  const lastStep = async (id: string) => (await t.sb.contexts.routing.records.history(id)).at(-1)?.type;
  type Live = Awaited<ReturnType<TestServer['sb']['contexts']['routing']['engine']['interactionLive']>>;

  /**
   * Runs `step` with `close` landing in its gap: at the first change of agent states routing
   * records once the interaction's live state satisfies `decided` — after the step's script,
   * before its row is written. The close must have happened.
   */
  async function closingInTheGap<T>(id: string, decided: (live: Live) => boolean, close: () => Promise<unknown>, step: () => Promise<T>): Promise<T> {
    const { routing, states } = t.sb.contexts;
    // Every step writes the state changes its script made (record() does it through write()).
    // Other writes (other agents, other instances' work) can come in the same gap: whichever sees
    // it first closes, once, and every write but the close's own waits for the close.
    const write = states.write.bind(states);
    const closing = onceInTheGap(close);
    states.write = async (changes) => {
      await closing.check(async () => decided(await routing.engine.interactionLive(id)));
      return write(changes);
    };
    let out: T;
    try {
      out = await step();
    } finally {
      states.write = write;
    }
    expect(closing.done(), 'the close came in the step\'s gap').to.equal(true);
    return out;
  }

  /** A chat accepted by `a` in a conference `b` has joined. */
  async function conferenceChat() {
    const admin = await login(t.url);
    const a = await newAgent(admin, { skills: [{ skill: 'english', level: 9 }] });
    const { interaction } = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    expect((await accept(t.url, a, (await nextOffer(a)).offerId)).status).to.equal(200);
    const b = await newAgent(admin, { skills: [{ skill: 'english', level: 5 }] });
    expect((await api(t.url, 'POST', `/api/interactions/${interaction.id}/conference`, { agentId: b.id }, a.token)).status).to.equal(200);
    expect((await accept(t.url, b, (await nextOffer(b)).offerId)).status).to.equal(200);
    return { a, b, interaction };
  }

  it('a rejected offer does not put back in the queue an interaction its customer left meanwhile', async () => {
    const admin = await login(t.url);
    const agent = await newAgent(admin, { skills: [{ skill: 'english', level: 9 }] });
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
  });

  it('an offer made as the customer left is not shown, and leaves the interaction as the close did', async () => {
    const admin = await login(t.url);
    const agent = await newAgent(admin, { skills: [{ skill: 'english', level: 9 }] });
    // The offer is made in Redis; before it is written down the customer leaves.
    const records = t.sb.contexts.routing.records;
    const created = records.offerCreatedIf.bind(records);
    let offerId: string | undefined;
    records.offerCreatedIf = async (o, open) => {
      if (!offerId) {
        offerId = o.offerId;
        await t.sb.contexts.routing.cancel(o.interactionId);
      }
      return created(o, open);
    };
    let id: string;
    try {
      id = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id;
    } finally {
      records.offerCreatedIf = created;
    }
    expect(offerId).to.be.a('string');
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id })).state).to.equal('abandoned');
    expect((await t.sb.kernel.db.getRepository(Offer).findOneByOrFail({ id: offerId })).state).to.equal('withdrawn');
    await noOffer(agent);
  });

  it('an agent logging out does not put back in the queue a chat its customer left meanwhile', async () => {
    const admin = await login(t.url);
    const agent = await newAgent(admin, { skills: [{ skill: 'english', level: 9 }] });
    const { interaction } = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    expect((await accept(t.url, agent, (await nextOffer(agent)).offerId)).status).to.equal(200);
    // The agent's leaving has put the chat back in its queue when the customer leaves.
    const routing = t.sb.contexts.routing;
    const get = routing.records.get.bind(routing.records);
    const closing = onceInTheGap(() => routing.cancel(interaction.id));
    routing.records.get = async (id: string) => {
      if (id === interaction.id) await closing.check(async () => (await routing.engine.interactionLive(id)).state === 'queued');
      return get(id);
    };
    try {
      await setState(t.url, agent, 'logged-out');
    } finally {
      routing.records.get = get;
    }
    expect(closing.done()).to.equal(true);
    expect((await routing.engine.interactionLive(interaction.id)).state).to.equal('abandoned');
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: interaction.id })).state).to.equal('abandoned');
  });

  for (const step of ['transfer to a queue', 'requeue'] as const) {
    it(`an agent's ${step} does not put back in the queue a chat its customer left meanwhile`, async () => {
      const admin = await login(t.url);
      const agent = await newAgent(admin, { skills: [{ skill: 'english', level: 9 }] });
      const { interaction } = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
      expect((await accept(t.url, agent, (await nextOffer(agent)).offerId)).status).to.equal(200);
      // The script has put the chat back in its queue when the customer leaves.
      const { routing } = t.sb.contexts;
      await closingInTheGap(interaction.id, (live) => live.state === 'queued', () => routing.cancel(interaction.id), () =>
        step === 'requeue' ? routing.requeue(interaction.id, agent.id, {}) : routing.transfer(interaction.id, agent.id, { toQueue: QUEUE.chat }));
      expect((await routing.engine.interactionLive(interaction.id)).state).to.equal('abandoned');
      expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: interaction.id })).state).to.equal('abandoned');
      expect(await lastStep(interaction.id), 'nothing recorded after the close').to.equal('abandoned');
    });
  }

  for (const ending of ['the owner', 'the guest logging out'] as const) {
    it(`the end of a conference by ${ending} does not make a chat its customer closed meanwhile assigned again`, async () => {
      const { a, b, interaction } = await conferenceChat();
      // The script has ended the conference when the customer closes the chat.
      const { routing } = t.sb.contexts;
      await closingInTheGap(interaction.id, (live) => live.state === 'assigned', () => routing.close(interaction.id, { by: 'customer' }), () =>
        ending === 'the owner' ? routing.endConference(interaction.id, a.id) : setState(t.url, b, 'logged-out'));
      expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: interaction.id })).state).to.equal('closed');
      expect(await lastStep(interaction.id), 'nothing recorded after the close').to.equal('closed');
    });
  }

  it('an accepted offer does not make a chat its customer closed meanwhile assigned again', async () => {
    const admin = await login(t.url);
    const agent = await newAgent(admin, { skills: [{ skill: 'english', level: 9 }] });
    const { interaction } = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const o = await nextOffer(agent);
    // The script has given the chat to the agent when the customer closes it.
    const { routing } = t.sb.contexts;
    const r = await closingInTheGap(interaction.id, (live) => live.state === 'assigned', () => routing.cancel(interaction.id), () => accept(t.url, agent, o.offerId));
    expect(r.status).to.equal(200);
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: interaction.id })).state).to.equal('closed');
    // The desktop is told it is closed, not shown it as its agent's.
    expect(r.body.interaction.state).to.equal('closed');
    expect(await lastStep(interaction.id), 'nothing recorded after the close').to.equal('closed');
  });

  it('an interaction claimed for the agent the PBX gave it to is not made assigned again when its customer closed it meanwhile', async () => {
    const admin = await login(t.url);
    const agent = await newAgent(admin, { skills: [{ skill: 'english', level: 9 }], available: false });
    const { interaction } = await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat });
    const { routing } = t.sb.contexts;
    const claimed = await closingInTheGap(interaction.id, (live) => live.state === 'assigned', () => routing.cancel(interaction.id), () => routing.claim(interaction.id, agent.id, { via: 'pbx' }));
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: interaction.id })).state).to.equal('closed');
    expect(claimed).to.equal(null);
    expect(await lastStep(interaction.id), 'nothing recorded after the close').to.equal('closed');
  });

  for (const ended of ['abandoned', 'unmanaged'] as const) {
    it(`a call's answer and end that come after its interaction ended ${ended} leave it ${ended}`, async () => {
      const { routing } = t.sb.contexts;
      const steps = interactionSteps(routing, t.sb.kernel.db, t.sb.kernel.clock);
      const i = await steps.createForCall({ channel: 'phone', queueId: QUEUE.phone, websiteId: null, contactId: null, step: { type: 'call.inbound', data: {} } });
      const endedAt = new Date(Date.now() - 60_000);
      await routing.records.update(i.id, { state: ended, closedAt: endedAt });
      await steps.callStep(i.id, 'call.answered', { call: 'late' }, { state: 'assigned', assignedAt: new Date() });
      await steps.callStep(i.id, 'call.ended', { call: 'late' }, { state: 'closed', closedAt: new Date() });
      const row = await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: i.id });
      expect(row).to.include({ state: ended, assignedAt: null });
      expect(row.closedAt!.getTime()).to.equal(endedAt.getTime());
      // The journey still hears of the call's steps.
      expect(await lastStep(i.id)).to.equal('call.ended');
    });
  }

  it('the owner logging out does not hand to the conference guest a chat its customer closed meanwhile', async () => {
    const { a, b, interaction } = await conferenceChat();
    // The owner's leaving has handed the chat to the guest when the customer closes it.
    const { routing } = t.sb.contexts;
    await closingInTheGap(interaction.id, (live) => live.state === 'assigned' && live.owner === b.id, () => routing.close(interaction.id, { by: 'customer' }), () => setState(t.url, a, 'logged-out'));
    expect((await t.sb.kernel.db.getRepository(Interaction).findOneByOrFail({ id: interaction.id })).state).to.equal('closed');
    expect(await lastStep(interaction.id), 'nothing recorded after the close').to.equal('closed');
  });
});
