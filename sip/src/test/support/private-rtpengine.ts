// An rtpengine of a test's own: its own ng port and a media port range as small as the test wants
// (the shared one's 1,000 ports never run out in a test). Media ports come from 61000–65535,
// above the kernel's ephemeral range, so no other process's socket takes one of a tiny range.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtpEngineRelay } from '../../media/relay.js';
import { freePort } from './services.js';

export interface PrivateRtpengine {
  ngPort: number;
  /** First and last media port. */
  range: [number, number];
  /** What it logged (its refusals: "Ran out of ports"). */
  log(): string;
  stop(): Promise<void>;
}

async function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const u = dgram.createSocket('udp4');
    u.once('error', () => resolve(false));
    u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
  });
}

/** A range of `ports` media ports nothing holds now (even start: rtpengine pairs RTP and RTCP). */
async function freeRange(ports: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const first = 61000 + 2 * Math.floor(Math.random() * ((4500 - ports) / 2));
    const all = await Promise.all(Array.from({ length: ports }, (_, k) => udpFree(first + k)));
    if (all.every(Boolean)) return first;
  }
  throw new Error(`no ${ports} free UDP ports in 61000–65535`);
}

/** Starts one; `ngPort` again to restart it in place of a stopped one (same address for the server). */
export async function privateRtpengine(opts: { ports: number; ngPort?: number }): Promise<PrivateRtpengine> {
  const ngPort = opts.ngPort ?? (await freePort());
  const first = await freeRange(opts.ports);
  const dir = mkdtempSync(join(tmpdir(), 'sb-rtpengine-'));
  const logFile = join(dir, 'rtpengine.log');
  const proc: ChildProcess = spawn('rtpengine', [
    '--config-file=none', '--foreground', '--log-stderr', '--table=-1', '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${ngPort}`, `--port-min=${first}`, `--port-max=${first + opts.ports - 1}`, `--pidfile=${join(dir, 'pid')}`,
  ], { stdio: ['ignore', 'ignore', openSync(logFile, 'a')] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const relay = new RtpEngineRelay({ host: '127.0.0.1', port: ngPort, timeout: 300, tries: 1 });
  try {
    for (let i = 0; !(await relay.ping()); i++) {
      if (i > 100 || proc.exitCode !== null) throw new Error(`rtpengine did not start on ng port ${ngPort}: ${readFileSync(logFile, 'utf8').slice(-500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  } finally {
    relay.close();
  }
  return {
    ngPort,
    range: [first, first + opts.ports - 1],
    log: () => readFileSync(logFile, 'utf8'),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
