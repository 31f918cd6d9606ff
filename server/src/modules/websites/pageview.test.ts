// The page-view path: every page of every customer site asks for the widget configuration, and
// a site's bot polls availability. Cacheable answers, no Redis command per page view, and a limit
// per visitor address that costs no round trip either.
import { expect } from 'chai';
import { setYaml } from '../../test/config.js';
import { api, login, startTestServer, type TestServer } from '../../test/server.js';
import { WIDGET_CONFIG_MAX_AGE_SECONDS } from './routes.js';

const ORIGIN = 'http://localhost:8081';
const get = (t: TestServer, path: string, headers: Record<string, string> = {}) => api(t.url, 'GET', `/api/widget/example${path}`, undefined, undefined, { origin: ORIGIN, ...headers });

/**
 * Counts the commands this server's Redis connection sends on behalf of an HTTP request: those
 * with Koa's middleware on their (async) stack. The modules' own timers (routing dispatch, leases,
 * bus) run beside any request and are no page view's doing.
 */
function countRedisCommands(t: TestServer): { count: () => number; stop: () => void } {
  const client = t.sb.kernel.redis.client;
  const original = client.sendCommand.bind(client);
  let n = 0;
  client.sendCommand = ((...args: Parameters<typeof original>) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 100;
    if (/node_modules\/koa/.test(new Error().stack ?? '')) n++;
    Error.stackTraceLimit = limit;
    return original(...args);
  }) as typeof client.sendCommand;
  return { count: () => n, stop: () => void (client.sendCommand = original) };
}

describe('the page-view path', function () {
  this.timeout(60000);
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ set: { 'switchboard.yaml:security.rateLimits.widgetPerMinute': 1000 } });
  });
  after(() => t.stop());

  it('serves the widget configuration with a validator: 304 while unchanged, the new one after a reload', async () => {
    const first = await get(t, '/config');
    expect(first.status).to.equal(200);
    const etag = first.headers.get('etag')!;
    expect(etag).to.match(/^"[A-Za-z0-9_-]{20,}"$/);
    expect(first.headers.get('cache-control')).to.match(new RegExp(`^public, max-age=([0-9]|[1-5][0-9]|${WIDGET_CONFIG_MAX_AGE_SECONDS})$`));
    expect(first.headers.get('vary')).to.equal('Origin');
    const again = await get(t, '/config', { 'if-none-match': etag });
    expect(again.status).to.equal(304);
    expect(again.body).to.equal(undefined);
    expect(again.headers.get('access-control-allow-origin')).to.equal(ORIGIN);
    // Another origin is still refused: the cache never skips the origin check.
    expect((await api(t.url, 'GET', '/api/widget/example/config', undefined, undefined, { origin: 'https://evil.example', 'if-none-match': etag })).status).to.equal(403);

    setYaml(t.configDir, 'websites/example.yaml', 'look.title', 'Reloaded title');
    expect((await api(t.url, 'POST', '/api/admin/config/reload', undefined, await login(t.url))).status).to.equal(200);
    const after = await get(t, '/config', { 'if-none-match': etag });
    expect(after.status).to.equal(200);
    expect(after.body.look.title).to.equal('Reloaded title');
    expect(after.headers.get('etag')).not.to.equal(etag);
  });

  it('sends no Redis command for page views of the configuration', async () => {
    await get(t, '/config');
    const redis = countRedisCommands(t);
    try {
      for (let i = 0; i < 30; i++) expect((await get(t, '/config')).status).to.equal(200);
      await Promise.all(Array.from({ length: 30 }, () => get(t, '/config')));
      expect(redis.count()).to.equal(0);
    } finally {
      redis.stop();
    }
  });

  it('computes availability once for visitors asking together, and answers 304 while it is unchanged', async () => {
    const routing = t.sb.contexts.routing;
    const original = routing.availability.bind(routing);
    let asked = 0;
    routing.availability = ((...args: Parameters<typeof original>) => {
      asked++;
      return original(...args);
    }) as typeof routing.availability;
    try {
      const first = await get(t, '/availability');
      expect(first.status).to.equal(200);
      const perAnswer = asked;
      expect(perAnswer).to.be.greaterThan(0);
      expect(first.headers.get('cache-control')).to.equal('no-cache');
      expect((await get(t, '/availability', { 'if-none-match': first.headers.get('etag')! })).status).to.equal(304);
      asked = 0;
      const answers = await Promise.all(Array.from({ length: 20 }, () => get(t, '/availability')));
      expect(answers.every((a) => a.status === 200)).to.equal(true);
      // One computation per instance and second, whatever the number of visitors.
      expect(asked).to.be.below(perAnswer * 20);
    } finally {
      routing.availability = original;
    }
  });

  it('limits a visitor address with 429 and Retry-After, without asking Redis', async () => {
    const limited = await startTestServer({ set: { 'switchboard.yaml:security.rateLimits.widgetPerMinute': 5 } });
    const redis = countRedisCommands(limited);
    try {
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) codes.push((await get(limited, '/config')).status);
      expect(codes).to.deep.equal([200, 200, 200, 200, 200, 429, 429]);
      const r = await get(limited, '/config');
      expect(Number(r.headers.get('retry-after'))).to.be.within(1, 60);
      expect(r.body.error.code).to.equal('rate_limited');
      expect(redis.count()).to.equal(0);
    } finally {
      redis.stop();
      await limited.stop();
    }
  });
});
