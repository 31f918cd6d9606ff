// The widget as a visitor meets it: a host page on http://127.0.0.1:<free port> (made the example
// website's origin) embeds the snippet of a real Switchboard started in this process on another
// port, against the machine's MariaDB, Redis and Prosody; Debian's Chromium with fake devices.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Frame, type FrameLocator, type Page } from 'playwright-core';

export const WIDGET = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(WIDGET, '..');
const serverDist = (p: string) => path.join(REPO, 'server/dist', p);

const routing = await import(serverDist('test/routing.js'));
const server = await import(serverDist('test/server.js'));
const chat = await import(serverDist('test/chat.js'));
export const { eventually } = await import(serverDist('test/redis.js'));
export const { smtpSink } = (await import(serverDist('test/smtp.js'))) as { smtpSink(): Promise<{ port: number; mails: string[]; close(): Promise<void> }> };
export const { command, cid } = chat;
export const { api, login } = server;
export const { makeAgent, accept, setState } = routing;
/**
 * The agent's next offer. It comes from a click in Chromium through the server, Redis and the
 * routing sweep to the agent's socket: as long as Playwright's own waits (30 s) on a loaded machine.
 */
export const nextOffer = (agent: unknown, timeoutMs = 30_000): Promise<{ offerId: string; interactionId: string } & Record<string, any>> => routing.nextOffer(agent, timeoutMs);

export interface Switchboard {
  url: string;
  sb: {
    kernel: { db: { getRepository(e: unknown): any }; redis: { client: any; key(...parts: string[]): string } };
    contexts: { xmpp: { status(): { ok: boolean } } };
  };
  stop(): Promise<void>;
}

/**
 * A port for a server a test binds a moment later, or unbinds and binds again: drawn outside the
 * kernel's ephemeral range, where any process's outgoing connection or listen(0) could take it
 * in between, and never twice in this process.
 */
export const { freePort } = (await import(path.join(REPO, 'sip/dist/test/support/services.js'))) as { freePort(): Promise<number> };

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
/** The page hostSite() serves on HOST_PORT now (none between tests). */
let hostHandler: Handler | undefined;
/**
 * The host page's server, on a port the kernel picks (no fixed port for two runs to fight over),
 * made the example website's origin. It stays bound for the whole run: every test's site is
 * served from it, so no other process can take the port between two tests.
 */
const hostServer = http.createServer((req, res) => {
  if (hostHandler) return hostHandler(req, res);
  res.writeHead(503);
  res.end();
});
export const HOST_PORT = await new Promise<number>((resolve, reject) => {
  hostServer.once('error', reject).listen(0, '127.0.0.1', () => resolve((hostServer.address() as { port: number }).port));
});
hostServer.unref();
const hostOrigins = { 'websites/example.yaml:origins': [`http://127.0.0.1:${HOST_PORT}`] };

/** Queues open round the clock and a fresh Redis prefix; `set` overrides config keys. */
export function startSwitchboard(set: Record<string, unknown> = {}): Promise<Switchboard> {
  return routing.startRoutingServer({ ...hostOrigins, ...set });
}

/** As shipped: the example website follows the office calendar (for the out-of-hours tests). */
export function startPlainSwitchboard(set: Record<string, unknown> = {}): Promise<Switchboard> {
  return server.startTestServer({ set: { ...hostOrigins, ...set } });
}

export async function entity(name: string, file: string): Promise<unknown> {
  return (await import(serverDist(file)))[name];
}

export interface HostSite {
  origin: string;
  close(): Promise<void>;
}

/**
 * A website on its own origin: `/` is a shop page with the snippet, `/demo/` the bot demo;
 * `/replaced-fetch` a page whose own script replaced window.fetch before the snippet, `/twice` one
 * with the snippet pasted twice, `/frame?src=` a page that frames another.
 */
export async function hostSite(switchboardUrl: string, port = HOST_PORT): Promise<HostSite> {
  const snippet = `<script src="${switchboardUrl}/widget/loader.js" data-switchboard-website="example" async></script>`;
  const handler: Handler = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><title>Shop</title>${snippet}</head><body><h1>Example shop</h1><p id="content">Products</p></body></html>`);
      return;
    }
    const html = (head: string, body = '<h1>Example shop</h1>') => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><title>Shop</title>${head}</head><body>${body}</body></html>`);
    };
    // Some sites' analytics or old polyfills do this; the widget must not depend on the page's fetch.
    if (url.pathname === '/replaced-fetch') return html(`<script>window.pageFetches = 0; window.fetch = function () { window.pageFetches++; return Promise.reject(new TypeError('this site sends requests its own way')); };</script>${snippet}`);
    if (url.pathname === '/twice') return html(snippet + snippet);
    if (url.pathname === '/frame') return html('', `<iframe id="inner" title="Shop" width="900" height="700" src="${(url.searchParams.get('src') ?? '').replace(/[^\w:/.?=&%-]/g, '')}"></iframe>`);
    if (url.pathname === '/embed') {
      // A page that frames the widget directly, without the loader.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><body><iframe id="direct" src="${switchboardUrl}/widget/frame/example#origin=${encodeURIComponent(`http://127.0.0.1:${port}`)}"></iframe></body></html>`);
      return;
    }
    if (url.pathname.startsWith('/demo/')) {
      const file = path.join(WIDGET, 'demo', path.basename(url.pathname) || 'index.html');
      readFile(file, 'utf8').then(
        (body) => {
          res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8' });
          res.end(file.endsWith('.html') ? body.replace(/http:\/\/127\.0\.0\.1:8080/g, switchboardUrl) : body);
        },
        () => {
          res.writeHead(404);
          res.end();
        },
      );
      return;
    }
    res.writeHead(404);
    res.end();
  };
  const origin = `http://127.0.0.1:${port}`;
  if (port === HOST_PORT) {
    if (hostHandler) throw new Error(`a host site is already open on ${origin}: close it first`);
    hostHandler = handler;
    return {
      origin,
      close: async () => {
        if (hostHandler === handler) hostHandler = undefined;
        hostServer.closeIdleConnections();
      },
    };
  }
  const srv = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve());
  });
  return { origin, close: () => new Promise((r) => srv.close(() => r())) };
}

/** Debian's Chromium with the flags this machine needs (/work/shared/machine-notes.md). */
export function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROME_BIN || execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Opens the shop page and the widget by clicking its bubble; returns the frame. */
export async function openWidget(page: Page, site: HostSite, pathName = '/'): Promise<FrameLocator> {
  await page.goto(site.origin + pathName);
  const bubble = page.locator('[data-switchboard-widget] button');
  await bubble.click();
  const frame = page.frameLocator('[data-switchboard-widget] iframe');
  await frame.locator('.sb-title').waitFor();
  return frame;
}

/** Fills the example website's chat form as Ada (name, email, privacy, the orders option). */
export async function fillChatForm(frame: FrameLocator): Promise<void> {
  await frame.getByLabel('Name').fill('Ada Visitor');
  await frame.getByLabel('Email').fill('ada@example.com');
  await frame.getByLabel('I accept the privacy policy').check();
  await frame.getByLabel('Where is my order?').check();
}

/** From the widget's home to a chat the agent has taken: the widget shows "… joined the chat." */
export async function chatWithAgent(frame: FrameLocator, switchboardUrl: string, agent: Awaited<ReturnType<typeof makeAgent>>): Promise<string> {
  await frame.getByRole('button', { name: 'Chat' }).click();
  await fillChatForm(frame);
  await frame.getByRole('button', { name: 'Start chat' }).click();
  const offer = await nextOffer(agent);
  const accepted = await accept(switchboardUrl, agent, offer.offerId);
  if (accepted.status !== 200) throw new Error(`the agent could not accept the chat: ${accepted.status}`);
  await frame.locator('.sb-line.sb-system', { hasText: 'joined the chat.' }).waitFor();
  return offer.interactionId;
}

export { remoteAudioPeak } from './media.ts';

/** The widget's frame in a page that opened it, for what runs inside it. */
export function widgetFrame(page: Page): Frame {
  return page.frames().find((f) => f.url().includes('/widget/frame/'))!;
}

/**
 * Config keys that turn the in-process SIP engine off, where this checkout has one: the call
 * endpoint must then answer "not available", which the widget shows as a clear reason.
 */
export function withoutSip(): Record<string, unknown> {
  const yaml = readFileSync(path.join(REPO, 'config/switchboard.yaml'), 'utf8');
  return /^sip:\n(?:[ #].*\n)*?\s+enabled:/m.test(yaml) ? { 'switchboard.yaml:sip.enabled': false } : {};
}

/** Every string of wfuzz's XSS list (Debian package wfuzz) plus payloads that fire without a click. */
export async function xssPayloads(): Promise<string[]> {
  const own = ['<img src=x onerror=alert(1)>', '<svg onload=alert(1)>', '"><iframe srcdoc="<script>alert(1)</script>">', 'javascript:alert(1)', '<a href="javascript:alert(1)">x</a>', '{{constructor.constructor("alert(1)")()}}'];
  const list = await readFile('/usr/share/wfuzz/wordlist/Injections/XSS.txt', 'utf8').catch(() => '');
  return [...own, ...list.split(/\r?\n/).filter((l) => l.trim())];
}
