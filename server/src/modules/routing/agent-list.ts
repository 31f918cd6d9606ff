import type { LiveAgentPayload } from '@switchboard/protocol';
import { redisScript, type RedisHandle } from '../../kernel/redis.js';
import type { RoutingEngine } from './engine.js';
import { statusFrom } from './state-store.js';

// Every logged-in agent with their routing hash (load, capacity, offer), state and held
// interactions, in one script: Redis runs nothing in between, so no row mixes two moments of an
// agent (the load before an accept with the interactions after it).
const READ = redisScript(`
local ids = redis.call('SMEMBERS', ARGV[1] .. 'online')
table.sort(ids)
local out = {}
for n, id in ipairs(ids) do
  local held = redis.call('SMEMBERS', ARGV[1] .. 'ints:' .. id)
  table.sort(held)
  out[n] = { id, redis.call('HGETALL', ARGV[1] .. 'a:' .. id), redis.call('HGETALL', ARGV[2] .. id), held }
end
return out`);

const pairs = (flat: string[]): Record<string, string> => {
  const h: Record<string, string> = {};
  for (let n = 0; n + 1 < flat.length; n += 2) h[flat[n]!] = flat[n + 1]!;
  return h;
};

/** The supervisor's list of the logged-in agents, each row one consistent picture of that agent. */
export async function liveAgents(redis: RedisHandle, engine: RoutingEngine): Promise<LiveAgentPayload[]> {
  const rows = (await READ(redis.client, [], [engine.key(''), redis.key('agent-state', '')])) as [string, string[], string[], string[]][];
  return rows.map(([agentId, routing, state, interactions]) => {
    const h = pairs(routing);
    const load: Record<string, number> = {};
    const capacity: Record<string, number> = {};
    for (const [k, v] of Object.entries(h)) {
      const [kind, name] = k.split(':');
      if (kind === 'load') load[name!] = Number(v);
      else if (kind === 'cap') capacity[name!] = Number(v);
    }
    return { agentId, status: statusFrom(agentId, pairs(state)), load, capacity, pendingOfferId: h.offer || null, interactions };
  });
}
