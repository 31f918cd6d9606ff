import { expect } from 'chai';
import { api, startTestServer } from '../../test/server.js';
import { ScratchRedis, eventually } from '../../test/redis.js';
import { tcpProxy } from '../../test/tcp-proxy.js';

describe('/health and /ready', () => {
  it('report every dependency ready against the real services', async () => {
    const t = await startTestServer({ set: { 'switchboard.yaml:imap.enabled': true } });
    try {
      expect((await api(t.url, 'GET', '/health')).body).to.deep.equal({ status: 'ok' });
      // XMPP logs in asynchronously after start; wait for it rather than assume.
      const r = await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.status === 200);
      expect(Object.keys(r.body.checks)).to.deep.equal(['database', 'redis', 'xmpp', 'rtpengine', 'smtp', 'imap']);
      expect(r.body.degraded).to.deep.equal([]);
      for (const c of Object.values(r.body.checks) as { ok: boolean }[]) expect(c.ok).to.equal(true);
    } finally {
      await t.stop();
    }
  });

  it('reports a stopped Redis as not ready, and ready again when it returns', async () => {
    const redis = new ScratchRedis(await ScratchRedis.freePort());
    await redis.start();
    const t = await startTestServer({ set: { 'switchboard.yaml:redis.port': redis.port } });
    try {
      await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.status === 200);
      await redis.stop();
      const down = await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.status === 503);
      expect(down.body.ready).to.equal(false);
      expect(down.body.checks.redis.ok).to.equal(false);
      expect(down.body.checks.redis.error).to.be.a('string').and.not.empty;
      expect(down.body.checks.database.ok).to.equal(true);
      // Liveness does not depend on Redis: the process is fine, its dependency is not.
      expect((await api(t.url, 'GET', '/health')).status).to.equal(200);
      await redis.start();
      const up = await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.status === 200);
      expect(up.body.checks.redis.ok).to.equal(true);
    } finally {
      await t.stop();
      await redis.stop();
    }
  });

  it('reports rtpengine and XMPP as not ready when nothing answers at their addresses', async () => {
    const port = await ScratchRedis.freePort();
    const t = await startTestServer({ set: { 'switchboard.yaml:rtpengine.ngPort': port, 'switchboard.yaml:xmpp.port': port, 'switchboard.yaml:xmpp.componentPort': port } });
    try {
      const r = await api(t.url, 'GET', '/ready');
      expect(r.status).to.equal(503);
      expect(r.body.checks.rtpengine.ok).to.equal(false);
      expect(r.body.checks.xmpp.ok).to.equal(false);
      expect(r.body.checks.database.ok).to.equal(true);
    } finally {
      await t.stop();
    }
  });

  it('reports the mail servers (Postfix, Dovecot) and names a stopped one as degraded without taking the instance out', async () => {
    // A port this test controls in front of the shared mail system, which keeps running for others.
    const smtp = await tcpProxy(2525);
    const imap = await tcpProxy(1143);
    const t = await startTestServer({ set: { 'switchboard.yaml:smtp.port': smtp.port, 'switchboard.yaml:imap.enabled': true, 'switchboard.yaml:imap.port': imap.port } });
    try {
      const up = await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.status === 200 && x.body.checks.smtp?.ok && x.body.checks.imap?.ok);
      expect(up.body.degraded).to.deep.equal([]);
      await smtp.stop();
      await imap.stop();
      const down = await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.body.degraded?.length === 2);
      expect(down.status).to.equal(200);
      expect(down.body.degraded).to.deep.equal(['smtp', 'imap']);
      expect(down.body.checks.smtp.error).to.match(/ECONNREFUSED|connect/i);
      expect(down.body.checks.imap.error).to.be.a('string').and.not.empty;
      await smtp.start();
      await imap.start();
      await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.body.degraded?.length === 0);
    } finally {
      await t.stop();
      await smtp.stop();
      await imap.stop();
    }
  });

  it('leaves the mail servers out when mail is not configured', async () => {
    const t = await startTestServer({ set: { 'switchboard.yaml:smtp': undefined, 'switchboard.yaml:imap': undefined } });
    try {
      const r = await eventually(() => api(t.url, 'GET', '/ready'), (x) => x.status === 200);
      expect(Object.keys(r.body.checks)).to.deep.equal(['database', 'redis', 'xmpp', 'rtpengine']);
    } finally {
      await t.stop();
    }
  });
});
