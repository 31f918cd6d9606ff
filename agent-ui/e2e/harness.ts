// A real Switchboard for the desktop's end-to-end tests: the built server (server/dist) as its
// own process, against the machine's MariaDB and Redis, with a copy of config/ on a free port
// and a database of its own. The server serves agent-ui/dist, so this tests the real build.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';

export const UI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(UI, '..');
export const SCREENSHOTS = path.join(REPO, 'docs/screenshots');

const serverDist = (p: string) => path.join(REPO, 'server/dist', p);
const { makeConfigDir, testConfig } = await import(serverDist('test/config.js'));
const { spawnServer, api, login } = await import(serverDist('test/server.js'));
const { createDatabase, dropDatabase } = await import(serverDist('kernel/db/admin.js'));
const { TEST_DB, ADMIN_PASSWORD } = await import(serverDist('test/env.js'));
export { api, login, ADMIN_PASSWORD };

/**
 * A port for a server a test binds a moment later (the spawned server, a shop page, a proxy):
 * drawn outside the kernel's ephemeral range, where any process's outgoing connection or
 * listen(0) could take it in between, and claimed against every test process on the machine.
 */
export const { freePort } = (await import(path.join(REPO, 'sip/dist/test/support/services.js'))) as { freePort(): Promise<number> };

export interface E2eServer {
  url: string;
  configDir: string;
  /** Stops the process (SIGTERM, as an operator would); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  /** Kills the process with -9, as a crash would. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

/** Starts a server; `set` changes config keys (file:dotted.path → value), as the server tests do. */
export async function startServer(set: Record<string, unknown> = {}): Promise<E2eServer> {
  await createDatabase(testConfig().main.database, TEST_DB, true);
  const port = await freePort();
  // Each server gets its own Redis prefix: routing state must not leak from one test file to the next.
  const redisPrefix = `sbtest:${process.pid}:e2e${randomBytes(4).toString('hex')}:`;
  const configDir: string = makeConfigDir({ redisPrefix, set: { 'switchboard.yaml:server.port': port, ...set } });
  let proc: { stop(): Promise<void>; proc: import('node:child_process').ChildProcess } | undefined;
  const server: E2eServer = {
    url: `http://127.0.0.1:${port}`,
    configDir,
    start: async () => {
      proc = await spawnServer(configDir);
    },
    stop: async () => {
      await proc?.stop();
      proc = undefined;
    },
    kill: async () => {
      const p = proc?.proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGKILL');
      await exited;
    },
  };
  await server.start();
  return server;
}

export async function dropTestDatabase(): Promise<void> {
  if (!process.env.SWITCHBOARD_KEEP_TEST_DB) await dropDatabase(testConfig().main.database, TEST_DB);
}

/** Debian's Chromium, with the flags this machine needs (docs: /work/shared/machine-notes.md). */
export function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROME_BIN || execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Every queue open round the clock (the example config follows office hours). */
export function alwaysOpen(queues = 5): Record<string, unknown> {
  const set: Record<string, unknown> = { 'websites/example.yaml:hours': undefined };
  for (let n = 0; n < queues; n++) set[`queues.yaml:queues.${n}.hours`] = undefined;
  return set;
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `agent-desktop-${name}.png`);
}

/** Logs an agent in through the login screen and waits for the desktop's live connection. */
export async function logInOnScreen(page: Page, url: string, agent: { username: string; password: string }): Promise<void> {
  await page.goto(url + '/login');
  await page.getByLabel('Username').fill(agent.username);
  await page.getByLabel('Password').fill(agent.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('[data-test=connection][data-state=online]').waitFor();
}

/** A company's website with the widget's snippet, on its own origin (127.0.0.1:`port`). */
export async function serveShop(port: number, switchboardUrl: string): Promise<{ origin: string; close(): Promise<void> }> {
  const site = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Shop</title><script src="${switchboardUrl}/widget/loader.js" data-switchboard-website="example" async></script></head><body><h1>Shop</h1></body></html>`);
  });
  await new Promise<void>((resolve) => site.listen(port, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => site.close(() => resolve())) };
}
