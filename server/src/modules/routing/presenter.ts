import type { TransferTargets } from './transfer-targets.js';

/** The transfer picker's lists; nothing else about other agents leaves the server here. */
export function presentTransferTargets(t: TransferTargets) {
  return {
    queues: t.queues.map((q) => ({ id: q.queueId, name: q.name, channel: q.channel, open: q.open, waiting: q.waiting })),
    agents: t.agents.map((a) => ({ id: a.agentId, displayName: a.displayName, state: a.state, canTake: a.canTake })),
  };
}
