// The routes only the widget uses: the frame page (embeddable by the website's origins only) and
// the availability the site's bot watches before it hands a visitor to an agent.
import { expect } from 'chai';
import { login, makeAgent, startRoutingServer, type TestServer } from '../../test/routing.js';
import { widget } from '../../test/chat.js';
import { api, startTestServer } from '../../test/server.js';
import { eventually } from '../../test/redis.js';

describe('widget API: availability and the frame page', () => {
  let t: TestServer;
  before(async () => {
    t = await startRoutingServer();
  });
  after(() => t.stop());

  it('reports no agent, then an available agent, per channel and bot option', async () => {
    const none = await widget(t.url, 'GET', '/availability');
    expect(none.status).to.equal(200);
    expect(none.body.channels.chat).to.include({ open: true, agentsAvailable: 0, available: false });
    expect(Object.keys(none.body.channels).sort()).to.deep.equal(['call', 'callback', 'chat', 'mail', 'video']);
    const admin = await login(t.url);
    const a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 8 }] });
    const now = await eventually(() => widget(t.url, 'GET', '/availability'), (r) => r.body.channels.chat.available === true);
    expect(now.body.channels.chat.agentsAvailable).to.equal(1);
    expect(now.body.options.orders).to.include({ available: true });
    expect(JSON.stringify(now.body)).to.not.contain(a.id);
    a.socket.close();
  });

  it('is refused to pages of other origins', async () => {
    expect((await widget(t.url, 'GET', '/availability', undefined, undefined, 'http://127.0.0.1:9')).status).to.equal(403);
    expect((await api(t.url, 'GET', '/api/widget/example/availability')).status).to.equal(403);
  });

  it("accepts the frame's own same-origin requests", async () => {
    const r = await api(t.url, 'GET', '/api/widget/example/config', undefined, undefined, { 'sec-fetch-site': 'same-origin' });
    expect(r.status).to.equal(200);
    const cross = await api(t.url, 'GET', '/api/widget/example/config', undefined, undefined, { 'sec-fetch-site': 'cross-site' });
    expect(cross.status).to.equal(403);
    const own = await api(t.url, 'POST', '/api/widget/example/mail', { fields: {} }, undefined, { origin: t.url });
    expect(own.status).to.equal(400);
  });

  it('serves the frame page only to the website origins as ancestors, never cached', async () => {
    const r = await fetch(`${t.url}/widget/frame/example`);
    // The root build (npm run build) builds the widget before any test runs.
    expect(r.status).to.equal(200);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).to.contain('frame-ancestors http://127.0.0.1:8081 http://localhost:8081');
    expect(csp).to.contain("script-src 'self'");
    expect(r.headers.get('cache-control')).to.equal('no-cache');
    expect((await fetch(`${t.url}/widget/frame/nope`)).status).to.equal(404);
  });
});

describe('widget API: outside hours', () => {
  it('reports every channel closed', async () => {
    const t = await startTestServer({ set: { 'websites/example.yaml:hours': 'closed', 'hours.yaml:calendars.2': { id: 'closed', name: 'Closed', timezone: 'UTC', weekly: {}, holidays: [] } } });
    try {
      const r = await widget(t.url, 'GET', '/availability');
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      const channels = Object.values(r.body.channels as Record<string, { open: boolean; agentsAvailable: number }>);
      expect(channels).to.have.length(5);
      for (const c of channels) expect(c).to.include({ open: false, agentsAvailable: 0 });
    } finally {
      await t.stop();
    }
  });
});
