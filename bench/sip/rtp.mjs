// RTP through rtpengine under load: N concurrent calls (default 200), each caller playing sipp's
// g711a.pcap (236 packets, 7.05 s) → Switchboard (rtpengine offer/answer) → a PBX whose media
// goes to one counting socket here. Packet loss = 1 − received / (completed calls × 236).
// Build first: `npx tsc -b sip`. Needs sipp with pcap play, rtpengine (ng on RTPENGINE_NG).
//
//   node bench/sip/rtp.mjs [--calls 200] [--rate 30]
//
// Prints one JSON document (also written to bench/sip/rtp-results.json).
import '../runtime.mjs';
import { spawn, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { setTimeout, setInterval, clearInterval } from 'node:timers';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({ options: { calls: { type: 'string', default: '200' }, rate: { type: 'string', default: '30' } } });
const CALLS = Number(opt.calls);
const PACKETS_PER_CALL = 236;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const work = mkdtempSync(path.join(tmpdir(), 'sb-bench-rtp-'));

async function udpPort() {
  const s = dgram.createSocket('udp4');
  const p = await new Promise((r) => s.bind(0, '127.0.0.1', () => r(s.address().port)));
  s.close();
  return p;
}

const sink = dgram.createSocket('udp4');
let received = 0;
const sources = new Set();
sink.on('message', (_m, from) => {
  received++;
  sources.add(`${from.address}:${from.port}`);
});
const sinkPort = await new Promise((r) => sink.bind(0, '127.0.0.1', () => r(sink.address().port)));
sink.setRecvBufferSize(8 * 1024 * 1024);

const uasPort = await udpPort();
const uas = spawn('sipp', ['-sf', path.join(here, 'uas-media-sink.xml'), '-i', '127.0.0.1', '-p', String(uasPort), '-set', 'sink_port', String(sinkPort), '-nostdin'], { cwd: work, stdio: 'ignore' });
const sbPort = await udpPort();
const sb = fork(path.join(here, 'b2bua.mjs'), ['--port', String(sbPort), '--uas', String(uasPort), '--media', 'rtpengine', '--ng', process.env.RTPENGINE_NG ?? '127.0.0.1:22222'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
await new Promise((r) => sb.once('message', r));
await sleep(500);

const statDir = mkdtempSync(path.join(work, 'uac-'));
const started = Date.now();
const uac = spawn('sipp', ['-sf', path.join(here, 'uac-pcap.xml'), `127.0.0.1:${sbPort}`, '-i', '127.0.0.1', '-p', String(await udpPort()), '-mp', String(await udpPort()),
  '-r', opt.rate, '-m', String(CALLS), '-l', String(CALLS), '-nostdin', '-trace_stat', '-stf', 'stat.csv', '-timeout', '120s', '-timeout_error'], { cwd: statDir, stdio: 'ignore' });
let peak = 0;
const poll = setInterval(() => {
  sb.send('report');
}, 250);
sb.on('message', (m) => {
  if (m && typeof m.dialogs === 'number') peak = Math.max(peak, m.dialogs / 2);
});
const code = await new Promise((r) => uac.on('close', r));
clearInterval(poll);
await sleep(1000);
const stat = readFileSync(path.join(statDir, 'stat.csv'), 'utf8').trim().split('\n');
const head = stat[0].split(';');
const last = stat[stat.length - 1].split(';');
const ok = Number(last[head.indexOf('SuccessfulCall(C)')]);
const failed = Number(last[head.indexOf('FailedCall(C)')]);
const expected = ok * PACKETS_PER_CALL;
const report = await new Promise((r) => { sb.once('message', r); sb.send('report'); });
const doc = {
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  calls: CALLS, rate: Number(opt.rate), sippExit: code, succeeded: ok, failed,
  peakConcurrentCalls: peak, seconds: (Date.now() - started) / 1000,
  rtp: { expected, received, lossPercent: expected ? +((100 * (expected - received)) / expected).toFixed(3) : null, distinctSources: sources.size },
  leftover: { dialogs: report.dialogs, causes: report.causes },
};
sb.send('stop');
uas.kill('SIGKILL');
sink.close();
writeFileSync(path.join(here, 'rtp-results.json'), JSON.stringify(doc, null, 2) + '\n');
process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
