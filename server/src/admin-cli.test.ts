import { expect } from 'chai';
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO } from './test/env.js';
import { api, startTestServer, type TestServer } from './test/server.js';
import { Agent } from './modules/agents/agent.entity.js';

describe('administrator CLI for agents and contacts', function () {
  // Each command is a new Node process that opens the database: seconds apiece on a busy machine.
  this.timeout(180_000);
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [path.join(REPO, 'server/dist/cli.js'), ...args, '--config', t.configDir], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });

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

  it('runs the commands that create no agent without the admin password in the environment', async function () {
    this.timeout(180000);
    const env = { ...process.env };
    delete env.SWITCHBOARD_ADMIN_PASSWORD;
    // Not spawnSync: the server under test runs in this process and must keep answering.
    const bare = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [path.join(REPO, 'server/dist/cli.js'), ...args, '--config', t.configDir], { encoding: 'utf8', env, timeout: 60000 }, (err, stdout, stderr) =>
          resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const snippet = await bare(['snippet', 'example']);
    expect(snippet.status, snippet.stderr).to.equal(0);
    expect(snippet.stdout).to.contain('data-switchboard-website="example"');
    const list = await bare(['agents', 'list']);
    expect(list.status, list.stderr).to.equal(0);
    expect(list.stdout).to.match(/^admin\tadmin\tactive\t/m);
    expect((await bare(['services', 'env'])).stdout).to.match(/^SB_HTTP_PORT=/m);
    // `config check` answers for `start`, which does create the admin: there the secret is needed.
    const check = await bare(['config', 'check']);
    expect(check.status).to.equal(1);
    expect(check.stderr).to.contain('agents.yaml: agents[0].password: environment variable SWITCHBOARD_ADMIN_PASSWORD is not set');
  });

  it("gives an existing agent an extension, takes it away, and refuses one another agent has or that is not a number", async function () {
    this.timeout(180000);
    cli(['agents', 'add', 'cli.ext', '--name', 'Ext', '--role', 'agent'], { SWITCHBOARD_NEW_PASSWORD: 'cli-password-1' });
    cli(['agents', 'add', 'cli.ext2', '--name', 'Ext Two', '--role', 'agent', '--extension', '7301'], { SWITCHBOARD_NEW_PASSWORD: 'cli-password-1' });
    // Read from the database: the CLI blocks this process, so no HTTP connection stays usable across it.
    const extension = async () => (await t.sb.kernel.db.getRepository(Agent).findOneByOrFail({ username: 'cli.ext' })).extension;
    const set = cli(['agents', 'extension', 'cli.ext', '7302']);
    expect(set.status, set.stderr).to.equal(0);
    expect(set.stdout).to.contain('cli.ext has extension 7302');
    expect(await extension()).to.equal('7302');
    const taken = cli(['agents', 'extension', 'cli.ext', '7301']);
    expect(taken.status).to.equal(1);
    expect(taken.stderr).to.contain('extension: already used by cli.ext2');
    const bad = cli(['agents', 'extension', 'cli.ext', '12ab']);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('extension:');
    expect(cli(['agents', 'extension', 'cli.ext']).stderr).to.contain('usage: switchboard agents extension <username> <number|none>');
    expect(await extension()).to.equal('7302');
    expect(cli(['agents', 'extension', 'cli.ext', 'none']).stdout).to.contain('cli.ext has no extension now');
    expect(await extension()).to.equal(null);
  });

  it('adds and finds contacts', () => {
    expect(cli(['contacts', 'add', '--name', 'Anna Bianchi', '--email', 'anna@example.com']).stdout).to.match(/^created contact [0-9a-f]{32}/);
    expect(cli(['contacts', 'find', 'bianchi']).stdout).to.match(/\tAnna Bianchi\tanna@example\.com\t/);
    const bad = cli(['contacts', 'add', '--email', 'nope']);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain('email:');
  });
});
