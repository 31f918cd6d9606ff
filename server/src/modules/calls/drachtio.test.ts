// `sip.engine: drachtio`: the server runs call control on an external drachtio-server. Its
// configuration is validated like every key; a drachtio-server that cannot be reached does not
// stop the server from starting, it is said once and shown by /ready, and the link is retried.
// With SWITCHBOARD_TEST_DRACHTIO=host:port:secret (a running drachtio-server, see the README's
// opt-in run) the link itself is checked: the right secret is ready, a wrong one is named.
import { expect } from 'chai';
import { readFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { ConfigError, loadConfig } from '../../kernel/config/load.js';
import { makeConfigDir } from '../../test/config.js';
import { REPO } from '../../test/env.js';
import { eventually } from '../../test/redis.js';
import { SessionState } from 'sip.js';
import { DrachtioEngine } from '@switchboard/sip';
import { api, spawnServer, startTestServer } from '../../test/server.js';
import { Call } from './call.entity.js';
import { freePort, sipp, waitForUdpListener } from '../../../../sip/dist/test/support/services.js';
import { softphone, waitForState } from '../../../../sip/dist/test/support/softphone.js';

function problems(set: Record<string, unknown>): string[] {
  try {
    loadConfig(makeConfigDir({ set }));
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.file}: ${p.key}: ${p.problem}`);
    throw err;
  }
  return [];
}

const ready = async (url: string) => api(url, 'GET', '/ready');

describe('calls on drachtio-server (sip.engine: drachtio)', function () {
  this.timeout(60000);

  it('refuses a configuration that names no drachtio-server, another engine, or a broken address or secret', () => {
    expect(problems({ 'switchboard.yaml:sip.engine': 'asterisk' }).join('\n')).to.match(/switchboard\.yaml: sip\.engine: /);
    expect(problems({ 'switchboard.yaml:sip.engine': 'drachtio' }).join('\n')).to.match(/switchboard\.yaml: sip\.drachtio: sip\.engine drachtio needs sip\.drachtio/);
    const broken = problems({
      'switchboard.yaml:sip.engine': 'drachtio',
      'switchboard.yaml:sip.drachtio': { host: 'drachtio server!', port: 70000, secret: 'two\nlines', extra: 1 },
    }).join('\n');
    expect(broken).to.match(/sip\.drachtio\.host/);
    expect(broken).to.match(/sip\.drachtio\.port/);
    expect(broken).to.match(/sip\.drachtio\.secret: must be text on one line/);
    expect(broken).to.match(/extra/);
    expect(problems({ 'switchboard.yaml:sip.engine': 'drachtio', 'switchboard.yaml:sip.drachtio': { secret: '' } }).join('\n')).to.match(/sip\.drachtio\.secret/);
    expect(problems({ 'switchboard.yaml:sip.engine': 'drachtio', 'switchboard.yaml:sip.drachtio': { secret: 's3cret' } })).to.deep.equal([]);
  });

  it("writes drachtio-server's configuration from Switchboard's (services drachtio-config)", () => {
    const dir = makeConfigDir({
      set: {
        'switchboard.yaml:sip.engine': 'drachtio',
        'switchboard.yaml:sip.udpPort': 5080,
        'switchboard.yaml:sip.tcpPort': 5080,
        'switchboard.yaml:sip.wsPort': 5088,
        'switchboard.yaml:sip.drachtio': { host: '127.0.0.1', port: 9023, secret: 'a "quoted" <secret>' },
      },
    });
    const out = mkdtempSync(path.join(os.tmpdir(), 'sb-drachtio-'));
    const cli = (config: string) => spawnSync(process.execPath, [path.join(REPO, 'server/dist/cli.js'), 'services', 'drachtio-config', out, '--config', config], { encoding: 'utf8' });
    const r = cli(dir);
    expect(r.status, r.stderr).to.equal(0);
    const xml = readFileSync(r.stdout.trim(), 'utf8');
    expect(xml).to.contain('<admin port="9023" secret="a &quot;quoted&quot; &lt;secret&gt;">127.0.0.1</admin>');
    expect(xml).to.contain('sip:127.0.0.1:5080;transport=udp,tcp');
    expect(xml).to.contain('sip:127.0.0.1:5088;transport=ws');
    const inProcess = cli(makeConfigDir());
    expect(inProcess.status).to.equal(1);
    expect(inProcess.stderr).to.match(/sip\.engine is not drachtio/);
  });

  it('starts without drachtio-server, says why calls are down on /ready, and keeps trying', async () => {
    const port = await freePort(); // nothing listens there
    const t = await startTestServer({
      set: { 'switchboard.yaml:sip.enabled': true, 'switchboard.yaml:sip.engine': 'drachtio', 'switchboard.yaml:sip.drachtio': { port, secret: 'whatever' } },
    });
    try {
      const r = await ready(t.url);
      expect(r.status).to.equal(503);
      expect(r.body.checks.sip.ok).to.equal(false);
      expect(r.body.checks.sip.error).to.match(new RegExp(`cannot reach drachtio-server at 127\\.0\\.0\\.1:${port}`));
      // The rest of the server works meanwhile.
      expect((await api(t.url, 'GET', '/health')).status).to.equal(200);
    } finally {
      await t.stop();
    }
  });

  const running = process.env.SWITCHBOARD_TEST_DRACHTIO;
  if (running) {
    const [host, port, secret] = running.split(':') as [string, string, string];
    it('is ready on a drachtio-server that takes its secret, and names a refused secret (SWITCHBOARD_TEST_DRACHTIO)', async () => {
      for (const [key, expected] of [[secret, true], [`${secret}-wrong`, false]] as const) {
        const t = await startTestServer({
          set: { 'switchboard.yaml:sip.enabled': true, 'switchboard.yaml:sip.engine': 'drachtio', 'switchboard.yaml:sip.drachtio': { host, port: Number(port), secret: key } },
        });
        try {
          const r = await eventually(() => ready(t.url), (x) => x.body.checks.sip.ok === expected);
          if (!expected) expect(r.body.checks.sip.error).to.match(/refused the secret/);
        } finally {
          await t.stop();
        }
      }
    });

    it('connects once drachtio-server becomes reachable while running (reconnection with backoff)', async () => {
      // A forwarder to the real drachtio-server that is not listening yet: the start sees nothing there.
      const relayPort = await freePort();
      const t = await startTestServer({
        set: { 'switchboard.yaml:sip.enabled': true, 'switchboard.yaml:sip.engine': 'drachtio', 'switchboard.yaml:sip.drachtio': { host: '127.0.0.1', port: relayPort, secret } },
      });
      const relay = net.createServer((c) => {
        const up = net.connect(Number(port), host);
        c.pipe(up).pipe(c);
        c.on('error', () => up.destroy());
        up.on('error', () => c.destroy());
      });
      try {
        expect((await ready(t.url)).body.checks.sip.ok).to.equal(false);
        await new Promise<void>((r) => relay.listen(relayPort, '127.0.0.1', () => r()));
        const r = await eventually(() => ready(t.url), (x) => x.body.checks.sip.ok === true, 100, 200);
        expect(r.status).to.equal(200);
      } finally {
        await t.stop();
        relay.close();
      }
    });

    it('attaches two instances to one drachtio-server: a widget call set up over either HTTP side is carried whichever instance drachtio-server hands it to', async () => {
      // The SIP ports drachtio-server announces, which both instances give to browsers.
      const probe = new DrachtioEngine({ host, port: Number(port), secret, flowProbeMs: 0 });
      await probe.listen();
      const [udp, ws] = [probe.stack.local('udp').port, probe.stack.local('ws').port];
      await probe.close();
      const pbxPort = await freePort();
      const pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort, calls: 2, timeoutS: 90 });
      await waitForUdpListener(pbxPort, pbx);
      const set = {
        'switchboard.yaml:sip.enabled': true, 'switchboard.yaml:sip.engine': 'drachtio', 'switchboard.yaml:sip.drachtio': { host, port: Number(port), secret },
        'switchboard.yaml:sip.udpPort': udp, 'switchboard.yaml:sip.tcpPort': udp, 'switchboard.yaml:sip.wsPort': ws,
        'trunks.yaml:trunks.0.port': pbxPort, 'trunks.yaml:trunks.0.optionsPingSeconds': 0, 'websites/example.yaml:hours': 'always',
      };
      const a = await startTestServer({ set });
      const b = await spawnServer(makeConfigDir({ set }));
      try {
        for (const t of [a, b]) await eventually(() => ready(t.url), (x) => x.body.checks.sip?.ok === true);
        for (const url of [a.url, b.url]) {
          const r = await api(url, 'POST', '/api/widget/example/calls', {}, undefined, { origin: 'http://localhost:8081' });
          expect(r.status, JSON.stringify(r.body)).to.equal(201);
          expect(new URL(r.body.sip.wsUrl).port).to.equal(String(ws));
          const phone = await softphone({ wsPort: ws, username: r.body.sip.username, password: r.body.sip.password, user: 'visitor' });
          try {
            const session = await phone.call(r.body.sip.target);
            await waitForState(session, SessionState.Established, 20000);
            await session.bye();
            const call = await eventually(() => a.sb.kernel.db.getRepository(Call).findOneBy({ interactionId: r.body.interactionId }), (c) => !!c?.endedAt);
            expect(call!.endCause).to.equal('caller-hangup');
          } finally {
            await phone.stop();
          }
        }
        const done = await pbx.done;
        expect(done.code, done.stderr).to.equal(0);
      } finally {
        pbx.kill();
        await b.stop();
        await a.stop();
      }
    });
  }
});
