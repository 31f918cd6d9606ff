/**
 * Where the server reads the time it records (when an interaction was queued, taken, closed, a
 * state began, a line was written). One clock per server, so a test can run a whole day of
 * interactions through the real APIs on a time it moves itself and check the reports by hand.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
