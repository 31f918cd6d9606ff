import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO } from './test/env.js';
import { api, startTestServer, type TestServer } from './test/server.js';

describe('administrator CLI for agents and contacts', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [path.join(REPO, 'server/dist/cli.js'), ...args, '--config', t.configDir], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30000 });

  it('adds an agent who can then log in, and disables them', async () => {
    const add = cli(['agents', 'add', 'cli.agent', '--name', 'Cli Agent', '--role', 'supervisor'], { SWITCHBOARD_NEW_PASSWORD: 'cli-password-1' });
    expect(add.status, add.stderr).to.equal(0);
    expect(add.stdout).to.match(/^created cli\.agent \(supervisor, id [0-9a-f]{32}\)/);
    expect(cli(['agents', 'list']).stdout).to.match(/^cli\.agent\tsupervisor\tactive\tCli Agent$/m);
    expect((await api(t.url, 'POST', '/api/auth/login', { username: 'cli.agent', password: 'cli-password-1' })).status).to.equal(200);
    expect(cli(['agents', 'disable', 'cli.agent']).status).to.equal(0);
    expect((await api(t.url, 'POST', '/api/auth/login', { username: 'cli.agent', password: 'cli-password-1' })).status).to.equal(401);
  });

  it('changes a password from the environment, and refuses one on the command line or too short', async () => {
    cli(['agents', 'add', 'cli.two', '--name', 'Two', '--role', 'agent'], { SWITCHBOARD_NEW_PASSWORD: 'cli-password-1' });
    const none = cli(['agents', 'passwd', 'cli.two']);
    expect(none.status).to.equal(1);
    expect(none.stderr).to.contain('SWITCHBOARD_NEW_PASSWORD');
    const short = cli(['agents', 'passwd', 'cli.two'], { SWITCHBOARD_NEW_PASSWORD: 'short' });
    expect(short.status).to.equal(1);
    expect(short.stderr).to.contain('password: must be at least 10 characters');
    expect(cli(['agents', 'passwd', 'cli.two'], { SWITCHBOARD_NEW_PASSWORD: 'cli-password-2' }).status).to.equal(0);
    expect((await api(t.url, 'POST', '/api/auth/login', { username: 'cli.two', password: 'cli-password-2' })).status).to.equal(200);
  });

  it('refuses bad agent input with the field named', () => {
    const r = cli(['agents', 'add', 'Bad Name', '--name', 'x', '--role', 'emperor'], { SWITCHBOARD_NEW_PASSWORD: 'cli-password-1' });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain('username: must be 2-64 lowercase letters');
    expect(r.stderr).to.contain('role: Invalid option');
    expect(cli(['agents', 'disable', 'nobody']).stderr).to.contain('no agent "nobody"');
  });

  it('adds and finds contacts', () => {
    expect(cli(['contacts', 'add', '--name', 'Anna Bianchi', '--email', 'anna@example.com']).stdout).to.match(/^created contact [0-9a-f]{32}/);
    expect(cli(['contacts', 'find', 'bianchi']).stdout).to.match(/\tAnna Bianchi\tanna@example\.com\t/);
    const bad = cli(['contacts', 'add', '--email', 'nope']);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('email:');
  });
});
