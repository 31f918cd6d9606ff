// Writes of one answered call to the live-call store, in order: a drop must not overtake the save
// before it, or another process would find a call that ended.
import type { Logger } from 'pino';
import type { LiveCall, LiveCallStore } from './live-calls.js';

export class LiveCallWriter {
  /** Set once a write was made. */
  private writes?: Promise<void>;

  constructor(private readonly store: LiveCallStore, private readonly log: () => Logger) {}

  /** Resolves once written (or failed: logged). */
  save(call: LiveCall): Promise<void> {
    return this.write(() => this.store.save(call));
  }

  /** Removes the call if it was ever saved; resolves when every write has finished. */
  async drop(callSessionId: string): Promise<void> {
    if (!this.writes) return;
    this.write(() => this.store.drop(callSessionId));
    await this.writes;
  }

  private write(fn: () => Promise<void>): Promise<void> {
    this.writes = (this.writes ?? Promise.resolve()).then(fn).catch((err: unknown) => this.log().warn({ err }, 'live call store failed'));
    return this.writes;
  }
}
