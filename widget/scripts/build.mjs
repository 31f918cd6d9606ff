// Builds widget/dist: loader.js at a stable name (the snippet points at it; cached 5 minutes),
// the frame app and its lazy chunks under assets/ with content hashes (cached for a year),
// frame.html naming the current hashed files. Prints the sizes as JSON at the end.
import process from 'node:process';
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sizes } from './sizes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const common = { bundle: true, minify: true, target: ['es2022'], legalComments: 'none', logLevel: 'warning' };

await build({ ...common, entryPoints: [path.join(root, 'src/loader/index.ts')], outfile: path.join(dist, 'loader.js'), format: 'iife' });

const frame = await build({
  ...common,
  entryPoints: { frame: path.join(root, 'src/frame/main.ts'), 'frame-style': path.join(root, 'src/frame/frame.css') },
  outdir: path.join(dist, 'assets'),
  format: 'esm',
  splitting: true,
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  metafile: true,
});

const outputs = Object.entries(frame.metafile.outputs);
const find = (entry) => path.basename(outputs.find(([, o]) => o.entryPoint?.endsWith(entry))[0]);
const html = readFileSync(path.join(root, 'src/frame/frame.html'), 'utf8').replace('__JS__', `assets/${find('src/frame/main.ts')}`).replace('__CSS__', `assets/${find('src/frame/frame.css')}`);
writeFileSync(path.join(dist, 'frame.html'), html);

const report = sizes(dist);
writeFileSync(path.join(dist, 'sizes.json'), JSON.stringify(report, null, 2) + '\n');
process.stdout.write(JSON.stringify(report) + '\n');
// The loader is on every page view of every customer's website: its budget (issue 6) fails the build.
const LOADER_BUDGET_GZIP = 10 * 1024;
if (report.loader.gzipBytes > LOADER_BUDGET_GZIP) {
  process.stderr.write(`loader.js is ${report.loader.gzipBytes} bytes gzip, over its budget of ${LOADER_BUDGET_GZIP}: move code into the frame.\n`);
  process.exit(1);
}
