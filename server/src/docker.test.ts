// There is no Docker engine where the tests run, so docker/ is checked statically: the compose
// file parses and wires the services Switchboard needs on the ports its configuration uses, the
// Dockerfile copies paths that exist, and every secret it asks for is documented.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO } from './test/env.js';
import { loadConfig } from './config/load.js';
import { renderProsodyConfig } from './modules/chat/prosody-config.js';

const file = (p: string) => readFileSync(path.join(REPO, p), 'utf8');

describe('docker deployment files', () => {
  const compose = parse(file('docker/compose.yaml')) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> };
  const dockerfile = file('docker/Dockerfile');
  const config = loadConfig(path.join(REPO, 'config'), { SWITCHBOARD_ADMIN_PASSWORD: 'x'.repeat(12) });

  it('runs Switchboard with every service it needs', () => {
    expect(Object.keys(compose.services)).to.have.members(['switchboard', 'mariadb', 'redis', 'prosody', 'rtpengine']);
    expect(compose.services.switchboard!.depends_on).to.have.keys(['mariadb', 'redis', 'prosody', 'rtpengine']);
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.image ?? s.build, `${name} has an image or a build`).to.exist;
      for (const v of (s.volumes as string[] | undefined) ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(path.resolve(REPO, 'docker', source)) || source.endsWith('.lua'), `${name} mounts ${source}`).to.equal(true);
        else expect(compose.volumes, `named volume ${source}`).to.have.property(source);
      }
    }
  });

  it('publishes services on the addresses and ports the example configuration expects', () => {
    const ports = (s: string) => ((compose.services[s]!.ports as string[] | undefined) ?? []).join(' ');
    expect(ports('mariadb')).to.contain(`127.0.0.1:${config.main.database.port}:3306`);
    expect(ports('redis')).to.contain(`127.0.0.1:${config.main.redis.port}:6379`);
    const rtp = (compose.services.rtpengine!.command as string[]).join(' ');
    expect(rtp).to.contain(`--listen-ng=${config.main.rtpengine.host}:${config.main.rtpengine.ngPort}`);
    expect(rtp).to.contain(`--port-min=${config.main.rtpengine.portMin}`);
    expect(compose.services.prosody!.network_mode).to.equal('host');
    const prosody = renderProsodyConfig(config.main.xmpp, '/etc/prosody', '/var/lib/prosody', '/etc/prosody/certs');
    expect(prosody).to.contain('data_path = "/var/lib/prosody"');
    expect(prosody).to.contain(`c2s_ports = { ${config.main.xmpp.port} }`);
    // The client port requires TLS, with the certificate the compose file mounts where the
    // configuration it tells IT to generate (--cert-dir) looks for it.
    expect(prosody).to.contain('c2s_require_encryption = true');
    expect(prosody).to.contain(`ssl = { certificate = "/etc/prosody/certs/${config.main.xmpp.domain}.crt"; key = "/etc/prosody/certs/${config.main.xmpp.domain}.key" }`);
    expect(compose.services.prosody!.volumes).to.include('./prosody/certs:/etc/prosody/certs:ro');
    expect(file('docker/compose.yaml')).to.contain('--cert-dir /etc/prosody/certs').and.to.contain('scripts/services.sh xmpp-cert docker/prosody/certs');
    const exposed = /^EXPOSE (.*)$/m.exec(dockerfile)![1]!;
    expect(exposed.split(' ')).to.include.members([String(config.main.server.port), `${config.main.sip.udpPort}/udp`, String(config.main.sip.wsPort)]);
  });

  it('copies only paths that exist, and runs as an unprivileged user', () => {
    const build = dockerfile.split(/^FROM /m)[1]!;
    for (const m of build.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(' ')) expect(existsSync(path.join(REPO, src)), `COPY ${src}`).to.equal(true);
    }
    expect(dockerfile).to.match(/^USER node$/m);
    expect(dockerfile).to.match(/^CMD \["node", "server\/dist\/cli\.js", "start"\]$/m);
  });

  it('documents every secret it asks for, and asks for those the configuration reads', () => {
    const asked = new Set([...file('docker/compose.yaml').matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!));
    const documented = new Set([...file('docker/env.example').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]!));
    expect([...asked].filter((v) => !documented.has(v))).to.deep.equal([]);
    const env = compose.services.switchboard!.environment as Record<string, string>;
    const placeholders = new Set([...file('config/switchboard.yaml').matchAll(/\$\{([A-Z_]+)/g), ...file('config/agents.yaml').matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!));
    for (const k of Object.keys(env)) if (k !== 'SWITCHBOARD_CONFIG_DIR') expect(placeholders, `config reads ${k}`).to.include(k);
    expect(placeholders).to.include('SWITCHBOARD_ADMIN_PASSWORD');
  });
});
