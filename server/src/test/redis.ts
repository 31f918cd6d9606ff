import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { freePort as freeTestPort } from '../../../sip/dist/test/support/services.js';

/** A private redis-server for tests that stop and restart Redis under a running server. */
export class ScratchRedis {
  private proc: ChildProcess | undefined;
  /** extraArgs override the defaults (later flags win), e.g. ['--appendonly', 'yes', '--dir', tmp]. */
  constructor(
    readonly port: number,
    readonly extraArgs: string[] = [],
  ) {}

  /**
   * A port drawn outside the kernel's ephemeral range and claimed for every test process on the
   * machine (the SIP tests' helper): a port the kernel just said was free can be handed to another
   * process's outgoing connection before the scratch server binds it.
   */
  static freePort(): Promise<number> {
    return freeTestPort();
  }

  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(this.port), '--save', '', '--appendonly', 'no', ...this.extraArgs], { stdio: 'ignore' });
    await waitForPort(this.port, 'redis-server');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await killHard(p);
  }
}

/** Waits until something accepts TCP connections on 127.0.0.1:port (10 s at most). */
export async function waitForPort(port: number, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not start on ${port}`);
}

/** Kills a scratch service the way a crash would, and waits until it is gone. */
export async function killHard(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null) return;
  p.kill('SIGKILL');
  await once(p, 'exit');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Polls until the check passes; a waiting helper, not an assertion on how long it took. */
export async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, attempts = 200, everyMs = 100): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await fn();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not reached; last value: ${JSON.stringify(last)}`);
}
