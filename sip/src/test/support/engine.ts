// The engine the black-box tests run on. By default the in-process engine, on free ports of its
// own. With SWITCHBOARD_TEST_DRACHTIO=host:port:secret naming a running drachtio-server (admin
// address and secret), the same tests run call control on drachtio-server instead: its SIP
// ports are the ones it announces. One engine at a time may be connected to it (a second one
// would be handed half the test's requests).
import { pino } from 'pino';
import { SipEngine } from '../../engine.js';
import { DrachtioEngine } from '../../engines/drachtio/engine.js';
import type { RunningEngine } from '../../engine-api.js';
import type { TimerConfig } from '../../transaction/transactions.js';
import { freePort } from './services.js';

export interface DrachtioUnderTest {
  host: string;
  port: number;
  secret: string;
}

/** The drachtio-server named by SWITCHBOARD_TEST_DRACHTIO, or undefined (in-process run). */
export function drachtioUnderTest(env = process.env.SWITCHBOARD_TEST_DRACHTIO): DrachtioUnderTest | undefined {
  if (!env) return undefined;
  const m = /^([^:]+):(\d+):(.+)$/.exec(env);
  if (!m) throw new Error(`SWITCHBOARD_TEST_DRACHTIO must be host:port:secret, got "${env}"`);
  return { host: m[1]!, port: Number(m[2]), secret: m[3]! };
}

export const ENGINE_KIND: 'in-process' | 'drachtio' = drachtioUnderTest() ? 'drachtio' : 'in-process';

export interface TestEngine {
  engine: RunningEngine;
  kind: 'in-process' | 'drachtio';
  /** Where UDP and TCP peers reach the engine on 127.0.0.1. */
  sipPort: number;
  wsPort: number;
}

/**
 * A listening engine. `timers` applies to the in-process engine only: drachtio-server's are set
 * in its own configuration (the timer tests expect T1 = 40 ms there).
 */
export async function startTestEngine(opts: { timers?: Partial<TimerConfig>; sipPort?: number } = {}): Promise<TestEngine> {
  const logger = pino({ level: process.env.SIP_TEST_LOG ?? 'silent' });
  const d = drachtioUnderTest();
  if (d) {
    // Browser flows probed every second: the tests wait seconds, not minutes, for a closed tab.
    const engine = new DrachtioEngine({ ...d, logger, flowProbeMs: 1000 });
    await engine.listen();
    return { engine, kind: 'drachtio', sipPort: engine.stack.local('udp').port, wsPort: engine.stack.local('ws').port };
  }
  const sipPort = opts.sipPort ?? (await freePort());
  const wsPort = await freePort();
  const engine = new SipEngine({
    listen: { host: '127.0.0.1', udpPort: sipPort, tcpPort: sipPort, wsPort },
    logger,
    ...(opts.timers ? { timers: opts.timers } : {}),
  });
  await engine.listen();
  return { engine, kind: 'in-process', sipPort, wsPort };
}

/**
 * The UDP/TCP port the next test engine will take, for peers configured before it starts (a
 * proxy routing to us): a free one, or the one drachtio-server listens on.
 */
export async function plannedSipPort(): Promise<number> {
  const d = drachtioUnderTest();
  if (!d) return freePort();
  const probe = new DrachtioEngine({ ...d, flowProbeMs: 0 });
  try {
    await probe.listen();
    return probe.stack.local('udp').port;
  } finally {
    await probe.close();
  }
}

/** What drachtio-server does by design that some tests cannot hold to (see docs/architecture/sip.md). */
export const DRACHTIO_DIFFERS = {
  hairpin: 'drachtio-server names a dialog by Call-ID and From tag, so a call that a proxy loops back to the same drachtio-server collides with itself',
};

/** Marks a test pending on drachtio-server, naming why in its title (the run shows it). */
export function notOnDrachtio(ctx: Mocha.Context, why: string): void {
  if (ENGINE_KIND !== 'drachtio') return;
  if (ctx.test) ctx.test.title += ` — not on drachtio-server: ${why}`;
  ctx.skip();
}
