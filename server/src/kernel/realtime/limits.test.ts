// Socket commands are rate-limited like HTTP requests: per agent session (on every instance
// together) and per visitor socket. Over the limit a command is refused, not carried out, and the
// socket stays open for the next minute.
import { expect } from 'chai';
import { api, login, startTestServer, TestSocket, type TestServer } from '../../test/server.js';

describe('socket command rate limits', function () {
  this.timeout(60_000);
  let t: TestServer;
  let token: string;
  before(async () => {
    t = await startTestServer({
      set: { 'switchboard.yaml:security.rateLimits.agentSocketCommandsPerMinute': 5, 'switchboard.yaml:security.rateLimits.widgetSocketCommandsPerMinute': 4 },
      redisPrefix: `sbtest:rl-ws:${process.pid}:${Date.now()}:`,
    });
    token = await login(t.url);
  });
  after(() => t.stop());

  const answers = async (s: TestSocket, frames: unknown[]) => {
    const out: string[] = [];
    for (const [i, f] of frames.entries()) {
      s.send({ ...(f as object), ref: `r${i}` });
      const m = await s.next((x) => x.ref === `r${i}`);
      out.push(m.type === 'error' ? m.code : m.type);
    }
    return out;
  };

  it("refuses an agent session's commands over the limit, counting every socket of the session and garbage too", async () => {
    const s1 = await TestSocket.open(t.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${token}` });
    const s2 = await TestSocket.open(t.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${token}` });
    await s1.next((m) => m.type === 'hello');
    await s2.next((m) => m.type === 'hello');
    const ping = { type: 'ping' };
    const all = [...(await answers(s1, [ping, ping, { type: 'no-such-command' }])), ...(await answers(s2, Array(10).fill(ping)))];
    // Five commands pass in a one-minute window. The 13 span at most two windows, so at least three
    // are refused wherever the boundary falls.
    expect(all.slice(0, 5)).to.deep.equal(['pong', 'pong', 'invalid_command', 'pong', 'pong']);
    expect(all.filter((x) => x === 'rate_limited').length, all.join()).to.be.at.least(3);
    expect(all.filter((x) => x !== 'rate_limited' && x !== 'pong'), all.join()).to.deep.equal(['invalid_command']);
    expect(s1.closed).to.equal(undefined);
    // Another session of the same agent has its own allowance.
    const other = await login(t.url);
    const s3 = await TestSocket.open(t.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${other}` });
    await s3.next((m) => m.type === 'hello');
    expect(await answers(s3, [{ type: 'ping' }])).to.deep.equal(['pong']);
    for (const s of [s1, s2, s3]) s.close();
    expect((await api(t.url, 'GET', '/health')).status).to.equal(200);
  });

  it("refuses a visitor socket's commands over the limit, garbage included", async () => {
    const origin = t.config.websites.find((w) => w.id === 'example')!.origins[0]!;
    const s = await TestSocket.open(t.url.replace('http', 'ws') + '/ws/widget?website=example', { origin });
    await s.next((m) => m.type === 'hello');
    const ping = { type: 'ping' };
    const got = await answers(s, [ping, ping, { type: 'nonsense' }, ...Array(7).fill(ping)]);
    // Four pass in a window; ten span at most two windows, so at least two are refused.
    expect(got.slice(0, 4)).to.deep.equal(['pong', 'pong', 'invalid_command', 'pong']);
    expect(got.filter((x) => x === 'rate_limited').length, got.join()).to.be.at.least(2);
    const fresh = await TestSocket.open(t.url.replace('http', 'ws') + '/ws/widget?website=example', { origin });
    await fresh.next((m) => m.type === 'hello');
    expect(await answers(fresh, [{ type: 'ping' }])).to.deep.equal(['pong']);
    s.close();
    fresh.close();
  });
});
