import { createRequire } from 'node:module';
import type { RedisClient } from 'bullmq';

interface Script {
  name: string;
  content: string;
  keys: number;
}

const load = createRequire(import.meta.url);
const { version } = load('bullmq/dist/cjs/version.js') as { version: string };
const scripts = [
  (load('bullmq/dist/cjs/scripts/moveToActive-11.js') as { moveToActive: Script }).moveToActive,
  (load('bullmq/dist/cjs/scripts/moveToFinished-14.js') as { moveToFinished: Script }).moveToFinished,
];
const addStandardJob = (load('bullmq/dist/cjs/scripts/addStandardJob-9.js') as { addStandardJob: Script }).addStandardJob;

/** What BullMQ does after a worker took a job: set the "maybe more" marker, always. */
const AFTER_TAKE = `  addBaseMarkerIfNeeded(markerKey, false)
  -- rate limit delay must be 0 in this case to prevent adding more delay
  -- when job that is moved to active needs to be processed
  return {rcall("HGETALL", jobKey), jobId, 0, 0} -- get job data
`;

/**
 * What we do instead (in both scripts KEYS[1] is the wait list, KEYS[3] the prioritized set and
 * KEYS[7] the delayed set). BullMQ's marker wakes a blocked worker of another instance after
 * every take, which then asks for a job and finds none: two round trips and a script run for
 * nothing, per job. The marker stays when there is more to take, and the taker hears so (1 where
 * BullMQ answers 0, a due time of "long ago": JobLoop fetches again at once); when there is not,
 * it goes, and the delayed-job marker tells a blocked worker when the next delayed job is due,
 * which is what that worker would have learnt from its fruitless fetch. Atomic with the take, so
 * no job added meanwhile can lose its wake-up.
 */
const OURS_AFTER_TAKE = `  if rcall("LLEN", KEYS[1]) > 0 or rcall("ZCARD", KEYS[3]) > 0 then
    addBaseMarkerIfNeeded(markerKey, false)
    return {rcall("HGETALL", jobKey), jobId, 0, 1}
  end
  rcall("ZREM", markerKey, "0")
  local nextDelayed = rcall("ZRANGE", KEYS[7], 0, 0, "WITHSCORES")
  if nextDelayed[2] then
    rcall("ZADD", markerKey, math.floor(tonumber(nextDelayed[2]) / 0x1000), "1")
  end
  return {rcall("HGETALL", jobKey), jobId, 0, 0}
`;

const ours = scripts.map((s) => {
  const parts = s.content.split(AFTER_TAKE);
  // Another BullMQ version: its scripts are not the ones this change was measured on.
  if (parts.length !== 2) throw new Error(`BullMQ ${version}: ${s.name} has changed; see kernel/jobs/scripts.ts`);
  return { name: `${s.name}:${version}`, numberOfKeys: s.keys, lua: parts.join(OURS_AFTER_TAKE) };
});

/** Makes a worker's connection run our versions of BullMQ's take scripts (same names, same keys). */
export function useOurTakeScripts(client: RedisClient): void {
  for (const s of ours) client.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
}

/** Where BullMQ's addStandardJob puts a new job in the wait list and wakes a worker. */
const INTO_WAIT = `local isPausedOrMaxed = isQueuePausedOrMaxed(metaKey, activeKey)
-- LIFO or FIFO
local pushCmd = opts['lifo'] and 'RPUSH' or 'LPUSH'
addJobInTargetList(waitKey, KEYS[9], pushCmd, isPausedOrMaxed, jobId)
-- Emit waiting event
rcall("XADD", eventsKey, "MAXLEN", "~", maxEvents, "*", "event", "waiting",
      "jobId", jobId)
`;

/**
 * addStandardJob that also takes the new job for the worker adding it (ARGV[4] its lock token,
 * ARGV[5] the lock's duration, ARGV[6] now, ARGV[7] the worker's name), as moveToActive would:
 * the job goes straight to the active list with its lock, and no marker wakes a worker anywhere
 * to fetch it. It answers as moveToActive does ({job hash, id}); a job id that exists already
 * answers its id, as addStandardJob does. Behind jobs still waiting (or in a paused queue) it goes
 * to the wait list as addStandardJob puts it, and answers its id: it does not overtake them.
 */
const ADD_AND_TAKE = (() => {
  const parts = addStandardJob.content.split(INTO_WAIT);
  if (parts.length !== 2) throw new Error(`BullMQ ${version}: ${addStandardJob.name} has changed; see kernel/jobs/scripts.ts`);
  const take = `local isPausedOrMaxed = isQueuePausedOrMaxed(metaKey, activeKey)
if isPausedOrMaxed or rcall("LLEN", waitKey) > 0 or rcall("ZCARD", args[1] .. "prioritized") > 0 then
  addJobInTargetList(waitKey, KEYS[9], opts['lifo'] and 'RPUSH' or 'LPUSH', isPausedOrMaxed, jobId)
  rcall("XADD", eventsKey, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId)
  if parentDependenciesKey ~= nil then
    rcall("SADD", parentDependenciesKey, jobIdKey)
  end
  return jobId
end
rcall("LPUSH", activeKey, jobId)
rcall("SET", jobIdKey .. ":lock", ARGV[4], "PX", ARGV[5])
rcall("XADD", eventsKey, "MAXLEN", "~", maxEvents, "*", "event", "active", "jobId", jobId, "prev", "waiting")
if ARGV[7] ~= "" then
  rcall("HMSET", jobIdKey, "processedOn", ARGV[6], "pb", ARGV[7])
else
  rcall("HMSET", jobIdKey, "processedOn", ARGV[6])
end
rcall("HINCRBY", jobIdKey, "ats", 1)
if parentDependenciesKey ~= nil then
  rcall("SADD", parentDependenciesKey, jobIdKey)
end
return {rcall("HGETALL", jobIdKey), jobId}
`;
  return { name: `addAndTake:${version}`, numberOfKeys: addStandardJob.keys, lua: parts[0] + take };
})();

/** The command name BullMQ adds a job due now with, and ours that adds and takes it. */
export const ADD_COMMAND = `${addStandardJob.name}:${version}`;
export const ADD_AND_TAKE_COMMAND = ADD_AND_TAKE.name;

const knowing = new WeakSet<RedisClient>();

/** Makes a queue's connection know ADD_AND_TAKE_COMMAND (once). */
export function useAddAndTake(client: RedisClient): void {
  if (knowing.has(client)) return;
  client.defineCommand(ADD_AND_TAKE.name, { numberOfKeys: ADD_AND_TAKE.numberOfKeys, lua: ADD_AND_TAKE.lua });
  knowing.add(client);
}
