// Scripts sent by their SHA, on a Redis of the test's own: the test empties its script cache and
// restarts it, which the shared Redis must never see.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createRedis, redisScript, type RedisHandle } from './redis.js';
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

describe('Redis commands issued together (one write to Redis)', () => {
  let redis: ScratchRedis;
  let handle: RedisHandle;
  let probe: Redis;
  before(async () => {
    redis = new ScratchRedis(await ScratchRedis.freePort());
    await redis.start();
    handle = createRedis({ host: '127.0.0.1', port: redis.port, db: 0, keyPrefix: 't:', commandTimeoutMs: 5000, jobLockSeconds: 30, jobStalledCheckSeconds: 30 });
    await handle.client.connect();
    probe = new Redis({ host: '127.0.0.1', port: redis.port });
  });
  after(async () => {
    await handle?.close();
    probe?.disconnect();
    await redis?.stop();
  });

  /** Reads Redis has done on all its connections (each INFO from the probe is one of them). */
  const readsDone = async () => Number(/total_reads_processed:(\d+)/.exec(await probe.info('stats'))?.[1]);

  it('sends the commands of one turn of the event loop in one write, each answered in order, a failing one failing alone', async () => {
    const c = handle.client;
    const script = redisScript(`return redis.call('INCR', KEYS[1])`);
    await c.set('text', 'not a number');
    // Loaded first: a script Redis lacks is sent again as text once its SHA has failed.
    await script(c, ['loaded'], []);
    const before = await readsDone();
    const replies = await Promise.allSettled([
      ...Array.from({ length: 10 }, () => c.incr('n')),
      c.incr('text'),
      script(c, ['n'], []),
      c.get('n'),
    ]);
    const reads = (await readsDone()) - before - 1;
    expect(replies.slice(0, 10).map((r) => (r as PromiseFulfilledResult<number>).value)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(replies[10].status).to.equal('rejected');
    expect((replies[11] as PromiseFulfilledResult<number>).value).to.equal(11);
    expect((replies[12] as PromiseFulfilledResult<string>).value).to.equal('11');
    // One write, which Redis may take in a few reads; one command a write would be 13 and more.
    expect(reads).to.be.below(4);
  });
});
