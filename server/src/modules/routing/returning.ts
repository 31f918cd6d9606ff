import type { Queue } from '../../kernel/config/schema.js';
import type { Interaction } from '../interactions/index.js';

/**
 * The agent a returning customer's interaction waits for, and until when (enqueue's last two
 * arguments, read by lua/preferred.lua): the previous agent of a reopened mail ticket, for the
 * queue's previousAgentSeconds. None when the queue does not wait.
 */
export function previousAgent(i: Interaction, queue: Queue, now: Date): [string, string] | [] {
  const agent = i.routingVariables.previousAgent;
  if (!agent || !/^[0-9a-f]{32}$/.test(agent) || queue.previousAgentSeconds <= 0) return [];
  return [agent, String(now.getTime() + queue.previousAgentSeconds * 1000)];
}
