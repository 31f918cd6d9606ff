import type { AgentStateName, ChannelName, ConfigText } from '@switchboard/protocol';
import type { Config } from '../../kernel/config/schema.js';
import type { AgentService } from '../agents/index.js';
import type { RoutingCore } from './core.js';
import type { AgentRow, RoutingViews } from './views.js';
import { notFound } from '../../kernel/http/errors.js';
import { refusal } from './refusals.js';
import { hoursStatus } from '../websites/index.js';

export interface TransferTargets {
  queues: { queueId: string; name: ConfigText; channel: ChannelName; open: boolean; waiting: number }[];
  agents: { agentId: string; displayName: string; state: AgentStateName; canTake: boolean }[];
}

/**
 * Could this agent take an interaction of the channel handed to them now? The same conditions as
 * the handover script's for a transfer or invitation, so `canTake` predicts its answer.
 */
const canTake = (a: AgentRow, channel: string) =>
  (a.state === 'available' || a.state === 'busy') && !a.offer && (a.load[channel] ?? 0) < (a.cap[channel] ?? 0) && (a.load.total ?? 0) < (a.cap.total ?? 0);

/**
 * Where the owner of an interaction may transfer it or whom they may invite: the queues of its
 * channel and the other logged-in agents. Plain agents see this much of their colleagues (name,
 * state, whether they could take it) and nothing else; only the owner may ask.
 */
export async function transferTargets(s: { config: () => Config; agents: AgentService; routing: RoutingCore & { readonly views: RoutingViews } }, interactionId: string, callerId: string): Promise<TransferTargets> {
  const i = await s.routing.records.get(interactionId);
  if (!i) throw notFound('Interaction');
  const live = await s.routing.engine.interactionLive(interactionId);
  const held = live.state === 'assigned' || live.state === 'conference';
  if (!held || live.owner !== callerId) throw refusal({ error: 'not_yours' }, 'interaction');
  const config = s.config();
  const now = new Date();
  const queues = await Promise.all(
    config.queues
      .filter((q) => q.channel === i.channel)
      .map(async (q) => ({
        queueId: q.id,
        name: q.name,
        channel: q.channel as ChannelName,
        open: hoursStatus(q.hours ? config.calendars.find((c) => c.id === q.hours) : undefined, now).open,
        waiting: (await s.routing.engine.waiting(q.id)).count,
      })),
  );
  const rows = (await s.routing.views.onlineAgents()).filter((a) => a.agentId !== callerId && a.state !== 'logged-out');
  const names = await s.agents.names(rows.map((a) => a.agentId));
  const agents = rows
    .filter((a) => names.has(a.agentId))
    .map((a) => ({ agentId: a.agentId, displayName: names.get(a.agentId)!, state: a.state, canTake: canTake(a, i.channel) }))
    .sort((x, y) => x.displayName.localeCompare(y.displayName));
  return { queues, agents };
}
