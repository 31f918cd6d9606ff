// A reload must not claim what it did not do: the SIP trunk calls leave through is set up when
// the server starts, so a reload that changes it is refused naming the key, and the running
// configuration is kept; other changes reload as before.
import { expect } from 'chai';
import { api, login, startTestServer, type TestServer } from '../../test/server.js';
import { setYaml } from '../../test/config.js';
import { freePort } from '../../../../sip/dist/test/support/services.js';

describe('configuration reload and the SIP trunk in use', function () {
  this.timeout(60000);
  let t: TestServer;
  let admin: string;
  let port: number;

  before(async () => {
    port = await freePort();
    t = await startTestServer({ set: { 'switchboard.yaml:sip.enabled': true, 'trunks.yaml:trunks.0.port': port, 'trunks.yaml:trunks.0.optionsPingSeconds': 0 } });
    admin = await login(t.url);
  });
  after(() => t?.stop());

  const reload = () => api(t.url, 'POST', '/api/admin/config/reload', undefined, admin);

  it('refuses a reload that changes the trunk (address, port, caller id), naming each key, and keeps the running one', async () => {
    setYaml(t.configDir, 'trunks.yaml', 'trunks.0.port', port + 1);
    setYaml(t.configDir, 'trunks.yaml', 'trunks.0.callerId', { number: '0299999999', name: 'Changed' });
    setYaml(t.configDir, 'queues.yaml', 'queues.1.name', 'Phone support (renamed)');
    const r = await reload();
    expect(r.status, JSON.stringify(r.body)).to.equal(422);
    expect(r.body.error.fields.map((f: { field: string }) => f.field)).to.deep.equal(['trunks.yaml: trunks.0.port', 'trunks.yaml: trunks.0.callerId']);
    expect(r.body.error.fields[0].problem).to.match(/cannot change while Switchboard runs: restart to apply it/);
    const running = t.sb.kernel.config();
    expect(running.trunks[0]!.port).to.equal(port);
    expect(running.queues[1]!.name).not.to.equal('Phone support (renamed)');

    // The trunk as it runs, the rest changed: reloaded.
    setYaml(t.configDir, 'trunks.yaml', 'trunks.0.port', port);
    setYaml(t.configDir, 'trunks.yaml', 'trunks.0.callerId', running.trunks[0]!.callerId);
    expect((await reload()).status).to.equal(200);
    expect(t.sb.kernel.config().queues[1]!.name).to.equal('Phone support (renamed)');
  });

  it('refuses turning SIP calls off or on by reload', async () => {
    setYaml(t.configDir, 'switchboard.yaml', 'sip.enabled', false);
    const r = await reload();
    expect(r.status).to.equal(422);
    expect(r.body.error.fields.map((f: { field: string }) => f.field)).to.deep.equal(['switchboard.yaml: sip.enabled']);
    setYaml(t.configDir, 'switchboard.yaml', 'sip.enabled', true);
    expect((await reload()).status).to.equal(200);
  });
});
