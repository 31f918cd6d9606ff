import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import dgram from 'node:dgram';
import path from 'node:path';
import { api, login, spawnServer, startTestServer, TestSocket } from './test/server.js';
import { makeConfigDir, setYaml } from './test/config.js';
import { REPO } from './test/env.js';
import { ScratchRedis, eventually } from './test/redis.js';

const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [path.join(REPO, 'server/dist/cli.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30000 });

describe('server start and stop', () => {
  it('refuses to start on a port already in use, with one clear message and exit 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = cli(['start', '--config', makeConfigDir({ set: { 'switchboard.yaml:server.port': port } })]);
      expect(r.status).to.equal(1);
      expect(r.stderr.trim()).to.equal(`switchboard: Port ${port} on 127.0.0.1 is already in use (switchboard.yaml: server.port). Stop the other program or pick another port.`);
    } finally {
      blocker.close();
    }
  });

  it('refuses to start when a SIP port is taken, with one clear message and exit 1', async () => {
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((r) => blocker.bind(0, '127.0.0.1', () => r()));
    const port = blocker.address().port;
    try {
      const r = cli(['start', '--config', makeConfigDir({ set: { 'switchboard.yaml:sip.enabled': true, 'switchboard.yaml:sip.udpPort': port } })]);
      expect(r.status).to.equal(1);
      expect(r.stderr.trim()).to.match(new RegExp(`^switchboard: A SIP port on 127\\.0\\.0\\.1 is already in use \\(switchboard\\.yaml: sip\\.udpPort ${port},`));
    } finally {
      blocker.close();
    }
  });

  it('refuses to start when the database is down, naming where it looked', async () => {
    const port = await ScratchRedis.freePort();
    const r = cli(['start', '--config', makeConfigDir({ set: { 'switchboard.yaml:database.port': port } })]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(new RegExp(`^switchboard: Cannot connect to the database \\S+ at 127\\.0\\.0\\.1:${port} as switchboard: .*ECONNREFUSED`));
  });

  it('refuses to start with an invalid configuration, listing the problems', () => {
    const dir = makeConfigDir({ set: { 'queues.yaml:queues.0.channel': 'pigeon' } });
    const r = cli(['start', '--config', dir]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain('queues.yaml: queues[0].channel: Invalid option');
  });

  it('stops gracefully on SIGTERM: sockets are told 1001 and the process exits 0', async () => {
    const s = await spawnServer(makeConfigDir());
    const token = await login(s.url);
    const ws = await TestSocket.open(s.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${token}` });
    await ws.next((m) => m.type === 'hello');
    s.proc.kill('SIGTERM');
    expect((await ws.waitClose(10000)).code).to.equal(1001);
    const code = await new Promise((r) => s.proc.once('exit', r));
    expect(code).to.equal(0);
  });
});

describe('two server instances', function () {
  // Two server processes started one after the other: each start is a process boot, migrations
  // checked and every service connected, which on a loaded machine takes 15–25 s.
  this.timeout(120_000);
  it('share an agent state: set on one, read and pushed on the other', async () => {
    const dir = makeConfigDir();
    const a = await spawnServer(dir);
    const b = await spawnServer(dir);
    try {
      const token = await login(a.url);
      const onB = await TestSocket.open(b.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${token}` });
      await onB.next((m) => m.type === 'hello');
      const set = await api(a.url, 'PUT', '/api/agents/me/state', { state: 'not-ready', reason: 'lunch' }, token);
      expect(set.status).to.equal(200);
      const pushed = await onB.next((m) => m.type === 'agent.state');
      expect(pushed.status).to.include({ state: 'not-ready', reason: 'lunch' });
      const me = await api(b.url, 'GET', '/api/auth/me', undefined, token);
      expect(me.body.status).to.include({ state: 'not-ready', reason: 'lunch' });
      // A logout on A closes the socket held by B.
      await api(a.url, 'POST', '/api/auth/logout', undefined, token);
      expect((await onB.waitClose()).code).to.equal(4001);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('reload the configuration together, and keep the running one when the new one is invalid', async () => {
    const dir = makeConfigDir();
    const a = await spawnServer(dir);
    const b = await spawnServer(dir);
    try {
      const token = await login(a.url);
      const snippetTitle = async (url: string) => (await api(url, 'GET', '/api/widget/example/config', undefined, undefined, { origin: 'http://localhost:8081' })).body.look.title;
      expect(await snippetTitle(b.url)).to.deep.equal({ en: 'Talk to us', it: 'Parla con noi', fr: 'Parlez-nous' });
      setYaml(dir, 'websites/example.yaml', 'look.title', 'Parliamo');
      expect((await api(a.url, 'POST', '/api/admin/config/reload', undefined, token)).status).to.equal(200);
      expect(await snippetTitle(a.url)).to.equal('Parliamo');
      await eventually(() => snippetTitle(b.url), (t) => t === 'Parliamo');

      setYaml(dir, 'websites/example.yaml', 'look.primaryColor', 'blue');
      const bad = await api(a.url, 'POST', '/api/admin/config/reload', undefined, token);
      expect(bad.status).to.equal(422);
      expect(bad.body.error.fields).to.deep.equal([{ field: 'websites/example.yaml: look.primaryColor', problem: 'must be a colour like #1a73e8' }]);
      expect(await snippetTitle(a.url)).to.equal('Parliamo');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('widget endpoints and the website allow-list', () => {
  it('serve a website config to its allowed origins only, with CORS for that origin', async () => {
    const t = await startTestServer();
    try {
      const ok = await api(t.url, 'GET', '/api/widget/example/config', undefined, undefined, { origin: 'http://localhost:8081' });
      expect(ok.status).to.equal(200);
      expect(ok.headers.get('access-control-allow-origin')).to.equal('http://localhost:8081');
      expect(ok.body.channels.chat).to.deep.equal({ enabled: true });
      expect(JSON.stringify(ok.body)).not.to.contain('support-chat'); // queue ids stay internal
      const evil = await api(t.url, 'GET', '/api/widget/example/config', undefined, undefined, { origin: 'https://evil.example' });
      expect(evil.status).to.equal(403);
      expect(evil.headers.get('access-control-allow-origin')).to.equal(null);
      expect((await api(t.url, 'GET', '/api/widget/example/config')).status).to.equal(403);
      expect((await api(t.url, 'GET', '/api/widget/nope/config', undefined, undefined, { origin: 'http://localhost:8081' })).status).to.equal(404);
      const pre = await fetch(t.url + '/api/widget/example/config', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
      expect(pre.status).to.equal(403);
      const wsUrl = t.url.replace('http', 'ws') + '/ws/widget?website=example';
      let refused = '';
      await TestSocket.open(wsUrl, { origin: 'https://evil.example' }).catch((e: Error) => (refused = e.message));
      expect(refused).to.equal('HTTP 403');
      const s = await TestSocket.open(wsUrl, { origin: 'http://localhost:8081' });
      expect(await s.next((m) => m.type === 'hello')).to.deep.equal({ type: 'hello', website: 'example' });
      s.send('{{{');
      expect((await s.next((m) => m.type === 'error')).code).to.equal('invalid_command');
      s.close();
    } finally {
      await t.stop();
    }
  });

  it('gives the admin the snippet through the API and the CLI', async function () {
    // The CLI is a process of its own: its start is most of this test's time on a loaded machine.
    this.timeout(90_000);
    const t = await startTestServer();
    try {
      const r = await api(t.url, 'GET', '/api/websites/example/snippet', undefined, await login(t.url));
      expect(r.body.snippet).to.equal('<script src="http://127.0.0.1:8080/widget/loader.js" data-switchboard-website="example" async></script>');
      const c = cli(['snippet', 'example', '--config', t.configDir]);
      expect(c.stdout.trim()).to.equal(r.body.snippet);
      expect(cli(['snippet', 'nope', '--config', t.configDir]).stderr).to.contain('no website "nope" (known: example)');
    } finally {
      await t.stop();
    }
  });

  it('serves an OpenAPI document listing every route with its roles', async () => {
    const t = await startTestServer();
    try {
      const doc = (await api(t.url, 'GET', '/api/openapi.json')).body;
      expect(doc.openapi).to.equal('3.1.0');
      expect(doc.paths['/api/agents'].post['x-roles']).to.deep.equal(['admin']);
      expect(doc.paths['/api/auth/login'].post.requestBody.content['application/json'].schema.required).to.deep.equal(['username', 'password']);
      expect(doc.paths['/api/agents/{id}'].patch.parameters[0].name).to.equal('id');
    } finally {
      await t.stop();
    }
  });
});
