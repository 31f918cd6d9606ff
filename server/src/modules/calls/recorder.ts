import { IsNull, type DataSource } from 'typeorm';
import type { CallRecorder, EndCause, LegEnd, LegInfo } from '@switchboard/sip';
import type { Logger } from '../../kernel/logger.js';
import { Call, CallLeg } from './call.entity.js';
import { execute } from '../../kernel/db/statements.js';

const hex = (uuid: string) => uuid.replace(/-/g, '');
const SIDES = 'abcdefghijkl';

/**
 * Keeps every call in MySQL: one `calls` row per call as the customer lives it, with all its SIP
 * legs. A visitor's call that the PBX hands to an agent's extension is two B2BUA sessions here
 * (widget → PBX, PBX → softphone) but one call: the second joins the first by its interaction.
 * The SIP side does not wait for us, so writes for one session are chained: a leg's "answered"
 * can never be written before its row exists.
 */
export class MysqlCallRecorder implements CallRecorder {
  private readonly chains = new Map<string, Promise<void>>();
  /** leg → its session; session → the call it is recorded under. */
  private readonly legSession = new Map<string, string>();
  private readonly sessionCall = new Map<string, Promise<string | null>>();
  /**
   * Sides: each session of a call has a pair (a/b for the first, c/d for the session that joined
   * it, …), its A leg first. Pairs go by the order sessions start; the SIP side reports a
   * session's legs in order, but another session's may come in between.
   */
  private readonly pairs = new Map<string, number>();
  private readonly sessionSide = new Map<string, { owner: string; pair: number; legs: number }>();
  /** Widget calls in progress by interaction, so the PBX's call to the agent finds its call at once. */
  private readonly openWidgetCalls = new Map<string, { session: string; call: Promise<string | null> }>();
  /** What the SIP side does not know about a call that is about to start (a video invitation). */
  private readonly expected = new Map<string, { video: boolean }>();
  /**
   * The call's first-wins columns (`… IS NULL` updates) a session has written: once it has, its
   * later legs would change nothing, so the statement is not sent again.
   */
  private readonly written = new Map<string, Set<'trunk' | 'answered' | 'endCause'>>();
  /** A leg's ringing not written yet, by leg (see legRinging). */
  private readonly rang = new Map<string, Date>();

  private async once(session: string, what: 'trunk' | 'answered' | 'endCause', write: () => Promise<unknown>): Promise<void> {
    if (this.written.get(session)?.has(what)) return;
    await write();
    this.done(session, what);
  }

  private done(session: string, what: 'trunk' | 'answered' | 'endCause'): void {
    (this.written.get(session) ?? this.written.set(session, new Set()).get(session)!).add(what);
  }

  // The statements a call sends for each of its legs (insert, ringing, answered, ended) are written
  // as SQL: built by the ORM they cost the server about twice the CPU of the round trip itself.
  constructor(private readonly db: DataSource, private readonly log: Logger, private readonly trunkId: () => string | null = () => null) {}

  private chain(key: string, fn: () => Promise<unknown>): Promise<void> {
    const next = (this.chains.get(key) ?? Promise.resolve())
      .then(fn)
      .then(() => undefined)
      .catch((err) => this.log.error({ err, callSessionId: key }, 'could not record a call leg'));
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }

  /** Notes what the next `legCreated` of this call session should record with the call. */
  expect(callSessionId: string, what: { video: boolean }): void {
    this.expected.set(hex(callSessionId), what);
  }

  /** The call a session's legs are recorded under (undefined before its first leg). */
  callOf(callSessionId: string): Promise<string | null> | undefined {
    return this.sessionCall.get(hex(callSessionId));
  }

  /** The call of this session, once recorded, belongs to this interaction (made for it after it began). */
  async linkInteraction(callSessionId: string, interactionId: string): Promise<void> {
    const recorded = await this.callOf(callSessionId);
    if (recorded) await this.db.getRepository(Call).update({ id: recorded }, { interactionId });
  }

  legCreated(leg: LegInfo): Promise<void> {
    const session = hex(leg.callSessionId);
    this.legSession.set(leg.legId, session);
    const expected = this.expected.get(session);
    this.expected.delete(session);
    let callId = this.sessionCall.get(session);
    if (!callId) {
      const joined = leg.kind === 'inbound' && leg.interactionId ? this.openWidgetCalls.get(leg.interactionId) : undefined;
      const owner = joined?.session ?? session;
      const pair = this.pairs.get(owner) ?? 0;
      this.pairs.set(owner, pair + 1);
      this.sessionSide.set(session, { owner, pair, legs: 0 });
      callId = joined?.call ?? this.openCall(session, leg, expected?.video ?? false);
      this.sessionCall.set(session, callId);
    }
    const call = callId;
    const place = this.sessionSide.get(session)!;
    const inSession = place.legs++;
    const n = place.pair * 2 + inSession;
    return this.chain(session, async () => {
      const id = await call;
      if (!id) return;
      const calls = this.db.getRepository(Call);
      // A later leg can tell more about the call: the trunk it went through, video.
      if (leg.trunk) await this.once(session, 'trunk', () => calls.createQueryBuilder().update().set({ trunkId: this.trunkId() }).where('id = :id AND trunkId IS NULL', { id }).execute());
      if (leg.video) await calls.update({ id }, { video: true });
      // A call started on another instance: its legs there came first.
      const legs = id === place.owner ? n : Math.ceil((await this.db.getRepository(CallLeg).countBy({ callId: id })) / 2) * 2 + inSession;
      await execute(
        this.db,
        'INSERT INTO call_legs (id, callId, side, direction, sipCallId, localTag, remoteTag, remoteUri, setupAt, ringingAt, answeredAt, endedAt, finalStatus, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)',
        [hex(leg.legId), id, SIDES[Math.min(legs, SIDES.length - 1)]!, leg.direction, leg.callId.slice(0, 255), leg.localTag ?? null, leg.remoteTag?.slice(0, 128) ?? null, (leg.direction === 'inbound' ? leg.from : leg.to).slice(0, 255), leg.createdAt, leg.ringingAt ?? null, leg.answeredAt ?? null],
      );
      // Answered before it was written, and the call's first answer: the call's row too.
      if (leg.answeredAt) await this.once(session, 'answered', () => execute(this.db, 'UPDATE calls SET answeredAt = COALESCE(answeredAt, ?) WHERE id = ?', [leg.answeredAt, id]));
    });
  }

  /**
   * The call a session's first leg belongs to: the widget call the PBX is handing to an agent
   * (same interaction), or a new one.
   */
  private openCall(session: string, leg: LegInfo, expectedVideo: boolean): Promise<string | null> {
    const kind = leg.kind ?? (leg.interactionId ? 'widget' : 'softphone');
    const created = new Promise<string | null>((resolve) => {
      void this.chain(session, async () => {
        const named = leg.interactionId ?? null;
        if (kind === 'inbound' && named) {
          // Another instance may hold the widget side of this call.
          const open = await this.db.getRepository(Call).findOne({ where: { interactionId: named, kind: 'widget', endedAt: IsNull() }, order: { setupAt: 'DESC' } });
          if (open) return resolve(open.id);
        }
        // The interaction is looked up by the insert itself (not a read before it): the call keeps
        // it only if it exists, and says which it kept.
        const kept = ((await execute(
          this.db,
          'INSERT IGNORE INTO calls (id, interactionId, kind, video, trunkId, setupAt, answeredAt, endedAt, endCause) VALUES (?, (SELECT i.id FROM interactions i WHERE i.id = ?), ?, ?, ?, ?, NULL, NULL, NULL) RETURNING interactionId',
          [session, named, kind, expectedVideo || leg.video === true ? 1 : 0, leg.trunk ? this.trunkId() : null, leg.createdAt],
        )) as { interactionId: string | null }[])[0];
        if (named && kept && kept.interactionId === null) this.log.warn({ interactionId: named }, 'a call names an interaction that does not exist');
        if (leg.trunk) this.done(session, 'trunk');
        resolve(session);
      }).then(() => resolve(null));
    });
    if (kind === 'widget' && leg.interactionId) this.openWidgetCalls.set(leg.interactionId, { session, call: created });
    return created;
  }

  /**
   * Kept until the leg answers or ends, and written with that: nothing reads a ringing time while
   * the leg rings (a call is ended from its live record, not from its rows), so it costs no
   * statement of its own. A process dying meanwhile leaves a leg without it.
   */
  legRinging(legId: string, at: Date): Promise<void> {
    if (!this.legSession.has(legId)) this.log.warn({ legId }, 'call leg update for an unknown leg');
    else this.rang.set(legId, at);
    return Promise.resolve();
  }

  /** `ringingAt`: the leg rang and answered before its ringing was written (auto-answer): both in one statement. */
  legAnswered(legId: string, at: Date, remoteTag: string, ringingAt?: Date): Promise<void> {
    const rang = ringingAt ?? this.rang.get(legId);
    this.rang.delete(legId);
    return this.update(legId, async (callId, session) => {
      const tag = remoteTag.slice(0, 128);
      const ringing = rang ? [rang] : [];
      if (this.written.get(session)?.has('answered')) {
        await execute(this.db, `UPDATE call_legs SET${rang ? ' ringingAt = ?,' : ''} answeredAt = ?, remoteTag = ? WHERE id = ?`, [...ringing, at, tag, hex(legId)]);
        return;
      }
      // The leg and the call's first answer in one statement; the call's row is named first, as in
      // every statement here that locks both, so two sessions of one call wait for each other
      // rather than deadlock.
      await execute(
        this.db,
        `UPDATE calls c LEFT JOIN call_legs l ON l.id = ? SET${rang ? ' l.ringingAt = ?,' : ''} l.answeredAt = ?, l.remoteTag = ?, c.answeredAt = COALESCE(c.answeredAt, ?) WHERE c.id = ?`,
        [hex(legId), ...ringing, at, tag, at, callId],
      );
      this.done(session, 'answered');
    });
  }

  legEnded(end: LegEnd): Promise<void> {
    return this.legsEnded([end.legId], end.at, end.cause, end.status);
  }

  /** Legs of one session ending together (a hang-up ends both sides of a bridged call at once). */
  legsEnded(legIds: string[], at: Date, cause: EndCause, status?: number): Promise<void> {
    const first = legIds[0];
    if (!first) return Promise.resolve();
    // Legs that rang and never answered: their ringing goes with their end.
    const rang = legIds.flatMap((legId) => {
      const ringingAt = this.rang.get(legId);
      this.rang.delete(legId);
      return ringingAt ? [hex(legId), ringingAt] : [];
    });
    return this.update(first, async (callId, session) => {
      // The first leg to end says why the call ended, of the call's own session (the visitor's,
      // for a call the PBX hands to an agent: the agent's session also ends when the PBX moves
      // the call elsewhere), and not a leg a transfer replaced. The call is over when no leg is
      // left open besides these (a transfer replaces one leg alone; a call handed over to whoever
      // took its transfer ends all its legs together, transferred). Legs, call end and cause in one statement.
      const why = session === callId && (cause !== 'transferred' || legIds.length > 1) && !this.written.get(session)?.has('endCause');
      const ids = legIds.map(hex);
      const marks = ids.map(() => '?').join(', ');
      const ringing = rang.length ? ` l.ringingAt = CASE l.id${' WHEN ? THEN ?'.repeat(rang.length / 2)} ELSE l.ringingAt END,` : '';
      // A few shapes (one or two legs, with the cause or not, a leg that rang unanswered or not): prepared.
      await execute(
        this.db,
        `UPDATE calls c LEFT JOIN call_legs l ON l.id IN (${marks}) SET${ringing} l.endedAt = ?, l.cause = ?, l.finalStatus = ?,${why ? ' c.endCause = COALESCE(c.endCause, ?),' : ''}` +
          ` c.endedAt = IF(c.endedAt IS NULL AND NOT EXISTS (SELECT 1 FROM call_legs o WHERE o.callId = ? AND o.endedAt IS NULL AND o.id NOT IN (${marks})), ?, c.endedAt) WHERE c.id = ?`,
        [...ids, ...rang, at, cause, status ?? null, ...(why ? [cause] : []), callId, ...ids, at, callId],
      );
      if (why) this.done(session, 'endCause');
      for (const legId of legIds) this.legSession.delete(legId);
      if (![...this.legSession.values()].includes(session)) {
        const owner = this.sessionSide.get(session)?.owner;
        this.sessionCall.delete(session);
        this.sessionSide.delete(session);
        this.written.delete(session);
        if (owner && ![...this.sessionSide.values()].some((x) => x.owner === owner)) this.pairs.delete(owner);
        for (const [interactionId, w] of this.openWidgetCalls) if (w.session === session) this.openWidgetCalls.delete(interactionId);
      }
    });
  }

  /** A call of an instance that died, ended by this one: its open legs and the call close with `cause`. */
  callLost(callSessionId: string, at: Date, cause: EndCause): Promise<void> {
    const callId = hex(callSessionId);
    return this.chain(callId, async () => {
      await this.db.createQueryBuilder().update(CallLeg).set({ endedAt: at, cause }).where('callId = :callId AND endedAt IS NULL', { callId }).execute();
      await this.db.createQueryBuilder().update(Call).set({ endedAt: at, endCause: cause }).where('id = :callId AND endedAt IS NULL', { callId }).execute();
    });
  }

  private update(legId: string, fn: (callId: string, session: string) => Promise<void>): Promise<void> {
    const session = this.legSession.get(legId);
    const call = session ? this.sessionCall.get(session) : undefined;
    if (!session || !call) {
      this.log.warn({ legId }, 'call leg update for an unknown leg');
      return Promise.resolve();
    }
    return this.chain(session, async () => {
      const callId = await call;
      if (callId) await fn(callId, session);
    });
  }

  /** Resolves when every write queued so far has landed (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }
}
