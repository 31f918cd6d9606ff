// The routing state machine as Redis Lua scripts (lua/*.lua, read once when the server starts).
// Each script runs atomically in Redis, so any number of server instances can call them at once:
// an interaction is offered to one agent at a time, an agent never goes over capacity, and of
// many accepts of one offer exactly one wins. Every script gets ARGV[1] = key prefix, ARGV[2] =
// now (ms), ARGV[3] = now (ISO), ARGV[4] = a random 28-hex seed for the offer ids it makes, then
// its own arguments from ARGV[5]. Keys are built inside the scripts, so this needs one Redis (not
// Redis Cluster). Scripts answer with cjson; `changes` lists the agent states they changed, which
// the caller records and announces. The build copies lua/ next to this file in dist/.
import { readFileSync } from 'node:fs';

const read = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

/** Key names, per-call state and the steps the scripts share (prelude.lua; preferred.lua wraps its route). */
const PRELUDE = `${read('prelude')}\n${read('preferred')}`;

/** Script name → its file in lua/ (kebab-case of the name). */
const NAMES = [
  'dispatch', 'routeOne', 'routeAgent', 'enqueue', 'accept', 'decline', 'due', 'endWrap', 'expireWait', 'close',
  'handover', 'endConference', 'setState', 'profile', 'leave', 'restoreInteraction', 'restoreAgent', 'claim', 'queueStats', 'unhold',
] as const;
export type ScriptName = (typeof NAMES)[number];

export const BODIES = Object.fromEntries(NAMES.map((n) => [n, read(n.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()))])) as Record<ScriptName, string>;

/** For EVAL: the prelude, the call's state, then the body. */
export const scriptSource = (name: ScriptName) => `${PRELUDE}\ninit(ARGV)\n${BODIES[name]}`;

/**
 * The same code as a Redis 7 function library: the prelude runs once when the library loads
 * instead of on every call. `tag` (a hash of the code) keeps versions of the library apart.
 */
export function librarySource(tag: string): string {
  const fns = NAMES.map((n) => `redis.register_function('sbr_${tag}_${n}', function(KEYS, ARGV)\ninit(ARGV)\n${BODIES[n]}\nend)`);
  return `#!lua name=switchboard_routing_${tag}\n${PRELUDE}\n${fns.join('\n')}\n`;
}
