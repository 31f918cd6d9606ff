// The widget as a visitor meets it: a host page on http://127.0.0.1:<free port> (made the example
// website's origin) embeds the snippet of a real Switchboard started in this process on another
// port, against the machine's MariaDB, Redis and Prosody; Debian's Chromium with fake devices.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';

export const WIDGET = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(WIDGET, '..');
const serverDist = (p: string) => path.join(REPO, 'server/dist', p);

const routing = await import(serverDist('modules/routing/testing.js'));
const server = await import(serverDist('test/server.js'));
const chat = await import(serverDist('modules/chat/testing.js'));
export const { eventually } = await import(serverDist('test/redis.js'));
export const { smtpSink } = (await import(serverDist('test/smtp.js'))) as { smtpSink(): Promise<{ port: number; mails: string[]; close(): Promise<void> }> };
export const { command, cid } = chat;
export const { api, login } = server;
export const { makeAgent, nextOffer, accept, setState } = routing;

export interface Switchboard {
  url: string;
  sb: { services: { db: { getRepository(e: unknown): any } } };
  stop(): Promise<void>;
}

/**
 * The host page's port: a free one, made the example website's origin, so two test runs on one
 * machine never fight over a fixed port.
 */
export const HOST_PORT = await new Promise<number>((resolve) => {
  const probe = http.createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number };
    probe.close(() => resolve(port));
  });
});
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

/** A website on its own origin: `/` is a shop page with the snippet, `/demo/` the bot demo. */
export async function hostSite(switchboardUrl: string, port = HOST_PORT): Promise<HostSite> {
  const snippet = `<script src="${switchboardUrl}/widget/loader.js" data-switchboard-website="example" async></script>`;
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><title>Shop</title>${snippet}</head><body><h1>Example shop</h1><p id="content">Products</p></body></html>`);
      return;
    }
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
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve());
  });
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(() => r())) };
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
