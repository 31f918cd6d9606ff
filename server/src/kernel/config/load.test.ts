import { expect } from 'chai';
import { writeFileSync, rmSync, mkdirSync, cpSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ConfigError, loadConfig } from './load.js';
import { makeConfigDir, setYaml } from '../../test/config.js';
import { REPO } from '../../test/env.js';

function problems(dir: string, env: Record<string, string | undefined> = process.env): string[] {
  try {
    loadConfig(dir, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.file}: ${p.key}: ${p.problem}`);
    throw err;
  }
  return [];
}

describe('configuration files', () => {
  it('accepts the shipped example configuration, every key of it', () => {
    const c = loadConfig(path.join(REPO, 'config'), { SWITCHBOARD_ADMIN_PASSWORD: 'a-long-enough-secret' });
    expect(c.queues.map((q) => q.id)).to.include('support-chat');
    expect(c.websites.map((w) => w.id)).to.deep.equal(['example']);
    expect(c.main.server.port).to.equal(8080);
    expect(c.agents[0]?.password).to.equal('a-long-enough-secret');
  });

  it('names file, line and column of malformed YAML', () => {
    const dir = makeConfigDir();
    writeFileSync(path.join(dir, 'queues.yaml'), 'queues:\n  - id: a\n   name: [unclosed\n');
    const p = problems(dir);
    expect(p).to.have.length.greaterThan(0);
    expect(p[0]).to.match(/^queues\.yaml: line \d+, column \d+: not valid YAML/);
  });

  it('refuses an unknown key, naming its full path', () => {
    const dir = makeConfigDir({ set: { 'queues.yaml:queues.0.offerTimout': 10 } });
    expect(problems(dir)).to.deep.equal(['queues.yaml: queues[0].offerTimout: unknown key']);
  });

  it("takes the trunk's inbound headers as X- names (all of them by default) and refuses others", () => {
    expect(loadConfig(makeConfigDir({ set: { 'trunks.yaml:trunks.0.inboundHeaders': undefined } })).trunks[0]!.inboundHeaders).to.deep.equal(['X-*']);
    const dir = makeConfigDir({ set: { 'trunks.yaml:trunks.0.inboundHeaders': ['X-Queue', 'Via', 'X-bad header'] } });
    expect(problems(dir)).to.deep.equal([
      'trunks.yaml: trunks[0].inboundHeaders[1]: must be an X- header name, or X-* for all of them',
      'trunks.yaml: trunks[0].inboundHeaders[2]: must be an X- header name, or X-* for all of them',
    ]);
  });

  it('refuses a wrong type', () => {
    const dir = makeConfigDir({ set: { 'switchboard.yaml:redis.port': 'six' } });
    expect(problems(dir)).to.deep.equal(['switchboard.yaml: redis.port: Invalid input: expected number, received string']);
  });

  it("refuses a database socket that is not an absolute path, or too long for one", () => {
    expect(problems(makeConfigDir({ set: { 'switchboard.yaml:database.socketPath': 'run/mysqld.sock' } }))).to.deep.equal(['switchboard.yaml: database.socketPath: must be an absolute path']);
    expect(problems(makeConfigDir({ set: { 'switchboard.yaml:database.socketPath': `/${'s'.repeat(107)}` } }))).to.deep.equal([
      'switchboard.yaml: database.socketPath: must be at most 107 characters (a Unix socket path)',
    ]);
    expect(problems(makeConfigDir({ set: { 'switchboard.yaml:database.socketPath': 3306 } }))).to.deep.equal(['switchboard.yaml: database.socketPath: Invalid input: expected string, received number']);
  });

  it('reports a missing required key as required', () => {
    const dir = makeConfigDir({ set: { 'switchboard.yaml:xmpp.domain': undefined } });
    expect(problems(dir)).to.deep.equal(['switchboard.yaml: xmpp.domain: is required']);
  });

  it('reports a missing file', () => {
    const dir = makeConfigDir();
    rmSync(path.join(dir, 'trunks.yaml'));
    expect(problems(dir)).to.deep.equal(['trunks.yaml: : file is missing']);
  });

  it('reports every problem at once, across files', () => {
    const dir = makeConfigDir({ set: { 'switchboard.yaml:database.port': 70000, 'hours.yaml:calendars.0.timezone': 'Mars/Olympus' } });
    const p = problems(dir);
    expect(p).to.include('switchboard.yaml: database.port: Too big: expected number to be <=65535');
    expect(p).to.include('hours.yaml: calendars[0].timezone: is not an IANA time zone (e.g. Europe/Rome)');
  });

  it('checks references between files', () => {
    const dir = makeConfigDir({ set: { 'websites/example.yaml:channels.chat.queue': 'support-phone', 'queues.yaml:queues.0.skills.0.skill': 'klingon' } });
    expect(problems(dir)).to.have.members([
      'queues.yaml: queues[0].skills[0].skill: unknown skill "klingon"',
      'websites/example.yaml: channels.chat.queue: queue "support-phone" is a phone queue, not chat',
    ]);
  });

  it('checks the overflow queue and cool-down of each queue', () => {
    const dir = makeConfigDir({
      set: {
        'queues.yaml:queues.0.overflowQueue': 'nowhere',
        'queues.yaml:queues.1.overflowQueue': 'support-chat',
        'queues.yaml:queues.2.overflowQueue': 'support-video',
        'queues.yaml:queues.2.maxWaitSeconds': 60,
        'queues.yaml:queues.3.overflowQueue': 'mail',
      },
    });
    expect(problems(dir)).to.have.members([
      'queues.yaml: queues[0].overflowQueue: unknown queue "nowhere"',
      'queues.yaml: queues[1].overflowQueue: queue "support-chat" is a chat queue, not phone',
      'queues.yaml: queues[2].overflowQueue: a queue cannot overflow into itself',
      'queues.yaml: queues[3].overflowQueue: queue "mail" is a mail queue, not callback',
    ]);
    const garbage = makeConfigDir({ set: { 'queues.yaml:queues.4.declineCooldownSeconds': 'soon' } });
    expect(problems(garbage)).to.deep.equal(['queues.yaml: queues[4].declineCooldownSeconds: Invalid input: expected number, received string']);
    const ok = makeConfigDir({
      set: { 'queues.yaml:queues.0.maxWaitSeconds': 60, 'queues.yaml:queues.0.overflowQueue': 'more-chat', 'queues.yaml:queues.5': { id: 'more-chat', name: 'More', channel: 'chat' } },
    });
    expect(problems(ok)).to.deep.equal([]);
  });

  it('checks the customer-first settings of a callback queue and the prompt files it plays', () => {
    const cb = 'queues.yaml:queues.3.callback';
    const shipped = loadConfig(makeConfigDir()).queues[3]!.callback;
    expect(shipped.order).to.equal('agent-first');
    // Relative to the configuration folder, made absolute for rtpengine.
    expect(shipped.announcement).to.include.keys('en', 'fr');
    for (const f of Object.values(shipped.announcement as Record<string, string>)) expect(path.isAbsolute(f), f).to.equal(true);
    expect(problems(makeConfigDir({ set: { [cb]: { order: 'customer-first' } } }))).to.deep.equal([
      'queues.yaml: queues[3].callback.announcement: customer-first needs an announcement (a prompt file, or one per language)',
    ]);
    const dir = makeConfigDir();
    writeFileSync(path.join(dir, 'not-a-wav.wav'), 'hello');
    setYaml(dir, 'queues.yaml', 'queues.3.callback', { order: 'customer-first', announcement: { en: 'missing.wav', fr: 'not-a-wav.wav', it: 'prompts' } });
    expect(problems(dir)).to.have.members([
      `queues.yaml: queues[3].callback.announcement.en: ${path.join(dir, 'missing.wav')} does not exist`,
      `queues.yaml: queues[3].callback.announcement.fr: ${path.join(dir, 'not-a-wav.wav')} is not a WAV file`,
      `queues.yaml: queues[3].callback.announcement.it: ${path.join(dir, 'prompts')} is not a file`,
    ]);
    expect(problems(makeConfigDir({ set: { [cb]: { order: 'customer-first', announcement: 'prompts/callback-connecting.en.wav', customerWaitSeconds: 2 } } }))).to.deep.equal([
      'queues.yaml: queues[3].callback.customerWaitSeconds: Too small: expected number to be >=5',
    ]);
    for (const garbage of [{ order: 'whenever' }, { announcement: { de: 'x.wav' } }, { announcement: {} }, { announcement: 42 }, { customerWaitSeconds: 'long' }, { order: 'customer-first', announcement: '' }]) {
      const p = problems(makeConfigDir({ set: { [cb]: garbage } }));
      expect(p, JSON.stringify(garbage)).to.have.length.greaterThan(0);
      for (const line of p) expect(line, JSON.stringify(garbage)).to.match(/^queues\.yaml: queues\[3\]\.callback/);
    }
    const ok = makeConfigDir({ set: { [cb]: { order: 'customer-first', announcement: 'prompts/callback-connecting.fr.wav', customerWaitSeconds: 30 } } });
    const q = loadConfig(ok).queues[3]!.callback;
    expect(q).to.deep.include({ order: 'customer-first', announcement: path.join(ok, 'prompts/callback-connecting.fr.wav'), customerWaitSeconds: 30 });
  });

  it('checks the website that takes incoming mail', () => {
    const on = { 'switchboard.yaml:imap.enabled': true };
    expect(problems(makeConfigDir({ set: { ...on, 'switchboard.yaml:imap.website': 'exmaple' } }))).to.deep.equal(['switchboard.yaml: imap.website: unknown website "exmaple" (websites: "example")']);
    expect(problems(makeConfigDir({ set: { ...on, 'switchboard.yaml:imap.website': 'example', 'websites/example.yaml:channels.mail.enabled': false } }))).to.deep.equal([
      'switchboard.yaml: imap.website: website "example" has no mail queue (enable channels.mail with a queue in websites/example.yaml)',
    ]);
    expect(problems(makeConfigDir({ set: { ...on, 'websites/example.yaml:channels.mail.enabled': false } }))).to.deep.equal([
      'switchboard.yaml: imap: no website has mail enabled with a queue: incoming mail has no queue (set imap.website or enable channels.mail on a website)',
    ]);
    expect(problems(makeConfigDir({ set: { ...on, 'switchboard.yaml:imap.website': 42 } }))).to.deep.equal(['switchboard.yaml: imap.website: Invalid input: expected string, received number']);
    // Reading no mail: nothing to check.
    expect(problems(makeConfigDir({ set: { 'switchboard.yaml:imap.enabled': false, 'switchboard.yaml:imap.website': 'gone' } }))).to.deep.equal([]);
    expect(problems(makeConfigDir({ set: { ...on, 'switchboard.yaml:imap.website': 'example' } }))).to.deep.equal([]);
  });

  it('takes secrets from the environment and says which variable is missing', () => {
    const dir = makeConfigDir();
    expect(problems(dir, {})).to.deep.equal(['agents.yaml: agents[0].password: environment variable SWITCHBOARD_ADMIN_PASSWORD is not set']);
    const c = loadConfig(dir, { SWITCHBOARD_ADMIN_PASSWORD: 'from-the-environment', SWITCHBOARD_PORT: '9090' });
    expect(c.agents[0]!.password).to.equal('from-the-environment');
  });

  it('keeps numbers numeric when they come from the environment', () => {
    const dir = makeConfigDir();
    setYaml(dir, 'switchboard.yaml', 'server.port', '${SB_TEST_PORT:-8080}');
    expect(loadConfig(dir, { ...process.env, SB_TEST_PORT: '9191' }).main.server.port).to.equal(9191);
    expect(loadConfig(dir, { ...process.env }).main.server.port).to.equal(8080);
  });

  it('requires a website file to be named after its id', () => {
    const dir = makeConfigDir();
    cpSync(path.join(dir, 'websites/example.yaml'), path.join(dir, 'websites/other.yaml'));
    expect(problems(dir)).to.deep.equal(['websites/other.yaml: id: must match the file name ("other")']);
  });

  it('refuses one origin on two websites', () => {
    const dir = makeConfigDir();
    cpSync(path.join(dir, 'websites/example.yaml'), path.join(dir, 'websites/other.yaml'));
    setYaml(dir, 'websites/other.yaml', 'id', 'other');
    setYaml(dir, 'websites/other.yaml', 'origins', ['https://other.example', 'http://localhost:8081']);
    expect(problems(dir)).to.deep.equal(['websites/other.yaml: origins[1]: origin http://localhost:8081 is already used by website "example"']);
  });

  it('validates form fields by their type', () => {
    const dir = makeConfigDir({ set: { 'websites/example.yaml:forms.chat.0': { type: 'select', name: 'x', label: 'X', options: [] } } });
    expect(problems(dir)).to.deep.equal(['websites/example.yaml: forms.chat[0].options: Too small: expected array to have >=1 items']);
  });

  it('refuses a configuration folder that does not exist', () => {
    expect(problems('/nonexistent/switchboard')).to.deep.equal(['/nonexistent/switchboard: : configuration folder not found']);
  });

  describe('switchboard config check', () => {
    const cli = (dir: string) =>
      spawnSync(process.execPath, [path.join(REPO, 'server/dist/cli.js'), 'config', 'check', '--config', dir], { encoding: 'utf8', env: { ...process.env } });

    it('exits 0 and summarises a valid configuration', () => {
      const r = cli(makeConfigDir());
      expect(r.status).to.equal(0, r.stderr);
      expect(r.stdout).to.match(/configuration OK: 1 trunk\(s\), 5 queue\(s\), 1 website\(s\)/);
    });

    it('exits 1 naming file, key and problem', () => {
      const dir = makeConfigDir();
      mkdirSync(path.join(dir, 'websites'), { recursive: true });
      setYaml(dir, 'trunks.yaml', 'trunks.0.transport', 'carrier-pigeon');
      const r = cli(dir);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.contain('trunks.yaml: trunks[0].transport: Invalid option: expected one of "udp"|"tcp"');
      expect(r.stdout).to.equal('');
    });
  });
});
