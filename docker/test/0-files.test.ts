// The deployment files agree with each other before anything is built: the env file documents
// every variable the compose file reads, with the same defaults; the server container gets every
// variable the configuration reads; the Dockerfiles copy files that exist and install the Node
// the lockfile names.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO } from './stack.ts';

const read = (p: string) => readFileSync(path.join(REPO, p), 'utf8');
/** `${NAME}`, `${NAME:-default}` and `${NAME:?message}` in a file: name → default ('' when none). */
function placeholders(text: string): Map<string, string> {
  return new Map([...text.matchAll(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g)].map((m) => [m[1]!, m[2] === '-' ? m[3]! : '']));
}

describe('Docker: the deployment files agree with each other', () => {
  const composeText = read('docker/compose.yaml');
  const compose = parse(composeText) as { services: Record<string, { environment?: Record<string, string>; volumes?: string[]; build?: { dockerfile: string } }>; volumes: Record<string, unknown> };
  const asked = placeholders(composeText);
  const example = new Map([...read('docker/env.example').matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  const configFiles = ['switchboard.yaml', 'agents.yaml', 'trunks.yaml', ...readdirSync(path.join(REPO, 'config/websites')).map((f) => `websites/${f}`)];
  // Commented-out keys read nothing.
  const configReads = new Map(configFiles.flatMap((f) => [...placeholders(read(`config/${f}`).replace(/^\s*#.*$/gm, ''))]));

  it('documents every variable the compose file reads in env.example, with the compose file’s defaults', () => {
    expect([...asked.keys()].filter((k) => !example.has(k))).to.deep.equal([]);
    for (const [k, def] of asked) if (def) expect(example.get(k), k).to.equal(def);
    // And nothing in env.example that nobody reads (COMPOSE_PROJECT_NAME is docker-compose's own).
    expect([...example.keys()].filter((k) => !asked.has(k) && k !== 'COMPOSE_PROJECT_NAME')).to.deep.equal([]);
  });

  it('passes the server every variable the configuration reads, with the configuration’s defaults', () => {
    const env = compose.services.switchboard!.environment!;
    expect(compose.services.setup!.environment).to.deep.equal(env);
    // The uploads folder is the image's own (its volume's mount point).
    const wanted = [...configReads.keys()].filter((k) => k !== 'SWITCHBOARD_UPLOADS_DIR');
    expect(Object.keys(env)).to.have.members(wanted);
    expect(read('docker/Dockerfile')).to.match(/^ENV .*SWITCHBOARD_UPLOADS_DIR=\/var\/lib\/switchboard\/uploads/m);
    expect(compose.services.switchboard!.volumes).to.include('uploads:/var/lib/switchboard/uploads');
    for (const [k, def] of configReads) if (def && asked.get(k)) expect(asked.get(k), k).to.equal(def);
  });

  it('shows rtpengine the configuration folder where the server reads it (announcement prompts)', () => {
    const server = compose.services.switchboard!.volumes!.find((v) => v.endsWith(':/etc/switchboard:ro'));
    expect(server).to.not.equal(undefined);
    expect(compose.services.rtpengine!.volumes).to.include(server);
  });

  it('names every volume it mounts', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('$')) expect(compose.volumes, `${name} mounts ${source}`).to.have.property(source);
      }
    }
  });

  it('builds from files that exist, and installs the Node 24 the lockfile names', () => {
    const dockerfiles = Object.values(compose.services).flatMap((s) => (s.build ? [s.build.dockerfile] : []));
    expect(dockerfiles).to.have.members(['docker/Dockerfile', 'docker/mariadb/Dockerfile', 'docker/redis/Dockerfile', 'docker/prosody/Dockerfile', 'docker/rtpengine/Dockerfile']);
    for (const f of dockerfiles) {
      const text = read(f);
      expect(text, f).to.match(/^FROM debian:bookworm-slim/m);
      for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
        for (const src of m[1]!.split(' ')) expect(existsSync(path.join(REPO, src)), `${f}: COPY ${src}`).to.equal(true);
      }
    }
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version: string }> };
    expect(read('docker/Dockerfile')).to.contain(`ARG NODE_VERSION=${lock.packages['node_modules/node']!.version}\n`);
  });
});
