// The system under test for bench/sip/run.mjs: Switchboard's engine and CallSession bridging every
// INVITE to a sipp UAS, media either passed through or offered/answered through rtpengine. The
// engine is the in-process one, or drachtio-server's (`--drachtio host:port:secret`; SIP then
// arrives on drachtio-server's UDP port, which the ready message reports).
// Runs in its own process so its CPU time can be measured alone. Talks to run.mjs over IPC.
import '../runtime.mjs';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';
import { pino } from 'pino';
import { SipEngine, DrachtioEngine, CallSession, CallEvents, PassthroughRelay, RtpEngineRelay } from '../../sip/dist/index.js';

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string' }, uas: { type: 'string' }, media: { type: 'string', default: 'passthrough' }, ng: { type: 'string', default: '127.0.0.1:22222' },
    drachtio: { type: 'string', default: '' },
  },
});
const log = pino({ level: 'silent' });
const [dHost, dPort, ...dSecret] = opt.drachtio.split(':');
const engine = opt.drachtio
  ? new DrachtioEngine({ host: dHost, port: Number(dPort), secret: dSecret.join(':'), logger: log, flowProbeMs: 0 })
  : new SipEngine({ listen: { host: '127.0.0.1', udpPort: Number(opt.port) }, logger: log });
const [ngHost, ngPort] = opt.ng.split(':');
const media = opt.media === 'rtpengine' ? new RtpEngineRelay({ host: ngHost, port: Number(ngPort), timeout: 2000 }) : new PassthroughRelay();
const noop = () => undefined;
const recorder = { legCreated: noop, legRinging: noop, legAnswered: noop, legEnded: noop };
const events = new CallEvents();
const causes = {};
events.on('ended', (e) => (causes[e.cause] = (causes[e.cause] ?? 0) + 1));
const target = { uri: `sip:service@127.0.0.1:${opt.uas}`, profile: 'rtp' };
engine.use('INVITE', async (req, res) => {
  const session = new CallSession({ engine, media, recorder, events, log }, undefined);
  await session.bridge(req, res, 'rtp', target);
});
await engine.listen();
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
process.on('message', (m) => {
  if (m === 'report') process.send({ cpu: process.cpuUsage(), dialogs: engine.dialogs.size, causes, rss: process.memoryUsage().rss,
    loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 } });
  if (m === 'reset-loop') loopDelay.reset();
  if (m === 'stop') void engine.close().then(() => process.exit(0));
});
process.send({ ready: true, port: opt.drachtio ? engine.stack.local('udp').port : Number(opt.port) });
