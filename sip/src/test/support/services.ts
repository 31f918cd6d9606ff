// Real peers for the tests: rtpengine (the one at RTPENGINE_NG, or our own when none answers)
// and sipp processes, all on 127.0.0.1, all bounded (-m, timeouts) and killed after use.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RtpEngineRelay } from '../../media/relay.js';

/** sip/ (tests run from sip/dist/test/support). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SCENARIOS = join(PACKAGE_ROOT, 'test', 'sipp');

let ownRtpengine: ChildProcess | undefined;

function ngAddress(): { host: string; port: number } {
  const [host, port] = (process.env.RTPENGINE_NG ?? '127.0.0.1:22222').split(':');
  if (!host || !/^127\./.test(host)) throw new Error(`RTPENGINE_NG must be on 127.0.0.0/8, got ${host}`);
  return { host, port: Number(port ?? 22222) };
}

/**
 * How long the tests' relays wait for each ng reply. rtpengine is one process shared by every test
 * run on the machine, and the ng client does not resend: on a loaded machine a reply can take
 * over a second, which would fail the call being set up with "media down".
 */
export const NG_TIMEOUT_MS = 5000;

/** A relay connected to a live rtpengine; starts one (ng on RTPENGINE_NG) when none answers. */
export async function rtpengineRelay(): Promise<RtpEngineRelay> {
  const addr = ngAddress();
  // Probed with a short timeout, since a ping to nobody waits all of it; a slow pong is tried again.
  const probe = new RtpEngineRelay({ ...addr, timeout: 1000 });
  const relay = (): RtpEngineRelay => {
    probe.close();
    return new RtpEngineRelay({ ...addr, timeout: NG_TIMEOUT_MS });
  };
  if (await probe.ping()) return relay();
  if (!ownRtpengine) {
    const dir = mkdtempSync(join(tmpdir(), 'sb-rtpengine-'));
    ownRtpengine = spawn('rtpengine', [
      '--config-file=none', '--foreground', '--log-stderr', '--table=-1', '--interface=127.0.0.1',
      `--listen-ng=${addr.host}:${addr.port}`, '--port-min=40000', '--port-max=49999', `--pidfile=${join(dir, 'pid')}`,
    ], { stdio: 'ignore' });
    ownRtpengine.unref();
  }
  for (let i = 0; i < 150; i++) {
    if (await probe.ping()) return relay();
    await new Promise((r) => setTimeout(r, 100));
  }
  probe.close();
  throw new Error('rtpengine did not answer on ' + `${addr.host}:${addr.port}`);
}

export function stopOwnRtpengine(): void {
  if (ownRtpengine?.pid && ownRtpengine.exitCode === null) ownRtpengine.kill('SIGTERM');
  ownRtpengine = undefined;
}

/** Ports this process handed out: free when drawn, but bound only later by whoever got them. */
const handedOut = new Set<number>();

/**
 * Claims on ports, shared by every test process on the machine (several runs at once, the server
 * suite's calls too): a file per port holding the claiming process's pid. Checking that a port
 * is free is not enough, since another run may draw the same one before either binds it.
 */
const CLAIMS = join(tmpdir(), 'switchboard-test-ports');
mkdirSync(CLAIMS, { recursive: true });
process.on('exit', () => {
  for (const port of handedOut) rmSync(join(CLAIMS, String(port)), { force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process; a claim left by a process that is gone is taken over. */
function claim(port: number): boolean {
  const file = join(CLAIMS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: number;
    try {
      owner = Number(readFileSync(file, 'utf8'));
    } catch {
      return false; // released or taken over meanwhile: draw another
    }
    // 0: its owner has created the file and not yet written its pid.
    if (!owner || owner === process.pid || alive(owner)) return false;
    rmSync(file, { force: true });
  }
  return false;
}

/**
 * A port free for both UDP and TCP on 127.0.0.1, drawn from 20000–29999: outside the kernel's
 * ephemeral range (other processes' outgoing sockets) and rtpengine's media ports (40000–49999),
 * so it is still free when sipp or the engine binds it a moment later. Never the same one twice
 * in a process (a test draws the PBX's port, then the engine's, before anything binds the first),
 * nor one another test process on the machine has drawn (see CLAIMS).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (handedOut.has(port) || !claim(port)) continue;
    handedOut.add(port); // claimed until this process exits, whether it turns out free or not
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (!udpFree) continue;
    const tcpFree = await new Promise<boolean>((resolve) => {
      const t = net.createServer();
      t.once('error', () => resolve(false));
      t.listen(port, '127.0.0.1', () => t.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
}

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SippProcess {
  done: Promise<SippResult>;
  kill(): void;
  /** Exit code once it has exited (null while running). */
  exited(): number | null | undefined;
}

/**
 * Runs one sipp scenario from test/sipp. `remote` is host:port for callers; PBX scenarios
 * (uas-*) listen on `port`. Exit code 0 means every call followed the scenario.
 */
export function sipp(opts: { scenario: string; port: number; remote?: string; calls?: number; transport?: 'u1' | 't1'; timeoutS?: number; extra?: string[] }): SippProcess {
  const args = [
    ...(opts.remote ? [opts.remote] : []),
    '-sf', join(SCENARIOS, opts.scenario),
    '-i', '127.0.0.1', '-p', String(opts.port),
    '-m', String(opts.calls ?? 1),
    '-t', opts.transport ?? 'u1',
    '-nostdin', '-timeout', `${opts.timeoutS ?? 12}s`, '-timeout_error',
    '-max_recv_loops', '1000', '-aa',
    ...(opts.extra ?? []),
  ];
  const p = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exitCode: number | null | undefined;
  const done = new Promise<SippResult>((resolve) => p.on('close', (code) => {
    exitCode = code;
    resolve({ code, stdout, stderr });
  }));
  return { done, kill: () => p.exitCode === null && p.kill('SIGKILL'), exited: () => exitCode };
}

/** Resolves once a sipp UAS has bound its port (sipp gives no ready signal). */
export async function waitForUdpListener(port: number, proc?: SippProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (proc && proc.exited() !== undefined) {
      const r = await proc.done;
      throw new Error(`sipp exited (${r.code}) before listening on ${port}: ${r.stderr.slice(-800)}`);
    }
    const inUse = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(true));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
    });
    if (inUse) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on udp ${port}`);
}

/** Resolves once something accepts TCP connections on `port` (a sipp started with -t t1). */
export async function waitForTcpListener(port: number, proc?: SippProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (proc && proc.exited() !== undefined) throw new Error(`sipp exited before listening on tcp ${port}: ${(await proc.done).stderr.slice(-800)}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on tcp ${port}`);
}
