import { expect } from 'chai';
import http from 'node:http';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { api, startTestServer, type TestServer } from '../../test/server.js';
import { isHashed } from './files.js';

// The server hands out the desktop and the widget. What must stay true: the API is never
// shadowed by a page, nothing outside the built folders can be read, hashed assets are cached
// forever and index.html never, and the page runs under a CSP without 'unsafe-inline'.

const SECRET = 'secret-outside-the-built-folder';
const INDEX = '<!doctype html><html><head><link rel="stylesheet" href="styles-ABCD1234.css"></head><body><sb-root></sb-root><script src="main-HBYDFAXY.js" type="module"></script></body></html>';

/** Raw request: fetch() would normalise the `..` segments away before they reach the server. */
function raw(url: string, rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static front-ends (desktop at /, widget at /widget/)', () => {
  let t: TestServer;
  const base = mkdtempSync(path.join(os.tmpdir(), 'sb-static-'));
  const desktop = path.join(base, 'desktop');
  const widget = path.join(base, 'widget');

  before(async () => {
    mkdirSync(path.join(desktop, 'media'), { recursive: true });
    mkdirSync(widget);
    writeFileSync(path.join(base, 'secret.txt'), SECRET);
    writeFileSync(path.join(desktop, '.env'), SECRET);
    writeFileSync(path.join(desktop, 'index.html'), INDEX);
    writeFileSync(path.join(desktop, 'main-HBYDFAXY.js'), `console.log(${JSON.stringify('x'.repeat(4000))});`);
    writeFileSync(path.join(desktop, 'styles-ABCD1234.css'), 'body{margin:0}');
    writeFileSync(path.join(desktop, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    symlinkSync(path.join(base, 'secret.txt'), path.join(desktop, 'link.txt'));
    writeFileSync(path.join(widget, 'loader.js'), 'window.x=1;');
    writeFileSync(path.join(widget, 'frame-Q1W2E3R4.js'), 'window.y=1;');
    process.env.SWITCHBOARD_AGENT_UI_DIR = desktop;
    process.env.SWITCHBOARD_WIDGET_DIR = widget;
    t = await startTestServer();
  });
  after(async () => {
    delete process.env.SWITCHBOARD_AGENT_UI_DIR;
    delete process.env.SWITCHBOARD_WIDGET_DIR;
    await t.stop();
  });

  it('serves index.html at / with no-cache, nosniff and a nonce CSP that Angular picks up', async () => {
    const r = await raw(t.url, '/');
    expect(r.status).to.equal(200);
    expect(r.headers['content-type']).to.equal('text/html; charset=utf-8');
    expect(r.headers['cache-control']).to.equal('no-cache');
    expect(r.headers['x-content-type-options']).to.equal('nosniff');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).to.include("script-src 'self'");
    expect(csp).to.include("frame-ancestors 'none'");
    expect(csp).not.to.include('unsafe-inline');
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).to.be.a('string');
    expect(r.body.toString()).to.include(`<sb-root ngCspNonce="${nonce}">`);
    const again = await raw(t.url, '/');
    expect(String(again.headers['content-security-policy'])).not.to.include(nonce!);
  });

  it("lets the desktop reach the SIP engine's WebSocket only when SIP runs", async () => {
    expect(String((await raw(t.url, '/')).headers['content-security-policy'])).to.include("connect-src 'self';");
    const withSip = await startTestServer({ set: { 'switchboard.yaml:sip.enabled': true } });
    try {
      const csp = String((await raw(withSip.url, '/')).headers['content-security-policy']);
      expect(csp).to.include("connect-src 'self' ws://127.0.0.1:* wss://127.0.0.1:*;");
    } finally {
      await withSip.stop();
    }
  });

  it('falls back to index.html for client routes, never for the API, sockets or probes', async () => {
    for (const p of ['/login', '/interactions/42', '/settings/']) {
      const r = await raw(t.url, p);
      expect(r.status, p).to.equal(200);
      expect(r.body.toString(), p).to.include('<sb-root');
    }
    for (const p of ['/api/nope', '/api', '/ws/nope', '/health/x']) {
      const r = await api(t.url, 'GET', p);
      expect(r.status, p).to.equal(404);
      expect(r.body.error.code, p).to.equal('not_found');
    }
    expect((await api(t.url, 'GET', '/health')).status).to.equal(200);
    expect((await api(t.url, 'GET', '/api/auth/me')).status).to.equal(401);
    // A missing asset is a 404, not a page that the browser would try to run as script.
    expect((await raw(t.url, '/chunk-MISSING1.js')).status).to.equal(404);
  });

  it('caches hashed assets for a year and revalidates the rest', async () => {
    const js = await raw(t.url, '/main-HBYDFAXY.js');
    expect(js.status).to.equal(200);
    expect(js.headers['content-type']).to.equal('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    const css = await raw(t.url, '/styles-ABCD1234.css');
    expect(css.headers['content-type']).to.equal('text/css; charset=utf-8');
    const svg = await raw(t.url, '/favicon.svg');
    expect(svg.headers['content-type']).to.equal('image/svg+xml');
    expect(svg.headers['cache-control']).to.equal('no-cache');
    const again = await raw(t.url, '/favicon.svg', { 'if-none-match': String(svg.headers.etag) });
    expect(again.status).to.equal(304);
  });

  it('gzips text assets for browsers that accept it', async () => {
    const r = await raw(t.url, '/main-HBYDFAXY.js', { 'accept-encoding': 'gzip, br' });
    expect(r.headers['content-encoding']).to.equal('gzip');
    expect(r.headers.vary).to.match(/accept-encoding/i);
    expect(gunzipSync(r.body).toString()).to.match(/^console\.log\("x{4000}"\);$/);
    expect(r.body.length).to.be.lessThan(500);
  });

  it('refuses every way out of the built folder', async () => {
    const attempts = [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/..%2fsecret.txt',
      '/media/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/.env',
      '/%2eenv',
      '/link.txt',
      '/index.html%00.js',
      '/%E0%A4%A',
      '/widget/..%2f..%2fsecret.txt',
    ];
    for (const p of attempts) {
      const r = await raw(t.url, p);
      expect(r.status, p).to.be.oneOf([400, 404]);
      expect(r.body.toString(), p).not.to.include(SECRET);
    }
  });

  it('serves the widget cross-origin under /widget/ without the SPA fallback', async () => {
    const loader = await raw(t.url, '/widget/loader.js');
    expect(loader.status).to.equal(200);
    expect(loader.headers['access-control-allow-origin']).to.equal('*');
    expect(loader.headers['cross-origin-resource-policy']).to.equal('cross-origin');
    expect(loader.headers['cache-control']).to.equal('public, max-age=300');
    const frame = await raw(t.url, '/widget/frame-Q1W2E3R4.js');
    expect(frame.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    expect((await raw(t.url, '/widget/nope')).status).to.equal(404);
    expect((await raw(t.url, '/widget/main-HBYDFAXY.js')).status).to.equal(404);
  });

  it('tells hashed build names from plain ones', () => {
    for (const n of ['main-HBYDFAXY.js', 'chunk-C_-xTDFa.js', 'styles-WKTSR3ID.css', 'index-Bq3xY_9a.js']) expect(isHashed(n), n).to.equal(true);
    for (const n of ['loader.js', 'index.html', 'favicon.svg', 'widget-loader.js']) expect(isHashed(n), n).to.equal(false);
  });
});
