/**
 * Where the server reads the time it records (when an interaction was queued, taken, closed, a
 * state began, a line was written). One clock per server, so a test can run a whole day of
 * interactions through the real APIs on a time it moves itself and check the reports by hand.
 */
export interface Clock {
  now(): Date;
  /** Runs `fn` once `ms` have passed on this clock; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
