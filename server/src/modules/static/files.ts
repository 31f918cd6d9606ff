import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.webm': 'video/webm',
  '.wasm': 'application/wasm',
};

export function contentType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Worth gzipping: text formats; images and fonts are compressed already. */
export function compressible(file: string): boolean {
  return /^(text\/|application\/json|image\/svg)/.test(contentType(file));
}

/**
 * Names the build tools give content-hashed files: Angular's `main-HBYDFAXY.js`,
 * `chunk-C_-xTDFa.js`, Vite's `index-Bq3xY_9a.js`. Only these may be cached forever.
 */
export function isHashed(file: string): boolean {
  return /^[\w.]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(path.basename(file)) && /[A-Z0-9]/.test(path.basename(file).split('-').pop()!);
}

/**
 * Maps a URL path to a file inside `root`, or null when it would leave it. Refuses what a
 * browser never asks for: `..` or dot segments (also percent-encoded), backslashes, NUL bytes.
 * The real path is checked as well, so a symlink cannot lead out either.
 */
export async function resolveInside(root: string, urlPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((s) => s.startsWith('.'))) return null;
  const full = path.join(root, ...segments);
  if (full !== root && !full.startsWith(root + path.sep)) return null;
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(full)]);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return null;
    return full;
  } catch {
    // Missing: still a path inside root; the caller decides between 404 and the SPA fallback.
    return full;
  }
}

export async function fileStat(file: string): Promise<{ size: number; mtime: Date; isFile: boolean; isDirectory: boolean } | null> {
  try {
    const s = await stat(file);
    return { size: s.size, mtime: s.mtime, isFile: s.isFile(), isDirectory: s.isDirectory() };
  } catch {
    return null;
  }
}
