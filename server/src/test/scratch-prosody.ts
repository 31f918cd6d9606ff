// A private Prosody for tests that stop and restart XMPP under a running server: other test files
// share the project's Prosody, which must never be touched. Same configuration as production,
// rendered from the `xmpp` section into a temporary folder, on free ports.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SwitchboardFile } from '../kernel/config/schema.js';
import { ScratchRedis, killHard, waitForPort } from './redis.js';
import { renderProsodyConfig } from '../modules/chat/prosody-config.js';
import { projectCertDir, readCertificate } from '../modules/chat/xmpp-tls-client.js';

export class ScratchProsody {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'sb-prosody-'));
  readonly cfgFile = path.join(this.dir, 'prosody.cfg.lua');

  private constructor(readonly xmpp: SwitchboardFile['xmpp']) {}

  /** The test server's configuration keys that point it at this Prosody. */
  get settings(): Record<string, number> {
    return { 'switchboard.yaml:xmpp.port': this.xmpp.port, 'switchboard.yaml:xmpp.httpPort': this.xmpp.httpPort, 'switchboard.yaml:xmpp.componentPort': this.xmpp.componentPort };
  }

  static async create(base: SwitchboardFile['xmpp']): Promise<ScratchProsody> {
    const xmpp = { ...base, port: await ScratchRedis.freePort(), httpPort: await ScratchRedis.freePort(), componentPort: await ScratchRedis.freePort() };
    const p = new ScratchProsody(xmpp);
    // The project's certificate (scripts/services.sh), so clients trust both Prosodys alike.
    readCertificate(path.join(projectCertDir(), `${xmpp.domain}.crt`));
    writeFileSync(p.cfgFile, renderProsodyConfig(xmpp, p.dir, undefined, projectCertDir()));
    execFileSync('prosodyctl', ['--config', p.cfgFile, 'register', xmpp.serviceUser, xmpp.domain, xmpp.servicePassword], { stdio: 'ignore' });
    return p;
  }

  async start(): Promise<void> {
    this.proc = spawn('prosody', ['--config', this.cfgFile, '-F'], { stdio: 'ignore' });
    await waitForPort(this.xmpp.port, 'prosody');
    await waitForPort(this.xmpp.componentPort, 'prosody components');
  }

  /** Stops it the hard way, like a crash: rooms and sessions are gone. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await killHard(p);
  }
}
