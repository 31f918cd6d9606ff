import { z } from 'zod';
import { CHANNELS } from '../../kernel/config/schema.js';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/, 'must be a date (YYYY-MM-DD) or an ISO time')
  .refine((v) => !Number.isNaN(Date.parse(v)) && new Date(Date.parse(v.slice(0, 10))).toISOString().slice(0, 10) === v.slice(0, 10), 'must be a real date');

export const historySearch = z
  .object({
    q: z.string().trim().max(200).optional(),
    channel: z.enum(CHANNELS).optional(),
    from: day.optional(),
    to: day.optional(),
    page: z.coerce.number().int().min(1).max(10000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(25),
  })
  .strict();

export const transcriptQuery = z
  .object({ attachments: z.enum(['0', '1']).default('0') })
  .strict();

export type HistorySearch = z.infer<typeof historySearch>;
