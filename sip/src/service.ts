// One call for the server: engine + media relay + call control, listening, with one close().
import type { Logger } from 'pino';
import { SipEngine } from './engine.js';
import type { ListenOptions } from './transport/types.js';
import type { TimerConfig } from './transaction/transactions.js';
import { PassthroughRelay, RtpEngineRelay, type MediaRelay } from './media/relay.js';
import { CallControl, type CallRouter, type TrunkConfig } from './call/call-control.js';
import type { CallRecorder } from './call/recorder.js';
import type { Authenticator } from './auth/middleware.js';
import type { Middleware } from './engine.js';
import type { FloodLimitOptions } from './auth/flood.js';

export interface SipServiceOptions {
  listen: ListenOptions;
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
  /**
   * INVITE steps that run before call control's own routing (widget → PBX), e.g. the server's
   * calls that join a chat's invitation. They get call control lazily: it exists once they run.
   */
  inviteSteps?: ((calls: () => CallControl) => Middleware)[];
}

export interface SipService {
  engine: SipEngine;
  calls: CallControl;
  media: MediaRelay;
  /** Ends every call (BYE both legs, media deleted), unregisters at the PBX, stops listening. */
  close(): Promise<void>;
}

export async function startSipService(opts: SipServiceOptions): Promise<SipService> {
  const engine = new SipEngine({ listen: opts.listen, ...(opts.logger ? { logger: opts.logger } : {}), ...(opts.timers ? { timers: opts.timers } : {}) });
  const rtp = opts.rtpengine ? new RtpEngineRelay({ host: opts.rtpengine.host, port: opts.rtpengine.port, timeout: opts.rtpengine.timeoutMs ?? 2000 }) : undefined;
  const media: MediaRelay = rtp ?? new PassthroughRelay();
  // Registered first, so they see an INVITE before call control's middleware does.
  for (const step of opts.inviteSteps ?? []) engine.use('INVITE', step(() => calls));
  const calls = new CallControl({
    engine, media, recorder: opts.recorder, router: opts.router, authenticator: opts.authenticator, realm: opts.realm, trunk: opts.trunk,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.floodLimit ? { floodLimit: opts.floodLimit } : {}),
    ...(opts.keepaliveMs !== undefined ? { keepaliveMs: opts.keepaliveMs } : {}),
    ...(opts.dialogKeepaliveMs !== undefined ? { dialogKeepaliveMs: opts.dialogKeepaliveMs } : {}),
  });
  try {
    await engine.listen();
  } catch (err) {
    // Whatever did bind (UDP before TCP failed, say) is released before reporting.
    await calls.close();
    await engine.close();
    rtp?.close();
    throw err;
  }
  return {
    engine, calls, media,
    async close() {
      await calls.close();
      await engine.close();
      rtp?.close();
    },
  };
}
