import { expect } from 'chai';
import { api, login, startTestServer, TestSocket } from '../../test/server.js';
import { ScratchRedis, eventually } from '../../test/redis.js';
import { ADMIN_PASSWORD } from '../../test/env.js';

/** How long a request took, printed for the record (docs/architecture/resilience.md); never asserted. */
async function timedApi(...args: Parameters<typeof api>) {
  const t0 = performance.now();
  const r = await api(...args);
  return { ...r, ms: Math.round(performance.now() - t0) };
}

describe('Redis outage: fail fast with a clear code, keep serving what needs no Redis', () => {
  it('answers 503 redis_unavailable to agents, serves widget configuration and /health, and recovers', async () => {
    const redis = new ScratchRedis(await ScratchRedis.freePort());
    await redis.start();
    const t = await startTestServer({ set: { 'switchboard.yaml:redis.port': redis.port } });
    try {
      const token = await login(t.url);
      const website = t.config.websites[0]!;
      const origin = { origin: website.origins[0]! };
      await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.status === 200);
      const socket = await TestSocket.open(t.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${token}` });
      // The snapshot is the last thing the socket's setup sends.
      await socket.next((m) => m.type === 'snapshot', 15000);

      await redis.stop();
      // The client notices the closed connection by itself; wait for that, not for a fixed time.
      await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.status === 503 && x.body.checks.redis.ok === false);

      const figures: Record<string, number> = {};
      const ready = await timedApi(t.url, 'GET', '/ready');
      expect(ready.status).to.equal(503);
      expect(ready.body.checks.redis.ok).to.equal(false);
      expect(ready.body.checks.database.ok).to.equal(true);
      figures.readyMs = ready.ms;

      const agents = await timedApi(t.url, 'GET', '/api/agents', undefined, token);
      expect(agents.status, JSON.stringify(agents.body)).to.equal(503);
      expect(agents.body.error.code).to.equal('redis_unavailable');
      expect(agents.headers.get('retry-after')).to.equal('5');
      figures.agentRestMs = agents.ms;

      const loginDown = await timedApi(t.url, 'POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
      expect(loginDown.status, JSON.stringify(loginDown.body)).to.equal(503);
      expect(loginDown.body.error.code).to.equal('redis_unavailable');
      figures.loginMs = loginDown.ms;

      // Widget configuration needs Redis only for its rate limiter, which lets requests through.
      const config = await timedApi(t.url, 'GET', `/api/widget/${website.id}/config`, undefined, undefined, origin);
      expect(config.status, JSON.stringify(config.body)).to.equal(200);
      figures.widgetConfigMs = config.ms;
      expect((await api(t.url, 'GET', '/health')).status).to.equal(200);

      // The open desktop's commands get the same code, with the command's ref, and the socket stays up.
      const t0 = performance.now();
      socket.send({ type: 'state.set', state: 'available', ref: 'r1' });
      const frame = await socket.next((m) => m.ref === 'r1', 15000);
      figures.agentCommandMs = Math.round(performance.now() - t0);
      expect(frame).to.include({ type: 'error', code: 'redis_unavailable' });
      expect(socket.closed).to.equal(undefined);

      // A new desktop socket is refused with 503 (not 500) while sessions cannot be read.
      const refused = await TestSocket.open(t.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${token}` }).then(
        () => 'opened',
        (err: Error) => err.message,
      );
      expect(refused).to.equal('HTTP 503');
      console.log(`      redis down: ${JSON.stringify(figures)}`);

      const back = performance.now();
      await redis.start();
      const again = await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.status === 200);
      expect(again.body.checks.redis.ok).to.equal(true);
      console.log(`      redis back: ready again after ${Math.round(performance.now() - back)} ms`);
      // The session lived in the scratch Redis that was killed: log in again now it is back.
      const fresh = await login(t.url);
      expect((await api(t.url, 'GET', '/api/agents', undefined, fresh)).status).to.equal(200);
      socket.close();
    } finally {
      await t.stop();
      await redis.stop();
    }
  });
});
