// /metrics is for IT's Prometheus: the scrape must parse as the text format with a real parser,
// carry the families the runbook names, and answer only with the configured token.
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { api, login, makeAgent, startRoutingServer, type TestAgent, type TestServer } from '../../test/routing.js';
import { makeConfigDir } from '../../test/config.js';
import { loadConfig } from '../../kernel/config/load.js';
import { eventually } from '../../test/redis.js';
import { cid, command, startChat, startChatServer } from '../../test/chat.js';
// The SIP package's own test peers: a sip.js softphone over WebSocket and a sipp PBX.
import { softphone } from '../../../../sip/dist/test/support/softphone.js';
import { freePort, sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';

interface Family { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string; count?: string; buckets?: Record<string, string> }[] }
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

const TOKEN = 'metrics-test-token-0123456789abcdef';

describe('metrics', () => {
  let t: TestServer;
  let agent: TestAgent;

  before(async () => {
    t = await startRoutingServer({ 'switchboard.yaml:metrics.token': TOKEN });
    const admin = await login(t.url);
    agent = await makeAgent(t.url, admin);
    await api(t.url, 'GET', '/api/reports/interactions?from=2021-03-10&to=2021-03-10', undefined, admin);
    await api(t.url, 'GET', '/api/no-such-route', undefined, admin);
  });
  after(async () => {
    agent?.socket.close();
    await t?.stop();
  });

  it('refuses a scrape without the token (401) and with a wrong one (403)', async () => {
    const none = await fetch(`${t.url}/metrics`);
    expect(none.status).to.equal(401);
    expect(none.headers.get('www-authenticate')).to.match(/^Bearer/);
    const wrong = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).to.equal(403);
    expect(await wrong.text()).not.to.include('switchboard_');
  });

  it('serves the Prometheus text format with HTTP, WebSocket, routing, jobs, database and Redis figures', async () => {
    const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const families = new Map(parse(await res.text()).map((f) => [f.name, f]));
    const requests = families.get('switchboard_http_requests_total')!;
    expect(requests.type).to.equal('COUNTER');
    const report = requests.metrics.find((m) => m.labels?.route === '/api/reports/interactions');
    expect(report?.labels).to.include({ method: 'GET', status: '200' });
    expect(Number(report?.value)).to.be.at.least(1);
    // Unknown paths count under a route pattern (the desktop's catch-all or 'unmatched'), never the raw path.
    const missing = requests.metrics.filter((m) => m.labels?.status === '404');
    expect(missing.length, JSON.stringify(requests.metrics)).to.be.at.least(1);
    expect(missing.map((m) => m.labels?.route)).not.to.include('/api/no-such-route');
    const latency = families.get('switchboard_http_request_duration_seconds')!;
    expect(latency.type).to.equal('HISTOGRAM');
    // This parser gives a histogram's buckets (not its labels): at least one request was timed.
    expect(Math.max(...latency.metrics.map((m) => Number(m.buckets?.['+Inf'] ?? 0)))).to.be.at.least(1);
    const sockets = families.get('switchboard_websocket_connections')!.metrics;
    expect(Number(sockets.find((m) => m.labels?.side === 'agent')?.value)).to.be.at.least(1);
    const waiting = families.get('switchboard_routing_waiting')!.metrics.map((m) => m.labels?.queue);
    expect(waiting).to.include.members(t.config.queues.map((q) => q.id));
    expect(families.has('switchboard_routing_offered')).to.equal(true);
    expect(families.has('switchboard_jobs')).to.equal(true);
    const pool = families.get('switchboard_db_pool_connections')!.metrics;
    expect(Number(pool.find((m) => m.labels?.state === 'open')?.value)).to.be.at.least(1);
    expect(families.get('switchboard_redis_up')!.metrics[0]!.value).to.equal('1');
    expect(families.has('switchboard_process_cpu_seconds_total')).to.equal(true);
    // The routing sweeps this instance completed: a counter that grows while routing runs.
    expect(families.get('switchboard_routing_sweeps_total')!.type).to.equal('COUNTER');
    const sweeps = async () => {
      const text = await (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      return Number(parse(text).find((f) => f.name === 'switchboard_routing_sweeps_total')!.metrics[0]!.value);
    };
    const first = await sweeps();
    await eventually(sweeps, (n) => n > first);
  });

  it('refuses a metrics token too short to be a secret, naming the key', () => {
    const dir = makeConfigDir({ set: { 'switchboard.yaml:metrics.token': 'short' } });
    expect(() => loadConfig(dir)).to.throw(/metrics/);
  });
});

describe('metrics: calls, media and the chat relay', function () {
  this.timeout(120000);
  let t: TestServer;
  let pbx: ReturnType<typeof sipp>;
  const scrape = async () => {
    const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).to.equal(200);
    return new Map(parse(await res.text()).map((f) => [f.name, f]));
  };

  before(async () => {
    // The PBX refuses every call with 486: the agent's leg is answered, the customer's is busy.
    const pbxPort = await freePort();
    pbx = sipp({ scenario: 'uas-busy.xml', port: pbxPort, calls: 1, timeoutS: 100 });
    await waitForUdpListener(pbxPort, pbx);
    t = await startChatServer({
      'switchboard.yaml:metrics.token': TOKEN,
      'switchboard.yaml:sip.enabled': true,
      'trunks.yaml:trunks.0.port': pbxPort,
      'trunks.yaml:trunks.0.optionsPingSeconds': 0,
    });
  });
  after(async () => {
    pbx?.kill();
    await t?.stop();
  });

  it('counts a call started and its failure by cause and status, and shows the SIP and rtpengine gauges', async () => {
    const admin = await login(t.url);
    const username = `metrics.${cid()}`;
    const extension = String(Date.now() % 1e8);
    const made = await api(t.url, 'POST', '/api/agents', { username, name: 'Metrics Agent', role: 'agent', password: 'metrics-password-1', extension }, admin);
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const token = await login(t.url, username, 'metrics-password-1');
    const cred = (await api(t.url, 'GET', '/api/sip/credentials', undefined, token)).body;
    const phone = await softphone({ wsPort: Number(new URL(cred.wsUrl).port), username: cred.username, password: cred.password, user: extension, autoAnswer: true });
    try {
      expect(await phone.register()).to.equal(200);
      const r = await api(t.url, 'POST', '/api/calls/originate', { number: '0612345678' }, token);
      expect(r.status, JSON.stringify(r.body)).to.equal(202);
      const failed = await eventually(scrape, (f) => (f.get('switchboard_sip_call_failures_total')?.metrics.length ?? 0) > 0, 600);
      expect(Number(failed.get('switchboard_sip_calls_started_total')!.metrics[0]!.value)).to.be.at.least(1);
      const busy = failed.get('switchboard_sip_call_failures_total')!.metrics.find((m) => m.labels?.cause === 'busy');
      expect(busy?.labels, JSON.stringify(failed.get('switchboard_sip_call_failures_total'))).to.include({ status: '486' });
      expect(Number(busy?.value)).to.equal(1);
      // The same call as SIP transactions: the softphone's REGISTERs came in (the first one
      // challenged with 401), INVITEs went out to the softphone and to the PBX, which said 486.
      const txs = failed.get('switchboard_sip_transactions_total')!;
      expect(txs.type).to.equal('COUNTER');
      const count = (method: string, direction: string) => Number(txs.metrics.find((m) => m.labels?.method === method && m.labels?.direction === direction)?.value ?? 0);
      expect(count('REGISTER', 'in'), JSON.stringify(txs.metrics)).to.be.at.least(2);
      expect(count('INVITE', 'out'), JSON.stringify(txs.metrics)).to.be.at.least(2);
      const txFailures = failed.get('switchboard_sip_transaction_failures_total')!.metrics;
      const failure = (method: string, direction: string, code: string) => txFailures.find((m) => m.labels?.method === method && m.labels?.direction === direction && m.labels?.code === code);
      expect(Number(failure('INVITE', 'out', '486')?.value), JSON.stringify(txFailures)).to.equal(1);
      expect(Number(failure('REGISTER', 'in', '401')?.value), JSON.stringify(txFailures)).to.be.at.least(1);
      expect(txFailures.filter((m) => Number(m.labels?.code) < 300), 'a success counted as a failure').to.deep.equal([]);
      expect(failed.get('switchboard_sip_new_calls_per_second')!.type).to.equal('GAUGE');
      // Once the call is over, nothing is left on the SIP side or in rtpengine.
      const after = await eventually(scrape, (f) => f.get('switchboard_sip_calls')?.metrics[0]?.value === '0' && f.get('switchboard_sip_dialogs')?.metrics[0]?.value === '0', 600);
      expect(after.get('switchboard_sip_calls')!.type).to.equal('GAUGE');
      expect(after.get('switchboard_rtpengine_sessions')!.metrics[0]!.value).to.equal('0');
    } finally {
      await phone.stop();
    }
  });

  it("times a visitor's line from stored to sent into its XMPP room", async () => {
    // A ready agent keeps the chat open for the visitor to write.
    const a = await makeAgent(t.url, await login(t.url), { skills: [{ skill: 'english', level: 8 }] });
    const v = await startChat(t.url);
    // The bot's welcome line is relayed too: the visitor's line must add one more.
    const timed = (f: Map<string, Family>) => Number(f.get('switchboard_chat_relay_lag_seconds')?.metrics[0]?.buckets?.['+Inf'] ?? 0);
    const before = timed(await eventually(scrape, (f) => timed(f) >= 1, 600));
    try {
      const sent = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'how long?' });
      expect(sent.type, JSON.stringify(sent)).to.equal('chat.ack');
      const after = await eventually(scrape, (f) => timed(f) >= before + 1, 600);
      expect(after.get('switchboard_chat_relay_lag_seconds')!.type).to.equal('HISTOGRAM');
      expect(timed(after)).to.be.at.least(1);
    } finally {
      v.socket.close();
      a.socket.close();
    }
  });
});
