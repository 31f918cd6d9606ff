import type { DataSource } from 'typeorm';
import type { CallRecorder, LegEnd, LegInfo } from '@switchboard/sip';
import type { Logger } from '../../logger.js';
import { Call, CallLeg } from './call.entity.js';

const hex = (uuid: string) => uuid.replace(/-/g, '');

/**
 * Keeps every call leg in MySQL. The SIP side does not wait for us, so writes for one call are
 * chained: a leg's "answered" can never be written before its row exists.
 */
export class MysqlCallRecorder implements CallRecorder {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly legCall = new Map<string, string>();
  /** What the SIP side does not know about a call that is about to start (a video invitation). */
  private readonly expected = new Map<string, { video: boolean }>();

  constructor(private readonly db: DataSource, private readonly log: Logger) {}

  private chain(callId: string, fn: () => Promise<unknown>): Promise<void> {
    const next = (this.chains.get(callId) ?? Promise.resolve())
      .then(fn)
      .then(() => undefined)
      .catch((err) => this.log.error({ err, callId }, 'could not record a call leg'));
    this.chains.set(callId, next);
    void next.then(() => {
      if (this.chains.get(callId) === next) this.chains.delete(callId);
    });
    return next;
  }

  /** Notes what the next `legCreated` of this call session should record with the call. */
  expect(callSessionId: string, what: { video: boolean }): void {
    this.expected.set(hex(callSessionId), what);
  }

  legCreated(leg: LegInfo): Promise<void> {
    const callId = hex(leg.callSessionId);
    this.legCall.set(leg.legId, callId);
    const video = this.expected.get(callId)?.video ?? false;
    this.expected.delete(callId);
    return this.chain(callId, async () => {
      await this.db
        .createQueryBuilder()
        .insert()
        .into(Call)
        .values({ id: callId, interactionId: leg.interactionId ?? null, kind: leg.interactionId ? 'widget' : 'softphone', video, trunkId: null, setupAt: leg.createdAt, answeredAt: null, endedAt: null, endCause: null })
        .orIgnore()
        .execute();
      const legs = await this.db.getRepository(CallLeg).countBy({ callId });
      await this.db.getRepository(CallLeg).insert({
        id: hex(leg.legId), callId, side: legs === 0 ? 'a' : 'b', direction: leg.direction, sipCallId: leg.callId.slice(0, 255),
        localTag: leg.localTag ?? null, remoteTag: leg.remoteTag ?? null, remoteUri: (leg.direction === 'inbound' ? leg.from : leg.to).slice(0, 255),
        setupAt: leg.createdAt, ringingAt: null, answeredAt: null, endedAt: null, finalStatus: null, cause: null,
      });
    });
  }

  legRinging(legId: string, at: Date): Promise<void> {
    return this.update(legId, async () => {
      await this.db.getRepository(CallLeg).update({ id: hex(legId) }, { ringingAt: at });
    });
  }

  legAnswered(legId: string, at: Date, remoteTag: string): Promise<void> {
    return this.update(legId, async (callId) => {
      await this.db.getRepository(CallLeg).update({ id: hex(legId) }, { answeredAt: at, remoteTag: remoteTag.slice(0, 128) });
      await this.db.createQueryBuilder().update(Call).set({ answeredAt: at }).where('id = :callId AND answeredAt IS NULL', { callId }).execute();
    });
  }

  legEnded(end: LegEnd): Promise<void> {
    return this.update(end.legId, async (callId) => {
      await this.db.getRepository(CallLeg).update({ id: hex(end.legId) }, { endedAt: end.at, cause: end.cause, finalStatus: end.status ?? null });
      // The first leg to end says why the call ended; the call is over when no leg is left.
      const open = await this.db.getRepository(CallLeg).createQueryBuilder('l').where('l.callId = :callId AND l.endedAt IS NULL', { callId }).getCount();
      if (open === 0) {
        await this.db.createQueryBuilder().update(Call).set({ endedAt: end.at }).where('id = :callId AND endedAt IS NULL', { callId }).execute();
      }
      await this.db.createQueryBuilder().update(Call).set({ endCause: end.cause }).where('id = :callId AND endCause IS NULL', { callId }).execute();
      this.legCall.delete(end.legId);
    });
  }

  private update(legId: string, fn: (callId: string) => Promise<void>): Promise<void> {
    const callId = this.legCall.get(legId);
    if (!callId) {
      this.log.warn({ legId }, 'call leg update for an unknown leg');
      return Promise.resolve();
    }
    return this.chain(callId, () => fn(callId));
  }

  /** Resolves when every write queued so far has landed (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }
}
