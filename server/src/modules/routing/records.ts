import type { JourneyType } from '@switchboard/protocol';
import { In, type DataSource, type EntityManager, type EntityMetadata } from 'typeorm';
import { Interaction, Offer, type InteractionState, type OfferState } from '../interactions/index.js';
import { AgentStateChange, type AgentState } from '../agents/index.js';
import { InteractionEvent } from '../journey/index.js';
import { Contact } from '../contacts/index.js';
import { systemClock, type Clock } from '../../kernel/clock.js';
import { EntityRows } from '../../kernel/db/rows.js';
import { JourneyWriter } from './journey-writer.js';
import { execute } from '../../kernel/db/statements.js';

/**
 * The states of an interaction routing still moves (queues, offers, assigns): a row is written
 * after its script, so it may lag behind Redis, but once closed, abandoned or unmanaged it stays.
 */
export const ROUTED: InteractionState[] = ['new', 'queued', 'offered', 'assigned', 'conference'];

/**
 * A step's journey entry that another step writes with its own (a call's end with routing's close
 * of it); `written` says, even when that step failed afterwards, whether it was.
 */
export interface StepEntry {
  type: JourneyType;
  data: Record<string, unknown>;
  written?: boolean;
}

export type InteractionPatch = Partial<Pick<Interaction, 'state' | 'queueId' | 'assignedAgentId' | 'assignedAt' | 'closedAt' | 'dispositionId' | 'unmanaged' | 'queuedAt' | 'timedOut'>>;

/** A channel's joins on the interaction (as `i`), and the columns they give (named apart from its own `i_…`). */
export interface JoinedColumns {
  joins: string;
  columns: string;
  /** The joins' parameters, for the agent offered it or accepting it. */
  params(agentId: string): unknown[];
}

/**
 * A row of another table changed by the statement that takes an interaction out of its hold:
 * joined on the interaction (as `i`), with `params` for the join's placeholders (`set` has none).
 * The hold is left only when the join finds it.
 */
export interface HoldCompanion {
  join: string;
  set: string;
  params: unknown[];
}

/**
 * MySQL is the system of record of what happened (interactions, offers, the journey); Redis holds
 * what is happening. Every routing step is written here after its script has decided it.
 */
export class RoutingRecords {
  private readonly writer: JourneyWriter;
  // The interaction's read and updates are sent as SQL, built once (the metadata is there only once
  // the data source is initialized): each routing step reads and updates the row, and built by the
  // ORM each of those statements cost several times the CPU of its round trip.
  private sql?: { rows: EntityRows<Interaction>; get: string; metadata: EntityMetadata };

  /** `liveCalls`: those of these interactions that have a call still going on (the calls context knows). */
  constructor(
    private readonly db: DataSource,
    private readonly liveCalls: (interactionIds: string[]) => Promise<string[]>,
    private readonly clock: Clock = systemClock,
  ) {
    this.writer = new JourneyWriter(db);
  }

  get interactions() {
    return this.db.getRepository(Interaction);
  }

  /** Outside a transaction (no `m`), entries that come together are written together (journey-writer.ts). */
  async journey(i: Pick<Interaction, 'id' | 'contactId'>, type: JourneyType, agentId: string | null, data: Record<string, unknown> = {}, m?: EntityManager, at: Date = this.clock.now()): Promise<void> {
    const row = { contactId: i.contactId, interactionId: i.id, agentId, type, data, at };
    if (!m || m === this.db.manager) return this.writer.write(row);
    await m.getRepository(InteractionEvent).insert({ ...row, data: data as never });
  }

  /** Entries of one step, written together in this order (outside a transaction). */
  async journeyAll(i: Pick<Interaction, 'id' | 'contactId'>, entries: { type: JourneyType; agentId: string | null; data: Record<string, unknown> }[], at: Date = this.clock.now()): Promise<void> {
    await this.writer.write(...entries.map((e) => ({ contactId: i.contactId, interactionId: i.id, agentId: e.agentId, type: e.type, data: e.data, at })));
  }

  /**
   * A journey entry for an interaction known by its id alone: its contact is taken from its row in
   * the same statement (nothing is written when there is no such interaction).
   */
  async journeyOf(interactionId: string, type: JourneyType, agentId: string | null, data: Record<string, unknown> = {}, m?: EntityManager, at: Date = this.clock.now()): Promise<void> {
    if (!m || m === this.db.manager) return this.writer.write({ contactId: null, contactOfInteraction: true, interactionId, agentId, type, data, at });
    await execute(
      m,
      'INSERT INTO interaction_events (contactId, interactionId, agentId, type, data, at) SELECT contactId, id, ?, ?, ?, ? FROM interactions WHERE id = ?',
      [agentId, type, JSON.stringify(data), at, interactionId],
    );
  }

  private statements() {
    if (!this.sql) {
      const rows = new EntityRows(this.db, Interaction, 'i');
      this.sql = { rows, get: `SELECT ${rows.select} FROM interactions i WHERE i.id = ? LIMIT 1`, metadata: this.db.getMetadata(Interaction) };
    }
    return this.sql;
  }

  /**
   * The patch as the ORM's update writes it: its columns left undefined are not written, each value
   * converted by the ORM's own conversion, and the row's updatedAt set by the database.
   */
  private async write(id: string, patch: InteractionPatch, m: EntityManager = this.db.manager, and?: { sql: string; params: unknown[] }): Promise<number> {
    const { sets, params } = this.sets(id, patch);
    params.push(id);
    if (and) params.push(...and.params);
    const r = (await execute(m, `UPDATE interactions SET ${sets.join(', ')}, updatedAt = CURRENT_TIMESTAMP WHERE id = ?${and ? ` AND ${and.sql}` : ''}`, params)) as { affectedRows: number };
    return r.affectedRows;
  }

  /** The patch's columns (of the table as `alias`, if given) and their values, as write() sets them. */
  private sets(id: string, patch: InteractionPatch, alias = ''): { sets: string[]; params: unknown[] } {
    const { metadata } = this.statements();
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const column = metadata.findColumnWithPropertyName(key)!;
      sets.push(`${alias}\`${column.databaseName}\` = ?`);
      params.push(this.db.driver.preparePersistentValue(value, column));
    }
    // The ORM refuses an update with nothing to write; so does this.
    if (!sets.length) throw new Error(`nothing to write to interaction ${id}`);
    return { sets, params };
  }

  /**
   * The offer's end as accepted and, only while the interaction is still in one of the states
   * `from`, its change — in one statement; the row in hand takes the change when it was written.
   * False when the interaction was not in those states (any more): the offer is accepted anyway.
   */
  async acceptOffer(offerId: string, i: Interaction, from: InteractionState[], patch: InteractionPatch): Promise<boolean> {
    const { sets, params } = this.sets(i.id, patch, 'i.');
    // The rows matched, each table's counted: the offer's, and the interaction's when it was in `from`.
    const r = (await execute(
      this.db,
      `UPDATE offers o LEFT JOIN interactions i ON i.id = ? AND i.state IN (${from.map(() => '?').join(', ')}) SET o.state = 'accepted', o.respondedAt = ?, ${sets.join(', ')}, i.updatedAt = CURRENT_TIMESTAMP WHERE o.id = ?`,
      [i.id, ...from, this.clock.now(), ...params, offerId],
    )) as { affectedRows: number };
    // No row of the offer (its insert failed after the script made it): the change alone, as before.
    const written = r.affectedRows === 0 ? await this.updateIf(i.id, from, patch) : r.affectedRows > 1;
    if (written) Object.assign(i, patch);
    return written;
  }

  async update(id: string, patch: InteractionPatch): Promise<void> {
    await this.write(id, patch);
  }

  /** Writes the change only while the row is still in state `from` (one of them); false when it was not (any more). */
  async updateIf(id: string, from: InteractionState | InteractionState[], patch: InteractionPatch): Promise<boolean> {
    const states = Array.isArray(from) ? from : [from];
    if (!states.length) return false;
    return (await this.write(id, patch, this.db.manager, { sql: `state IN (${states.map(() => '?').join(', ')})`, params: states })) > 0;
  }

  /**
   * A call's step changes the interaction unless it has ended (closed, abandoned or unmanaged: it
   * stays as it ended) or is a chat (a call joined from a chat is part of it: the chat goes on
   * after the call).
   */
  async updateForCall(id: string, patch: InteractionPatch, m: EntityManager = this.db.manager): Promise<void> {
    await this.write(id, patch, m, { sql: "state NOT IN ('closed', 'abandoned', 'unmanaged') AND channel != 'chat'", params: [] });
  }

  /**
   * Takes a held interaction (state "new") out of its hold: the patch is written while it is still
   * held, then `step` (its entry into the queue in Redis) runs; when `kept` says no for the step's
   * result, or the step fails, `back` puts the row back on hold. No transaction is held open across
   * the step: another instance queueing it meanwhile finds it no longer held, and a close meanwhile
   * (closeHeld) marks it in Redis, where the step refuses it. Null when it was not held (any more):
   * `step` did not run. `written`: the patch is on the row already (a queueing cut short, resumed).
   */
  async leaveHold<T>(id: string, patch: InteractionPatch, back: InteractionPatch, step: () => Promise<T>, kept: (r: T) => boolean, written = false, along?: HoldCompanion): Promise<{ r: T } | null> {
    if (!written && !(await this.outOfHold(id, patch, along))) return null;
    // Only while the row is still as the patch left it: a close meanwhile stays.
    const undo = () => this.write(id, back, this.db.manager, { sql: 'state = ?', params: [patch.state] });
    let r: T;
    try {
      r = await step();
    } catch (err) {
      await undo();
      throw err;
    }
    if (!kept(r)) await undo();
    return { r };
  }

  /** The patch, while the row is held, and `along`'s change in the same statement; the rows changed. */
  private async outOfHold(id: string, patch: InteractionPatch, along?: HoldCompanion): Promise<number> {
    if (!along) return this.write(id, patch, this.db.manager, { sql: "state = 'new'", params: [] });
    const { sets, params } = this.sets(id, patch, 'i.');
    const r = (await execute(
      this.db,
      `UPDATE interactions i JOIN ${along.join} SET ${sets.join(', ')}, i.updatedAt = CURRENT_TIMESTAMP, ${along.set} WHERE i.id = ? AND i.state = 'new'`,
      [...along.params, ...params, id],
    )) as { affectedRows: number };
    return r.affectedRows;
  }

  /** Writes the change and makes it to the row in hand too: the rest of the step goes on with it, not a read of it again. */
  async apply(i: Interaction, patch: InteractionPatch): Promise<void> {
    await this.update(i.id, patch);
    Object.assign(i, patch);
  }

  /** As apply(), only while the row is still in state `from` (one of them); false, the row in hand unchanged, when it was not. */
  async applyIf(i: Interaction, from: InteractionState | InteractionState[], patch: InteractionPatch): Promise<boolean> {
    if (!(await this.updateIf(i.id, from, patch))) return false;
    Object.assign(i, patch);
    return true;
  }

  // An offer's insert and its end are sent as SQL: one of each for every offer, and built by the
  // ORM (the insert reading back the row's defaults) each cost several times its round trip.
  async offerCreated(o: { offerId: string; interactionId: string; agentId: string; kind: Offer['kind']; expiresAt: number }): Promise<void> {
    await execute(
      this.db,
      "INSERT INTO offers (id, interactionId, agentId, state, kind, offeredAt, expiresAt, respondedAt) VALUES (?, ?, ?, 'pending', ?, ?, ?, NULL)",
      [o.offerId, o.interactionId, o.agentId, o.kind, this.clock.now(), new Date(o.expiresAt)],
    );
  }

  /**
   * The offer, pending, only while its interaction is still in one of the states `open`, in the
   * same statement that says so; otherwise (closed meanwhile) it is recorded as withdrawn, and false.
   */
  async offerCreatedIf(o: { offerId: string; interactionId: string; agentId: string; kind: Offer['kind']; expiresAt: number }, open: InteractionState[]): Promise<boolean> {
    const now = this.clock.now();
    const r = (await execute(
      this.db,
      `INSERT INTO offers (id, interactionId, agentId, state, kind, offeredAt, expiresAt, respondedAt) SELECT ?, id, ?, 'pending', ?, ?, ?, NULL FROM interactions WHERE id = ? AND state IN (${open.map(() => '?').join(', ')})`,
      [o.offerId, o.agentId, o.kind, now, new Date(o.expiresAt), o.interactionId, ...open],
    )) as { affectedRows: number };
    if (r.affectedRows) return true;
    await execute(
      this.db,
      "INSERT INTO offers (id, interactionId, agentId, state, kind, offeredAt, expiresAt, respondedAt) VALUES (?, ?, ?, 'withdrawn', ?, ?, ?, ?)",
      [o.offerId, o.interactionId, o.agentId, o.kind, now, new Date(o.expiresAt), now],
    );
    return false;
  }

  async pendingOffers(interactionId: string): Promise<Offer[]> {
    return this.db.getRepository(Offer).findBy({ interactionId, state: 'pending' });
  }

  async offerEnded(offerId: string, state: OfferState): Promise<void> {
    await execute(this.db, 'UPDATE offers SET state = ?, respondedAt = ? WHERE id = ?', [state, this.clock.now(), offerId]);
  }

  async get(id: string): Promise<Interaction | null> {
    const { rows, get } = this.statements();
    const [row] = (await execute(this.db, get, [id])) as Record<string, unknown>[];
    return row ? rows.from(row)! : null;
  }

  /**
   * The interaction and, in the same statement, the columns a channel's joins on it (`i`) give,
   * their parameters those for `agentId` (the agent offered it or accepting it).
   */
  async getWith(id: string, w: JoinedColumns, agentId: string): Promise<{ i: Interaction; joined: Record<string, unknown> } | null> {
    const { rows } = this.statements();
    const [row] = (await execute(this.db, `SELECT ${rows.select}, ${w.columns} FROM interactions i ${w.joins} WHERE i.id = ? LIMIT 1`, [...w.params(agentId), id])) as Record<string, unknown>[];
    return row ? { i: rows.from(row)!, joined: row } : null;
  }

  /**
   * Held interactions (mail, callbacks) whose queueing wrote the row and never reached Redis: the
   * instance died in between, so the row says queued while no queue holds it and the journey has
   * no `queued` entry. Untouched for `quietSeconds`, so a queueing still under way is not one.
   */
  async strandedHeld(quietSeconds: number, limit = 200): Promise<Interaction[]> {
    const rows = (await execute(
      this.db,
      `SELECT i.id FROM interactions i
        WHERE i.state = 'queued' AND i.channel IN ('mail', 'callback') AND i.updatedAt < CURRENT_TIMESTAMP - INTERVAL ? SECOND
          AND NOT EXISTS (SELECT 1 FROM interaction_events e WHERE e.interactionId = i.id AND e.type = 'queued')
        ORDER BY i.queuedAt LIMIT ${Math.max(1, Math.floor(limit))}`,
      [quietSeconds],
    )) as { id: string }[];
    return this.many(rows.map((r) => r.id));
  }

  async many(ids: string[]): Promise<Interaction[]> {
    return ids.length ? this.interactions.findBy({ id: In(ids) }) : [];
  }

  /**
   * Interactions this routing state took in (their `queued` step carries its scope) and that are
   * not finished, with the priority they were queued with. Widget calls, routed by the PBX, and
   * other installations sharing the database are not among them.
   */
  async liveRouted(scope: string): Promise<{ interaction: Interaction; priority: number | null; queuedIn: string | null }[]> {
    const rows: { id: string; data: string | Record<string, unknown> | null }[] = await this.db.query(
      `SELECT i.id, e.data FROM interactions i
         JOIN interaction_events e ON e.interactionId = i.id AND e.type = 'queued'
        WHERE i.state IN ('queued', 'offered', 'assigned', 'conference')
          AND JSON_UNQUOTE(JSON_EXTRACT(e.data, '$.routingScope')) = ?`,
      [scope],
    );
    const byId = new Map((await this.many([...new Set(rows.map((r) => r.id))])).map((i) => [i.id, i]));
    return rows.flatMap((r) => {
      const i = byId.get(r.id);
      if (!i) return [];
      const data = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data ?? {}) as { priority?: number; queueId?: string };
      return [{ interaction: i, priority: typeof data.priority === 'number' ? data.priority : null, queuedIn: data.queueId ?? null }];
    });
  }

  /** The guest of each conference: the agent of its latest accepted conference offer. */
  async conferenceGuests(ids: string[]): Promise<Map<string, string>> {
    const map = new Map<string, string>();
    if (!ids.length) return map;
    const offers = await this.db.getRepository(Offer).find({ where: { interactionId: In(ids), kind: 'conference', state: 'accepted' }, order: { offeredAt: 'ASC', seq: 'ASC' } });
    for (const o of offers) map.set(o.interactionId, o.agentId);
    return map;
  }

  /** Offers of these interactions still pending in MySQL are withdrawn; returns them. */
  async withdrawPending(ids: string[]): Promise<Offer[]> {
    if (!ids.length) return [];
    const pending = await this.db.getRepository(Offer).findBy({ interactionId: In(ids), state: 'pending' });
    if (pending.length) await this.db.getRepository(Offer).update({ id: In(pending.map((o) => o.id)) }, { state: 'withdrawn', respondedAt: this.clock.now() });
    return pending;
  }

  /** Each agent's last recorded state (and reason). */
  async lastStates(agentIds: string[]): Promise<Map<string, { state: AgentState; reason: string | null }>> {
    const map = new Map<string, { state: AgentState; reason: string | null }>();
    if (!agentIds.length) return map;
    const rows = await this.db
      .getRepository(AgentStateChange)
      .createQueryBuilder('c')
      .where('c.agentId IN (:...ids)', { ids: agentIds })
      .andWhere('c.seq = (SELECT MAX(c2.seq) FROM agent_state_changes c2 WHERE c2.agentId = c.agentId)')
      .getMany();
    for (const r of rows) map.set(r.agentId, { state: r.state, reason: r.reason });
    return map;
  }

  /** Those of these interactions that have a call still going on. */
  async withLiveCall(ids: string[]): Promise<string[]> {
    return ids.length ? this.liveCalls(ids) : [];
  }

  async customerName(contactId: string | null): Promise<string | null> {
    if (!contactId) return null;
    return (await this.db.getRepository(Contact).findOne({ where: { id: contactId }, select: { id: true, name: true } }))?.name ?? null;
  }

  async history(interactionId: string): Promise<InteractionEvent[]> {
    return this.db.getRepository(InteractionEvent).find({ where: { interactionId }, order: { seq: 'ASC' } });
  }

  static stateAfter(kind: string): InteractionState {
    return kind === 'conference' ? 'conference' : 'assigned';
  }
}
