// SIP benchmark: sipp UAC → system under test → sipp UAS on 127.0.0.1, stepping the call rate.
// Systems: sipp → sipp direct (baseline), Switchboard B2BUA with SDP passed through, Switchboard
// with rtpengine offer/answer on every call, Kamailio as a stateful `tm` proxy, and the same
// B2BUA on drachtio-server (`drachtio`, SDP passed through) when SWITCHBOARD_BENCH_DRACHTIO names
// one (host:port:secret of its admin port; it must listen for SIP on UDP, with its default
// timers and NAT detection off). Its CPU per call is drachtio-server's and Node's together.
// Build first: `npx tsc -b sip`. Needs sipp, rtpengine, kamailio. The rtpengine run uses an
// rtpengine of its own (10,000 media ports, warnings-only log), or the one at RTPENGINE_NG when
// set: the shared development one has 1,000 ports, which ran out at 1,500 CPS ("Ran out of
// ports" → media-failed calls), and logs some 15 lines per call.
//
//   node bench/sip/run.mjs [--seconds 5] [--rates 100,250,500,...] [--only direct,passthrough,rtpengine,kamailio,drachtio] [--out results.json]
//
// Prints one JSON document (also written to bench/sip/<out>, results.json by default). Per system and rate:
// calls attempted/succeeded/failed, achieved CPS, p50/p99 INVITE→200 as sipp measured it, and
// CPU ms per call of the system under test (Switchboard: its Node process; Kamailio: all its
// processes). The highest sustained rate is the highest with < 0.1 % failed calls and an achieved
// rate within 5 % of the target.
import '../runtime.mjs';
import { spawn, fork, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { setTimeout } from 'node:timers';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rates: { type: 'string', default: '100,250,500,750,1000,1500,2000,3000' },
    only: { type: 'string', default: `direct,passthrough,rtpengine,kamailio${process.env.SWITCHBOARD_BENCH_DRACHTIO ? ',drachtio' : ''}` },
    out: { type: 'string', default: 'results.json' },
  },
});
const SECONDS = Number(opt.seconds);
const RATES = opt.rates.split(',').map(Number);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const work = mkdtempSync(path.join(tmpdir(), 'sb-bench-sip-'));

async function freePort() {
  const s = dgram.createSocket('udp4');
  const p = await new Promise((r) => s.bind(0, '127.0.0.1', () => r(s.address().port)));
  s.close();
  return p;
}

function run(cmd, args, opts = {}) {
  const p = spawn(cmd, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  p.stdout?.on('data', (d) => (out += d));
  p.stderr?.on('data', (d) => (out += d));
  p.done = new Promise((r) => p.on('close', (code) => r({ code, out })));
  return p;
}

function percentile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** One sipp UAC run; returns counts and INVITE→200 times (ms) from sipp's own traces. */
async function sippUac(targetPort, rate) {
  const calls = Math.max(50, Math.round(rate * SECONDS));
  const port = await freePort();
  const dir = mkdtempSync(path.join(work, 'uac-'));
  const started = Date.now();
  const p = run('sipp', ['-sf', path.join(here, 'uac-rr.xml'), `127.0.0.1:${targetPort}`, '-i', '127.0.0.1', '-p', String(port), '-r', String(rate), '-m', String(calls),
    '-l', String(Math.max(200, rate * 2)), '-nostdin', '-trace_stat', '-stf', 'stat.csv', '-trace_rtt', '-rtt_freq', '100',
    '-timeout', `${SECONDS * 4 + 20}s`, '-timeout_error', '-recv_timeout', '10000', '-max_recv_loops', '5000', '-max_sched_loops', '5000'], { cwd: dir });
  const { code } = await p.done;
  const elapsed = (Date.now() - started) / 1000;
  const stat = readFileSync(path.join(dir, 'stat.csv'), 'utf8').trim().split('\n');
  const head = stat[0].split(';');
  const last = stat[stat.length - 1].split(';');
  const col = (name) => Number(last[head.indexOf(name)]);
  const rttFile = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
  const rtts = rttFile
    ? readFileSync(path.join(dir, rttFile), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(';')[1])).filter((n) => Number.isFinite(n)).sort((a, b) => a - b)
    : [];
  const ok = col('SuccessfulCall(C)');
  const failed = col('FailedCall(C)');
  return { rate, calls, succeeded: ok, failed, sippExit: code, elapsedS: +elapsed.toFixed(2), achievedCps: +(ok / elapsed).toFixed(0),
    p50ms: percentile(rtts, 0.5), p99ms: percentile(rtts, 0.99) };
}

function procCpuMs(pids) {
  const tck = 100; // USER_HZ
  let t = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      t += (Number(f[11]) + Number(f[12])) * (1000 / tck);
    } catch { /* gone */ }
  }
  return t;
}

async function startUas() {
  const port = await freePort();
  const p = run('sipp', ['-sf', path.join(here, 'uas-rr.xml'), '-i', '127.0.0.1', '-p', String(port), '-nostdin', '-max_recv_loops', '5000']);
  await sleep(500);
  return { port, stop: () => p.kill('SIGKILL') };
}

/** An rtpengine for the bench alone; resolves with its ng address and a stop function. */
async function startRtpengine() {
  if (process.env.RTPENGINE_NG) return { ng: process.env.RTPENGINE_NG, stop: () => {} };
  const ngPort = await freePort();
  const p = run('rtpengine', ['--config-file=none', '--foreground', '--log-stderr', '--log-level=4', '--table=-1', '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${ngPort}`, '--port-min=20000', '--port-max=29999', `--pidfile=${path.join(work, 'rtpengine.pid')}`]);
  // Ready when it answers an ng ping (bencoded, after a cookie).
  const sock = dgram.createSocket('udp4');
  const pong = new Promise((r) => sock.on('message', (m) => String(m).includes('pong') && r(true)));
  for (let i = 0; i < 50 && !(await Promise.race([pong, sleep(100).then(() => false)])); i++) {
    sock.send('bench d7:command4:pinge', ngPort, '127.0.0.1');
  }
  sock.close();
  return { ng: `127.0.0.1:${ngPort}`, stop: async () => { p.kill('SIGTERM'); await p.done; } };
}

/** The pid of the process listening on a TCP port of 127.0.0.1 (drachtio-server's admin port). */
function listenerPid(port) {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`]).toString();
  const pid = /pid=(\d+)/.exec(out)?.[1];
  if (!pid) throw new Error(`nothing listens on 127.0.0.1:${port}`);
  return Number(pid);
}

async function startSwitchboard(media, uasPort, drachtio) {
  const rtp = media === 'rtpengine' ? await startRtpengine() : undefined;
  const args = ['--port', String(await freePort()), '--uas', String(uasPort), '--media', media, '--ng', rtp?.ng ?? '', ...(drachtio ? ['--drachtio', drachtio] : [])];
  const child = fork(path.join(here, 'b2bua.mjs'), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((r) => child.once('message', r));
  const report = () => new Promise((r) => { child.once('message', r); child.send('report'); });
  // On drachtio-server a call costs its process and ours.
  const serverPid = drachtio ? listenerPid(Number(drachtio.split(':')[1])) : undefined;
  return {
    port,
    cpuMs: async () => { const m = await report(); return (m.cpu.user + m.cpu.system) / 1000 + (serverPid ? procCpuMs([serverPid]) : 0); },
    ...(serverPid ? { serverCpuMs: async () => procCpuMs([serverPid]) } : {}),
    report,
    resetLoop: () => child.send('reset-loop'),
    stop: async () => { child.send('stop'); await new Promise((r) => child.once('exit', r)); await rtp?.stop(); },
  };
}

async function startKamailio(uasPort) {
  const port = await freePort();
  const cfg = path.join(work, 'kamailio.cfg');
  writeFileSync(cfg, `#!KAMAILIO
debug=0
log_stderror=yes
children=2
listen=udp:127.0.0.1:${port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "siputils.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "pv.so"
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404", "Not here"); exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  record_route();
  $du = "sip:127.0.0.1:${uasPort}";
  t_relay();
}
`);
  // -x fm: Debian's kamailio defaults to q_malloc, its debugging allocator (built with
  // DBG_SR_MEMORY, it books every allocation), which tripled Kamailio's CPU per call here;
  // production set-ups select f_malloc. -m 1024: shared memory for tm at thousands of CPS.
  const p = run('kamailio', ['-f', cfg, '-DD', '-E', '-x', 'fm', '-m', '1024', '-M', '64', '-w', work, '-P', path.join(work, 'kamailio.pid')]);
  await sleep(1500);
  const pids = () => execFileSync('sh', ['-c', `pgrep -P ${p.pid}; echo ${p.pid}`]).toString().trim().split('\n').map(Number);
  return { port, cpuMs: async () => procCpuMs(pids()), stop: async () => { p.kill('SIGTERM'); await p.done; } };
}

async function measure(name, start) {
  const uas = await startUas();
  const sut = await start(uas.port);
  const steps = [];
  let best = null;
  for (const rate of RATES) {
    const cpu0 = sut.cpuMs ? await sut.cpuMs() : null;
    const server0 = sut.serverCpuMs ? await sut.serverCpuMs() : null;
    sut.resetLoop?.();
    const r = await sippUac(sut.port, rate);
    const cpu1 = sut.cpuMs ? await sut.cpuMs() : null;
    // drachtio-server's share of the CPU per call (the rest is Node: drachtio-srf and call control).
    if (server0 !== null && r.succeeded) r.serverCpuMsPerCall = +(((await sut.serverCpuMs()) - server0) / r.succeeded).toFixed(3);
    if (sut.report) r.eventLoopDelayMs = (await sut.report()).loopDelayMs;
    if (cpu0 !== null && r.succeeded) r.cpuMsPerCall = +((cpu1 - cpu0) / r.succeeded).toFixed(3);
    r.sustained = r.failed / r.calls < 0.001 && r.achievedCps >= rate * 0.95 && r.sippExit === 0;
    steps.push(r);
    process.stderr.write(`${name} ${JSON.stringify(r)}\n`);
    if (r.sustained) best = rate;
    else break;
    await sleep(1500);
  }
  const extra = sut.report ? await sut.report() : undefined;
  await sut.stop();
  uas.stop();
  return { system: name, highestSustainedCps: best, steps, ...(extra ? { leftover: { dialogs: extra.dialogs, causes: extra.causes, rssMB: Math.round(extra.rss / 1e6) } } : {}) };
}

const systems = {
  direct: (uas) => ({ port: uas, stop: async () => {} }),
  passthrough: (uas) => startSwitchboard('passthrough', uas),
  rtpengine: (uas) => startSwitchboard('rtpengine', uas),
  kamailio: (uas) => startKamailio(uas),
  drachtio: (uas) => startSwitchboard('passthrough', uas, process.env.SWITCHBOARD_BENCH_DRACHTIO),
};
const results = [];
for (const name of opt.only.split(',')) results.push(await measure(name, systems[name]));

const at100 = Object.fromEntries(results.map((r) => [r.system, r.steps.find((s) => s.rate === 100)]));
const added = (name) => at100[name] && at100.direct
  ? { p50ms: +(at100[name].p50ms - at100.direct.p50ms).toFixed(3), p99ms: +(at100[name].p99ms - at100.direct.p99ms).toFixed(3) } : null;
const doc = {
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  secondsPerStep: SECONDS,
  addedSetupLatencyAt100Cps: { passthrough: added('passthrough'), rtpengine: added('rtpengine'), kamailio: added('kamailio'), drachtio: added('drachtio') },
  results,
};
writeFileSync(path.join(here, path.basename(opt.out)), JSON.stringify(doc, null, 2) + '\n');
process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
