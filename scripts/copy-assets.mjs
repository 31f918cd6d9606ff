// After tsc: copies what tsc does not emit but the server reads at run time (the routing Lua
// scripts) from server/src into server/dist, and removes outputs whose source is gone (a moved
// file would otherwise leave its old build, and an old test, behind). Part of `npm run build`.
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const server = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../server');
const src = path.join(server, 'src');
const dist = path.join(server, 'dist');
const files = (dir) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));

for (const rel of files(src)) if (rel.endsWith('.lua')) cpSync(path.join(src, rel), path.join(dist, rel));
for (const rel of files(dist)) {
  const source = rel.endsWith('.lua') ? rel : rel.replace(/(\.d)?\.js(\.map)?$|\.d\.ts(\.map)?$/, '.ts');
  if (source !== rel || rel.endsWith('.lua')) {
    if (!existsSync(path.join(src, source))) rmSync(path.join(dist, rel));
  }
}
