import { z } from 'zod';
import { CHANNELS } from '../../kernel/config/schema.js';

const time = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/, 'must be a date (YYYY-MM-DD) or an ISO time with its offset')
  .refine((v) => !Number.isNaN(Date.parse(v)) && new Date(Date.parse(v.slice(0, 10))).toISOString().slice(0, 10) === v.slice(0, 10), 'must be a real date');
const configId = (what: string) => z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, `must be a ${what} id`);

const period = { from: time, to: time };
const filters = {
  ...period,
  queue: configId('queue').optional(),
  channel: z.enum(CHANNELS).optional(),
  agent: z.string().regex(/^[0-9a-f]{32}$/, 'must be an agent id').optional(),
  website: configId('website').optional(),
};
const MAX_DAYS = 366;
/** Hourly series over a long period would be thousands of points: hours go up to 31 days. */
const MAX_HOURLY_DAYS = 31;

/** The period is [from, to); a bare date as the end means "through that whole day". */
function withTimes<T extends { from: string; to: string }>(p: T) {
  return { ...p, fromAt: new Date(p.from), toAt: /^\d{4}-\d{2}-\d{2}$/.test(p.to) ? new Date(Date.parse(p.to) + 86_400_000) : new Date(p.to) };
}
const days = (p: { fromAt: Date; toAt: Date }) => (p.toAt.getTime() - p.fromAt.getTime()) / 86_400_000;

const ordered = (p: { fromAt: Date; toAt: Date }) => p.fromAt < p.toAt;
const bounded = (p: { fromAt: Date; toAt: Date }) => days(p) <= MAX_DAYS;
const afterFrom = { message: 'must be after from', path: ['to'] };
const notTooLong = { message: `a period is at most ${MAX_DAYS} days`, path: ['to'] };

export const INTERACTION_GROUPS = ['queue', 'channel', 'agent', 'website'] as const;
export type InteractionGroup = (typeof INTERACTION_GROUPS)[number];
export const INTERVALS = ['hour', 'day'] as const;
export type Interval = (typeof INTERVALS)[number];

export const interactionReportQuery = z
  .object({ ...filters, groupBy: z.enum(INTERACTION_GROUPS).default('queue'), interval: z.enum(INTERVALS).optional() })
  .strict()
  .transform(withTimes)
  .refine(ordered, afterFrom)
  .refine(bounded, notTooLong)
  .refine((p) => p.interval !== 'hour' || days(p) <= MAX_HOURLY_DAYS, { message: `hourly series cover at most ${MAX_HOURLY_DAYS} days`, path: ['interval'] });

export const rawListQuery = z.object(filters).strict().transform(withTimes).refine(ordered, afterFrom).refine(bounded, notTooLong);
export const callbackReportQuery = z
  .object({ ...period, queue: filters.queue, website: filters.website })
  .strict()
  .transform(withTimes)
  .refine(ordered, afterFrom)
  .refine(bounded, notTooLong);
export const agentReportQuery = z.object({ ...period, agent: filters.agent }).strict().transform(withTimes).refine(ordered, afterFrom).refine(bounded, notTooLong);

export type InteractionReportQuery = z.infer<typeof interactionReportQuery>;
export type RawListQuery = z.infer<typeof rawListQuery>;
export type CallbackReportQuery = z.infer<typeof callbackReportQuery>;
export type AgentReportQuery = z.infer<typeof agentReportQuery>;
