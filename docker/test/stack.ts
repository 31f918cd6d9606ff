// The deployment under test is docker/compose.yaml run the way IT runs it (scripts/docker.sh),
// with an env file of its own: free ports on 127.0.0.1 (the machine's MariaDB, Redis, Prosody and
// rtpengine, and other checkouts' tests, keep theirs), a project name and image tag of its own
// (its own containers and volumes; no other build's images), and a copy of config/ in which the
// example website's origin is this run's shop page and the trunk leads to this run's sipp PBX.
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { setYaml } = await import(path.join(REPO, 'server/dist/test/config.js'));
const { openQueues } = await import(path.join(REPO, 'server/dist/test/routing.js'));
const { freePort } = (await import(path.join(REPO, 'sip/dist/test/support/services.js'))) as { freePort(): Promise<number> };

export interface Stack {
  project: string;
  url: string;
  env: Record<string, string>;
  configDir: string;
  /** The shop page's port (the example website's only origin) and the sipp PBX's SIP port. */
  sitePort: number;
  pbxPort: number;
  /** scripts/docker.sh with this stack's env file; rejects with its output when it fails. */
  docker(...args: string[]): Promise<string>;
  /** The Docker client the script uses. */
  client(...args: string[]): Promise<string>;
  /** A command in a service's running container. */
  exec(service: string, ...cmd: string[]): Promise<string>;
  /** Containers of the project by service: state, exit code, health. */
  containers(): Promise<Record<string, { status: string; exitCode: number; health: string; readOnly: boolean }>>;
}

/** What the tests of one run hand on to the next file (the chat and the call they made). */
export const shared: { chat?: { interactionId: string; lines: string[]; fileId: string; fileSha256: string }; agent?: { username: string; password: string } } = {};

const DOCKER = '/usr/bin/docker';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 40 * 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${err.code ?? err.signal}):\n${(stdout + stderr).slice(-4000)}`));
      else resolve(stdout + stderr);
    });
  });
}

/** A block of UDP ports for rtpengine's media, below the kernel's ephemeral range and the SIP tests' free ports. */
async function freeUdpBlock(size: number): Promise<number> {
  const bindable = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (;;) {
    const start = 30000 + size * Math.floor(Math.random() * ((32700 - 30000) / size));
    let ok = true;
    for (let p = start; ok && p < start + size; p++) ok = await bindable(p);
    if (ok) return start;
  }
}

let stack: Stack | undefined;

/** This run's stack when a test has prepared it. */
export const currentStack = (): Stack | undefined => stack;

export async function prepareStack(): Promise<Stack> {
  if (stack) return stack;
  const taken = new Set<number>();
  const port = async () => {
    for (;;) {
      const p = await freePort();
      if (taken.has(p)) continue;
      taken.add(p);
      return p;
    }
  };
  const rtp = await freeUdpBlock(100);
  const secret = () => randomBytes(18).toString('base64url');
  const httpPort = await port();
  const sitePort = await port();
  const pbxPort = await port();
  const project = `sbtest${process.pid}`;

  const configDir = mkdtempSync(path.join(tmpdir(), 'sb-docker-config-'));
  cpSync(path.join(REPO, 'config'), configDir, { recursive: true });
  // The server's and Prosody's users read it, as IT's folder must be readable.
  chmodSync(configDir, 0o755);
  const set: Record<string, unknown> = {
    ...openQueues(),
    'websites/example.yaml:origins': [`http://127.0.0.1:${sitePort}`],
    'trunks.yaml:trunks.0.port': pbxPort,
    'trunks.yaml:trunks.0.optionsPingSeconds': 0,
    // The machine's own mail servers belong to other tests: this stack neither polls nor sends there.
    'switchboard.yaml:imap.enabled': false,
    'switchboard.yaml:smtp.port': await port(),
  };
  for (const [k, v] of Object.entries(set)) {
    const [file, key] = k.split(':') as [string, string];
    setYaml(configDir, file, key, v);
  }

  const env: Record<string, string> = {
    COMPOSE_PROJECT_NAME: project,
    SWITCHBOARD_CONFIG: configDir,
    SWITCHBOARD_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
    SWITCHBOARD_DB_PASSWORD: secret(),
    SWITCHBOARD_XMPP_PASSWORD: secret(),
    SWITCHBOARD_ADMIN_PASSWORD: secret(),
    SWITCHBOARD_PORT: String(httpPort),
    SWITCHBOARD_DB_PORT: String(await port()),
    SWITCHBOARD_REDIS_PORT: String(await port()),
    SWITCHBOARD_XMPP_PORT: String(await port()),
    SWITCHBOARD_XMPP_HTTP_PORT: String(await port()),
    SWITCHBOARD_XMPP_COMPONENT_PORT: String(await port()),
    SWITCHBOARD_RTPENGINE_PORT: String(await port()),
    SWITCHBOARD_SIP_PORT: String(await port()),
    SWITCHBOARD_SIP_WS_PORT: String(await port()),
    SWITCHBOARD_RTP_PORT_MIN: String(rtp),
    SWITCHBOARD_RTP_PORT_MAX: String(rtp + 99),
    SWITCHBOARD_MEDIA_ADDRESS: '127.0.0.1',
    SWITCHBOARD_IMAGE_TAG: `test-${process.pid}`,
    SWITCHBOARD_LOG_LEVEL: 'info',
  };
  const envFile = path.join(mkdtempSync(path.join(tmpdir(), 'sb-docker-env-')), 'test.env');
  writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });

  const client = (...args: string[]) => run(DOCKER, args);
  stack = {
    project,
    url: env.SWITCHBOARD_PUBLIC_URL!,
    env,
    configDir,
    sitePort,
    pbxPort,
    docker: (...args) => run('bash', [path.join(REPO, 'scripts/docker.sh'), '--env-file', envFile, ...args]),
    client,
    exec: async (service, ...cmd) => {
      const id = (await client('ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`)).trim();
      return client('exec', id, ...cmd);
    },
    containers: async () => {
      const ids = (await client('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`)).split('\n').filter(Boolean);
      const out: Awaited<ReturnType<Stack['containers']>> = {};
      for (const id of ids) {
        const [service, status, exitCode, health, readOnly] = (
          await client('inspect', '-f', '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.HostConfig.ReadonlyRootfs}}', id)
        ).trim().split(' ');
        out[service!] = { status: status!, exitCode: Number(exitCode), health: health!, readOnly: readOnly === 'true' };
      }
      return out;
    },
  };
  // A machine that has never run Docker gets Debian's engine installed and started here, as IT's
  // first `scripts/docker.sh up` would do it; nothing below can ask the engine anything before.
  await stack.docker('engine');
  return stack;
}

/** The stack up and healthy (brought up when a file runs on its own). */
export async function stackUp(): Promise<Stack> {
  const s = await prepareStack();
  const c = await s.containers();
  if (c.switchboard?.health !== 'healthy') await s.docker('up');
  return s;
}

/** Everything this run made: containers, volumes, its images' tags (their layers stay in the build cache). */
export async function removeStack(): Promise<void> {
  if (!stack || process.env.SWITCHBOARD_KEEP_DOCKER) return;
  await stack.docker('down', '--volumes', '--rmi', 'all', '--remove-orphans');
}
