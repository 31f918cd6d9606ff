// Minified + gzip sizes of what a visitor downloads, by part: the loader (every page view), the
// frame app (when opened: HTML, JS, CSS), the call chunk and sip.js (when a call starts).
import process from 'node:process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const raw = (file) => readFileSync(file).length;

/** A JS file and the chunks it imports statically, transitively. */
function closure(dir, file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(path.join(dir, file), 'utf8').matchAll(/(?:from|import)\s*"\.\/([\w-]+\.js)"/g)) closure(dir, m[1], seen);
  return seen;
}

export function sizes(dist) {
  const dir = path.join(dist, 'assets');
  const assets = readdirSync(dir).filter((f) => !f.endsWith('.map'));
  const one = (re) => assets.find((f) => re.test(f));
  const sum = (files, fn) => files.reduce((n, f) => n + fn(path.join(dist, f)), 0);
  const part = (files) => ({ files, minBytes: sum(files, raw), gzipBytes: sum(files, gz) });
  const frameJs = closure(dir, one(/^frame-[A-Z0-9]+\.js$/));
  const callJs = [...closure(dir, one(/^call-/))].filter((f) => !frameJs.has(f));
  const sipJs = [...closure(dir, one(/^sip-call-/))].filter((f) => !frameJs.has(f) && !callJs.includes(f));
  return {
    loader: part(['loader.js']),
    frame: part(['frame.html', ...[...frameJs].map((f) => `assets/${f}`), `assets/${one(/^frame-style-.*\.css$/)}`]),
    call: part(callJs.map((f) => `assets/${f}`)),
    sip: part(sipJs.map((f) => `assets/${f}`)),
    reference: { crispGzipKB: 130, intercomGzipKB: '300-500' },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(sizes(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist')), null, 2) + '\n');
}
