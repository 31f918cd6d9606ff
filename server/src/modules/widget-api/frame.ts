import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'koa';
import type { Website } from '../../kernel/config/schema.js';
import { HttpError } from '../../kernel/http/errors.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export function widgetDir(): string {
  return path.resolve(process.env.SWITCHBOARD_WIDGET_DIR ?? path.join(REPO, 'widget/dist'));
}

/**
 * The frame page may be embedded by the website's origins only; everything it loads or talks to
 * is Switchboard itself (logos may come from the website's own https server).
 */
export function frameCsp(website: Website, sipSources = ''): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob: https:",
    "media-src 'self' blob: mediastream:",
    `connect-src 'self'${sipSources}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${website.origins.join(' ')}`,
  ].join('; ');
}

/** Serves widget/dist/frame.html for one website, never cached (it names the current hashed chunks). */
export async function serveFrame(ctx: Context, website: Website, sipSources = ''): Promise<void> {
  let html: string;
  try {
    html = await readFile(path.join(widgetDir(), 'frame.html'), 'utf8');
  } catch {
    throw new HttpError(503, 'not_built', 'The widget is not built. Run "npm run build" in the Switchboard folder.');
  }
  ctx.set('Content-Security-Policy', frameCsp(website, sipSources));
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = html;
}
