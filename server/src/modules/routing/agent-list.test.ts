// The supervisor's list of agents is read while agents change, on this instance and others: each
// row must be one moment of its agent. The test moves an agent between holding a chat and not
// after every Redis command the list's read sends — what another instance can do between two reads.
import { AsyncLocalStorage } from 'node:async_hooks';
import { expect } from 'chai';
import { QUEUE, createInteraction, login, makeAgent, setState, startRoutingServer } from '../../test/routing.js';
import type { TestServer } from '../../test/server.js';

describe("routing: the supervisor's list of agents", function () {
  this.timeout(120_000);
  let t: TestServer;
  before(async () => {
    t = await startRoutingServer();
  });
  after(() => t?.stop());

  it('shows each agent as they were at one moment, however they change while it is read', async () => {
    const admin = await login(t.url);
    const agent = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 9 }], capacity: { chat: 20, total: 20 }, available: false });
    // Logged in but offered nothing: the chats wait until the agent takes them.
    await setState(t.url, agent, 'not-ready', 'lunch');
    const chats: string[] = [];
    for (let n = 0; n < 12; n++) chats.push((await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id);
    const { routing } = t.sb.contexts;
    // Each move, the agent takes one more chat (the PBX gave it): no two moments look alike.
    let taken = 0;
    const move = async () => {
      expect(await routing.claim(chats[taken]!, agent.id, {})).to.not.equal(null);
      taken++;
    };
    await move();
    const quiet = async () => (await routing.views.agents()).find((a) => a.agentId === agent.id)!;
    const first = await quiet();
    expect(first.load).to.include({ chat: 1, total: 1 });
    expect(first.interactions).to.deep.equal([chats[0]]);

    const client = t.sb.kernel.redis.client;
    // Each command its own round trip, as when the read's commands reach Redis one by one: a move
    // can then come between any two of them (together in one write, fewer moments are possible).
    client.options.enableAutoPipelining = false;
    const send = client.sendCommand.bind(client);
    const pipeline = client.pipeline.bind(client);
    let moving = false;
    let moves = 0;
    // The read's own round trips, not those of the server's timers beside it.
    const reading = new AsyncLocalStorage<true>();
    // After each round trip of the read (a command, or a pipeline as a whole), before it goes on.
    const thenMove = <T>(reply: Promise<T>): Promise<T> =>
      moving || !reading.getStore()
        ? reply
        : reply.then(async (r) => {
            if (moving) return r;
            moving = true;
            try {
              await move();
              moves++;
            } finally {
              moving = false;
            }
            return r;
          });
    client.sendCommand = ((...args: Parameters<typeof send>) => {
      const reply = send(...args) as Promise<unknown>;
      return (args[1] as { isPipeline?: boolean } | undefined)?.isPipeline ? reply : thenMove(reply);
    }) as typeof send;
    client.pipeline = ((...args: Parameters<typeof pipeline>) => {
      const p = pipeline(...args);
      const exec = p.exec.bind(p);
      p.exec = (() => thenMove(exec())) as typeof p.exec;
      return p;
    }) as typeof pipeline;
    let row: Awaited<ReturnType<typeof quiet>>;
    try {
      row = await reading.run(true, quiet);
    } finally {
      client.sendCommand = send;
      client.pipeline = pipeline;
      client.options.enableAutoPipelining = true;
    }
    expect(moves).to.be.above(0);
    const held = row.interactions.length;
    expect(row.interactions, 'the chats it held at that moment').to.have.members(chats.slice(0, held));
    expect(row.load, 'its load at that same moment').to.include({ chat: held, total: held });
    expect(row.status.state).to.equal('not-ready');
    expect(row.pendingOfferId).to.equal(null);
    agent.socket.close();
  });
});
