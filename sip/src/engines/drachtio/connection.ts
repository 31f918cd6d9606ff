// The engine's link to drachtio-server: drachtio-srf's outbound TCP connection (it reconnects by
// itself with a backoff, capped here), authenticated with the shared secret. The state is one
// value with a reason a person can act on, so the server can say once at start what is wrong and
// report it on /ready while drachtio-srf keeps trying.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { SrfApp } from './srf-types.js';

export interface DrachtioAddress {
  host: string;
  /** drachtio-server's admin (application) port, 9022 by default. */
  port: number;
  secret: string;
}

export type DrachtioLinkState =
  | { state: 'connecting' }
  | { state: 'connected'; version?: string; hostports: string[] }
  /** drachtio-server answered but refused the secret. */
  | { state: 'refused'; reason: string }
  /** No connection (refused, unreachable, closed); drachtio-srf retries. */
  | { state: 'unreachable'; reason: string }
  | { state: 'closed' };

export interface DrachtioLinkEvents {
  state: [DrachtioLinkState];
}

/** The part of drachtio-srf's wire protocol needed to stop it retrying (no public way exists). */
interface WireRetry {
  closing?: boolean;
  socket?: { destroy(): void };
  reconnectVars?: { retryTimer?: NodeJS.Timeout | null };
}

export class DrachtioLink extends EventEmitter<DrachtioLinkEvents> {
  current: DrachtioLinkState = { state: 'connecting' };

  constructor(
    private readonly srf: SrfApp,
    readonly address: DrachtioAddress,
    private readonly log: Logger,
    private readonly maxRetryDelayMs = 5_000,
  ) {
    super();
    const where = `${address.host}:${address.port}`;
    srf.on('connect', (err: Error | null, hostport?: string, version?: string) => {
      if (err) {
        this.set({ state: 'refused', reason: `drachtio-server at ${where} refused the secret (${err.message})` });
        return;
      }
      const hostports = (hostport ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      this.set({ state: 'connected', hostports, ...(version ? { version } : {}) });
    });
    // Without an 'error' listener drachtio-srf's socket errors would be thrown.
    srf.on('error', (err: Error) => {
      if (this.current.state === 'refused') return; // it closes the link after a wrong secret
      this.set({ state: 'unreachable', reason: `cannot reach drachtio-server at ${where}: ${err.message}` });
    });
    srf.on('close', () => {
      if (this.current.state === 'connected') this.set({ state: 'unreachable', reason: `drachtio-server at ${where} closed the connection` });
    });
  }

  private set(next: DrachtioLinkState): void {
    const prev = this.current;
    this.current = next;
    const same = prev.state === next.state && ('reason' in prev ? prev.reason : '') === ('reason' in next ? next.reason : '');
    if (same) return; // one message per change, not one per retry
    if (next.state === 'connected') this.log.info({ drachtio: this.address.host, version: next.version, hostports: next.hostports }, 'connected to drachtio-server');
    else if (next.state === 'refused' || next.state === 'unreachable') this.log.error({ drachtio: this.address.host }, next.reason);
    this.emit('state', next);
  }

  open(): void {
    const { host, port, secret } = this.address;
    this.srf.connect({ host, port, secret, reconnect: { retryMaxDelay: this.maxRetryDelayMs } });
  }

  /** Resolves once connected; rejects with the reason on the first failure or after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void> {
    if (this.current.state === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('state', onState);
      };
      const onState = (s: DrachtioLinkState): void => {
        if (s.state === 'connected') {
          done();
          resolve();
        } else if (s.state === 'refused' || s.state === 'unreachable' || s.state === 'closed') {
          done();
          reject(new Error(s.state === 'closed' ? 'engine closed' : s.reason));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no answer from drachtio-server at ${this.address.host}:${this.address.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('state', onState);
    });
  }

  close(): void {
    if (this.current.state === 'connected') {
      try {
        this.srf.disconnect();
      } catch {
        // no socket left to end
      }
    }
    const wp = (this.srf as unknown as { _app?: { client?: { wp?: WireRetry } } })._app?.client?.wp;
    if (wp) {
      wp.closing = true;
      if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
      wp.socket?.destroy();
    }
    this.set({ state: 'closed' });
  }
}
