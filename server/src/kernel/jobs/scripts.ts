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
