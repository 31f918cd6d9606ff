// The benchmarks measure the product as it runs: on the Node.js the project installs
// (node_modules/node, the version package.json's engines and the Docker image name), not on
// whatever `node` the shell finds first. Imported first by each benchmark: started on another
// Node, it runs itself again on the project's and exits with that run's status. The servers a
// benchmark spawns use process.execPath, so they run on it too.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const project = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../node_modules/node/bin/node');
if (existsSync(project) && realpathSync(process.execPath) !== realpathSync(project) && !process.env.SWITCHBOARD_BENCH_ANY_NODE) {
  const r = spawnSync(project, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
