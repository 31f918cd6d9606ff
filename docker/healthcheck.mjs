// The server container's health check: /health answers 200 on the address and port the mounted
// configuration gives (TLS included), so it follows the configuration instead of repeating it.
import http from 'node:http';
import https from 'node:https';
import process from 'node:process';
import { loadConfig } from '../server/dist/kernel/config/load.js';

const { server } = loadConfig(process.env.SWITCHBOARD_CONFIG_DIR ?? '/etc/switchboard').main;
const host = server.host === '0.0.0.0' || server.host === '::' ? '127.0.0.1' : server.host;
const get = server.tls ? https.get : http.get;
const req = get({ host, port: server.port, path: '/health', timeout: 4000, rejectUnauthorized: false }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (err) => {
  process.stderr.write(`health check: ${err.message}\n`);
  process.exit(1);
});
