// From a clean state (a project with no containers or volumes yet): every image built from
// Debian's packages and the npm registry, the stack up with every health check passing, /ready
// green through the containers, and the server confined: unprivileged, read-only root
// filesystem, read-only configuration, writable uploads only.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareStack, REPO, type Stack } from './stack.ts';

const SERVICES = ['switchboard', 'mariadb', 'redis', 'prosody', 'rtpengine'];

describe('Docker: images, compose up and health, as IT runs it', function () {
  this.timeout(40 * 60_000);
  let s: Stack;
  before(async () => {
    s = await prepareStack();
    expect(await s.containers(), 'no containers of this project before the run').to.deep.equal({});
  });

  it('builds every image from the Debian base and the npm registry, with the Node 24 the lockfile names', async () => {
    await s.docker('build');
    const tag = s.env.SWITCHBOARD_IMAGE_TAG!;
    for (const name of SERVICES) {
      const image = `switchboard/${name === 'switchboard' ? 'server' : name}:${tag}`;
      expect((await s.client('image', 'inspect', '-f', '{{index .Config.Labels "org.switchboard.image"}}', image)).trim(), image).to.equal(name === 'switchboard' ? 'server' : name);
    }
    const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    const node = await s.client('run', '--rm', '--network', 'none', `switchboard/server:${tag}`, 'node', '--version');
    expect(node.trim()).to.equal(`v${lock.packages['node_modules/node']!.version}`);
  });

  it('starts the stack: setup renders Prosody’s configuration and exits, every service reports healthy', async () => {
    await s.docker('up');
    const c = await s.containers();
    expect(Object.keys(c)).to.have.members([...SERVICES, 'setup']);
    expect(c.setup).to.include({ status: 'exited', exitCode: 0 });
    for (const name of SERVICES) expect(c[name], name).to.include({ status: 'running', health: 'healthy' });
  });

  it('reports the database, Redis, XMPP, rtpengine and the SIP engine ready through the containers, and names the missing mail server', async () => {
    const res = await fetch(`${s.url}/ready`);
    const body = (await res.json()) as { ready: boolean; degraded: string[]; checks: Record<string, { ok: boolean }> };
    expect(res.status, JSON.stringify(body)).to.equal(200);
    expect(Object.keys(body.checks)).to.have.members(['database', 'redis', 'xmpp', 'rtpengine', 'sip', 'smtp']);
    for (const name of ['database', 'redis', 'xmpp', 'rtpengine', 'sip']) expect(body.checks[name]!.ok, name).to.equal(true);
    // The stack ships no mail server (IT points smtp: at theirs); this run's port has nothing behind it.
    expect(body.degraded).to.deep.equal(['smtp']);
  });

  it('runs the server unprivileged on a read-only root filesystem; only the uploads volume is writable', async () => {
    expect((await s.containers()).switchboard!.readOnly).to.equal(true);
    const exec = (...cmd: string[]) => s.exec('switchboard', ...cmd);
    const ids = (await exec('id', '-u')).trim();
    expect(ids).to.equal('10001');
    for (const p of ['/app/server/dist/x', '/etc/switchboard/x', '/x']) {
      const err = await exec('touch', p).then(() => '', (e: Error) => e.message);
      expect(err, p).to.contain('Read-only file system');
    }
    await exec('sh', '-c', 'echo ok > /var/lib/switchboard/uploads/.probe && rm /var/lib/switchboard/uploads/.probe');
  });

  it('has applied every migration at start: the image’s migrate command finds nothing left (and the lock free)', async () => {
    const out = await s.exec('switchboard', 'node', 'server/dist/cli.js', 'migrate');
    expect(out.trim()).to.equal('database is up to date');
  });
});
