import type { DataSource } from 'typeorm';
import type { Config } from './config/schema.js';
import type { Logger } from './logger.js';
import type { RedisHandle } from './redis.js';
import type { EventBus } from './bus.js';
import type { JobRunner } from './jobs/runner.js';
import type { Clock } from './clock.js';

/**
 * What every context may use without naming another context: the running configuration (a
 * function, because a reload swaps it), logging, the database, Redis, the event bus and the job
 * runner. Anything a context needs from another context comes through its own typed Deps.
 */
export interface Kernel {
  config: () => Config;
  log: Logger;
  db: DataSource;
  redis: RedisHandle;
  bus: EventBus;
  /** BullMQ queues and workers (see jobs/job.ts for the base every job extends). */
  jobs: JobRunner;
  /** The time recorded in interactions, the journey, messages and agent states (tests move their own). */
  clock: Clock;
}
