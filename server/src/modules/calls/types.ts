import type { InteractionSteps } from '../routing/index.js';
import type { AgentService } from '../agents/index.js';
import type { ContactService } from '../contacts/index.js';
import type { Readiness } from '../health/index.js';

/** What the calls context needs of the others (app.ts hands them in). */
export interface CallsDeps {
  /** The interaction lifecycle: calls create, claim, move and close theirs only through it. */
  routing: Pick<InteractionSteps, 'createForCall' | 'callStep' | 'claim' | 'callEnded' | 'get' | 'live' | 'journey'>;
  agents: Pick<AgentService, 'get'>;
  contacts: Pick<ContactService, 'findOrCreate'>;
  /** /ready reports the SIP side while it runs. */
  readiness: Pick<Readiness, 'add' | 'remove'>;
}
