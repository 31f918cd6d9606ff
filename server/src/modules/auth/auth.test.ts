import { expect } from 'chai';
import { api, login, startTestServer, TestSocket, type TestServer } from '../../test/server.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { ADMIN_PASSWORD, REPO } from '../../test/env.js';
import { ManualClock } from '../../test/clock.js';

// The limits count per minute of the server's clock: a clock that stands still keeps a test's
// requests in one window, whatever the time of day and however slowly the machine answers.
const stillClock = () => new ManualClock(new Date());

describe('agent authentication and roles', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startTestServer();
    admin = await login(t.url);
    for (const [username, role] of [['ada', 'agent'], ['sam', 'supervisor']] as const) {
      const r = await api(t.url, 'POST', '/api/agents', { username, name: username, role, password: 'correct-horse-battery' }, admin);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    }
  });
  after(() => t.stop());

  const ws = (token: string) => TestSocket.open(t.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${token}` });

  it('logs in with the right password and never returns the password hash', async () => {
    const r = await api(t.url, 'POST', '/api/auth/login', { username: 'ada', password: 'correct-horse-battery' });
    expect(r.status).to.equal(200);
    expect(r.body.token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(r.body.agent.role).to.equal('agent');
    expect(JSON.stringify(r.body)).not.to.match(/scrypt|passwordHash/);
    expect(r.headers.get('set-cookie')).to.match(/sb_session=.*httponly/i);
    const me = await api(t.url, 'GET', '/api/auth/me', undefined, r.body.token);
    expect(me.body.agent.username).to.equal('ada');
  });

  it('refuses a wrong password and an unknown user with the same answer', async () => {
    const wrong = await api(t.url, 'POST', '/api/auth/login', { username: 'ada', password: 'nope-nope-nope' });
    const unknown = await api(t.url, 'POST', '/api/auth/login', { username: 'nobody', password: 'nope-nope-nope' });
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(401);
    expect(wrong.body).to.deep.equal(unknown.body);
  });

  it('authenticates with the session cookie as well as the bearer token', async () => {
    const r = await api(t.url, 'POST', '/api/auth/login', { username: 'ada', password: 'correct-horse-battery' });
    const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
    const me = await api(t.url, 'GET', '/api/auth/me', undefined, undefined, { cookie });
    expect(me.status).to.equal(200);
  });

  it('denies routes above the role, and answers 401 without a session', async () => {
    const ada = await login(t.url, 'ada', 'correct-horse-battery');
    const sam = await login(t.url, 'sam', 'correct-horse-battery');
    expect((await api(t.url, 'GET', '/api/agents', undefined, ada)).status).to.equal(403);
    expect((await api(t.url, 'GET', '/api/agents', undefined, sam)).status).to.equal(200);
    expect((await api(t.url, 'POST', '/api/agents', { username: 'x1', name: 'x', role: 'admin', password: 'correct-horse-battery' }, sam)).status).to.equal(403);
    expect((await api(t.url, 'POST', '/api/admin/config/reload', undefined, ada)).status).to.equal(403);
    expect((await api(t.url, 'GET', '/api/agents')).status).to.equal(401);
    expect((await api(t.url, 'GET', '/api/agents', undefined, 'x'.repeat(43))).status).to.equal(401);
  });

  it('logout ends every session and closes every socket of the agent at once', async () => {
    const a = await login(t.url, 'ada', 'correct-horse-battery');
    const b = await login(t.url, 'ada', 'correct-horse-battery');
    const sa = await ws(a);
    const sb = await ws(b);
    await sa.next((m) => m.type === 'hello');
    await sb.next((m) => m.type === 'hello');
    expect((await api(t.url, 'POST', '/api/auth/logout', undefined, a)).status).to.equal(204);
    expect((await sa.waitClose()).code).to.equal(4001);
    expect((await sb.waitClose()).code).to.equal(4001);
    expect((await api(t.url, 'GET', '/api/auth/me', undefined, b)).status).to.equal(401);
    let refused = '';
    await ws(b).catch((e: Error) => (refused = e.message));
    expect(refused).to.equal('HTTP 401');
  });

  it('a password change ends the sessions; the new password works and the old does not', async () => {
    await api(t.url, 'POST', '/api/agents', { username: 'pat', name: 'Pat', role: 'agent', password: 'first-password-1' }, admin);
    const token = await login(t.url, 'pat', 'first-password-1');
    const s = await ws(token);
    await s.next((m) => m.type === 'hello');
    const wrong = await api(t.url, 'POST', '/api/auth/password', { currentPassword: 'not-it-at-all', newPassword: 'second-password-2' }, token);
    expect(wrong.status).to.equal(400);
    expect(wrong.body.error.fields).to.deep.equal([{ field: 'currentPassword', problem: 'is wrong' }]);
    const short = await api(t.url, 'POST', '/api/auth/password', { currentPassword: 'first-password-1', newPassword: 'short' }, token);
    expect(short.status).to.equal(400);
    expect((await api(t.url, 'POST', '/api/auth/password', { currentPassword: 'first-password-1', newPassword: 'second-password-2' }, token)).status).to.equal(204);
    expect((await s.waitClose()).code).to.equal(4001);
    expect((await api(t.url, 'GET', '/api/auth/me', undefined, token)).status).to.equal(401);
    expect((await api(t.url, 'POST', '/api/auth/login', { username: 'pat', password: 'first-password-1' })).status).to.equal(401);
    expect((await api(t.url, 'POST', '/api/auth/login', { username: 'pat', password: 'second-password-2' })).status).to.equal(200);
  });

  it('an admin deactivating an agent ends their sessions and refuses new logins', async () => {
    await api(t.url, 'POST', '/api/agents', { username: 'dee', name: 'Dee', role: 'agent', password: 'dee-password-1' }, admin);
    const token = await login(t.url, 'dee', 'dee-password-1');
    const id = (await api(t.url, 'GET', '/api/auth/me', undefined, token)).body.agent.id;
    expect((await api(t.url, 'PATCH', `/api/agents/${id}`, { active: false }, admin)).status).to.equal(200);
    expect((await api(t.url, 'GET', '/api/auth/me', undefined, token)).status).to.equal(401);
    expect((await api(t.url, 'POST', '/api/auth/login', { username: 'dee', password: 'dee-password-1' })).status).to.equal(401);
  });

  it('the bootstrap admin from agents.yaml exists with the configured password', async () => {
    expect((await api(t.url, 'POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).status).to.equal(200);
  });
});

describe('bad API input', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startTestServer();
    admin = await login(t.url);
  });
  after(() => t.stop());

  it('answers 400 naming the field for a wrong type, a missing field and an unknown field', async () => {
    const r = await api(t.url, 'POST', '/api/agents', { username: 'Bad Name!', role: 'emperor', password: 7, color: 'red' }, admin);
    expect(r.status).to.equal(400);
    const fields = r.body.error.fields.map((f: { field: string }) => f.field);
    expect(fields).to.include.members(['username', 'name', 'role', 'password', 'color']);
    expect(JSON.stringify(r.body)).not.to.match(/at .*\.js|stack/);
  });

  it('answers 400 for a body that is not JSON, 415 for a form post, 413 for a huge body', async () => {
    expect((await api(t.url, 'POST', '/api/auth/login', '{"username": "admin", ')).status).to.equal(400);
    const form = await fetch(t.url + '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=admin&password=x' });
    expect(form.status).to.equal(415);
    const huge = await api(t.url, 'POST', '/api/auth/login', { username: 'a', password: 'x'.repeat(200_000) });
    expect(huge.status).to.equal(413);
  });

  it('refuses an unknown not-ready reason and a reason on Available, state unchanged', async () => {
    const before = await api(t.url, 'GET', '/api/auth/me', undefined, admin);
    const r1 = await api(t.url, 'PUT', '/api/agents/me/state', { state: 'not-ready', reason: 'nap' }, admin);
    expect(r1.status).to.equal(400);
    expect(r1.body.error.fields[0].field).to.equal('reason');
    const r2 = await api(t.url, 'PUT', '/api/agents/me/state', { state: 'available', reason: 'break' }, admin);
    expect(r2.status).to.equal(400);
    const r3 = await api(t.url, 'PUT', '/api/agents/me/state', { state: 'busy' }, admin);
    expect(r3.status).to.equal(400);
    const after = await api(t.url, 'GET', '/api/auth/me', undefined, admin);
    expect(after.body.status).to.deep.equal(before.body.status);
  });

  it('answers 404 with JSON for unknown routes and ids, never 500', async () => {
    expect((await api(t.url, 'GET', '/api/nothing-here')).status).to.equal(404);
    expect((await api(t.url, 'PATCH', '/api/agents/not-an-id', { name: 'x' }, admin)).status).to.equal(404);
    expect((await api(t.url, 'PATCH', '/api/agents/' + '0'.repeat(32), { name: 'x' }, admin)).status).to.equal(404);
  });

  it('refuses a duplicate username with 409', async () => {
    const body = { username: 'twin', name: 'Twin', role: 'agent', password: 'twin-password-1' };
    expect((await api(t.url, 'POST', '/api/agents', body, admin)).status).to.equal(201);
    expect((await api(t.url, 'POST', '/api/agents', body, admin)).status).to.equal(409);
  });

  it('answers garbage on the agent socket with an error frame and keeps the socket open', async () => {
    const s = await TestSocket.open(t.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${admin}` });
    await s.next((m) => m.type === 'hello');
    s.send('this is not json');
    expect((await s.next((m) => m.type === 'error')).code).to.equal('invalid_command');
    s.send({ type: 'launch-missiles', ref: 'r1' });
    expect(await s.next((m) => m.type === 'error')).to.include({ code: 'invalid_command', ref: 'r1' });
    s.send({ type: 'state.set', state: 'not-ready', reason: 'nap', ref: 'r2' });
    expect(await s.next((m) => m.type === 'error')).to.include({ code: 'invalid_request', ref: 'r2' });
    s.ws.send(Buffer.from([0, 1, 2, 3]), { binary: true });
    expect((await s.next((m) => m.type === 'error')).code).to.equal('invalid_command');
    s.send({ type: 'ping', ref: 'still-here' });
    expect(await s.next((m) => m.type === 'pong')).to.deep.equal({ type: 'pong', ref: 'still-here' });
    s.send({ type: 'state.set', state: 'not-ready', reason: 'break', ref: 'r3' });
    expect((await s.next((m) => m.type === 'agent.state' && m.ref === 'r3')).status).to.include({ state: 'not-ready', reason: 'break' });
    s.close();
  });

  it('limits API requests per agent, not per address: one busy agent does not block another', async () => {
    const limited = await startTestServer({ set: { 'switchboard.yaml:security.rateLimits.apiPerMinute': 3 }, redisPrefix: `sbtest:rl-api:${Date.now()}:`, clock: stillClock() });
    try {
      const a = await login(limited.url);
      const b = await login(limited.url);
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await api(limited.url, 'GET', '/api/auth/me', undefined, a)).status);
      expect(codes).to.deep.equal([200, 200, 200, 429]);
      expect((await api(limited.url, 'GET', '/api/auth/me', undefined, b)).status).to.equal(200);
    } finally {
      await limited.stop();
    }
  });

  it('limits login attempts per minute with 429 and Retry-After', async () => {
    const limited = await startTestServer({ set: { 'switchboard.yaml:security.rateLimits.loginPerMinute': 3 }, redisPrefix: `sbtest:rl:${Date.now()}:`, clock: stillClock() });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await api(limited.url, 'POST', '/api/auth/login', { username: 'admin', password: 'wrong-wrong' })).status);
      expect(codes.slice(0, 3)).to.deep.equal([401, 401, 401]);
      expect(codes.slice(3)).to.deep.equal([429, 429]);
      const r = await api(limited.url, 'POST', '/api/auth/login', { username: 'admin', password: 'wrong-wrong' });
      expect(Number(r.headers.get('retry-after'))).to.be.within(1, 60);
    } finally {
      await limited.stop();
    }
  });

  it('locks a username after wrong passwords from many addresses, refuses even the right one, and the admin CLI lifts it', async function () {
    // The CLI is a process of its own: its start is most of this test's time on a loaded machine.
    this.timeout(90_000);
    const limited = await startTestServer({
      set: {
        'switchboard.yaml:server.trustProxy': true,
        'switchboard.yaml:security.rateLimits.loginPerMinute': 3,
        'switchboard.yaml:security.loginLockout': { failures: 4, lockSeconds: 600, maxLockSeconds: 3600 },
      },
      redisPrefix: `sbtest:lock:${Date.now()}:`,
      clock: stillClock(),
    });
    try {
      const from = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}` });
      const admin = await login(limited.url);
      await api(limited.url, 'POST', '/api/agents', { username: 'lou', name: 'Lou', role: 'agent', password: 'lou-password-1' }, admin);
      const codes: number[] = [];
      for (let i = 1; i <= 6; i++) codes.push((await api(limited.url, 'POST', '/api/auth/login', { username: 'lou', password: `guess-${i}-guess` }, undefined, from(i))).status);
      expect(codes).to.deep.equal([401, 401, 401, 401, 429, 429]);
      const right = await api(limited.url, 'POST', '/api/auth/login', { username: 'lou', password: 'lou-password-1' }, undefined, from(50));
      expect(right.status).to.equal(429);
      expect(right.body.error.code).to.equal('login_locked');
      expect(Number(right.headers.get('retry-after'))).to.be.within(1, 600);
      // The same answer for a username nobody has: the lock tells nothing about who exists.
      for (let i = 1; i <= 4; i++) await api(limited.url, 'POST', '/api/auth/login', { username: 'nobody', password: 'guess-guess' }, undefined, from(100 + i));
      expect((await api(limited.url, 'POST', '/api/auth/login', { username: 'nobody', password: 'guess-guess' }, undefined, from(110))).body.error.code).to.equal('login_locked');
      // Other agents log in as usual.
      expect((await api(limited.url, 'POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD }, undefined, from(60))).status).to.equal(200);
      // Not spawnSync: the server under test runs in this process and must keep answering.
      const unlock = await promisify(execFile)(process.execPath, [path.join(REPO, 'server/dist/cli.js'), 'agents', 'unlock', 'lou', '--config', limited.configDir], { encoding: 'utf8', timeout: 30000 });
      expect(unlock.stdout).to.contain('lou unlocked');
      expect((await api(limited.url, 'POST', '/api/auth/login', { username: 'lou', password: 'lou-password-1' }, undefined, from(70))).status).to.equal(200);
    } finally {
      await limited.stop();
    }
  });

  it('keeps the password change apart from the login budget of the address', async () => {
    const limited = await startTestServer({
      set: { 'switchboard.yaml:security.rateLimits.loginPerMinute': 3, 'switchboard.yaml:server.trustProxy': true },
      redisPrefix: `sbtest:rl-pw:${Date.now()}:`,
      clock: stillClock(),
    });
    try {
      const admin = await login(limited.url);
      await api(limited.url, 'POST', '/api/agents', { username: 'kim', name: 'Kim', role: 'agent', password: 'kim-password-1' }, admin);
      const from = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}` });
      const attempt = async (n: number, username: string, password: string) => api(limited.url, 'POST', '/api/auth/login', { username, password }, undefined, from(n));
      // Two logins spend two of the address's three attempts; two wrong ones exhaust it.
      const token = (await attempt(1, 'kim', 'kim-password-1')).body.token as string;
      expect((await attempt(1, 'kim', 'kim-password-1')).status).to.equal(200);
      const wrong = [(await attempt(1, 'nobody', 'wrong-wrong')).status, (await attempt(1, 'nobody', 'wrong-wrong')).status];
      expect(wrong).to.deep.equal([401, 429]);
      const changed = await api(limited.url, 'POST', '/api/auth/password', { currentPassword: 'kim-password-1', newPassword: 'kim-password-2' }, token);
      expect(changed.status, JSON.stringify(changed.body)).to.equal(204);
    } finally {
      await limited.stop();
    }
  });
});
