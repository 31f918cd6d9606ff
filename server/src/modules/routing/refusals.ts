import { HttpError, notFound } from '../../kernel/http/errors.js';
import type { Refusal } from './engine.js';

const OFFER_STATE: Record<string, string> = {
  accepted: 'it was already accepted',
  rejected: 'it was rejected',
  timeout: 'its time ran out',
  withdrawn: 'it was withdrawn',
};

/** Turns a script's refusal into the error the agent sees; the state is left as it was. */
export function refusal(r: Refusal, what: 'offer' | 'interaction'): HttpError {
  switch (r.error) {
    case 'not_found':
      return notFound(what === 'offer' ? 'Offer' : 'Interaction');
    case 'not_yours':
      return new HttpError(403, 'not_yours', what === 'offer' ? 'This offer was made to another agent.' : 'This interaction is not assigned to you.');
    case 'not_owner':
      return new HttpError(403, 'not_owner', 'Only the agent who owns the interaction can do this; you can leave the conference.');
    case 'closed':
      return new HttpError(409, 'offer_closed', `This offer is no longer open: ${OFFER_STATE[r.state ?? ''] ?? 'it ended'}.`);
    case 'finished':
      return new HttpError(409, 'interaction_finished', `The interaction is already ${r.state}.`);
    case 'pending':
      return new HttpError(409, 'answer_pending', 'A transfer or conference invitation for this interaction is still waiting for an answer.');
    case 'in_conference':
      return new HttpError(409, 'in_conference', 'End the conference before transferring.');
    case 'state':
      return new HttpError(409, 'wrong_state', `Not possible while the interaction is ${r.state}.`);
    case 'no_queue':
      return new HttpError(409, 'no_queue', 'This interaction was never in a queue here (the PBX routed its call): it cannot go back to one.');
    case 'self':
      return new HttpError(400, 'invalid_request', 'Pick another agent than yourself.', [{ field: 'agentId', problem: 'is you' }]);
    case 'target_logged_out':
      return new HttpError(409, 'agent_logged_out', 'That agent is logged out; pick an agent who is logged in.', [{ field: 'agentId', problem: 'is logged out' }]);
    case 'target_unavailable':
      return new HttpError(409, 'agent_unavailable', `That agent is ${r.state} and cannot take it now.`, [{ field: 'agentId', problem: `is ${r.state}` }]);
    case 'target_full':
      return new HttpError(409, 'agent_full', 'That agent has no free capacity for this channel right now.', [{ field: 'agentId', problem: 'has no free capacity' }]);
    default:
      return new HttpError(409, 'conflict', `Not possible now (${r.error}).`);
  }
}
