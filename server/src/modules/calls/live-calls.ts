import type { LiveCall, LiveCallStore, LostDialog } from '@switchboard/sip';
import type { RedisHandle } from '../../kernel/redis.js';
import type { Logger } from '../../kernel/logger.js';

/** How often an instance says it is alive, and after how long without it it counts as dead. */
export const HEARTBEAT_MS = 5_000;
export const HEARTBEAT_TTL_MS = 15_000;
/** How long a late BYE for a call ended this way is still answered 200. */
const ENDED_TTL_S = 900;

/**
 * The answered calls of every instance, in Redis: a hash per instance (call → what ending it
 * takes), a set of the instances that have one, a heartbeat key per instance, and a key per
 * dialog (Call-ID + our tag) naming its call.
 *
 * Redis, not MySQL: the record is live state that lives and dies with its owner's heartbeat (which
 * is in Redis), it is rewritten after every in-dialog request of ours (its CSeq must stay ahead),
 * it is deleted when the call ends, and survivors claim a dead instance's calls one by one with an
 * atomic HDEL, so exactly one of them ends each call. What lasts — the call and its legs — is in
 * MySQL (`calls`, `call_legs`) as before. Production Redis runs with AOF, so a Redis restart does
 * not forget them.
 */
export class RedisLiveCalls implements LiveCallStore {
  private readonly dialogKeys = new Map<string, string[]>();
  private beat?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(
    private readonly redis: RedisHandle,
    private readonly instanceId: string,
    private readonly log: Logger,
  ) {}

  private k(...parts: string[]): string {
    return this.redis.key('calls', 'live', ...parts);
  }
  private owned(instance: string): string {
    return this.k('owner', instance);
  }
  private heartbeat(instance: string): string {
    return this.k('alive', instance);
  }
  private dialogKey(sipCallId: string, localTag: string): string {
    return this.k('dialog', `${sipCallId};${localTag}`);
  }
  private keysOf(call: LiveCall): string[] {
    return call.legs.flatMap((l) => (l.dialog ? [this.dialogKey(l.dialog.callId, l.dialog.local.params.tag ?? '')] : []));
  }

  /**
   * Starts the heartbeat and the watch over other instances: every few seconds, each instance
   * with live calls and no heartbeat has its calls claimed and handed to `endLost`. The first
   * sweep runs now (a restarted instance finds its previous run's calls once their heartbeat
   * lapsed).
   */
  async start(endLost: (call: LiveCall) => Promise<void>): Promise<void> {
    await this.alive();
    this.beat = setInterval(() => void this.alive().catch((err: unknown) => this.log.warn({ err }, 'call heartbeat failed')), HEARTBEAT_MS);
    this.beat.unref();
    const sweep = (): void => {
      this.sweeping ??= this.sweep(endLost)
        .catch((err: unknown) => this.log.warn({ err }, 'could not look for calls of dead instances'))
        .finally(() => (this.sweeping = undefined));
    };
    this.sweeper = setInterval(sweep, HEARTBEAT_MS);
    this.sweeper.unref();
    sweep();
  }

  private async alive(): Promise<void> {
    await this.redis.client.set(this.heartbeat(this.instanceId), String(Date.now()), 'PX', HEARTBEAT_TTL_MS);
  }

  /** Ends what dead instances left; resolves when this round is done (tests). */
  async sweep(endLost: (call: LiveCall) => Promise<void>): Promise<void> {
    const c = this.redis.client;
    for (const instance of await c.smembers(this.k('owners'))) {
      if (instance === this.instanceId || (await c.exists(this.heartbeat(instance)))) continue;
      const calls = await c.hgetall(this.owned(instance));
      for (const [id, json] of Object.entries(calls)) {
        // HDEL is the claim: of several survivors sweeping at once, one gets 1 and ends the call.
        if ((await c.hdel(this.owned(instance), id)) !== 1) continue;
        const call = parse(json);
        if (!call) continue;
        this.log.warn({ instance, callSessionId: id }, 'ending a call whose server is gone');
        await endLost(call);
      }
      if ((await c.hlen(this.owned(instance))) === 0) await c.srem(this.k('owners'), instance);
    }
  }

  async save(call: LiveCall): Promise<void> {
    const keys = this.keysOf(call);
    this.dialogKeys.set(call.callSessionId, keys);
    const m = this.redis.client.multi()
      .sadd(this.k('owners'), this.instanceId)
      .hset(this.owned(this.instanceId), call.callSessionId, JSON.stringify(call));
    for (const key of keys) m.set(key, `${this.instanceId} ${call.callSessionId}`);
    await m.exec();
  }

  async drop(callSessionId: string): Promise<void> {
    const keys = this.dialogKeys.get(callSessionId) ?? [];
    this.dialogKeys.delete(callSessionId);
    const m = this.redis.client.multi().hdel(this.owned(this.instanceId), callSessionId);
    for (const key of keys) m.del(key);
    await m.exec();
  }

  async lostDialog(sipCallId: string, localTag: string): Promise<LostDialog | undefined> {
    const c = this.redis.client;
    const v = await c.get(this.dialogKey(sipCallId, localTag));
    if (!v) return undefined;
    if (v === 'ended') return { kind: 'ended' };
    const [owner, id] = v.split(' ');
    // The BYE reached this process at the address the owner listened on, so the owner is gone even
    // if its heartbeat has not lapsed yet (a restart within seconds); and the peer hangs up anyway.
    if (!owner || !id || owner === this.instanceId) return undefined;
    const json = await c.hget(this.owned(owner), id);
    if (!json || (await c.hdel(this.owned(owner), id)) !== 1) return { kind: 'ended' };
    const call = parse(json);
    return call ? { kind: 'claimed', call } : { kind: 'ended' };
  }

  async lostEnded(call: LiveCall): Promise<void> {
    const m = this.redis.client.multi();
    for (const key of this.keysOf(call)) m.set(key, 'ended', 'EX', ENDED_TTL_S);
    await m.exec();
  }

  /** Stops the heartbeat; after a clean stop no call is left, so nobody has anything to end. */
  async stop(): Promise<void> {
    clearInterval(this.beat);
    clearInterval(this.sweeper);
    await this.sweeping;
    const c = this.redis.client;
    try {
      if ((await c.hlen(this.owned(this.instanceId))) === 0) await c.srem(this.k('owners'), this.instanceId);
      await c.del(this.heartbeat(this.instanceId));
    } catch (err) {
      this.log.warn({ err }, 'could not clear the call heartbeat');
    }
  }
}

function parse(json: string): LiveCall | undefined {
  try {
    const call = JSON.parse(json) as LiveCall;
    return typeof call.callSessionId === 'string' && Array.isArray(call.legs) ? call : undefined;
  } catch {
    return undefined;
  }
}
