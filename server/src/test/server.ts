import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { startSwitchboard, type Switchboard } from '../app.js';
import { loadConfig } from '../kernel/config/load.js';
import { createLogger } from '../kernel/logger.js';
import { makeConfigDir, setYaml, type TestConfigOptions } from './config.js';
import { ADMIN_PASSWORD, REPO } from './env.js';
import type { Config } from '../kernel/config/schema.js';
import type { Clock } from '../kernel/clock.js';

export interface TestServer {
  sb: Switchboard;
  url: string;
  config: Config;
  configDir: string;
  stop(): Promise<void>;
}

export async function startTestServer(opts: TestConfigOptions & { clock?: Clock } = {}): Promise<TestServer> {
  const configDir = makeConfigDir(opts);
  const config = loadConfig(configDir);
  const sb = await startSwitchboard(config, { logger: createLogger(process.env.SWITCHBOARD_TEST_LOG ?? 'silent'), clock: opts.clock });
  return { sb, url: sb.url, config, configDir, stop: () => sb.stop() };
}

/** How much of a spawned server's output is kept for the error when it exits. */
const TAIL_CHARS = 64 * 1024;

/** A real server process, as production runs it (for multi-instance tests). */
export async function spawnServer(configDir: string): Promise<{ url: string; proc: ChildProcess; stop(): Promise<void> }> {
  // The start line in the log is how we learn the port it picked.
  setYaml(configDir, 'switchboard.yaml', 'logging.level', 'info');
  // Extra flags for the server's node alone (a benchmark's --cpu-prof), not for its callers.
  const nodeArgs = (process.env.SWITCHBOARD_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, path.join(REPO, 'server/dist/cli.js'), 'start', '--config', configDir], {
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Only the log's tail is kept (for the error if it exits), and the start line is looked for
  // in whole lines until it shows: a benchmark's servers log for many minutes.
  let tail = '';
  let partial = '';
  let started = false;
  const keep = (s: string) => {
    tail = (tail + s).slice(-TAIL_CHARS);
  };
  const url = await new Promise<string>((resolve, reject) => {
    // A generous wait, not a measure: on a loaded machine loading the server's modules alone takes seconds.
    const timer = setTimeout(() => reject(new Error(`server did not start within 90 s:\n${tail}`)), 90_000);
    // The pipes are read for as long as the server runs: a full pipe would block its writes.
    proc.stdout!.on('data', (d: Buffer) => {
      const text = d.toString();
      keep(text);
      if (started) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const m = /"url":"([^"]+)".*"msg":"switchboard started"/.exec(line);
        if (!m) continue;
        started = true;
        partial = '';
        clearTimeout(timer);
        resolve(m[1]!);
        return;
      }
    });
    proc.stderr!.on('data', (d: Buffer) => keep(d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${tail}`));
    });
  });
  return {
    url,
    proc,
    stop: async () => {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

export async function api(url: string, method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}

export async function login(url: string, username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const r = await api(url, 'POST', '/api/auth/login', { username, password });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** A WebSocket client that collects messages and can wait for one matching a predicate. */
export class TestSocket {
  readonly messages: any[] = [];
  private waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  closed: { code: number; reason: string } | undefined;
  private closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.closeWaiters) w(this.closed);
    });
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
    const ws = new WebSocket(url, { headers });
    const s = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return s;
  }

  send(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  next(pred: (m: any) => boolean, timeoutMs = 15_000): Promise<any> {
    const found = this.messages.find(pred);
    if (found) {
      this.messages.splice(this.messages.indexOf(found), 1);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve: (m: any) => (clearTimeout(t), this.messages.splice(this.messages.indexOf(m), 1), resolve(m)) };
      // A waiter that timed out must not swallow the next matching message.
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages).slice(0, 500)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  waitClose(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.closeWaiters.push((c) => (clearTimeout(t), resolve(c)));
    });
  }

  close(): void {
    this.ws.close();
  }
}
