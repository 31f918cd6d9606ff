import { Injectable, signal } from '@angular/core';

/** One ticking "now" for every timer on screen (time in state, wrap-up countdown, waiting time). */
@Injectable({ providedIn: 'root' })
export class Clock {
  readonly now = signal(Date.now());

  constructor() {
    setInterval(() => this.now.set(Date.now()), 1000);
  }
}
