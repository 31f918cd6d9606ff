import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { LoginLockout } from './lockout.js';
import { createRedis, type RedisHandle } from '../../kernel/redis.js';
import { testConfig } from '../../test/config.js';
import type { Config } from '../../kernel/config/schema.js';

describe('login lockout per username (real Redis, a clock of its own)', () => {
  let redis: RedisHandle;
  let config: Config;
  let clock = 1_000_000;
  let lockout: LoginLockout;
  before(async () => {
    config = testConfig();
    config.main.security.loginLockout = { failures: 3, lockSeconds: 60, maxLockSeconds: 200 };
    redis = createRedis({ ...config.main.redis, keyPrefix: `sbtest:lockout:${randomBytes(4).toString('hex')}:` });
    await redis.client.connect();
    lockout = new LoginLockout(redis, () => config, undefined, () => clock);
  });
  after(() => redis.close());

  it('locks after the failures, refuses without counting while locked, doubles each further lock up to the cap', async () => {
    const user = 'ada';
    expect([await lockout.attempt(user), await lockout.attempt(user), await lockout.attempt(user)]).to.deep.equal([0, 0, 0]);
    clock += 1000;
    expect(await lockout.attempt(user)).to.equal(59);
    clock += 29_000;
    // Attempts during the lock did not lengthen it.
    expect(await lockout.attempt(user)).to.equal(30);
    clock += 31_000;
    expect(await lockout.attempt(user)).to.equal(0); // the fourth wrong one: locked twice as long
    clock += 1000;
    expect(await lockout.attempt(user)).to.equal(119);
    clock += 120_000;
    expect(await lockout.attempt(user)).to.equal(0); // the fifth: 240 s, capped at 200
    expect(await lockout.attempt(user)).to.equal(200);
    // Another username is not affected, whatever the case of the name sent.
    expect(await lockout.attempt('sam')).to.equal(0);
    expect(await lockout.attempt('ADA')).to.equal(200);
  });

  it('forgets the failures after a right password, and when an admin lifts the lock', async () => {
    await lockout.attempt('pat');
    await lockout.attempt('pat');
    await lockout.succeeded('pat');
    expect([await lockout.attempt('pat'), await lockout.attempt('pat')]).to.deep.equal([0, 0]);
    await lockout.attempt('pat');
    expect(await lockout.attempt('pat')).to.equal(60);
    expect(await lockout.lift('pat')).to.equal(true);
    expect(await lockout.attempt('pat')).to.equal(0);
    expect(await lockout.lift('nobody')).to.equal(false);
  });
});
