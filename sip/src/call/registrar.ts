// Agent softphones register through Switchboard: we keep the binding (the WebSocket flow the
// phone is reachable on) and register the agent's extension at the PBX with our own Contact, so
// the PBX sends the extension's calls to us and we pass them to the browser.
import type { Logger } from 'pino';
import type { SipEngineApi } from '../engine-api.js';
import type { Credentials } from '../auth/digest.js';
import type { Flow } from '../transport/types.js';
import { flowKey } from '../transport/types.js';
import { randomToken } from '../message.js';

export interface Binding {
  extension: string;
  agentId: string;
  flow: Flow;
  /** The phone's Contact URI (request URI for calls to it). */
  contact: string;
  expiresAt: number;
  /** The extension's PBX credentials, kept to refresh and to unregister. */
  pbxCreds?: Credentials;
}

export interface UpstreamTarget {
  /** Host part of the extension's address of record. */
  domain: string;
  /** REGISTER's Request-URI: the PBX's address as configured (host, port, transport). */
  uri: string;
  flow: Flow;
}

export class Registrar {
  private readonly bindings = new Map<string, Binding>();
  private readonly refresh = new Map<string, NodeJS.Timeout>();
  private readonly upstreamDialogs = new Map<string, { callId: string; cseq: number }>();
  private readonly granted = new Map<string, number>();

  constructor(
    private readonly engine: SipEngineApi,
    private readonly upstream: UpstreamTarget,
    private readonly log: Logger,
  ) {
    engine.on('connection-closed', (flow) => {
      for (const b of [...this.bindings.values()]) if (flowKey(b.flow) === flowKey(flow)) void this.remove(b.extension);
    });
  }

  lookup(extension: string): Binding | undefined {
    const b = this.bindings.get(extension);
    if (b && b.expiresAt < Date.now()) {
      void this.remove(extension);
      return undefined;
    }
    return b;
  }

  get size(): number {
    return this.bindings.size;
  }

  /**
   * Registers `extension` at the PBX (when credentials are given) and keeps the binding.
   * Returns the PBX's status (200 when no upstream registration is needed).
   */
  async add(b: Binding, pbxCreds: Credentials | undefined, expires: number): Promise<number> {
    if (pbxCreds) {
      const status = await this.registerUpstream(b.extension, pbxCreds, expires);
      if (status >= 300) return status;
      this.scheduleRefresh(b.extension, pbxCreds, expires);
    }
    this.bindings.set(b.extension, { ...b, ...(pbxCreds ? { pbxCreds } : {}) });
    return 200;
  }

  /**
   * Re-registers at the PBX a little before it would drop us, for as long as the binding lives:
   * a phone that stopped refreshing (without closing its WebSocket) must not stay registered.
   */
  private scheduleRefresh(extension: string, creds: Credentials, expires: number): void {
    clearTimeout(this.refresh.get(extension));
    const t = setTimeout(() => {
      if (!this.lookup(extension)) return;
      void this.registerUpstream(extension, creds, expires).then(() => {
        if (this.bindings.has(extension)) this.scheduleRefresh(extension, creds, expires);
      });
    }, Math.max(5, Math.min(expires, this.granted.get(extension) ?? expires) - 30) * 1000);
    t.unref(); // never keeps a process alive
    this.refresh.set(extension, t);
  }

  async remove(extension: string): Promise<void> {
    const b = this.bindings.get(extension);
    this.bindings.delete(extension);
    this.granted.delete(extension);
    clearTimeout(this.refresh.get(extension));
    this.refresh.delete(extension);
    if (b?.pbxCreds) await this.registerUpstream(extension, b.pbxCreds, 0).catch(() => 0);
  }

  private async registerUpstream(extension: string, creds: Credentials, expires: number): Promise<number> {
    const { domain, uri, flow } = this.upstream;
    const local = this.engine.stack.local(flow.protocol);
    const transport = flow.protocol === 'udp' ? '' : `;transport=${flow.protocol}`;
    let reg = this.upstreamDialogs.get(extension);
    if (!reg) {
      reg = { callId: `reg-${extension}-${randomToken(8)}`, cseq: 0 };
      this.upstreamDialogs.set(extension, reg);
    }
    reg.cseq += 2; // room for the challenged retry
    if (expires === 0) this.upstreamDialogs.delete(extension);
    try {
      const res = await this.engine.request(uri, {
        callId: reg.callId,
        cseq: reg.cseq,
        method: 'REGISTER',
        target: flow,
        from: `sip:${extension}@${domain}`,
        to: `sip:${extension}@${domain}`,
        auth: creds,
        headers: { contact: [{ uri: `sip:${extension}@${local.host}:${local.port}${transport}`, params: {} }], expires: String(expires) },
      });
      // The PBX may grant less than we asked (its Contact's expires, or Expires): refresh by that.
      const contacts = Array.isArray(res.headers.contact) ? res.headers.contact : [];
      const granted = Number(contacts.find((c) => c.uri.includes(`${extension}@`))?.params.expires ?? res.headers.expires ?? expires);
      if (res.status < 300 && Number.isFinite(granted) && granted > 0) this.granted.set(extension, granted);
      this.log.info({ extension, status: res.status, expires, granted }, 'PBX registration');
      return res.status;
    } catch (err) {
      this.log.warn({ err, extension }, 'PBX registration failed');
      return 503;
    }
  }

  /** Unregisters at the PBX, waiting at most half a second: a dead PBX must not hold shutdown. */
  async close(): Promise<void> {
    const all = Promise.all([...this.bindings.keys()].map((e) => this.remove(e)));
    await Promise.race([all, new Promise((r) => setTimeout(r, 500).unref())]);
  }
}
