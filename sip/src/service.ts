// One call for the server: engine + media relay + call control, listening, with one close().
// The engine is the in-process one, or drachtio-server's when `drachtio` names it.
import type { Logger } from 'pino';
import { SipEngine } from './engine.js';
import { DrachtioEngine } from './engines/drachtio/engine.js';
import type { DrachtioAddress } from './engines/drachtio/connection.js';
import type { RunningEngine } from './engine-api.js';
import type { ListenOptions } from './transport/types.js';
import type { TimerConfig } from './transaction/transactions.js';
import { PassthroughRelay, RtpEngineRelay, type MediaRelay } from './media/relay.js';
import { CallControl, type CallRouter, type TrunkConfig } from './call/call-control.js';
import type { CallRecorder } from './call/recorder.js';
import type { LiveCallStore } from './call/live-calls.js';
import type { Authenticator } from './auth/middleware.js';
import type { NonceIssuer } from './auth/digest.js';
import type { Middleware } from './engine.js';
import type { FloodLimitOptions } from './auth/flood.js';

export interface SipServiceOptions {
  /** The in-process engine's listeners (ignored with `drachtio`: drachtio-server listens). */
  listen: ListenOptions;
  /**
   * Run on drachtio-server (admin address and secret) instead of the in-process engine. Start
   * does not wait for it: an unreachable server or a wrong secret is logged once, reported by
   * `health()`, and retried with backoff.
   */
  drachtio?: DrachtioAddress & { maxRetryDelayMs?: number };
  /** rtpengine's ng address; without it SDP passes through untouched (no media relay). */
  rtpengine?: { host: string; port: number; timeoutMs?: number };
  trunk: TrunkConfig;
  /** Digest realm browsers authenticate in. */
  realm: string;
  authenticator: Authenticator;
  router: CallRouter;
  recorder: CallRecorder;
  logger?: Logger;
  timers?: Partial<TimerConfig>;
  floodLimit?: FloodLimitOptions;
  keepaliveMs?: number;
  dialogKeepaliveMs?: number;
  /** Where answered calls are kept for another process to end if this one dies. */
  liveCalls?: LiveCallStore;
  /** How often answered calls' rtpengine sessions are checked, ms (default 10 s; 0 disables). */
  mediaCheckMs?: number;
  /** Digest nonces shared by the instances on one drachtio-server (default: this process's own). */
  nonces?: NonceIssuer;
  /**
   * INVITE steps that run before call control's own routing (widget → PBX), e.g. the server's
   * calls that join a chat's invitation. They get call control lazily: it exists once they run.
   */
  inviteSteps?: ((calls: () => CallControl) => Middleware)[];
}

export interface SipService<E extends RunningEngine = SipEngine> {
  engine: E;
  calls: CallControl;
  media: MediaRelay;
  /** Whether calls can be taken; with drachtio, why not (unreachable, refused secret). */
  health(): { ok: true } | { ok: false; reason: string };
  /** Ends every call (BYE both legs, media deleted), unregisters at the PBX, stops listening. */
  close(): Promise<void>;
}

export function startSipService(opts: SipServiceOptions & { drachtio?: undefined }): Promise<SipService<SipEngine>>;
export function startSipService(opts: SipServiceOptions & { drachtio: NonNullable<SipServiceOptions['drachtio']> }): Promise<SipService<DrachtioEngine>>;
export function startSipService(opts: SipServiceOptions): Promise<SipService<SipEngine> | SipService<DrachtioEngine>>;
export async function startSipService(opts: SipServiceOptions): Promise<SipService<SipEngine> | SipService<DrachtioEngine>> {
  const log = opts.logger ? { logger: opts.logger } : {};
  if (opts.drachtio) {
    const engine = new DrachtioEngine({ ...opts.drachtio, ...log });
    const svc = wire(engine, opts);
    // Not awaited to the end: the link logs why it is down and keeps retrying; health() tells.
    await engine.listen().catch(() => undefined);
    return {
      ...svc,
      health: () => {
        const s = engine.state;
        return s.state === 'connected' ? { ok: true } : { ok: false, reason: 'reason' in s ? s.reason : `drachtio-server link ${s.state}` };
      },
    };
  }
  const engine = new SipEngine({ listen: opts.listen, ...log, ...(opts.timers ? { timers: opts.timers } : {}) });
  const svc = wire(engine, opts);
  try {
    await engine.listen();
  } catch (err) {
    // Whatever did bind (UDP before TCP failed, say) is released before reporting.
    await svc.close();
    throw err;
  }
  return { ...svc, health: () => ({ ok: true }) };
}

function wire<E extends RunningEngine>(engine: E, opts: SipServiceOptions): Omit<SipService<E>, 'health'> {
  const rtp = opts.rtpengine
    ? new RtpEngineRelay({
      host: opts.rtpengine.host, port: opts.rtpengine.port, timeout: opts.rtpengine.timeoutMs ?? 2000,
      onStrayReply: (err) => opts.logger?.warn({ err }, 'rtpengine: a reply that matches no command (late, or unreadable)'),
    })
    : undefined;
  const media: MediaRelay = rtp ?? new PassthroughRelay();
  // Registered first, so they see an INVITE before call control's middleware does.
  for (const step of opts.inviteSteps ?? []) engine.use('INVITE', step(() => calls));
  const calls = new CallControl({
    engine, media, recorder: opts.recorder, router: opts.router, authenticator: opts.authenticator, realm: opts.realm, trunk: opts.trunk,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.floodLimit ? { floodLimit: opts.floodLimit } : {}),
    ...(opts.keepaliveMs !== undefined ? { keepaliveMs: opts.keepaliveMs } : {}),
    ...(opts.dialogKeepaliveMs !== undefined ? { dialogKeepaliveMs: opts.dialogKeepaliveMs } : {}),
    ...(opts.liveCalls ? { liveCalls: opts.liveCalls } : {}),
    ...(opts.mediaCheckMs !== undefined ? { mediaCheckMs: opts.mediaCheckMs } : {}),
    ...(opts.nonces ? { nonces: opts.nonces } : {}),
  });
  return {
    engine, calls, media,
    async close() {
      await calls.close();
      await engine.close();
      rtp?.close();
    },
  };
}
