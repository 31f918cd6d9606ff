import type { CallbacksKit } from './types.js';
import { BaseJob, type JobRun } from '../../kernel/jobs/job.js';
import { randomUUID } from 'node:crypto';
import { newId } from '../../kernel/db/ids.js';
import type { Calls } from '../calls/index.js';
import type { Interaction } from '../interactions/index.js';
import type { AcceptRead } from '../routing/index.js';
import { CallLeg } from '../calls/index.js';
import type { Callback } from './callback.entity.js';
import type { Agent } from '../agents/index.js';
import { callbackWithInteraction } from './reads.js';
import { CallbackAttempt, type AttemptOutcome } from './attempt.entity.js';
import { dialString, toE164 } from './dial-plan.js';
import { CallEnds } from './call-ends.js';
import { attemptCause, requeueAfterAgentFailure, retryAfterFailure } from './retry.js';
import { execute } from '../../kernel/db/statements.js';

export interface DialData {
  callbackId: string;
  attempt: number;
  agentId: string;
  /** What the accept read of the callback, its interaction and the agent: the dial reads none of it again. */
  known?: DialKnown;
}

/** Columns that do not change while the callback waits for its dial (its state does: not here). */
export interface DialKnown {
  interactionId: string;
  jobId: string | null;
  phoneNumber: string;
  contactId: string | null;
  queueId: string | null;
  /** Null: no such agent (the dial fails as it did when reading it). */
  agent: Pick<Agent, 'extension' | 'displayName'> | null;
}

/** What accepted() reads of the callback, its interaction and the agent. */
type AcceptedRow = Pick<Callback, 'id' | 'attempts' | 'state' | 'jobId' | 'phoneNumber'> & Pick<Interaction, 'contactId' | 'queueId'> & { agentId: string | null } & Pick<Agent, 'extension'> & { displayName: string | null };

/**
 * The accepts' reads kept for their dial, at most, and for how long: the assignment is heard
 * within milliseconds of its accept, and a read whose event was lost (the accept failing after
 * it) is not taken for a later assignment of the same interaction to the same agent.
 */
const KEPT_READS = 1000;
const KEPT_MS = 10_000;

/** The callback as an attempt needs it, from the accept's read or its own. */
type DialCallback = Pick<Callback, 'id' | 'interactionId' | 'jobId' | 'phoneNumber'>;

/**
 * An agent accepted a callback: leg A rings the agent (softphone, or extension through the PBX),
 * then leg B dials the customer through the trunk, bridged by rtpengine (CallControl.originate).
 * The attempt's outcome is recorded with its SIP cause; busy or no answer are retried later by a
 * new due job, until the queue's attempts are used up (unreached). BullMQ never retries a dial:
 * the attempt row written before the INVITE makes a second run of the same attempt a no-op.
 */
// The statements of every attempt are written as SQL: built by the ORM they cost the server about
// twice the CPU of the round trip itself. Reads that give entities still go through it.
export class CallbackDialJob extends BaseJob<DialData> {
  readonly name = 'callback-dial';
  override readonly attempts = 1;
  /**
   * A dial job stays active until its call is bridged or ends (leg A and leg B ringing, up to
   * answerTimeoutSeconds): it waits on phones, it does not compute. The limit is how many
   * callback calls one instance sets up at once, and it must not be below the agents who may
   * accept together — at 64, with 1,000 agents accepting, dials waited for a slot behind calls
   * still ringing while their agents waited for leg A.
   */
  override readonly concurrency = 1000;

  /** accepted()'s read, made with the accept's read of the interaction, by interaction and agent, until it is asked for. */
  private readonly reads = new Map<string, { row: AcceptedRow; at: number }>();

  /**
   * accepted()'s read as part of the accept's read of the interaction (routing's AcceptRead): a
   * callback the accept dials (automatic mode) is not read again when its assignment is heard.
   */
  readonly onAccept: AcceptRead = {
    joins: 'LEFT JOIN callbacks c ON c.interactionId = i.id LEFT JOIN agents a ON a.id = ?',
    columns: 'c.id AS cb_id, c.attempts AS cb_attempts, c.state AS cb_state, c.jobId AS cb_jobId, c.phoneNumber AS cb_phoneNumber, i.contactId AS cb_contactId, i.queueId AS cb_queueId, a.id AS cb_agentId, a.extension AS cb_extension, a.displayName AS cb_displayName',
    params: (agentId) => [agentId],
    accepted: (interactionId, agentId, row) => {
      if (row.cb_id === null || this.s.routing.queue(String(row.cb_queueId ?? ''))?.callback.mode === 'preview') return;
      if (this.reads.size >= KEPT_READS) this.reads.delete(this.reads.keys().next().value!);
      const read = Object.fromEntries(Object.entries(row).filter(([k]) => k.startsWith('cb_')).map(([k, v]) => [k.slice(3), v]));
      this.reads.set(`${interactionId} ${agentId}`, { row: read as AcceptedRow, at: Date.now() });
    },
  };

  constructor(
    private readonly s: CallbacksKit,
    /** The SIP side while it runs; absent with SIP off. */
    private readonly sip: () => Calls | undefined,
  ) {
    super(s.jobs);
  }

  /** The job id makes it one dial per attempt, however often it is asked. */
  dialFor(cb: Pick<Callback, 'id' | 'attempts'>, agentId: string, known?: DialKnown): Promise<void> {
    const attempt = cb.attempts + 1;
    return this.schedule({ callbackId: cb.id, attempt, agentId, ...(known ? { known } : {}) }, { id: `${cb.id}-dial-${attempt}` });
  }

  /**
   * An agent accepted the callback's interaction (automatic mode): dialled if it is queued. What
   * the dial needs of the callback, its interaction and the agent is read in one statement — the
   * accept's own (onAccept) when it was accepted here, else here — and rides in the job; only the
   * callback's state is checked again, by the dial's own update.
   */
  async accepted(interactionId: string, agentId: string): Promise<void> {
    const key = `${interactionId} ${agentId}`;
    const kept = this.reads.get(key);
    this.reads.delete(key);
    const row = (kept && Date.now() - kept.at < KEPT_MS ? kept.row : undefined) ?? ((await execute(
      this.s.db,
      'SELECT c.id, c.attempts, c.state, c.jobId, c.phoneNumber, i.contactId, i.queueId, a.id AS agentId, a.extension, a.displayName FROM callbacks c JOIN interactions i ON i.id = c.interactionId LEFT JOIN agents a ON a.id = ? WHERE c.interactionId = ?',
      [agentId, interactionId],
    )) as AcceptedRow[])[0];
    if (row?.state !== 'queued') return;
    await this.dialFor(row, agentId, {
      interactionId, jobId: row.jobId, phoneNumber: row.phoneNumber, contactId: row.contactId, queueId: row.queueId,
      agent: row.agentId ? { extension: row.extension, displayName: row.displayName ?? '' } : null,
    });
  }

  async perform({ callbackId, attempt, agentId, known }: DialData, _run: JobRun): Promise<void> {
    const s = this.s;
    let cb: DialCallback;
    let interaction: Pick<Interaction, 'id' | 'contactId' | 'queueId'>;
    let agentRead: () => Promise<Pick<Agent, 'extension' | 'displayName'>>;
    if (known) {
      cb = { id: callbackId, interactionId: known.interactionId, jobId: known.jobId, phoneNumber: known.phoneNumber };
      interaction = { id: known.interactionId, contactId: known.contactId, queueId: known.queueId };
      agentRead = known.agent ? settle(Promise.resolve(known.agent)) : settle(s.agents.get(agentId));
    } else {
      // Asked without the accept's read (the agent's Call in preview mode): with its interaction, in one statement.
      const read = await callbackWithInteraction(s.db, callbackId);
      if (!read?.interaction) return;
      cb = read;
      interaction = read.interaction;
      // The agent is waiting for leg A: what the INVITE needs but the guard below does not is read
      // meanwhile, so the wait is the longest of these round trips, not their sum.
      agentRead = settle(s.agents.get(agentId));
    }
    const nameRead = settle(s.routing.customerName(interaction.contactId));
    const queue = s.routing.queue(interaction.queueId ?? '');
    const config = s.config();
    const trunk = config.trunks.find((t) => t.id === queue?.callback.trunk) ?? config.trunks[0]!;
    const dialled = dialString(toE164(cb.phoneNumber, trunk.dialPlan), trunk.dialPlan);
    const attempts = s.db.getRepository(CallbackAttempt);
    // The call's id is chosen here and recorded with the attempt before its INVITE: a run taking
    // over after a crash finds the call, and no second statement writes it once the call started.
    const callSessionId = randomUUID();
    const row = attempts.create({ id: newId(), callbackId, attempt, interactionId: cb.interactionId, agentId, callId: callSessionId.replace(/-/g, ''), dialled, outcome: 'dialling', cause: null, startedAt: new Date(), endedAt: null });
    try {
      await execute(
        s.db,
        'INSERT INTO callback_attempts (id, callbackId, attempt, interactionId, agentId, callId, dialled, outcome, cause, startedAt, endedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)',
        [row.id, row.callbackId, row.attempt, row.interactionId, row.agentId, row.callId, row.dialled, row.outcome, row.startedAt],
      );
    } catch (err) {
      if ((err as { code?: string }).code !== 'ER_DUP_ENTRY') throw err;
      // This attempt was dialled by a run that did not finish (its instance died): never twice.
      const earlier = await attempts.findOneByOrFail({ callbackId, attempt });
      if (earlier.outcome === 'dialling') await this.finish(cb, earlier.interactionId === interaction.id ? interaction : await s.routing.get(earlier.interactionId), earlier, 'failed', 'interrupted: the instance dialling it stopped');
      return;
    }
    // Dialling only from queued (or dialling: the agent's Call again), in the same statement that
    // says so: a cancel (scheduled or queued → cancelled) made after the accept's read, even after
    // this job started, is seen here, and once dialling the callback can no longer be cancelled.
    const moved = (await execute(
      s.db,
      "UPDATE callbacks SET state = 'dialling', attempts = ?, updatedAt = CURRENT_TIMESTAMP WHERE id = ? AND state IN ('queued', 'dialling')",
      [attempt, cb.id],
    )) as { affectedRows: number };
    if (!moved.affectedRows) {
      const [now] = (await execute(s.db, 'SELECT state FROM callbacks WHERE id = ?', [cb.id])) as { state: string }[];
      row.callId = null;
      return this.finish(cb, interaction, row, 'cancelled', `callback was ${now?.state ?? 'deleted'}`);
    }
    // Written while the agent is read (when not known already); in the journey before leg A rings.
    const dialling = settle(s.routing.journey(interaction, 'callback.dialling', agentId, { attempt, dialled }));

    const sip = this.sip();
    const agent = await agentRead();
    await dialling();
    // Not dialled: the attempt has no call.
    if (!sip || !agent.extension) row.callId = null;
    if (!sip) return this.finish(cb, interaction, row, 'failed', 'SIP is not enabled on this server');
    if (!agent.extension) return this.finish(cb, interaction, row, 'failed', 'agent: no extension to ring');
    const session = await sip.control.originate({
      id: callSessionId,
      a: { kind: 'agent', agentId, extension: agent.extension, displayName: agent.displayName },
      bNumber: dialled,
      context: { interactionId: cb.interactionId, name: (await nameRead()) ?? undefined },
      ...(trunk.callerId ? { callerId: trunk.callerId.number } : {}),
      // The queue's trunk (queues[].callback.trunk): leg B leaves through it, with its dial plan.
      trunk: { host: trunk.host, port: trunk.port, transport: trunk.transport, ...(trunk.auth ? { auth: { username: trunk.auth.username, password: trunk.auth.password, ...(trunk.auth.realm ? { realm: trunk.auth.realm } : {}) } } : {}) },
    });
    // Listening before anything else is awaited: a quick answer would otherwise be bridged
    // meanwhile, and its 'answered' missed (the attempt then timed out as no answer).
    const ending = CallEnds.of(sip.events).settled(session, (queue?.callback.answerTimeoutSeconds ?? 60) * 1000);
    const callId = row.callId!;
    const r = await ending;
    if (r.answered) return this.finish(cb, interaction, row, 'answered', null);
    const cause = attemptCause(r);
    // The media server failing is nobody's phone: a failed attempt, retried after the backoff.
    if (r.cause === 'media-failed') return this.finish(cb, interaction, row, 'failed', cause);
    // Which leg failed: without a leg B the agent's phone never answered.
    const b = await s.db.getRepository(CallLeg).findOneBy({ callId, side: 'b' });
    if (!b) return this.finish(cb, interaction, row, 'failed', `agent: ${cause}`.slice(0, 64), agentId);
    const outcome: AttemptOutcome = r.cause === 'busy' ? 'busy' : ['no-answer', 'unavailable', 'canceled'].includes(r.cause) ? 'no-answer' : 'failed';
    return this.finish(cb, interaction, row, outcome, cause);
  }

  /**
   * `interaction`: the attempt's, as perform() read it (its id and contact do not change).
   * `agentWhoFailed`: leg A never answered — the customer was not called, the callback keeps its place.
   */
  private async finish(cb: DialCallback, interaction: Pick<Interaction, 'id' | 'contactId'> | null, row: CallbackAttempt, outcome: AttemptOutcome, cause: string | null, agentWhoFailed?: string): Promise<void> {
    const s = this.s;
    // An answered attempt completes its callback: both rows in one statement.
    if (outcome === 'answered') {
      await execute(
        s.db,
        "UPDATE callback_attempts a JOIN callbacks c ON c.id = a.callbackId SET a.outcome = ?, a.cause = ?, a.endedAt = ?, c.state = 'completed', c.lastCause = NULL, c.updatedAt = CURRENT_TIMESTAMP WHERE a.id = ?",
        [outcome, cause, new Date(), row.id],
      );
    } else {
      await execute(s.db, 'UPDATE callback_attempts SET outcome = ?, cause = ?, endedAt = ?, callId = ? WHERE id = ?', [outcome, cause, new Date(), row.callId, row.id]);
    }
    if (interaction) await s.routing.journey(interaction, 'callback.attempt', row.agentId, { attempt: row.attempt, outcome, cause, dialled: row.dialled, callId: row.callId });
    s.log.info({ callbackId: cb.id, attempt: row.attempt, outcome, cause }, 'callback attempt ended');
    if (outcome === 'answered' || outcome === 'cancelled') return;
    if (agentWhoFailed) return requeueAfterAgentFailure(s, cb, row.attempt, cause, agentWhoFailed);
    await retryAfterFailure(s, cb, row.attempt, cause);
  }
}

/**
 * Starts a read now and gives it when asked: a rejection surfaces there, where the read used to
 * be awaited, and is never unhandled when perform() returns before asking.
 */
function settle<T>(p: Promise<T>): () => Promise<T> {
  p.catch(() => undefined);
  return () => p;
}
