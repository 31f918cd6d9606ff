import type { Kernel } from '../../kernel/kernel.js';
import type { Calls, CallsContext } from '../calls/index.js';
import type { InteractionSteps } from '../routing/index.js';
import type { ContactService } from '../contacts/index.js';
import type { AgentService } from '../agents/index.js';

/** A mail callbacks asks to be sent: the customer's confirmation, or that they could not be reached. */
export interface CallbackMail {
  kind: 'callback';
  /** The same key again is sent once. */
  dedupeKey: string;
  interactionId: string;
  to: string;
  subject: string;
  text: string;
}

/** What callbacks need of the other contexts, given by the composition root (app.ts). */
export interface CallbacksDeps {
  /** The SIP side while it runs (calls context); absent with SIP off. */
  sip: () => Calls | undefined;
  /** Told when this instance ended a waiting customer-first call whose instance died. */
  lostCalls: Pick<CallsContext, 'followLostCalls'>;
  /** Stores and queues a mail, sent with retries while the mail server is away (mail's outbox). */
  mailer: { queue(m: CallbackMail): Promise<unknown>; addressOf(dedupeKey: string): Promise<string | null> };
  /** The interaction lifecycle: a callback's interactions are created, queued, closed and journaled only through it. */
  routing: Pick<
    InteractionSteps,
    'createHeld' | 'enqueueHeld' | 'resumeHeld' | 'closeHeld' | 'closeWaitingCall' | 'requeue' | 'claim' | 'close' | 'cancel' | 'checkDisposition' | 'setDisposition' | 'journey' | 'get' | 'customerName' | 'queue' | 'previewFor' | 'readOnAccept'
  >;
  agents: Pick<AgentService, 'get'>;
  contacts: Pick<ContactService, 'findOrCreate'>;
}

/** What the callbacks context's parts work with: the kernel and what it needs of the others. */
export interface CallbacksKit extends Kernel, CallbacksDeps {}
