import { expect } from 'chai';
import { api, login, startTestServer, type TestServer } from '../../test/server.js';

describe('GET /api/reasons', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ set: { 'reasons.yaml:notReady': [{ id: 'meeting', label: 'Team meeting' }, { id: 'break', label: 'Break' }] } });
  });
  after(() => t.stop());

  it('gives any logged-in agent the not-ready reasons and dispositions of reasons.yaml', async () => {
    const admin = await login(t.url);
    const created = await api(t.url, 'POST', '/api/agents', { username: 'rita', name: 'Rita', role: 'agent', password: 'correct-horse-battery' }, admin);
    expect(created.status).to.equal(201);
    const rita = await login(t.url, 'rita', 'correct-horse-battery');
    const r = await api(t.url, 'GET', '/api/reasons', undefined, rita);
    expect(r.status).to.equal(200);
    expect(r.body.notReady).to.deep.equal([{ id: 'meeting', label: 'Team meeting' }, { id: 'break', label: 'Break' }]);
    expect(r.body.dispositions.map((d: { id: string }) => d.id)).to.include.members(t.config.reasons.dispositions.map((d) => d.id));
    expect(r.body.dispositions.at(-1)).to.deep.equal({ id: 'timeout', label: 'Timeout' });
  });

  it('refuses callers without a session', async () => {
    const r = await api(t.url, 'GET', '/api/reasons');
    expect(r.status).to.equal(401);
  });
});
