import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { CustomerFirstCall } from '@switchboard/sip';
import type { Kernel } from '../../kernel/kernel.js';
import type { Queue } from '../../kernel/config/schema.js';
import { textIn } from '../../kernel/config/schema/common.js';
import { BaseJob, type JobRun } from '../../kernel/jobs/job.js';
import { newId } from '../../kernel/db/ids.js';
import { execute } from '../../kernel/db/statements.js';
import type { Calls } from '../calls/index.js';
import type { InteractionSteps } from '../routing/index.js';
import { Callback } from './callback.entity.js';
import { CallbackAttempt, type AttemptOutcome } from './attempt.entity.js';
import { dialString, toE164 } from './dial-plan.js';
import { attemptCause } from './retry.js';

/** What customer-first callbacks need of the other contexts (given by the callbacks module). */
export interface CustomerFirstDeps {
  /** The SIP side while it runs; absent with SIP off. */
  sip: () => Calls | undefined;
  routing: Pick<InteractionSteps, 'queue' | 'enqueueHeld' | 'close' | 'requeue' | 'get' | 'journey' | 'customerName'>;
  agents: { get(id: string): Promise<{ extension: string | null; displayName: string }> };
  /** After a failed attempt: the next one after the queue's backoff, or unreached (retry.ts). */
  retry(cb: Callback, attempt: number, cause: string | null): Promise<void>;
}

/** An answered customer waiting for an agent, on this instance (the one holding the call). */
interface Waiting {
  session: CustomerFirstCall;
  interactionId: string;
  queue: Queue;
  row: CallbackAttempt;
  context: { interactionId: string; name?: string; phone: string };
  callerId?: string;
  connecting: boolean;
  /** Being ended by us (no agent): its hang-up is not the customer leaving. */
  ending: boolean;
  settled: boolean;
  settle(outcome: AttemptOutcome, cause: string | null): void;
}

const BUSY = [486, 600, 603];
/** How a customer-first call names its callback's attempt on the live-call record (PlacedBy). */
export const PLACED_BY = 'callbacks';
const INTERRUPTED = {
  dialling: 'interrupted: the instance dialling it stopped',
  waiting: 'interrupted: the instance holding the call stopped',
};
const NOT_ANSWERED = [408, 480, 487];

/**
 * Customer-first callbacks (queues[].callback.order): when due, the customer is called; once they
 * answer they hear the queue's announcement while their interaction is queued and offered like
 * any call; the agent who accepts is rung and bridged to them. One job per attempt (its row
 * written before the INVITE, as agent-first dialling does), run on whichever instance picks it up;
 * the call and its wait live in that instance, which alone acts on the agent's acceptance.
 */
export class CustomerFirstJob extends BaseJob<{ callbackId: string; attempt: number }> {
  readonly name = 'callback-customer-first';
  override readonly attempts = 1;
  override readonly concurrency = 64;
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly k: Kernel, private readonly d: CustomerFirstDeps) {
    super(k.jobs);
  }

  /** The due callback's next attempt; its job id makes it one dial however often it is asked. */
  dialFor(cb: Pick<Callback, 'id' | 'attempts'>): Promise<void> {
    const attempt = cb.attempts + 1;
    return this.schedule({ callbackId: cb.id, attempt }, { id: `${cb.id}-cf-${attempt}` });
  }

  async perform({ callbackId, attempt }: { callbackId: string; attempt: number }, _run: JobRun): Promise<void> {
    const { k, d } = this;
    const cb = await k.db.getRepository(Callback).findOneBy({ id: callbackId });
    const interaction = cb && (await d.routing.get(cb.interactionId));
    const queue = interaction && d.routing.queue(interaction.queueId ?? '');
    if (!cb || !interaction || !queue) return;
    const trunk = k.config().trunks.find((t) => t.id === queue.callback.trunk) ?? k.config().trunks[0]!;
    const dialled = dialString(toE164(cb.phoneNumber, trunk.dialPlan), trunk.dialPlan);
    const attempts = k.db.getRepository(CallbackAttempt);
    // The call's id is chosen here and recorded with the attempt before its INVITE, as agent-first
    // dialling does: the row names its call from the start, and no second statement writes it.
    const callSessionId = randomUUID();
    const row = attempts.create({ id: newId(), callbackId, attempt, interactionId: cb.interactionId, agentId: null, callId: callSessionId.replace(/-/g, ''), dialled, outcome: 'dialling', cause: null, startedAt: new Date(), endedAt: null });
    try {
      await execute(
        k.db,
        'INSERT INTO callback_attempts (id, callbackId, attempt, interactionId, agentId, callId, dialled, outcome, cause, startedAt, endedAt) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, NULL, ?, NULL)',
        [row.id, row.callbackId, row.attempt, row.interactionId, row.callId, row.dialled, row.outcome, row.startedAt],
      );
    } catch (err) {
      if ((err as { code?: string }).code !== 'ER_DUP_ENTRY') throw err;
      // Dialled by a run whose instance died (its call died with it): never twice.
      // An answered customer's call was ended by a survivor, which settled the attempt then
      // (lost()); else it is settled now. Whichever comes first does it, once.
      await this.interrupted(cb, await attempts.findOneByOrFail({ callbackId, attempt }), INTERRUPTED.dialling);
      return;
    }
    // Not dialled: the attempt has no call.
    if (cb.state !== 'queued' && cb.state !== 'dialling') {
      row.callId = null;
      return this.finish(cb, row, 'cancelled', `callback was ${cb.state}`);
    }
    await k.db.getRepository(Callback).update({ id: cb.id }, { state: 'dialling', attempts: attempt });
    await d.routing.journey(interaction, 'callback.dialling', null, { attempt, dialled, order: 'customer-first' });
    const sip = d.sip();
    if (!sip) {
      row.callId = null;
      return this.finish(cb, row, 'failed', 'SIP is not enabled on this server');
    }

    const name = await d.routing.customerName(interaction.contactId);
    const context = { interactionId: cb.interactionId, phone: cb.phoneNumber, ...(name ? { name } : {}) };
    const callerId = trunk.callerId?.number;
    const { session, answered } = sip.control.dialCustomer({
      number: dialled, context, ...(callerId ? { callerId } : {}),
      placedBy: { context: PLACED_BY, ref: `${callbackId}/${attempt}` }, id: callSessionId,
      trunk: { host: trunk.host, port: trunk.port, transport: trunk.transport, ...(trunk.auth ? { auth: { username: trunk.auth.username, password: trunk.auth.password, ...(trunk.auth.realm ? { realm: trunk.auth.realm } : {}) } } : {}) },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void session.teardown('no-answer', 408);
    }, queue.callback.answerTimeoutSeconds * 1000);
    const r = await answered;
    clearTimeout(timer);
    if (!r.answered) {
      const status = timedOut ? 408 : r.status;
      const outcome: AttemptOutcome = BUSY.includes(status) ? 'busy' : NOT_ANSWERED.includes(status) ? 'no-answer' : 'failed';
      return this.finish(cb, row, outcome, attemptCause({ status, cause: timedOut ? 'no-answer' : (session.endCause ?? 'failed'), ...(session.endDetail ? { detail: session.endDetail } : {}) }));
    }
    const [outcome, cause] = await this.wait({ session, interactionId: cb.interactionId, queue, row, context, ...(callerId ? { callerId } : {}) }, cb.language);
    return this.finish(cb, row, outcome, cause);
  }

  /**
   * The customer is on the line: announcement, queued, offered. Settles when an agent is bridged,
   * the customer hangs up, or nobody took the call within the queue's customerWaitSeconds.
   */
  private wait(w: Omit<Waiting, 'connecting' | 'ending' | 'settled' | 'settle'>, language: string | null): Promise<[AttemptOutcome, string | null]> {
    const { k, d } = this;
    return new Promise((resolve) => {
      const waiting: Waiting = {
        ...w, connecting: false, ending: false, settled: false,
        settle: (outcome, cause) => {
          if (waiting.settled) return;
          waiting.settled = true;
          clearTimeout(maxWait);
          this.waiting.delete(w.interactionId);
          resolve([outcome, cause]);
        },
      };
      this.waiting.set(w.interactionId, waiting);
      const maxWait = setTimeout(() => void this.giveUp(waiting, `no agent within ${w.queue.callback.customerWaitSeconds} s`), w.queue.callback.customerWaitSeconds * 1000);
      w.session.once('ended', () => void this.customerLeft(waiting));
      void (async () => {
        const lang = language === 'it' || language === 'fr' ? language : 'en';
        const file = textIn(w.queue.callback.announcement, lang) || undefined;
        const interaction = await d.routing.get(w.interactionId);
        if (interaction) await d.routing.journey(interaction, 'callback.answered', null, { attempt: w.row.attempt, language: lang, announcement: file ? basename(file) : null });
        if (file) await w.session.announce(file).catch((err: unknown) => k.log.error({ err, file }, 'the announcement could not be played; the customer waits in silence'));
        if (waiting.settled) return;
        const q = await d.routing.enqueueHeld(w.interactionId);
        if (q.outcome === 'unmanaged') await this.giveUp(waiting, `no agent: ${q.reason}`);
      })().catch((err: unknown) => {
        k.log.error({ err, interactionId: w.interactionId }, 'could not queue an answered customer-first callback');
        void this.giveUp(waiting, 'failed: could not be queued');
      });
    });
  }

  /**
   * An agent accepted a callback's offer (every instance hears it): when this instance holds the
   * customer, the agent's phone rings and is bridged. A phone that does not answer sends the call
   * back to its queue at the place it had, for the next agent.
   */
  async assigned(interactionId: string, agentId: string): Promise<void> {
    const w = this.waiting.get(interactionId);
    if (!w || w.settled || w.connecting) return;
    const { k, d } = this;
    w.connecting = true;
    const agent = await d.agents.get(agentId);
    await k.db.getRepository(CallbackAttempt).update({ id: w.row.id }, { agentId });
    w.row.agentId = agentId;
    const sip = d.sip();
    const r = sip && agent.extension
      ? await sip.control.connectAgent(w.session, {
        a: { kind: 'agent', agentId, extension: agent.extension, displayName: agent.displayName },
        context: w.context, ...(w.callerId ? { callerId: w.callerId } : {}),
        timeoutMs: w.queue.callback.answerTimeoutSeconds * 1000,
      })
      : { connected: false as const, status: 404, reason: 'no extension to ring' };
    w.connecting = false;
    if (r.connected) return w.settle('answered', null);
    if (w.settled || w.ending || w.session.state === 'ended') return;
    k.log.info({ interactionId, agentId, status: r.status, reason: r.reason }, 'the agent\'s phone did not take a customer-first callback: back to its queue');
    // The customer is still on the line: they keep their place (next to be served) and their wait.
    await d.routing.requeue(interactionId, agentId, { reason: 'agent-not-connected', status: r.status, cause: r.reason }).catch((err: unknown) => {
      k.log.error({ err, interactionId }, 'could not put a customer-first callback back in its queue');
      return this.giveUp(w, `agent: ${r.status} ${r.reason}`.slice(0, 64));
    });
  }

  /**
   * The call ended before an agent was on it: the offer is withdrawn. The customer hanging up is
   * an abandon; a call lost otherwise (server stopping, transport, media) is a failed attempt,
   * retried.
   */
  private async customerLeft(w: Waiting): Promise<void> {
    if (w.settled || w.ending) return;
    const hungUp = w.session.endCause === 'callee-hangup';
    await this.d.routing.close(w.interactionId, { by: hungUp ? 'customer' : 'system' }).catch((err: { status?: number }) => {
      if (err.status !== 409 && err.status !== 404) this.k.log.error({ err, interactionId: w.interactionId }, 'could not withdraw a customer-first callback');
    });
    if (hungUp) w.settle('abandoned', 'answered, then hung up while waiting for an agent');
    else w.settle('failed', `call lost while waiting: ${w.session.endCause ?? 'failed'}`);
  }

  /** Nobody took the call in time (or it could not be queued): withdrawn, and the customer hung up on. */
  private async giveUp(w: Waiting, cause: string): Promise<void> {
    if (w.settled || w.ending) return;
    w.ending = true;
    await this.d.routing.close(w.interactionId, { by: 'system' }).catch((err: { status?: number }) => {
      if (err.status !== 409 && err.status !== 404) this.k.log.error({ err, interactionId: w.interactionId }, 'could not withdraw a customer-first callback');
    });
    await w.session.teardown('no-answer');
    w.settle('no-agent', cause);
  }

  /**
   * Another instance ended this attempt's call, the customer waiting for an agent, because the
   * instance holding it died (`ref` is the call's PlacedBy). The job holding the attempt is still
   * locked by the dead instance for up to `redis.jobLockSeconds`, and meanwhile the interaction
   * could be offered and accepted, an agent rung for nobody: it is withdrawn and the attempt
   * settled now. The job's run after the takeover then finds the attempt settled and does nothing.
   */
  async lost(ref: string): Promise<void> {
    const [callbackId, n] = ref.split('/');
    const attempt = Number(n);
    if (!callbackId || !Number.isInteger(attempt)) return this.k.log.warn({ ref }, 'a lost call names no callback attempt');
    const row = await this.k.db.getRepository(CallbackAttempt).findOneBy({ callbackId, attempt });
    const cb = await this.k.db.getRepository(Callback).findOneBy({ id: callbackId });
    if (row && cb) await this.interrupted(cb, row, INTERRUPTED.waiting);
  }

  /** Settles an attempt that was under way as interrupted, unless someone settled it already. */
  private async interrupted(cb: Callback, row: CallbackAttempt, cause: string): Promise<void> {
    const outcome: AttemptOutcome = 'failed';
    const settled = await this.k.db.getRepository(CallbackAttempt).update({ id: row.id, outcome: 'dialling' }, { outcome, cause, endedAt: new Date() });
    if (settled.affected) await this.followUp(cb, row, outcome, cause);
  }

  private async finish(cb: Callback, row: CallbackAttempt, outcome: AttemptOutcome, cause: string | null): Promise<void> {
    await this.k.db.getRepository(CallbackAttempt).update({ id: row.id }, { outcome, cause, endedAt: new Date(), callId: row.callId });
    await this.followUp(cb, row, outcome, cause);
  }

  /** What an attempt's outcome means for the callback: journaled, then completed, cancelled or retried. */
  private async followUp(cb: Callback, row: CallbackAttempt, outcome: AttemptOutcome, cause: string | null): Promise<void> {
    const { k, d } = this;
    const interaction = await d.routing.get(row.interactionId);
    if (interaction) await d.routing.journey(interaction, 'callback.attempt', row.agentId, { attempt: row.attempt, outcome, cause, dialled: row.dialled, callId: row.callId, order: 'customer-first' });
    k.log.info({ callbackId: cb.id, attempt: row.attempt, outcome, cause }, 'customer-first callback attempt ended');
    const repo = k.db.getRepository(Callback);
    if (outcome === 'answered') await repo.update({ id: cb.id }, { state: 'completed', lastCause: null });
    else if (outcome === 'abandoned') await repo.update({ id: cb.id }, { state: 'cancelled', lastCause: cause });
    else if (outcome !== 'cancelled') await d.retry(cb, row.attempt, cause);
  }
}
