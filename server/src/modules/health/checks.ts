import { Client as RtpengineClient } from 'rtpengine-client';
import type { DataSource } from 'typeorm';
import type { RedisHandle } from '../../redis.js';
import type { XmppConnection } from '../chat/xmpp.js';
import type { SwitchboardFile } from '../../config/schema.js';

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

async function timed(fn: () => Promise<unknown>): Promise<CheckResult> {
  const t0 = performance.now();
  try {
    await within(1500, fn());
    return { ok: true, latencyMs: Math.round(performance.now() - t0) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - t0), error: (err as Error).message || String(err) };
  }
}

export class Readiness {
  private rtp: RtpengineClient | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly redis: RedisHandle,
    private readonly xmpp: XmppConnection,
    private readonly rtpengine: () => SwitchboardFile['rtpengine'],
  ) {}

  async check(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const [database, redis, xmpp, rtpengine] = await Promise.all([
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
    ]);
    const checks = { database, redis, xmpp, rtpengine };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  close(): void {
    this.rtp?.close();
    this.rtp = undefined;
  }
}
