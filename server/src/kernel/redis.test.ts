// Scripts sent by their SHA, on a Redis of the test's own: the test empties its script cache and
// restarts it, which the shared Redis must never see.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { redisScript } from './redis.js';
import { ScratchRedis } from '../test/redis.js';

describe('Redis scripts (EVALSHA, the text only when Redis lacks it)', () => {
  let redis: ScratchRedis;
  let client: Redis;
  before(async () => {
    redis = new ScratchRedis(await ScratchRedis.freePort());
    await redis.start();
    client = new Redis({ host: '127.0.0.1', port: redis.port });
    // Reported while the scratch Redis restarts; the commands wait for the reconnection.
    client.on('error', () => undefined);
  });
  after(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  /** How many scripts went to Redis as text (EVAL) since it started. */
  const sentAsText = async () => Number(/cmdstat_eval:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);
  const count = redisScript(`return { KEYS[1], ARGV[1], redis.call('INCR', KEYS[1]) }`);

  it('sends the text once, then the SHA alone; again after SCRIPT FLUSH and after a restart', async () => {
    expect(await count(client, ['n'], ['a'])).to.deep.equal(['n', 'a', 1]);
    expect(await count(client, ['n'], [2])).to.deep.equal(['n', '2', 2]);
    expect(await count(client, ['n'], [3])).to.deep.equal(['n', '3', 3]);
    expect(await sentAsText()).to.equal(1);

    await client.script('FLUSH');
    expect(await count(client, ['n'], [4])).to.deep.equal(['n', '4', 4]);
    expect(await count(client, ['n'], [5])).to.deep.equal(['n', '5', 5]);
    expect(await sentAsText()).to.equal(2);

    // No persistence: the count starts again, and so do the statistics.
    await redis.stop();
    await redis.start();
    expect(await count(client, ['n'], [6])).to.deep.equal(['n', '6', 1]);
    expect(await count(client, ['n'], [7])).to.deep.equal(['n', '7', 2]);
    expect(await sentAsText()).to.equal(1);
  });

  it('gives the script\'s own error as it is, without sending the text again', async () => {
    const failing = redisScript(`return redis.call('INCR', KEYS[1], 'too many')`);
    const before = await sentAsText();
    for (let n = 0; n < 2; n++) {
      const err = await failing(client, ['m'], []).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).to.match(/wrong number of args/i);
    }
    expect((await sentAsText()) - before).to.equal(1);
  });
});
