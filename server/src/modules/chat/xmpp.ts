import { client, type XmppClient } from '@xmpp/client';
import type { SwitchboardFile } from '../../config/schema.js';
import type { Logger } from '../../logger.js';

/**
 * The server's own XMPP session (the service account), used to create, join and close chat
 * rooms. @xmpp/client reconnects by itself with backoff; we only track whether we are online.
 */
export class XmppConnection {
  private xmpp: XmppClient | undefined;
  private online = false;
  private lastError: string | null = null;

  constructor(private readonly cfg: SwitchboardFile['xmpp'], private readonly log: Logger) {}

  start(): void {
    const xmpp = client({
      service: `xmpp://${this.cfg.host}:${this.cfg.port}`,
      domain: this.cfg.domain,
      username: this.cfg.serviceUser,
      password: this.cfg.servicePassword,
      resource: `switchboard-${process.pid}`,
    });
    this.xmpp = xmpp;
    xmpp.on('online', () => {
      this.online = true;
      this.lastError = null;
      this.log.info('xmpp online');
    });
    xmpp.on('offline', () => {
      this.online = false;
    });
    xmpp.on('disconnect', () => {
      this.online = false;
    });
    xmpp.on('error', (err: Error) => {
      this.lastError = err.message;
      this.log.warn({ err: { message: err.message } }, 'xmpp error');
    });
    xmpp.reconnect.delay = 1000;
    // The first connection attempt failing is not fatal: the reconnect loop keeps trying and
    // /ready reports XMPP as not ready meanwhile.
    xmpp.start().catch((err: Error) => {
      this.lastError = err.message;
      this.log.warn({ err: { message: err.message } }, 'xmpp first connection failed; retrying');
    });
  }

  status(): { ok: boolean; error?: string } {
    return this.online ? { ok: true } : { ok: false, error: this.lastError ?? 'not connected' };
  }

  async stop(): Promise<void> {
    const x = this.xmpp;
    this.xmpp = undefined;
    if (!x) return;
    x.reconnect.removeAllListeners();
    await Promise.race([x.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
}
