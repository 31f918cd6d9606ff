// The page-view path: every page of every customer site asks for the widget configuration (and
// the site's bot for availability). Measured side by side in one run against a Node hello-world,
// so the ratio holds whatever the machine's load: rounds alternate hello-world, config route,
// availability route, each with the same autocannon settings. Build first (`npm run build`);
// MariaDB and Redis as for the tests (scripts/services.sh start).
//
//   node bench/pageview/run.mjs [--seconds 8] [--rounds 3] [--connections 50] [--out file.json]
//
// Prints one JSON document (also written to bench/pageview/results.json, or --out): requests per
// second per target and round, their medians, and the median over rounds of each route's ratio to
// the hello-world of the same round.
import '../runtime.mjs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    out: { type: 'string' },
  },
});

const { makeConfigDir } = await import('../../server/dist/test/config.js');
const { spawnServer } = await import('../../server/dist/test/server.js');
const { createDatabase, dropDatabase } = await import('../../server/dist/kernel/db/admin.js');
const { loadConfig } = await import('../../server/dist/kernel/config/load.js');
const { TEST_DB } = await import('../../server/dist/test/env.js');

const ORIGIN = 'http://localhost:8081';
const configDir = makeConfigDir({
  set: {
    'switchboard.yaml:logging.level': 'warn',
    // The production defaults: the limiter is part of what a page view costs.
    'switchboard.yaml:security.rateLimits.widgetPerMinute': 1_000_000_000,
  },
});
const config = loadConfig(configDir);
await createDatabase(config.main.database, TEST_DB, true);
const server = await spawnServer(configDir);

// The hello-world: the same Node, its own process, as small as an HTTP answer gets.
const hello = spawn(process.execPath, ['-e', `
  const http = require('node:http');
  const s = http.createServer((req, res) => { res.setHeader('content-type', 'text/plain'); res.end('hello world'); });
  s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`], { stdio: ['ignore', 'pipe', 'inherit'] });
const [portLine] = await once(hello.stdout, 'data');
const helloUrl = `http://127.0.0.1:${String(portLine).trim()}/`;

const targets = {
  helloWorld: { url: helloUrl, headers: {} },
  widgetConfig: { url: `${server.url}/api/widget/example/config`, headers: { origin: ORIGIN } },
  availability: { url: `${server.url}/api/widget/example/availability`, headers: { origin: ORIGIN } },
};

async function measure(name) {
  const t = targets[name];
  const r = await autocannon({ url: t.url, headers: t.headers, connections: Number(opt.connections), duration: Number(opt.seconds) });
  const ok = r['2xx'];
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return { requestsPerSecond: Math.round(ok / Number(opt.seconds)), latencyP50Ms: r.latency.p50, latencyP99Ms: r.latency.p99 };
}

const rounds = [];
try {
  // One short warm-up of each (JIT, connection pools) that is not counted.
  for (const name of Object.keys(targets)) await autocannon({ url: targets[name].url, headers: targets[name].headers, connections: 10, duration: 2 });
  for (let i = 0; i < Number(opt.rounds); i++) {
    const round = {};
    for (const name of Object.keys(targets)) round[name] = await measure(name);
    rounds.push(round);
  }
} finally {
  hello.kill('SIGTERM');
  await server.stop();
  await dropDatabase(config.main.database, TEST_DB).catch(() => undefined);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medians = Object.fromEntries(Object.keys(targets).map((n) => [n, median(rounds.map((r) => r[n].requestsPerSecond))]));
// The load of a shared machine moves between rounds: each round's ratio compares neighbours in time.
const ratio = (n) => +median(rounds.map((r) => r[n].requestsPerSecond / r.helloWorld.requestsPerSecond)).toFixed(2);
const result = {
  at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((x) => +x.toFixed(2)), node: process.version },
  settings: { seconds: Number(opt.seconds), rounds: Number(opt.rounds), connections: Number(opt.connections), tool: 'autocannon 9 (in this process)' },
  medianRequestsPerSecond: medians,
  medianRatioToHelloWorld: { widgetConfig: ratio('widgetConfig'), availability: ratio('availability') },
  rounds,
};
const text = JSON.stringify(result, null, 2);
if (opt.out) writeFileSync(path.resolve(opt.out), text + '\n');
else writeFileSync(path.join(here, 'results.json'), text + '\n');
process.stdout.write(text + '\n');
process.exit(0);
