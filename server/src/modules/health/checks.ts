import { Client as RtpengineClient } from 'rtpengine-client';
import type { DataSource } from 'typeorm';
import type { RedisHandle } from '../../kernel/redis.js';
import type { SwitchboardFile } from '../../kernel/config/schema.js';

/** The XMPP session's health (the chat context's connection). */
export interface XmppStatus {
  status(): { ok: boolean; error?: string };
}

type Smtp = NonNullable<SwitchboardFile['smtp']>;
type Imap = NonNullable<SwitchboardFile['imap']>;

/** Whether the mail servers answer (the mail context's probes; app.ts hands them in). */
export interface MailProbes {
  smtp(smtp: Smtp, timeoutMs: number): Promise<void>;
  imap(imap: Imap, timeoutMs: number): Promise<void>;
}

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

async function timed(fn: () => Promise<unknown>, ms = 1500): Promise<CheckResult> {
  const t0 = performance.now();
  try {
    await within(ms, fn());
    return { ok: true, latencyMs: Math.round(performance.now() - t0) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - t0), error: (err as Error).message || String(err) };
  }
}

export class Readiness {
  private rtp: RtpengineClient | undefined;
  /** Checks that exist only while a module runs (the SIP engine's link to drachtio-server). */
  private readonly extra = new Map<string, () => Promise<unknown>>();

  constructor(
    private readonly db: DataSource,
    private readonly redis: RedisHandle,
    private readonly xmpp: XmppStatus,
    private readonly rtpengine: () => SwitchboardFile['rtpengine'],
    private readonly mail: () => Pick<SwitchboardFile, 'smtp' | 'imap'> = () => ({ smtp: undefined, imap: undefined }),
    private readonly probes: MailProbes = { smtp: async () => undefined, imap: async () => undefined },
  ) {}

  /**
   * Every dependency, each reported. Mail servers (when configured) are reported but do not make
   * the instance unready: replies wait in the queue and the mailbox is read again when they
   * return, whereas taking every instance out of the load balancer would stop chats and calls too.
   * They are named in `degraded` instead.
   */
  async check(): Promise<{ ready: boolean; degraded: string[]; checks: Record<string, CheckResult> }> {
    const { smtp, imap } = this.mail();
    const [database, redis, xmpp, rtpengine, smtpCheck, imapCheck] = await Promise.all([
      timed(() => this.db.query('SELECT 1')),
      timed(async () => {
        if (this.redis.client.status !== 'ready') throw new Error(`connection ${this.redis.client.status}`);
        await this.redis.client.ping();
      }),
      timed(async () => {
        const s = this.xmpp.status();
        if (!s.ok) throw new Error(s.error);
      }),
      timed(async () => {
        const r = this.rtpengine();
        this.rtp ??= new RtpengineClient({ timeout: 1000 });
        const res = await this.rtp.ping(r.ngPort, r.host);
        if (res.result !== 'pong') throw new Error(`unexpected answer ${JSON.stringify(res)}`);
      }),
      smtp ? timed(() => this.probes.smtp(smtp, 2500), 3000) : undefined,
      imap?.enabled ? timed(() => this.probes.imap(imap, 2500), 3000) : undefined,
    ]);
    const more = await Promise.all([...this.extra].map(async ([name, fn]) => [name, await timed(fn)] as const));
    const core: Record<string, CheckResult> = { database, redis, xmpp, rtpengine, ...Object.fromEntries(more) };
    const mail = { ...(smtpCheck ? { smtp: smtpCheck } : {}), ...(imapCheck ? { imap: imapCheck } : {}) };
    return {
      ready: Object.values(core).every((c) => c.ok),
      degraded: Object.entries(mail).filter(([, c]) => !c.ok).map(([k]) => k),
      checks: { ...core, ...mail },
    };
  }

  /** A check for `/ready`, under `name`; it throws (with a sentence) when not ready. */
  add(name: string, check: () => Promise<unknown>): void {
    this.extra.set(name, check);
  }

  remove(name: string): void {
    this.extra.delete(name);
  }

  close(): void {
    this.rtp?.close();
    this.rtp = undefined;
  }
}
