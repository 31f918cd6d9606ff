import type { Clock } from '../kernel/clock.js';

/** A clock that moves only when the test says so: `at(s)` is `s` seconds after its start. */
export class ManualClock implements Clock {
  private ms: number;
  private readonly timers = new Set<{ due: number; fn: () => void }>();

  constructor(readonly start: Date) {
    this.ms = start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { due: this.ms + ms, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /**
   * Moves to `seconds` after the start, running the timers that fall due on the way, in order;
   * never backwards, as a real clock would not.
   */
  at(seconds: number): Date {
    const to = this.start.getTime() + seconds * 1000;
    if (to < this.ms) throw new Error(`the clock is at +${(this.ms - this.start.getTime()) / 1000} s; it cannot go back to +${seconds} s`);
    for (;;) {
      const next = [...this.timers].filter((t) => t.due <= to).sort((x, y) => x.due - y.due)[0];
      if (!next) break;
      this.timers.delete(next);
      this.ms = next.due;
      next.fn();
    }
    this.ms = to;
    return this.now();
  }
}
