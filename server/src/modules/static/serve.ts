import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import path from 'node:path';
import type { Context } from 'koa';
import { HttpError, notFound } from '../../kernel/http/errors.js';
import { compressible, contentType, fileStat, isHashed, resolveInside } from './files.js';

const gzip = promisify(gzipCb);

export interface Site {
  /** Absolute folder of the built front-end. */
  root: string;
  /** URL prefix it is served under, without the trailing slash ('' for the root). */
  prefix: string;
  /** Unknown paths without an extension get index.html (client-side routes). */
  spa: boolean;
  /** Cross-origin pages load these files (the widget on customers' sites). */
  crossOrigin: boolean;
  /** What to say when the folder has not been built. */
  missing: string;
  /** Extra connect-src entries for the page policy (the softphone's SIP WebSocket). */
  connectSources?: () => string;
  /** Compressed files already served (shared by the sites of one static context). */
  gzip: GzipCache;
}

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The page policy: scripts and styles from this origin only. Angular adds component styles as
 * <style> elements; it stamps them with the nonce it reads from `ngCspNonce` on the root
 * element, so no 'unsafe-inline' is needed.
 */
export function appCsp(nonce: string, extraConnect = ''): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "media-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src 'self'${extraConnect}`,
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Small in-memory gzip cache: the built folders are a few hundred KB and change only on deploy. */
export class GzipCache {
  private readonly entries = new Map<string, Promise<Buffer>>();

  get(file: string, mtime: Date, content?: Buffer): Promise<Buffer> {
    const key = `${file}:${mtime.getTime()}`;
    let hit = this.entries.get(key);
    if (!hit) {
      if (this.entries.size > 500) this.entries.clear();
      hit = (content ? Promise.resolve(content) : readFile(file)).then((b) => gzip(b, { level: 9 }));
      this.entries.set(key, hit);
    }
    return hit;
  }
}

function wantsGzip(ctx: Context): boolean {
  return /\bgzip\b/.test(ctx.get('accept-encoding'));
}

/** Serves a request under the site's prefix; 404 (JSON, like every error) when nothing matches. */
export async function serveSite(ctx: Context, site: Site): Promise<void> {
  const rel = ctx.path.slice(site.prefix.length) || '/';
  const index = await fileStat(path.join(site.root, 'index.html'));
  const rootStat = await fileStat(site.root);
  if (!rootStat?.isDirectory) throw new HttpError(503, 'not_built', site.missing);

  const file = await resolveInside(site.root, rel);
  if (!file) throw notFound('File');
  const st = await fileStat(file);
  if (st?.isFile) return sendFile(ctx, site, file, st);
  if (st?.isDirectory && index && rel.endsWith('/')) {
    const dirIndex = path.join(file, 'index.html');
    const ds = await fileStat(dirIndex);
    if (ds?.isFile) return sendFile(ctx, site, dirIndex, ds);
  }
  // Client-side routes (/login, /history/…) have no extension; a missing asset must stay a 404.
  if (site.spa && index?.isFile && !path.extname(rel)) return sendFile(ctx, site, path.join(site.root, 'index.html'), index);
  throw notFound('File');
}

async function sendFile(ctx: Context, site: Site, file: string, st: { size: number; mtime: Date }): Promise<void> {
  const type = contentType(file);
  ctx.type = type;
  if (site.crossOrigin) {
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
  } else {
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
  }
  if (type.startsWith('text/html')) return sendHtml(ctx, site, file, st);

  ctx.set('Cache-Control', isHashed(file) ? IMMUTABLE : site.crossOrigin ? 'public, max-age=300' : 'no-cache');
  ctx.lastModified = st.mtime;
  ctx.etag = `W/"${st.size.toString(16)}-${st.mtime.getTime().toString(16)}"`;
  // Koa judges freshness only on a 2xx response, and nothing has set the status yet.
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  if (compressible(file) && st.size > 1024) {
    ctx.vary('Accept-Encoding');
    if (wantsGzip(ctx)) {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = await site.gzip.get(file, st.mtime);
      return;
    }
  }
  ctx.length = st.size;
  ctx.body = createReadStream(file);
}

/** HTML is never cached (it names the hashed assets of the current build) and gets the page CSP. */
async function sendHtml(ctx: Context, site: Site, file: string, st: { size: number; mtime: Date }): Promise<void> {
  ctx.set('Cache-Control', 'no-cache');
  let html = await readFile(file, 'utf8');
  if (!site.crossOrigin) {
    const nonce = randomBytes(16).toString('base64');
    html = html.replace(/<sb-root\b/, `<sb-root ngCspNonce="${nonce}"`);
    ctx.set('Content-Security-Policy', appCsp(nonce, site.connectSources?.()));
    ctx.set('X-Frame-Options', 'DENY');
  }
  const body = Buffer.from(html);
  if (wantsGzip(ctx) && body.length > 1024) {
    ctx.vary('Accept-Encoding');
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = site.crossOrigin ? await site.gzip.get(file, st.mtime, body) : await gzip(body);
    return;
  }
  ctx.body = body;
}
