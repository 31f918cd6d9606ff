import type { Clock } from '../kernel/clock.js';

/** A clock that moves only when the test says so: `at(s)` is `s` seconds after its start. */
export class ManualClock implements Clock {
  private ms: number;

  constructor(readonly start: Date) {
    this.ms = start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  /** Moves to `seconds` after the start; never backwards, as a real clock would not. */
  at(seconds: number): Date {
    const to = this.start.getTime() + seconds * 1000;
    if (to < this.ms) throw new Error(`the clock is at +${(this.ms - this.start.getTime()) / 1000} s; it cannot go back to +${seconds} s`);
    this.ms = to;
    return this.now();
  }
}
