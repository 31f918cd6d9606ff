// Another page in the agent's browser must not act as the agent (issue #13, points 1–2): a page on
// another port of the same host is "same-site", so the SameSite=Strict cookie goes with its form
// posts, no-cors fetches and WebSocket upgrades. Chromium opens such a page against the real
// server; raw requests forge the Origin and Sec-Fetch-Site headers a browser would send.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { api, login, startTestServer, TestSocket, type TestServer } from '../../test/server.js';

const PASSWORD = 'correct-horse-battery';

/** A page of someone else's, served on its own port of the same host. */
async function foreignSite(html: () => string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('cross-site requests and sockets are refused (CSRF, cross-site WebSocket hijacking)', function () {
  this.timeout(90_000);
  let t: TestServer;
  let admin: string;
  let adaId: string;
  let browser: Browser;

  // The suite's files share one database: these agents' names are this file's own.
  const suffix = randomBytes(3).toString('hex');
  const user = (name: string) => `${name}-${suffix}`;
  const session = async (name: string) => {
    const r = await api(t.url, 'POST', '/api/auth/login', { username: user(name), password: PASSWORD });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return r.body.token as string;
  };
  const alive = async (token: string) => (await api(t.url, 'GET', '/api/auth/me', undefined, token)).status === 200;
  const cookie = (token: string) => ({ cookie: `sb_session=${token}` });
  const wsUrl = () => t.url.replace('http', 'ws') + '/ws/agent';
  const upgradeStatus = (headers: Record<string, string>) =>
    TestSocket.open(wsUrl(), headers).then(
      async (s) => {
        const hello = await s.next((m) => m.type === 'hello');
        s.close();
        return `open as ${hello.agentId}`;
      },
      (err: Error) => err.message,
    );

  before(async () => {
    t = await startTestServer();
    admin = await login(t.url);
    for (const [username, role] of [['ada', 'agent'], ['bob', 'agent'], ['sue', 'admin']] as const) {
      const r = await api(t.url, 'POST', '/api/agents', { username: user(username), name: username, role, password: PASSWORD }, admin);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      if (username === 'ada') adaId = r.body.agent?.id ?? r.body.id;
    }
    const executablePath = process.env.CHROME_BIN || execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
    browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--host-resolver-rules=MAP *.example.com 127.0.0.1`] });
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  describe('in Chromium, a page on another port of the same host', () => {
    it('cannot log the agent out with a plain HTML form, nor an admin log out another agent with a no-cors fetch', async () => {
      const ada = await session('ada');
      const sue = await session('sue');
      const bob = await session('bob');
      const bobId = (await api(t.url, 'GET', '/api/auth/me', undefined, bob)).body.agent.id as string;
      const site = await foreignSite(
        () => `<!doctype html><body>
          <form id=f method=post action="${t.url}/api/auth/logout"></form>
          <script>
            fetch(${JSON.stringify(`${t.url}/api/agents/${bobId}/logout`)}, { method: 'POST', mode: 'no-cors', credentials: 'include' })
              .then(() => (document.title = 'fetched'), () => (document.title = 'fetched'));
          </script></body>`,
      );
      const context = await browser.newContext();
      try {
        // Ada's browser holds her cookie (as after a login on the desktop); Sue's holds hers.
        await context.addCookies([{ name: 'sb_session', value: ada, url: t.url, httpOnly: true, sameSite: 'Strict' }]);
        const page = await context.newPage();
        const answers: number[] = [];
        page.on('response', (r) => {
          if (r.url().startsWith(t.url)) answers.push(r.status());
        });
        await page.goto(site.origin + '/');
        await page.waitForFunction("document.title === 'fetched'");
        await Promise.all([page.waitForURL(`${t.url}/api/auth/logout`), page.evaluate("document.getElementById('f').submit()")]);
        expect(await page.locator('body').textContent()).to.include('cross_site_request');
        expect(await alive(ada), "Ada's session survives the form").to.equal(true);

        const sueContext = await browser.newContext();
        await sueContext.addCookies([{ name: 'sb_session', value: sue, url: t.url, httpOnly: true, sameSite: 'Strict' }]);
        const suePage = await sueContext.newPage();
        await suePage.goto(site.origin + '/');
        await suePage.waitForFunction("document.title === 'fetched'");
        await sueContext.close();
        expect(await alive(bob), "Bob's session survives the admin's forged logout").to.equal(true);
        expect(answers.every((s) => s === 403), JSON.stringify(answers)).to.equal(true);
      } finally {
        await context.close();
        await site.close();
      }
    });

    it("cannot open the agent's socket (no snapshot, no commands), while the desktop's own page can", async () => {
      const ada = await session('ada');
      const probe = `(url) => new Promise((resolve) => {
          const ws = new WebSocket(url);
          const seen = [];
          ws.onmessage = (e) => { seen.push(JSON.parse(e.data).type); ws.send(JSON.stringify({ type: 'ping' })); };
          ws.onclose = () => resolve({ seen });
          setTimeout(() => { resolve({ seen }); ws.close(); }, 3000);
        })`;
      const site = await foreignSite(() => '<!doctype html><title>elsewhere</title>');
      const context = await browser.newContext();
      try {
        await context.addCookies([{ name: 'sb_session', value: ada, url: t.url, httpOnly: true, sameSite: 'Strict' }]);
        const page = await context.newPage();
        await page.goto(site.origin + '/');
        const foreign = (await page.evaluate(`(${probe})(${JSON.stringify(wsUrl())})`)) as { seen: string[] };
        expect(foreign.seen, 'messages the foreign page received').to.deep.equal([]);

        // The same browser on Switchboard's own origin: the socket and a state change work.
        await page.goto(t.url + '/api/openapi.json');
        const own = (await page.evaluate(`(${probe})(${JSON.stringify(wsUrl())})`)) as { seen: string[] };
        expect(own.seen).to.include('hello');
        expect(own.seen).to.include('pong');
        const status = await page.evaluate(
          "fetch('/api/agents/me/state', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 'logged-out' }) }).then((r) => r.status)",
        );
        expect(status).to.equal(200);
      } finally {
        await context.close();
        await site.close();
      }
    });
  });

  describe('in Chromium, a page on another subdomain of the same site', () => {
    // switchboard.example.com and www.example.com are one site: the cookie goes along.
    it("cannot post a form as the agent nor open the agent's socket; the desktop's own host name can", async () => {
      const ada = await session('ada');
      const desk = t.url.replace('127.0.0.1', 'switchboard.example.com');
      const deskWs = desk.replace('http', 'ws') + '/ws/agent';
      const site = await foreignSite(() => `<!doctype html><body><form id=f method=post action="${desk}/api/auth/logout"></form></body>`);
      const www = site.origin.replace('127.0.0.1', 'www.example.com');
      const probe = `new Promise((resolve) => {
          const ws = new WebSocket(${JSON.stringify(deskWs)});
          const seen = [];
          ws.onmessage = (e) => seen.push(JSON.parse(e.data).type);
          ws.onclose = () => resolve(seen);
          setTimeout(() => { resolve(seen); ws.close(); }, 3000);
        })`;
      const context = await browser.newContext();
      try {
        await context.addCookies([{ name: 'sb_session', value: ada, url: desk, httpOnly: true, sameSite: 'Strict' }]);
        const page = await context.newPage();
        await page.goto(www + '/');
        expect(await page.evaluate(probe), 'messages the other subdomain received').to.deep.equal([]);
        await Promise.all([page.waitForURL(`${desk}/api/auth/logout`), page.evaluate("document.getElementById('f').submit()")]);
        expect(await page.locator('body').textContent()).to.include('cross_site_request');
        expect(await alive(ada), "Ada's session survives").to.equal(true);
        // Reached by that host name, Switchboard's own pages work: the Host the browser used is its own.
        await page.goto(desk + '/api/openapi.json');
        expect(await page.evaluate(probe)).to.include('hello');
        const status = await page.evaluate(
          "fetch('/api/agents/me/state', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 'logged-out' }) }).then((r) => r.status)",
        );
        expect(status).to.equal(200);
      } finally {
        await context.close();
        await site.close();
      }
    });
  });

  describe('raw requests with forged headers', () => {
    it('refuses a cookie request that changes something unless it names Switchboard as its origin', async () => {
      const ada = await session('ada');
      const foreign = { ...cookie(ada), origin: 'http://127.0.0.1:9' };
      const r = await api(t.url, 'PUT', '/api/agents/me/state', { state: 'logged-out' }, undefined, foreign);
      expect(r.status).to.equal(403);
      expect(r.body.error.code).to.equal('cross_site_request');
      expect(r.body.error.message).to.include('http://127.0.0.1:9');
      const refused: Record<string, string>[] = [
        { 'sec-fetch-site': 'same-site' },
        { 'sec-fetch-site': 'cross-site' },
        { origin: t.url, 'sec-fetch-site': 'same-site' },
        { origin: 'null' },
        { origin: t.url.replace('127.0.0.1', 'localhost') },
        {}, // no browser would send a cookie without either header
      ];
      for (const headers of refused) {
        const x = await api(t.url, 'PUT', '/api/agents/me/state', { state: 'logged-out' }, undefined, { ...cookie(ada), ...headers });
        expect(x.status, JSON.stringify(headers)).to.equal(403);
        expect(x.body.error.code).to.equal('cross_site_request');
      }
      const accepted: Record<string, string>[] = [{ origin: t.url }, { 'sec-fetch-site': 'same-origin' }, { origin: t.url, 'sec-fetch-site': 'same-origin' }];
      for (const headers of accepted) {
        const x = await api(t.url, 'PUT', '/api/agents/me/state', { state: 'logged-out' }, undefined, { ...cookie(ada), ...headers });
        expect(x.status, JSON.stringify(headers)).to.equal(200);
      }
      // Reads are not guarded (they change nothing and CORS keeps their answers from other pages).
      expect((await api(t.url, 'GET', '/api/auth/me', undefined, undefined, foreign)).status).to.equal(200);
      expect(await alive(ada)).to.equal(true);
    });

    it('refuses form content types on JSON routes, even with an empty body and the right origin', async () => {
      const ada = await session('ada');
      for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain;charset=UTF-8']) {
        const r = await api(t.url, 'POST', '/api/auth/logout', undefined, undefined, { ...cookie(ada), origin: t.url, 'content-type': type, 'content-length': '0' });
        expect(r.status, type).to.equal(415);
        expect(r.body.error.code).to.equal('unsupported_media_type');
      }
      expect(await alive(ada)).to.equal(true);
    });

    it('leaves bearer-token clients alone, and refuses a login a foreign page posts', async () => {
      const ada = await session('ada');
      const r = await api(t.url, 'PUT', '/api/agents/me/state', { state: 'logged-out' }, ada, { origin: 'http://127.0.0.1:9', 'sec-fetch-site': 'cross-site' });
      expect(r.status).to.equal(200);
      const forged = await api(t.url, 'POST', '/api/auth/login', { username: user('ada'), password: PASSWORD }, undefined, { origin: 'http://127.0.0.1:9' });
      expect(forged.status).to.equal(403);
      expect(forged.body.error.code).to.equal('cross_site_request');
      expect(forged.headers.get('set-cookie')).to.equal(null);
      expect((await api(t.url, 'POST', '/api/auth/login', { username: user('ada'), password: PASSWORD }, undefined, { origin: t.url })).status).to.equal(200);
    });

    it("refuses an agent socket upgrade with the cookie from another origin or none; the bearer token needs no origin", async () => {
      const ada = await session('ada');
      expect(await upgradeStatus({ ...cookie(ada), origin: 'http://127.0.0.1:9' })).to.equal('HTTP 403');
      expect(await upgradeStatus({ ...cookie(ada), origin: t.url.replace('127.0.0.1', 'localhost') })).to.equal('HTTP 403');
      expect(await upgradeStatus(cookie(ada))).to.equal('HTTP 403');
      expect(await upgradeStatus({ ...cookie(ada), origin: t.url })).to.equal(`open as ${adaId}`);
      expect(await upgradeStatus({ authorization: `Bearer ${ada}` })).to.equal(`open as ${adaId}`);
      expect(await upgradeStatus({ authorization: `Bearer ${ada}`, origin: 'http://127.0.0.1:9' })).to.equal(`open as ${adaId}`);
    });

    it('refuses a widget socket from an origin not on the website allow-list', async () => {
      const open = (origin?: string) =>
        TestSocket.open(t.url.replace('http', 'ws') + '/ws/widget?website=example', origin ? { origin } : {}).then(
          (s) => (s.close(), 'open'),
          (err: Error) => err.message,
        );
      const allowed = t.config.websites.find((w) => w.id === 'example')!.origins[0]!;
      expect(await open('http://127.0.0.1:9')).to.equal('HTTP 403');
      expect(await open()).to.equal('HTTP 403');
      expect(await open(allowed)).to.equal('open');
    });
  });

  describe('behind a reverse proxy', () => {
    let proxied: TestServer;
    before(async () => {
      proxied = await startTestServer({ set: { 'switchboard.yaml:server.publicUrl': 'https://switchboard.example.com', 'switchboard.yaml:server.trustProxy': true } });
    });
    after(() => proxied?.stop());

    it("takes the browser's origin from the public URL or X-Forwarded-Host/-Proto, never from another page", async () => {
      const token = await login(proxied.url);
      const put = (headers: Record<string, string>) => api(proxied.url, 'PUT', '/api/agents/me/state', { state: 'logged-out' }, undefined, { cookie: `sb_session=${token}`, ...headers });
      expect((await put({ origin: 'https://switchboard.example.com' })).status).to.equal(200);
      const fwd = { 'x-forwarded-host': 'desk.example.com', 'x-forwarded-proto': 'https' };
      expect((await put({ origin: 'https://desk.example.com', ...fwd })).status).to.equal(200);
      expect((await put({ origin: 'http://desk.example.com', ...fwd })).status).to.equal(403);
      expect((await put({ origin: 'https://www.example.com', ...fwd })).status).to.equal(403);
      const ws = proxied.url.replace('http', 'ws') + '/ws/agent';
      const s = await TestSocket.open(ws, { cookie: `sb_session=${token}`, origin: 'https://desk.example.com', ...fwd });
      await s.next((m) => m.type === 'hello');
      s.close();
      const refused = await TestSocket.open(ws, { cookie: `sb_session=${token}`, origin: 'https://www.example.com', ...fwd }).then(
        () => 'open',
        (err: Error) => err.message,
      );
      expect(refused).to.equal('HTTP 403');
    });
  });
});
